// Whole-tile weight loading and the GEMV path (config weightLoad 'tile', gen/array.ts tileLoad, the R·C weight
// banks of gen/accel/buffers.ts, gen/accel/gemm-engine.ts; issue 14): checked here the array alone against a
// matrix product with a new tile for every vector; random programs with GEMVs and row-major POSTs on random
// tile-loading configurations against the interpreter (the oracle, every memory bit for bit); busy_gemm equal
// to gemmBusyCycles, GEMV or not; the controller's refusals; LeNet-5 on tiny and default equal to the golden
// model through the interpreter and the RTL; Verilator -Wall lint; Verilator co-simulation of whole programs.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../../hdl/dsl/index.js';
import { compile as compileSim } from '../../../sim/compile/index.js';
import { arrayLatency, arrayPorts, systolicArray } from '../../../gen/array.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../../gen/accel/config.js';
import { wbufCell } from '../../../gen/accel/buffers.js';
import { gemmBusyCycles } from '../../../gen/accel/gemm-engine.js';
import { interpret, type ProgramImage } from '../../../accel/interpret.js';
import { PRESETS, resolveConfig } from '../../../accel/config.js';
import { compile, inputToDram, readOutput } from '../../../accel/compiler.js';
import { runGolden } from '../../../accel/golden.js';
import { testImages } from '../../../accel/mnist.js';
import { readModelFile } from '../../../accel/model.js';
import { runModelImage } from '../../../accel/run.js';
import { defaultToolchain, type Toolchain } from '../../../sim/verilator/index.js';
import { cosimPrograms, expectAccelLintClean, expectCosimClean } from '../../support/accel-cosim.js';
import { gemmOnlyRun, randomConfig, randomProgram, rng, runOnRtl, type RtlRun } from '../../support/accel-programs.js';

const tileTiny: AccelHardwareConfig = { ...PRESETS.tiny!, weightLoad: 'tile' };
const tileDefault: AccelHardwareConfig = { ...PRESETS.default!, weightLoad: 'tile' };

/** RTL and interpreter agree on the final DRAM, every accumulator, weight row (read from its bank) and activation element. */
function expectSameState(config: AccelHardwareConfig, sizes: AccelSizes, image: ProgramImage, run: RtlRun): void {
  const g = accelGeometry(config, sizes);
  const want = interpret(config, image);
  expect([run.done, run.fault]).toEqual([true, false]);
  expect(run.dram).toEqual(want.dram);
  const { sim } = run;
  for (let bank = 0; bank < 2; bank++)
    for (let m = 0; m < g.accRows; m++) expect(Array.from({ length: g.cols }, (_, j) => sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m))).toEqual(want.acc[bank]![m]);
  for (let r = 0; r < g.wbufDepth; r++) expect(Array.from({ length: g.cols }, (_, j) => Number(sim.peekMem(`accel.${wbufCell(g, r, j).mem}`, wbufCell(g, r, j).addr)))).toEqual(want.wbuf[r]);
  for (let b = 0; b < 2; b++) expect(Array.from({ length: g.abufDepth }, (_, a) => Number(sim.peekMem(`accel.abuf${b}_0`, a)))).toEqual(Array.from(want.abuf[b]!));
}

/** A random tile-loading configuration (R a power of two: 1, 2 or 4; C in 1..4). */
function tileConfig(seed: number): AccelHardwareConfig {
  const base = randomConfig(rng(seed));
  return { ...base, rows: 2 ** Math.floor(Math.log2(base.rows)), doubleBuffer: true, weightLoad: 'tile' };
}

