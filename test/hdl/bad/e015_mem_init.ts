// E015: memory contents longer than the memory, and a word that does not fit 8 bits.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'mem_init' }, (m) => {
    const addr = m.input('addr', UInt(2));
    const rom = m.memory('rom', { shape: UInt(8), depth: 4, init: [1, 2, 300, 4, 5] });
    m.output('q', rom.read('rom_q', addr));
  });
