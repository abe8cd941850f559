// E008: an instance input left unconnected.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

const adder = defineModule({ name: 'adder' }, (m) => {
  const a = m.input('a', UInt(4));
  const b = m.input('b', UInt(4));
  m.output('sum', a.add(b));
});

export default () =>
  defineModule({ name: 'unconnected' }, (m) => {
    const x = m.input('x', UInt(4));
    const u = m.instance('u_add', adder, { a: x });
    m.output('s', u.out('sum'));
  });
