// Per-operator tests of the reference interpreter against values computed here with plain BigInt
// math (never through sim/eval.ts), at the widths where simulators change representation
// (1, 7, 8, 31, 32, 33, 63, 64, 65, 128), signed and unsigned, including min, max, -1 and 0;
// then register, memory and hierarchy semantics and the name handling of the Simulator API.
import { describe, expect, it } from 'vitest';
import type { ModuleBuilder, ModuleDef, Value } from '../../hdl/dsl/index.js';
import { build, cat, defineModule, mux, SInt, UInt } from '../../hdl/dsl/index.js';
import type { Shape } from '../../hdl/ir/index.js';
import { ReferenceSim } from '../../sim/reference.js';

const WIDTHS = [1, 7, 8, 31, 32, 33, 63, 64, 65, 128];
const SIGNS = [false, true];

// ---- plain BigInt helpers, independent of hdl/ir/bits.ts and sim/eval.ts ----

const two = (w: number): bigint => 1n << BigInt(w);
const lo = (s: Shape): bigint => (s.signed ? -(two(s.width) / 2n) : 0n);
const hi = (s: Shape): bigint => (s.signed ? two(s.width) / 2n - 1n : two(s.width) - 1n);
/** Read the low w bits of any integer as the shape does. */
const as = (s: Shape, v: bigint): bigint => (s.signed ? BigInt.asIntN(s.width, v) : BigInt.asUintN(s.width, v));
const pattern = (w: number, v: bigint): bigint => BigInt.asUintN(w, v);
const b = (x: boolean): bigint => (x ? 1n : 0n);
const sh = (s: Shape): string => `${s.signed ? 'SInt' : 'UInt'}(${s.width})`;

/** A small deterministic generator (64-bit LCG, Knuth MMIX constants) for extra operand values. */
function lcg(seed: number): () => bigint {
  let x = BigInt(seed);
  return () => {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    return x;
  };
}

/** min, max, 0, 1, -1 (when they fit) and a few random values of a shape. */
function valuesOf(s: Shape, seed = s.width * 2 + (s.signed ? 1 : 0)): bigint[] {
  const next = lcg(seed);
  const vals = new Set<bigint>([lo(s), hi(s), 0n]);
  if (hi(s) >= 1n) vals.add(1n);
  if (s.signed) vals.add(-1n);
  for (let i = 0; i < 3; i++) vals.add(as(s, (next() << 64n) | next()));
  return [...vals];
}

function pairs<T, U>(xs: readonly T[], ys: readonly U[]): [T, U][] {
  return xs.flatMap((x) => ys.map((y) => [x, y] as [T, U]));
}

function shapes(): Shape[] {
  return WIDTHS.flatMap((width) => SIGNS.map((signed) => ({ width, signed })));
}

/** Operand shape pairs: equal widths, a narrower neighbour and 1 bit, all four signedness mixes. */
function shapePairs(): [Shape, Shape][] {
  const out: [Shape, Shape][] = [];
  WIDTHS.forEach((w, i) => {
    for (const w2 of new Set([w, WIDTHS[Math.max(0, i - 1)]!, 1])) {
      for (const [sa, sb] of pairs(SIGNS, SIGNS)) out.push([{ width: w, signed: sa }, { width: w2, signed: sb }]);
    }
  });
  return out;
}

function simOf(def: ModuleDef): ReferenceSim {
  return new ReferenceSim(build(def));
}

function evalWith(sim: ReferenceSim, inputs: Record<string, bigint>, output: string): bigint {
  for (const [k, v] of Object.entries(inputs)) sim.poke(k, v);
  return sim.peek(output);
}

// ---- binary operators: one design per operand shape pair, one output per operator that fits ----

