// Recipes of random designs: plain data (so fast-check shrinks them) that buildRecipe() turns into a
// real design through the DSL. Every operand is an index into the pool of values built so far
// (taken modulo the pool size, so any shrunk recipe still builds), which makes the combinational
// logic a DAG in construction order: no combinational loops. Registers and memory read ports enter
// the pool before any logic, so their outputs may feed back into their own next values.
import type { ModuleDef, ModuleBuilder, Value } from '../../hdl/dsl/index.js';
import { build, cat, defineModule, mux } from '../../hdl/dsl/index.js';
import type { Design, Shape } from '../../hdl/ir/index.js';
import { addrWidth, binaryShape, concatShape, fromBits, mask, muxShape, toBits, unaryShape } from '../../hdl/ir/index.js';

export const NODE_OPS = [
  'add', 'sub', 'mul', 'neg',
  'and', 'or', 'xor', 'not',
  'andr', 'orr', 'xorr',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'shl', 'shr', 'sra', 'shlc', 'shrc', 'srac',
  'mux', 'concat', 'slice', 'zext', 'sext', 'trunc', 'asSigned', 'asUnsigned', 'const',
] as const;
export type NodeOp = (typeof NODE_OPS)[number];

/**
 * One combinational node. a, b, c pick operands from the pool; p, q and r are free parameters
 * whose meaning depends on the operator (widths, bit positions, shift amounts, constant kinds; see
 * choose()); k is the raw bits of a random constant. `named` puts the value on a named wire.
 */
export interface NodeRecipe {
  readonly op: NodeOp;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly p: number;
  readonly q: number;
  readonly r: number;
  readonly k: bigint;
  readonly named: boolean;
}

export interface ShapeRecipe {
  readonly width: number;
  readonly signed: boolean;
}

/** Which constant: 0, 1, all ones (-1), the minimum, the maximum, or the raw bits k. */
export interface ConstRecipe {
  readonly pick: number;
  readonly k: bigint;
}

export interface RegRecipe extends ShapeRecipe {
  /** null: a register without reset. */
  readonly reset: ConstRecipe | null;
  /** null: power-on value = reset value. */
  readonly init: ConstRecipe | null;
  /** Pool index of the enable (reduced to one bit), or null for none. */
  readonly enable: number | null;
  readonly next: number;
}

export interface MemRecipe extends ShapeRecipe {
  readonly depth: number;
  readonly init: readonly bigint[] | null;
  readonly writes: readonly { addr: number; data: number; enable: number }[];
  readonly reads: readonly { addr: number; enable: number | null }[];
}

export interface ModuleRecipe {
  readonly inputs: readonly ShapeRecipe[];
  readonly regs: readonly RegRecipe[];
  readonly mems: readonly MemRecipe[];
  readonly nodes: readonly NodeRecipe[];
  /** Pool indices driven to outputs, besides every node that no other node reads. */
  readonly outputs: readonly number[];
}

export interface DesignRecipe {
  readonly maxWidth: number;
  readonly top: ModuleRecipe;
  /**
   * A child module instantiated twice (u0, u1) in the top after `at` nodes (modulo the node count + 1);
   * u0's inputs are the pool values `inputs[0..n)`, u1's `inputs[n..2n)` (n input ports).
   */
  readonly child: { readonly module: ModuleRecipe; readonly at: number; readonly inputs: readonly number[] } | null;
}

export const TOP_NAME = 'rnd';
export const CHILD_NAME = 'rnd_child';

// ---- building ----

/** The bit pattern of a constant pick in a shape. */
export function constBits(c: ConstRecipe, shape: Shape): bigint {
  const w = shape.width;
  switch (c.pick % 6) {
    case 0:
      return 0n;
    case 1:
      return 1n;
    case 2:
      return mask(w);
    case 3:
      return shape.signed ? 1n << BigInt(w - 1) : 0n;
    case 4:
      return shape.signed ? mask(w - 1) : mask(w);
    default:
      return toBits(c.k, w);
  }
}

/** The integer a constant pick stands for in a shape (what the DSL wants). */
export function constValue(c: ConstRecipe, shape: Shape): bigint {
  return fromBits(constBits(c, shape), shape.width, shape.signed);
}

/** Bring a value to exactly `shape`: resize by its own signedness, then reinterpret. */
export function fitTo(v: Value, shape: Shape): Value {
  const r = v.resize(shape.width);
  return shape.signed ? r.asSigned() : r.asUnsigned();
}

/**
 * A number in [lo, hi]: `kind` picks one of the ends, one inside either end, the middle, or (most
 * often) the free value `free`; the ends are where width and shift mistakes show.
 */
function choose(lo: number, hi: number, kind: number, free: number): number {
  switch (kind % 8) {
    case 0:
      return lo;
    case 1:
      return hi;
    case 2:
      return Math.min(hi, lo + 1);
    case 3:
      return Math.max(lo, hi - 1);
    case 4:
      return (lo + hi) >> 1;
    default:
      return lo + (free % (hi - lo + 1));
  }
}

