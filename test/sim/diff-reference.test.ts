// Differential testing (DESIGN.md §3-4): the compiled simulator against the reference interpreter on
// random designs (test/support/arbitrary.ts: every operator at widths 1..128 with mixed signedness,
// registers with and without reset and enable, memories with non-power-of-two depths and several
// ports, a child module instantiated twice). Each cycle, after the inputs are poked, every signal
// (outputs, wires, registers and read ports by hierarchical name) and every memory word must agree.
// Variants vary what the compiler does without changing the semantics: tiny generated functions
// (chunkSize 1 and 7: values cross function boundaries through the state arrays), counters, and
// forces that never become active (views and force plumbing in place).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Design, Expr, Shape } from '../../hdl/ir/index.js';
import { topModule } from '../../hdl/ir/index.js';
import { compile, type CompiledSim, type CompileOptions, type Force } from '../../sim/compile/index.js';
import { ReferenceSim } from '../../sim/reference.js';
import { arbDesign, randomStimulus, type ArbOptions, type RandomCase } from '../support/arbitrary.js';

const CYCLES = 40;

/** The first disagreement, or null: "cycle 3: 'u0.acc' expected 5, got 7". */
function firstDifference(c: RandomCase, options: CompileOptions, seed: number, refDesign: Design = c.design): string | null {
  const sim: CompiledSim = compile(c.design, options);
  const ref = new ReferenceSim(refDesign);
  const names = ref.signalNames().filter((n) => n !== 'clk');
  const mems = ref.memoryNames().map((name) => ({ name, depth: sim.memoryInfo(name).depth }));
  const stimulus = randomStimulus(c, CYCLES, seed);
  for (let cycle = 0; cycle < stimulus.length; cycle++) {
    for (const [k, v] of Object.entries(stimulus[cycle]!)) {
      sim.poke(k, v);
      ref.poke(k, v);
    }
    for (const n of names) {
      const expected = ref.peek(n);
      const actual = sim.peek(n);
      if (expected !== actual) return `cycle ${cycle}: '${n}' expected ${expected}, got ${actual}`;
    }
    for (const { name, depth } of mems) {
      for (let a = 0; a < depth; a++) {
        const expected = ref.peekMem(name, a);
        const actual = sim.peekMem(name, a);
        if (expected !== actual) return `cycle ${cycle}: '${name}[${a}]' expected ${expected}, got ${actual}`;
      }
    }
    sim.step();
    ref.step();
  }
  return null;
}

function agree(arb: fc.Arbitrary<RandomCase>, numRuns: number, variant: fc.Arbitrary<CompileOptions>): void {
  let cases = 0;
  fc.assert(
    fc.property(arb, variant, fc.nat(1_000_000), (c, options, seed) => {
      cases++;
      const diff = firstDifference(c, options, seed);
      // fast-check prints the shrunk design (RandomCase's toString is its IR dump) with this message.
      if (diff) throw new Error(`${diff} (compile options ${JSON.stringify(options)}, stimulus seed ${seed})\n${c.description}`);
    }),
    { numRuns },
  );
  expect(cases).toBeGreaterThanOrEqual(numRuns);
}

const variants: fc.Arbitrary<CompileOptions> = fc.record({
  chunkSize: fc.constantFrom(1, 7, 1000),
  counters: fc.boolean(),
});

