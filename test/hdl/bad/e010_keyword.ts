// E010: a Verilog keyword and a SystemVerilog keyword used as signal names.
import { Bool, defineModule } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'keyword' }, (m) => {
    const input = m.input('module', Bool);
    m.output('logic', input);
  });
