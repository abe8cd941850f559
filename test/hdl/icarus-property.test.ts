// Property: for random designs (test/support/arbitrary.ts), the Verilog from hdl/verilog.ts computes
// in Icarus exactly what the reference interpreter computes: combinational designs vector by vector,
// sequential ones (registers, memories, a child instantiated twice) cycle by cycle from power-on.
//
// Designs are checked in batches: each batch is one self-checking testbench that instantiates
// several designs (renamed d<i>_top / d<i>_child so they can share one build), applies random input
// vectors, compares every output with the interpreter's value and prints MISMATCH lines, then PASS.
// When a design fails, fast-check shrinks its recipe (one design per Icarus run) and the test prints
// the shrunk design's IR and its first mismatch, with the seed that replays the run.
import fc from 'fast-check';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Shape } from '../../hdl/ir/index.js';
import { clockingOf, fromBits, toBits } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { ReferenceSim } from '../../sim/reference.js';
import type { RandomCase } from '../support/arbitrary.js';
import { arbRecipe, caseOfRecipe, hasClock, randomStimulus } from '../support/arbitrary.js';
import type { DesignRecipe } from '../support/recipe.js';
import { compileIcarus, runIcarus, tempDir } from '../support/tools.js';

// A fixed seed so the same command gives the same result (project rule: determinism);
// SPLITFUSE_SEED=<n> explores other designs or replays a printed failure.
const SEED = Number(process.env.SPLITFUSE_SEED ?? 20261122);
const BATCH = 40;
const VECTORS = 40;

interface Mismatch {
  /** Index of the design within its batch. */
  readonly design: number;
  readonly vector: number;
  readonly port: string;
  /** Bit pattern from Icarus; -1 when it had x or z bits. */
  readonly got: bigint;
  readonly expected: bigint;
}

interface BatchResult {
  /** Icarus compiled and ran the testbench to its end. */
  readonly ran: boolean;
  readonly mismatches: readonly Mismatch[];
  readonly output: string;
  /** Where the Verilog, testbench and compiled simulation are (removed when the batch passes). */
  readonly dir: string;
  readonly cases: readonly RandomCase[];
  readonly vectors: readonly Record<string, bigint>[][];
}

const hex = (shape: Shape, bits: bigint): string => `${shape.width}'h${bits.toString(16)}`;

/**
 * Expected output bit patterns of one design per vector, from the reference interpreter: outputs
 * are read after the vector is applied and before the clock edge that ends its cycle.
 */
function expectations(c: RandomCase, vectors: readonly Record<string, bigint>[]): Map<string, bigint>[] {
  const sim = new ReferenceSim(c.design);
  return vectors.map((vec) => {
    for (const [name, value] of Object.entries(vec)) sim.poke(name, value);
    const outs = new Map(c.outputs.map((o) => [o.name, toBits(sim.peek(o.name), o.shape.width)]));
    sim.step();
    return outs;
  });
}

/**
 * A testbench that drives every design of the batch with its vectors and checks every output. Each
 * cycle: apply inputs (and each design's own rst) while clk is low, check, then one rising edge.
 */
