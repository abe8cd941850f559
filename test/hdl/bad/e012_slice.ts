// E012: bit ranges outside an 8-bit value: a slice past the MSB and a zero-extension that narrows.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'slice_range' }, (m) => {
    const a = m.input('a', UInt(8));
    m.output('high', a.slice(4, 8));
    m.output('narrow', a.zext(4));
  });
