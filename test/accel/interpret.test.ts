// The ISA interpreter (accel/interpret.ts) against independent computations: a directly computed
// convolution, the DRAM packing rules, wrapping accumulation, pooling after requantization; its
// errors; and the instruction encoding of gen/accel/isa.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accelGeometry, type AccelHardwareConfig } from '../../gen/accel/config.js';
import { decode, encode, encodeOffset, encodeParam, encodeZeroPoint, FIELDS, paramBits, type Instruction } from '../../gen/accel/isa.js';
import { decodeParamWord, interpret, requantLane, type ProgramImage } from '../../accel/interpret.js';
import { PRESETS } from '../../accel/config.js';
import { requantize } from '../../accel/quant.js';
import { requantizeInt8 } from '../../accel/golden.js';
import { convProgram, convReference, packElements, packWeightRows, rng, runOnRtl, unpackElements } from '../support/accel-programs.js';

const tiny = PRESETS.tiny!;
const small = (over: Partial<AccelHardwareConfig> = {}): AccelHardwareConfig => ({
  rows: 2,
  cols: 3,
  dtype: 'int8',
  accWidth: 32,
  doubleBuffer: true,
  weightBufferBytes: 96,
  activationBufferBytes: 256,
  accumulatorBufferBytes: 2 * 3 * 4 * 8,
  dramLatency: 3,
  dramBytesPerCycle: 8,
  ...over,
});
const image = (program: Instruction[], rest: Partial<ProgramImage> = {}): ProgramImage => ({
  program,
  pixmem: rest.pixmem ?? [0],
  offmem: rest.offmem ?? [0],
  pmem: rest.pmem ?? [0n],
  dram: rest.dram ?? new Array<bigint>(64).fill(0n),
});

