// Fault hooks of the compiled simulator (DESIGN.md §7): bit flips in registers and memory words,
// stuck-at forces compiled into a variant (and absent from every other compilation), snapshots,
// and the activity counters that feed the energy model (DESIGN.md §10).
import { describe, expect, it } from 'vitest';
import { counter } from '../../gen/counter.js';
import type { ModuleBuilder } from '../../hdl/dsl/index.js';
import { build, defineModule, SInt, UInt } from '../../hdl/dsl/index.js';
import type { Design } from '../../hdl/ir/index.js';
import { compile, type CompiledSim, type CompileOptions } from '../../sim/compile/index.js';
import { arbDesign, randomStimulus } from '../support/arbitrary.js';
import fc from 'fast-check';

const poke = (sim: CompiledSim, values: Record<string, number>): void => Object.entries(values).forEach(([k, v]) => sim.poke(k, v));
const designOf = (body: (m: ModuleBuilder) => void, name = 'faulty'): Design => build(defineModule({ name }, body));

/** A counter, a wide register, a memory with a read port, and an instance. */
const leaf = defineModule({ name: 'leaf' }, (m) => {
  const d = m.input('d', UInt(8));
  m.output('y', d.add(1));
});
const mixed = designOf((m) => {
  const en = m.input('en', UInt(1));
  const count = m.reg('count_q', UInt(8), { reset: 0, enable: en });
  count.set(count.add(1).trunc(8));
  m.output('count', count);
  const wide = m.reg('wide', SInt(128), { reset: null, init: -1 });
  wide.set(wide);
  const mid = m.reg('mid', SInt(40), { reset: null, init: 5 });
  mid.set(mid);
  const mem = m.memory('mem', { shape: UInt(16), depth: 4, init: [1, 2, 3, 4] });
  m.output('word', mem.read('rd', m.input('ra', UInt(2))));
  mem.write(m.input('wa', UInt(2)), m.input('wd', UInt(16)), m.input('we', UInt(1)));
  const sum = m.wire('sum', count.zext(9).add(m.input('k', UInt(8))));
  m.output('sumOut', sum);
  const latched = m.reg('latched', UInt(10), { reset: 0 });
  latched.set(sum);
  const u0 = m.instance('u0', leaf, { d: count });
  m.output('child', u0.out('y'));
});

/** Values of `names` after each of `cycles` steps with en = 1. */
function run(sim: CompiledSim, names: readonly string[], cycles: number): bigint[][] {
  sim.poke('en', 1);
  const rows: bigint[][] = [names.map((n) => sim.peek(n))];
  for (let c = 0; c < cycles; c++) {
    sim.step();
    rows.push(names.map((n) => sim.peek(n)));
  }
  return rows;
}

describe('bit flips (SEU/MBU)', () => {
  it('flipping a register bit changes exactly that bit, at any width', () => {
    const sim = compile(mixed);
    sim.step(5);
    const names = sim.signalNames().filter((n) => n !== 'clk');
    const before = new Map(names.map((n) => [n, sim.peek(n)]));
    sim.flip('wide', 127);
    sim.flip('mid', [39, 0]);
    expect(sim.peek('wide')).toBe((1n << 127n) - 1n); // -1 with the sign bit cleared
    expect(sim.peek('mid')).toBe(BigInt.asIntN(40, 5n ^ 1n ^ (1n << 39n)));
    for (const n of names) if (n !== 'wide' && n !== 'mid') expect(sim.peek(n), n).toBe(before.get(n));
    expect(() => sim.flip('mid', 40)).toThrow(/0\.\.39, not 40/);
    expect(() => sim.flip('count', 0)).toThrow(/register or memory read port/);
  });

  it('a flip at a cycle changes the state the design continues from', () => {
    const sim = compile(mixed);
    sim.poke('en', 1);
    sim.step(3);
    sim.flip('count_q', 4); // 3 -> 19
    expect([sim.peek('count'), sim.peek('child'), sim.peek('sumOut')]).toEqual([19n, 20n, 19n]);
    sim.step(2);
    expect(sim.peek('count')).toBe(21n);
  });

  it('flipping memory word bits and read-port bits', () => {
    const sim = compile(mixed);
    sim.flipMem('mem', 2, [0, 15]);
    expect(sim.peekMem('mem', 2)).toBe(3n ^ 1n ^ 0x8000n);
    sim.poke('ra', 2);
    sim.step();
    expect(sim.peek('word')).toBe(0x8002n);
    sim.flip('rd', 1);
    expect(sim.peek('word')).toBe(0x8000n);
    expect(() => sim.flipMem('mem', 4, 0)).toThrow(/0\.\.3, not 4/);
  });
});

