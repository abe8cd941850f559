// The requantization lane (gen/requant.ts) against accel/quant.ts's requantize, its reference, bit for
// bit: in the compiled simulator over accumulator widths, output widths, multiplier widths and random
// values with extremes; against Verilator cycle for cycle; Verilator -Wall lint clean.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requantize } from '../../accel/quant.js';
import { REQUANT_LATENCY, requant, type RequantOptions } from '../../gen/requant.js';
import { build } from '../../hdl/dsl/index.js';
import { compile } from '../../sim/compile/index.js';
import type { Stimulus } from '../../sim/verilator/index.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, seededInts } from './blocks-support.js';

interface LaneInput {
  readonly acc: bigint;
  readonly bias: bigint;
  readonly mult: bigint;
  readonly shift: number;
  readonly relu: boolean;
  readonly valid: boolean;
}

const signedRange = (bits: number): [bigint, bigint] => [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n];

/** Random lane inputs, one draw in three an extreme of its range. */
function laneInputs(options: RequantOptions, count: number, seed: number): LaneInput[] {
  const next = seededInts(seed);
  const pick = (lo: bigint, hi: bigint, extra: bigint[] = []): bigint => {
    const choices = [lo, hi, 0n, ...extra];
    return next(0n, 2n) === 0n ? choices[Number(next(0n, BigInt(choices.length - 1)))]! : next(lo, hi);
  };
  const multBits = options.multBits ?? 31;
  return Array.from({ length: count }, () => {
    const [alo, ahi] = signedRange(options.accWidth);
    const acc = next(0n, 3n) === 0n ? next(-1000n, 1000n) : pick(alo, ahi, [-1n, 1n]);
    const mult = pick(1n << 30n, (1n << BigInt(multBits)) - 1n, [1n, (1n << 31n) - 1n]);
    return {
      acc: acc < alo ? alo : acc > ahi ? ahi : acc,
      bias: pick(-(1n << 31n), (1n << 31n) - 1n, [-1n, 1n]),
      mult,
      shift: Number(pick(0n, 63n, [1n, 30n, 31n, 32n])),
      relu: next(0n, 1n) === 1n,
      valid: next(0n, 3n) !== 0n,
    };
  });
}

function expected(x: LaneInput, options: RequantOptions): bigint {
  return BigInt(requantize(x.acc + x.bias, { b: Number(x.mult), c: x.shift }, { bits: options.outBits, relu: x.relu }));
}

function stimulusOf(inputs: readonly LaneInput[]): Stimulus {
  return inputs.map((x, t) => ({
    rst: t === 0 ? 1 : 0,
    acc: x.acc,
    bias: x.bias,
    mult: x.mult,
    shift: x.shift,
    relu: x.relu ? 1 : 0,
    valid_in: x.valid ? 1 : 0,
  }));
}

const laneOptions = fc.record({
  accWidth: fc.constantFrom(8, 16, 24, 32, 33, 48, 64),
  outBits: fc.constantFrom(8 as const, 16 as const),
  multBits: fc.constantFrom(31 as const, 32 as const),
});

describe('requantization lane', () => {
  it('streams one result per cycle, each equal to requantize() REQUANT_LATENCY cycles later', () => {
    expect(REQUANT_LATENCY).toBe(2);
    fc.assert(
      fc.property(laneOptions, fc.integer({ min: 1, max: 1 << 30 }), (options, seed) => {
        const sim = compile(build(requant(options)));
        sim.reset();
        const inputs = laneInputs(options, 80, seed);
        for (let t = 0; t < inputs.length + REQUANT_LATENCY; t++) {
          const x = inputs[t];
          if (x) {
            sim.poke('acc', x.acc);
            sim.poke('bias', x.bias);
            sim.poke('mult', x.mult);
            sim.poke('shift', x.shift);
            sim.poke('relu', x.relu ? 1 : 0);
            sim.poke('valid_in', x.valid ? 1 : 0);
          }
          sim.step();
          const source = inputs[t + 1 - REQUANT_LATENCY];
          if (source) {
            expect(sim.peek('valid_out')).toBe(source.valid ? 1n : 0n);
            expect(sim.peek('q'), JSON.stringify(source, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(expected(source, options));
          }
        }
      }),
      { seed: 0x52514e54, numRuns: 25 },
    );
  });

  it('hits ties, clamps and ReLU exactly', () => {
    const options: RequantOptions = { accWidth: 32, outBits: 8 };
    const half = 1n << 30n; // b / 2^31 = 1/2
    const cases: LaneInput[] = [
      { acc: 5n, bias: 0n, mult: half, shift: 31, relu: false, valid: true }, // 2.5 → 3
      { acc: -5n, bias: 0n, mult: half, shift: 31, relu: false, valid: true }, // -2.5 → -2
      { acc: 300n, bias: -44n, mult: half, shift: 30, relu: false, valid: true }, // 256 → 127
      { acc: -300n, bias: 0n, mult: half, shift: 30, relu: false, valid: true }, // -300 → -128
      { acc: -300n, bias: 0n, mult: half, shift: 30, relu: true, valid: true }, // → 0
      { acc: 3n, bias: 0n, mult: 1n, shift: 0, relu: false, valid: true }, // c = 0: no rounding → 3
      { acc: -(2n ** 31n), bias: -(2n ** 31n), mult: 2n ** 31n - 1n, shift: 63, relu: false, valid: true }, // -1 + 2^-31 → -1
    ];
    const sim = compile(build(requant(options)));
    sim.reset();
    const got: bigint[] = [];
    for (const x of [...cases, ...cases.slice(0, REQUANT_LATENCY)]) {
      sim.poke('acc', x.acc);
      sim.poke('bias', x.bias);
      sim.poke('mult', x.mult);
      sim.poke('shift', x.shift);
      sim.poke('relu', x.relu ? 1 : 0);
      sim.poke('valid_in', 1);
      sim.step();
      got.push(sim.peek('q'));
    }
    expect(got.slice(REQUANT_LATENCY - 1, REQUANT_LATENCY - 1 + cases.length)).toEqual([3n, -2n, 127n, -128n, 0n, 3n, -1n]);
    expect(cases.map((x) => expected(x, options))).toEqual([3n, -2n, 127n, -128n, 0n, 3n, -1n]);
  });

  it('agrees with Verilator cycle for cycle at several parameter points', { timeout: COSIM_TIMEOUT }, async () => {
    const points: RequantOptions[] = [
      { accWidth: 32, outBits: 8 },
      { accWidth: 8, outBits: 16 },
      { accWidth: 48, outBits: 16, multBits: 32 },
      { accWidth: 64, outBits: 8, multBits: 32 },
    ];
    await expectCosimAgrees(points.map((o, i) => ({ design: build(requant(o)), stimulus: stimulusOf(laneInputs(o, 300, 7 + i)) })));
  });

  it.each([
    { accWidth: 8, outBits: 8 as const },
    { accWidth: 32, outBits: 8 as const },
    { accWidth: 64, outBits: 16 as const, multBits: 32 as const },
  ])('lints clean: %o', (options) => expectLintClean(requant(options)));
});
