// The reference interpreter: the slow, obviously correct simulator of the IR that the compiled
// simulator and the Verilog emitter are tested against (DESIGN.md §3). It walks the module
// hierarchy as it is (no flattening): every instance keeps its own registers, memories and read
// ports; combinational signals are evaluated recursively on demand, memoized until the next poke
// or clock edge (validation guarantees there are no combinational loops). Values are bigint bit
// patterns; every operator comes from ./eval.ts.
//
// Clock edge (step): every register's next value and every memory write and read is computed from
// the values before the edge, then all are committed at once.
//   registers: reset (when it has one and rst is high) has priority over enable; power-on = init.
//   memories:  write ports apply in order (last wins); read ports are read-first (they get the word
//              before this edge's writes); addresses >= depth read 0 and ignore writes; read-port
//              power-on value is 0.
import type { Design, Expr, Instance, Memory, Module, Shape } from '../hdl/ir/index.js';
import { Bool, clockingOf, fits, fromBits, shapeText, toBits, topModule } from '../hdl/ir/index.js';
import { evalExpr } from './eval.js';
import { suggestionText } from './suggest.js';
import type { Simulator } from './types.js';

/** How a module-level name gets its value. */
type Source =
  | { kind: 'input'; shape: Shape }
  | { kind: 'assign'; shape: Shape; expr: Expr }
  | { kind: 'instout'; shape: Shape; instance: string; port: string }
  | { kind: 'reg'; shape: Shape }
  | { kind: 'memread'; shape: Shape }
  | { kind: 'undriven'; shape: Shape };

/** Per-module lookup tables, shared by every instance of the module. */
interface ModuleInfo {
  readonly module: Module;
  readonly sources: ReadonlyMap<string, Source>;
  readonly mems: ReadonlyMap<string, Memory>;
}

function moduleInfo(m: Module): ModuleInfo {
  const sources = new Map<string, Source>();
  for (const p of m.ports) sources.set(p.name, p.dir === 'in' ? { kind: 'input', shape: p.shape } : { kind: 'undriven', shape: p.shape });
  for (const w of m.wires) sources.set(w.name, { kind: 'undriven', shape: w.shape });
  for (const a of m.assigns) sources.set(a.target, { kind: 'assign', shape: sources.get(a.target)?.shape ?? a.value.shape, expr: a.value });
  for (const inst of m.instances) {
    for (const c of inst.connections) {
      if (c.dir === 'out') sources.set(c.wire, { kind: 'instout', shape: sources.get(c.wire)!.shape, instance: inst.name, port: c.port });
    }
  }
  for (const r of m.regs) sources.set(r.name, { kind: 'reg', shape: r.shape });
  for (const mem of m.mems) for (const rp of mem.readPorts) sources.set(rp.name, { kind: 'memread', shape: mem.shape });
  return { module: m, sources, mems: new Map(m.mems.map((x) => [x.name, x])) };
}

/** One instance of a module in the hierarchy, with its own state. */
class InstanceState {
  readonly regs = new Map<string, bigint>();
  readonly mems = new Map<string, bigint[]>();
  readonly reads = new Map<string, bigint>();
  readonly children = new Map<string, InstanceState>();
  /** Per-cycle memo of expression nodes and named signals; cleared by poke() and step(). */
  exprMemo = new Map<Expr, bigint>();
  signalMemo = new Map<string, bigint>();

  constructor(
    readonly info: ModuleInfo,
    /** Hierarchical prefix: '' for the top, 'u0.' for instance u0 of the top, and so on. */
    readonly prefix: string,
    readonly parent: InstanceState | null,
    /** This instance's declaration in the parent module. */
    readonly decl: Instance | null,
  ) {
    for (const r of info.module.regs) this.regs.set(r.name, r.init);
    for (const mem of info.module.mems) {
      const words = Array.from({ length: mem.depth }, (_, i) => mem.init?.[i] ?? 0n);
      this.mems.set(mem.name, words);
      for (const rp of mem.readPorts) this.reads.set(rp.name, 0n);
    }
  }
}

interface PendingEdge {
  regs: { inst: InstanceState; name: string; value: bigint }[];
  writes: { words: bigint[]; addr: number; value: bigint }[];
  reads: { inst: InstanceState; name: string; value: bigint }[];
}

