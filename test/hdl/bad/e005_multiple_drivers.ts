// E005: an output assigned twice unconditionally; both locations are reported.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'two_drivers' }, (m) => {
    const a = m.input('a', UInt(4));
    const b = m.input('b', UInt(4));
    const y = m.output('y', UInt(4));
    y.set(a);
    y.set(b);
  });
