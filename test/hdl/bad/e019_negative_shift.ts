// E019: shifting by a negative constant.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'negative_shift' }, (m) => {
    const a = m.input('a', UInt(8));
    m.output('y', a.shl(-1));
  });
