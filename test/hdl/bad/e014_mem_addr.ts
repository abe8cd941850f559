// E014: a 16-word memory has 4 address bits; reading it with an 8-bit address is an error.
import { Bool, defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'mem_addr' }, (m) => {
    const addr = m.input('addr', UInt(8));
    const we = m.input('we', Bool);
    const coeffs = m.memory('coeffs', { shape: UInt(8), depth: 16 });
    coeffs.write(addr.trunc(4), addr, we);
    m.output('q', coeffs.read('coeffs_q', addr));
  });
