// E009: two signals with the same name in one module; both declarations are reported.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'name_clash' }, (m) => {
    const a = m.input('a', UInt(4));
    m.wire('sum', a.add(1));
    m.wire('sum', a.add(2));
    m.output('y', a);
  });
