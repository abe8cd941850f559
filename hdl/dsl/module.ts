// The module builder: a generator is an ordinary TypeScript function that receives a
// ModuleBuilder and declares ports, wires, registers, memories and instances on it.
// Loops and conditionals are plain TypeScript; when()/elseWhen()/otherwise() select values.
import type {
  Assign,
  Expr,
  Instance,
  InputConnection,
  MemReadPort,
  MemWritePort,
  Memory,
  Module,
  OutputConnection,
  ParamValue,
  Port,
  Reg,
  Shape,
  SourceLoc,
  Wire,
} from '../ir/index.js';
import { addrWidth, Bool, children, fits, MAX_WIDTH, MIN_WIDTH, toBits } from '../ir/index.js';
import type { Diagnostic } from '../diagnostics.js';
import { msg } from '../diagnostics.js';
import { captureLoc } from './loc.js';
import { constExpr, constShapeFor, muxValues, Value, type ValueLike } from './value.js';

type SignalKind = 'input' | 'output' | 'wire' | 'reg' | 'memread' | 'instout';

/** A named signal of a module. Outputs, wires and registers can be assigned with set(). */
export class Signal extends Value {
  constructor(
    readonly name: string,
    readonly kind: SignalKind,
    shape: Shape,
    loc: SourceLoc,
    owner: ModuleBuilder,
  ) {
    super({ kind: 'ref', name, shape, loc }, owner);
  }
  /**
   * Drive this signal. For an output or a wire, the combinational value; for a register, the value it
   * takes at the next rising clock edge. Inside when() blocks, the last applicable set() wins.
   */
  set(value: ValueLike): void {
    this.owner.assign(this, value, captureLoc());
  }
}

export interface RegOptions {
  /** Value loaded while `rst` is high at a clock edge; null for a register without reset. Default 0. */
  reset?: number | bigint | null;
  /** Power-on value; defaults to the reset value (or 0). */
  init?: number | bigint;
  /** The register loads its next value only when this 1-bit value is high. */
  enable?: ValueLike;
}

export interface MemoryOptions {
  shape: Shape;
  depth: number;
  init?: readonly (number | bigint)[];
}

export interface ModuleOptions {
  /** Verilog module name; instances of equal hardware share it, different hardware gets a suffix. */
  name: string;
  /** Name of the generator, for the Verilog header (defaults to the module name). */
  generator?: string;
  params?: Record<string, ParamValue>;
}

/** A built module, ready to be instantiated or elaborated as a design top. */
export interface ModuleDef {
  readonly module: Module;
  /** Modules instantiated by this one (each ModuleDef once, in first-use order). */
  readonly children: readonly ModuleDef[];
  /** Problems found while building (more are found by validation when the design is elaborated). */
  readonly diagnostics: readonly Diagnostic[];
}

export class MemoryHandle {
  constructor(
    private readonly builder: ModuleBuilder,
    readonly name: string,
    readonly shape: Shape,
    readonly depth: number,
    readonly addrWidth: number,
  ) {}
  /** A synchronous read port: the returned signal holds mem[addr] one cycle after the edge that sampled addr. */
  read(name: string, addr: ValueLike, options: { enable?: ValueLike } = {}): Value {
    return this.builder.memRead(this, name, addr, options.enable, captureLoc());
  }
  /** A synchronous write port: at a rising edge where enable is high, mem[addr] takes data. */
  write(addr: ValueLike, data: ValueLike, enable: ValueLike): void {
    this.builder.memWrite(this, addr, data, enable, captureLoc());
  }
}

export class InstanceHandle {
  constructor(
    readonly name: string,
    readonly def: ModuleDef,
    private readonly outputs: ReadonlyMap<string, Signal>,
    private readonly builder: ModuleBuilder,
  ) {}
  /** The value of one of the instance's output ports. */
  out(port: string): Value {
    const s = this.outputs.get(port);
    if (s) return s;
    const loc = captureLoc();
    const outs = [...this.outputs.keys()];
    this.builder.report(msg.unknownPort(this.name, this.def.module.name, port, outs, loc));
    return this.builder.constant(0n, Bool, loc);
  }
}

