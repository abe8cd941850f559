// E017: assigning an input port. Inputs are typed as Value (no set()), so only a cast or plain
// JavaScript gets this far; the builder still rejects it.
import { defineModule, UInt, type Signal } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'assign_input' }, (m) => {
    const a = m.input('a', UInt(4));
    (a as Signal).set(3);
    m.output('y', a);
  });