describe('stuck-at forces', () => {
  it('a design compiled without forces (or counters) has no force or counter code at all', () => {
    for (const options of [undefined, {}, { forces: [] }] as (CompileOptions | undefined)[]) {
      const src = compile(mixed, options).source;
      expect(src).not.toMatch(/force|meta\[0\]|cnt\[/);
    }
    const forced = compile(mixed, { forces: [{ signal: 'sum', bit: 0, value: 1, from: 2, to: 4 }] }).source;
    expect(forced).toMatch(/\/\*force\*\//);
    expect(forced).toMatch(/meta\[0\]/);
  });

  it('a stuck-at on a register output holds across cycles and releases after its range', () => {
    const sim = compile(mixed, { forces: [{ signal: 'count_q', bit: 0, value: 1, from: 3, to: 6 }] });
    // The state counts 0,1,2,3; cycles 3..5 see bit 0 stuck at 1, and the register loads view + 1.
    const rows = run(sim, ['count', 'count_q', 'child'], 8).map((r) => r.map(Number));
    expect(rows.map((r) => r[1])).toEqual([0, 1, 2, 3, 5, 7, 8, 9, 10]);
    expect(rows.map((r) => r[0])).toEqual(rows.map((r) => r[1])); // readers see the forced value
    expect(rows.map((r) => r[2])).toEqual(rows.map((r) => r[1]! + 1));
  });

  it('a permanent stuck-at-0 on a wire reaches every reader but not its sources', () => {
    const sim = compile(mixed, { forces: [{ signal: 'sum', bit: 1, value: 0 }] });
    sim.poke('k', 7);
    expect([sim.peek('sum'), sim.peek('sumOut')]).toEqual([5n, 5n]); // 0 + 7 = 0b111 -> 0b101
    sim.step();
    expect(sim.peek('latched')).toBe(5n);
    sim.poke('k', 0);
    expect([sim.peek('count'), sim.peek('sum')]).toEqual([0n, 0n]);
  });

  it('forcing an output or an instance port affects only that net and what reads it', () => {
    const sim = compile(mixed, {
      forces: [
        { signal: 'count', bit: 7, value: 1 },
        { signal: 'u0.d', bit: 6, value: 1 },
      ],
    });
    sim.poke('en', 1);
    sim.step(2);
    expect([sim.peek('count_q'), sim.peek('count'), sim.peek('u0.d'), sim.peek('child')]).toEqual([2n, 130n, 66n, 67n]);
    expect(sim.peek('sumOut')).toBe(2n); // reads the register, not the forced output
  });

  it('forces on inputs and read ports; several bits of one net; bad forces are rejected', () => {
    const sim = compile(mixed, {
      forces: [
        { signal: 'k', bit: 0, value: 1 },
        { signal: 'rd', bit: 15, value: 1 },
        { signal: 'rd', bit: 0, value: 0, from: 1 },
      ],
    });
    sim.poke('k', 2);
    expect([sim.peek('k'), sim.peek('sumOut'), sim.peek('word')]).toEqual([3n, 3n, 0x8000n]);
    sim.poke('ra', 2);
    sim.step();
    expect(sim.peek('word')).toBe(0x8002n); // 3 with bit 0 cleared from cycle 1 on
    expect(() => compile(mixed, { forces: [{ signal: 'nope', bit: 0, value: 1 }] })).toThrow(/not 'nope'/);
    expect(() => compile(mixed, { forces: [{ signal: 'count', bit: 8, value: 1 }] })).toThrow(/0\.\.7, not 8/);
  });
});

describe('snapshots', () => {
  it('restore reproduces an identical trace, in the same and in a fresh simulator', () => {
    fc.assert(
      fc.property(arbDesign({ maxNodes: 10 }), fc.nat(1000), (c, seed) => {
        const stim = randomStimulus(c, 24, seed);
        const trace = (sim: CompiledSim, from: number): string[] => {
          const names = sim.signalNames().filter((n) => n !== 'clk');
          const rows: string[] = [];
          for (let t = from; t < stim.length; t++) {
            for (const [k, v] of Object.entries(stim[t]!)) sim.poke(k, v);
            rows.push(names.map((n) => sim.peek(n)).join(','));
            sim.step();
          }
          return rows;
        };
        const sim = compile(c.design);
        for (let t = 0; t < 10; t++) {
          for (const [k, v] of Object.entries(stim[t]!)) sim.poke(k, v);
          sim.step();
        }
        const snap = structuredClone(sim.snapshot()); // snapshots can cross worker threads
        const first = trace(sim, 10);
        sim.restore(snap);
        expect(sim.cycle).toBe(10);
        expect(trace(sim, 10)).toEqual(first);
        const fresh = compile(c.design);
        fresh.restore(snap);
        expect(trace(fresh, 10)).toEqual(first);
      }),
      { numRuns: 40 },
    );
  });

  it('a golden checkpoint restores into a variant compiled with forces and counters', () => {
    const golden = compile(mixed);
    poke(golden, { en: 1, k: 3, ra: 1 });
    golden.step(4);
    const checkpoint = golden.snapshot();
    const faulty = compile(mixed, { forces: [{ signal: 'count_q', bit: 7, value: 1, from: 5 }], counters: true });
    faulty.restore(checkpoint);
    expect([faulty.cycle, faulty.peek('count'), faulty.peek('sumOut'), faulty.peek('word')]).toEqual([4, 4n, 7n, 2n]);
    faulty.step();
    golden.step();
    expect([golden.peek('count'), faulty.peek('count')]).toEqual([5n, 133n]); // the force starts at cycle 5
    expect(faulty.stateEquals(golden.snapshot())).toBe(true); // the register itself is not forced
    faulty.step();
    golden.step();
    expect(faulty.stateEquals(golden.snapshot())).toBe(false); // it loaded 133 + 1
  });
});

describe('activity counters', () => {
  it('count register writes and bit toggles of a counter', () => {
    const sim = compile(build(counter({ width: 4 })), { counters: true });
    sim.reset(); // a reset is a write (0 -> 0: no toggles)
    sim.poke('en', 1);
    sim.step(16); // 0..15 and back to 0: every value 0..15 is left once
    sim.poke('en', 0);
    sim.step(5); // no writes
    const toggles = Array.from({ length: 16 }, (_, v) => (v ^ ((v + 1) % 16)).toString(2).split('1').length - 1).reduce((a, b) => a + b);
    expect(sim.counters().regs).toEqual({ count_q: { writes: 17, toggles } });
    expect(toggles).toBe(30);
    sim.resetCounters();
    expect(sim.counters().regs.count_q).toEqual({ writes: 0, toggles: 0 });
  });

  it('count memory reads (enabled, in range) and writes (enabled, in range)', () => {
    const sim = compile(
      designOf((m) => {
        const mem = m.memory('sram', { shape: SInt(40), depth: 3 });
        const [a, re, we] = [m.input('a', UInt(2)), m.input('re', UInt(1)), m.input('we', UInt(1))];
        const d = m.input('d', SInt(40));
        m.output('q', mem.read('rd', a, { enable: re }));
        m.output('q2', mem.read('rdAll', a));
        mem.write(a, d, we);
        const acc = m.reg('acc', SInt(40), { reset: null });
        acc.set(d);
      }, 'membench'),
      { counters: true },
    );
    const steps: [number, number, number, number][] = [
      [0, 1, 1, -1], // 2 reads, 1 write
      [1, 0, 1, 3], // 1 read (the port without enable), 1 write
      [3, 1, 1, 0], // address out of range: no read, no write
      [2, 1, 0, -(2 ** 39)], // 2 reads
    ];
    for (const [a, re, we, d] of steps) {
      for (const [k, v] of Object.entries({ a, re, we, d })) sim.poke(k, v);
      sim.step();
    }
    expect(sim.counters().mems).toEqual({ sram: { reads: 5, writes: 2 } });
    // acc: -1 (40 ones), 3 (38 toggles), 0 (2), -2^39 (1)
    expect(sim.counters().regs.acc).toEqual({ writes: 4, toggles: 40 + 38 + 2 + 1 });
    expect(() => compile(build(counter({ width: 4 }))).counters()).toThrow(/counters: true/);
  });
});
