// Flattening: the module hierarchy becomes one integer-indexed netlist (Amaranth's NIR in spirit).
// Every named signal of every instance is a net with a hierarchical name ('u0.sub.acc'); references
// inside expressions point at nets by index. Then three rewrites make the netlist cheap to compile:
//   - a subexpression used more than once becomes an anonymous net (computed once, stored once);
//   - a net that only copies another net of the same shape (port connections, `out = reg`) becomes
//     an alias and shares its storage, so the hierarchy costs nothing at run time;
//   - a net driven by a constant is a constant, inlined into its readers.
// Forces (fault hooks, DESIGN.md §7) are attached here: a forced net is never an alias or a
// constant, and a forced register / read port / input gets a "view" net that applies the force,
// which every reader (and peek) sees, while the raw state underneath stays unforced.
import type { BinaryOp, Design, Expr, Module, Shape, ShiftOp, UnaryOp } from '../../hdl/ir/index.js';
import { Bool, shapeEq, topModule } from '../../hdl/ir/index.js';
import { suggestionText } from '../suggest.js';

interface NodeBase {
  readonly shape: Shape;
  args: FNode[];
}
/** A flat expression node: like hdl/ir Expr, but signal references are net indices. */
export type FNode =
  | (NodeBase & { readonly kind: 'const'; readonly value: bigint })
  | (NodeBase & { readonly kind: 'net'; net: number })
  | (NodeBase & { readonly kind: 'unary'; readonly op: UnaryOp })
  | (NodeBase & { readonly kind: 'binary'; readonly op: BinaryOp })
  | (NodeBase & { readonly kind: 'shiftc'; readonly op: ShiftOp; readonly amount: number })
  | (NodeBase & { readonly kind: 'mux' })
  | (NodeBase & { readonly kind: 'concat' })
  | (NodeBase & { readonly kind: 'slice'; readonly lo: number })
  | (NodeBase & { readonly kind: 'extend'; readonly mode: 'zero' | 'sign' })
  | (NodeBase & { readonly kind: 'trunc' })
  | (NodeBase & { readonly kind: 'cast' });

/** Force one bit of a net to 0 or 1 while from <= cycle < to (defaults: always). */
export interface Force {
  /** Hierarchical name of any net: port, wire, register, memory read port. */
  readonly signal: string;
  readonly bit: number;
  readonly value: 0 | 1;
  /** First cycle (sim.cycle) the force is active; default 0. */
  readonly from?: number;
  /** First cycle it is no longer active; default never. */
  readonly to?: number;
}

export type NetKind = 'input' | 'comb' | 'reg' | 'memread' | 'alias' | 'const';

export interface FlatNet {
  readonly id: number;
  /** Hierarchical name; null for anonymous shared subexpressions. */
  readonly name: string | null;
  readonly shape: Shape;
  kind: NetKind;
  /** comb: the driving expression; alias: a 'net' node of the target; const: a 'const' node. */
  expr: FNode | null;
  readonly forces: Force[];
}

export interface FlatReg {
  readonly name: string;
  /** The state net (never a force view). */
  readonly net: number;
  readonly shape: Shape;
  readonly reset: bigint | null;
  readonly init: bigint;
  next: FNode | null;
  enable: FNode | null;
}

export interface FlatMem {
  readonly name: string;
  readonly shape: Shape;
  readonly depth: number;
  readonly init: readonly bigint[] | null;
  readonly writes: { addr: FNode; data: FNode; enable: FNode }[];
  readonly reads: { net: number; addr: FNode; enable: FNode | null }[];
}

export interface FlatDesign {
  readonly top: string;
  readonly nets: FlatNet[];
  readonly regs: FlatReg[];
  readonly mems: FlatMem[];
  /** Every peekable hierarchical name → the net a reader sees (a force view when forced). */
  readonly names: Map<string, number>;
  /** Top-level inputs (with 'rst') → their state net. */
  readonly inputs: Map<string, number>;
  readonly rst: number;
}

const isTrivial = (n: FNode): boolean => n.kind === 'const' || n.kind === 'net';

class Flattener {
  readonly nets: FlatNet[] = [];
  readonly regs: FlatReg[] = [];
  readonly mems: FlatMem[] = [];
  readonly names = new Map<string, number>();
  readonly inputs = new Map<string, number>();
  private readonly modules: Map<string, Module>;
  /** Per instance: local name → net a reader sees. */
  private readonly scopes: { prefix: string; module: Module; scope: Map<string, number> }[] = [];
  /** Force views: state net → its view, and back. */
  private readonly viewOf = new Map<number, number>();
  private readonly rawOf = new Map<number, number>();

