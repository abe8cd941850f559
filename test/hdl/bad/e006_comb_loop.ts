// E006: two wires that drive each other without a register in between; the whole path is printed.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'comb_loop' }, (m) => {
    const a = m.input('a', UInt(8));
    const x = m.wire('x', UInt(8));
    const y = m.wire('y', UInt(8));
    x.set(y.xor(a));
    y.set(x.not());
    m.output('q', y);
  });
