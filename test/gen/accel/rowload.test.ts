// Row-addressed weight loading (config weightLoad 'row', gen/array.ts rowLoad, gen/accel/gemm-engine.ts;
// issue 14): the semantics of every instruction are unchanged (the interpreter is the oracle, bit for
// bit), only the GEMM's timing: a K tile every max(M, R) cycles instead of max(M, 2R − 1). Checked here:
// the array alone against a matrix product at the fastest legal schedule; random programs on random
// configurations against the interpreter; busy_gemm equal to gemmBusyCycles; LeNet-5 on default equal
// to the golden model; Verilator co-simulation of whole programs; Verilator -Wall lint.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../../hdl/dsl/index.js';
import { compile as compileSim } from '../../../sim/compile/index.js';
import { arrayLatency, arrayPorts, systolicArray } from '../../../gen/array.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../../gen/accel/config.js';
import { gemmBusyCycles } from '../../../gen/accel/gemm-engine.js';
import { interpret, type ProgramImage } from '../../../accel/interpret.js';
import { PRESETS } from '../../../accel/config.js';
import { compile } from '../../../accel/compiler.js';
import { runGolden } from '../../../accel/golden.js';
import { testImages } from '../../../accel/mnist.js';
import { readModelFile } from '../../../accel/model.js';
import { runModelImage } from '../../../accel/run.js';
import { defaultToolchain, type Toolchain } from '../../../sim/verilator/index.js';
import { cosimPrograms, expectAccelLintClean, expectCosimClean } from '../../support/accel-cosim.js';
import { peekAbuf } from '../../support/abuf.js';
import { gemmOnlyRun, randomConfig, randomProgram, rng, runOnRtl, type RtlRun } from '../../support/accel-programs.js';

const rowTiny: AccelHardwareConfig = { ...PRESETS.tiny!, weightLoad: 'row' };
const rowDefault: AccelHardwareConfig = { ...PRESETS.default!, weightLoad: 'row' };

/** RTL and interpreter agree on the final DRAM, every accumulator, weight row and activation element. */
function expectSameState(config: AccelHardwareConfig, sizes: AccelSizes, image: ProgramImage, run: RtlRun): void {
  const g = accelGeometry(config, sizes);
  const want = interpret(config, image);
  expect([run.done, run.fault]).toEqual([true, false]);
  expect(run.dram).toEqual(want.dram);
  const { sim } = run;
  for (let bank = 0; bank < 2; bank++)
    for (let m = 0; m < g.accRows; m++) expect(Array.from({ length: g.cols }, (_, j) => sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m))).toEqual(want.acc[bank]![m]);
  for (let r = 0; r < g.wbufDepth; r++) expect(Array.from({ length: g.cols }, (_, j) => Number(sim.peekMem(`accel.wbuf_${j}`, r)))).toEqual(want.wbuf[r]);
  for (let b = 0; b < 2; b++) expect(peekAbuf(sim, g, b)).toEqual(Array.from(want.abuf[b]!));
}

/** A random double-buffered configuration with row loading (R, C in 1..4). */
function rowConfig(seed: number): AccelHardwareConfig {
  return { ...randomConfig(rng(seed)), doubleBuffer: true, weightLoad: 'row' };
}

describe('array with row-addressed loading', () => {
  it.each([
    [4, 4, 1],
    [4, 3, 2],
    [3, 5, 4],
    [1, 2, 1],
    [5, 2, 7],
  ])('%i×%i, tiles of M = %i vectors every max(M, R) cycles, rows top first: every output equals x·W', (R, C, M) => {
    const sim = compileSim(build(systolicArray({ rows: R, cols: C, width: 8, accWidth: 32, doubleBuffer: true, rowLoad: true })));
    const r = rng(R * 100 + C * 10 + M);
    const tiles = 5;
    const W = Array.from({ length: tiles }, () => Array.from({ length: R }, () => Array.from({ length: C }, () => r.int(-128, 127))));
    const X = Array.from({ length: tiles }, () => Array.from({ length: M }, () => Array.from({ length: R }, () => r.int(-128, 127))));
    const period = Math.max(M, R);
    // Tile t loads row i in cycle t·period + i and swaps in with its first vector at (t+1)·period.
    const want: number[][] = [];
    const got: number[][] = [];
    const last = (tiles + 1) * period + arrayLatency({ rows: R, cols: C }) + 2;
    for (let cycle = 0; cycle < last; cycle++) {
      const loadTile = Math.floor(cycle / period);
      const row = cycle - loadTile * period;
      const loading = loadTile < tiles && row < R;
      sim.poke(arrayPorts.loadWeight, loading ? 1 : 0);
      sim.poke(arrayPorts.loadRow, loading ? row : 0);
      for (let j = 0; j < C; j++) sim.poke(arrayPorts.weight(j), loading ? W[loadTile]![row]![j]! : 0);
      const streamTile = Math.floor(cycle / period) - 1;
      const m = cycle - (streamTile + 1) * period;
      const streaming = streamTile >= 0 && streamTile < tiles && m < M;
      sim.poke(arrayPorts.valid, streaming ? 1 : 0);
      sim.poke(arrayPorts.swap, streaming && m === 0 ? 1 : 0);
      for (let i = 0; i < R; i++) sim.poke(arrayPorts.act(i), streaming ? X[streamTile]![m]![i]! : 0);
      if (streaming) want.push(Array.from({ length: C }, (_, j) => X[streamTile]![m]!.reduce((s, x, i) => s + x * W[streamTile]![i]![j]!, 0)));
      if (sim.peekNumber(arrayPorts.outValid) === 1) got.push(Array.from({ length: C }, (_, j) => Number(sim.peek(arrayPorts.out(j)))));
      sim.step();
    }
    expect(got).toEqual(want);
  });

  it('rejects rowLoad without doubleBuffer; a single-buffered accelerator shifts whatever weightLoad says', () => {
    expect(() => systolicArray({ rows: 2, cols: 2, width: 8, rowLoad: true })).toThrow(/rowLoad must be false without doubleBuffer/);
    const single = { ...PRESETS.tiny!, doubleBuffer: false, weightLoad: 'row' as const };
    expect(accelGeometry(single, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 }).rowLoad).toBe(false);
    expect(gemmBusyCycles(single, 3, 2)).toBe(gemmBusyCycles({ ...single, weightLoad: 'shift' }, 3, 2));
  });
});

