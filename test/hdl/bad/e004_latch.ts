// E004: a wire driven only under a condition would hold its value otherwise: a latch.
import { Bool, defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'latch' }, (m) => {
    const load = m.input('load', Bool);
    const d = m.input('d', UInt(8));
    const held = m.wire('held', UInt(8));
    m.when(load, () => held.set(d));
    m.output('q', held);
  });
