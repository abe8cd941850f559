// A multiply-accumulate unit: the arithmetic core of every processing element.
import { Bool, defineModule, SInt, UInt, type ModuleDef, type Value } from '../hdl/dsl/index.js';
import { wrappingAdd } from './arith.js';

/** Operand widths of the MAC: INT4, INT8 and INT16 quantized networks. */
export type MacWidth = 4 | 8 | 16;

export interface MacOptions {
  /** Operand width in bits. */
  width: MacWidth;
  /** Two's-complement operands and accumulator when true, unsigned when false. */
  signed: boolean;
  /**
   * Accumulator width in bits, at least 2*width+1 (one full product plus a carry) and at most 128.
   * The accumulator wraps modulo 2^accWidth, as integer accumulators in quantized inference do.
   */
  accWidth: number;
  /**
   * Register the product (and clear/en with it) one cycle before the accumulation, so the multiplier
   * and the adder sit in different pipeline stages (on xc7 the product register is the DSP48's MREG).
   * Default false.
   */
  pipeline?: boolean;
}

/** Default accumulator width for an operand width (DESIGN.md §5: 16 for INT4, 32 for INT8, 48 for INT16). */
export function defaultAccWidth(width: MacWidth): number {
  return width === 4 ? 16 : width === 8 ? 32 : 48;
}

/** Cycles from a/b/clear/en being sampled to `acc` showing their effect: 1, or 2 with the pipeline register. */
export function macLatency(pipeline: boolean): number {
  return pipeline ? 2 : 1;
}

/**
 * Without the pipeline register, at each rising edge: `clear` loads 0 (it wins over `en`); otherwise
 * `en` adds the full product a*b to the accumulator. `acc` is the accumulator register; reset loads 0.
 * So inputs presented in cycle t are visible on `acc` in cycle t+1.
 *
 * With `pipeline`, the edge ending cycle t registers a*b, clear and en (`product_q`, `clear_q`,
 * `en_q`); the edge ending cycle t+1 applies them to the accumulator as above, so inputs presented in
 * cycle t are visible on `acc` in cycle t+2 and clear/en act one cycle later than without the
 * register. Reset clears the pipeline registers too (no stale add after reset).
 *
 * Module name: `mac_<s|u><width>_acc<accWidth>`, e.g. `mac_s8_acc32`, with suffix `_p` when pipelined.
 */
export function mac({ width, signed, accWidth, pipeline = false }: MacOptions): ModuleDef {
  const operand = signed ? SInt(width) : UInt(width);
  const accShape = signed ? SInt(accWidth) : UInt(accWidth);
  const name = `mac_${signed ? 's' : 'u'}${width}_acc${accWidth}${pipeline ? '_p' : ''}`;
  return defineModule({ name, generator: 'mac', params: { width, signed, accWidth, pipeline } }, (m) => {
    const a = m.input('a', operand);
    const b = m.input('b', operand);
    const clear = m.input('clear', Bool);
    const en = m.input('en', Bool);
    const accReg = m.reg('acc_q', accShape, { reset: 0 });
    // The product is exact (2*width bits); extend it to the accumulator and add modulo 2^accWidth.
    const product = m.wire('product', a.mul(b));
    let addendProduct: Value = product;
    let clearNow: Value = clear;
    let enNow: Value = en;
    if (pipeline) {
      const productReg = m.reg('product_q', product.shape, { reset: 0 });
      productReg.set(product);
      const clearReg = m.reg('clear_q', Bool, { reset: 0 });
      clearReg.set(clear);
      const enReg = m.reg('en_q', Bool, { reset: 0 });
      enReg.set(en);
      [addendProduct, clearNow, enNow] = [productReg, clearReg, enReg];
    }
    const addend = signed ? addendProduct.sext(accWidth) : addendProduct.zext(accWidth);
    const sum = wrappingAdd(accReg, addend);
    m.when(clearNow, () => accReg.set(0)).elseWhen(enNow, () => accReg.set(sum));
    m.output('acc', accReg);
  });
}

/** One cycle of MAC inputs for macReference. */
export interface MacInputs {
  readonly a: bigint;
  readonly b: bigint;
  readonly clear: boolean;
  readonly en: boolean;
}

/**
 * Reference: the value of `acc` in each cycle 0..inputs.length when inputs[t] is applied in cycle t,
 * starting right after reset (acc = 0 and an empty pipeline in cycle 0). Integers, wrapping modulo
 * 2^accWidth, read back in the accumulator's signedness.
 */
export function macReference(inputs: readonly MacInputs[], { signed, accWidth, pipeline = false }: MacOptions): bigint[] {
  const wrap = (v: bigint): bigint => (signed ? BigInt.asIntN(accWidth, v) : BigInt.asUintN(accWidth, v));
  let acc = 0n;
  let staged: MacInputs = { a: 0n, b: 0n, clear: false, en: false };
  const trace = [acc];
  for (const now of inputs) {
    const applied = pipeline ? staged : now;
    staged = now;
    if (applied.clear) acc = 0n;
    else if (applied.en) acc = wrap(acc + applied.a * applied.b);
    trace.push(acc);
  }
  return trace;
}
