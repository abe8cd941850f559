// Overlapped GEMMs (issue 14; gen/accel/gemm-engine.ts, controller.ts, isa.ts WAIT): the GEMM engine takes the next
// GEMM as soon as the previous one's last vector has entered the array (plus the load-delay tail of shift-loading
// and single-buffered arrays), each vector carrying its accumulator row, bank and first/last flags through the
// array latency; WAIT bits 3/4 wait for one accumulator bank's outstanding writes. Checked here: every instruction
// of random GEMM/WAIT programs issues in exactly the cycle HazardProgram's model (gemmSeqCycles, gemmBusyCycles)
// says, on every weight-loading kind; the accumulators equal the interpreter's; random hazard-free programs with
// back-to-back GEMMs (both banks, acc continuations, GEMVs) equal the interpreter on random configurations; the
// hazard rule waits on the bank; Verilator lint and a co-simulation of overlapped GEMMs.
import { beforeAll, describe, expect, it } from 'vitest';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../../gen/accel/config.js';
import { gemmBusyCycles, gemmSeqCycles } from '../../../gen/accel/gemm-engine.js';
import { encodeOffset, WAIT_MASK, type Instruction } from '../../../gen/accel/isa.js';
import { interpret, type ProgramImage } from '../../../accel/interpret.js';
import { PRESETS } from '../../../accel/config.js';
import { HazardProgram } from '../../../accel/program-layout.js';
import { defaultToolchain, type Toolchain } from '../../../sim/verilator/index.js';
import { cosimPrograms, expectAccelLintClean, expectCosimClean } from '../../support/accel-cosim.js';
import { packElements, packWeightRows, randomConfig, randomProgram, rng, runOnRtl, type RtlRun } from '../../support/accel-programs.js';

const tiny = PRESETS.tiny!;
const dflt = PRESETS.default!;
const configs: [string, AccelHardwareConfig][] = [
  ['tiny shift', { ...tiny, weightLoad: 'shift' }],
  ['tiny row', { ...tiny, weightLoad: 'row' }],
  ['tiny tile', { ...tiny, weightLoad: 'tile' }],
  ['3x2 single-buffered', { ...tiny, rows: 3, cols: 2, doubleBuffer: false, weightLoad: 'shift' }],
  ['1x3 shift', { ...tiny, rows: 1, cols: 3, weightLoad: 'shift' }],
  ['2x1 tile', { ...tiny, rows: 2, cols: 1, weightLoad: 'tile' }],
  ['default', dflt],
];

/** The cycle in which instruction i issued: the last cycle whose pc is i (pc moves on at the issue edge). */
function issueCycles(run: RtlRun, count: number): number[] {
  const at = new Array<number>(count).fill(-1);
  run.trace!.forEach((t, c) => {
    if (t.pc < count) at[t.pc] = c;
  });
  return at;
}

/** A random burst of GEMMs (either bank, acc continuations, GEMVs on tile machines) with random WAITs, and its model. */
function gemmBurst(config: AccelHardwareConfig, seed: number): { image: ProgramImage; sizes: AccelSizes; model: number[] } {
  const r = rng(seed);
  const sizes: AccelSizes = { imemDepth: 64, pixDepth: 32, offDepth: 32, pmemDepth: 4, dramWords: 16 };
  const g = accelGeometry(config, sizes);
  const b = new HazardProgram({ geometry: g, pixmem: Array.from({ length: 32 }, (_, i) => i), offmem: Array.from({ length: 32 }, (_, i) => encodeOffset(i)) });
  const model: number[] = [];
  const push = (ins: Instruction): void => {
    model.push(b.estimate(ins));
    b.push(ins);
  };
  const tiles = Math.floor(g.wbufDepth / g.rows);
  for (let n = 0; n < 10; n++) {
    const gemv = g.tileLoad && r.chance(0.4);
    const mCount = r.int(1, Math.min(g.accRows, gemv ? Math.min(4, tiles) : 12));
    const kTiles = r.int(1, Math.max(1, Math.min(gemv ? Math.floor(tiles / mCount) : tiles, 4, Math.floor(32 / g.rows))));
    const wRow = g.tileLoad ? g.rows * r.int(0, tiles - (gemv ? kTiles * mCount : kTiles)) : r.int(0, g.wbufDepth - kTiles * g.rows);
    push({ op: 'GEMM', src: r.int(0, 1), bank: r.int(0, 1), mCount, kTiles, wRow, pixAddr: r.int(0, gemv ? 32 - kTiles : 32 - mCount), offAddr: r.int(0, 32 - kTiles * g.rows), ...(r.chance(0.4) ? { acc: 1 } : {}), ...(gemv ? { gemv: 1 } : {}) });
    if (r.chance(0.3)) push({ op: 'WAIT', mask: r.pick([WAIT_MASK.ACC0, WAIT_MASK.ACC1, WAIT_MASK.GEMM, WAIT_MASK.ACC0 | WAIT_MASK.ACC1, WAIT_MASK.DMA]) });
  }
  push({ op: 'HALT' });
  // Weights and activations: random bytes (the GEMMs read whatever is there; the buffers are poked below).
  return { image: { program: b.program, pixmem: Array.from({ length: 32 }, (_, i) => i), offmem: Array.from({ length: 32 }, (_, i) => encodeOffset(i)), pmem: [0n, 0n, 0n, 0n], dram: new Array<bigint>(16).fill(0n) }, sizes, model };
}

