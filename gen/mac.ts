// A multiply-accumulate unit: the arithmetic core of every processing element.
import { Bool, defineModule, SInt, UInt, type ModuleDef } from '../hdl/dsl/index.js';
import { wrappingAdd } from './arith.js';

export interface MacOptions {
  /** Operand width in bits (INT8 or INT16 quantized networks). */
  width: 8 | 16;
  /** Two's-complement operands and accumulator when true, unsigned when false. */
  signed: boolean;
  /**
   * Accumulator width in bits, at least 2*width+1 (one full product plus a carry) and at most 128.
   * The accumulator wraps modulo 2^accWidth, as integer accumulators in quantized inference do.
   */
  accWidth: number;
}

/** Default accumulator width for an operand width (DESIGN.md §5: 32 for INT8, 48 for INT16). */
export function defaultAccWidth(width: 8 | 16): number {
  return width === 8 ? 32 : 48;
}

/**
 * At each rising edge: `clear` loads 0 (it wins over `en`); otherwise `en` adds the full
 * product a*b to the accumulator. `acc` is the accumulator register; reset loads 0.
 * Module name: `mac_<s|u><width>_acc<accWidth>`, e.g. `mac_s8_acc32`.
 */
export function mac({ width, signed, accWidth }: MacOptions): ModuleDef {
  const operand = signed ? SInt(width) : UInt(width);
  const accShape = signed ? SInt(accWidth) : UInt(accWidth);
  const name = `mac_${signed ? 's' : 'u'}${width}_acc${accWidth}`;
  return defineModule({ name, generator: 'mac', params: { width, signed, accWidth } }, (m) => {
    const a = m.input('a', operand);
    const b = m.input('b', operand);
    const clear = m.input('clear', Bool);
    const en = m.input('en', Bool);
    const accReg = m.reg('acc_q', accShape, { reset: 0 });
    // The product is exact (2*width bits); extend it to the accumulator and add modulo 2^accWidth.
    const product = m.wire('product', a.mul(b));
    const addend = signed ? product.sext(accWidth) : product.zext(accWidth);
    const sum = wrappingAdd(accReg, addend);
    m.when(clear, () => accReg.set(0)).elseWhen(en, () => accReg.set(sum));
    m.output('acc', accReg);
  });
}