function testbench(cases: readonly RandomCase[], vectors: readonly Record<string, bigint>[][], corrupt = false): string {
  const decls: string[] = [];
  const applies: string[][] = Array.from({ length: VECTORS }, () => []);
  const checks: string[][] = Array.from({ length: VECTORS }, () => []);
  const clocked = cases.some(hasClock);
  cases.forEach((c, d) => {
    const sig = (name: string): string => `d${d}_${name}`;
    const clocking = clockingOf(c.design).get(c.design.top)!;
    const conns: string[] = [];
    if (clocking.clk) conns.push('.clk(clk)');
    if (clocking.rst) conns.push(`.rst(${sig('rst')})`);
    if (hasClock(c)) decls.push(`  reg ${sig('rst')};`);
    for (const i of c.inputs) {
      decls.push(`  reg [${i.shape.width - 1}:0] ${sig(i.name)};`);
      conns.push(`.${i.name}(${sig(i.name)})`);
    }
    for (const o of c.outputs) {
      decls.push(`  wire [${o.shape.width - 1}:0] ${sig(o.name)};`);
      conns.push(`.${o.name}(${sig(o.name)})`);
    }
    decls.push(`  ${c.design.top} dut${d} (${conns.join(', ')});`);
    const expected = expectations(c, vectors[d]!);
    if (corrupt && d === 0) {
      const o = c.outputs[0]!.name;
      expected[0]!.set(o, expected[0]!.get(o)! ^ 1n);
    }
    vectors[d]!.forEach((vec, v) => {
      const step = applies[v]!;
      if (vec.rst !== undefined) step.push(`    ${sig('rst')} = 1'b${vec.rst};`);
      for (const i of c.inputs) step.push(`    ${sig(i.name)} = ${hex(i.shape, toBits(vec[i.name]!, i.shape.width))};`);
    });
    expected.forEach((outs, v) => {
      for (const o of c.outputs) {
        const want = hex(o.shape, outs.get(o.name)!);
        checks[v]!.push(
          `    if (${sig(o.name)} !== ${want}) begin errors = errors + 1; ` +
            `$display("MISMATCH d=${d} v=${v} port=${o.name} got=%h expected=%h", ${sig(o.name)}, ${want}); end`,
        );
      }
    });
  });
  // Checks come after a #1 settling delay, the rising edge after another.
  const cycles = applies.map((apply, v) => [...apply, '    #1;', ...checks[v]!, ...(clocked ? ['    #1 clk = 1;', '    #1 clk = 0;'] : [])]);
  return [
    '`timescale 1ns/1ns',
    'module tb;',
    '  integer errors;',
    '  reg clk;',
    ...decls,
    '  initial begin',
    '    errors = 0;',
    '    clk = 0;',
    ...cycles.flat(),
    '    if (errors == 0) $display("PASS");',
    '    else $display("FAIL errors=%0d", errors);',
    '    $finish;',
    '  end',
    'endmodule',
    '',
  ].join('\n');
}

/**
 * Build, emit and run one batch. Module names carry the design's index `first + i`; design i's
 * vectors come from seed `stimulusSeed + i` (default SEED + first) so a single design replays alone.
 */
function runBatch(
  recipes: readonly DesignRecipe[],
  first: number,
  /** corrupt: flip one expected bit (to test the checker); keepFailing: false removes a failing build too. */
  options: { corrupt?: boolean; stimulusSeed?: number; keepFailing?: boolean } = {},
): BatchResult {
  const cases = recipes.map((r, i) => caseOfRecipe(r, { top: `d${first + i}_top`, child: `d${first + i}_child` }));
  const vectors = cases.map((c, i) => randomStimulus(c, VECTORS, (options.stimulusSeed ?? SEED + first) + i));
  const dir = tempDir('splitfuse-icarus-');
  const files = cases.flatMap((c) => writeVerilog(c.design, path.join(dir, c.design.top)));
  const tb = path.join(dir, 'tb.v');
  writeFileSync(tb, testbench(cases, vectors, options.corrupt));
  const compiled = compileIcarus([...files, tb], 'tb', path.join(dir, 'tb.vvp'));
  const finish = (result: BatchResult): BatchResult => {
    if (passes(result) || options.keepFailing === false) rmSync(dir, { recursive: true, force: true });
    return result;
  };
  if (!compiled.ok) return finish({ ran: false, mismatches: [], output: `iverilog failed in ${dir}:\n${compiled.output}`, dir, cases, vectors });
  const run = runIcarus(path.join(dir, 'tb.vvp'));
  const mismatches: Mismatch[] = [];
  for (const m of run.output.matchAll(/MISMATCH d=(\d+) v=(\d+) port=(\w+) got=([0-9a-fxz]+) expected=([0-9a-f]+)/g)) {
    const got = /[xz]/.test(m[4]!) ? -1n : BigInt(`0x${m[4]}`);
    mismatches.push({ design: Number(m[1]), vector: Number(m[2]), port: m[3]!, got, expected: BigInt(`0x${m[5]}`) });
  }
  const ran = run.ok && /^(PASS|FAIL errors=\d+)$/m.test(run.output);
  return finish({ ran, mismatches, output: `${dir}\n${run.output}`, dir, cases, vectors });
}

function passes(r: Omit<BatchResult, 'cases' | 'vectors'>): boolean {
  return r.ran && r.mismatches.length === 0 && /^PASS$/m.test(r.output);
}

