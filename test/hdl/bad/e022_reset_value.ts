// E022: a reset value that does not fit the register: 20 in UInt(4), -200 in SInt(8).
import { defineModule, SInt, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'reset_value' }, (m) => {
    const state = m.reg('state', UInt(4), { reset: 20 });
    state.set(state);
    const level = m.reg('level', SInt(8), { reset: -200 });
    level.set(level);
    m.output('y', state);
    m.output('z', level);
  });
