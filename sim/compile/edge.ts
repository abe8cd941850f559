// The clock edge as generated code. Semantics (sim/types.ts, sim/reference.ts): every register and
// read port takes a value computed from the values before the edge; reset (when a register has one
// and rst is high) has priority over enable; read ports are read-first; write ports apply in order
// (last wins); addresses >= depth read 0 and ignore writes.
//
// Cost: instead of computing every next value into a staging slot and copying it afterwards, state
// elements are updated in place in an order where everything that reads an element's old value comes
// before it (a register chain is updated from its end, like a shift register in hardware); only
// elements on a cycle of such reads (e.g. two registers swapping) are staged. Write ports compute
// their address/data/enable first (before any state changes) and write last (after every read port
// read). Designs with a reset get two variants of the edge, with rst high and low, so no register
// tests rst. An enabled register computes its next value only when its enable is high.
import type { Shape } from '../../hdl/ir/index.js';
import type { FlatDesign, FlatReg } from './flatten.js';
import { netsRead } from './levelize.js';
import { constCode, reprOf, toggleCode } from './ops.js';
import { loadText, PhaseWriter, slotText, type Slot, type WriterContext } from './writer.js';

export interface EdgeContext extends WriterContext {
  readonly counters: boolean;
  readonly memClasses: readonly ('i32' | 'f64' | 'big')[];
  alloc(width: number): Slot;
}

/** A state element updated at the edge: a register or a memory read port. */
type Element = { kind: 'reg'; index: number; reg: FlatReg } | { kind: 'read'; mem: number; port: number; net: number };

const addrBits = (depth: number): number => Math.max(1, Math.ceil(Math.log2(depth)));

/** Strongly connected components (Tarjan, iterative) in an order where an element comes before those it reads. */
function updateOrder(flat: FlatDesign, elements: readonly Element[]): number[][] {
  const owner = new Map<number, number>();
  elements.forEach((e, i) => owner.set(e.kind === 'reg' ? e.reg.net : e.net, i));
  const reads = elements.map((e, i) => {
    const roots =
      e.kind === 'reg'
        ? [e.reg.next, e.reg.enable]
        : [flat.mems[e.mem]!.reads[e.port]!.addr, flat.mems[e.mem]!.reads[e.port]!.enable];
    const out = new Set<number>();
    for (const r of roots) if (r) for (const n of netsRead(r)) if (owner.has(n) && owner.get(n) !== i) out.add(owner.get(n)!);
    return [...out];
  });
  const index = new Int32Array(elements.length).fill(-1);
  const low = new Int32Array(elements.length);
  const onStack = new Uint8Array(elements.length);
  const stack: number[] = [];
  const sccs: number[][] = [];
  let counter = 0;
  for (let s = 0; s < elements.length; s++) {
    if (index[s] !== -1) continue;
    const work: { v: number; i: number }[] = [{ v: s, i: 0 }];
    index[s] = low[s] = counter++;
    stack.push(s);
    onStack[s] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = reads[top.v]!;
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push({ v: w, i: 0 });
        } else if (onStack[w]) low[top.v] = Math.min(low[top.v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v;
        low[parent] = Math.min(low[parent]!, low[top.v]!);
      }
      if (low[top.v] === index[top.v]) {
        const scc: number[] = [];
        let x: number;
        do {
          x = stack.pop()!;
          onStack[x] = 0;
          scc.push(x);
        } while (x !== top.v);
        sccs.push(scc);
      }
    }
  }
  // Tarjan emits an SCC after every SCC it reads: readers come last, so reverse.
  return sccs.reverse();
}

class EdgeEmitter {
  private readonly elements: Element[] = [];
  private readonly order: number[][];
  private readonly stage = new Map<number, Slot>();
  private readonly writeStage: { en: Slot; addr: Slot; data: Slot }[][];

  constructor(private readonly ctx: EdgeContext) {
    const { flat } = ctx;
    flat.regs.forEach((reg, index) => this.elements.push({ kind: 'reg', index, reg }));
    flat.mems.forEach((m, mem) => m.reads.forEach((rp, port) => this.elements.push({ kind: 'read', mem, port, net: rp.net })));
    this.order = updateOrder(flat, this.elements);
    for (const scc of this.order) if (scc.length > 1) for (const i of scc) this.stage.set(i, ctx.alloc(this.shapeOf(this.elements[i]!).width));
    this.writeStage = flat.mems.map((m) => m.writes.map(() => ({ en: ctx.alloc(1), addr: ctx.alloc(addrBits(m.depth)), data: ctx.alloc(m.shape.width) })));
  }

  private shapeOf(e: Element): Shape {
    return e.kind === 'reg' ? e.reg.shape : this.ctx.flat.mems[e.mem]!.shape;
  }

  private netOf(e: Element): number {
    return e.kind === 'reg' ? e.reg.net : e.net;
  }