/** A one-bit condition from any value: the value itself, one of its bits, or its OR-reduction. */
function toBool(v: Value, p: number): Value {
  if (v.width === 1) return v;
  return p % 3 === 0 ? v.orR() : v.bit(p % v.width);
}

/** Truncate the widest operands until the result shape of `shapeOf` fits in maxWidth. */
function fitOperands(vals: Value[], shapeOf: (s: Shape[]) => Shape, maxWidth: number): Value[] {
  const out = [...vals];
  for (;;) {
    const excess = shapeOf(out.map((v) => v.shape)).width - maxWidth;
    if (excess <= 0) return out;
    let widest = 0;
    out.forEach((v, i) => {
      if (v.width > out[widest]!.width) widest = i;
    });
    const v = out[widest]!;
    if (v.width === 1) throw new Error('random design: cannot fit operands into the width limit');
    out[widest] = v.trunc(Math.max(1, v.width - excess));
  }
}

class PoolBuilder {
  readonly pool: Value[] = [];
  /** Pool values read by some node, instance or sequential input (the others become outputs). */
  readonly used = new Set<Value>();
  constructor(
    readonly m: ModuleBuilder,
    readonly maxWidth: number,
  ) {}

  at(i: number): Value {
    const v = this.pool[i % this.pool.length]!;
    this.used.add(v);
    return v;
  }

  node(n: NodeRecipe, index: number): Value {
    const v = this.compute(n);
    return n.named ? this.m.wire(`n${index}`, v) : v;
  }

  private compute(n: NodeRecipe): Value {
    const W = this.maxWidth;
    if (n.op === 'const') {
      const shape = { width: choose(1, W, n.p, n.r), signed: n.q % 2 === 1 };
      return this.m.constant(constValue({ pick: n.q >> 1, k: n.k }, shape), shape);
    }
    const a = this.at(n.a);
    // Two different operands unless the pool has one value: x op x hides many extension mistakes.
    // (Read lazily: at() marks a value as used, and unused values become outputs.)
    const second = (): Value => this.at(n.b % this.pool.length === n.a % this.pool.length ? n.b + 1 : n.b);
    switch (n.op) {
      case 'add':
      case 'sub':
      case 'mul':
      case 'and':
      case 'or':
      case 'xor':
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const op = n.op;
        const [x, y] = fitOperands([a, second()], ([s, t]) => binaryShape(op, s!, t!), W) as [Value, Value];
        return x[op](y);
      }
      case 'neg':
      case 'not':
      case 'andr':
      case 'orr':
      case 'xorr': {
        const uop = ({ neg: 'neg', not: 'not', andr: 'andr', orr: 'orr', xorr: 'xorr' } as const)[n.op];
        const [x] = fitOperands([a], ([s]) => unaryShape(uop, s!), W) as [Value];
        const method = ({ neg: 'neg', not: 'not', andr: 'andR', orr: 'orR', xorr: 'xorR' } as const)[n.op];
        return x[method]();
      }
      case 'shl':
      case 'shr':
      case 'sra': {
        // Often a narrow amount so that in-range shifts are common; sometimes the full value.
        const b = second();
        const amount = n.p % 2 === 0 ? b.trunc(Math.min(b.width, 1 + (n.q % 8))) : b;
        return a[n.op](amount);
      }
      case 'shlc': {
        const room = W - a.width;
        return a.shl(choose(0, Math.min(room, a.width + 2), n.p, n.r));
      }
      case 'shrc':
        return a.shr(choose(0, a.width + 1, n.p, n.r));
      case 'srac':
        return a.sra(choose(0, a.width + 1, n.p, n.r));
      case 'mux': {
        const sel = toBool(this.at(n.c), n.p);
        const [x, y] = fitOperands([a, second()], ([s, t]) => muxShape(s!, t!), W) as [Value, Value];
        return mux(sel, x, y);
      }
      case 'concat': {
        const parts = n.p % 2 === 0 ? [a, second()] : [a, second(), this.at(n.c)];
        return cat(...fitOperands(parts, concatShape, W));
      }
      case 'slice': {
        const width = choose(1, a.width, n.p, n.r);
        return a.slice(choose(0, a.width - width, n.q, n.r >> 4), width);
      }
      case 'zext':
        return a.zext(choose(a.width, W, n.p, n.r));
      case 'sext':
        return a.sext(choose(a.width, W, n.p, n.r));
      case 'trunc':
        return a.trunc(choose(1, a.width, n.p, n.r));
      case 'asSigned':
        return a.asSigned();
      case 'asUnsigned':
        return a.asUnsigned();
    }
  }
}

