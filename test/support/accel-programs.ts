// Test support for the accelerator (gen/accel, accel/interpret.ts): DRAM packing helpers, a
// hazard-aware random program generator (seeded), and a runner of a program on the RTL in the
// compiled simulator. Shared by test/gen/accel.test.ts and test/accel/interpret.test.ts.
import { tiledReduction } from '../../accel/compiler/banks.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../gen/accel/config.js';
import { encodeOffset, encodeParam, encodeZeroPoint, type Instruction } from '../../gen/accel/isa.js';
import type { ProgramImage } from '../../accel/interpret.js';
import { requantize } from '../../accel/quant.js';
import { runOnRtl, type RtlRun } from '../../accel/run.js';

/** mulberry32: a small seeded generator of uint32 values. */
export function rng(seed: number): { next: () => number; int: (lo: number, hi: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
  const int = (lo: number, hi: number): number => lo + (next() % (hi - lo + 1));
  return { next, int, pick: (xs) => xs[next() % xs.length]!, chance: (p) => next() / 2 ** 32 < p };
}

// The packing helpers and the hazard-aware program builder are the compiler's own (accel/program-layout.ts).
import { HazardProgram as ProgramBuilder, packElements, packWeightRows, unpackElements } from '../../accel/program-layout.js';
export { packElements, packWeightRows, ProgramBuilder, unpackElements };

export interface RandomCase {
  readonly config: AccelHardwareConfig;
  readonly sizes: AccelSizes;
  readonly image: ProgramImage;
}

/** A small random configuration: R, C in 1..4, tiny buffers, random B, latency and double buffering. */
export function randomConfig(r: ReturnType<typeof rng>): AccelHardwareConfig {
  const rows = r.int(1, 4);
  const cols = r.int(1, 4);
  const wide = r.chance(0.2);
  return {
    rows,
    cols,
    dtype: wide ? 'int16' : 'int8',
    accWidth: wide ? r.pick([33, 48]) : r.pick([17, 24, 32]),
    doubleBuffer: r.chance(0.75),
    weightBufferBytes: cols * r.int(2 * rows, 24),
    activationBufferBytes: 2 * r.int(24, 64),
    accumulatorBufferBytes: 2 * cols * (wide ? 6 : 4) * r.int(4, 12),
    dramLatency: r.int(1, 6),
    dramBytesPerCycle: wide ? r.pick([2, 4, 6, 16]) : r.pick([1, 2, 3, 4, 8]),
  };
}

/** A random valid program (hazard WAITs included) ending with STOREs of both activation buffers. */
export function randomProgram(seed: number, config?: AccelHardwareConfig, length = 12): RandomCase {
  const r = rng(seed);
  const cfg = config ?? randomConfig(r);
  const inWords = 48;
  const probe = accelGeometry(cfg, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  const outWords = 2 * Math.ceil(probe.abufDepth / probe.elemsPerWord);
  const sizes: AccelSizes = { imemDepth: 4 * length + 16, pixDepth: r.int(4, 24), offDepth: r.int(cfg.rows, 24), pmemDepth: r.int(cfg.cols, 12), dramWords: inWords + outWords + 4 };
  const g = accelGeometry(cfg, sizes);
  const half = Math.max(1, g.abufDepth >> 1);
  const pixmem = Array.from({ length: sizes.pixDepth }, () => r.int(0, half - 1));
  // Banked activation buffers: entry i ≡ i mod NB, so any R consecutive entries (a K tile anywhere) read distinct banks.
  const NB = g.abufBanks;
  const offmem = Array.from({ length: sizes.offDepth }, (_, i) =>
    encodeOffset(!r.chance(0.85) ? null : NB === 1 ? r.int(0, half - 1) : i % NB > half - 1 ? null : NB * r.int(0, Math.floor((half - 1 - (i % NB)) / NB)) + (i % NB)),
  );
  const lo = -(2 ** (g.bits - 1));
  const extreme = [lo, -lo - 1, 0, -1];
  const byte = (): number => (r.chance(0.15) ? r.pick(extreme) : r.int(lo, -lo - 1));
  // Half the channels with an output zero point (issue 12), anywhere in int8.
  const pmem = Array.from({ length: sizes.pmemDepth }, () => encodeParam(r.int(-(1 << 20), 1 << 20), r.int(2 ** 30, 2 ** 31 - 1), r.chance(0.1) ? r.pick([0, 1, 63]) : r.int(8, 40)) | encodeZeroPoint(r.chance(0.5) ? r.int(-128, 127) : 0, g.protection));
  const dram = Array.from({ length: sizes.dramWords }, (_, w) => (w < inWords ? packElements(Array.from({ length: g.elemsPerWord }, byte), g)[0]! : 0n));
  const b = new ProgramBuilder();
  const outBase = inWords;
  // Seed both activation buffers and the weights so that most reads see data.
  for (const buf of [1, 2]) b.push({ op: 'LOAD', buf, dram: r.int(0, 8), addr: 0, count: Math.min(g.abufDepth, (inWords - 8) * g.elemsPerWord) });
  const wRows = Math.min(g.wbufDepth, Math.floor(inWords / g.wordsPerWeightRow) - 1);
  b.push({ op: 'LOAD', buf: 0, dram: 0, addr: 0, count: wRows });
  // Tile loading (issue 14): R-aligned wRow, and half the GEMMs GEMVs; half the unpooled POSTs row-major.
  // Only tile-loading configurations draw these, so the programs of every other configuration are unchanged.
  const tile = g.tileLoad;
  for (let n = 0; n < length; n++) {
    const kind = r.int(0, 9);
    if (kind <= 3 && tile && r.chance(0.5)) {
      const tiles = Math.floor(g.wbufDepth / g.rows);
      const mCount = r.int(1, Math.min(g.accRows, tiles, 6));
      const kTiles = r.int(1, Math.max(1, Math.min(Math.floor(tiles / mCount), sizes.pixDepth, 4)));
      b.push({
        op: 'GEMM',
        src: r.int(0, 1),
        bank: r.int(0, 1),
        mCount,
        kTiles,
        wRow: g.rows * r.int(0, tiles - kTiles * mCount),
        pixAddr: r.int(0, sizes.pixDepth - kTiles), // pixel t for K tile t, the offsets of one K tile
        offAddr: r.int(0, sizes.offDepth - g.rows),
        gemv: 1,
        ...(r.chance(0.3) ? { acc: 1 } : {}),
      });
    } else if (kind <= 6 && tile && r.chance(0.3)) {
      const nValid = r.int(1, Math.min(g.cols, sizes.pmemDepth));
      const groups = r.int(1, Math.max(1, Math.min(g.accRows, Math.floor(sizes.pmemDepth / nValid), Math.floor(g.abufDepth / (2 * nValid)))));
      const plane = r.pick([1, 1, groups * nValid]); // distinct destinations q·nValid + j·plane
      const used = (groups - 1) * nValid + (nValid - 1) * plane + 1;
      if (used > g.abufDepth) continue;
      b.push({ op: 'POST', bank: r.int(0, 1), pool: 0, relu: r.int(0, 1), nValid, chan: r.int(0, sizes.pmemDepth - groups * nValid), dst: r.int(0, 1), dstBase: r.int(0, g.abufDepth - used), plane, mCount: groups, interval: r.int(0, 2), window: r.int(1, 7) });
    } else if (kind <= 3) {
      const maxK = Math.min(Math.floor(g.wbufDepth / g.rows), Math.floor(sizes.offDepth / g.rows));
      const kTiles = r.int(1, Math.max(1, Math.min(maxK, 5)));
      const mCount = r.int(1, Math.min(g.accRows, sizes.pixDepth));
      b.push({
        op: 'GEMM',
        src: r.int(0, 1),
        bank: r.int(0, 1),
        mCount,
        kTiles,
        wRow: tile ? g.rows * r.int(0, Math.floor(g.wbufDepth / g.rows) - kTiles) : r.int(0, g.wbufDepth - kTiles * g.rows),
        pixAddr: r.int(0, sizes.pixDepth - mCount),
        offAddr: r.int(0, sizes.offDepth - kTiles * g.rows),
        ...(r.chance(0.3) ? { acc: 1 } : {}), // a continuation, often right behind a GEMM on the same bank (issue 14)
      });
    } else if (kind <= 6) {
      // The destinations of different channels must not overlap (plane >= outputs per channel).
      const pool = r.chance(0.5) && g.accRows >= 4 ? 1 : 0;
      // A pool window of 8 rows (POST window = 1) where the bank holds one.
      const window = pool && g.accRows >= 8 && r.chance(0.4) ? 1 : 0;
      const nValid = r.int(0, Math.min(g.cols, sizes.pmemDepth));
      // Column pooling (issue 14): 2^cpool columns per output, at most the window and C / nValid.
      const maxCpool = Math.floor(Math.log2(Math.min(4 << window, Math.floor(g.cols / Math.max(1, nValid)))));
      const cpool = pool && maxCpool >= 1 && r.chance(0.4) ? r.int(1, maxCpool) : 0;
      const span = (4 << window) >> cpool;
      const maxGroups = Math.min(pool ? Math.floor(g.accRows / span) : g.accRows, Math.floor(g.abufDepth / Math.max(1, nValid)));
      const groups = r.int(1, maxGroups);
      const mCount = pool ? span * groups : groups;
      const plane = r.int(groups, Math.max(groups, Math.floor((g.abufDepth - groups) / Math.max(1, nValid - 1))));
      const used = (nValid - 1) * plane + groups;
      b.push({
        op: 'POST',
        bank: r.int(0, 1),
        pool,
        relu: r.int(0, 1),
        nValid,
        chan: r.int(0, sizes.pmemDepth - Math.max(nValid, 1)),
        dst: r.int(0, 1),
        dstBase: r.int(0, Math.max(0, g.abufDepth - Math.max(used, 1))),
        plane: nValid > 1 ? plane : r.int(0, 3),
        mCount,
        interval: r.int(0, 3),
        ...(window ? { window } : {}),
        ...(cpool ? { cpool } : {}),
      });
    } else if (kind === 7) {
      const count = r.int(1, Math.min(wRows, 4));
      b.push({ op: 'LOAD', buf: 0, dram: r.int(0, inWords - count * g.wordsPerWeightRow), addr: r.int(0, g.wbufDepth - count), count });
    } else if (kind === 8) {
      const count = r.int(0, Math.min(g.abufDepth, 20));
      const addr = r.int(0, g.abufDepth - Math.max(count, 1));
      b.push({ op: 'LOAD', buf: r.int(1, 2), dram: r.int(0, inWords - Math.ceil(count / g.elemsPerWord)), addr, count });
    } else {
      const count = r.int(0, 12);
      const fill = r.chance(0.5) ? { fill: r.int(0, 255) } : {}; // the last word's spare lanes (issue 12)
      b.push({ op: 'STORE', buf: r.int(1, 2), dram: outBase + r.int(0, outWords - Math.ceil(count / g.elemsPerWord) - 1), addr: r.int(0, g.abufDepth - Math.max(count, 1)), count, ...fill });
    }
    if (r.chance(0.1)) b.push({ op: 'WAIT', mask: r.int(0, 31) });
  }
  const perBuf = Math.ceil(g.abufDepth / g.elemsPerWord);
  b.push({ op: 'STORE', buf: 1, dram: outBase, addr: 0, count: g.abufDepth });
  b.push({ op: 'STORE', buf: 2, dram: outBase + perBuf, addr: 0, count: g.abufDepth });
  b.push({ op: 'HALT' });
  return { config: cfg, sizes, image: { program: b.program, pixmem, offmem, pmem, dram } };
}

// Running on the RTL is accel/run.ts's job; re-exported for the tests that used to import it from here.
export { accelMachine, runOnRtl, type RtlRun } from '../../accel/run.js';

/**
 * A hand-written convolution program for a 4×4 array (any R, C work; the numbers below assume
 * the `tiny` preset's 4×4): a 3×3 conv of a 2×6×6 int8 image to 6 output channels as a GEMM via
 * im2col (M = 16 output pixels in pool-window-major order, K = 18 padded to kTiles·R, N = 6 in two
 * column tiles, the second with nValid = 2 < C); both tiles go to different accumulator banks and
 * POST (bias, requantize, ReLU, 2×2 max-pool) of tile 0 overlaps the GEMM of tile 1; then a GEMM of
 * the first 13 pixels only (M not a multiple of anything) POSTed without pool or ReLU.
 * Output (abuf1, then DRAM from word `outWord`): [0, 24) pooled channels (4 per channel, channel
 * co at 4·co), [24, 24 + 4·13) unpooled channels 0..3 of the 13 pixels (channel co at 24 + 13·co).
 */
export function convProgram(config: AccelHardwareConfig, seed: number): { image: ProgramImage; sizes: AccelSizes; ref: ConvCase } {
  const r = rng(seed);
  const g0 = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  const { rows: R, cols: C } = g0;
  const IC = 2, H = 6, OC = 6, KS = 3, OH = H - KS + 1;
  const img = Array.from({ length: IC * H * H }, () => r.int(-128, 127));
  const w = Array.from({ length: OC }, () => Array.from({ length: IC * KS * KS }, () => r.int(-128, 127)));
  const params = Array.from({ length: OC }, (_, co) => ({ bias: r.int(-5000, 5000) + co, b: r.int(2 ** 30, 2 ** 31 - 1), c: r.int(38, 41) }));
  const K = IC * KS * KS;
  // The reduction in the machine's K-tile order (banked activation buffers: no tile reads a bank twice).
  const red = tiledReduction(Array.from({ length: K }, (_, k) => k), Array.from({ length: K }, (_, k) => { const ci = Math.floor(k / 9), ky = Math.floor((k % 9) / 3), kx = k % 3; return ci * H * H + ky * H + kx; }), R, g0.abufBanks);
  const kTiles = red.k.length / R;
  const pixOrder: number[] = [];
  for (let wy = 0; wy < OH / 2; wy++) for (let wx = 0; wx < OH / 2; wx++) for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) pixOrder.push((2 * wy + dy) * H + 2 * wx + dx);
  const offmem = red.offsets.map(encodeOffset);
  const nTiles = Math.ceil(OC / C);
  // Weight rows: tile n occupies rows n·kTiles·R .. ; row k, column j = w[n·C + j][k] (0 padding).
  const wRows = Array.from({ length: nTiles * kTiles * R }, (_, row) => {
    const n = Math.floor(row / (kTiles * R)), k = red.k[row % (kTiles * R)]!;
    return Array.from({ length: C }, (_, j) => (k !== null && n * C + j < OC ? w[n * C + j]![k]! : 0));
  });
  const sizes: AccelSizes = { imemDepth: 64, pixDepth: 16, offDepth: kTiles * R, pmemDepth: OC, dramWords: 256 };
  const g = accelGeometry(config, sizes);
  const imgWords = packElements(img, g);
  const wWords = packWeightRows(wRows, g);
  const wBase = 64, outWord = 160;
  const dram = Array.from({ length: sizes.dramWords }, (_, a) => (a < imgWords.length ? imgWords[a]! : a >= wBase && a - wBase < wWords.length ? wWords[a - wBase]! : 0n));
  const pmem = params.map((p) => encodeParam(p.bias, p.b, p.c));
  const tileRows = kTiles * R;
  const program: Instruction[] = [
    { op: 'LOAD', buf: 1, dram: 0, addr: 0, count: img.length },
    { op: 'LOAD', buf: 0, dram: wBase, addr: 0, count: wRows.length },
    { op: 'WAIT', mask: 1 },
    { op: 'GEMM', src: 0, bank: 0, mCount: 16, kTiles, wRow: 0, pixAddr: 0, offAddr: 0 },
  ];
  // N tiles alternate banks; POST of tile n overlaps the GEMM of tile n+1.
  for (let n = 0; n < nTiles; n++) {
    if (n + 1 < nTiles) program.push({ op: 'GEMM', src: 0, bank: (n + 1) % 2, mCount: 16, kTiles, wRow: (n + 1) * tileRows, pixAddr: 0, offAddr: 0 });
    else program.push({ op: 'WAIT', mask: 2 });
    const nValid = Math.min(C, OC - n * C);
    program.push({ op: 'POST', bank: n % 2, pool: 1, relu: 1, nValid, chan: n * C, dst: 1, dstBase: 4 * n * C, plane: 4, mCount: 16, interval: 1 });
    program.push({ op: 'WAIT', mask: 2 | 4 });
  }
  const unpooled = Math.min(4, C);
  program.push({ op: 'GEMM', src: 0, bank: 0, mCount: 13, kTiles, wRow: 0, pixAddr: 0, offAddr: 0 });
  program.push({ op: 'WAIT', mask: 2 });
  program.push({ op: 'POST', bank: 0, pool: 0, relu: 0, nValid: unpooled, chan: 0, dst: 1, dstBase: 24, plane: 13, mCount: 13, interval: 2 });
  program.push({ op: 'WAIT', mask: 4 });
  program.push({ op: 'STORE', buf: 2, dram: outWord, addr: 0, count: 24 + 13 * unpooled });
  program.push({ op: 'HALT' });
  return {
    image: { program, pixmem: pixOrder, offmem, pmem, dram },
    sizes,
    ref: { img, w, params, IC, H, OC, KS, pixOrder, outWord, unpooled },
  };
}

export interface ConvCase {
  readonly img: number[];
  readonly w: number[][];
  readonly params: { bias: number; b: number; c: number }[];
  readonly IC: number;
  readonly H: number;
  readonly OC: number;
  readonly KS: number;
  readonly pixOrder: number[];
  readonly outWord: number;
  readonly unpooled: number;
}

/**
 * The expected output elements of convProgram, computed directly (a plain convolution, no im2col
 * tables): requantize(conv + bias) with ReLU and a 2×2 max-pool, then the unpooled channels.
 */
export function convReference(c: ConvCase): number[] {
  const { img, w, params, IC, H, OC, KS } = c;
  const OH = H - KS + 1;
  const conv = (co: number, oy: number, ox: number): number => {
    let s = 0;
    for (let ci = 0; ci < IC; ci++) for (let ky = 0; ky < KS; ky++) for (let kx = 0; kx < KS; kx++) s += img[ci * H * H + (oy + ky) * H + ox + kx]! * w[co]![ci * KS * KS + ky * KS + kx]!;
    return s;
  };
  const q = (co: number, v: number, relu: boolean): number => requantize(BigInt(v + params[co]!.bias), params[co]!, { bits: 8, relu });
  const out: number[] = [];
  for (let co = 0; co < OC; co++) {
    for (let py = 0; py < OH / 2; py++) {
      for (let px = 0; px < OH / 2; px++) {
        let best = -Infinity;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) best = Math.max(best, q(co, conv(co, 2 * py + dy, 2 * px + dx), true));
        out.push(best);
      }
    }
  }
  for (let co = 0; co < c.unpooled; co++) {
    for (let m = 0; m < 13; m++) {
      const p = c.pixOrder[m]!;
      out.push(q(co, conv(co, Math.floor(p / H), p % H), false));
    }
  }
  return out;
}


/** One GEMM (options.gemv: a GEMV) of mCount rows and kTiles K tiles (identity pixel and offset tables, no weights), then HALT, on the RTL with a trace. */
export function gemmOnlyRun(config: AccelHardwareConfig, mCount: number, kTiles: number, options: { gemv?: boolean } = {}): { run: RtlRun; sizes: AccelSizes } {
  const sizes: AccelSizes = { imemDepth: 8, pixDepth: 16, offDepth: 16, pmemDepth: 4, dramWords: 16 };
  const image: ProgramImage = {
    program: [{ op: 'GEMM', src: 0, bank: 1, mCount, kTiles, wRow: 0, pixAddr: 0, offAddr: 0, ...(options.gemv ? { gemv: 1 } : {}) }, { op: 'HALT' }],
    pixmem: Array.from({ length: 16 }, (_, i) => i),
    offmem: Array.from({ length: 16 }, (_, i) => encodeOffset(i)),
    pmem: [0n, 0n, 0n, 0n],
    dram: new Array<bigint>(16).fill(0n),
  };
  return { run: runOnRtl(config, sizes, image, { trace: true }), sizes };
}