  /** The functions of the edge; `edge()` picks the reset or run variant. */
  emit(): string[] {
    const { flat } = this.ctx;
    const hasReset = flat.regs.some((r) => r.reset !== null);
    if (!hasReset) return [...this.variant('edge_run', false), 'function edge() { edge_run(); }'];
    const rst = flat.names.get('rst')!;
    const rstText = loadText(this.ctx.netSlots[rst]!, flat.nets[rst]!.shape);
    return [
      ...this.variant('edge_run', false),
      ...this.variant('edge_reset', true),
      `function edge() { if (${rstText} !== 0) edge_reset(); else edge_run(); }`,
    ];
  }

  private variant(name: string, reset: boolean): string[] {
    const w = new PhaseWriter(name, this.ctx);
    this.computeWrites(w);
    for (const scc of this.order) {
      if (scc.length === 1) {
        this.element(w, this.elements[scc[0]!]!, reset, null);
      } else {
        for (const i of scc) this.element(w, this.elements[i]!, reset, this.stage.get(i)!);
        for (const i of scc) {
          const e = this.elements[i]!;
          w.line(`${slotText(this.ctx.netSlots[this.netOf(e)]!)} = ${slotText(this.stage.get(i)!)};`);
        }
      }
      w.boundary();
    }
    this.applyWrites(w);
    return w.finish();
  }

  /** Update one element, or (staged) compute its new value into `stage`. */
  private element(w: PhaseWriter, e: Element, reset: boolean, stage: Slot | null): void {
    const shape = this.shapeOf(e);
    const net = this.netOf(e);
    const target = slotText(stage ?? this.ctx.netSlots[net]!);
    const counters = this.ctx.counters;
    // Without staging, a held value needs no store at all.
    const hold = (): void => {
      if (stage) w.line(`${target} = ${w.net(net).code};`);
    };
    /** Store a register's new value; with counters, count the write and the bits it changes. */
    const store = (value: string, counter: number): void => {
      if (counters) {
        w.line(`cnt[${counter}]++;`);
        w.line(`cnt[${counter + 1}] += ${toggleCode(w.net(net).code, value, shape)};`);
      }
      w.line(`${target} = ${value};`);
    };
    if (e.kind === 'reg') {
      const r = e.reg;
      const writes = 2 * e.index;
      if (reset && r.reset !== null) return store(constCode(r.reset, shape), writes);
      if (!r.next) return hold();
      const next = r.next;
      if (!r.enable) return store(w.expr(next).code, writes);
      const en = w.expr(r.enable).code;
      if (stage) w.line(`${target} = ${w.net(net).code};`);
      w.block(en, () => store(w.expr(next).code, writes));
      return;
    }
    const m = this.ctx.flat.mems[e.mem]!;
    const rp = m.reads[e.port]!;
    const reads = `cnt[${2 * (this.ctx.flat.regs.length + e.mem)}]`;
    const en = rp.enable ? w.expr(rp.enable).code : null;
    const body = (): void => {
      const addr = w.expr(rp.addr).code;
      const word = this.wordText(e.mem, addr);
      const inRange = 2 ** addrBits(m.depth) === m.depth ? null : `${addr} < ${m.depth}`;
      if (counters) w.line(inRange ? `if (${inRange}) ${reads}++;` : `${reads}++;`);
      w.line(`${target} = ${inRange ? `(${inRange} ? ${word} : ${reprOf(shape.width) === 'num' ? '0' : '0n'})` : word};`);
    };
    if (en === null) return body();
    if (stage) w.line(`${target} = ${w.net(net).code};`);
    w.block(en, body);
  }

  private wordText(mem: number, addr: string): string {
    const s = this.ctx.flat.mems[mem]!.shape;
    const word = `m${mem}[${addr}]`;
    return this.ctx.memClasses[mem] === 'i32' && !s.signed && s.width === 32 ? `(${word} >>> 0)` : word;
  }

  /** Address, data and enable of every write port, from the values before the edge. */
  private computeWrites(w: PhaseWriter): void {
    this.ctx.flat.mems.forEach((m, mi) =>
      m.writes.forEach((wp, k) => {
        const s = this.writeStage[mi]![k]!;
        const en = w.expr(wp.enable).code;
        w.line(`${slotText(s.en)} = ${en};`);
        w.block(en, () => {
          w.line(`${slotText(s.addr)} = ${w.expr(wp.addr).code};`);
          w.line(`${slotText(s.data)} = ${w.expr(wp.data).code};`);
        });
        w.boundary();
      }),
    );
  }

  /** The writes themselves, in port order, after every read port has read. */
  private applyWrites(w: PhaseWriter): void {
    const base = 2 * this.ctx.flat.regs.length;
    this.ctx.flat.mems.forEach((m, mi) =>
      m.writes.forEach((_, k) => {
        const s = this.writeStage[mi]![k]!;
        const addr = slotText(s.addr);
        const cond = 2 ** addrBits(m.depth) === m.depth ? `${slotText(s.en)} !== 0` : `${slotText(s.en)} !== 0 && ${addr} < ${m.depth}`;
        const count = this.ctx.counters ? ` cnt[${base + 2 * mi + 1}]++;` : '';
        w.line(`if (${cond}) { m${mi}[${addr}] = ${slotText(s.data)};${count} }`);
        w.boundary();
      }),
    );
  }
}

export function emitEdge(ctx: EdgeContext): string[] {
  return new EdgeEmitter(ctx).emit();
}