/** Prefix a GEMM burst with LOADs of random weights and activations (issue times then shift; compared after them). */
function withData(config: AccelHardwareConfig, burst: ReturnType<typeof gemmBurst>, seed: number): { image: ProgramImage; sizes: AccelSizes; skip: number } {
  const r = rng(seed + 7);
  const g = accelGeometry(config, burst.sizes);
  const rows = Array.from({ length: g.wbufDepth }, () => Array.from({ length: g.cols }, () => r.int(-128, 127)));
  const acts = Array.from({ length: 64 }, () => r.int(-128, 127));
  const wWords = packWeightRows(rows, g);
  const aWords = packElements(acts, g);
  const sizes: AccelSizes = { ...burst.sizes, imemDepth: burst.sizes.imemDepth + 8, dramWords: wWords.length + aWords.length + 4 };
  const pre: Instruction[] = [
    { op: 'LOAD', buf: 0, dram: 0, addr: 0, count: g.wbufDepth },
    { op: 'LOAD', buf: 1, dram: wWords.length, addr: 0, count: Math.min(64, g.abufDepth) },
    { op: 'LOAD', buf: 2, dram: wWords.length, addr: 0, count: Math.min(64, g.abufDepth) },
    { op: 'WAIT', mask: WAIT_MASK.DMA },
  ];
  const dram = [...wWords, ...aWords, 0n, 0n, 0n, 0n];
  return { image: { ...burst.image, program: [...pre, ...burst.image.program], dram }, sizes, skip: pre.length };
}

