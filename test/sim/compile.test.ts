// The compiled simulator (sim/compile): register, memory and hierarchy semantics worked out by
// hand, the Simulator API and its fast paths, and the shape of the generated code (operators are in
// ./compile-ops.test.ts, random designs against the reference in ./diff-reference.test.ts).
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systolicArray } from '../../gen/array.js';
import type { ModuleBuilder } from '../../hdl/dsl/index.js';
import { build, defineModule, SInt, UInt } from '../../hdl/dsl/index.js';
import { compile, type CompiledSim } from '../../sim/compile/index.js';
import { ReferenceSim } from '../../sim/reference.js';

const simOf = (body: (m: ModuleBuilder) => void, name = 'regs'): CompiledSim => compile(build(defineModule({ name }, body)));
const poke = (sim: CompiledSim, values: Record<string, number | bigint>): void => {
  for (const [k, v] of Object.entries(values)) sim.poke(k, v);
};
/** The generated functions without the fixed helper prelude. */
const generatedBody = (sim: CompiledSim): string => sim.source.slice(sim.source.indexOf('function evalS'));

describe('compiled simulator: registers', () => {
  it('power-on value is init, reset has priority over enable, enable holds the value', () => {
    const sim = simOf((m) => {
      const r = m.reg('r', SInt(8), { reset: -5, init: 42, enable: m.input('en', UInt(1)) });
      r.set(m.input('d', SInt(8)));
      m.output('q', r);
    });
    expect(sim.peek('q')).toBe(42n);
    poke(sim, { d: 7, en: 0 });
    sim.step();
    expect(sim.peek('q')).toBe(42n);
    sim.poke('en', 1);
    sim.step();
    expect(sim.peek('q')).toBe(7n);
    poke(sim, { rst: 1, en: 0 });
    sim.step();
    expect(sim.peek('q')).toBe(-5n);
    sim.poke('en', 1);
    sim.step();
    expect(sim.peek('q')).toBe(-5n);
    poke(sim, { rst: 0, d: -128 });
    sim.step(3);
    expect(sim.peek('q')).toBe(-128n);
    expect(sim.cycle).toBe(7);
  });

  it('a register without reset ignores rst; reset() asserts rst for some edges', () => {
    const sim = simOf((m) => {
      const free = m.reg('free', UInt(65), { reset: null });
      free.set(free.add(1).trunc(65));
      const counted = m.reg('counted', UInt(4), { reset: 9 });
      counted.set(counted.add(1).trunc(4));
    });
    expect([sim.peek('free'), sim.peek('counted')]).toEqual([0n, 9n]);
    sim.step(8);
    expect([sim.peek('free'), sim.peek('counted')]).toEqual([8n, 1n]);
    sim.reset(2);
    expect([sim.peek('free'), sim.peek('counted'), sim.peek('rst')]).toEqual([10n, 9n, 0n]);
  });

  it('every register takes its next value from the values before the edge (swap, rotation, chain)', () => {
    const sim = simOf((m) => {
      const x = m.reg('x', UInt(128), { reset: null, init: (1n << 127n) | 1n });
      const y = m.reg('y', UInt(128), { reset: null, init: 3 });
      x.set(y);
      y.set(x);
      const r = [1, 2, 3].map((v, i) => m.reg(`r${i}`, UInt(8), { reset: v }));
      r.forEach((reg, i) => reg.set(r[(i + 1) % 3]!));
      // A shift register written in the "wrong" order: its update order must be found by the compiler.
      const chain = [0, 1, 2, 3].map((i) => m.reg(`c${i}`, SInt(33), { reset: 0 }));
      chain.forEach((reg, i) => reg.set(i === 0 ? m.input('d', SInt(33)) : chain[i - 1]!));
    });
    sim.step();
    expect([sim.peek('x'), sim.peek('y')]).toEqual([3n, (1n << 127n) | 1n]);
    expect([0, 1, 2].map((i) => sim.peek(`r${i}`))).toEqual([2n, 3n, 1n]);
    for (const d of [-5n, 7n, 1n << 31n, -(1n << 32n)]) {
      sim.poke('d', d);
      sim.step();
    }
    expect([0, 1, 2, 3].map((i) => sim.peek(`c${i}`))).toEqual([-(1n << 32n), 1n << 31n, 7n, -5n]);
  });
});

