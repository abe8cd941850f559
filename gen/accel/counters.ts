// Event counters for the energy model and the runner (DESIGN.md §10): 32-bit registers in the
// accelerator top, named `cnt_<event>`, read with peek('accel.cnt_<event>') (or from Verilator's
// trace). They count and wrap modulo 2^32; nothing in the datapath reads them. top.ts lists them.
import { UInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';

export const COUNTER_BITS = 32;

/** Collects increments by name; finish() declares one register per name. */
export class Counters {
  private readonly increments = new Map<string, Value[]>();

  /** At every edge, add `amount` (a 1-bit condition counts 1) to counter `name`. */
  add(name: string, amount: Value): void {
    const list = this.increments.get(name) ?? [];
    list.push(amount);
    this.increments.set(name, list);
  }

  /** Declare the registers (in a stable order: sorted by name). */
  finish(m: ModuleBuilder): string[] {
    const names = [...this.increments.keys()].sort();
    for (const name of names) {
      const reg = m.reg(name, UInt(COUNTER_BITS), { reset: 0 });
      const sum = this.increments.get(name)!.map((v) => v.asUnsigned()).reduce((a, b) => a.add(b));
      reg.set(reg.add(sum).trunc(COUNTER_BITS));
    }
    return names;
  }
}
