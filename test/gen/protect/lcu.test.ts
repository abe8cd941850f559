// The correction unit (gen/protect/lcu.ts) against accel/protect/lcu.ts lcuCombine, its reference, bit for bit:
// random group layouts, bounds and accumulators (fault-free pairs and corrupted ones) in the compiled
// simulator; against Verilator cycle for cycle; Verilator -Wall lint clean for every scheme.
import { describe, expect, it } from 'vitest';
import { LCU } from '../../../accel/model.js';
import { lcuCombine } from '../../../accel/protect/lcu.js';
import { lcu, lcuGroupSize, LCU_CODES, type LcuOptions, type LcuScheme } from '../../../gen/protect/lcu.js';
import { build } from '../../../hdl/dsl/index.js';
import { compile } from '../../../sim/compile/index.js';
import type { Stimulus } from '../../../sim/verilator/index.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, seededInts } from '../blocks-support.js';

const SCHEMES: LcuScheme[] = ['split', 'dup', 'tmr'];

/** A random column layout: groups of the scheme's size at random places, plain columns between. */
function layout(scheme: LcuScheme, C: number, next: (lo: bigint, hi: bigint) => bigint): number[] {
  const codes: number[] = [];
  const size = lcuGroupSize(scheme);
  while (codes.length < C) {
    if (codes.length + size <= C && next(0n, 1n) === 1n) codes.push(LCU_CODES[scheme], ...new Array<number>(size - 1).fill(LCU_CODES.copy));
    else codes.push(LCU.plain);
  }
  return codes;
}

interface Row {
  readonly acc: bigint[];
}

function rows(o: LcuOptions, codes: readonly number[], bounds: readonly number[], count: number, seed: number): Row[] {
  const next = seededInts(seed);
  const lim = 1n << BigInt(o.accWidth - 1);
  const clamp = (v: bigint): bigint => BigInt.asIntN(o.accWidth, v);
  return Array.from({ length: count }, () => {
    const acc = Array.from({ length: o.cols }, () => next(-1000n, 1000n));
    for (let j = 0; j < o.cols; j++) {
      if (codes[j] === LCU_CODES.split) {
        const lim = 1n << BigInt(bounds[j]! & 63);
        acc[j + 1] = clamp(acc[j]! - next(bounds[j]! & 64 ? 0n : -lim, lim - 1n)); // in range
      } else if (codes[j] === LCU_CODES.dup || codes[j] === LCU_CODES.tmr) {
        for (let k = 1; k < lcuGroupSize(o.scheme); k++) acc[j + k] = acc[j]!;
      }
    }
    // Corrupt some values: a flipped bit anywhere, or an extreme.
    for (let j = 0; j < o.cols; j++) {
      const r = next(0n, 5n);
      if (r === 0n) acc[j] = clamp(acc[j]! ^ (1n << next(0n, BigInt(o.accWidth - 1))));
      else if (r === 1n) acc[j] = next(0n, 1n) ? lim - 1n : -lim;
    }
    return { acc };
  });
}

function expectedRow(o: LcuOptions, codes: readonly number[], bounds: readonly number[], row: Row, enable: boolean): { out: bigint[]; flag: boolean; copies: bigint } {
  const out = [...row.acc];
  let flag = false;
  let copies = 0n;
  for (let j = 0; j < o.cols; j++) {
    if (!enable) continue;
    if (codes[j] === LCU_CODES.copy) copies |= 1n << BigInt(j);
    if (codes[j] !== LCU_CODES[o.scheme]) continue;
    const r = lcuCombine(codes[j]!, row.acc[j]!, row.acc[j + 1]!, row.acc[j + 2] ?? 0n, bounds[j]!, o.accWidth);
    out[j] = r.value;
    flag ||= r.flag;
  }
  return { out, flag, copies };
}

/** Stimulus: reset, clear, load every column's code and bound, then the rows with enable alternating. */
function stimulus(o: LcuOptions, codes: readonly number[], bounds: readonly number[], data: readonly Row[]): Stimulus {
  const idle = { enable: 0, clear: 0, load: 0, load_idx: 0, load_code: 0, ...(o.scheme === 'split' ? { load_bound: 0 } : {}), ...Object.fromEntries(Array.from({ length: o.cols }, (_, j) => [`acc_${j}`, 0n])) };
  return [
    { ...idle, rst: 1 },
    { ...idle, rst: 0, clear: 1 },
    ...codes.map((code, j) => ({ ...idle, rst: 0, load: 1, load_idx: j, load_code: code, ...(o.scheme === 'split' ? { load_bound: bounds[j]! } : {}) })),
    ...data.map((r, t) => ({ ...idle, rst: 0, enable: t % 5 === 4 ? 0 : 1, ...Object.fromEntries(r.acc.map((v, j) => [`acc_${j}`, v])) })),
  ];
}

function setup(o: LcuOptions, seed: number): { codes: number[]; bounds: number[]; data: Row[] } {
  const next = seededInts(seed);
  const codes = layout(o.scheme, o.cols, next);
  const bounds = codes.map((c) => (c === LCU_CODES.split ? Number(next(0n, 20n)) | (next(0n, 1n) === 1n ? 64 : 0) : 0));
  return { codes, bounds, data: rows(o, codes, bounds, 120, seed + 1) };
}

const POINTS: LcuOptions[] = SCHEMES.flatMap((scheme) => [
  { scheme, cols: 4, accWidth: 32 },
  { scheme, cols: 8, accWidth: 32 },
  { scheme, cols: 7, accWidth: 24 },
]);

describe('correction unit (LCU, compare/min, voter)', () => {
  it.each(POINTS)('$scheme C=$cols accWidth=$accWidth equals lcuCombine on every row', (o) => {
    for (let seed = 1; seed <= 4; seed++) {
      const { codes, bounds, data } = setup(o, seed * 31 + o.cols);
      const sim = compile(build(lcu(o)));
      const stim = stimulus(o, codes, bounds, data);
      const first = stim.length - data.length;
      sim.reset();
      stim.forEach((row, t) => {
        for (const [k, v] of Object.entries(row)) if (k !== 'rst') sim.poke(k, BigInt(v as number | bigint));
        sim.poke('rst', BigInt(row['rst'] as number));
        if (t >= first) {
          const want = expectedRow(o, codes, bounds, data[t - first]!, row['enable'] === 1);
          for (let j = 0; j < o.cols; j++) expect(sim.peek(`out_${j}`), `column ${j} row ${t - first} codes ${codes}`).toBe(want.out[j]);
          expect(sim.peek('flag')).toBe(want.flag ? 1n : 0n);
          expect(sim.peek('copies')).toBe(want.copies);
        }
        sim.step();
      });
    }
  });

  it('agrees with Verilator cycle for cycle', { timeout: COSIM_TIMEOUT }, async () => {
    await expectCosimAgrees(
      POINTS.map((o, i) => {
        const { codes, bounds, data } = setup(o, 900 + i);
        return { design: build(lcu(o)), stimulus: stimulus(o, codes, bounds, data) };
      }),
    );
  });

  it.each(SCHEMES)('%s is lint-clean under verilator -Wall', (scheme) => {
    expectLintClean(lcu({ scheme, cols: 8, accWidth: 32 }));
  });
});
