// E002: a 32-bit output driven by a 33-bit sum (additions widen by one bit; see hdl/ir/shape.ts).
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'width_mismatch' }, (m) => {
    const acc = m.input('acc_in', UInt(32));
    const x = m.input('x', UInt(32));
    m.output('acc', UInt(32)).set(acc.add(x));
  });
