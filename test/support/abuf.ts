// The activation buffers of an accelerator simulation, whatever their layout (gen/accel/abuf-banks.ts).
import { abufLocation, abufMemoryName } from '../../gen/accel/abuf-banks.js';
import type { AccelGeometry } from '../../gen/accel/config.js';

interface Peeker {
  peekMem(name: string, addr: number): number | bigint;
}

/** Every element of activation buffer b (copy `copy` of a copies layout; banks reassembled when banked). */
export function peekAbuf(sim: Peeker, g: AccelGeometry, b: number, copy = 0): number[] {
  const banked = g.abufBanks > 1;
  return Array.from({ length: g.abufDepth }, (_, a) => {
    const { index, word } = abufLocation(g, a);
    return Number(sim.peekMem(`accel.${abufMemoryName(b, banked ? index : copy, banked)}`, word));
  });
}