export class ReferenceSim implements Simulator {
  readonly design: Design;
  private cycleCount = 0;
  private readonly top: InstanceState;
  private readonly all: InstanceState[] = [];
  private readonly inputs = new Map<string, bigint>();
  private rst = 0n;
  private readonly hasClock: boolean;

  constructor(design: Design) {
    this.design = design;
    const infos = new Map(design.modules.map((m) => [m.name, moduleInfo(m)]));
    const make = (m: Module, prefix: string, parent: InstanceState | null, decl: Instance | null): InstanceState => {
      const inst = new InstanceState(infos.get(m.name)!, prefix, parent, decl);
      this.all.push(inst);
      for (const child of m.instances) {
        const cm = infos.get(child.module);
        if (!cm) throw new Error(`Module of instance '${prefix}${child.name}' must be in the design, not the unknown '${child.module}'`);
        inst.children.set(child.name, make(cm.module, `${prefix}${child.name}.`, inst, child));
      }
      return inst;
    };
    const topMod = topModule(design);
    this.top = make(topMod, '', null, null);
    for (const p of topMod.ports) if (p.dir === 'in') this.inputs.set(p.name, 0n);
    this.hasClock = clockingOf(design).get(topMod.name)?.clk ?? false;
  }

  get cycle(): number {
    return this.cycleCount;
  }

  poke(name: string, value: bigint | number): void {
    const v = BigInt(value);
    if (name === 'clk') return;
    if (name === 'rst') {
      this.rst = this.checkFits(name, Bool, v);
    } else {
      const src = this.top.info.sources.get(name);
      if (!src || src.kind !== 'input') {
        if (src) throw new Error(`Poked signal must be a top-level input, not the ${src.kind === 'assign' || src.kind === 'undriven' || src.kind === 'instout' ? 'wire or output' : src.kind} '${name}'`);
        throw this.unknown(name, 'Poked signal', this.inputNames());
      }
      this.inputs.set(name, this.checkFits(name, src.shape, v));
    }
    this.invalidate();
  }

  peek(name: string): bigint {
    if (name === 'rst') return this.rst;
    if (name === 'clk') return 0n;
    const { inst, leaf } = this.resolve(name, 'Peeked signal');
    const src = inst.info.sources.get(leaf);
    if (!src) throw this.unknown(name, 'Peeked signal', this.signalNames());
    return fromBits(this.signal(inst, leaf), src.shape.width, src.shape.signed);
  }

  peekMem(name: string, addr: number): bigint {
    const { mem, words } = this.memory(name, addr);
    return fromBits(words[addr]!, mem.shape.width, mem.shape.signed);
  }

  pokeMem(name: string, addr: number, value: bigint | number): void {
    const { mem, words } = this.memory(name, addr);
    words[addr] = this.checkFits(`${name}[${addr}]`, mem.shape, BigInt(value));
    this.invalidate();
  }

  step(cycles = 1): void {
    for (let i = 0; i < cycles; i++) {
      const edge: PendingEdge = { regs: [], writes: [], reads: [] };
      for (const inst of this.all) this.computeEdge(inst, edge);
      for (const r of edge.regs) r.inst.regs.set(r.name, r.value);
      for (const w of edge.writes) w.words[w.addr] = w.value;
      for (const r of edge.reads) r.inst.reads.set(r.name, r.value);
      this.cycleCount++;
      this.invalidate();
    }
  }

  /** Assert the synchronous reset for `cycles` edges, then release it. */
  reset(cycles = 1): void {
    this.poke('rst', 1);
    this.step(cycles);
    this.poke('rst', 0);
  }

  /** Every name peek() accepts (hierarchical), in declaration order. */
  signalNames(): string[] {
    const names = this.hasClock ? ['clk', 'rst'] : [];
    for (const inst of this.all) for (const n of inst.info.sources.keys()) names.push(inst.prefix + n);
    return names;
  }

  /** Every name peekMem()/pokeMem() accepts. */
  memoryNames(): string[] {
    return this.all.flatMap((inst) => [...inst.info.mems.keys()].map((n) => inst.prefix + n));
  }

  // ---- evaluation ----

