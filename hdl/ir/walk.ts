// Generic traversal helpers over expressions and modules.
import type { Expr, Module } from './types.js';

/** The direct operands of an expression node. */
export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'const':
    case 'ref':
      return [];
    case 'unary':
    case 'shiftc':
    case 'slice':
    case 'extend':
    case 'trunc':
    case 'cast':
      return [e.arg];
    case 'binary':
      return [e.lhs, e.rhs];
    case 'mux':
      return [e.sel, e.whenTrue, e.whenFalse];
    case 'concat':
      return e.parts;
  }
}

/** Names of the signals an expression reads (each once, in first-seen order). */
export function refsOf(e: Expr, out: Set<string> = new Set(), seen: Set<Expr> = new Set()): Set<string> {
  if (seen.has(e)) return out;
  seen.add(e);
  if (e.kind === 'ref') out.add(e.name);
  for (const c of children(e)) refsOf(c, out, seen);
  return out;
}

/** Every expression root of a module with a label saying where it is used. */
export function moduleExprRoots(m: Module): { where: string; expr: Expr }[] {
  const roots: { where: string; expr: Expr }[] = [];
  for (const a of m.assigns) roots.push({ where: `assign ${a.target}`, expr: a.value });
  for (const r of m.regs) {
    if (r.next) roots.push({ where: `next of ${r.name}`, expr: r.next });
    if (r.enable) roots.push({ where: `enable of ${r.name}`, expr: r.enable });
  }
  for (const mem of m.mems) {
    for (const w of mem.writePorts) {
      roots.push({ where: `write address of ${mem.name}`, expr: w.addr });
      roots.push({ where: `write data of ${mem.name}`, expr: w.data });
      roots.push({ where: `write enable of ${mem.name}`, expr: w.enable });
    }
    for (const r of mem.readPorts) {
      roots.push({ where: `read address of ${r.name}`, expr: r.addr });
      if (r.enable) roots.push({ where: `read enable of ${r.name}`, expr: r.enable });
    }
  }
  for (const inst of m.instances) {
    for (const c of inst.connections) if (c.dir === 'in') roots.push({ where: `${inst.name}.${c.port}`, expr: c.value });
  }
  return roots;
}
