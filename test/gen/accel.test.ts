// The accelerator RTL (gen/accel): programs run in the compiled simulator must leave exactly the
// DRAM (and buffers) the ISA interpreter (accel/interpret.ts) computes, bit for bit; the GEMM engine
// streams K tiles back to back with the cycle count gemmBusyCycles() states; the Verilog lints clean
// and Verilator agrees with the TS simulator on every output in every cycle.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../hdl/dsl/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../gen/accel/config.js';
import { wbufCell } from '../../gen/accel/buffers.js';
import { encode, encodeOffset, encodeParam, FIELDS, type Instruction } from '../../gen/accel/isa.js';
import { gemmBusyCycles } from '../../gen/accel/gemm-engine.js';
import { accelSimTop } from '../../gen/accel/simtop.js';
import { interpret, type ProgramImage } from '../../accel/interpret.js';
import { PRESETS } from '../../accel/config.js';
import { defaultToolchain, describeMismatch, type Toolchain } from '../../sim/verilator/index.js';
import { lintVerilator, tempDir } from '../support/tools.js';
import { cosimPrograms } from '../support/accel-cosim.js';
import { peekAbuf } from '../support/abuf.js';
import { convProgram, convReference, gemmOnlyRun, packElements, packWeightRows, randomConfig, randomProgram, rng, runOnRtl, unpackElements, type RtlRun } from '../support/accel-programs.js';

type Transfer = Extract<Instruction, { buf: number }>;

const tiny = PRESETS.tiny!;
const dflt = PRESETS.default!;

/** RTL and interpreter agree on the final DRAM, every accumulator, weight row and every copy (or the banks) of both activation buffers. */
function expectSameState(config: AccelHardwareConfig, sizes: AccelSizes, image: ProgramImage, run: RtlRun): void {
  const g = accelGeometry(config, sizes);
  const want = interpret(config, image);
  expect(run.fault).toBe(false);
  expect(run.done).toBe(true);
  expect(run.dram).toEqual(want.dram);
  const { sim } = run;
  for (let bank = 0; bank < 2; bank++) {
    for (let m = 0; m < g.accRows; m++) {
      const row = Array.from({ length: g.cols }, (_, j) => sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m));
      expect(row, `acc[${bank}][${m}]`).toEqual(want.acc[bank]![m]);
    }
  }
  for (let r = 0; r < g.wbufDepth; r++) expect(Array.from({ length: g.cols }, (_, j) => Number(sim.peekMem(`accel.${wbufCell(g, r, j).mem}`, wbufCell(g, r, j).addr))), `wbuf row ${r}`).toEqual(want.wbuf[r]);
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < (g.abufBanks > 1 ? 1 : g.rows); i++) expect(peekAbuf(sim, g, b, i), `abuf${b} copy ${i}`).toEqual([...want.abuf[b]!]);
  }
  expect(run.counters.cnt_macs).toBe(want.macs);
}

/** [first, end) cycle ranges in which a busy flag of the trace was high. */
function busySpans(run: RtlRun, engine: 'dma' | 'gemm' | 'post'): [number, number][] {
  const spans: [number, number][] = [];
  let from = -1;
  run.trace!.forEach((t, i) => {
    if (t[engine] && from < 0) from = i;
    if (!t[engine] && from >= 0) {
      spans.push([from, i]);
      from = -1;
    }
  });
  if (from >= 0) spans.push([from, run.trace!.length]);
  return spans;
}