describe('compiled simulator: memories', () => {
  /** Depth 5 (addresses 5..7 are out of range), two write ports, two read ports. */
  const memDesign = (shape = SInt(16)): CompiledSim =>
    simOf((m) => {
      const mem = m.memory('mem', { shape, depth: 5, init: [-1, 2, 3].map((v) => BigInt.asUintN(shape.width, BigInt(v))) });
      const [wa0, wd0, we0] = [m.input('wa0', UInt(3)), m.input('wd0', shape), m.input('we0', UInt(1))];
      const [wa1, wd1, we1] = [m.input('wa1', UInt(3)), m.input('wd1', shape), m.input('we1', UInt(1))];
      const [ra, re] = [m.input('ra', UInt(3)), m.input('re', UInt(1))];
      mem.write(wa0, wd0, we0);
      mem.write(wa1, wd1, we1);
      m.output('q', mem.read('rd', ra));
      m.output('qe', mem.read('rde', ra, { enable: re }));
    });

  for (const shape of [SInt(16), UInt(32), SInt(33), UInt(128)]) {
    const v = (x: bigint): bigint => (shape.signed ? x : BigInt.asUintN(shape.width, x));
    it(`read-first, last write wins, disabled read holds, out of range reads 0 (${shape.signed ? 'SInt' : 'UInt'}(${shape.width}))`, () => {
      const sim = memDesign(shape);
      expect([0, 1, 2, 3, 4].map((a) => sim.peekMem('mem', a))).toEqual([v(-1n), 2n, 3n, 0n, 0n]);
      expect([sim.peek('q'), sim.peek('qe')]).toEqual([0n, 0n]);
      poke(sim, { wa0: 1, wd0: 100, we0: 1, wa1: 1, wd1: v(-200n), we1: 1, ra: 1, re: 1 });
      sim.step();
      expect(sim.peek('q')).toBe(2n);
      expect(sim.peekMem('mem', 1)).toBe(v(-200n));
      poke(sim, { we0: 0, we1: 0, re: 0, ra: 0 });
      sim.step();
      expect([sim.peek('q'), sim.peek('qe')]).toEqual([v(-1n), 2n]);
      poke(sim, { wa0: 6, wd0: 55, we0: 1, ra: 7, re: 1 });
      sim.step();
      expect([sim.peek('q'), sim.peek('qe')]).toEqual([0n, 0n]);
      expect([0, 1, 2, 3, 4].map((a) => sim.peekMem('mem', a))).toEqual([v(-1n), v(-200n), 3n, 0n, 0n]);
      sim.pokeMem('mem', 4, -1n);
      expect(sim.peekMem('mem', 4)).toBe(v(-1n));
      expect(() => sim.peekMem('mem', 5)).toThrow(/0\.\.4, not 5/);
    });
  }

  it('a write of the word a read port just read, at the same edge, still reads first', () => {
    const sim = simOf((m) => {
      const mem = m.memory('mem', { shape: UInt(8), depth: 4, init: [10, 20, 30, 40] });
      const a = m.input('a', UInt(2));
      const rd = mem.read('rd', a);
      mem.write(a, rd.add(1).trunc(8), 1);
    });
    sim.poke('a', 2);
    // rd starts at 0. Edge 1: rd <- 30, mem[2] <- 0 + 1. Edge 2: rd <- 1, mem[2] <- 30 + 1.
    // Edge 3: rd <- 31, mem[2] <- 1 + 1.
    const seen: bigint[][] = [];
    for (let i = 0; i < 3; i++) {
      sim.step();
      seen.push([sim.peek('rd'), sim.peekMem('mem', 2)]);
    }
    expect(seen).toEqual([[30n, 1n], [1n, 31n], [31n, 2n]]);
  });
});

