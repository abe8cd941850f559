// E004: a wire that is read but never driven.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'undriven_wire' }, (m) => {
    const offset = m.wire('offset', UInt(4));
    m.output('y', UInt(4)).set(offset);
  });
