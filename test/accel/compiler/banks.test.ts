// accel/compiler/banks.ts: K tiles for banked activation buffers. Every tile reads distinct banks, the order is a
// permutation of the reduction (each entry once, padding null), and the tile count is the least possible:
// max(ceil(K/R), the largest residue class mod NB).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOrder, reductionOrder, reductionTiles, tiledReduction, tileConflict } from '../../../accel/compiler/banks.js';
import { abufBankCount } from '../../../gen/accel/config.js';

describe('reductionOrder', () => {
  it('random offsets: conflict-free tiles, a permutation of the input, max(ceil(K/R), largest residue class) tiles', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 0, maxLength: 300 }), (R, offsets) => {
        const NB = abufBankCount(R);
        const order = reductionOrder(offsets, R, NB);
        expect(order.length % R).toBe(0);
        const tiles = order.length / R;
        const counts = new Map<number, number>();
        for (const o of offsets) counts.set(o % NB, (counts.get(o % NB) ?? 0) + 1);
        expect(tiles).toBe(Math.max(Math.ceil(offsets.length / R), ...counts.values(), 0));
        // A permutation: every input index exactly once, the rest padding.
        const used = order.filter((k): k is number => k !== null).sort((a, b) => a - b);
        expect(used).toEqual(offsets.map((_, k) => k));
        const tiled = applyOrder(order, offsets, null);
        for (let t = 0; t < tiles; t++) expect(tileConflict(tiled.slice(t * R, t * R + R), NB)).toBeNull();
      }),
      { seed: 1414, numRuns: 300 },
    );
  });

  it('is the identity, padded to whole tiles, for read copies (banks = 1)', () => {
    expect(reductionOrder([5, 5, 5, 7, 9], 2, 1)).toEqual([0, 1, 2, 3, 4, null]);
    expect(reductionTiles([5, 5, 5, 7, 9], 2, 1)).toBe(3);
  });

  it('a residue class larger than ceil(K/R) sets the tile count; offsets and weight indices move together', () => {
    // R = 2, NB = 4: offsets 0, 4, 8, 12 all in bank 0 need four tiles; 1 and 2 fill in beside them.
    const offsets = [0, 4, 8, 12, 1, 2];
    expect(reductionTiles(offsets, 2, 4)).toBe(4);
    const red = tiledReduction([10, 11, 12, 13, 14, 15], offsets, 2, 4);
    expect(red.k.map((k) => (k === null ? null : offsets[k - 10]))).toEqual(red.offsets);
    expect(red.offsets).toEqual([0, 1, 4, 2, 8, null, 12, null]);
  });

  it('tileConflict names the first two slots of one bank and skips padding', () => {
    expect(tileConflict([3, null, 19, 35], 16)).toEqual([0, 2]);
    expect(tileConflict([3, null, 4, 5], 16)).toBeNull();
  });
});
