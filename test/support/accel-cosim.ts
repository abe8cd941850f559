// Verilator checks of the whole accelerator shared by the RTL tests (test/gen/accel.test.ts, test/gen/accel/*):
// `-Wall` lint of simulation tops, and whole-program co-simulation of programs the TS RTL first runs to done
// (the program preloaded in the table memories; every output and register compared every cycle).
import { expect } from 'vitest';
import { build } from '../../hdl/dsl/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import type { AccelHardwareConfig, AccelSizes } from '../../gen/accel/config.js';
import { encode } from '../../gen/accel/isa.js';
import { accelSimTop } from '../../gen/accel/simtop.js';
import type { ProgramImage } from '../../accel/interpret.js';
import { cosimBatch, describeMismatch, type CosimResult, type Toolchain } from '../../sim/verilator/index.js';
import { lintVerilator, tempDir } from './tools.js';
import { runOnRtl } from './accel-programs.js';

/** The simulation top of each configuration (accelerator, array, lanes, DRAM model) lints clean under Verilator -Wall. */
export function expectAccelLintClean(configs: readonly AccelHardwareConfig[], sizes: AccelSizes, tag: string): void {
  for (const config of configs) {
    const design = build(accelSimTop(config, sizes));
    const lint = lintVerilator(writeVerilog(design, tempDir(`splitfuse-${tag}-`)), design.top);
    expect(lint.output).toBe('');
    expect(lint.ok).toBe(true);
  }
}

/** Co-simulate whole programs in Verilator against the TS simulator (each must reach done on the TS RTL first). */
export async function cosimPrograms(programs: readonly { readonly config: AccelHardwareConfig; readonly sizes: AccelSizes; readonly image: ProgramImage }[], toolchain: Toolchain): Promise<CosimResult[]> {
  const cases = programs.map((p) => {
    const run = runOnRtl(p.config, p.sizes, p.image);
    expect(run.done).toBe(true);
    const init = { imem: p.image.program.map(encode), pixmem: p.image.pixmem, offmem: p.image.offmem, pmem: p.image.pmem, dram: p.image.dram };
    const design = build(accelSimTop(p.config, p.sizes, init));
    const cycles = run.cycles + 4; // reset edge, the run, and a few cycles with done high
    return { design, cycles, stimulus: [{ rst: 1 }, ...Array.from({ length: cycles - 1 }, () => ({ rst: 0 }))] };
  });
  return cosimBatch(cases, { toolchain, compareRegisters: true });
}

/** No mismatch in any result, each over more than `least` cycles and registers compared. */
export function expectCosimClean(results: readonly CosimResult[], least: { readonly cycles: number; readonly registers: number }): void {
  for (const r of results) {
    expect(r.mismatches, describeMismatch(r)).toBe(0);
    expect(r.cycles).toBeGreaterThan(least.cycles);
    expect(r.registersCompared).toBeGreaterThan(least.registers);
  }
}
