// Validation of a Design: returns every problem at once as Diagnostics (never throws).
// It checks what the DSL cannot see while a module is being built (drivers, instance
// connections, loops across instances) and re-checks shapes so that hand-built IR is safe too.
import type { Design, Expr, Module, Shape, SourceLoc } from './ir/index.js';
import { addrWidth, children, fits, MAX_WIDTH, MIN_WIDTH, refsOf, shapeEq, moduleExprRoots } from './ir/index.js';
import type { Diagnostic } from './diagnostics.js';
import { msg } from './diagnostics.js';
import { isReservedName, reservedWhy } from './names.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface SignalInfo {
  kind: 'input' | 'output' | 'wire' | 'reg' | 'memread' | 'mem' | 'instance';
  shape: Shape | null;
  loc: SourceLoc;
}

export function validateDesign(design: Design): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map(design.modules.map((m) => [m.name, m]));
  if (!byName.has(design.top)) out.push(msg.unknownModule('<top>', design.top, null));
  for (const m of design.modules) validateModule(m, byName, out);
  out.push(...findCombLoops(design));
  return out;
}

function validateModule(m: Module, modules: Map<string, Module>, out: Diagnostic[]): void {
  if (!IDENT.test(m.name)) out.push(msg.invalidName('module', m.name, m.loc));
  else if (isReservedName(m.name) && m.name !== 'clk' && m.name !== 'rst') {
    out.push(msg.reservedName(m.name, reservedWhy(m.name), m.loc));
  }
  const signals = new Map<string, SignalInfo>();
  const declare = (name: string, info: SignalInfo, kindText: string): void => {
    if (!IDENT.test(name)) out.push(msg.invalidName(kindText, name, info.loc));
    else if (isReservedName(name)) out.push(msg.reservedName(name, reservedWhy(name), info.loc));
    const prev = signals.get(name);
    if (prev) out.push(msg.nameClash(name, prev.loc, info.loc));
    else signals.set(name, info);
    if (info.shape) checkWidth(info.shape, `${kindText} '${name}'`, info.loc, out);
  };
  for (const p of m.ports) declare(p.name, { kind: p.dir === 'in' ? 'input' : 'output', shape: p.shape, loc: p.loc }, 'port');
  for (const w of m.wires) declare(w.name, { kind: 'wire', shape: w.shape, loc: w.loc }, 'wire');
  for (const r of m.regs) declare(r.name, { kind: 'reg', shape: r.shape, loc: r.loc }, 'register');
  for (const mem of m.mems) {
    declare(mem.name, { kind: 'mem', shape: null, loc: mem.loc }, 'memory');
    checkWidth(mem.shape, `memory '${mem.name}'`, mem.loc, out);
    for (const r of mem.readPorts) declare(r.name, { kind: 'memread', shape: mem.shape, loc: r.loc }, 'memory read port');
  }
  for (const i of m.instances) declare(i.name, { kind: 'instance', shape: null, loc: i.loc }, 'instance');

  const checked = new Set<Expr>();
  const check = (e: Expr): void => checkExpr(e, signals, out, checked);
  for (const root of moduleExprRoots(m)) check(root.expr);

  // Drivers of outputs and wires: continuous assignments and instance outputs.
  const drivers = new Map<string, SourceLoc[]>();
  const addDriver = (name: string, loc: SourceLoc): void => {
    drivers.set(name, [...(drivers.get(name) ?? []), loc]);
  };
  for (const a of m.assigns) {
    const t = signals.get(a.target);
    if (!t) {
      out.push(msg.notAssignable(a.target, 'not declared in this module', a.loc));
      continue;
    }
    if (t.kind !== 'output' && t.kind !== 'wire') {
      const what = { input: 'an input port', memread: 'a memory read port', reg: 'a register (use its next value)', mem: 'a memory', instance: 'an instance' }[t.kind as 'input'];
      out.push(msg.notAssignable(a.target, what ?? t.kind, a.loc));
      continue;
    }
    addDriver(a.target, a.loc);
    const d = msg.assignShape(a.target, t.shape!, a.value.shape, a.loc);
    if (d) out.push(d);
  }
  for (const inst of m.instances) {
    const child = modules.get(inst.module);
    if (!child) {
      out.push(msg.unknownModule(inst.name, inst.module, inst.loc));
      continue;
    }
    const connected = new Set<string>();
    for (const c of inst.connections) {
      const port = child.ports.find((p) => p.name === c.port);
      if (!port || port.dir !== c.dir) {
        const known = child.ports.filter((p) => p.dir === c.dir).map((p) => p.name);
        out.push(msg.unknownPort(inst.name, child.name, c.port, known, c.loc));
        continue;
      }
      if (connected.has(c.port)) out.push(msg.multipleDrivers(`${inst.name}.${c.port}`, 2, [inst.loc, c.loc]));
      connected.add(c.port);
      if (c.dir === 'in') {
        const d = msg.assignShape(`${inst.name}.${c.port}`, port.shape, c.value.shape, c.loc);
        if (d) out.push(d);
      } else {
        const w = signals.get(c.wire);
        if (!w || w.kind !== 'wire') out.push(msg.notAssignable(c.wire, 'not a wire of this module', c.loc));
        else {
          addDriver(c.wire, c.loc);
          const d = msg.assignShape(c.wire, w.shape!, port.shape, c.loc);
          if (d) out.push(d);
        }
      }
    }
    for (const p of child.ports) if (p.dir === 'in' && !connected.has(p.name)) out.push(msg.unconnected(inst.name, p.name, inst.loc));
  }
  for (const [name, info] of signals) {
    if (info.kind !== 'output' && info.kind !== 'wire') continue;
    const ds = drivers.get(name) ?? [];
    if (ds.length === 0) out.push(msg.undriven(info.kind === 'output' ? 'Output' : 'Wire', name, info.loc));
    if (ds.length > 1) out.push(msg.multipleDrivers(name, ds.length, ds));
  }

  for (const r of m.regs) {
    if (r.reset !== null && !fits(r.reset, r.shape.width, false)) out.push(msg.resetValue(r.name, r.reset, r.shape, r.loc));
    if (!r.next) out.push(msg.undriven('Register', r.name, r.loc));
    else {
      const d = msg.assignShape(r.name, r.shape, r.next.shape, r.nextLoc ?? r.loc);
      if (d) out.push(d);
    }
    if (r.enable && r.enable.shape.width !== 1) out.push(msg.oneBit(`Enable of register '${r.name}'`, r.enable.shape, r.enable.loc));
  }
  for (const mem of m.mems) {
    if (!Number.isInteger(mem.depth) || mem.depth < 1) {
      out.push(msg.memDepth(mem.name, mem.depth, mem.loc));
      continue;
    }
    const aw = addrWidth(mem.depth);
    if (mem.init && mem.init.length > mem.depth) {
      out.push(msg.memInit(mem.name, `at most ${mem.depth} words`, `${mem.init.length} words`, mem.loc));
    }
    mem.init?.forEach((v, i) => {
      if (v < 0n || !fits(v, mem.shape.width, false)) {
        out.push(msg.memInit(mem.name, `words that fit in ${mem.shape.width} bits`, `${v} at address ${i}`, mem.loc));
      }
    });
    for (const w of mem.writePorts) {
      if (w.addr.shape.width !== aw || w.addr.shape.signed) out.push(msg.memAddr(mem.name, aw, w.addr.shape.width, w.loc));
      const d = msg.assignShape(`${mem.name}[]`, mem.shape, w.data.shape, w.loc);
      if (d) out.push(d);
      if (w.enable.shape.width !== 1) out.push(msg.oneBit(`Write enable of memory '${mem.name}'`, w.enable.shape, w.loc));
    }
    for (const r of mem.readPorts) {
      if (r.addr.shape.width !== aw || r.addr.shape.signed) out.push(msg.memAddr(mem.name, aw, r.addr.shape.width, r.loc));
      if (r.enable && r.enable.shape.width !== 1) out.push(msg.oneBit(`Read enable of '${r.name}'`, r.enable.shape, r.loc));
    }
  }
}