/** Shrink a failing recipe (one design per Icarus run) and describe the smallest failure found. */
function shrinkAndDescribe(arb: fc.Arbitrary<DesignRecipe>, recipe: DesignRecipe, stimulusSeed: number): string {
  const run = (r: DesignRecipe, keepFailing: boolean): BatchResult => runBatch([r], 0, { stimulusSeed, keepFailing });
  const check = fc.check(fc.property(arb, (r) => passes(run(r, false))), { examples: [[recipe]], numRuns: 1 });
  const shrunk = check.counterexample?.[0] ?? recipe;
  const r = run(shrunk, true);
  const c = r.cases[0]!;
  const lines = [
    `Icarus disagrees with the reference interpreter (replay with SPLITFUSE_SEED=${SEED}; ${check.numShrinks} shrinks).`,
    'Design:',
    c.description,
  ];
  const m = r.mismatches[0];
  if (m) {
    const shape = c.outputs.find((o) => o.name === m.port)!.shape;
    const inputs = (v: number): string => Object.entries(r.vectors[0]![v]!).map(([k, x]) => `${k}=${x}`).join(' ');
    const read = (bits: bigint): string => (bits < 0n ? 'x/z' : `${fromBits(bits, shape.width, shape.signed)} (${hex(shape, bits)})`);
    const what = hasClock(c) ? 'cycle' : 'vector';
    lines.push(`First mismatch: ${what} ${m.vector} (${inputs(m.vector)}): ${m.port} is ${read(m.got)} in Icarus, ${read(m.expected)} in the interpreter`);
    // A sequential failure depends on the history: show the inputs of the cycles before it too.
    if (hasClock(c)) for (let v = Math.max(0, m.vector - 15); v < m.vector; v++) lines.push(`  cycle ${v}: ${inputs(v)}`);
  }
  lines.push(`Icarus run: ${r.output.split('\n').slice(0, 12).join('\n')}`);
  return lines.join('\n');
}

/** Check `count` random designs in batches; throw the shrunk description of the first failure. */
function checkDesigns(arb: fc.Arbitrary<DesignRecipe>, count: number, seed: number): number {
  const recipes = fc.sample(arb, { numRuns: count, seed });
  let checked = 0;
  for (let first = 0; first < recipes.length; first += BATCH) {
    const batch = recipes.slice(first, first + BATCH);
    const result = runBatch(batch, first);
    if (!passes(result)) {
      // The failing design: the first with a mismatch, or (when the batch did not build) one by one.
      const alone = (r: DesignRecipe, i: number): boolean => passes(runBatch([r], 0, { stimulusSeed: SEED + first + i, keepFailing: false }));
      const bad = result.mismatches[0]?.design ?? batch.findIndex((r, i) => !alone(r, i));
      if (bad < 0) throw new Error(`the batch fails but no single design does (SPLITFUSE_SEED=${SEED}):\n${result.output.slice(0, 4000)}`);
      throw new Error(shrinkAndDescribe(arb, batch[bad]!, SEED + first + bad));
    }
    checked += batch.length;
  }
  return checked;
}

describe('Verilog emitter vs reference interpreter, in Icarus Verilog', () => {
  it(`160 random combinational designs × ${VECTORS} vectors agree`, () => {
    expect(checkDesigns(arbRecipe({ sequential: false, maxNodes: 20 }), 160, SEED)).toBe(160);
  });

  it(`80 random sequential designs (registers, memories, hierarchy) agree for ${VECTORS} cycles`, () => {
    expect(checkDesigns(arbRecipe({ maxNodes: 16 }), 80, SEED + 1)).toBe(80);
  });

  it('the harness reports a wrong expectation as a mismatch', () => {
    // The checker checked: flip one expected bit and the batch must fail on exactly that output.
    const [recipe] = fc.sample(arbRecipe({ sequential: false }), { numRuns: 1, seed: SEED + 2 });
    const r = runBatch([recipe!], 0, { corrupt: true, keepFailing: false });
    expect(r.ran).toBe(true);
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]).toMatchObject({ design: 0, vector: 0, port: r.cases[0]!.outputs[0]!.name });
    expect(r.output).toMatch(/FAIL errors=1/);
  });
});