describe('compiled simulator: hierarchy and names', () => {
  const accumulator = defineModule({ name: 'accumulator' }, (m) => {
    const d = m.input('d', UInt(8));
    const acc = m.reg('acc', UInt(16), { reset: 0 });
    acc.set(acc.add(d).trunc(16));
    m.output('sum', acc);
    m.output('next_sum', acc.add(d).trunc(16));
  });
  const pairDef = defineModule({ name: 'pair' }, (m) => {
    const x = m.input('x', UInt(8));
    const u0 = m.instance('u0', accumulator, { d: x });
    const u1 = m.instance('u1', accumulator, { d: x.shl(1).trunc(8) });
    m.output('total', u0.out('sum').add(u1.out('sum')));
    m.output('peek_next', u1.out('next_sum'));
  });

  it('two instances keep their own state, visible by hierarchical name', () => {
    const sim = compile(build(pairDef));
    sim.poke('x', 3);
    expect(sim.peek('peek_next')).toBe(6n);
    sim.step(2);
    expect([sim.peek('u0.acc'), sim.peek('u1.acc'), sim.peek('total')]).toEqual([6n, 12n, 18n]);
    expect([sim.peek('u1.d'), sim.peek('u1.sum'), sim.peek('u1_sum')]).toEqual([6n, 12n, 12n]);
    sim.reset();
    expect([sim.peek('u0.acc'), sim.peek('u1.sum')]).toEqual([0n, 0n]);
  });

  it('names are those of the reference interpreter; errors list close matches', () => {
    const design = build(pairDef);
    const sim = compile(design);
    expect(new Set(sim.signalNames())).toEqual(new Set(new ReferenceSim(design).signalNames()));
    expect(sim.memoryNames()).toEqual([]);
    expect(() => sim.peek('u0.acx')).toThrow(/'u0\.acx'.*Close matches: 'u0\.acc'/);
    expect(() => sim.poke('xx', 1)).toThrow(/Close matches: 'x'/);
    expect(() => sim.poke('total', 1)).toThrow(/top-level input/);
    expect(() => sim.poke('x', 256)).toThrow(/fit in UInt\(8\)/);
    sim.poke('x', -1);
    expect(sim.peek('x')).toBe(255n);
    sim.poke('clk', 1);
    expect([sim.peek('clk'), sim.cycle]).toEqual([0n, 0]);
  });
});