describe('accelerator with row-addressed loading', () => {
  it('keeps busy_gemm high for exactly gemmBusyCycles(): a K tile every max(M, R, 2) cycles', () => {
    const shapes: [AccelHardwareConfig, number, number][] = [
      [rowTiny, 1, 1],
      [rowTiny, 1, 5],
      [rowTiny, 3, 2],
      [rowTiny, 4, 3],
      [rowTiny, 5, 3],
      [rowTiny, 16, 2],
      [{ ...rowTiny, rows: 1, cols: 3 }, 1, 3],
      [{ ...rowTiny, rows: 2, cols: 1 }, 2, 4],
    ];
    for (const [config, mCount, kTiles] of shapes) {
      const { run, sizes } = gemmOnlyRun(config, mCount, kTiles);
      const busy = run.trace!.filter((t) => t.gemm === 1).length;
      expect({ R: config.rows, mCount, kTiles, busy }).toEqual({ R: config.rows, mCount, kTiles, busy: gemmBusyCycles(accelGeometry(config, sizes), mCount, kTiles) });
    }
    // M = 1 on 8×8: a tile every 8 cycles instead of 15.
    const g = accelGeometry(rowDefault, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    expect(gemmBusyCycles(g, 1, 32) - gemmBusyCycles(g, 1, 31)).toBe(8);
    const shift = { ...PRESETS.default!, weightLoad: 'shift' as const };
    expect(gemmBusyCycles(shift, 1, 32) - gemmBusyCycles(shift, 1, 31)).toBe(15);
  });

  it('runs 24 random hazard-free programs on random row-loading configurations exactly like the interpreter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const c = randomProgram(seed, rowConfig(seed));
        expectSameState(c.config, c.sizes, c.image, runOnRtl(c.config, c.sizes, c.image));
      }),
      { seed: 1414, numRuns: 24 },
    );
  }, 60_000);

  it('LeNet-5 on default with row loading: logits equal the golden model, fc layers R/(2R−1) faster, the estimate within 0.5%', () => {
    const model = readModelFile('models/lenet5-mnist-int8.sfm');
    // The same mapping; the M tiles may differ (the schedule picks them by its estimate of the timing).
    const row = compile(model, rowDefault);
    const image = testImages(1)[0]!.image;
    const run = runModelImage(rowDefault, row, image);
    expect([run.done, run.fault]).toEqual([true, false]);
    expect(Array.from(run.logits)).toEqual(Array.from(runGolden(model, image).logits));
    // Measured: 11,497 cycles (shift loading: 15,952).
    expect(run.cycles).toBeLessThanOrEqual(Math.round(11_497 * 1.005));
    expect(Math.abs(row.estimatedCycles! - run.cycles) / run.cycles).toBeLessThan(0.005);
  }, 60_000);

  it('emits Verilog that lints clean (tiny and default with row loading)', () => {
    const sizes: AccelSizes = { imemDepth: 64, pixDepth: 256, offDepth: 128, pmemDepth: 32, dramWords: 1024 };
    expectAccelLintClean([rowTiny, rowDefault], sizes, 'rowload');
  }, 60_000);

  describe('Verilator co-simulation', () => {
    let toolchain: Toolchain;
    beforeAll(async () => {
      toolchain = await defaultToolchain();
    });

    it('agrees with the TS simulator on every output and register in every cycle of two random programs', async () => {
      const programs = [21, 22].map((seed) => randomProgram(seed, rowConfig(seed)));
      expectCosimClean(await cosimPrograms(programs, toolchain), { cycles: 100, registers: 100 });
    }, 300_000);
  });
});