export class WhenChain {
  constructor(
    private readonly builder: ModuleBuilder,
    private readonly chain: ChainInfo,
  ) {}
  elseWhen(cond: ValueLike, body: () => void): WhenChain {
    return this.builder.whenBranch(this.chain, cond, body, captureLoc());
  }
  otherwise(body: () => void): void {
    this.builder.whenBranch(this.chain, null, body, captureLoc());
  }
}

/** One when()/elseWhen()/otherwise() chain: the condition of each branch (null for otherwise). */
interface ChainInfo {
  readonly conds: (Expr | null)[];
}

/** Where an assignment sits: branch `branch` of `chain`, for each enclosing when() level. */
interface Frame {
  readonly chain: ChainInfo;
  readonly branch: number;
}

interface PendingAssign {
  /** Conjunction of these 1-bit conditions guards the assignment (empty: unconditional). */
  conds: Expr[];
  /** The when() branches the assignment sits in, outermost first. */
  frames: Frame[];
  value: Expr;
  loc: SourceLoc;
}

interface RegDecl {
  name: string;
  shape: Shape;
  reset: bigint | null;
  init: bigint;
  enable: Expr | null;
  loc: SourceLoc;
}

interface MemDecl {
  name: string;
  shape: Shape;
  depth: number;
  init: bigint[] | null;
  writePorts: MemWritePort[];
  readPorts: MemReadPort[];
  loc: SourceLoc;
}

