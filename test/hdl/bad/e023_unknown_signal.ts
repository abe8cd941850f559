// E023: hand-built IR whose assignment reads a signal the module never declared.
// The DSL can only refer to signals it declared, so only validation can see this.
import type { Design } from '../../../hdl/ir/index.js';
import { UInt } from '../../../hdl/ir/index.js';
import { captureLoc } from '../../../hdl/dsl/loc.js';

export default (): Design => {
  const loc = captureLoc();
  return {
    top: 'reads_ghost',
    modules: [
      {
        name: 'reads_ghost',
        generator: 'test',
        params: {},
        ports: [{ name: 'y', dir: 'out', shape: UInt(4), loc }],
        wires: [],
        regs: [],
        mems: [],
        instances: [],
        assigns: [{ target: 'y', value: { kind: 'ref', name: 'ghost', shape: UInt(4), loc }, loc }],
        loc,
      },
    ],
  };
};
