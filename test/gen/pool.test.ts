// The 2×2 stride-2 max-pool unit (gen/pool.ts) against maxPool2Reference: pooled pixels, their order
// and their cycle (POOL_LATENCY after the block's last pixel) in the compiled simulator over widths,
// signedness, map widths and valid gaps; Verilator agrees cycle for cycle; -Wall lint clean.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxPool2, maxPool2Reference, POOL_LATENCY, type PoolOptions } from '../../gen/pool.js';
import { build } from '../../hdl/dsl/index.js';
import { compile } from '../../sim/compile/index.js';
import type { Stimulus } from '../../sim/verilator/index.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, pixelStream } from './blocks-support.js';

const streamOf = (options: PoolOptions, rows: number, seed: number): { pixels: bigint[]; stimulus: Stimulus } => pixelStream(options, rows, seed, 2);

/** Run the stimulus; the pooled pixels in order, checking each appears POOL_LATENCY after a block's last pixel. */
function runPool(options: PoolOptions, stimulus: Stimulus): bigint[] {
  const sim = compile(build(maxPool2(options)));
  const out: bigint[] = [];
  let seen = 0; // valid pixels so far
  const dueAt = new Set<number>();
  stimulus.forEach((row, t) => {
    sim.poke('rst', row.rst!);
    sim.poke('valid', row.valid!);
    sim.poke('pix', row.pix!);
    if (row.rst === 0 && row.valid === 1) {
      const r = Math.floor(seen / options.cols);
      const c = seen % options.cols;
      if (r % 2 === 1 && c % 2 === 1) dueAt.add(t + POOL_LATENCY);
      seen++;
    }
    sim.step();
    const valid = sim.peek('out_valid') === 1n;
    expect(valid, `out_valid in cycle ${t + 1}`).toBe(dueAt.has(t + 1));
    if (valid) out.push(sim.peek('out'));
  });
  return out;
}

const poolOptions = fc.record({
  cols: fc.integer({ min: 1, max: 6 }).map((h) => 2 * h),
  width: fc.constantFrom(8 as const, 16 as const),
  signed: fc.boolean(),
});

describe('2×2 max-pool', () => {
  it('emits the maximum of every 2×2 block in row-major order, one cycle after its last pixel', () => {
    fc.assert(
      fc.property(poolOptions, fc.integer({ min: 2, max: 7 }), fc.integer({ min: 1, max: 1 << 30 }), (options, rows, seed) => {
        const { pixels, stimulus } = streamOf(options, rows, seed);
        expect(runPool(options, stimulus)).toEqual(maxPool2Reference(pixels, options.cols));
      }),
      { seed: 0x9001, numRuns: 40 },
    );
  });

  it('pools a known 4×4 map', () => {
    const pixels = [1, -2, 3, 4, 5, 6, -7, 8, -9, -10, 11, 12, -13, -14, 15, -16].map(BigInt);
    expect(maxPool2Reference(pixels, 4)).toEqual([6n, 8n, -9n, 15n]);
    const stimulus: Stimulus = [{ rst: 1, valid: 0, pix: 0 }, ...pixels.map((pix) => ({ rst: 0, valid: 1, pix })), { rst: 0, valid: 0, pix: 0 }];
    expect(runPool({ cols: 4, width: 8, signed: true }, stimulus)).toEqual([6n, 8n, -9n, 15n]);
  });

  it('agrees with Verilator cycle for cycle at several parameter points', { timeout: COSIM_TIMEOUT }, async () => {
    const points: PoolOptions[] = [
      { cols: 2, width: 8, signed: true },
      { cols: 28, width: 8, signed: true },
      { cols: 6, width: 16, signed: false },
      { cols: 10, width: 16, signed: true },
    ];
    await expectCosimAgrees(points.map((o, i) => ({ design: build(maxPool2(o)), stimulus: streamOf(o, 6, 50 + i).stimulus })));
  });

  it.each([
    { cols: 2, width: 8 as const, signed: true },
    { cols: 28, width: 8 as const, signed: true },
    { cols: 4096, width: 16 as const, signed: false },
  ])('lints clean: %o', (options) => expectLintClean(maxPool2(options)));
});
