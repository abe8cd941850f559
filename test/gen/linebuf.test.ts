// The line buffer (gen/linebuf.ts) against lineBufferReference: every K×K window, in order, in the
// cycle after its bottom-right pixel, in the compiled simulator over K, map widths, pixel widths and
// signedness with valid gaps; Verilator agrees cycle for cycle; -Wall lint clean at the extremes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINEBUF_LATENCY, lineBuffer, lineBufferReference, windowPort, type LineBufferOptions } from '../../gen/linebuf.js';
import { build } from '../../hdl/dsl/index.js';
import { compile } from '../../sim/compile/index.js';
import type { Stimulus } from '../../sim/verilator/index.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, pixelStream } from './blocks-support.js';

const streamOf = (options: LineBufferOptions, rows: number, seed: number): { pixels: bigint[]; stimulus: Stimulus } => pixelStream(options, rows, seed, 1);

/** The windows seen with window_valid, checking each comes LINEBUF_LATENCY after its bottom-right pixel. */
function runLineBuffer(options: LineBufferOptions, stimulus: Stimulus): bigint[][][] {
  const { k, cols } = options;
  const sim = compile(build(lineBuffer(options)));
  const windows: bigint[][][] = [];
  let seen = 0;
  const dueAt = new Set<number>();
  stimulus.forEach((row, t) => {
    sim.poke('rst', row.rst!);
    sim.poke('valid', row.valid!);
    sim.poke('pix', row.pix!);
    if (row.rst === 0 && row.valid === 1) {
      if (Math.floor(seen / cols) >= k - 1 && seen % cols >= k - 1) dueAt.add(t + LINEBUF_LATENCY);
      seen++;
    }
    sim.step();
    const valid = sim.peek('window_valid') === 1n;
    expect(valid, `window_valid in cycle ${t + 1}`).toBe(dueAt.has(t + 1));
    if (valid) windows.push(Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => sim.peek(windowPort(i, j)))));
  });
  return windows;
}

const lineBufferOptions = fc
  .record({ k: fc.integer({ min: 1, max: 5 }), extraCols: fc.integer({ min: 0, max: 4 }), width: fc.integer({ min: 1, max: 32 }), signed: fc.boolean() })
  .map(({ k, extraCols, width, signed }) => ({ k, cols: k + extraCols, width, signed }));

describe('line buffer', () => {
  it('emits every K×K window in row-major order of its top-left pixel, one cycle after its bottom-right pixel', () => {
    fc.assert(
      fc.property(lineBufferOptions, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 1 << 30 }), (options, extraRows, seed) => {
        const { pixels, stimulus } = streamOf(options, options.k + extraRows, seed);
        expect(runLineBuffer(options, stimulus)).toEqual(lineBufferReference(pixels, options.k, options.cols));
      }),
      { seed: 0x11e, numRuns: 40 },
    );
  });

  it('gives the 3×3 windows of a known 4×4 map', () => {
    const pixels = Array.from({ length: 16 }, (_, i) => BigInt(i));
    const stimulus: Stimulus = [{ rst: 1, valid: 0, pix: 0 }, ...pixels.map((pix) => ({ rst: 0, valid: 1, pix })), { rst: 0, valid: 0, pix: 0 }];
    const windows = runLineBuffer({ k: 3, cols: 4, width: 8, signed: false }, stimulus);
    expect(windows.map((w) => w[0]![0])).toEqual([0n, 1n, 4n, 5n]);
    expect(windows[3]).toEqual([
      [5n, 6n, 7n],
      [9n, 10n, 11n],
      [13n, 14n, 15n],
    ]);
  });

  it('agrees with Verilator cycle for cycle at several parameter points', { timeout: COSIM_TIMEOUT }, async () => {
    const points: LineBufferOptions[] = [
      { k: 1, cols: 1, width: 1, signed: false },
      { k: 3, cols: 5, width: 8, signed: true },
      { k: 5, cols: 12, width: 8, signed: true },
      { k: 2, cols: 3, width: 32, signed: false },
    ];
    await expectCosimAgrees(points.map((o, i) => ({ design: build(lineBuffer(o)), stimulus: streamOf(o, o.k + 3, 70 + i).stimulus })));
  });

  it.each([
    { k: 1, cols: 1, width: 1, signed: false },
    { k: 5, cols: 28, width: 8, signed: true },
    { k: 8, cols: 64, width: 32, signed: true },
  ])('lints clean: %o', (options) => expectLintClean(lineBuffer(options)));
});
