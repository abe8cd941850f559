// Canonical S-expression text of the IR, for tests and for de-duplicating modules.
// Source locations are left out so that the same hardware built from two places dumps the same.
import type { Design, Expr, Module, Shape } from './types.js';

const sh = (s: Shape): string => `${s.signed ? 's' : 'u'}${s.width}`;

export function dumpExpr(e: Expr): string {
  switch (e.kind) {
    case 'const':
      return `${e.value}:${sh(e.shape)}`;
    case 'ref':
      return e.name;
    case 'unary':
      return `(${e.op}:${sh(e.shape)} ${dumpExpr(e.arg)})`;
    case 'binary':
      return `(${e.op}:${sh(e.shape)} ${dumpExpr(e.lhs)} ${dumpExpr(e.rhs)})`;
    case 'shiftc':
      return `(${e.op}:${sh(e.shape)} ${dumpExpr(e.arg)} ${e.amount})`;
    case 'mux':
      return `(mux:${sh(e.shape)} ${dumpExpr(e.sel)} ${dumpExpr(e.whenTrue)} ${dumpExpr(e.whenFalse)})`;
    case 'concat':
      return `(concat:${sh(e.shape)} ${e.parts.map(dumpExpr).join(' ')})`;
    case 'slice':
      return `(slice:${sh(e.shape)} ${dumpExpr(e.arg)} ${e.lo})`;
    case 'extend':
      return `(${e.mode === 'zero' ? 'zext' : 'sext'}:${sh(e.shape)} ${dumpExpr(e.arg)})`;
    case 'trunc':
      return `(trunc:${sh(e.shape)} ${dumpExpr(e.arg)})`;
    case 'cast':
      return `(cast:${sh(e.shape)} ${dumpExpr(e.arg)})`;
  }
}

const str = (s: string): string => JSON.stringify(s);

/** The module's body without its name, generator or parameters: equal bodies are the same hardware. */
export function dumpModuleBody(m: Module): string {
  const lines: string[] = [];
  for (const p of m.ports) lines.push(`(port ${p.dir} ${p.name} ${sh(p.shape)})`);
  for (const w of m.wires) lines.push(`(wire ${w.name} ${sh(w.shape)})`);
  for (const r of m.regs) {
    const parts = [`(reg ${r.name} ${sh(r.shape)}`, `(reset ${r.reset === null ? 'none' : r.reset})`, `(init ${r.init})`];
    if (r.next) parts.push(`(next ${dumpExpr(r.next)})`);
    if (r.enable) parts.push(`(enable ${dumpExpr(r.enable)})`);
    lines.push(parts.join(' ') + ')');
  }
  for (const mem of m.mems) {
    const parts = [`(mem ${mem.name} ${sh(mem.shape)} (depth ${mem.depth})`];
    if (mem.init) parts.push(`(init ${mem.init.join(' ')})`);
    for (const w of mem.writePorts) {
      parts.push(`(write (addr ${dumpExpr(w.addr)}) (data ${dumpExpr(w.data)}) (enable ${dumpExpr(w.enable)}))`);
    }
    for (const r of mem.readPorts) {
      parts.push(`(read ${r.name} (addr ${dumpExpr(r.addr)})${r.enable ? ` (enable ${dumpExpr(r.enable)})` : ''})`);
    }
    lines.push(parts.join(' ') + ')');
  }
  for (const inst of m.instances) {
    const conns = inst.connections.map((c) =>
      c.dir === 'in' ? `(in ${c.port} ${dumpExpr(c.value)})` : `(out ${c.port} ${c.wire})`,
    );
    lines.push(`(instance ${inst.name} ${inst.module} ${conns.join(' ')})`);
  }
  for (const a of m.assigns) lines.push(`(assign ${a.target} ${dumpExpr(a.value)})`);
  return lines.map((l) => `  ${l}`).join('\n');
}

export function dumpModule(m: Module): string {
  const params = Object.entries(m.params)
    .map(([k, v]) => ` (${k} ${typeof v === 'string' ? str(v) : String(v)})`)
    .join('');
  return `(module ${m.name} (generator ${str(m.generator)}) (params${params})\n${dumpModuleBody(m)})`;
}

export function dumpDesign(d: Design): string {
  return `(design ${d.top}\n${d.modules.map(dumpModule).join('\n')})\n`;
}