/** Declare the hardware of a module recipe on a builder; `instantiate` runs after `childAt` nodes. */
function buildBody(
  m: ModuleBuilder,
  r: ModuleRecipe,
  maxWidth: number,
  child: { at: number; place: (pb: PoolBuilder) => void } | null,
): void {
  const pb = new PoolBuilder(m, maxWidth);
  r.inputs.forEach((s, i) => pb.pool.push(m.input(`in${i}`, s)));
  const regWires = r.regs.map((reg, i) => {
    const enable = reg.enable === null ? null : m.wire(`r${i}_en`, { width: 1, signed: false });
    const reset = reg.reset === null ? null : constValue(reg.reset, reg);
    const options = { reset, ...(reg.init ? { init: constValue(reg.init, reg) } : {}), ...(enable ? { enable } : {}) };
    const q = m.reg(`r${i}`, reg, options);
    pb.pool.push(q);
    return { q, enable };
  });
  const memPorts = r.mems.map((mem, i) => {
    const handle = m.memory(`mem${i}`, { shape: mem, depth: mem.depth, ...(mem.init ? { init: mem.init.slice(0, mem.depth).map((w) => toBits(w, mem.width)) } : {}) });
    const aw = addrWidth(mem.depth);
    const reads = mem.reads.map((rp, j) => {
      const addr = m.wire(`mem${i}_ra${j}`, { width: aw, signed: false });
      const enable = rp.enable === null ? null : m.wire(`mem${i}_re${j}`, { width: 1, signed: false });
      const data = handle.read(`mem${i}_rd${j}`, addr, enable ? { enable } : {});
      pb.pool.push(data);
      return { addr, enable, data };
    });
    return { handle, reads, aw };
  });
  const at = child ? child.at % (r.nodes.length + 1) : -1;
  const firstNode = pb.pool.length;
  r.nodes.forEach((n, i) => {
    if (i === at) child!.place(pb);
    pb.pool.push(pb.node(n, i));
  });
  if (at === r.nodes.length) child!.place(pb);
  // Sequential inputs, from anywhere in the pool.
  r.regs.forEach((reg, i) => {
    const w = regWires[i]!;
    w.q.set(fitTo(pb.at(reg.next), reg));
    if (w.enable && reg.enable !== null) w.enable.set(toBool(pb.at(reg.enable), reg.enable).asUnsigned());
  });
  r.mems.forEach((mem, i) => {
    const mp = memPorts[i]!;
    const addrShape = { width: mp.aw, signed: false };
    for (const wp of mem.writes) {
      mp.handle.write(fitTo(pb.at(wp.addr), addrShape), fitTo(pb.at(wp.data), mem), toBool(pb.at(wp.enable), wp.enable));
    }
    mem.reads.forEach((rp, j) => {
      const port = mp.reads[j]!;
      port.addr.set(fitTo(pb.at(rp.addr), addrShape));
      if (port.enable && rp.enable !== null) port.enable.set(toBool(pb.at(rp.enable), rp.enable).asUnsigned());
    });
  });
  // Outputs, so that every node is observable: the nodes and instance outputs nothing else reads,
  // the chosen pool values, and every register and read port.
  const sinks = pb.pool.slice(firstNode).filter((v) => !pb.used.has(v));
  const outs: Value[] = [...sinks, ...r.outputs.map((o) => pb.at(o))];
  regWires.forEach((w) => outs.push(w.q));
  for (const mp of memPorts) for (const port of mp.reads) outs.push(port.data);
  outs.forEach((v, i) => m.output(`out${i}`, v));
}

export function buildRecipe(r: DesignRecipe, names: { top: string; child: string } = { top: TOP_NAME, child: CHILD_NAME }): Design {
  let childDef: ModuleDef | null = null;
  if (r.child) {
    const cr = r.child.module;
    childDef = defineModule({ name: names.child, generator: 'test/support/arbitrary' }, (m) => buildBody(m, cr, r.maxWidth, null));
  }
  const top = defineModule({ name: names.top, generator: 'test/support/arbitrary' }, (m) => {
    const child =
      r.child && childDef
        ? {
            at: r.child.at,
            place: (pb: PoolBuilder): void => {
              const def = childDef!;
              const ins = def.module.ports.filter((p) => p.dir === 'in');
              ['u0', 'u1'].forEach((inst, copy) => {
                // Each copy reads its own operands: u0 takes inputs[0..n), u1 takes inputs[n..2n).
                const inputs: Record<string, Value> = {};
                ins.forEach((p, i) => (inputs[p.name] = fitTo(pb.at(r.child!.inputs[copy * ins.length + i] ?? copy + i), p.shape)));
                const h = m.instance(inst, def, inputs);
                for (const p of def.module.ports) if (p.dir === 'out') pb.pool.push(h.out(p.name));
              });
            },
          }
        : null;
    buildBody(m, r.top, r.maxWidth, child);
  });
  return build(top);
}