  constructor(readonly design: Design) {
    this.modules = new Map(design.modules.map((m) => [m.name, m]));
  }

  newNet(name: string | null, shape: Shape, kind: NetKind, expr: FNode | null = null): number {
    const id = this.nets.length;
    this.nets.push({ id, name, shape, kind, expr, forces: [] });
    if (name !== null) this.names.set(name, id);
    return id;
  }

  /** Pass 1: a net for every signal of every instance. */
  declare(m: Module, prefix: string, isTop: boolean): Map<string, number> {
    const scope = new Map<string, number>();
    this.scopes.push({ prefix, module: m, scope });
    const add = (name: string, shape: Shape, kind: NetKind): void => {
      const id = this.newNet(prefix + name, shape, kind);
      scope.set(name, id);
      if (kind === 'input' && isTop) this.inputs.set(name, id);
    };
    for (const p of m.ports) add(p.name, p.shape, p.dir === 'in' && isTop ? 'input' : 'comb');
    for (const w of m.wires) add(w.name, w.shape, 'comb');
    for (const r of m.regs) add(r.name, r.shape, 'reg');
    for (const mem of m.mems) for (const rp of mem.readPorts) add(rp.name, mem.shape, 'memread');
    return scope;
  }

  walk(m: Module, prefix: string, isTop: boolean): void {
    this.declare(m, prefix, isTop);
    for (const inst of m.instances) {
      const child = this.modules.get(inst.module);
      if (!child) throw new Error(`Module of instance '${prefix}${inst.name}' must be in the design, not the unknown '${inst.module}'`);
      this.walk(child, `${prefix}${inst.name}.`, false);
    }
  }

  /** Forced registers, read ports and inputs get a view net that readers see instead of the state. */
  attachForces(forces: readonly Force[]): void {
    for (const f of forces) {
      const id = this.names.get(f.signal);
      if (id === undefined) {
        throw new Error(`Forced signal must be a net of design '${this.design.top}', not '${f.signal}'. ${suggestionText(f.signal, [...this.names.keys()])}`);
      }
      const net = this.nets[id]!;
      if (!Number.isInteger(f.bit) || f.bit < 0 || f.bit >= net.shape.width) {
        throw new Error(`Forced bit of '${f.signal}' must be an integer in 0..${net.shape.width - 1}, not ${f.bit}`);
      }
      if (f.value !== 0 && f.value !== 1) throw new Error(`Forced value of '${f.signal}' must be 0 or 1, not ${String(f.value)}`);
      if (net.kind === 'comb') {
        net.forces.push(f);
        continue;
      }
      // A view of a state or input net: a comb copy that carries the force.
      const known = this.viewOf.get(id);
      if (known !== undefined) {
        this.nets[known]!.forces.push(f);
        continue;
      }
      const view = this.newNet(net.name, net.shape, 'comb', { kind: 'net', net: id, shape: net.shape, args: [] });
      this.nets[view]!.forces.push(f);
      this.viewOf.set(id, view);
      this.rawOf.set(view, id);
      for (const s of this.scopes) {
        for (const [local, n] of s.scope) if (n === id) s.scope.set(local, view);
      }
    }
  }

  /** Pass 2: expressions of every instance, in its own scope (shared IR nodes stay shared). */
  connect(): void {
    const byPrefix = new Map(this.scopes.map((s) => [s.prefix, s]));
    for (const { prefix, module: m, scope } of this.scopes) {
      const memo = new Map<Expr, FNode>();
      const conv = (e: Expr): FNode => this.convert(e, scope, memo, prefix);
      const drive = (local: string, e: Expr): void => {
        const net = this.nets[this.stateNet(scope.get(local)!)]!;
        net.expr = this.coerce(conv(e), net.shape, net.name!);
      };
      for (const a of m.assigns) drive(a.target, a.value);
      for (const r of m.regs) {
        const net = this.stateNet(scope.get(r.name)!);
        const next = r.next ? this.coerce(conv(r.next), r.shape, prefix + r.name) : null;
        this.regs.push({ name: prefix + r.name, net, shape: r.shape, reset: r.reset, init: r.init, next, enable: r.enable ? conv(r.enable) : null });
      }
      for (const mem of m.mems) {
        this.mems.push({
          name: prefix + mem.name,
          shape: mem.shape,
          depth: mem.depth,
          init: mem.init,
          writes: mem.writePorts.map((w) => ({ addr: conv(w.addr), data: this.coerce(conv(w.data), mem.shape, `${prefix}${mem.name}[]`), enable: conv(w.enable) })),
          reads: mem.readPorts.map((rp) => ({ net: this.stateNet(scope.get(rp.name)!), addr: conv(rp.addr), enable: rp.enable ? conv(rp.enable) : null })),
        });
      }
      for (const inst of m.instances) {
        const child = byPrefix.get(`${prefix}${inst.name}.`)!;
        for (const c of inst.connections) {
          if (c.dir === 'in') {
            const net = this.nets[this.stateNet(child.scope.get(c.port)!)]!;
            net.expr = this.coerce(conv(c.value), net.shape, net.name!);
          } else {
            const wire = this.nets[this.stateNet(scope.get(c.wire)!)]!;
            const src = child.scope.get(c.port)!;
            wire.expr = this.coerce({ kind: 'net', net: src, shape: this.nets[src]!.shape, args: [] }, wire.shape, wire.name!);
          }
        }
      }
    }
    for (const n of this.nets) {
      if (n.kind === 'comb' && n.expr === null) throw new Error(`Signal '${n.name}' must be driven (validate the design before simulating it)`);
    }
  }

