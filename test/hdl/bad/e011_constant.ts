// E011: constants that do not fit their shape: 300 in 8 bits, and -1 assigned to an unsigned output.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'constant_fits' }, (m) => {
    m.output('limit', m.constant(300, UInt(8)));
    m.output('minus_one', UInt(4)).set(-1);
  });
