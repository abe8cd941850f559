// The random-design generator is itself tested: its designs validate, respect the options, cover
// every operator and feature, and its stimulus is deterministic and fits the inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Design, Expr } from '../../hdl/ir/index.js';
import { children, fits, moduleExprRoots, topModule } from '../../hdl/ir/index.js';
import { validateDesign } from '../../hdl/validate.js';
import { ReferenceSim } from '../../sim/reference.js';
import type { ArbOptions, RandomCase } from './arbitrary.js';
import { arbDesign, hasClock, randomStimulus, renameCase } from './arbitrary.js';

function sample(options: ArbOptions, numRuns: number, seed = 7): RandomCase[] {
  return fc.sample(arbDesign(options), { numRuns, seed });
}

/** Every expression node of a design, each once. */
function exprs(design: Design): Expr[] {
  const seen = new Set<Expr>();
  const walk = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    children(e).forEach(walk);
  };
  for (const m of design.modules) for (const r of moduleExprRoots(m)) walk(r.expr);
  return [...seen];
}

function opName(e: Expr): string {
  switch (e.kind) {
    case 'unary':
    case 'binary':
      return e.op;
    case 'shiftc':
      return `${e.op}c`;
    case 'extend':
      return e.mode === 'zero' ? 'zext' : 'sext';
    case 'cast':
      return e.signed ? 'asSigned' : 'asUnsigned';
    default:
      return e.kind;
  }
}

describe('arbDesign', () => {
  it('builds valid designs that respect maxWidth, sequential and hierarchy', () => {
    for (const options of [{}, { sequential: false }, { maxWidth: 8, hierarchy: false }, { memories: false }] as ArbOptions[]) {
      for (const c of sample(options, 30)) {
        expect(validateDesign(c.design), c.description).toEqual([]);
        const max = options.maxWidth ?? 128;
        for (const e of exprs(c.design)) expect(e.shape.width, c.description).toBeLessThanOrEqual(max);
        for (const m of c.design.modules) {
          if (options.sequential === false) expect(m.regs.length + m.mems.length).toBe(0);
          if (options.memories === false) expect(m.mems).toEqual([]);
        }
        if (options.hierarchy === false) expect(c.design.modules).toHaveLength(1);
        const top = topModule(c.design);
        expect(c.inputs.map((i) => i.name)).toEqual(top.ports.filter((p) => p.dir === 'in').map((p) => p.name));
        expect(c.outputs.length).toBeGreaterThan(0);
        expect(c.description).toContain(`(design ${c.design.top}`);
      }
    }
  });

  it('covers every operator and every sequential feature', () => {
    const cases = sample({}, 150, 11);
    const ops = new Set(cases.flatMap((c) => exprs(c.design).map(opName)));
    for (const op of ['add', 'sub', 'mul', 'neg', 'and', 'or', 'xor', 'not', 'andr', 'orr', 'xorr', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
      'shl', 'shr', 'sra', 'shlc', 'shrc', 'srac', 'mux', 'concat', 'slice', 'zext', 'sext', 'trunc', 'asSigned', 'asUnsigned', 'const']) {
      expect(ops, op).toContain(op);
    }
    const modules = cases.flatMap((c) => c.design.modules);
    const regs = modules.flatMap((m) => m.regs);
    const mems = modules.flatMap((m) => m.mems);
    expect(regs.some((r) => r.reset === null)).toBe(true);
    expect(regs.some((r) => r.reset !== null && r.init !== r.reset)).toBe(true);
    expect(regs.some((r) => r.enable !== null)).toBe(true);
    expect(mems.some((m) => (m.depth & (m.depth - 1)) !== 0)).toBe(true);
    expect(mems.some((m) => m.init !== null)).toBe(true);
    expect(mems.some((m) => m.writePorts.length > 1)).toBe(true);
    expect(mems.some((m) => m.readPorts.some((r) => r.enable !== null))).toBe(true);
    expect(cases.some((c) => topModule(c.design).instances.length === 2)).toBe(true);
    const widths = new Set(cases.flatMap((c) => exprs(c.design).map((e) => e.shape.width)));
    for (const w of [1, 32, 33, 64, 65, 128]) expect(widths, `width ${w}`).toContain(w);
  });

  it('the reference interpreter runs every design on its random stimulus', () => {
    for (const c of sample({}, 60, 3)) {
      const sim = new ReferenceSim(c.design);
      for (const vec of randomStimulus(c, 12, 5)) {
        for (const [name, value] of Object.entries(vec)) sim.poke(name, value);
        for (const o of c.outputs) expect(fits(sim.peek(o.name), o.shape.width, o.shape.signed)).toBe(true);
        sim.step();
      }
    }
  });

  it('renameCase gives the same hardware under other module names', () => {
    const [c] = sample({}, 1, 5).filter((x) => x.design.modules.length > 0);
    const renamed = renameCase(c!, 'p7');
    expect(renamed.design.top).toBe('p7_top');
    expect(renamed.design.modules.every((m) => m.name.startsWith('p7_'))).toBe(true);
    expect(renamed.description.replaceAll('p7_top', 'rnd').replaceAll('p7_child', 'rnd_child')).toBe(c!.description);
  });
});

describe('randomStimulus', () => {
  it('is deterministic, fits every input, and asserts rst in cycle 0 of clocked designs only', () => {
    for (const c of sample({}, 30, 9)) {
      const a = randomStimulus(c, 50, 42);
      expect(randomStimulus(c, 50, 42)).toEqual(a);
      expect(a).toHaveLength(50);
      for (const vec of a) {
        for (const i of c.inputs) expect(fits(vec[i.name]!, i.shape.width, i.shape.signed), `${i.name}=${vec[i.name]}`).toBe(true);
        expect(Object.keys(vec).length).toBe(c.inputs.length + (hasClock(c) ? 1 : 0));
      }
      if (hasClock(c)) {
        expect(a[0]!.rst).toBe(1n);
        expect(a.filter((v) => v.rst === 1n).length).toBeLessThan(20);
      }
    }
    const [comb] = sample({ sequential: false }, 1);
    expect(randomStimulus(comb!, 3, 1)[0]).not.toHaveProperty('rst');
  });

  it('hits the extremes of wide inputs', () => {
    const [c] = fc.sample(arbDesign({ sequential: false }).filter((x) => x.inputs.some((i) => i.shape.width >= 64)), { numRuns: 1, seed: 2 });
    const wide = c!.inputs.find((i) => i.shape.width >= 64)!;
    const values = new Set(randomStimulus(c!, 200, 3).map((v) => v[wide.name]));
    expect(values).toContain(0n);
    expect(values.size).toBeGreaterThan(50);
  });
});
