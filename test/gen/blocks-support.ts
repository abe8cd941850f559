// Shared checks of the accelerator unit tests (test/gen/{mac,requant,pool,linebuf,sram,dram}.test.ts):
// Verilator -Wall lint of a generator's Verilog and a Verilator co-simulation batch that must agree.
import { expect } from 'vitest';
import { build, type ModuleDef } from '../../hdl/dsl/index.js';
import type { Design } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { cosimBatch, cosimPassed, describeMismatch, type Stimulus } from '../../sim/verilator/index.js';
import { lintVerilator, tempDir } from '../support/tools.js';

/** Verilator builds can take a while on a loaded machine; a cached build returns at once. */
export const COSIM_TIMEOUT = 300_000;

/** Assert that the module's Verilog passes `verilator --lint-only -Wall` without a single message. */
export function expectLintClean(def: ModuleDef): void {
  const dir = tempDir();
  const files = writeVerilog(build(def), dir);
  const lint = lintVerilator(files, def.module.name);
  expect(lint.output).toBe('');
  expect(lint.ok).toBe(true);
}

/** Co-simulate the designs in one Verilator build; every output must agree in every cycle. */
export async function expectCosimAgrees(cases: readonly { design: Design; stimulus: Stimulus }[]): Promise<void> {
  const results = await cosimBatch(cases, { compareRegisters: true });
  for (const r of results) expect(cosimPassed(r), describeMismatch(r)).toBe(true);
  expect(results.map((r) => r.mismatches)).toEqual(cases.map(() => 0));
}

/** splitmix-style deterministic generator of integers in [lo, hi] for stimulus rows (seeded). */
export function seededInts(seed: number): (lo: bigint, hi: bigint) => bigint {
  let state = BigInt.asUintN(64, BigInt(seed));
  return (lo, hi) => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    const span = hi - lo + 1n;
    // Wide ranges: combine two draws.
    const wide = (z << 64n) | BigInt.asUintN(64, z * 0x2545f4914f6cdd1dn);
    return lo + (wide % span);
  };
}
