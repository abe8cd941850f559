// Integer-only requantization (DESIGN.md §6; HAWQ-V3, Yao et al., ICML 2021): a real scale
// S_in·S_w/S_out is written as a dyadic number b / 2^c, and an int32 accumulator z becomes
//   q = clamp(round_half_up(z · b / 2^c)), then ReLU.
// This file is THE reference: the golden model (accel/golden.ts) and the requantization lane's RTL
// tests (gen/requant.ts) both check against `requantize`.

/** A dyadic multiplier b / 2^c: b in [2^30, 2^31) (31 bits), c in [1, 63]. */
export interface Dyadic {
  readonly b: number;
  readonly c: number;
}

export const DYADIC_B_BITS = 31;
export const DYADIC_C_MAX = 63;

/**
 * The dyadic form of a positive real scale: scale = m · 2^e with m in [0.5, 1), b = round(m · 2^31)
 * (half away from zero, as Math.round for positives), c = 31 − e. When rounding gives b = 2^31,
 * b becomes 2^30 and c decreases by one (the same value). Relative error <= 2^-31.
 * Throws RangeError when scale is not a finite positive number or c falls outside [1, 63]
 * (scales >= 2^30 or < 2^-33 are not representable; c = 63 is reached at 2^-33, since m·2^-32 with
 * m = 0.5 still has c = 31 − (−32) = 63).
 */
export function dyadicOf(scale: number): Dyadic {
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`scale must be a finite positive number, not ${scale}`);
  let e = Math.floor(Math.log2(scale)) + 1;
  // Math.log2 may be off by one ulp near powers of two: fix e so that m = scale / 2^e is in [0.5, 1).
  while (scale / 2 ** e >= 1) e += 1;
  while (scale / 2 ** e < 0.5) e -= 1;
  let b = Math.round((scale / 2 ** e) * 2 ** 31);
  let c = 31 - e;
  if (b === 2 ** 31) {
    b = 2 ** 30;
    c -= 1;
  }
  if (c < 1 || c > DYADIC_C_MAX) throw new RangeError(`scale ${scale} needs shift c = ${c}, which must be in [1, ${DYADIC_C_MAX}]`);
  return { b, c };
}

/** The real value b / 2^c of a dyadic multiplier. */
export function dyadicValue(d: Dyadic): number {
  return d.b / 2 ** d.c;
}

export interface RequantOptions {
  /** Output width: the result is clamped to [-2^(bits-1), 2^(bits-1) - 1]. */
  readonly bits: 8 | 16;
  /** Apply ReLU (max(0, ·)) after clamping. */
  readonly relu: boolean;
}

/**
 * Requantize an accumulator (bias already added): floor((z·b + 2^(c-1)) / 2^c) — round half up, so
 * -2.5 → -2 and 2.5 → 3 — clamped to the output range, then ReLU. Exact for any integer z (BigInt inside).
 */
export function requantize(z: number | bigint, d: Dyadic, opts: RequantOptions): number {
  const prod = BigInt(z) * BigInt(d.b);
  const rounded = (prod + (1n << BigInt(d.c - 1))) >> BigInt(d.c);
  const hi = (1n << BigInt(opts.bits - 1)) - 1n;
  const lo = -(1n << BigInt(opts.bits - 1));
  let q = rounded > hi ? hi : rounded < lo ? lo : rounded;
  if (opts.relu && q < 0n) q = 0n;
  return Number(q);
}
