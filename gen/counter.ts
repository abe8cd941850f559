// An up-counter with enable: the smallest sequential block, used by the demo and the tests.
import { Bool, defineModule, UInt, type ModuleDef } from '../hdl/dsl/index.js';
import { wrappingAdd } from './arith.js';

export interface CounterOptions {
  /** Width of the count in bits; the count wraps from 2^width - 1 to 0. */
  width: number;
}

/**
 * `count` increments by one at every rising edge where `en` is high and returns to 0 on reset.
 * Module name: `counter_w<width>`.
 */
export function counter({ width }: CounterOptions): ModuleDef {
  return defineModule({ name: `counter_w${width}`, generator: 'counter', params: { width } }, (m) => {
    const en = m.input('en', Bool);
    const countReg = m.reg('count_q', UInt(width), { reset: 0, enable: en });
    countReg.set(wrappingAdd(countReg, m.constant(1, UInt(width))));
    m.output('count', countReg);
  });
}
