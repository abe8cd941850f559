// E010: clk and rst are the implicit clock and reset of every module; ports may not take them.
import { Bool, defineModule } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'reserved_clk' }, (m) => {
    const clk = m.input('clk', Bool);
    const rst = m.input('rst', Bool);
    m.output('y', clk.and(rst));
  });
