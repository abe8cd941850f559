// E006: a loop that closes through an instance whose output depends combinationally on its input.
import { defineModule, UInt } from '../../../hdl/dsl/index.js';

const inverter = defineModule({ name: 'inverter' }, (m) => {
  const d = m.input('d', UInt(4));
  m.output('q', d.not());
});

export default () =>
  defineModule({ name: 'loop_through_instance' }, (m) => {
    const feedback = m.wire('feedback', UInt(4));
    const inv = m.instance('inv', inverter, { d: feedback });
    feedback.set(inv.out('q'));
    m.output('q', feedback);
  });