describe('accelerator RTL', () => {
  it('emits Verilog that lints clean for the tiny (4×4) and default (8×8) presets', () => {
    const sizes: AccelSizes = { imemDepth: 256, pixDepth: 1024, offDepth: 512, pmemDepth: 128, dramWords: 8192 };
    for (const config of [tiny, dflt]) {
      // The simulation top contains the accelerator top, the array, the requantization lane and the
      // DRAM model: Verilator lints every module of the hierarchy.
      for (const top of [accelSimTop(config, sizes)]) {
        const design = build(top);
        const files = writeVerilog(design, tempDir('splitfuse-accel-'));
        const lint = lintVerilator(files, design.top);
        expect(lint.output).toBe('');
        expect(lint.ok).toBe(true);
      }
    }
  });

  it('builds when the tables (offmem, wbuf) are shallower than the array has rows', () => {
    // The GEMM engine adds the row index to table bases; a 1-entry offmem has a 0-bit address.
    for (const offDepth of [1, 2, 3]) {
      expect(() => build(accelSimTop(PRESETS.tiny!, { imemDepth: 4, pixDepth: 1, offDepth, pmemDepth: 1, dramWords: 4 }))).not.toThrow();
    }
  });

  it('runs a convolution program bit-exactly: K tiles, two N tiles (nValid < C), pool + ReLU, M = 13, POST overlapping GEMM', () => {
    for (const config of [tiny, dflt, PRESETS.large!]) {
      const { image, sizes, ref } = convProgram(config, 3);
      const run = runOnRtl(config, sizes, image, { trace: true });
      expectSameState(config, sizes, image, run);
      // And the interpreter's output is the directly computed convolution.
      const g = accelGeometry(config, sizes);
      const expected = convReference(ref);
      expect(unpackElements(run.dram, ref.outWord, expected.length, g)).toEqual(expected);
      expect(new Set(expected).size).toBeGreaterThan(20); // not saturated: the data paths matter
      if (config === tiny) {
        // Two N tiles on a 4-column array: the POST of tile 0 runs while the GEMM of tile 1 does.
        const overlap = run.trace!.filter((t) => t.gemm && t.post).length;
        expect(overlap).toBeGreaterThan(10);
      }
    }
  });

  it('counts events: MACs, DRAM words, buffer accesses, requantizations', () => {
    const { image, sizes } = convProgram(tiny, 4);
    const run = runOnRtl(tiny, sizes, image);
    const g = accelGeometry(tiny, sizes);
    const loads = image.program.filter((i): i is Transfer => i.op === 'LOAD');
    const wordsRead = loads.reduce((s, i) => s + (i.buf === 0 ? i.count * g.wordsPerWeightRow : Math.ceil(i.count / g.elemsPerWord)), 0);
    const stores = image.program.filter((i): i is Transfer => i.op === 'STORE');
    const posts = image.program.filter((i): i is Extract<Instruction, { op: 'POST' }> => i.op === 'POST');
    const gemms = image.program.filter((i): i is Extract<Instruction, { op: 'GEMM' }> => i.op === 'GEMM');
    const requants = posts.reduce((s, p) => s + p.nValid * (p.pool ? p.mCount / 4 : p.mCount), 0);
    const abufLoaded = loads.filter((i) => i.buf !== 0).reduce((s, i) => s + i.count, 0);
    expect(run.counters.cnt_dram_rd).toBe(wordsRead);
    expect(run.counters.cnt_dram_wr).toBe(stores.reduce((s, i) => s + Math.ceil(i.count / g.elemsPerWord), 0));
    expect(run.counters.cnt_requant).toBe(requants);
    expect(run.counters.cnt_abuf_wr).toBe(abufLoaded + requants);
    expect(run.counters.cnt_macs).toBe(gemms.reduce((s, i) => s + i.mCount * i.kTiles * g.rows * g.cols, 0));
    expect(run.counters.cnt_wbuf_rd).toBe(gemms.reduce((s, i) => s + i.kTiles * g.rows, 0));
    expect(run.counters.cnt_wbuf_wr).toBe(loads.filter((i) => i.buf === 0).reduce((s, i) => s + i.count, 0));
    expect(run.counters.cnt_acc_wr).toBe(gemms.reduce((s, i) => s + i.mCount * i.kTiles, 0));
    const postRows = posts.reduce((s, p) => s + p.mCount, 0);
    expect(run.counters.cnt_acc_rd).toBe(gemms.reduce((s, i) => s + i.mCount * (i.kTiles - 1), 0) + postRows);
  });

  it('keeps busy_gemm high for exactly gemmBusyCycles(), double-buffered or not', () => {
    const single: AccelHardwareConfig = { ...tiny, rows: 3, cols: 2, doubleBuffer: false };
    const shapes: [AccelHardwareConfig, number, number][] = [
      [tiny, 1, 1],
      [tiny, 1, 4],
      [tiny, 3, 2],
      [tiny, 7, 3],
      [tiny, 16, 2],
      [single, 5, 3],
      [single, 1, 2],
      [{ ...tiny, rows: 1, cols: 3 }, 1, 3],
    ];
    for (const [config, mCount, kTiles] of shapes) {
      const { run } = gemmOnlyRun(config, mCount, kTiles);
      const spans = busySpans(run, 'gemm');
      expect(spans).toHaveLength(1);
      const [from, to] = spans[0]!;
      expect({ config: `${config.rows}x${config.cols}${config.doubleBuffer ? ' db' : ''}`, mCount, kTiles, cycles: to - from }).toEqual({
        config: `${config.rows}x${config.cols}${config.doubleBuffer ? ' db' : ''}`,
        mCount,
        kTiles,
        cycles: gemmBusyCycles(config, mCount, kTiles),
      });
    }
  });

  it('streams K tiles back to back: GEMM M=64, kTiles=19 on 8×8 at >= 90% of 64·19 cycles, POST hidden under the next GEMM', () => {
    const M = 64;
    const kTiles = 19;
    const { rows: R, cols: C } = dflt;
    const sizes: AccelSizes = { imemDepth: 32, pixDepth: 64, offDepth: kTiles * R, pmemDepth: 16, dramWords: 2048 };
    const g = accelGeometry(dflt, sizes);
    const r = rng(5);
    const acts = Array.from({ length: 64 + 150 }, () => r.int(-128, 127));
    const weights = Array.from({ length: kTiles * R }, () => Array.from({ length: C }, () => r.int(-128, 127)));
    const dram = new Array<bigint>(sizes.dramWords).fill(0n);
    packElements(acts, g).forEach((w, i) => (dram[i] = w));
    packWeightRows(weights, g).forEach((w, i) => (dram[512 + i] = w));
    const gemm = (bank: number): Instruction => ({ op: 'GEMM', src: 0, bank, mCount: M, kTiles, wRow: 0, pixAddr: 0, offAddr: 0 });
    const post = (bank: number, dstBase: number): Instruction => ({ op: 'POST', bank, pool: 1, relu: 1, nValid: C, chan: 0, dst: 1, dstBase, plane: 16, mCount: M, interval: 1 });
    const image: ProgramImage = {
      program: [
        { op: 'LOAD', buf: 1, dram: 0, addr: 0, count: acts.length },
        { op: 'LOAD', buf: 0, dram: 512, addr: 0, count: kTiles * R },
        { op: 'WAIT', mask: 1 },
        gemm(0),
        { op: 'WAIT', mask: 2 },
        post(0, 0),
        gemm(1),
        { op: 'WAIT', mask: 6 },
        post(1, 128),
        { op: 'WAIT', mask: 4 },
        { op: 'STORE', buf: 2, dram: 1024, addr: 0, count: 256 },
        { op: 'HALT' },
      ],
      pixmem: Array.from({ length: M }, (_, m) => m),
      offmem: Array.from({ length: kTiles * R }, (_, k) => encodeOffset(k < 150 ? 64 + k : null)),
      pmem: Array.from({ length: 16 }, (_, j) => encodeParam(j * 100 - 700, 2 ** 30 + j * 1000, 39)),
      dram,
    };
    const run = runOnRtl(dflt, sizes, image, { trace: true });
    expect(run.dram).toEqual(interpret(dflt, image).dram);
    const [first, second] = busySpans(run, 'gemm');
    const posts = busySpans(run, 'post');
    const cycles = first![1] - first![0];
    const ideal = M * kTiles;
    console.log(`GEMM M=${M} kTiles=${kTiles} on 8x8 db: ${cycles} cycles, ideal ${ideal}, ${((100 * ideal) / cycles).toFixed(1)}% ; POST ${posts[0]![1] - posts[0]![0]} cycles inside GEMM [${second![0]}, ${second![1]})`);
    expect(cycles).toBe(gemmBusyCycles(dflt, M, kTiles));
    expect(ideal / cycles).toBeGreaterThanOrEqual(0.9);
    expect(second![1] - second![0]).toBe(cycles);
    // The POST of bank 0 lies entirely within the second GEMM (it costs no time of its own).
    expect(posts[0]![0]).toBeGreaterThanOrEqual(second![0] - 1);
    expect(posts[0]![1]).toBeLessThanOrEqual(second![1]);
  });

  it('continues a sum with GEMM acc = 1: two GEMMs of 2 and 3 K tiles on one bank equal one GEMM of 5 (RTL = interpreter)', () => {
    const sizes: AccelSizes = { imemDepth: 8, pixDepth: 16, offDepth: 32, pmemDepth: 4, dramWords: 16 };
    const g = accelGeometry(tiny, sizes);
    const random = rng(77);
    const base: ProgramImage = {
      program: [],
      pixmem: Array.from({ length: 16 }, (_, i) => i),
      offmem: Array.from({ length: 32 }, (_, i) => encodeOffset(i % 7 === 3 ? null : i)),
      pmem: [0n, 0n, 0n, 0n],
      dram: new Array<bigint>(16).fill(0n),
    };
    // Weights and activations: LOADed from DRAM first (wbuf rows 0..19, abuf0 0..47).
    const weights = Array.from({ length: 20 }, () => Array.from({ length: g.cols }, () => random.int(-128, 127)));
    const acts = Array.from({ length: 48 }, () => random.int(-128, 127));
    const wWords = packWeightRows(weights, g);
    const aWords = packElements(acts, g);
    const dram = [...wWords, ...aWords];
    const loads: Instruction[] = [
      { op: 'LOAD', buf: 0, dram: 0, addr: 0, count: 20 },
      { op: 'LOAD', buf: 1, dram: wWords.length, addr: 0, count: 48 },
      { op: 'WAIT', mask: 1 },
    ];
    const sz = { ...sizes, dramWords: dram.length };
    const split: ProgramImage = {
      ...base,
      dram,
      program: [...loads, { op: 'GEMM', src: 0, bank: 1, mCount: 9, kTiles: 2, wRow: 0, pixAddr: 0, offAddr: 0 }, { op: 'GEMM', src: 0, bank: 1, mCount: 9, kTiles: 3, wRow: 8, pixAddr: 0, offAddr: 8, acc: 1 }, { op: 'HALT' }],
    };
    const whole: ProgramImage = { ...split, program: [...loads, { op: 'GEMM', src: 0, bank: 1, mCount: 9, kTiles: 5, wRow: 0, pixAddr: 0, offAddr: 0 }, { op: 'HALT' }] };
    const run = runOnRtl(tiny, sz, split);
    expectSameState(tiny, sz, split, run);
    const want = interpret(tiny, whole).acc[1]!.slice(0, 9);
    for (let m = 0; m < 9; m++) expect(Array.from({ length: g.cols }, (_, j) => run.sim.peekMem(`accel.accbuf_${j}`, g.accRows + m)), `row ${m}`).toEqual(want[m]);
    expect(want.some((row) => row.some((v) => v !== 0n))).toBe(true);
    // Both GEMMs' results read the bank: 9 rows × (1 + 2) tiles after the first GEMM's first tile.
    expect(run.counters.cnt_acc_rd).toBe(9 * 1 + 9 * 3);
  });

  it('banked: a STORE from the buffer a GEMM streams from shares the bank read ports and waits for the GEMM (RTL = interpreter)', () => {
    const sizes: AccelSizes = { imemDepth: 16, pixDepth: 16, offDepth: 16, pmemDepth: 4, dramWords: 64 };
    const g = accelGeometry(tiny, sizes);
    expect(g.abufBanks).toBe(8);
    const random = rng(5);
    const weights = Array.from({ length: 8 }, () => Array.from({ length: g.cols }, () => random.int(-128, 127)));
    const acts = Array.from({ length: 48 }, () => random.int(-128, 127));
    const wWords = packWeightRows(weights, g);
    const aWords = packElements(acts, g);
    const dram = [...wWords, ...aWords, ...new Array<bigint>(64 - wWords.length - aWords.length).fill(0n)];
    const loads: Instruction[] = [
      { op: 'LOAD', buf: 0, dram: 0, addr: 0, count: 8 },
      { op: 'LOAD', buf: 1, dram: wWords.length, addr: 0, count: 48 },
      { op: 'WAIT', mask: 1 },
    ];
    const store: Instruction = { op: 'STORE', buf: 1, dram: 40, addr: 3, count: 40 };
    const image = (program: Instruction[]): ProgramImage => ({
      program,
      pixmem: Array.from({ length: 16 }, (_, i) => i),
      offmem: Array.from({ length: 16 }, (_, i) => encodeOffset(i)),
      pmem: [0n, 0n, 0n, 0n],
      dram,
    });
    // The GEMM and the STORE both read abuf0 (no hazard): they run at once.
    const both = image([...loads, { op: 'GEMM', src: 0, bank: 0, mCount: 16, kTiles: 2, wRow: 0, pixAddr: 0, offAddr: 0 }, store, { op: 'HALT' }]);
    const run = runOnRtl(tiny, sizes, both, { trace: true });
    expectSameState(tiny, sizes, both, run);
    const alone = runOnRtl(tiny, sizes, image([...loads, store, { op: 'HALT' }]), { trace: true });
    const storeCycles = (r: RtlRun): number => busySpans(r, 'dma').at(-1)![1] - busySpans(r, 'dma').at(-1)![0];
    const gemmSpan = busySpans(run, 'gemm')[0]!;
    const storeSpan = busySpans(run, 'dma').at(-1)!;
    expect(storeSpan[0]).toBeLessThan(gemmSpan[1]); // they overlap
    // The STORE waits out the GEMM's 32 vectors (2 tiles of 16) that read abuf0 while it runs.
    expect(storeCycles(run)).toBeGreaterThan(storeCycles(alone));
    expect(storeCycles(run) - storeCycles(alone)).toBeLessThanOrEqual(32);
  });

  it('equals the interpreter on random valid programs over random small configurations (R, C in 1..4, int8/int16)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 30 }), (seed) => {
        const c = randomProgram(seed);
        expectSameState(c.config, c.sizes, c.image, runOnRtl(c.config, c.sizes, c.image));
      }),
      { seed: 20260, numRuns: 20 },
    );
  });

  it('equals the interpreter on random valid programs with banked activation buffers (activationLayout banked, NB = 2..8 banks)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 30 }), (seed) => {
        const c = randomProgram(seed, { ...randomConfig(rng(seed)), activationLayout: 'banked' });
        expect(accelGeometry(c.config, c.sizes).abufBanks).toBeGreaterThanOrEqual(2 * c.config.rows);
        expectSameState(c.config, c.sizes, c.image, runOnRtl(c.config, c.sizes, c.image));
      }),
      { seed: 20261, numRuns: 20 },
    );
  });

  it('raises fault (not done) on invalid instructions and stops', () => {
    const sizes: AccelSizes = { imemDepth: 8, pixDepth: 4, offDepth: 4, pmemDepth: 4, dramWords: 16 };
    const g = accelGeometry(tiny, sizes);
    const base: ProgramImage = { program: [], pixmem: [0, 0, 0, 0], offmem: [0, 0, 0, 0], pmem: [0n, 0n, 0n, 0n], dram: new Array<bigint>(16).fill(0n) };
    const cases: [string, bigint][] = [
      ['unknown opcode 9', 9n],
      ['reserved bit 95 of HALT', 1n << 95n],
      ['reserved bits of WAIT', (1n << 9n) | 5n],
      ['GEMM wRow beyond the wbuf address width', encode({ op: 'GEMM', src: 0, bank: 0, mCount: 1, kTiles: 1, wRow: 1 << Math.ceil(Math.log2(g.wbufDepth)), pixAddr: 0, offAddr: 0 })],
      ['POST chan beyond pmem', encode({ op: 'POST', bank: 0, pool: 0, relu: 0, nValid: 1, chan: 4, dst: 0, dstBase: 0, plane: 0, mCount: 1, interval: 1 })],
      ['STORE from WBUF', encode({ op: 'STORE', buf: 0, dram: 0, addr: 0, count: 1 })],
      ['LOAD into buffer 3', encode({ op: 'LOAD', buf: 3, dram: 0, addr: 0, count: 1 })],
    ];
    for (const [what, word] of cases) {
      const run = runOnRtl(tiny, sizes, base, { maxCycles: 50, rawProgram: [encode({ op: 'WAIT', mask: 7 }), word, encode({ op: 'HALT' })] });
      expect({ what, fault: run.fault, done: run.done, pc: run.sim.peekNumber('pc') }).toEqual({ what, fault: true, done: false, pc: 1 });
    }
    // The same slots with valid instructions run to HALT.
    // WAIT's mask is 5 bits (issue 14: bits 3, 4 = accumulator banks), all of them valid.
    const ok = runOnRtl(tiny, sizes, base, { maxCycles: 50, rawProgram: [encode({ op: 'WAIT', mask: 7 }), encode({ op: 'WAIT', mask: 31 }), encode({ op: 'HALT' })] });
    expect([ok.fault, ok.done]).toEqual([false, true]);
    expect(FIELDS.op.width).toBe(4);
  });

  describe('Verilator co-simulation', () => {
    let toolchain: Toolchain;
    beforeAll(async () => {
      toolchain = await defaultToolchain();
    });

    it('agrees with the TS simulator on every output in every cycle of whole programs', async () => {
      const conv = convProgram(tiny, 3);
      // tiny is banked (activationLayout 'banked'), the random configurations keep R read copies, and one is banked.
      const programs = [{ config: tiny as AccelHardwareConfig, sizes: conv.sizes, image: conv.image }, randomProgram(11), randomProgram(12), randomProgram(13, { ...randomConfig(rng(13)), activationLayout: 'banked' })];
      const results = await cosimPrograms(programs, toolchain);
      console.log(results.map((r) => `${r.design}: ${r.cycles} cycles, ${r.registersCompared} registers, ${r.mismatches} mismatches (${r.simulator}, build ${r.buildSeconds.toFixed(1)} s${r.cached ? ', cached' : ''})`).join('\n'));
      for (const r of results) {
        expect(r.mismatches, describeMismatch(r)).toBe(0);
        expect(r.cycles).toBeGreaterThan(150);
        // The registers (engine state, counters, the array's PEs) were compared too; Verilator's
        // trace may optimise away the odd one (accel.post_first1 here).
        expect(r.missingRegisters.length).toBeLessThan(3);
        expect(r.registersCompared).toBeGreaterThan(150);
      }
    });
  });
});
