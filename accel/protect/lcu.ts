// The correction step of a protected layer, as a function: the one definition of what the hardware's
// Lightweight Correction Unit (gen/protect/lcu.ts) computes, used by the golden model (accel/golden.ts), the
// ISA interpreter (accel/interpret.ts) and the tests. It acts on the raw accumulators of a group of
// physical output channels (before bias and requantization, which the head's parameters then apply).
//
// Rules (docs/protection.md "The correction rules"):
//   split (Ahmadilivani et al., AICAS 2023: a critical neuron split into two whose integer weights sum
//         exactly to the original one): head a, copy b. accel/protect/transform.ts splits every weight as
//         w_b = floor(w/2), w_a = w − w_b, so d = a − b = Σ_{w odd} x, and a fault-free pair satisfies
//         −2^e <= d < 2^e with 2^e >= 128·#odd weights + 1 (int8 inputs, |x| <= 128), or, when the layer's
//         inputs are non-negative (a ReLU layer before it: 0 <= x <= 127), the one-sided 0 <= d < 2^e with
//         2^e >= 127·#odd + 1 — a fault that pushes the copy above the head, or the head below the copy,
//         is then caught whatever bit it hits. The bound byte holds e (bits 5..0) and the one-sided flag
//         (bit 6, SPLIT_NONNEG).
//         In range: a + b, the original accumulator exactly. Out of range, a fault hit one half; a fault
//         mostly pushes a value up (a flipped 0→1 bit of a small positive value), so the smaller half is the
//         trustworthy one (the min-selection of the follow-up work SentinelNN) and the result is 2·min(a, b),
//         within 2^e of the original.
//   dup   head a, copy b (identical weights): min(a, b) — exact when fault-free, corrects upward faults.
//   tmr   head a, copies b, c: the bitwise majority (a & b) | (a & c) | (b & c) — exact with one faulty copy.
// `flag` says the unit saw a disagreement (split out of range, dup or tmr copies unequal). All arithmetic is
// accWidth-bit two's complement, as in the RTL: a + b and 2·min wrap.
import { LCU } from '../model.js';

/** The one-sided flag of a split bound byte. */
export const SPLIT_NONNEG = 64;

export interface LcuResult {
  /** The corrected accumulator (accWidth-bit signed). */
  readonly value: bigint;
  /** The unit saw a disagreement between the copies. */
  readonly flag: boolean;
}

/** Combine a group's accumulators (a = head, b, c = the copies; unused ones are ignored). */
export function lcuCombine(code: number, a: bigint, b: bigint, c: bigint, bound: number, accWidth: number): LcuResult {
  const w = BigInt(accWidth);
  switch (code) {
    case LCU.split: {
      const d = a - b;
      const lim = 1n << BigInt(bound & 63);
      const ok = d >= ((bound & SPLIT_NONNEG) !== 0 ? 0n : -lim) && d < lim;
      return { value: BigInt.asIntN(accWidth, ok ? a + b : 2n * (a < b ? a : b)), flag: !ok };
    }
    case LCU.dup:
      return { value: a < b ? a : b, flag: a !== b };
    case LCU.tmr: {
      const mask = (1n << w) - 1n;
      const ua = BigInt.asUintN(accWidth, a), ub = BigInt.asUintN(accWidth, b), uc = BigInt.asUintN(accWidth, c);
      const maj = ((ua & ub) | (ua & uc) | (ub & uc)) & mask;
      return { value: BigInt.asIntN(accWidth, maj), flag: !(a === b && b === c) };
    }
    default:
      return { value: a, flag: false };
  }
}

/**
 * The split bound byte for n odd weights (see the header): the smallest e with 128·n + 1 <= 2^e, or with
 * non-negative inputs the smallest e with 127·n + 1 <= 2^e and the one-sided flag.
 */
export function splitBound(oddWeights: number, nonNegativeInputs: boolean): number {
  const need = (nonNegativeInputs ? 127 : 128) * oddWeights + 1;
  let e = 0;
  while (2 ** e < need) e++;
  return nonNegativeInputs ? e | SPLIT_NONNEG : e;
}