describe('compiled simulator vs reference interpreter', () => {
  it('agree on 500 random designs (widths 1..128, registers, memories, hierarchy)', () => {
    agree(arbDesign(), 500, variants);
  });

  const focused: [string, ArbOptions][] = [
    ['number paths (widths 1..40, bigger DAGs)', { maxWidth: 40, maxNodes: 30 }],
    ['BigInt boundaries (widths 1..70)', { maxWidth: 70, maxNodes: 20 }],
  ];
  for (const [what, options] of focused) {
    it(`agree on 100 random designs: ${what}`, () => agree(arbDesign(options), 100, variants));
  }

  it('a permanent force on a net equals the same force written as logic in the design', () => {
    // Forces on the top module's assigned nets (outputs, wires), rewritten into the IR as
    // (value & ~clear) | set on the bit pattern, which the reference interpreter then runs.
    const withForces = arbDesign({ maxNodes: 12 }).chain((c) => {
      const top = topModule(c.design);
      const targets = top.assigns.map((a) => a.target);
      if (targets.length === 0) return fc.constant(null);
      const force = fc.record({ signal: fc.constantFrom(...targets), bit: fc.nat(127), value: fc.constantFrom<0 | 1>(0, 1) });
      const shapeOf = (n: string): Shape => [...top.ports, ...top.wires].find((x) => x.name === n)!.shape;
      return fc
        .array(force, { minLength: 1, maxLength: 3 })
        .map((fs) => ({ c, forces: fs.map((f) => ({ ...f, bit: f.bit % shapeOf(f.signal).width })) }));
    });
    let checked = 0;
    fc.assert(
      fc.property(withForces, fc.nat(1000), (entry, seed) => {
        if (!entry) return;
        checked++;
        const diff = firstDifference(entry.c, { forces: entry.forces }, seed, forcedAsLogic(entry.c.design, entry.forces));
        if (diff) throw new Error(`${diff} (forces ${JSON.stringify(entry.forces)})\n${entry.c.description}`);
      }),
      { numRuns: 100 },
    );
    expect(checked).toBeGreaterThan(50);
  });

  it('agree with forces compiled in that never become active', () => {
    const withForces = arbDesign({ maxNodes: 12 }).chain((c) => {
      const compiled = compile(c.design);
      const nets = compiled.signalNames().filter((n) => n !== 'clk');
      const force = fc.record({
        signal: fc.constantFrom(...nets),
        bit: fc.nat(127),
        value: fc.constantFrom<0 | 1>(0, 1),
      });
      const forces = fc.array(force, { minLength: 1, maxLength: 4 }).map((fs) =>
        fs.map((f) => ({ ...f, bit: f.bit % compiled.shapeOf(f.signal).width, from: 1_000_000 })),
      );
      return fc.tuple(fc.constant(c), forces);
    });
    fc.assert(
      fc.property(withForces, fc.nat(1000), ([c, forces], seed) => {
        const diff = firstDifference(c, { forces }, seed);
        if (diff) throw new Error(`${diff} (forces ${JSON.stringify(forces)})\n${c.description}`);
      }),
      { numRuns: 100 },
    );
  });
});

/** The design with permanent forces on top-level assignments written as logic. */
function forcedAsLogic(design: Design, forces: readonly Force[]): Design {
  const top = topModule(design);
  const assigns = top.assigns.map((a) => {
    const mine = forces.filter((f) => f.signal === a.target);
    if (mine.length === 0) return a;
    const s = a.value.shape;
    const u: Shape = { width: s.width, signed: false };
    const loc = a.loc;
    const konst = (value: bigint): Expr => ({ kind: 'const', value, shape: u, loc });
    let clear = 0n;
    let set = 0n;
    for (const f of mine) {
      const bit = 1n << BigInt(f.bit);
      if (f.value === 1) [set, clear] = [set | bit, clear & ~bit];
      else [set, clear] = [set & ~bit, clear | bit];
    }
    const bits: Expr = s.signed ? { kind: 'cast', arg: a.value, signed: false, shape: u, loc } : a.value;
    const keep = ((1n << BigInt(s.width)) - 1n) & ~clear;
    const masked: Expr = { kind: 'binary', op: 'and', lhs: bits, rhs: konst(keep), shape: u, loc };
    const forced: Expr = { kind: 'binary', op: 'or', lhs: masked, rhs: konst(set), shape: u, loc };
    return { ...a, value: s.signed ? ({ kind: 'cast', arg: forced, signed: true, shape: s, loc } as Expr) : forced };
  });
  return { ...design, modules: design.modules.map((m) => (m === top ? { ...top, assigns } : m)) };
}