function checkWidth(shape: Shape, what: string, loc: SourceLoc, out: Diagnostic[]): boolean {
  if (!Number.isInteger(shape.width) || shape.width < MIN_WIDTH || shape.width > MAX_WIDTH) {
    out.push(msg.illegalWidth(what, shape.width, loc, MAX_WIDTH));
    return false;
  }
  return true;
}

/** Per-node checks of hand-built or DSL-built expressions (each shared node once). */
function checkExpr(e: Expr, signals: Map<string, SignalInfo>, out: Diagnostic[], seen: Set<Expr>): void {
  if (seen.has(e)) return;
  seen.add(e);
  for (const c of children(e)) checkExpr(c, signals, out, seen);
  if (!checkWidth(e.shape, `result of ${e.kind === 'binary' || e.kind === 'unary' || e.kind === 'shiftc' ? e.op : e.kind}`, e.loc, out)) return;
  switch (e.kind) {
    case 'const':
      if (e.value < 0n || !fits(e.value, e.shape.width, false)) out.push(msg.constantFits(e.value, e.shape, e.loc));
      break;
    case 'ref': {
      const s = signals.get(e.name);
      if (!s || !s.shape) out.push(msg.unknownSignal(e.name, e.loc));
      else if (!shapeEq(s.shape, e.shape)) {
        const d = msg.assignShape(e.name, s.shape, e.shape, e.loc);
        if (d) out.push(d);
      }
      break;
    }
    case 'mux':
      if (e.sel.shape.width !== 1) out.push(msg.oneBit('Mux select', e.sel.shape, e.loc));
      break;
    case 'slice':
      if (e.lo < 0 || e.lo + e.width > e.arg.shape.width) {
        out.push(msg.bitRange('Slice', `within bits [0, ${e.arg.shape.width})`, `[${e.lo}, ${e.lo + e.width})`, e.loc));
      }
      break;
    case 'extend':
      if (e.width < e.arg.shape.width) out.push(msg.bitRange('Extension width', `>= ${e.arg.shape.width}`, String(e.width), e.loc));
      break;
    case 'trunc':
      if (e.width > e.arg.shape.width) out.push(msg.bitRange('Truncation width', `<= ${e.arg.shape.width}`, String(e.width), e.loc));
      break;
    case 'shiftc':
      if (!Number.isInteger(e.amount) || e.amount < 0) out.push(msg.shiftAmount(e.amount, e.loc));
      break;
    default:
      break;
  }
}

