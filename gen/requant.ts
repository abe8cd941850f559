// The post-processing lane: bias add, dyadic requantization, clamp and ReLU (DESIGN.md §6; HAWQ-V3,
// Yao et al., ICML 2021). Bit-exact with accel/quant.ts's `requantize`, which is its reference.
import { Bool, defineModule, mux, SInt, UInt, type ModuleDef } from '../hdl/dsl/index.js';

export interface RequantOptions {
  /** Width of the accumulator input `acc` (signed), 8..64. */
  accWidth: number;
  /** Output width: `q` is SInt(outBits), clamped to [-2^(outBits-1), 2^(outBits-1) - 1]. */
  outBits: 8 | 16;
  /** Width of the multiplier input `mult`: 31 (b in [2^30, 2^31), accel/quant.ts) or 32. Default 31. */
  multBits?: 31 | 32;
}

/** Width of the `bias` input: int32 bias (DESIGN.md §6). */
export const REQUANT_BIAS_BITS = 32;
/** Width of the `shift` input: c in 0..63. */
export const REQUANT_SHIFT_BITS = 6;
/** Cycles from inputs sampled in cycle t to `q`/`valid_out` in cycle t + REQUANT_LATENCY. */
export const REQUANT_LATENCY = 2;

/**
 * One result per cycle, REQUANT_LATENCY = 2 registered stages:
 * - stage 1 (edge ending cycle t): z = acc + bias, exact (max(accWidth, 32) + 1 bits, no wrap), and
 *   mult, shift, relu, valid_in are registered alongside;
 * - stage 2 (edge ending cycle t+1): p = z * mult (exact), r = (p + ((1 << c) >> 1)) >>> c — i.e.
 *   floor((z·b + 2^(c-1)) / 2^c), round half up, and for c = 0 no rounding (r = z·b) — then clamp to
 *   the outBits range, then ReLU (max(0, ·)) when relu was set; the result is registered as `q`.
 * So `q` and `valid_out` in cycle t+2 belong to the inputs of cycle t: q = requantize(acc + bias,
 * { b: mult, c: shift }, { bits: outBits, relu }) (accel/quant.ts). `valid_out` is valid_in delayed by
 * two cycles; `q` is computed every cycle whatever valid_in is. Reset clears the pipeline.
 *
 * Module name: `requant_acc<accWidth>_q<outBits>` with suffix `_m32` when multBits is 32.
 */
export function requant({ accWidth, outBits, multBits = 31 }: RequantOptions): ModuleDef {
  const name = `requant_acc${accWidth}_q${outBits}${multBits === 32 ? '_m32' : ''}`;
  return defineModule({ name, generator: 'requant', params: { accWidth, outBits, multBits } }, (m) => {
    const acc = m.input('acc', SInt(accWidth));
    const bias = m.input('bias', SInt(REQUANT_BIAS_BITS));
    const mult = m.input('mult', UInt(multBits));
    const shift = m.input('shift', UInt(REQUANT_SHIFT_BITS));
    const relu = m.input('relu', Bool);
    const validIn = m.input('valid_in', Bool);

    // Stage 1: the exact sum; add() widens by one bit, so it never wraps.
    const sum = acc.add(bias);
    const sumReg = m.reg('sum_q', sum.shape, { reset: 0 });
    sumReg.set(sum);
    const multReg = m.reg('mult_q', UInt(multBits), { reset: 0 });
    multReg.set(mult);
    const shiftReg = m.reg('shift_q', UInt(REQUANT_SHIFT_BITS), { reset: 0 });
    shiftReg.set(shift);
    const reluReg = m.reg('relu_q', Bool, { reset: 0 });
    reluReg.set(relu);
    const validReg = m.reg('valid_q', Bool, { reset: 0 });
    validReg.set(validIn);

    // Stage 2: exact product (signed × unsigned → signed, one bit wider than both), then the rounding
    // constant 2^(c-1) (0 for c = 0) added with one more bit so it cannot overflow, then shift.
    const product = m.wire('product', sumReg.mul(multReg));
    const wide = product.width + 1;
    const half = m.constant(1, SInt(wide)).shl(shiftReg).sra(1);
    const rounded = m.wire('rounded', product.sext(wide).add(half).trunc(wide).sra(shiftReg));
    const hi = (1n << BigInt(outBits - 1)) - 1n;
    const lo = -(1n << BigInt(outBits - 1));
    const clamped = mux(
      rounded.gt(m.constant(hi, SInt(outBits))),
      m.constant(hi, SInt(outBits)),
      mux(rounded.lt(m.constant(lo, SInt(outBits))), m.constant(lo, SInt(outBits)), rounded.trunc(outBits)),
    );
    const activated = mux(reluReg.and(clamped.lt(m.constant(0, SInt(outBits)))), m.constant(0, SInt(outBits)), clamped);
    const qReg = m.reg('q_q', SInt(outBits), { reset: 0 });
    qReg.set(activated);
    const validOut = m.reg('valid_out_q', Bool, { reset: 0 });
    validOut.set(validReg);
    m.output('q', qReg);
    m.output('valid_out', validOut);
  });
}
