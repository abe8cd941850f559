// E003: a signed output driven by an unsigned value of the same width.
import { defineModule, SInt, UInt } from '../../../hdl/dsl/index.js';

export default () =>
  defineModule({ name: 'signedness' }, (m) => {
    const raw = m.input('raw', UInt(8));
    m.output('value', SInt(8)).set(raw);
  });
