// E013: an 8-bit value used as the condition of when() and as a mux select.
import { defineModule, mux, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'wide_condition' }, (m) => {
    const flags = m.input('flags', UInt(8));
    const y = m.output('y', UInt(8));
    y.set(0);
    m.when(flags, () => y.set(1));
    m.output('z', mux(flags, 1, 0));
  });
