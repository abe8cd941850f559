// Arithmetic helpers shared by generators, written with the DSL only.
import { cat, type Value } from '../hdl/dsl/index.js';
import { MAX_WIDTH } from '../hdl/ir/index.js';

/**
 * a + b modulo 2^width for two operands of the same shape; the result has that shape.
 * The DSL's add() widens by one bit (hdl/ir/shape.ts), which is illegal at MAX_WIDTH; there the
 * sum is split into the low width-1 bits (whose carry lands in bit width-1) and the top bit.
 */
export function wrappingAdd(a: Value, b: Value): Value {
  const width = a.width;
  if (width < MAX_WIDTH) return a.add(b).trunc(width);
  const low = a.asUnsigned().trunc(width - 1).add(b.asUnsigned().trunc(width - 1));
  const top = a.bit(width - 1).xor(b.bit(width - 1)).xor(low.bit(width - 1));
  const sum = cat(top, low.trunc(width - 1));
  return a.signed ? sum.asSigned() : sum;
}