  /** The bit pattern of a named signal of an instance, now. */
  private signal(inst: InstanceState, name: string): bigint {
    const known = inst.signalMemo.get(name);
    if (known !== undefined) return known;
    const src = inst.info.sources.get(name);
    if (!src) throw new Error(`Signal '${inst.prefix}${name}' must be declared in module '${inst.info.module.name}'`);
    let v: bigint;
    switch (src.kind) {
      case 'input':
        v = this.inputOf(inst, name);
        break;
      case 'assign':
        v = this.expr(inst, src.expr);
        break;
      case 'instout':
        v = this.signal(inst.children.get(src.instance)!, src.port);
        break;
      case 'reg':
        v = inst.regs.get(name)!;
        break;
      case 'memread':
        v = inst.reads.get(name)!;
        break;
      case 'undriven':
        throw new Error(`Signal '${inst.prefix}${name}' must be driven (validate the design before simulating it)`);
    }
    inst.signalMemo.set(name, v);
    return v;
  }

  private inputOf(inst: InstanceState, name: string): bigint {
    if (!inst.parent) return this.inputs.get(name) ?? 0n;
    const conn = inst.decl!.connections.find((c) => c.dir === 'in' && c.port === name);
    if (!conn || conn.dir !== 'in') throw new Error(`Input '${name}' of instance '${inst.prefix.slice(0, -1)}' must be connected`);
    return this.expr(inst.parent, conn.value);
  }

  private expr(inst: InstanceState, e: Expr): bigint {
    return evalExpr(e, (n) => this.signal(inst, n), inst.exprMemo);
  }

  private isTrue(inst: InstanceState, e: Expr | null): boolean {
    return e === null || this.expr(inst, e) !== 0n;
  }

  private computeEdge(inst: InstanceState, edge: PendingEdge): void {
    const m = inst.info.module;
    for (const r of m.regs) {
      if (r.reset !== null && this.rst !== 0n) edge.regs.push({ inst, name: r.name, value: r.reset });
      else if (r.next !== null && this.isTrue(inst, r.enable)) edge.regs.push({ inst, name: r.name, value: this.expr(inst, r.next) });
    }
    for (const mem of m.mems) {
      const words = inst.mems.get(mem.name)!;
      for (const w of mem.writePorts) {
        if (!this.isTrue(inst, w.enable)) continue;
        const addr = this.expr(inst, w.addr);
        if (addr < BigInt(mem.depth)) edge.writes.push({ words, addr: Number(addr), value: this.expr(inst, w.data) });
      }
      for (const rp of mem.readPorts) {
        if (!this.isTrue(inst, rp.enable)) continue;
        const addr = this.expr(inst, rp.addr);
        edge.reads.push({ inst, name: rp.name, value: addr < BigInt(mem.depth) ? words[Number(addr)]! : 0n });
      }
    }
  }

  private invalidate(): void {
    for (const inst of this.all) {
      if (inst.exprMemo.size > 0) inst.exprMemo = new Map();
      if (inst.signalMemo.size > 0) inst.signalMemo = new Map();
    }
  }

  // ---- names ----

  /** Split 'a.b.sig' into the instance a.b and the signal name 'sig'. */
  private resolve(name: string, what: string): { inst: InstanceState; leaf: string } {
    const parts = name.split('.');
    let inst = this.top;
    for (const p of parts.slice(0, -1)) {
      const child = inst.children.get(p);
      if (!child) throw this.unknown(name, what, what === 'Memory' ? this.memoryNames() : this.signalNames());
      inst = child;
    }
    return { inst, leaf: parts[parts.length - 1]! };
  }

  private memory(name: string, addr: number): { mem: Memory; words: bigint[] } {
    const { inst, leaf } = this.resolve(name, 'Memory');
    const mem = inst.info.mems.get(leaf);
    if (!mem) throw this.unknown(name, 'Memory', this.memoryNames());
    if (!Number.isInteger(addr) || addr < 0 || addr >= mem.depth) {
      throw new Error(`Address of memory '${name}' must be an integer in 0..${mem.depth - 1}, not ${addr}`);
    }
    return { mem, words: inst.mems.get(leaf)! };
  }

  private inputNames(): string[] {
    return [...(this.hasClock ? ['clk', 'rst'] : []), ...this.inputs.keys()];
  }

  private unknown(name: string, what: string, known: readonly string[]): Error {
    return new Error(`${what} must be a name in design '${this.design.top}', not '${name}'. ${suggestionText(name, known)}`);
  }

  private checkFits(name: string, shape: Shape, v: bigint): bigint {
    if (!fits(v, shape.width, shape.signed) && !fits(v, shape.width, !shape.signed)) {
      throw new Error(`Value poked into '${name}' must fit in ${shapeText(shape)} (signed or unsigned reading), not ${v}`);
    }
    return toBits(v, shape.width);
  }
}
