// Code generation: the flat, levelized netlist becomes the text of straight-line JavaScript
// functions (Amaranth's sim/_pyrtl.py compiles to Python source the same way; PyMTL3 generates its
// tick function). State lives in typed arrays:
//   s32  Int32Array    nets and staging slots of width <= 32
//   f64  Float64Array  nets of width 33..53 (exact integers in doubles)
//   big  Array         nets of width > 53 (BigInt)
//   meta Float64Array  [0] = cycle count (read by cycle-range forces)
//   cnt  Float64Array  activity counters (only touched by variants compiled with counters)
//   m0.. one array per memory (same classes by word width)
// Generated functions:
//   evalS()  the state cone in level order (after every edge)
//   evalI()  the input cone (lazily, after pokes)
//   edge()   the clock edge (./edge.ts)
// Force and counter code exists only in variants compiled with them (zero cost otherwise).
import { emitEdge } from './edge.js';
import type { FlatDesign } from './flatten.js';
import type { Levels } from './levelize.js';
import { PRELUDE } from './ops.js';
import { PhaseWriter, type Slot, type SlotClass, slotClassOf, slotText } from './writer.js';

export { loadText, slotClassOf, slotText, type Slot, type SlotClass } from './writer.js';

export interface Layout {
  /** Storage of every net (an alias shares its root's slot). */
  readonly netSlots: readonly Slot[];
  readonly sizes: Readonly<Record<SlotClass, number>>;
  /** Storage class of each memory's words. */
  readonly memClasses: readonly SlotClass[];
  /** Counters: each register's [writes, toggles], then each memory's [reads, writes]. */
  readonly counterSize: number;
}

export interface GenerateOptions {
  readonly counters: boolean;
  /** Statements per generated function before a new one starts. */
  readonly chunkSize: number;
}

export interface Generated {
  readonly source: string;
  readonly layout: Layout;
}

export function generate(flat: FlatDesign, levels: Levels, options: GenerateOptions): Generated {
  const sizes: Record<SlotClass, number> = { i32: 0, f64: 0, big: 0 };
  const alloc = (width: number): Slot => {
    const cls = slotClassOf(width);
    return { cls, index: sizes[cls]++ };
  };
  const netSlots: Slot[] = [];
  for (const n of flat.nets) if (n.kind !== 'alias') netSlots[n.id] = alloc(n.shape.width);
  for (const n of flat.nets) if (n.kind === 'alias') netSlots[n.id] = netSlots[(n.expr as { net: number }).net]!;
  const memClasses = flat.mems.map((m) => slotClassOf(m.shape.width));
  const ctx = { flat, netSlots, chunkSize: options.chunkSize, counters: options.counters, memClasses, alloc };

  const cone = (name: string, ids: readonly number[]): string[] => {
    const w = new PhaseWriter(name, ctx);
    for (const id of ids) {
      const net = flat.nets[id]!;
      let v = w.expr(net.expr!).code;
      if (net.forces.length > 0) v = w.forced(v, net.shape, net.forces);
      w.line(`${slotText(netSlots[id]!)} = ${v};`);
      w.setLocal(id, v);
      w.boundary();
    }
    return w.finish();
  };
  const evalS = cone('evalS', levels.stateCone);
  const evalI = cone('evalI', levels.inputCone);
  const edge = emitEdge(ctx);

  const header = [
    `// splitfuse compiled simulator for design '${flat.top}'`,
    `// ${flat.nets.length} nets (${levels.stateCone.length} computed in the state cone, ${levels.inputCone.length} in the input cone), ` +
      `${flat.regs.length} registers, ${flat.mems.length} memories; counters ${options.counters ? 'on' : 'off'}`,
    `"use strict";`,
    `const s32 = S.s32, f64 = S.f64, big = S.big, meta = S.meta, cnt = S.cnt;`,
    ...flat.mems.map((m, i) => `const m${i} = S.mems[${i}]; // ${m.name}: ${m.depth} x ${m.shape.signed ? 'SInt' : 'UInt'}(${m.shape.width})`),
  ];
  const source = [...header, PRELUDE, ...evalS, ...evalI, ...edge, 'return { evalS, evalI, edge };'].join('\n') + '\n';
  const layout: Layout = { netSlots, sizes, memClasses, counterSize: 2 * (flat.regs.length + flat.mems.length) };
  return { source, layout };
}
