// Per-operator tests of the compiled simulator against values computed here with plain BigInt math
// (never through sim/eval.ts), at the widths where its representation changes (1, 7, 8, 31, 32 in
// int32 numbers; 33, 63 in exact doubles or BigInt; 64, 65, 128 in BigInt), signed and unsigned,
// with min, max, -1, 0 and random values; plus literal cases worked out by hand.
import { describe, expect, it } from 'vitest';
import type { ModuleDef, Value } from '../../hdl/dsl/index.js';
import { build, cat, defineModule, mux, SInt, UInt } from '../../hdl/dsl/index.js';
import type { Shape } from '../../hdl/ir/index.js';
import { compile, type CompiledSim } from '../../sim/compile/index.js';

const WIDTHS = [1, 7, 8, 31, 32, 33, 63, 64, 65, 128];
const SIGNS = [false, true];

const two = (w: number): bigint => 1n << BigInt(w);
const lo = (s: Shape): bigint => (s.signed ? -(two(s.width) / 2n) : 0n);
const hi = (s: Shape): bigint => (s.signed ? two(s.width) / 2n - 1n : two(s.width) - 1n);
/** The low w bits of any integer, read as the shape reads them. */
const as = (s: Shape, v: bigint): bigint => (s.signed ? BigInt.asIntN(s.width, v) : BigInt.asUintN(s.width, v));
const pattern = (w: number, v: bigint): bigint => BigInt.asUintN(w, v);
const b = (x: boolean): bigint => (x ? 1n : 0n);
const sh = (s: Shape): string => `${s.signed ? 'SInt' : 'UInt'}(${s.width})`;
const shapes = (): Shape[] => WIDTHS.flatMap((width) => SIGNS.map((signed) => ({ width, signed })));

/** min, max, 0, 1, -1 (when they fit) and a few pseudo-random values (64-bit LCG) of a shape. */
function valuesOf(s: Shape, seed = s.width * 2 + (s.signed ? 1 : 0)): bigint[] {
  let x = BigInt(seed);
  const next = (): bigint => (x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n));
  const vals = new Set<bigint>([lo(s), hi(s), 0n]);
  if (hi(s) >= 1n) vals.add(1n);
  if (s.signed) vals.add(-1n);
  for (let i = 0; i < 3; i++) vals.add(as(s, (next() << 64n) | next()));
  return [...vals];
}

const pairs = <T, U>(xs: readonly T[], ys: readonly U[]): [T, U][] => xs.flatMap((x) => ys.map((y) => [x, y] as [T, U]));

/** Operand shape pairs: equal widths, the next narrower width and 1 bit, all four signedness mixes. */
function shapePairs(): [Shape, Shape][] {
  const out: [Shape, Shape][] = [];
  WIDTHS.forEach((w, i) => {
    for (const w2 of new Set([w, WIDTHS[Math.max(0, i - 1)]!, 1])) {
      for (const [sa, sb] of pairs(SIGNS, SIGNS)) out.push([{ width: w, signed: sa }, { width: w2, signed: sb }]);
    }
  });
  return out;
}

const simOf = (def: ModuleDef): CompiledSim => compile(build(def));