describe('ISA interpreter', () => {
  it('computes a convolution (im2col GEMM, two N tiles, pool, ReLU, M = 13) equal to a direct convolution', () => {
    for (const config of [tiny, PRESETS.default!, PRESETS.large!]) {
      for (const seed of [1, 2]) {
        const { image: img, sizes, ref } = convProgram(config, seed);
        const out = interpret(config, img);
        const expected = convReference(ref);
        expect(unpackElements(out.dram, ref.outWord, expected.length, accelGeometry(config, sizes))).toEqual(expected);
      }
    }
  });

  it('packs LOAD and STORE P elements per word, little-endian lanes, the last word zero-padded', () => {
    const shapes: [AccelHardwareConfig['dtype'], number][] = [['int8', 1], ['int8', 3], ['int8', 8], ['int16', 4], ['int16', 6], ['int16', 16]];
    for (const [dtype, B] of shapes) {
      const config = small({ dtype, accWidth: dtype === 'int16' ? 48 : 32, dramBytesPerCycle: B, accumulatorBufferBytes: 2 * 3 * 6 * 8 });
      const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
      const bits = dtype === 'int16' ? 16 : 8;
      const r = rng(B);
      const values = Array.from({ length: 13 }, () => r.int(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1));
      const dram = new Array<bigint>(64).fill(0n);
      // Independent packing: bytes little-endian, element e at byte offset e·bits/8 of the element stream.
      values.forEach((v, e) => {
        const w = Math.floor(e / g.elemsPerWord);
        dram[w] = dram[w]! | (BigInt.asUintN(bits, BigInt(v)) << BigInt((e % g.elemsPerWord) * bits));
      });
      const out = interpret(config, image([{ op: 'LOAD', buf: 2, dram: 0, addr: 5, count: 13 }, { op: 'STORE', buf: 2, dram: 40, addr: 5, count: 13 }, { op: 'HALT' }], { dram }));
      expect([...out.abuf[1].slice(5, 18)]).toEqual(values);
      const words = Math.ceil(13 / g.elemsPerWord);
      expect(out.dram.slice(40, 40 + words)).toEqual(dram.slice(0, words));
      expect(out.dram[40 + words]).toBe(0n);
      // The unused lanes of the last word are zero even if the buffer holds data there.
      expect(out.dram[40 + words - 1]! >> BigInt(((13 - 1) % g.elemsPerWord + 1) * bits)).toBe(0n);
      // With a fill element (a map's padding value, int8 bits sign-extended) they hold it instead.
      const filled = interpret(config, image([{ op: 'LOAD', buf: 2, dram: 0, addr: 5, count: 13 }, { op: 'STORE', buf: 2, dram: 40, addr: 5, count: 13, fill: 0xfb }, { op: 'HALT' }], { dram }));
      const tail = 13 % g.elemsPerWord === 0 ? 0 : g.elemsPerWord - (13 % g.elemsPerWord);
      let expected = dram[words - 1]!;
      for (let k = 0; k < tail; k++) expected |= BigInt.asUintN(bits, -5n) << BigInt((g.elemsPerWord - 1 - k) * bits);
      expect(filled.dram[40 + words - 1]).toBe(expected);
    }
  });

  it('loads weight rows as ceil(C/P) words each: bank j from lane j mod P of word j div P', () => {
    const config = small({ cols: 5, dramBytesPerCycle: 2, weightBufferBytes: 5 * 8, accumulatorBufferBytes: 2 * 5 * 4 * 4 });
    const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    expect([g.elemsPerWord, g.wordsPerWeightRow]).toEqual([2, 3]);
    const rows = [[1, -2, 3, -4, 5], [-128, 127, 0, -1, 64]];
    // By hand: row 0 = 01 fe | 03 fc | 05, row 1 = 80 7f | 00 ff | 40 (lane 0 in the low byte).
    const dram = [0xfe01n, 0xfc03n, 0x05n, 0x7f80n, 0xff00n, 0x40n];
    expect(packWeightRows(rows, g)).toEqual(dram);
    const out = interpret(config, image([{ op: 'LOAD', buf: 0, dram: 0, addr: 1, count: 2 }, { op: 'HALT' }], { dram: [...dram, 0n, 0n] }));
    expect(out.wbuf.slice(1, 3)).toEqual(rows);
  });

  it('accumulates exactly and wraps at accWidth; invalid offsets feed zero activations', () => {
    const config = small({ rows: 2, cols: 1, accWidth: 17, accumulatorBufferBytes: 2 * 1 * 3 * 8 });
    const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    // 4 K tiles of 2 rows: K = 8; activations -128, weights -128: each product 16384; 7 valid offsets.
    const acts = new Array<number>(16).fill(-128);
    acts[9] = 99; // only reachable through the invalid offset
    const dram = [...packElements(acts, g), ...packWeightRows(Array.from({ length: 8 }, () => [-128]), g)];
    while (dram.length < 40) dram.push(0n);
    const offmem = [0, 1, 2, 3, 4, 5, 6, null].map((o) => encodeOffset(o === null ? null : o));
    offmem[7] = 9; // not valid (bit 16 clear) although it names an address: must contribute 0
    const out = interpret(
      config,
      image(
        [
          { op: 'LOAD', buf: 1, dram: 0, addr: 0, count: 16 },
          { op: 'LOAD', buf: 0, dram: 2, addr: 0, count: 8 },
          { op: 'GEMM', src: 0, bank: 1, mCount: 2, kTiles: 4, wRow: 0, pixAddr: 0, offAddr: 0 },
          { op: 'HALT' },
        ],
        { dram, offmem, pixmem: [0, 8] },
      ),
    );
    const exact = 7 * 16384; // 114688 >= 2^16: wraps in 17 bits
    expect(out.acc[1]![0]![0]).toBe(BigInt.asIntN(17, BigInt(exact)));
    expect(out.acc[1]![0]![0]).not.toBe(BigInt(exact));
    // Pixel base 8: addresses 8..14 hold -128 except 9 (99).
    expect(out.acc[1]![1]![0]).toBe(BigInt.asIntN(17, BigInt(6 * 16384 + 99 * -128)));
    expect(out.macs).toBe(2 * 4 * 2 * 1);
  });

  it('POST: bias, requantize, ReLU, and 2×2 pooling as the max of the requantized values', () => {
    const config = small({ rows: 1, cols: 2, accumulatorBufferBytes: 2 * 2 * 4 * 8 });
    const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    const acts = [5, -7, 100, -100, 3, 0, -1, 1];
    const dram = [...packElements(acts, g), ...packWeightRows([[3, -5]], g)];
    while (dram.length < 16) dram.push(0n);
    const params = [{ bias: -20, b: 2 ** 30 + 12345, c: 31 }, { bias: 7, b: 2 ** 31 - 1, c: 33 }];
    const out = interpret(
      config,
      image(
        [
          { op: 'LOAD', buf: 1, dram: 0, addr: 0, count: 8 },
          { op: 'LOAD', buf: 0, dram: 1, addr: 0, count: 1 },
          { op: 'GEMM', src: 0, bank: 0, mCount: 8, kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0 },
          { op: 'POST', bank: 0, pool: 1, relu: 0, nValid: 2, chan: 0, dst: 1, dstBase: 0, plane: 2, mCount: 8, interval: 1 },
          { op: 'POST', bank: 0, pool: 0, relu: 1, nValid: 2, chan: 0, dst: 1, dstBase: 10, plane: 8, mCount: 8, interval: 1 },
          { op: 'HALT' },
        ],
        { dram, pixmem: acts.map((_, i) => i), offmem: [encodeOffset(0)], pmem: params.map((p) => encodeParam(p.bias, p.b, p.c)) },
      ),
    );
    const v = (j: number, a: number, relu: boolean): number => requantize(BigInt(a * [3, -5][j]! + params[j]!.bias), params[j]!, { bits: 8, relu });
    for (let j = 0; j < 2; j++) {
      for (let q = 0; q < 2; q++) expect(out.abuf[1][j * 2 + q]).toBe(Math.max(...acts.slice(4 * q, 4 * q + 4).map((a) => v(j, a, false))));
      for (let m = 0; m < 8; m++) expect(out.abuf[1][10 + j * 8 + m]).toBe(v(j, acts[m]!, true));
    }
  });

  it('requantLane: c >= 1 is accel/quant.ts requantize; c = 0 is floor(z·b) clamped', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 33n), max: 1n << 33n }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 63 }), fc.boolean(), (z, b, c, relu) => {
        expect(requantLane(z, b, c, 8, relu)).toBe(requantize(z, { b, c }, { bits: 8, relu }));
      }),
      { seed: 7, numRuns: 200 },
    );
    expect(requantLane(3n, 5, 0, 8, false)).toBe(15);
    expect(requantLane(-30n, 5, 0, 8, false)).toBe(-128);
    expect(requantLane(-3n, 5, 0, 8, true)).toBe(0);
    expect(requantLane(7000n, 5, 0, 16, false)).toBe(32767);
    // With an output zero point: accel/golden.ts requantizeInt8 (clamp after adding it, ReLU at it).
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 63 }), fc.boolean(), fc.integer({ min: -128, max: 127 }), (z, b, c, relu, zp) => {
        expect(requantLane(BigInt(z), b, c, 8, relu, zp)).toBe(requantizeInt8(z, b, c, relu, zp));
      }),
      { seed: 8, numRuns: 300 },
    );
    expect(requantLane(1000n, 2 ** 30, 30, 8, false, -50)).toBe(127);
    expect(requantLane(-1000n, 2 ** 30, 30, 8, true, -50)).toBe(-50);
  });

  it('refuses programs the hardware cannot run meaningfully, naming the instruction and field', () => {
    const config = small();
    const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    const run = (program: Instruction[], rest: Partial<ProgramImage> = {}) => () => interpret(config, image(program, rest), { maxInstructions: 1000 });
    expect(run([{ op: 'WAIT', mask: 7 }])).toThrow('program: pc must be in 0..0, not 1');
    // WAIT's mask: 5 bits (issue 14: bits 3, 4 = accumulator banks); no effect on the state.
    expect(run([{ op: 'WAIT', mask: 31 }, { op: 'HALT' }])).not.toThrow();
    expect(run([{ op: 'WAIT', mask: 32 }, { op: 'HALT' }])).toThrow('instruction 0 (WAIT): mask must be in 0..31, not 32');
    expect(run([{ op: 'WAIT', mask: 0 }, { op: 'GEMM', src: 0, bank: 0, mCount: 1, kTiles: 1, wRow: g.wbufDepth - 1, pixAddr: 0, offAddr: 0 }, { op: 'HALT' }], { offmem: [0, 0] })).toThrow(
      `instruction 1 (GEMM): last wbuf row wRow + kTiles·R - 1 must be in 0..${g.wbufDepth - 1}, not ${g.wbufDepth}`,
    );
    expect(run([{ op: 'POST', bank: 0, pool: 0, relu: 0, nValid: 4, chan: 0, dst: 0, dstBase: 0, plane: 1, mCount: 1, interval: 1 }, { op: 'HALT' }])).toThrow('nValid must be at most C = 3, not 4');
    expect(run([{ op: 'POST', bank: 0, pool: 1, relu: 0, nValid: 1, chan: 0, dst: 0, dstBase: 0, plane: 1, mCount: 6, interval: 1 }, { op: 'HALT' }])).toThrow('mCount must be a multiple of the pool window 4 with pool, not 6');
    expect(run([{ op: 'POST', bank: 0, pool: 1, relu: 0, nValid: 1, chan: 0, dst: 0, dstBase: 0, plane: 1, mCount: 8, interval: 1, window: 1 }, { op: 'HALT' }])).not.toThrow();
    expect(run([{ op: 'POST', bank: 0, pool: 1, relu: 0, nValid: 1, chan: 0, dst: 0, dstBase: 0, plane: 1, mCount: 12, interval: 1, window: 1 }, { op: 'HALT' }])).toThrow('multiple of the pool window 8');
    expect(run([{ op: 'LOAD', buf: 3, dram: 0, addr: 0, count: 1 }, { op: 'HALT' }])).toThrow('buf must be ABUF0 (1) or ABUF1 (2), not 3');
    expect(run([{ op: 'LOAD', buf: 1, dram: 63, addr: 0, count: 9 }, { op: 'HALT' }])).toThrow('instruction 0 (LOAD): DRAM word address must be in 0..63, not 64');
    expect(run([{ op: 'POST', bank: 0, pool: 0, relu: 0, nValid: 1, chan: 0, dst: 0, dstBase: g.abufDepth - 1, plane: 1, mCount: 2, interval: 1 }, { op: 'HALT' }])).toThrow(
      'destination dstBase + j·plane + q must be in',
    );
    expect(() => interpret(config, image([{ op: 'WAIT', mask: 0 }, { op: 'WAIT', mask: 0 }]), { maxInstructions: 1 })).toThrow('program must HALT within 1 instructions');
  });

  it('refuses a K tile whose rows read one bank of a banked activation buffer (the RTL would feed both rows one element)', () => {
    // R = 2, NB = 4 banks: offsets 1 and 5 are both in bank 1; 1 and 6 are not.
    const banked = small({ activationLayout: 'banked' });
    const sizes = { imemDepth: 8, pixDepth: 2, offDepth: 4, pmemDepth: 1, dramWords: 64 };
    expect(accelGeometry(banked, sizes).abufBanks).toBe(4);
    const acts = Array.from({ length: 16 }, (_, a) => a + 1);
    const g = accelGeometry(banked, sizes);
    const weights = Array.from({ length: 4 }, (_, r) => [r + 1, 2 * r - 3, 7]);
    const wWords = packWeightRows(weights, g);
    const dram = [...wWords, ...packElements(acts, g)];
    const gemm = (offmem: number[]): ProgramImage => ({
      program: [
        { op: 'LOAD', buf: 0, dram: 0, addr: 0, count: 4 },
        { op: 'LOAD', buf: 1, dram: wWords.length, addr: 0, count: 16 },
        { op: 'WAIT', mask: 1 },
        { op: 'GEMM', src: 0, bank: 0, mCount: 2, kTiles: 2, wRow: 0, pixAddr: 0, offAddr: 0 },
        { op: 'HALT' },
      ],
      pixmem: [0, 3],
      offmem,
      pmem: [0n],
      dram: [...dram, ...new Array<bigint>(64 - dram.length).fill(0n)],
    });
    const clash = gemm([encodeOffset(2), encodeOffset(0), encodeOffset(1), encodeOffset(5)]);
    expect(() => interpret(banked, clash)).toThrow('instruction 3 (GEMM): rows 0 and 1 of K tile 1 must read different activation banks, not both bank 1 (offsets 1 and 5 are equal mod 4)');
    // The same program is fine with read copies, and a conflict-free order is fine banked.
    expect(() => interpret(small(), clash)).not.toThrow();
    const ok = gemm([encodeOffset(2), encodeOffset(0), encodeOffset(1), encodeOffset(6)]);
    const want = interpret(banked, ok);
    const rtl = runOnRtl(banked, sizes, ok);
    expect(rtl.sim.peekMem('accel.accbuf_0', 1)).toBe(want.acc[0]![1]![0]);
    // And the check is real: on the banked RTL the clashing tile computes something else than read copies would.
    const garbage = runOnRtl(banked, sizes, clash);
    const copies = interpret(small(), clash);
    const rows = (run: typeof garbage) => [0, 1].map((m) => [0, 1, 2].map((j) => run.sim.peekMem(`accel.accbuf_${j}`, m)));
    expect(rows(garbage)).not.toEqual(copies.acc[0]!.slice(0, 2));
  });

  it('encodes and decodes every instruction losslessly, and rejects fields that do not fit', () => {
    const field = (w: number) => fc.integer({ min: 0, max: 2 ** w - 1 });
    const arb = fc.oneof(
      fc.constant<Instruction>({ op: 'HALT' }),
      fc.record({ op: fc.constant('WAIT' as const), mask: field(3) }),
      fc.record({ op: fc.constantFrom('LOAD' as const, 'STORE' as const), buf: field(2), dram: field(26), addr: field(24), count: field(24) }),
      fc.record({ op: fc.constant('GEMM' as const), src: field(1), bank: field(1), mCount: field(16), kTiles: field(12), wRow: field(24), pixAddr: field(16), offAddr: field(16) }),
      fc.record({
        op: fc.constant('POST' as const),
        bank: field(1),
        pool: field(1),
        relu: field(1),
        nValid: field(8),
        chan: field(12),
        dst: field(1),
        dstBase: field(24),
        plane: field(16),
        mCount: field(16),
        interval: field(5),
        cpool: fc.integer({ min: 1, max: 7 }),
        window: fc.integer({ min: 1, max: 7 }),
        lcu: fc.constant(1),
      }),
    );
    fc.assert(
      fc.property(arb, (ins) => {
        const word = encode(ins);
        expect(word >> 96n).toBe(0n);
        expect(decode(word)).toEqual(ins);
      }),
      { seed: 11, numRuns: 300 },
    );
    expect(() => encode({ op: 'GEMM', src: 0, bank: 2, mCount: 1, kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0 })).toThrow('GEMM.bank must be an integer in 0..1, not 2');
    expect(FIELDS.POST.interval.lo + FIELDS.POST.interval.width).toBeLessThanOrEqual(96);
    // POST fields do not overlap (interval 84..88, cpool 89..91, lcu 92, window 93..95; issue 14).
    const bits = Object.values(FIELDS.POST).flatMap((f) => Array.from({ length: f.width }, (_, i) => f.lo + i));
    expect(new Set(bits).size).toBe(bits.length);
    expect(Math.max(...bits)).toBe(95);
    expect(() => encode({ op: 'POST', bank: 0, pool: 1, relu: 0, nValid: 1, chan: 0, dst: 0, dstBase: 0, plane: 1, mCount: 4, interval: 32 })).toThrow('POST.interval must be an integer in 0..31, not 32');
    expect(decodeParamWord(encodeParam(-123456, 2 ** 31 - 1, 63))).toEqual({ bias: -123456, b: 2 ** 31 - 1, c: 63, zeroPoint: 0 });
    for (const protection of ['none', 'dup', 'tmr', 'split']) {
      const word = encodeParam(77, 2 ** 30, 9, protection === 'split' ? 1 : 0, protection === 'split' ? 100 : 0) | encodeZeroPoint(-128, protection);
      expect(decodeParamWord(word, protection)).toEqual({ bias: 77, b: 2 ** 30, c: 9, zeroPoint: -128 });
      expect(word < 1n << BigInt(paramBits(protection))).toBe(true);
    }
    expect(() => encodeZeroPoint(128, 'none')).toThrow('zero point must be an int8, not 128');
  });
});
