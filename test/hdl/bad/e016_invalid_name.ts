// E016: names that are not identifiers (a dash, a leading digit).
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'invalid_name' }, (m) => {
    const a = m.input('data-in', UInt(4));
    m.output('2x', a.shl(1));
  });
