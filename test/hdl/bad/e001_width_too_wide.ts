// E001: a declared width above 128 bits, and a product that would be wider than 128 bits.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'too_wide' }, (m) => {
    m.input('huge', UInt(200));
    const a = m.input('a', UInt(96));
    const b = m.input('b', UInt(64));
    m.output('p', a.mul(b));
  });