  /** The net that holds a signal's own value (the state under a force view). */
  private stateNet(id: number): number {
    return this.rawOf.get(id) ?? id;
  }

  private coerce(node: FNode, shape: Shape, what: string): FNode {
    if (shapeEq(node.shape, shape)) return node;
    if (node.shape.width !== shape.width) {
      throw new Error(`Width of '${what}' must be ${shape.width}, not ${node.shape.width} (validate the design before simulating it)`);
    }
    return { kind: 'cast', shape, args: [node] };
  }

  private convert(e: Expr, scope: Map<string, number>, memo: Map<Expr, FNode>, prefix: string): FNode {
    const known = memo.get(e);
    if (known) return known;
    const sub = (x: Expr): FNode => this.convert(x, scope, memo, prefix);
    let n: FNode;
    const shape = e.shape;
    switch (e.kind) {
      case 'const':
        n = { kind: 'const', value: e.value, shape, args: [] };
        break;
      case 'ref': {
        const id = scope.get(e.name);
        if (id === undefined) throw new Error(`Signal '${prefix}${e.name}' must be declared (validate the design before simulating it)`);
        n = { kind: 'net', net: id, shape: this.nets[id]!.shape, args: [] };
        if (!shapeEq(n.shape, shape)) n = this.coerce(n, shape, prefix + e.name);
        break;
      }
      case 'unary':
        n = { kind: 'unary', op: e.op, shape, args: [sub(e.arg)] };
        break;
      case 'binary':
        n = { kind: 'binary', op: e.op, shape, args: [sub(e.lhs), sub(e.rhs)] };
        break;
      case 'shiftc':
        n = { kind: 'shiftc', op: e.op, amount: e.amount, shape, args: [sub(e.arg)] };
        break;
      case 'mux':
        n = { kind: 'mux', shape, args: [sub(e.sel), sub(e.whenTrue), sub(e.whenFalse)] };
        break;
      case 'concat':
        n = { kind: 'concat', shape, args: e.parts.map(sub) };
        break;
      case 'slice':
        n = { kind: 'slice', lo: e.lo, shape, args: [sub(e.arg)] };
        break;
      case 'extend':
        n = { kind: 'extend', mode: e.mode, shape, args: [sub(e.arg)] };
        break;
      case 'trunc':
        n = { kind: 'trunc', shape, args: [sub(e.arg)] };
        break;
      case 'cast':
        n = { kind: 'cast', shape, args: [sub(e.arg)] };
        break;
    }
    memo.set(e, n);
    return n;
  }

  /** Every expression root of the flat design, with a setter to replace it. */
  roots(): { get: () => FNode; set: (n: FNode) => void; owner: number | null }[] {
    const out: { get: () => FNode; set: (n: FNode) => void; owner: number | null }[] = [];
    for (const n of this.nets) {
      if (n.kind === 'comb') out.push({ get: () => n.expr!, set: (x) => (n.expr = x), owner: n.id });
    }
    for (const r of this.regs) {
      if (r.next) out.push({ get: () => r.next!, set: (x) => (r.next = x), owner: null });
      if (r.enable) out.push({ get: () => r.enable!, set: (x) => (r.enable = x), owner: null });
    }
    for (const m of this.mems) {
      for (const w of m.writes) {
        out.push({ get: () => w.addr, set: (x) => (w.addr = x), owner: null });
        out.push({ get: () => w.data, set: (x) => (w.data = x), owner: null });
        out.push({ get: () => w.enable, set: (x) => (w.enable = x), owner: null });
      }
      for (const rp of m.reads) {
        out.push({ get: () => rp.addr, set: (x) => (rp.addr = x), owner: null });
        if (rp.enable) out.push({ get: () => rp.enable!, set: (x) => (rp.enable = x), owner: null });
      }
    }
    return out;
  }

