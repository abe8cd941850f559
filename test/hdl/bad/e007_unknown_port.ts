// E007: connecting an input the instantiated module does not have, and reading an unknown output.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

const adder = defineModule({ name: 'adder' }, (m) => {
  const a = m.input('a', UInt(4));
  const b = m.input('b', UInt(4));
  m.output('sum', a.add(b));
});

export default () =>
  defineModule({ name: 'unknown_port' }, (m) => {
    const x = m.input('x', UInt(4));
    const u = m.instance('u_add', adder, { a: x, b: x, carry_in: 0 });
    m.output('y', UInt(1)).set(u.out('carry'));
    m.output('s', u.out('sum'));
  });