// ---- combinational loops, across the hierarchy ----

interface Node {
  name: string;
  loc: SourceLoc | null;
  deps: string[];
}

/** For each module: which inputs each output depends on combinationally. */
function findCombLoops(design: Design): Diagnostic[] {
  const out: Diagnostic[] = [];
  const combDeps = new Map<string, Map<string, Set<string>>>();
  for (const m of design.modules) {
    const graph = moduleGraph(m, combDeps);
    // Cycle search: iterative colouring DFS, reporting each loop's whole path once.
    const colour = new Map<string, 0 | 1 | 2>();
    const stack: string[] = [];
    const visit = (n: string): void => {
      colour.set(n, 1);
      stack.push(n);
      for (const d of graph.get(n)?.deps ?? []) {
        const c = colour.get(d) ?? 0;
        if (c === 0) visit(d);
        else if (c === 1) {
          const cycle = stack.slice(stack.indexOf(d));
          // The path runs from a signal through what drives it; print it in data-flow order.
          const names = [...cycle].reverse();
          names.push(names[0]!);
          out.push(msg.combLoop(names.map((x) => ({ name: x, loc: graph.get(x)?.loc ?? null }))));
        }
      }
      stack.pop();
      colour.set(n, 2);
    };
    for (const n of graph.keys()) if ((colour.get(n) ?? 0) === 0) visit(n);
    // Record output → input dependencies for parents.
    const deps = new Map<string, Set<string>>();
    for (const p of m.ports) {
      if (p.dir !== 'out') continue;
      const reach = new Set<string>();
      const todo = [p.name];
      const seen = new Set<string>();
      while (todo.length) {
        const n = todo.pop()!;
        if (seen.has(n)) continue;
        seen.add(n);
        if (m.ports.some((q) => q.dir === 'in' && q.name === n)) reach.add(n);
        todo.push(...(graph.get(n)?.deps ?? []));
      }
      deps.set(p.name, reach);
    }
    combDeps.set(m.name, deps);
  }
  return out;
}

/** Combinational graph of one module: each wire/output → the signals its value reads now. */
function moduleGraph(m: Module, combDeps: Map<string, Map<string, Set<string>>>): Map<string, Node> {
  const g = new Map<string, Node>();
  const combinational = new Set<string>([...m.ports.map((p) => p.name), ...m.wires.map((w) => w.name)]);
  const keep = (names: Iterable<string>): string[] => [...names].filter((n) => combinational.has(n));
  for (const a of m.assigns) g.set(a.target, { name: a.target, loc: a.loc, deps: keep(refsOf(a.value)) });
  for (const inst of m.instances) {
    const childDeps = combDeps.get(inst.module);
    for (const c of inst.connections) {
      if (c.dir !== 'out') continue;
      const inputs = childDeps?.get(c.port) ?? new Set<string>();
      const deps = new Set<string>();
      for (const ic of inst.connections) {
        if (ic.dir === 'in' && inputs.has(ic.port)) for (const r of refsOf(ic.value)) deps.add(r);
      }
      g.set(c.wire, { name: c.wire, loc: c.loc, deps: keep(deps) });
    }
  }
  return g;
}
