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

/**
 * A seeded pixel stream for the streaming blocks (pool, line buffer): a rows×cols map of `width`-bit
 * pixels (extremes one time in three), reset in cycle 0, random valid gaps carrying junk pixels, then
 * `idleAfter` idle cycles so the last outputs can leave.
 */
export function pixelStream(options: { width: number; signed: boolean; cols: number }, rows: number, seed: number, idleAfter: number): { pixels: bigint[]; stimulus: Stimulus } {
  const next = seededInts(seed);
  const lo = options.signed ? -(1n << BigInt(options.width - 1)) : 0n;
  const hi = options.signed ? (1n << BigInt(options.width - 1)) - 1n : (1n << BigInt(options.width)) - 1n;
  const pixels = Array.from({ length: rows * options.cols }, () => (next(0n, 2n) === 0n ? [lo, hi][Number(next(0n, 1n))]! : next(lo, hi)));
  const stimulus: Record<string, bigint | number>[] = [{ rst: 1, valid: 0, pix: 0 }];
  for (const p of pixels) {
    while (next(0n, 3n) === 0n) stimulus.push({ rst: 0, valid: 0, pix: next(lo, hi) });
    stimulus.push({ rst: 0, valid: 1, pix: p });
  }
  for (let i = 0; i < idleAfter; i++) stimulus.push({ rst: 0, valid: 0, pix: 0 });
  return { pixels, stimulus };
}
