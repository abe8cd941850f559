// E018: a memory with no words.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'mem_depth' }, (m) => {
    const addr = m.input('addr', UInt(1));
    const empty = m.memory('empty', { shape: UInt(8), depth: 0 });
    m.output('q', empty.read('empty_q', addr));
  });