describe('overlapped GEMMs', () => {
  it('issues every instruction of random GEMM bursts (both banks, acc, GEMVs, bank WAITs) in exactly the modelled cycle', () => {
    for (const [name, config] of configs)
      for (let seed = 1; seed <= 4; seed++) {
        const burst = gemmBurst(config, seed * 31 + name.length);
        const run = runOnRtl(config, burst.sizes, burst.image, { trace: true });
        expect([run.done, run.fault]).toEqual([true, false]);
        const at = issueCycles(run, burst.image.program.length);
        // HALT issues once everything drained: its cycle is the last traced one.
        expect({ name, seed, at }).toEqual({ name, seed, at: burst.model });
        // The GEMMs did overlap: some GEMM issued before the previous one's drain was over.
        const gemms = burst.image.program.flatMap((ins, i) => (ins.op === 'GEMM' ? [{ ins, at: at[i]! }] : []));
        const g = accelGeometry(config, burst.sizes);
        const overlapped = gemms.slice(1).filter((x, k) => x.at <= gemms[k]!.at + gemmBusyCycles(g, gemms[k]!.ins.mCount, gemms[k]!.ins.kTiles, gemms[k]!.ins.gemv === 1));
        expect(overlapped.length, name).toBeGreaterThan(0);
      }
  }, 120_000);

  it('leaves the accumulators (both banks) exactly as the interpreter does after random GEMM bursts', () => {
    for (const [name, config] of configs)
      for (let seed = 1; seed <= 3; seed++) {
        const { image, sizes } = withData(config, gemmBurst(config, seed * 17 + name.length), seed);
        const g = accelGeometry(config, sizes);
        const want = interpret(config, image);
        const run = runOnRtl(config, sizes, image);
        expect([run.done, run.fault]).toEqual([true, false]);
        for (let bank = 0; bank < 2; bank++)
          for (let m = 0; m < g.accRows; m++) expect({ name, seed, bank, m, row: Array.from({ length: g.cols }, (_, j) => run.sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m)) }).toEqual({ name, seed, bank, m, row: want.acc[bank]![m] });
      }
  }, 120_000);

  it('gemmSeqCycles: the stream alone on row/tile machines and GEMVs; a tail where loading the next tile must wait', () => {
    const g = (c: AccelHardwareConfig): ReturnType<typeof accelGeometry> => accelGeometry(c, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    const d8 = g(dflt);
    // LeNet-5 conv1 GEMM on 8×8 (M = 64, 2 K tiles): 8 + 64 + 64 = 136 of the 154 busy cycles; the drain of 18 overlaps.
    expect([gemmSeqCycles(d8, 64, 2), gemmBusyCycles(d8, 64, 2)]).toEqual([136, 154]);
    // A GEMV of fc1 (15 N tiles, 32 K tiles): 8 + 31·15 + 15 = 488 of 506.
    expect([gemmSeqCycles(d8, 15, 32, true), gemmBusyCycles(d8, 15, 32, true)]).toEqual([488, 506]);
    // Shift loading on 8×8, M = 1: the next tile may load R − 1 = 7 cycles after the swap, 5 more than the vector takes.
    const shift = g({ ...dflt, weightLoad: 'shift' });
    expect(gemmSeqCycles(shift, 1, 1)).toBe(8 + 1 + 5);
    // Single-buffered 3×2: the next tile loads once the last vector has passed the array (R + C − 4 = 1 more).
    expect(gemmSeqCycles(g({ ...tiny, rows: 3, cols: 2, doubleBuffer: false, weightLoad: 'shift' }), 5, 1)).toBe(3 + 5 + 1);
  });

  it('HazardProgram waits for the bank a POST reads, not the whole engine; a GEMM after a GEMM needs no WAIT', () => {
    const sizes: AccelSizes = { imemDepth: 64, pixDepth: 32, offDepth: 32, pmemDepth: 8, dramWords: 16 };
    const geometry = accelGeometry(dflt, sizes);
    const b = new HazardProgram({ geometry, pixmem: Array.from({ length: 32 }, (_, i) => i), offmem: Array.from({ length: 32 }, (_, i) => encodeOffset(i)) });
    const gemm = (bank: number, acc = 0): Instruction => ({ op: 'GEMM', src: 0, bank, mCount: 8, kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0, acc });
    const post = (bank: number): Instruction => ({ op: 'POST', bank, pool: 0, relu: 0, nValid: 1, chan: 0, dst: 1, dstBase: 0, plane: 8, mCount: 8, interval: 1 });
    b.push(gemm(0)).push(gemm(0, 1)).push(gemm(1)).push(post(0)).push(gemm(1, 1)).push(post(1)).push(gemm(1)).push({ op: 'HALT' });
    expect(b.program.map((i) => (i.op === 'WAIT' ? `WAIT${i.mask}` : i.op))).toEqual(['GEMM', 'GEMM', 'GEMM', 'WAIT8', 'POST', 'GEMM', 'WAIT16', 'POST', 'WAIT4', 'GEMM', 'HALT']);
    // Without detail (whole buffers) the same: the banks are separate resources.
    const c = new HazardProgram();
    c.push(gemm(1)).push(post(1)).push(gemm(1));
    expect(c.program.map((i) => (i.op === 'WAIT' ? `WAIT${i.mask}` : i.op))).toEqual(['GEMM', 'WAIT16', 'POST', 'WAIT4', 'GEMM']);
  });

  it('runs 30 random hazard-free programs with back-to-back GEMMs on random configurations exactly like the interpreter', () => {
    let backToBack = 0;
    let sameBank = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed * 101);
      const base = randomConfig(r);
      const config: AccelHardwareConfig = { ...base, weightLoad: r.pick(['shift', 'row', 'tile'] as const) };
      const c = randomProgram(seed, config, 16);
      const run = runOnRtl(c.config, c.sizes, c.image);
      const want = interpret(c.config, c.image);
      expect([seed, run.done, run.fault]).toEqual([seed, true, false]);
      expect(run.dram).toEqual(want.dram);
      const g = accelGeometry(c.config, c.sizes);
      for (let bank = 0; bank < 2; bank++)
        for (let m = 0; m < g.accRows; m++) expect(Array.from({ length: g.cols }, (_, j) => run.sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m))).toEqual(want.acc[bank]![m]);
      const p = c.image.program;
      for (let i = 1; i < p.length; i++) {
        const a = p[i - 1]!;
        const b = p[i]!;
        if (a.op === 'GEMM' && b.op === 'GEMM') {
          backToBack++;
          if (a.bank === b.bank) sameBank++;
        }
      }
    }
    expect(backToBack).toBeGreaterThanOrEqual(20);
    expect(sameBank).toBeGreaterThanOrEqual(8);
  }, 300_000);

  it('emits Verilog that lints clean (tiny shift, single-buffered, default)', () => {
    const sizes: AccelSizes = { imemDepth: 64, pixDepth: 256, offDepth: 128, pmemDepth: 32, dramWords: 1024 };
    expectAccelLintClean([{ ...tiny, weightLoad: 'shift' }, { ...tiny, rows: 3, cols: 2, doubleBuffer: false, weightLoad: 'shift' }, dflt], sizes, 'overlap');
  }, 120_000);

  describe('Verilator co-simulation', () => {
    let toolchain: Toolchain;
    beforeAll(async () => {
      toolchain = await defaultToolchain();
    });

    it('agrees with the TS simulator on every output and register in every cycle of overlapped GEMM bursts', async () => {
      const programs = (
        [
          ['default', dflt],
          ['tiny shift', { ...tiny, weightLoad: 'shift' }],
        ] as [string, AccelHardwareConfig][]
      ).map(([name, config], k) => ({ config, ...withData(config, gemmBurst(config, 5 + k + name.length), k) }));
      expectCosimClean(await cosimPrograms(programs, toolchain), { cycles: 100, registers: 100 });
    }, 300_000);
  });
});