type BinName = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** The result shape each operator must have, restated from DESIGN.md §2 (Amaranth's rules). */
function expectedShape(op: BinName, a: Shape, bb: Shape): Shape {
  const common = a.signed === bb.signed
    ? { width: Math.max(a.width, bb.width), signed: a.signed }
    : { width: Math.max(a.signed ? a.width : a.width + 1, bb.signed ? bb.width : bb.width + 1), signed: true };
  switch (op) {
    case 'add':
    case 'sub':
      return { width: common.width + 1, signed: common.signed };
    case 'mul':
      return {
        width: (a.signed || !bb.signed ? a.width : a.width + 1) + (bb.signed || !a.signed ? bb.width : bb.width + 1),
        signed: a.signed || bb.signed,
      };
    case 'and':
    case 'or':
    case 'xor':
      return common;
    default:
      return { width: 1, signed: false };
  }
}

/**
 * Expected integers: arithmetic results are wide enough not to overflow (except an unsigned
 * difference, which wraps); BigInt's & | ^ act on infinite two's complement, like sign extension.
 */
const BINARY: Record<BinName, (x: bigint, y: bigint) => bigint> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  and: (x, y) => x & y,
  or: (x, y) => x | y,
  xor: (x, y) => x ^ y,
  eq: (x, y) => b(x === y),
  ne: (x, y) => b(x !== y),
  lt: (x, y) => b(x < y),
  le: (x, y) => b(x <= y),
  gt: (x, y) => b(x > y),
  ge: (x, y) => b(x >= y),
};

const binaryDesigns = new Map<string, { sim: ReferenceSim; ops: Set<BinName> }>();
function binaryDesign(sa: Shape, sb: Shape): { sim: ReferenceSim; ops: Set<BinName> } {
  const key = `${sh(sa)},${sh(sb)}`;
  const known = binaryDesigns.get(key);
  if (known) return known;
  const ops = new Set<BinName>();
  const def = defineModule({ name: 'binops' }, (m) => {
    const x = m.input('x', sa);
    const y = m.input('y', sb);
    for (const op of Object.keys(BINARY) as BinName[]) {
      const shape = expectedShape(op, sa, sb);
      if (shape.width > 128) continue;
      const out = m.output(op === 'and' || op === 'or' || op === 'xor' ? `${op}_` : op, x[op](y));
      expect(out.shape, `${op} of ${key}`).toEqual(shape);
      ops.add(op);
    }
  });
  const entry = { sim: simOf(def), ops };
  binaryDesigns.set(key, entry);
  return entry;
}

