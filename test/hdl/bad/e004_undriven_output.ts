// E004: an output port that nothing drives.
import { Bool, defineModule } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'undriven_output' }, (m) => {
    m.input('a', Bool);
    m.output('y', Bool);
  });
