// E020: a value of one module used inside another instead of going through an instance port.
import { defineModule, UInt, type Value } from '../../../hdl/dsl/index.js';

export default () => {
  let leaked: Value | undefined;
  defineModule({ name: 'source' }, (m) => {
    leaked = m.input('secret', UInt(4));
    m.output('y', leaked);
  });
  return defineModule({ name: 'foreign_value' }, (m) => {
    const a = m.input('a', UInt(4));
    m.output('y', UInt(4)).set(leaked!);
    m.output('z', a.and(leaked!));
  });
};