interface InstanceDecl {
  name: string;
  def: ModuleDef;
  connections: (InputConnection | OutputConnection)[];
  loc: SourceLoc;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ModuleBuilder {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly ports: Port[] = [];
  private readonly wires: Wire[] = [];
  private readonly regs: RegDecl[] = [];
  private readonly mems: MemDecl[] = [];
  private readonly instances: InstanceDecl[] = [];
  private readonly children: ModuleDef[] = [];
  private readonly signals = new Map<string, Signal>();
  private readonly pending = new Map<string, PendingAssign[]>();
  private readonly condStack: Expr[] = [];
  private readonly frameStack: Frame[] = [];

  constructor(
    readonly name: string,
    readonly loc: SourceLoc,
  ) {}

  report(d: Diagnostic): void {
    // The same problem seen twice (e.g. a reset value that is also the power-on value) is reported once.
    if (!this.diagnostics.some((x) => x.code === d.code && x.message === d.message && x.loc === d.loc)) this.diagnostics.push(d);
  }

  // ---- declarations ----

  input(name: string, shape: Shape): Value {
    const loc = captureLoc();
    return this.declarePort(name, 'in', shape, loc);
  }

  /** An output port; given a Value instead of a Shape, it is declared with that shape and driven by it. */
  output(name: string, shapeOrValue: Shape | Value): Signal {
    const loc = captureLoc();
    if (shapeOrValue instanceof Value) {
      const s = this.declarePort(name, 'out', shapeOrValue.shape, loc);
      this.assign(s, shapeOrValue, loc);
      return s;
    }
    return this.declarePort(name, 'out', shapeOrValue, loc);
  }

  /** A combinational wire; given a Value, it is declared with that shape and driven by it (naming a value). */
  wire(name: string, shapeOrValue: Shape | Value): Signal {
    const loc = captureLoc();
    const shape = shapeOrValue instanceof Value ? shapeOrValue.shape : shapeOrValue;
    const s = this.declare(name, 'wire', this.checkShape(shape, `wire '${name}'`, loc), loc);
    this.wires.push({ name, shape: s.shape, loc });
    if (shapeOrValue instanceof Value) this.assign(s, shapeOrValue, loc);
    return s;
  }

  reg(name: string, shape: Shape, options: RegOptions = {}): Signal {
    const loc = captureLoc();
    const checked = this.checkShape(shape, `register '${name}'`, loc);
    const reset = options.reset === undefined ? 0n : options.reset === null ? null : BigInt(options.reset);
    const init = options.init !== undefined ? BigInt(options.init) : (reset ?? 0n);
    for (const v of reset === null ? [init] : [reset, init]) {
      if (!fits(v, checked.width, checked.signed)) this.report(msg.resetValue(name, v, checked, loc));
    }
    const enable = options.enable === undefined ? null : this.condition(options.enable, `Enable of register '${name}'`, loc);
    const s = this.declare(name, 'reg', checked, loc);
    this.regs.push({
      name,
      shape: checked,
      reset: reset === null ? null : toBits(reset, checked.width),
      init: toBits(init, checked.width),
      enable,
      loc,
    });
    return s;
  }

  memory(name: string, options: MemoryOptions): MemoryHandle {
    const loc = captureLoc();
    const shape = this.checkShape(options.shape, `memory '${name}'`, loc);
    let depth = options.depth;
    if (!Number.isInteger(depth) || depth < 1) {
      this.report(msg.memDepth(name, depth, loc));
      depth = 1;
    }
    let init: bigint[] | null = null;
    if (options.init) {
      if (options.init.length > depth) {
        this.report(msg.memInit(name, `at most ${depth} words`, `${options.init.length} words`, loc));
      }
      init = options.init.slice(0, depth).map((w, i) => {
        const v = BigInt(w);
        if (!fits(v, shape.width, shape.signed) && !fits(v, shape.width, false)) {
          this.report(msg.memInit(name, `words that fit in ${shape.width} bits`, `${v} at address ${i}`, loc));
        }
        return toBits(v, shape.width);
      });
    }
    this.checkName(name, 'memory', loc);
    this.claimName(name, loc);
    this.mems.push({ name, shape, depth, init, writePorts: [], readPorts: [], loc });
    return new MemoryHandle(this, name, shape, depth, addrWidth(depth));
  }

  /** Instantiate a built module; inputs are connected by name, outputs are read with handle.out(port). */
  instance(name: string, def: ModuleDef, inputs: Record<string, ValueLike>): InstanceHandle {
    const loc = captureLoc();
    this.checkName(name, 'instance', loc);
    this.claimName(name, loc);
    if (!this.children.includes(def)) this.children.push(def);
    const child = def.module;
    const connections: (InputConnection | OutputConnection)[] = [];
    for (const [port, v] of Object.entries(inputs)) {
      const p = child.ports.find((q) => q.name === port && q.dir === 'in');
      if (!p) {
        const known = child.ports.filter((q) => q.dir === 'in').map((q) => q.name);
        this.report(msg.unknownPort(name, child.name, port, known, loc));
        continue;
      }
      const value = this.lift(v, loc, p.shape);
      connections.push({ dir: 'in', port, value: value.expr, loc });
    }
    const outputs = new Map<string, Signal>();
    for (const p of child.ports) {
      if (p.dir !== 'out') continue;
      const wireName = `${name}_${p.name}`;
      const s = this.declare(wireName, 'instout', p.shape, loc);
      this.wires.push({ name: wireName, shape: p.shape, loc });
      connections.push({ dir: 'out', port: p.name, wire: wireName, loc });
      outputs.set(p.name, s);
    }
    this.instances.push({ name, def, connections, loc });
    return new InstanceHandle(name, def, outputs, this);
  }

  constant(value: number | bigint, shape?: Shape, loc: SourceLoc = captureLoc()): Value {
    const v = BigInt(value);
    const s = shape ?? constShapeFor(v);
    if (!fits(v, s.width, s.signed)) this.report(msg.constantFits(v, s, loc));
    return new Value(constExpr(v, s, loc), this);
  }

  // ---- conditional assignment ----

  /** Assignments made inside `body` apply when `cond` (1 bit) is high. */
  when(cond: ValueLike, body: () => void): WhenChain {
    return this.whenBranch({ conds: [] }, cond, body, captureLoc());
  }

  /** @internal Used by WhenChain: a branch taken when no earlier branch of the chain was and `cond` holds. */
  whenBranch(chain: ChainInfo, cond: ValueLike | null, body: () => void, loc: SourceLoc): WhenChain {
    const guards: Expr[] = [];
    for (const t of chain.conds) if (t) guards.push({ kind: 'unary', op: 'not', arg: t, shape: Bool, loc });
    let c: Expr | null = null;
    if (cond !== null) {
      c = this.condition(cond, 'Condition of when()', loc);
      guards.push(c);
    }
    chain.conds.push(c);
    this.condStack.push(...guards);
    this.frameStack.push({ chain, branch: chain.conds.length - 1 });
    try {
      body();
    } finally {
      this.condStack.splice(this.condStack.length - guards.length, guards.length);
      this.frameStack.pop();
    }
    return new WhenChain(this, chain);
  }

  /** @internal */
  assign(target: Signal, value: ValueLike, loc: SourceLoc): void {
    if (target.owner !== this) {
      this.report(msg.foreignValue(this.name, target.owner.name, loc));
      return;
    }
    if (target.kind === 'input' || target.kind === 'memread' || target.kind === 'instout') {
      const why = { input: 'an input port', memread: 'a memory read port', instout: "an instance's output" }[target.kind];
      this.report(msg.notAssignable(target.name, why, loc));
      return;
    }
    let v = this.lift(value, loc, target.shape);
    const mismatch = msg.assignShape(target.name, target.shape, v.shape, loc);
    if (mismatch) {
      this.report(mismatch);
      v = v.resize(target.shape.width);
      v = target.shape.signed ? v.asSigned() : v.asUnsigned();
    }
    const list = this.pending.get(target.name) ?? [];
    list.push({ conds: [...this.condStack], frames: [...this.frameStack], value: v.expr, loc });
    this.pending.set(target.name, list);
  }

  /** @internal */
  memRead(mem: MemoryHandle, name: string, addr: ValueLike, enable: ValueLike | undefined, loc: SourceLoc): Value {
    const decl = this.mems.find((m) => m.name === mem.name)!;
    const a = this.address(mem, addr, loc);
    const en = enable === undefined ? null : this.condition(enable, `Read enable of '${name}'`, loc);
    const s = this.declare(name, 'memread', mem.shape, loc);
    decl.readPorts.push({ name, addr: a, enable: en, loc });
    return s;
  }

  /** @internal */
  memWrite(mem: MemoryHandle, addr: ValueLike, data: ValueLike, enable: ValueLike, loc: SourceLoc): void {
    const decl = this.mems.find((m) => m.name === mem.name)!;
    const a = this.address(mem, addr, loc);
    let d = this.lift(data, loc, mem.shape);
    const mismatch = msg.assignShape(`${mem.name}[]`, mem.shape, d.shape, loc);
    if (mismatch) {
      this.report(mismatch);
      d = d.resize(mem.shape.width);
    }
    // A write inside when() blocks happens only when the enclosing conditions hold too.
    let en = this.condition(enable, `Write enable of memory '${mem.name}'`, loc);
    for (const c of this.condStack) en = { kind: 'binary', op: 'and', lhs: c, rhs: en, shape: Bool, loc };
    decl.writePorts.push({ addr: a, data: d.expr, enable: en, loc });
  }

  // ---- helpers shared with Value ----

  /** Turn a number into a constant (shaped like `shape` when given) or check a Value belongs here. */
  lift(v: ValueLike, loc: SourceLoc, shape?: Shape): Value {
    if (v instanceof Value) {
      if (v.owner === this) return v;
      // Report it once here and go on with a stand-in, so no follow-on error points into the other module.
      this.report(msg.foreignValue(this.name, v.owner.name, loc));
      return new Value(constExpr(0n, v.shape, loc), this);
    }
    const n = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
    if (shape && fits(n, shape.width, shape.signed)) return new Value(constExpr(n, shape, loc), this);
    if (shape && !shape.signed && n < 0n) {
      this.report(msg.constantFits(n, shape, loc));
      return new Value(constExpr(0n, shape, loc), this);
    }
    return this.constant(n, undefined, loc);
  }

  /** @internal */
  checkCondition(v: Value, what: string, loc: SourceLoc): void {
    if (v.width !== 1) this.report(msg.oneBit(what, v.shape, loc));
  }

  private condition(v: ValueLike, what: string, loc: SourceLoc): Expr {
    const c = this.lift(v, loc, Bool);
    this.checkCondition(c, what, loc);
    return c.width === 1 ? c.expr : c.orR().expr;
  }

  private address(mem: MemoryHandle, addr: ValueLike, loc: SourceLoc): Expr {
    const a = this.lift(addr, loc, { width: mem.addrWidth, signed: false });
    if (a.width !== mem.addrWidth || a.signed) {
      this.report(msg.memAddr(mem.name, mem.addrWidth, a.width, loc));
      return a.asUnsigned().resize(mem.addrWidth).expr;
    }
    return a.expr;
  }

  private checkShape(shape: Shape, what: string, loc: SourceLoc): Shape {
    if (!Number.isInteger(shape.width) || shape.width < MIN_WIDTH || shape.width > MAX_WIDTH) {
      this.report(msg.illegalWidth(what, shape.width, loc, MAX_WIDTH));
      return { width: 1, signed: shape.signed };
    }
    return shape;
  }

  private checkName(name: string, kind: string, loc: SourceLoc): void {
    if (!IDENT.test(name)) this.report(msg.invalidName(kind, name, loc));
  }

  private readonly claimed = new Map<string, SourceLoc>();
  private claimName(name: string, loc: SourceLoc): void {
    const first = this.claimed.get(name);
    if (first) this.report(msg.nameClash(name, first, loc));
    else this.claimed.set(name, loc);
  }

  private declare(name: string, kind: SignalKind, shape: Shape, loc: SourceLoc): Signal {
    this.checkName(name, kind === 'reg' ? 'register' : kind === 'memread' ? 'memory read port' : kind, loc);
    this.claimName(name, loc);
    const s = new Signal(name, kind, shape, loc, this);
    if (!this.signals.has(name)) this.signals.set(name, s);
    return s;
  }

  private declarePort(name: string, dir: 'in' | 'out', shape: Shape, loc: SourceLoc): Signal {
    const checked = this.checkShape(shape, `port '${name}'`, loc);
    const s = this.declare(name, dir === 'in' ? 'input' : 'output', checked, loc);
    this.ports.push({ name, dir, shape: checked, loc });
    return s;
  }

  // ---- finishing ----

  /** Fold conditional assignments into expressions and produce the IR module. */
  finish(options: ModuleOptions): ModuleDef {
    const assigns: Assign[] = [];
    const regs: Reg[] = [];
    const targets = [...this.ports.filter((p) => p.dir === 'out'), ...this.wires];
    const instWires = new Set(this.instances.flatMap((i) => i.connections.flatMap((c) => (c.dir === 'out' ? [c.wire] : []))));
    const done = new Set<string>();
    for (const t of targets) {
      // A clashing second declaration (already reported, E009) shares the first one's assignments.
      if (instWires.has(t.name) || done.has(t.name)) continue;
      done.add(t.name);
      const list = this.pending.get(t.name);
      const kind = this.ports.includes(t as Port) ? 'Output' : 'Wire';
      if (!list) continue; // reported by validation (E004)
      assigns.push({ target: t.name, value: this.fold(t.name, list, null, kind, t.shape), loc: list[0]!.loc });
    }
    for (const r of this.regs) {
      const list = this.pending.get(r.name);
      if (!list) {
        // Reported by validation (E004).
        regs.push({ ...r, next: null, nextLoc: null });
        continue;
      }
      const self: Expr = { kind: 'ref', name: r.name, shape: r.shape, loc: r.loc };
      let enable = r.enable;
      let next: Expr | null;
      const only = list.length === 1 ? list[0]! : null;
      if (only && only.conds.length > 0 && enable === null) {
        // A register set under one condition loads when it holds: an enable, not a feedback mux.
        enable = this.conj(only.conds, only.loc);
        next = only.value;
      } else {
        next = this.fold(r.name, list, self, 'Register', r.shape);
      }
      regs.push({ name: r.name, shape: r.shape, reset: r.reset, init: r.init, enable, next, loc: r.loc, nextLoc: list[0]!.loc });
    }
    const module: Module = {
      name: options.name,
      generator: options.generator ?? options.name,
      params: { ...(options.params ?? {}) },
      ports: this.ports,
      wires: this.wires,
      regs,
      mems: this.mems.map((m) => ({ ...m }) as Memory),
      instances: this.instances.map((i) => ({ name: i.name, module: i.def.module.name, connections: i.connections, loc: i.loc }) as Instance),
      assigns,
      loc: this.loc,
    };
    return { module, children: this.children, diagnostics: this.diagnostics };
  }

  private conj(conds: Expr[], loc: SourceLoc): Expr {
    return conds.reduce((acc, c) => ({ kind: 'binary', op: 'and', lhs: acc, rhs: c, shape: Bool, loc }) as Expr);
  }

  /**
   * Last-assignment-wins folding; `hold` is the value when nothing applies (registers keep their value).
   * A when()/elseWhen()/otherwise() chain folds into one priority mux chain, mux(c0, v0, mux(c1, v1, v2)),
   * rather than one guarded mux per assignment.
   */
  private fold(name: string, list: PendingAssign[], hold: Expr | null, kind: string, shape: Shape): Expr {
    const unconditional = list.filter((a) => a.conds.length === 0);
    if (unconditional.length > 1) {
      this.report(msg.multipleDrivers(name, unconditional.length, unconditional.map((a) => a.loc)));
    }
    // Without a hold value, start from a placeholder 0: if it survives folding, some case assigns
    // nothing, which would be a latch. Report it (the 0 then stands in).
    const placeholder = constExpr(0n, shape, list[0]!.loc);
    const value = this.foldLevel(list, 0, hold ?? placeholder);
    if (hold === null && reaches(value, placeholder)) this.report(msg.latch(kind, name, list[0]!.loc));
    return value;
  }

  private foldLevel(list: PendingAssign[], depth: number, initial: Expr): Expr {
    let value = initial;
    let i = 0;
    while (i < list.length) {
      const a = list[i]!;
      if (a.frames.length === depth) {
        value = a.value;
        i++;
        continue;
      }
      // A run of assignments inside the same chain at this depth.
      const chain = a.frames[depth]!.chain;
      let j = i;
      while (j < list.length && list[j]!.frames.length > depth && list[j]!.frames[depth]!.chain === chain) j++;
      const run = list.slice(i, j);
      const branchValue = (b: number): Expr => {
        const entries = run.filter((e) => e.frames[depth]!.branch === b);
        return entries.length ? this.foldLevel(entries, depth + 1, value) : value;
      };
      const last = chain.conds.length - 1;
      let combined = chain.conds[last] === null ? branchValue(last) : value;
      for (let b = chain.conds[last] === null ? last - 1 : last; b >= 0; b--) {
        const v = branchValue(b);
        if (v === combined) continue;
        combined = { kind: 'mux', sel: chain.conds[b]!, whenTrue: v, whenFalse: combined, shape: v.shape, loc: run[0]!.loc };
      }
      value = combined;
      i = j;
    }
    return value;
  }
}

function reaches(e: Expr, target: Expr, seen: Set<Expr> = new Set()): boolean {
  if (e === target) return true;
  if (seen.has(e)) return false;
  seen.add(e);
  return children(e).some((c) => reaches(c, target, seen));
}

/** Build a module: `body` declares its hardware on the builder. */
export function defineModule(options: ModuleOptions, body: (m: ModuleBuilder) => void): ModuleDef {
  const b = new ModuleBuilder(options.name, captureLoc());
  body(b);
  return b.finish(options);
}

/** mux(sel, whenTrue, whenFalse) with a 1-bit select. */
export function mux(sel: Value, whenTrue: ValueLike, whenFalse: ValueLike): Value {
  return muxValues(sel, whenTrue, whenFalse, captureLoc());
}
