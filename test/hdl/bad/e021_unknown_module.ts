// E021: hand-built IR (not the DSL) whose instance names a module missing from the design.
// The DSL always elaborates the modules it instantiates, so only validation can see this.
import type { Design } from '../../../hdl/ir/index.js';
import { captureLoc } from '../../../hdl/dsl/loc.js';

export default (): Design => {
  const loc = captureLoc();
  return {
    top: 'parent',
    modules: [
      {
        name: 'parent',
        generator: 'test',
        params: {},
        ports: [],
        wires: [],
        regs: [],
        mems: [],
        instances: [{ name: 'u_missing', module: 'missing', connections: [], loc }],
        assigns: [],
        loc,
      },
    ],
  };
};
