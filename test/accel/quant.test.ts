// accel/quant.ts, THE requantization reference (DESIGN.md §6), against an independent formula: the
// quotient and remainder of z·b by 2^c, rounded up when the remainder is at least half of 2^c.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DYADIC_C_MAX, dyadicOf, dyadicValue, requantize, type RequantOptions } from '../../accel/quant.js';

/** round_half_up(z·b / 2^c) via floor division and remainder (c = 0: no rounding), clamp, ReLU. */
function independent(z: bigint, b: bigint, c: number, { bits, relu }: RequantOptions): bigint {
  const x = z * b;
  const d = 1n << BigInt(c);
  let q = x / d; // truncates toward zero
  if (x % d !== 0n && x < 0n) q -= 1n; // now floor
  const rem = x - q * d; // 0 <= rem < d
  if (c > 0 && 2n * rem >= d) q += 1n;
  const hi = (1n << BigInt(bits - 1)) - 1n;
  const lo = -hi - 1n;
  q = q > hi ? hi : q < lo ? lo : q;
  return relu && q < 0n ? 0n : q;
}

const int8 = { bits: 8, relu: false } as const;

describe('requantize', () => {
  it('rounds ties half up, also for negative values', () => {
    // b / 2^c = 1/2: z/2 exactly.
    const half = { b: 2 ** 30, c: 31 };
    expect([5, 3, 1, -1, -3, -5].map((z) => requantize(z, half, int8))).toEqual([3, 2, 1, 0, -1, -2]);
    // 2.5 → 3 and -2.5 → -2.
    expect(requantize(5, half, int8)).toBe(3);
    expect(requantize(-5, half, int8)).toBe(-2);
    // Just below and above a tie.
    expect(requantize(-5, { b: 2 ** 30 + 1, c: 31 }, int8)).toBe(-3);
    expect(requantize(-5, { b: 2 ** 30 - 1, c: 31 }, int8)).toBe(-2);
  });

  it('c = 1: adds 1 before halving', () => {
    const d = { b: 1, c: 1 };
    expect([-3, -2, -1, 0, 1, 2, 3].map((z) => requantize(z, d, int8))).toEqual([-1, -1, 0, 0, 1, 1, 2]);
  });

  it('c = 63 with the largest products stays exact', () => {
    const z = -(2n ** 33n) + 1n;
    const b = 2 ** 31 - 1;
    expect(requantize(z, { b, c: 63 }, int8)).toBe(Number(independent(z, BigInt(b), 63, int8)));
    // 2^33·(2^31 - 1) / 2^63 = 2 - 2^-30 rounds to 2; 2^32·(2^31 - 1) / 2^63 = 1 - 2^-31 rounds to 1.
    expect(requantize(2n ** 33n, { b, c: 63 }, int8)).toBe(2);
    expect(requantize(2n ** 32n, { b, c: 63 }, int8)).toBe(1);
    // -(2^31)·2^30 / 2^63 = -1/4 rounds to 0; -(2^32)·2^30 / 2^63 = -1/2 (a tie) rounds up to 0.
    expect(requantize(-(2n ** 31n), { b: 2 ** 30, c: 63 }, int8)).toBe(0);
    expect(requantize(-(2n ** 32n), { b: 2 ** 30, c: 63 }, int8)).toBe(0);
    expect(requantize(-(2n ** 32n) - 1n, { b: 2 ** 30, c: 63 }, int8)).toBe(-1);
  });

  it('clamps to int8 and int16 and applies ReLU after clamping', () => {
    const one = { b: 2 ** 30, c: 30 };
    expect(requantize(1000, one, int8)).toBe(127);
    expect(requantize(-1000, one, int8)).toBe(-128);
    expect(requantize(-1000, one, { bits: 8, relu: true })).toBe(0);
    expect(requantize(40000, one, { bits: 16, relu: false })).toBe(32767);
    expect(requantize(-40000, one, { bits: 16, relu: false })).toBe(-32768);
    expect(requantize(127, one, int8)).toBe(127);
    expect(requantize(-128, one, int8)).toBe(-128);
  });

  it('equals the independent formula on random values, including b and c extremes', () => {
    const b = fc.oneof(fc.constantFrom(2 ** 30, 2 ** 31 - 1, 1, 2 ** 32 - 1), fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }));
    const c = fc.oneof(fc.constantFrom(1, 31, DYADIC_C_MAX), fc.integer({ min: 1, max: DYADIC_C_MAX }));
    const z = fc.oneof(fc.constantFrom(-(2n ** 31n), 2n ** 31n - 1n, 0n, -(2n ** 32n)), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }));
    const opts = fc.record({ bits: fc.constantFrom(8 as const, 16 as const), relu: fc.boolean() });
    fc.assert(
      fc.property(z, b, c, opts, (zv, bv, cv, o) => {
        expect(BigInt(requantize(zv, { b: bv, c: cv }, o))).toBe(independent(zv, BigInt(bv), cv, o));
      }),
      { seed: 0x5155, numRuns: 3000 },
    );
  });

  it('equals the independent formula near every tie', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.bigInt({ min: -200n, max: 200n }), fc.constantFrom(-1n, 0n, 1n), (c, k, delta) => {
        // z·b = k·2^c + 2^(c-1) + delta with b = 1.
        const z = k * (1n << BigInt(c)) + (1n << BigInt(c - 1)) + delta;
        const o = { bits: 16 as const, relu: false };
        expect(BigInt(requantize(z, { b: 1, c }, o))).toBe(independent(z, 1n, c, o));
      }),
      { seed: 0x7e, numRuns: 500 },
    );
  });
});

describe('dyadicOf', () => {
  it('gives b in [2^30, 2^31), c in [1, 63] and relative error <= 2^-31', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -33, max: 2 ** 29, noNaN: true }), (scale) => {
        const d = dyadicOf(scale);
        expect(d.b).toBeGreaterThanOrEqual(2 ** 30);
        expect(d.b).toBeLessThan(2 ** 31);
        expect(d.c).toBeGreaterThanOrEqual(1);
        expect(d.c).toBeLessThanOrEqual(DYADIC_C_MAX);
        expect(Math.abs(dyadicValue(d) - scale) / scale).toBeLessThanOrEqual(2 ** -31);
      }),
      { seed: 0xd1, numRuns: 2000 },
    );
  });

  it('exact powers of two and the round-up to 2^31', () => {
    expect(dyadicOf(1)).toEqual({ b: 2 ** 30, c: 30 });
    expect(dyadicOf(0.5)).toEqual({ b: 2 ** 30, c: 31 });
    expect(dyadicOf(2 ** -33)).toEqual({ b: 2 ** 30, c: 63 });
    // m·2^31 rounds to 2^31: the same value as 2^30 / 2^30.
    expect(dyadicOf((2 ** 31 - 0.25) / 2 ** 31)).toEqual({ b: 2 ** 30, c: 30 });
  });

  it('rejects scales it cannot represent', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 30, 2 ** -34]) expect(() => dyadicOf(bad)).toThrow(RangeError);
  });
});
