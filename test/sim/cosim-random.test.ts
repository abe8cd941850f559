// Random differential testing against Verilator (DESIGN.md §4): hundreds of random designs from
// fast-check (every operator, widths 1..128 with the word-boundary widths, mixed signedness,
// registers with and without reset/enable, memories, a child instantiated twice) go through the
// Verilog emitter + Verilator and through the compiled TypeScript simulator with the same random
// stimulus; every output and every register must agree on every cycle. The designs share a few
// Verilator builds (sim/verilator/wrapper.ts), each cached by content. A failure prints the design.
//
// SPLITFUSE_COSIM_SEED=<n> explores other designs; SPLITFUSE_COSIM_DESIGNS=<n> runs more of them.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosimBatch, cosimPassed, defaultToolchain, describeMismatch, type Toolchain } from '../../sim/verilator/index.js';
import { arbDesign, randomStimulus, type ArbOptions, type RandomCase } from '../support/arbitrary.js';

const SEED = Number(process.env.SPLITFUSE_COSIM_SEED ?? 20240611);
const DESIGNS = Math.max(200, Number(process.env.SPLITFUSE_COSIM_DESIGNS ?? 200));
const CYCLES = 48;
const TIMEOUT = 30 * 60_000;

/** Mostly the full generator; some narrow designs (the 32-bit fast paths) and some purely combinational ones. */
const FAMILIES: { name: string; share: number; options: ArbOptions }[] = [
  { name: 'full', share: 0.6, options: {} },
  { name: 'narrow (<= 32 bits)', share: 0.25, options: { maxWidth: 32 } },
  { name: 'combinational', share: 0.15, options: { sequential: false } },
];

function sampleCases(): { family: string; c: RandomCase }[] {
  const out: { family: string; c: RandomCase }[] = [];
  FAMILIES.forEach((f, i) => {
    const n = i === FAMILIES.length - 1 ? DESIGNS - out.length : Math.round(DESIGNS * f.share);
    for (const c of fc.sample(arbDesign(f.options), { numRuns: n, seed: SEED + i })) out.push({ family: f.name, c });
  });
  return out;
}

let toolchain: Toolchain;
beforeAll(async () => {
  toolchain = await defaultToolchain();
}, TIMEOUT);

describe(`compiled simulator vs Verilator on ${DESIGNS} random designs (seed ${SEED})`, () => {
  it(
    'agree on every output and every register, every cycle',
    async () => {
      const cases = sampleCases();
      expect(cases.length).toBe(DESIGNS);
      const results = await cosimBatch(
        cases.map(({ c }, i) => ({ design: c.design, stimulus: randomStimulus(c, CYCLES, SEED * 31 + i) })),
        { toolchain, sim: 'compiled', compareRegisters: true, designsPerBuild: 100 },
      );
      const failures = results.flatMap((r, i) => {
        if (cosimPassed(r)) return [];
        const missing = r.missingRegisters.length ? `\nregisters missing from the VCD: ${r.missingRegisters.join(', ')}` : '';
        return [
          `#${i} (${cases[i]!.family}, seed ${SEED}): ${describeMismatch(r)}${missing}\nbuild: ${r.buildDir}\n${cases[i]!.c.description}`,
        ];
      });
      const builds = new Map(results.filter((r) => !r.error).map((r) => [r.buildDir, r]));
      const registers = results.reduce((n, r) => n + r.registersCompared, 0);
      console.log(
        `co-simulated ${results.length} random designs × ${CYCLES} cycles against ${toolchain.version}: ` +
          `${builds.size} builds (${[...builds.values()].map((r) => `${r.designsInBuild} designs ${r.cached ? 'cached' : `${r.buildSeconds.toFixed(1)} s`}`).join(', ')}), ` +
          `${registers} registers compared, ${failures.length} failing`,
      );
      if (failures.length > 0) console.error(failures.slice(0, 5).join('\n\n'));
      expect(failures.length, failures.slice(0, 5).join('\n\n')).toBe(0);
      expect(results.every((r) => r.tsSimulator === 'compiled')).toBe(true);
      expect(builds.size).toBeLessThanOrEqual(Math.ceil(DESIGNS / 100));
    },
    TIMEOUT,
  );
});