  /** Shared subexpressions become nets; a node that drives a net is read through that net elsewhere. */
  shareSubexpressions(): void {
    const uses = new Map<FNode, number>();
    const seen = new Set<FNode>();
    const count = (n: FNode): void => {
      for (const c of n.args) {
        if (isTrivial(c)) continue;
        uses.set(c, (uses.get(c) ?? 0) + 1);
        if (!seen.has(c)) {
          seen.add(c);
          count(c);
        }
      }
    };
    const roots = this.roots();
    const driverOf = new Map<FNode, number>();
    for (const r of roots) {
      const n = r.get();
      if (isTrivial(n)) continue;
      if (r.owner !== null && this.nets[r.owner]!.forces.length === 0 && !driverOf.has(n)) driverOf.set(n, r.owner);
      else uses.set(n, (uses.get(n) ?? 0) + 1);
      if (!seen.has(n)) {
        seen.add(n);
        count(n);
      }
    }
    const netRef = (id: number): FNode => ({ kind: 'net', net: id, shape: this.nets[id]!.shape, args: [] });
    const done = new Set<FNode>();
    const promoted = new Map<FNode, number>();
    const rewrite = (n: FNode): void => {
      if (done.has(n)) return;
      done.add(n);
      n.args = n.args.map((c) => {
        if (isTrivial(c)) return c;
        const driver = driverOf.get(c);
        if (driver !== undefined) return netRef(driver);
        if ((uses.get(c) ?? 0) >= 2) {
          let id = promoted.get(c);
          if (id === undefined) {
            id = this.newNet(null, c.shape, 'comb', c);
            promoted.set(c, id);
            rewrite(c);
          }
          return netRef(id);
        }
        rewrite(c);
        return c;
      });
    };
    for (const r of roots) {
      const n = r.get();
      if (isTrivial(n)) continue;
      const driver = driverOf.get(n);
      if (driver !== undefined && driver !== r.owner) r.set(netRef(driver));
      else if (promoted.has(n)) r.set(netRef(promoted.get(n)!));
      else if ((uses.get(n) ?? 0) >= 2 && driver === undefined) {
        const id = this.newNet(null, n.shape, 'comb', n);
        promoted.set(n, id);
        rewrite(n);
        r.set(netRef(id));
      } else rewrite(n);
    }
  }

  /** Copies become aliases and constant drivers become constants; references point at the root. */
  collapse(): void {
    const root = (id: number): number => {
      let n = this.nets[id]!;
      while (n.kind === 'alias') n = this.nets[(n.expr as { net: number }).net]!;
      return n.id;
    };
    let changed = true;
    while (changed) {
      changed = false;
      for (const n of this.nets) {
        if (n.kind !== 'comb' || n.forces.length > 0 || !n.expr) continue;
        if (n.expr.kind === 'net' && shapeEq(this.nets[n.expr.net]!.shape, n.shape) && root(n.expr.net) !== n.id) {
          n.kind = 'alias';
          changed = true;
        } else if (n.expr.kind === 'const') {
          n.kind = 'const';
          changed = true;
        }
      }
    }
    for (const n of this.nets) if (n.kind === 'alias') (n.expr as { net: number }).net = root(n.id);
    const seen = new Set<FNode>();
    const fix = (x: FNode): FNode => {
      if (x.kind === 'net') {
        const target = this.nets[root(x.net)]!;
        if (target.kind === 'const') return { kind: 'const', value: (target.expr as { value: bigint }).value, shape: target.shape, args: [] };
        x.net = target.id;
        return x;
      }
      if (!seen.has(x)) {
        seen.add(x);
        x.args = x.args.map(fix);
      }
      return x;
    };
    for (const r of this.roots()) r.set(fix(r.get()));
  }
}

/** Flatten a validated design into one netlist (see the header). */
export function flatten(design: Design, forces: readonly Force[] = []): FlatDesign {
  const f = new Flattener(design);
  const top = topModule(design);
  if (top.ports.some((p) => p.name === 'rst')) throw new Error(`Top port 'rst' is reserved for the implicit reset`);
  f.walk(top, '', true);
  const rst = f.newNet('rst', Bool, 'input');
  f.inputs.set('rst', rst);
  f.attachForces(forces);
  f.connect();
  f.shareSubexpressions();
  f.collapse();
  return { top: design.top, nets: f.nets, regs: f.regs, mems: f.mems, names: f.names, inputs: f.inputs, rst };
}