describe('reference interpreter: binary operators', () => {
  for (const op of Object.keys(BINARY) as BinName[]) {
    it(`${op} at every width and signedness mix`, () => {
      let checked = 0;
      for (const [sa, sb] of shapePairs()) {
        const { sim, ops } = binaryDesign(sa, sb);
        if (!ops.has(op)) continue;
        const port = op === 'and' || op === 'or' || op === 'xor' ? `${op}_` : op;
        for (const [x, y] of pairs(valuesOf(sa), valuesOf(sb, 99))) {
          const got = evalWith(sim, { x, y }, port);
          // Only an unsigned difference can leave its shape: it wraps (UInt(1) - UInt(1): 0 - 1 = 3).
          const want = as(expectedShape(op, sa, sb), BINARY[op](x, y));
          if (op !== 'sub' || sa.signed || sb.signed) expect(want).toBe(BINARY[op](x, y));
          expect(got, `${op}(${x}:${sh(sa)}, ${y}:${sh(sb)})`).toBe(want);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(500);
    });
  }
});

describe('reference interpreter: unary operators', () => {
  const popParity = (v: bigint): bigint => BigInt([...v.toString(2)].filter((c) => c === '1').length & 1);
  const cases: [string, (x: Value) => Value, (x: bigint, s: Shape) => bigint][] = [
    ['neg', (x) => x.neg(), (x) => -x],
    ['not', (x) => x.not(), (x, s) => (s.signed ? ~x : two(s.width) - 1n - x)],
    ['andR', (x) => x.andR(), (x, s) => b(pattern(s.width, x) === two(s.width) - 1n)],
    ['orR', (x) => x.orR(), (x) => b(x !== 0n)],
    ['xorR', (x) => x.xorR(), (x, s) => popParity(pattern(s.width, x))],
    ['asSigned', (x) => x.asSigned(), (x, s) => BigInt.asIntN(s.width, x)],
    ['asUnsigned', (x) => x.asUnsigned(), (x, s) => BigInt.asUintN(s.width, x)],
  ];
  for (const [name, apply, expected] of cases) {
    it(`${name} at every width and signedness`, () => {
      for (const s of shapes()) {
        if (name === 'neg' && s.width === 128) continue; // the result would be 129 bits
        const sim = simOf(defineModule({ name: 'unary' }, (m) => void m.output('y', apply(m.input('x', s)))));
        for (const x of valuesOf(s)) expect(evalWith(sim, { x }, 'y'), `${name}(${x}:${sh(s)})`).toBe(expected(x, s));
      }
    });
  }
  it('neg gives SInt(w+1) and not keeps the shape', () => {
    defineModule({ name: 'shapes' }, (m) => {
      expect(m.input('a', UInt(8)).neg().shape).toEqual(SInt(9));
      expect(m.input('b', SInt(8)).not().shape).toEqual(SInt(8));
    });
  });
});

describe('reference interpreter: shifts', () => {
  it('by a constant: shl widens and is exact, shr fills zeros, sra fills the MSB', () => {
    for (const s of shapes()) {
      const amounts = [...new Set([0, 1, 3, s.width - 1, s.width, s.width + 5])];
      const sim = simOf(
        defineModule({ name: 'shiftc' }, (m) => {
          const x = m.input('x', s);
          for (const n of amounts) {
            if (s.width + n <= 128) m.output(`shl${n}`, x.shl(n));
            m.output(`shr${n}`, x.shr(n));
            m.output(`sra${n}`, x.sra(n));
          }
        }),
      );
      for (const x of valuesOf(s)) {
        sim.poke('x', x);
        for (const n of amounts) {
          const N = BigInt(n);
          if (s.width + n <= 128) expect(sim.peek(`shl${n}`), `${x}:${sh(s)} << ${n}`).toBe(x * 2n ** N);
          expect(sim.peek(`shr${n}`), `${x}:${sh(s)} >> ${n}`).toBe(as(s, pattern(s.width, x) >> N));
          expect(sim.peek(`sra${n}`), `${x}:${sh(s)} >>> ${n}`).toBe(as(s, BigInt.asIntN(s.width, x) >> N));
        }
      }
    }
  });

  it('by a signal: keeps the width, reads the amount as unsigned, saturates at the width', () => {
    const amountShapes: Shape[] = [UInt(1), UInt(8), SInt(4), UInt(128)];
    for (const s of shapes()) {
      for (const as_ of amountShapes) {
        const sim = simOf(
          defineModule({ name: 'shifts' }, (m) => {
            const x = m.input('x', s);
            const n = m.input('n', as_);
            m.output('shl', x.shl(n));
            m.output('shr', x.shr(n));
            m.output('sra', x.sra(n));
            expect(x.shl(n).shape).toEqual(s);
          }),
        );
        const amounts = [0n, 1n, 3n, BigInt(s.width - 1), BigInt(s.width), BigInt(s.width + 1), 255n, -1n, -8n, 2n ** 100n];
        for (const n of amounts.filter((v) => v >= lo(as_) && v <= hi(as_))) {
          const N = pattern(as_.width, n); // read as unsigned, whatever the amount's signedness
          for (const x of valuesOf(s)) {
            sim.poke('x', x);
            sim.poke('n', n);
            const what = `${x}:${sh(s)} by ${n}:${sh(as_)}`;
            const big = N >= BigInt(s.width);
            expect(sim.peek('shl'), `shl ${what}`).toBe(big ? 0n : as(s, x << N));
            expect(sim.peek('shr'), `shr ${what}`).toBe(big ? 0n : as(s, pattern(s.width, x) >> N));
            const msbCopies = BigInt.asIntN(s.width, x) < 0n ? as(s, -1n) : 0n;
            expect(sim.peek('sra'), `sra ${what}`).toBe(big ? msbCopies : as(s, BigInt.asIntN(s.width, x) >> N));
          }
        }
      }
    }
  });
});

describe('reference interpreter: mux, concat, slice, extension, truncation', () => {
  it('mux selects and brings the chosen value to the common shape', () => {
    for (const [sa, sb] of shapePairs()) {
      const unified = expectedShape('or', sa, sb);
      if (unified.width > 128) continue;
      const sim = simOf(
        defineModule({ name: 'muxes' }, (m) => {
          const [s, x, y] = [m.input('s', UInt(1)), m.input('x', sa), m.input('y', sb)];
          expect(m.output('q', mux(s, x, y)).shape).toEqual(unified);
        }),
      );
      for (const [x, y] of pairs(valuesOf(sa), valuesOf(sb, 7))) {
        expect(evalWith(sim, { s: 1n, x, y }, 'q')).toBe(x);
        expect(evalWith(sim, { s: 0n, x, y }, 'q')).toBe(y);
      }
    }
  });

  it('a signed 1-bit select is true when its bit is set (-1)', () => {
    const sim = simOf(defineModule({ name: 'signed_select' }, (m) => void m.output('q', mux(m.input('s', SInt(1)), 5, 9))));
    expect(evalWith(sim, { s: -1n }, 'q')).toBe(5n);
    expect(evalWith(sim, { s: 0n }, 'q')).toBe(9n);
  });

  it('concat puts the first part in the most significant bits and is unsigned', () => {
    for (const [sa, sb] of shapePairs()) {
      if (sa.width + sb.width + 7 > 128) continue;
      const sim = simOf(
        defineModule({ name: 'cats' }, (m) => {
          const [x, y, z] = [m.input('x', sa), m.input('y', sb), m.input('z', SInt(7))];
          m.output('xy', cat(x, y));
          m.output('xyz', cat(x, y, z));
        }),
      );
      for (const [x, y] of pairs(valuesOf(sa), valuesOf(sb, 5))) {
        const xy = (pattern(sa.width, x) << BigInt(sb.width)) | pattern(sb.width, y);
        expect(evalWith(sim, { x, y, z: -3n }, 'xy')).toBe(xy);
        expect(sim.peek('xyz')).toBe((xy << 7n) | pattern(7, -3n));
      }
    }
  });

  it('slice gives unsigned bits [lo, lo+width)', () => {
    for (const s of shapes()) {
      const w = s.width;
      const ranges = [...new Map([[0, 1], [w - 1, 1], [0, w], [Math.floor(w / 3), Math.max(1, Math.floor(w / 2))]].map((r) => [r.join(), r]))].map(([, r]) => r as [number, number]);
      const sim = simOf(
        defineModule({ name: 'slices' }, (m) => {
          const x = m.input('x', s);
          ranges.forEach(([l, n], i) => m.output(`s${i}`, x.slice(l, n)));
        }),
      );
      for (const x of valuesOf(s)) {
        sim.poke('x', x);
        ranges.forEach(([l, n], i) => expect(sim.peek(`s${i}`), `${x}:${sh(s)}[${l} +: ${n}]`).toBe(pattern(n, pattern(w, x) >> BigInt(l))));
      }
    }
  });

  it('zext gives UInt, sext gives SInt, trunc keeps the signedness', () => {
    for (const s of shapes()) {
      const targets = [...new Set([s.width, s.width + 1, 64, 128])].filter((t) => t >= s.width && t <= 128);
      const truncs = [...new Set([1, Math.max(1, s.width - 1), s.width])];
      const sim = simOf(
        defineModule({ name: 'extensions' }, (m) => {
          const x = m.input('x', s);
          for (const t of targets) {
            expect(m.output(`z${t}`, x.zext(t)).shape).toEqual(UInt(t));
            expect(m.output(`s${t}`, x.sext(t)).shape).toEqual(SInt(t));
          }
          for (const t of truncs) expect(m.output(`t${t}`, x.trunc(t)).shape).toEqual({ width: t, signed: s.signed });
        }),
      );
      for (const x of valuesOf(s)) {
        sim.poke('x', x);
        for (const t of targets) {
          expect(sim.peek(`z${t}`), `zext ${x}:${sh(s)} to ${t}`).toBe(pattern(s.width, x));
          expect(sim.peek(`s${t}`), `sext ${x}:${sh(s)} to ${t}`).toBe(BigInt.asIntN(s.width, x));
        }
        for (const t of truncs) expect(sim.peek(`t${t}`), `trunc ${x}:${sh(s)} to ${t}`).toBe(as({ width: t, signed: s.signed }, x));
      }
    }
  });
});

// ---- state ----

function regDesign(body: (m: ModuleBuilder) => void): ReferenceSim {
  return simOf(defineModule({ name: 'regs' }, body));
}

describe('reference interpreter: registers', () => {
  it('power-on value is init, reset has priority over enable, enable holds the value', () => {
    const sim = regDesign((m) => {
      const d = m.input('d', SInt(8));
      const en = m.input('en', UInt(1));
      const r = m.reg('r', SInt(8), { reset: -5, init: 42, enable: en });
      r.set(d);
      m.output('q', r);
    });
    expect(sim.peek('q')).toBe(42n);
    sim.poke('d', 7);
    sim.poke('en', 0);
    sim.step();
    expect(sim.peek('q')).toBe(42n); // enable low: hold
    sim.poke('en', 1);
    sim.step();
    expect(sim.peek('q')).toBe(7n);
    sim.poke('rst', 1);
    sim.poke('en', 0);
    sim.step();
    expect(sim.peek('q')).toBe(-5n); // reset wins even with enable low
    sim.poke('en', 1);
    sim.step();
    expect(sim.peek('q')).toBe(-5n); // and with enable high
    sim.poke('rst', 0);
    sim.poke('d', -128);
    sim.step(3);
    expect(sim.peek('q')).toBe(-128n);
    expect(sim.cycle).toBe(7);
  });

  it('a register without reset ignores rst; the default power-on value is the reset value', () => {
    const sim = regDesign((m) => {
      const free = m.reg('free', UInt(65), { reset: null });
      free.set(free.add(1).trunc(65));
      const counted = m.reg('counted', UInt(4), { reset: 9 });
      counted.set(counted.add(1).trunc(4));
      m.output('a', free);
      m.output('b', counted);
    });
    expect([sim.peek('a'), sim.peek('b')]).toEqual([0n, 9n]);
    sim.step(8);
    expect([sim.peek('a'), sim.peek('b')]).toEqual([8n, 1n]); // 9 + 8 wraps in 4 bits
    sim.poke('rst', 1);
    sim.step();
    expect([sim.peek('a'), sim.peek('b')]).toEqual([9n, 9n]);
  });

  it('every register takes its next value from the values before the edge (a swap)', () => {
    const sim = regDesign((m) => {
      const x = m.reg('x', UInt(128), { reset: null, init: (1n << 127n) | 1n });
      const y = m.reg('y', UInt(128), { reset: null, init: 3 });
      x.set(y);
      y.set(x);
      m.output('qx', x);
      m.output('qy', y);
    });
    sim.step();
    expect([sim.peek('qx'), sim.peek('qy')]).toEqual([3n, (1n << 127n) | 1n]);
    sim.step();
    expect([sim.peek('qx'), sim.peek('qy')]).toEqual([(1n << 127n) | 1n, 3n]);
  });
});

describe('reference interpreter: memories', () => {
  /** depth 5 (not a power of two: addresses 5..7 are out of range), two write ports, two read ports. */
  function memDesign(): ReferenceSim {
    return regDesign((m) => {
      const mem = m.memory('mem', { shape: SInt(16), depth: 5, init: [-1, 2, 3] });
      const [wa0, wd0, we0] = [m.input('wa0', UInt(3)), m.input('wd0', SInt(16)), m.input('we0', UInt(1))];
      const [wa1, wd1, we1] = [m.input('wa1', UInt(3)), m.input('wd1', SInt(16)), m.input('we1', UInt(1))];
      const [ra, re] = [m.input('ra', UInt(3)), m.input('re', UInt(1))];
      mem.write(wa0, wd0, we0);
      mem.write(wa1, wd1, we1);
      m.output('q', mem.read('rd', ra));
      m.output('qe', mem.read('rde', ra, { enable: re }));
    });
  }

  it('power-on contents are init (missing words 0) and read ports start at 0', () => {
    const sim = memDesign();
    expect([0, 1, 2, 3, 4].map((a) => sim.peekMem('mem', a))).toEqual([-1n, 2n, 3n, 0n, 0n]);
    expect([sim.peek('q'), sim.peek('qe')]).toEqual([0n, 0n]);
    sim.poke('ra', 0);
    sim.poke('re', 1);
    sim.step();
    expect([sim.peek('q'), sim.peek('qe')]).toEqual([-1n, -1n]);
  });

  it('reads are read-first and the last write port wins', () => {
    const sim = memDesign();
    for (const [k, v] of Object.entries({ wa0: 1, wd0: 100, we0: 1, wa1: 1, wd1: -200, we1: 1, ra: 1, re: 1 })) sim.poke(k, v);
    sim.step();
    expect(sim.peek('q')).toBe(2n); // the word before this edge's writes
    expect(sim.peekMem('mem', 1)).toBe(-200n); // port 1 was applied after port 0
    sim.poke('we0', 0);
    sim.poke('we1', 0);
    sim.step();
    expect(sim.peek('q')).toBe(-200n);
  });

  it('a disabled read port holds its value; out-of-range reads give 0 and writes are ignored', () => {
    const sim = memDesign();
    sim.poke('ra', 2);
    sim.poke('re', 1);
    sim.step();
    expect(sim.peek('qe')).toBe(3n);
    sim.poke('re', 0);
    sim.poke('ra', 1);
    sim.step();
    expect([sim.peek('q'), sim.peek('qe')]).toEqual([2n, 3n]);
    for (const [k, v] of Object.entries({ wa0: 6, wd0: 55, we0: 1, ra: 7, re: 1 })) sim.poke(k, v);
    sim.step();
    expect([sim.peek('q'), sim.peek('qe')]).toEqual([0n, 0n]);
    expect([0, 1, 2, 3, 4].map((a) => sim.peekMem('mem', a))).toEqual([-1n, 2n, 3n, 0n, 0n]);
  });

  it('pokeMem and peekMem read with the memory signedness; reset leaves memories alone', () => {
    const sim = memDesign();
    sim.pokeMem('mem', 4, 0xffff);
    expect(sim.peekMem('mem', 4)).toBe(-1n);
    sim.poke('rst', 1);
    sim.step();
    expect(sim.peekMem('mem', 4)).toBe(-1n);
    expect(() => sim.peekMem('mem', 5)).toThrow(/0\.\.4, not 5/);
  });
});

describe('reference interpreter: hierarchy and names', () => {
  const accumulator = defineModule({ name: 'accumulator' }, (m) => {
    const d = m.input('d', UInt(8));
    const acc = m.reg('acc', UInt(16), { reset: 0 });
    acc.set(acc.add(d).trunc(16));
    m.output('sum', acc);
    m.output('next_sum', acc.add(d).trunc(16));
  });
  const pair = (): ReferenceSim =>
    simOf(
      defineModule({ name: 'pair' }, (m) => {
        const x = m.input('x', UInt(8));
        const u0 = m.instance('u0', accumulator, { d: x });
        const u1 = m.instance('u1', accumulator, { d: x.shl(1).trunc(8) });
        m.output('total', u0.out('sum').add(u1.out('sum')));
        m.output('peek_next', u1.out('next_sum'));
      }),
    );

  it('two instances of one module keep their own state, visible by hierarchical name', () => {
    const sim = pair();
    expect(sim.design.modules.map((m) => m.name)).toEqual(['accumulator', 'pair']);
    sim.poke('x', 3);
    expect(sim.peek('peek_next')).toBe(6n); // combinational through the instance
    sim.step(2);
    expect([sim.peek('u0.acc'), sim.peek('u1.acc'), sim.peek('total')]).toEqual([6n, 12n, 18n]);
    expect(sim.peek('u1.d')).toBe(6n);
    sim.poke('rst', 1);
    sim.step();
    expect([sim.peek('u0.acc'), sim.peek('u1.sum')]).toEqual([0n, 0n]);
  });

  it('unknown names throw and list close matches; clk is accepted and ignored', () => {
    const sim = pair();
    expect(() => sim.peek('u0.acx')).toThrow(/'u0\.acx'.*Close matches: 'u0\.acc'/);
    expect(() => sim.peek('u2.acc')).toThrow(/Close matches: 'u0\.acc', 'u1\.acc'/);
    expect(() => sim.poke('xx', 1)).toThrow(/Close matches: 'x'/);
    expect(() => sim.poke('total', 1)).toThrow(/top-level input/);
    expect(() => sim.poke('x', 256)).toThrow(/fit in UInt\(8\)/);
    sim.poke('x', -1); // fits the signed reading of 8 bits: stored as its bit pattern
    expect(sim.peek('x')).toBe(255n);
    sim.poke('clk', 1);
    expect(sim.cycle).toBe(0);
    expect(sim.signalNames()).toContain('u1.next_sum');
  });
});
