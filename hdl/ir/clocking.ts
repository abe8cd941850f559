// Which modules take the implicit clock `clk` and reset `rst` as ports. A module gets `clk` when it
// (or any module it instantiates) has registers or memories, and `rst` when it (or any module it
// instantiates) has a register with a reset value; so no module carries an unused port.
import type { Design, Module } from './types.js';

export interface Clocking {
  readonly clk: boolean;
  readonly rst: boolean;
}

export function clockingOf(design: Design): Map<string, Clocking> {
  const result = new Map<string, Clocking>();
  const byName = new Map(design.modules.map((m) => [m.name, m]));
  const visit = (m: Module): Clocking => {
    const known = result.get(m.name);
    if (known) return known;
    let clk = m.regs.length > 0 || m.mems.length > 0;
    let rst = m.regs.some((r) => r.reset !== null);
    for (const inst of m.instances) {
      const child = byName.get(inst.module);
      if (!child) continue;
      const c = visit(child);
      clk ||= c.clk;
      rst ||= c.rst;
    }
    const c = { clk, rst };
    result.set(m.name, c);
    return c;
  };
  for (const m of design.modules) visit(m);
  return result;
}

export function topModule(design: Design): Module {
  const m = design.modules.find((x) => x.name === design.top);
  if (!m) throw new Error(`design top '${design.top}' is not among its modules`);
  return m;
}