describe('compiled simulator: handles and lazy evaluation', () => {
  const design = () =>
    simOf((m) => {
      const a = m.input('a', SInt(8));
      const c = m.input('c', UInt(32));
      const w = m.input('w', UInt(40));
      const r = m.reg('r', UInt(32), { reset: 0 });
      r.set(c);
      m.output('sum', a.add(r)); // input cone: changes with a poke
      m.output('wide', w.mul(w)); // 80 bits
      m.output('half', w.shr(1));
      m.output('rq', r); // state cone
    }, 'handles');

  it('peek after poke reflects the new inputs; handles read and write without name lookups', () => {
    const sim = design();
    const [a, c, sum, rq, w, half, wide] = ['a', 'c', 'sum', 'rq', 'w', 'half', 'wide'].map((n) => sim.handle(n));
    a!.set(-3);
    expect(sum!.get()).toBe(-3);
    c!.set(0xffffffff);
    sim.step();
    expect(rq!.get()).toBe(0xffffffff);
    expect(sum!.get()).toBe(0xffffffff - 3);
    a!.set(200); // wrapped to 8 bits: -56
    expect([sim.peek('a'), sim.peek('sum')]).toEqual([-56n, 0xffffffffn - 56n]);
    w!.set(2 ** 39 + 5);
    expect(half!.get()).toBe((2 ** 39 + 5 - 1) / 2);
    expect(() => wide!.get()).toThrow(/getBig/);
    expect(wide!.getBig()).toBe((2n ** 39n + 5n) ** 2n);
    expect(() => sum!.set(1)).toThrow(/top-level input/);
    sim.pokeNumber('a', 1);
    sim.pokeNumber(a!, 2);
    expect([sim.peekNumber('sum'), sim.peekNumber(sum!)]).toEqual([0xffffffff + 2, 0xffffffff + 2]);
    expect(sim.handle('a')).toBe(a);
  });

  it('snapshot/restore brings back the state, the cycle and the inputs', () => {
    const sim = design();
    poke(sim, { a: 5, c: 7 });
    sim.step(3);
    const snap = sim.snapshot();
    poke(sim, { a: 1, c: 1 });
    sim.step(2);
    expect(sim.peek('rq')).toBe(1n);
    sim.restore(snap);
    expect([sim.cycle, sim.peek('rq'), sim.peek('sum'), sim.stateEquals(snap)]).toEqual([3, 7n, 12n, true]);
    sim.flip('r', 0);
    expect(sim.stateEquals(snap)).toBe(false);
    expect(() => design().restore({ ...snap, state: [1] })).toThrow(/same design/);
  });
});

describe('compiled simulator: generated code', () => {
  it('is straight-line code over typed arrays, cut into functions of bounded size', () => {
    const design = build(systolicArray({ rows: 4, cols: 4, width: 8 }));
    const sim = compile(design, { chunkSize: 50 });
    const body = generatedBody(sim);
    expect(body).not.toMatch(/\b(for|while)\s*\(/);
    const chunks = body.split(/\nfunction /).filter((f) => /^(evalS|evalI|edge_run|edge_reset)_\d+\(/.test(f));
    expect(chunks.length).toBeGreaterThan(3);
    // The same design in one function per phase behaves the same.
    const whole = compile(design, { chunkSize: 1_000_000 });
    for (const s of [sim, whole]) {
      s.reset();
      s.poke('loadWeight', 1);
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) s.poke(`weight_${j}`, (i + 1) * (j - 2));
        s.step();
      }
      s.poke('loadWeight', 0);
      for (let t = 0; t < 10; t++) {
        for (let i = 0; i < 4; i++) s.poke(`act_${i}`, t * 17 - 60 + i);
        s.step();
      }
    }
    for (const n of sim.signalNames()) expect(sim.peek(n), n).toBe(whole.peek(n));
  });

  it('the hot path of an INT8 array (8-bit operands, 16-bit products, 32-bit sums) is number code', () => {
    const sim = compile(build(systolicArray({ rows: 2, cols: 2, width: 8 })));
    const body = generatedBody(sim);
    expect(body).not.toMatch(/BigInt|\d+n\b|f64\[|big\[/);
    expect(body).toMatch(/\* /); // the products
    expect(body).toMatch(/ \| 0\)/); // the 33-bit sum wrapped to 32 bits
  });

  it('is written to $SPLITFUSE_SIM_DUMP, named by the design top and a hash', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-dump-'));
    const before = process.env.SPLITFUSE_SIM_DUMP;
    process.env.SPLITFUSE_SIM_DUMP = dir;
    try {
      const sim = compile(build(systolicArray({ rows: 1, cols: 1, width: 8 })));
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^array_ws_r1c1_i8_acc32-[0-9a-f]{12}\.js$/);
      expect(readFileSync(path.join(dir, files[0]!), 'utf8')).toBe(sim.source);
    } finally {
      if (before === undefined) delete process.env.SPLITFUSE_SIM_DUMP;
      else process.env.SPLITFUSE_SIM_DUMP = before;
    }
    expect(existsSync(dir)).toBe(true);
  });
});