describe('array with whole-tile loading', () => {
  it.each([
    [4, 4, 1],
    [4, 3, 1],
    [2, 5, 3],
    [1, 2, 1],
    [3, 2, 2],
  ])('%i×%i, a new tile every %i vector(s), tile (i, j) presented i+j cycles after the strobe: every output equals x·W', (R, C, M) => {
    const sim = compileSim(build(systolicArray({ rows: R, cols: C, width: 8, accWidth: 32, doubleBuffer: true, tileLoad: true })));
    const r = rng(R * 100 + C * 10 + M);
    const tiles = 6;
    const W = Array.from({ length: tiles }, () => Array.from({ length: R }, () => Array.from({ length: C }, () => r.int(-128, 127))));
    const X = Array.from({ length: tiles }, () => Array.from({ length: M }, () => Array.from({ length: R }, () => r.int(-128, 127))));
    // Tile t is strobed in cycle t·M (the cycle before its first vector, which carries swap) and streams in (t·M + 1) ..
    const want: number[][] = [];
    const got: number[][] = [];
    const last = tiles * M + R + C + arrayLatency({ rows: R, cols: C }) + 2;
    for (let cycle = 0; cycle < last; cycle++) {
      const strobe = cycle % M === 0 && cycle / M < tiles;
      sim.poke(arrayPorts.loadWeight, strobe ? 1 : 0);
      for (let i = 0; i < R; i++)
        for (let j = 0; j < C; j++) {
          const s = cycle - i - j; // the strobe this PE samples now
          const t = s >= 0 && s % M === 0 ? s / M : -1;
          sim.poke(arrayPorts.tileWeight(i, j), t >= 0 && t < tiles ? W[t]![i]![j]! : 0);
        }
      const t = Math.floor((cycle - 1) / M);
      const m = cycle - 1 - t * M;
      const streaming = cycle >= 1 && t < tiles;
      sim.poke(arrayPorts.valid, streaming ? 1 : 0);
      sim.poke(arrayPorts.swap, streaming && m === 0 ? 1 : 0);
      for (let i = 0; i < R; i++) sim.poke(arrayPorts.act(i), streaming ? X[t]![m]![i]! : 0);
      if (streaming) want.push(Array.from({ length: C }, (_, j) => X[t]![m]!.reduce((sum, x, i) => sum + x * W[t]![i]![j]!, 0)));
      if (sim.peekNumber(arrayPorts.outValid) === 1) got.push(Array.from({ length: C }, (_, j) => Number(sim.peek(arrayPorts.out(j)))));
      sim.step();
    }
    expect(got).toHaveLength(tiles * M);
    expect(got).toEqual(want);
  });

  it('rejects tileLoad without doubleBuffer or with rowLoad; a machine whose R is not a power of two loads by row', () => {
    expect(() => systolicArray({ rows: 2, cols: 2, width: 8, tileLoad: true })).toThrow(/tileLoad must be false without doubleBuffer/);
    expect(() => systolicArray({ rows: 2, cols: 2, width: 8, doubleBuffer: true, tileLoad: true, rowLoad: true })).toThrow(/tileLoad must be false with rowLoad/);
    // `--set rows=6` on a preset keeps working: no banks, row loading (and no GEMV).
    const six = resolveConfig({ config: 'default', set: ['rows=6'] });
    const g = accelGeometry(six, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    expect([six.weightLoad, g.tileLoad, g.rowLoad]).toEqual(['tile', false, true]);
    expect(accelGeometry(tileDefault, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 }).tileLoad).toBe(true);
  });
});