type BinName = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Result shapes restated from DESIGN.md §2 (Amaranth's rules). */
function resultShape(op: BinName, a: Shape, c: Shape): Shape {
  const common = a.signed === c.signed
    ? { width: Math.max(a.width, c.width), signed: a.signed }
    : { width: Math.max(a.signed ? a.width : a.width + 1, c.signed ? c.width : c.width + 1), signed: true };
  if (op === 'add' || op === 'sub') return { width: common.width + 1, signed: common.signed };
  if (op === 'mul') {
    return { width: (a.signed || !c.signed ? a.width : a.width + 1) + (c.signed || !a.signed ? c.width : c.width + 1), signed: a.signed || c.signed };
  }
  return op === 'and' || op === 'or' || op === 'xor' ? common : { width: 1, signed: false };
}

/** Mathematical results; BigInt's & | ^ act on infinite two's complement, i.e. after sign extension. */
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
const portOf = (op: BinName): string => (op === 'and' || op === 'or' || op === 'xor' ? `${op}_` : op);

const binaryDesigns = new Map<string, { sim: CompiledSim; ops: Set<BinName> }>();
function binaryDesign(sa: Shape, sb: Shape): { sim: CompiledSim; ops: Set<BinName> } {
  const key = `${sh(sa)},${sh(sb)}`;
  const known = binaryDesigns.get(key);
  if (known) return known;
  const ops = new Set<BinName>();
  const def = defineModule({ name: 'binops' }, (m) => {
    const x = m.input('x', sa);
    const y = m.input('y', sb);
    for (const op of Object.keys(BINARY) as BinName[]) {
      if (resultShape(op, sa, sb).width > 128) continue;
      m.output(portOf(op), x[op](y));
      ops.add(op);
    }
  });
  const entry = { sim: simOf(def), ops };
  binaryDesigns.set(key, entry);
  return entry;
}

describe('compiled simulator: binary operators', () => {
  for (const op of Object.keys(BINARY) as BinName[]) {
    it(`${op} at every width and signedness mix`, () => {
      let checked = 0;
      for (const [sa, sb] of shapePairs()) {
        const { sim, ops } = binaryDesign(sa, sb);
        if (!ops.has(op)) continue;
        for (const [x, y] of pairs(valuesOf(sa), valuesOf(sb, 99))) {
          sim.poke('x', x);
          sim.poke('y', y);
          // Only an unsigned difference leaves its shape: it wraps (UInt(1) - UInt(1): 0 - 1 = 3).
          expect(sim.peek(portOf(op)), `${op}(${x}:${sh(sa)}, ${y}:${sh(sb)})`).toBe(as(resultShape(op, sa, sb), BINARY[op](x, y)));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(500);
    });
  }
});

describe('compiled simulator: unary operators', () => {
  const parity = (v: bigint): bigint => BigInt([...v.toString(2)].filter((c) => c === '1').length & 1);
  const cases: [string, (x: Value) => Value, (x: bigint, s: Shape) => bigint][] = [
    ['neg', (x) => x.neg(), (x) => -x],
    ['not', (x) => x.not(), (x, s) => (s.signed ? ~x : two(s.width) - 1n - x)],
    ['andR', (x) => x.andR(), (x, s) => b(pattern(s.width, x) === two(s.width) - 1n)],
    ['orR', (x) => x.orR(), (x) => b(x !== 0n)],
    ['xorR', (x) => x.xorR(), (x, s) => parity(pattern(s.width, x))],
    ['asSigned', (x) => x.asSigned(), (x, s) => BigInt.asIntN(s.width, x)],
    ['asUnsigned', (x) => x.asUnsigned(), (x, s) => BigInt.asUintN(s.width, x)],
  ];
  for (const [name, apply, expected] of cases) {
    it(`${name} at every width and signedness`, () => {
      for (const s of shapes()) {
        if (name === 'neg' && s.width === 128) continue; // the result would be 129 bits
        const sim = simOf(defineModule({ name: 'unary' }, (m) => void m.output('y', apply(m.input('x', s)))));
        for (const x of valuesOf(s)) {
          sim.poke('x', x);
          expect(sim.peek('y'), `${name}(${x}:${sh(s)})`).toBe(expected(x, s));
        }
      }
    });
  }
});

describe('compiled simulator: shifts', () => {
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
    const amountShapes: Shape[] = [UInt(1), UInt(8), SInt(4), UInt(40), UInt(128)];
    for (const s of shapes()) {
      for (const amountShape of amountShapes) {
        const sim = simOf(
          defineModule({ name: 'shifts' }, (m) => {
            const x = m.input('x', s);
            const n = m.input('n', amountShape);
            m.output('shl', x.shl(n));
            m.output('shr', x.shr(n));
            m.output('sra', x.sra(n));
          }),
        );
        const amounts = [0n, 1n, 3n, BigInt(s.width - 1), BigInt(s.width), BigInt(s.width + 1), 255n, -1n, -8n, 2n ** 35n, 2n ** 100n];
        for (const n of amounts.filter((v) => v >= lo(amountShape) && v <= hi(amountShape))) {
          const N = pattern(amountShape.width, n);
          for (const x of valuesOf(s)) {
            sim.poke('x', x);
            sim.poke('n', n);
            const what = `${x}:${sh(s)} by ${n}:${sh(amountShape)}`;
            const out = N >= BigInt(s.width);
            expect(sim.peek('shl'), `shl ${what}`).toBe(out ? 0n : as(s, x << N));
            expect(sim.peek('shr'), `shr ${what}`).toBe(out ? 0n : as(s, pattern(s.width, x) >> N));
            const msbCopies = BigInt.asIntN(s.width, x) < 0n ? as(s, -1n) : 0n;
            expect(sim.peek('sra'), `sra ${what}`).toBe(out ? msbCopies : as(s, BigInt.asIntN(s.width, x) >> N));
          }
        }
      }
    }
  });
});

describe('compiled simulator: mux, concat, slice, extension, truncation', () => {
  it('mux selects and brings the chosen value to the common shape', () => {
    for (const [sa, sb] of shapePairs()) {
      if (resultShape('or', sa, sb).width > 128) continue;
      const sim = simOf(
        defineModule({ name: 'muxes' }, (m) => {
          const [s, x, y] = [m.input('s', UInt(1)), m.input('x', sa), m.input('y', sb)];
          m.output('q', mux(s, x, y));
        }),
      );
      for (const [x, y] of pairs(valuesOf(sa), valuesOf(sb, 7))) {
        for (const s of [0n, 1n]) {
          sim.poke('s', s);
          sim.poke('x', x);
          sim.poke('y', y);
          expect(sim.peek('q')).toBe(s ? x : y);
        }
      }
    }
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
        for (const [k, v] of Object.entries({ x, y, z: -3n })) sim.poke(k, v);
        const xy = (pattern(sa.width, x) << BigInt(sb.width)) | pattern(sb.width, y);
        expect(sim.peek('xy')).toBe(xy);
        expect(sim.peek('xyz')).toBe((xy << 7n) | pattern(7, -3n));
      }
    }
  });

  it('slice gives unsigned bits [lo, lo+width)', () => {
    for (const s of shapes()) {
      const w = s.width;
      const spans = [[0, 1], [w - 1, 1], [0, w], [Math.floor(w / 3), Math.max(1, Math.floor(w / 2))], [Math.min(w - 1, 33), 1]];
      const ranges = [...new Map(spans.map((r) => [r.join(), r as [number, number]])).values()];
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
      const targets = [...new Set([s.width, s.width + 1, 33, 53, 54, 64, 128])].filter((t) => t >= s.width && t <= 128);
      const truncs = [...new Set([1, Math.max(1, s.width - 1), Math.min(32, s.width), Math.min(33, s.width), s.width])];
      const sim = simOf(
        defineModule({ name: 'extensions' }, (m) => {
          const x = m.input('x', s);
          for (const t of targets) {
            m.output(`z${t}`, x.zext(t));
            m.output(`s${t}`, x.sext(t));
          }
          for (const t of truncs) m.output(`t${t}`, x.trunc(t));
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

describe('compiled simulator: cases worked out by hand', () => {
  it('products at the number/BigInt boundary, including the Math.imul low-bits path', () => {
    const sim = simOf(
      defineModule({ name: 'products' }, (m) => {
        const a8 = m.input('a8', SInt(8));
        const b8 = m.input('b8', SInt(8));
        const a32 = m.input('a32', UInt(32));
        const b32 = m.input('b32', UInt(32));
        const s32 = m.input('s32', SInt(32));
        m.output('p16', a8.mul(b8)); // SInt(16)
        m.output('p64', a32.mul(b32)); // UInt(64): needs BigInt
        m.output('low32', a32.mul(b32).trunc(32)); // low bits: Math.imul
        m.output('low8', s32.mul(a32).slice(0, 8)); // SInt(33)·... low bits of a 65-bit product
        m.output('mixed', s32.mul(a32)); // SInt(65)
        m.output('acc', a8.mul(b8).sext(32).add(s32).trunc(32)); // the MAC of a PE: 33-bit sum wrapped
      }),
    );
    const poke = (v: Record<string, bigint>): void => Object.entries(v).forEach(([k, x]) => sim.poke(k, x));
    poke({ a8: -128n, b8: -128n, a32: 0xffffffffn, b32: 0xffffffffn, s32: -1n });
    expect(sim.peek('p16')).toBe(16384n);
    expect(sim.peek('p64')).toBe(0xfffffffe00000001n);
    expect(sim.peek('low32')).toBe(1n);
    expect(sim.peek('mixed')).toBe(-0xffffffffn);
    expect(sim.peek('low8')).toBe(1n); // -(2^32 - 1) = ...00000001 in the low byte
    poke({ a8: 127n, b8: -128n, s32: 0x7fffffffn }); // 0x7fffffff - 16256 does not wrap
    expect(sim.peek('acc')).toBe(0x7fffffffn - 16256n);
    poke({ a8: 127n, b8: 127n, s32: 0x7fffffffn }); // 0x7fffffff + 16129 wraps to negative
    expect(sim.peek('acc')).toBe(0x7fffffffn + 16129n - (1n << 32n));
  });

  it('an unsigned difference wraps; a signed one does not', () => {
    const sim = simOf(
      defineModule({ name: 'diffs' }, (m) => {
        const a = m.input('a', UInt(1));
        const c = m.input('c', UInt(1));
        const s = m.input('s', SInt(33));
        m.output('u', a.sub(c)); // UInt(2)
        m.output('d', s.sub(a)); // SInt(34)
        m.output('w', s.asUnsigned().sub(s.asUnsigned())); // UInt(34)
      }),
    );
    sim.poke('a', 0);
    sim.poke('c', 1);
    sim.poke('s', -(1n << 32n));
    expect(sim.peek('u')).toBe(3n);
    expect(sim.peek('d')).toBe(-(1n << 32n));
    expect(sim.peek('w')).toBe(0n);
  });

  it('sra of an unsigned value fills copies of its MSB; comparisons use the values', () => {
    const sim = simOf(
      defineModule({ name: 'signs' }, (m) => {
        const u = m.input('u', UInt(8));
        const s = m.input('s', SInt(8));
        m.output('sra3', u.sra(3));
        m.output('lt', s.lt(u));
        m.output('eq', s.eq(u));
      }),
    );
    sim.poke('u', 0x80);
    sim.poke('s', -128);
    expect(sim.peek('sra3')).toBe(0xf0n);
    expect(sim.peek('lt')).toBe(1n); // -128 < 128, although the bit patterns are equal
    expect(sim.peek('eq')).toBe(0n);
  });
});