describe('accelerator with tile loading', () => {
  it('keeps busy_gemm high for exactly gemmBusyCycles(): a K tile every max(M, R, 2) cycles, every max(M, 2) in a GEMV', () => {
    const shapes: [AccelHardwareConfig, number, number][] = [
      [tileTiny, 1, 1],
      [tileTiny, 1, 5],
      [tileTiny, 2, 3],
      [tileTiny, 3, 2],
      [tileTiny, 5, 3],
      [tileTiny, 16, 2],
      [{ ...tileTiny, rows: 1, cols: 3 }, 1, 3],
      [{ ...tileTiny, rows: 2, cols: 1 }, 2, 4],
    ];
    for (const [config, mCount, kTiles] of shapes)
      for (const gemv of [false, true]) {
        const { run, sizes } = gemmOnlyRun(config, mCount, kTiles, { gemv });
        expect([run.done, run.fault]).toEqual([true, false]);
        const busy = run.trace!.filter((t) => t.gemm === 1).length;
        expect({ R: config.rows, mCount, kTiles, gemv, busy }).toEqual({ R: config.rows, mCount, kTiles, gemv, busy: gemmBusyCycles(accelGeometry(config, sizes), mCount, kTiles, gemv) });
      }
    // fc1 of LeNet-5 on 8×8 as one GEMV: 15 N tiles × 32 K tiles = 480 vectors in 506 cycles (row loading, one
    // GEMM per N tile: 15 · 282 = 4,230).
    const g = accelGeometry(tileDefault, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    expect(gemmBusyCycles(g, 15, 32, true)).toBe(506);
    // fc3 (2 N tiles, 11 K tiles): its K tiles load no offsets after the first, 48 cycles instead of 8 + 10·8 + 20 = 108.
    expect([gemmBusyCycles(g, 2, 11, true), gemmBusyCycles(g, 2, 11)]).toEqual([48, 108]);
    expect(15 * gemmBusyCycles({ ...g, tileLoad: false, rowLoad: true }, 1, 32)).toBe(4_125);
  });

  it('the controller refuses gemv without tile loading and an unaligned wRow with it; the interpreter throws alike', () => {
    const gemv = { op: 'GEMM' as const, src: 0, bank: 0, mCount: 2, kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0, gemv: 1 };
    const cases: [AccelHardwareConfig, typeof gemv, RegExp][] = [
      [{ ...tileTiny, weightLoad: 'row' }, gemv, /gemv must be 0/],
      [tileTiny, { ...gemv, gemv: 0, wRow: 2 }, /wRow must be a multiple of R = 4/],
    ];
    for (const [config, ins, message] of cases) {
      const sizes: AccelSizes = { imemDepth: 4, pixDepth: 4, offDepth: 8, pmemDepth: 4, dramWords: 8 };
      const image: ProgramImage = { program: [ins, { op: 'HALT' }], pixmem: [0, 0, 0, 0], offmem: new Array<number>(8).fill(0), pmem: [0n, 0n, 0n, 0n], dram: new Array<bigint>(8).fill(0n) };
      const run = runOnRtl(config, sizes, image);
      expect([run.done, run.fault]).toEqual([false, true]);
      expect(() => interpret(config, image)).toThrow(message);
    }
  });

  it('runs 24 random hazard-free programs (GEMVs, row-major POSTs) on random tile-loading configurations exactly like the interpreter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const c = randomProgram(seed, tileConfig(seed));
        expectSameState(c.config, c.sizes, c.image, runOnRtl(c.config, c.sizes, c.image));
      }),
      { seed: 1415, numRuns: 24 },
    );
    // The generator draws both new kinds often: GEMVs and row-major POSTs (seeds 1..24).
    const all = Array.from({ length: 24 }, (_, k) => randomProgram(k + 1, tileConfig(k + 1)).image.program).flat();
    expect(all.filter((i) => i.op === 'GEMM' && i.gemv === 1).length).toBeGreaterThanOrEqual(20);
    expect(all.filter((i) => i.op === 'POST' && !i.pool && i.window).length).toBeGreaterThanOrEqual(10);
  }, 120_000);

  it.each([
    ['tiny', tileTiny],
    ['default', tileDefault],
  ])('LeNet-5 on %s: the interpreter and the RTL give the golden logits; fc layers are GEMVs where their weights fit', (_name, config) => {
    const model = readModelFile('models/lenet5-mnist-int8.sfm');
    const compiled = compile(model, config);
    const gemvs = compiled.program.filter((i) => i.op === 'GEMM' && i.gemv === 1).length;
    // default: fc1, fc2, fc3; tiny: fc3 only (fc1's and fc2's blocks exceed half its wbuf, so their N tiles stream).
    expect(gemvs).toBe(config === tileTiny ? 1 : 3);
    for (const { image } of testImages(2)) {
      const want = Array.from(runGolden(model, image).logits);
      expect(Array.from(readOutput(compiled, interpret(config, { ...compiled, dram: inputToDram(compiled, image) }).dram))).toEqual(want);
      const run = runModelImage(config, compiled, image);
      expect([run.done, run.fault]).toEqual([true, false]);
      expect(Array.from(run.logits)).toEqual(want);
    }
  }, 120_000);

  it('emits Verilog that lints clean (tiny and default with tile loading)', () => {
    const sizes: AccelSizes = { imemDepth: 64, pixDepth: 256, offDepth: 128, pmemDepth: 32, dramWords: 1024 };
    expectAccelLintClean([tileTiny, tileDefault], sizes, 'tileload');
  }, 120_000);

  describe('Verilator co-simulation', () => {
    let toolchain: Toolchain;
    beforeAll(async () => {
      toolchain = await defaultToolchain();
    });

    it('agrees with the TS simulator on every output and register in every cycle of two random programs with GEMVs', async () => {
      const programs = [31, 33].map((seed) => randomProgram(seed, tileConfig(seed)));
      for (const p of programs) expect(p.image.program.some((i) => i.op === 'GEMM' && i.gemv === 1)).toBe(true);
      expectCosimClean(await cosimPrograms(programs, toolchain), { cycles: 100, registers: 100 });
    }, 300_000);
  });
});

describe('compilers on tile-loading machines', () => {
  it('the streaming compiler puts the second wbuf half at an R-aligned row when the bank count is odd (cifar10 CNN, interpreter = golden)', () => {
    const model = readModelFile('models/cifar10-cnn-random-int8.sfm');
    // 4·4·4·257 bytes: 1,028 wbuf rows = 257 tiles of 4; half the buffer (514 rows) is not a tile boundary.
    const config: AccelHardwareConfig = { ...tileTiny, weightBufferBytes: 4 * 4 * 257 };
    const compiled = compile(model, config);
    const wRows = compiled.program.flatMap((i) => (i.op === 'GEMM' ? [i.wRow] : []));
    expect(wRows.some((r) => r > 0)).toBe(true);
    expect(wRows.every((r) => r % 4 === 0)).toBe(true);
    const image = Int8Array.from({ length: model.input.shape[0] * model.input.shape[1] * model.input.shape[2] }, (_, k) => ((k * 37) % 255) - 127);
    expect(Array.from(readOutput(compiled, interpret(config, { ...compiled, dram: inputToDram(compiled, image) }).dram))).toEqual(Array.from(runGolden(model, image).logits));
  }, 120_000);
});
