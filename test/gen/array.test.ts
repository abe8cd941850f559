// The systolic array (gen/array.ts), both dataflows, computes y = x·W exactly with the timing its
// header states, on the compiled simulator and the reference interpreter; its Verilog lints clean.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { build } from '../../hdl/dsl/index.js';
import type { Design } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import {
  arrayLatency,
  arrayModuleName,
  arrayPorts,
  osOutputDelay,
  resolveArrayOptions,
  systolicArray,
  type ArrayConfig,
  type ArrayOptions,
} from '../../gen/array.js';
import { compile } from '../../sim/compile/index.js';
import { ReferenceSim } from '../../sim/reference.js';
import { resetSim, type Simulator } from '../../sim/types.js';
import { lintVerilator, tempDir } from '../support/tools.js';

type Matrix = bigint[][];

const SIMULATORS: readonly { name: string; make: (d: Design) => Simulator }[] = [
  { name: 'compiled', make: (d) => compile(d) },
  { name: 'reference', make: (d) => new ReferenceSim(d) },
];

/** y = x·W for each row x of X, wrapped to the partial-sum width as the hardware does. */
function matmul(X: Matrix, W: Matrix, config: ArrayConfig): Matrix {
  const wrap = (v: bigint): bigint => (config.signed ? BigInt.asIntN(config.accWidth, v) : BigInt.asUintN(config.accWidth, v));
  return X.map((x) => W[0]!.map((_, j) => wrap(x.reduce((sum, xi, i) => sum + xi * W[i]![j]!, 0n))));
}

/** Load W: R cycles with loadWeight high, bottom row first (header, "Weight loading"). */
function loadWeights(sim: Simulator, W: Matrix, config: ArrayConfig): void {
  sim.poke(arrayPorts.loadWeight, 1);
  for (let r = config.rows - 1; r >= 0; r--) {
    for (let j = 0; j < config.cols; j++) sim.poke(arrayPorts.weight(j), W[r]![j]!);
    sim.step();
  }
  sim.poke(arrayPorts.loadWeight, 0);
  for (let j = 0; j < config.cols; j++) sim.poke(arrayPorts.weight(j), 0);
}

/**
 * Every out_* vector after each step, for `steps` steps, while X streams in (zeros after it) with
 * `valid` high for the vectors of X; `validSteps` receives the steps after which out_valid was high.
 */
function stream(sim: Simulator, X: Matrix, config: ArrayConfig, steps: number, validSteps: number[] = []): Matrix {
  const seen: Matrix = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < config.rows; i++) sim.poke(arrayPorts.act(i), X[t]?.[i] ?? 0n);
    sim.poke(arrayPorts.valid, t < X.length ? 1 : 0);
    sim.step();
    seen.push(Array.from({ length: config.cols }, (_, j) => sim.peek(arrayPorts.out(j))));
    if (sim.peek(arrayPorts.outValid) === 1n) validSteps.push(t + 1);
  }
  return seen;
}

/**
 * Load W and stream X; returns the output vector that the header's timing assigns to each x, and
 * checks that out_valid is high after exactly the steps L .. L+|X|-1 of the stream.
 * Without `reset`, the new W replaces whatever weights the array held.
 */
function runArray(sim: Simulator, W: Matrix, X: Matrix, config: ArrayConfig, reset = true): Matrix {
  if (reset) resetSim(sim);
  loadWeights(sim, W, config);
  const latency = arrayLatency(config);
  const validSteps: number[] = [];
  // After step t+1 (t from 0) the outputs belong to vector t+1-L.
  const seen = stream(sim, X, config, X.length + latency + 2, validSteps).slice(latency - 1, latency - 1 + X.length);
  expect(validSteps).toEqual(X.map((_, t) => t + latency));
  return seen;
}

function operandArb(config: ArrayConfig): fc.Arbitrary<bigint> {
  const lo = config.signed ? -(1 << (config.width - 1)) : 0;
  const hi = config.signed ? (1 << (config.width - 1)) - 1 : (1 << config.width) - 1;
  // Extremes are drawn often on purpose: products of −128·−128 and sums of them are the corner cases.
  return fc.oneof({ arbitrary: fc.integer({ min: lo, max: hi }), weight: 3 }, { arbitrary: fc.constantFrom(lo, hi, 0, -1 >= lo ? -1 : 1), weight: 1 }).map(BigInt);
}

const matrixArb = (rows: number, cols: number, value: fc.Arbitrary<bigint>): fc.Arbitrary<Matrix> =>
  fc.array(fc.array(value, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });

const SHAPES: readonly { label: string; options: ArrayOptions }[] = (
  [
    { rows: 1, cols: 1, width: 8 },
    { rows: 2, cols: 3, width: 8 },
    { rows: 3, cols: 2, width: 8 },
    { rows: 4, cols: 4, width: 8 },
    { rows: 5, cols: 7, width: 8 },
    { rows: 3, cols: 4, width: 16 },
    { rows: 2, cols: 3, width: 8, signed: false },
    { rows: 2, cols: 2, width: 16, accWidth: 128 },
  ] satisfies ArrayOptions[]
).map((options) => ({ label: arrayModuleName(options), options }));

describe.each(SIMULATORS)('weight-stationary array on the $name simulator', ({ make }) => {
  describe.each(SHAPES)('$label', ({ options }) => {
    const config = resolveArrayOptions(options);
    const design = build(systolicArray(options));

    it('computes y = x·W for random weights and streams of random vectors, reloading weights between streams', () => {
      const sim = make(design);
      const value = operandArb(config);
      const batch = fc.record({
        W: matrixArb(config.rows, config.cols, value),
        X: fc.integer({ min: 1, max: 12 }).chain((n) => matrixArb(n, config.rows, value)),
      });
      fc.assert(
        fc.property(fc.array(batch, { minLength: 1, maxLength: 3 }), (batches) => {
          // One reset, then each batch loads its weights over the previous ones.
          batches.forEach(({ W, X }, b) => expect(runArray(sim, W, X, config, b === 0)).toEqual(matmul(X, W, config)));
        }),
        { numRuns: 25 },
      );
    });

    it('computes the extreme products exactly (all −128 / 127 / mixed)', () => {
      const sim = make(design);
      const lo = config.signed ? -(1n << BigInt(config.width - 1)) : 0n;
      const hi = config.signed ? (1n << BigInt(config.width - 1)) - 1n : (1n << BigInt(config.width)) - 1n;
      const fill = (rows: number, cols: number, f: (i: number, j: number) => bigint): Matrix =>
        Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => f(i, j)));
      for (const [w, x] of [
        [lo, lo],
        [hi, hi],
        [lo, hi],
        [hi, lo],
      ] as const) {
        const W = fill(config.rows, config.cols, () => w);
        const X = [fill(1, config.rows, () => x)[0]!, fill(1, config.rows, (_, i) => (i % 2 ? lo : hi))[0]!];
        expect(runArray(sim, W, X, config)).toEqual(matmul(X, W, config));
      }
      const checker = fill(config.rows, config.cols, (i, j) => ((i + j) % 2 ? lo : hi));
      const X = [fill(1, config.rows, (_, i) => (i % 3 === 0 ? lo : hi))[0]!];
      expect(runArray(sim, checker, X, config)).toEqual(matmul(X, checker, config));
    });
  });
});

/** A weight tile W (R×C) and the vectors X streamed through it; `gap` idle cycles before it. */
interface WsTile {
  W: Matrix;
  X: Matrix;
  gap: number;
}

/**
 * Stream tiles through a double-buffered 'ws' array with the header's schedule: tile n loads its
 * shadows in the R cycles before its first vector (which carries swap), and first vectors are
 * max(|X|, 2R-1) + gap cycles apart. `loadShift` moves every load but the first by that many
 * cycles (negative: earlier than the rules allow). Returns the outputs collected by out_valid.
 */
function runDoubleBuffered(sim: Simulator, tiles: readonly WsTile[], config: ArrayConfig, loadShift = 0): Matrix {
  const { rows: R, cols: C } = config;
  type Cycle = { act?: bigint[]; swap?: boolean; w?: bigint[] };
  const cycles: Cycle[] = [];
  const at = (t: number): Cycle => (cycles[t] ??= {});
  let first = R;
  tiles.forEach(({ W, X, gap }, n) => {
    first += gap;
    const load = first - R + (n === 0 ? 0 : loadShift);
    for (let r = 0; r < R; r++) at(load + r).w = W[R - 1 - r]!; // bottom row first
    X.forEach((x, m) => Object.assign(at(first + m), { act: x, swap: m === 0 }));
    first += Math.max(X.length, 2 * R - 1);
  });
  resetSim(sim);
  const collected: Matrix = [];
  for (let t = 0; t < cycles.length + arrayLatency(config); t++) {
    const c = cycles[t] ?? {};
    for (let i = 0; i < R; i++) sim.poke(arrayPorts.act(i), c.act?.[i] ?? 0n);
    for (let j = 0; j < C; j++) sim.poke(arrayPorts.weight(j), c.w?.[j] ?? 0n);
    sim.poke(arrayPorts.loadWeight, c.w ? 1 : 0);
    sim.poke(arrayPorts.swap, c.swap ? 1 : 0);
    sim.poke(arrayPorts.valid, c.act ? 1 : 0);
    sim.step();
    if (sim.peek(arrayPorts.outValid) === 1n) collected.push(Array.from({ length: C }, (_, j) => sim.peek(arrayPorts.out(j))));
  }
  return collected;
}

const DB_SHAPES: readonly ArrayOptions[] = [
  { rows: 1, cols: 1, width: 8, doubleBuffer: true },
  { rows: 2, cols: 3, width: 8, doubleBuffer: true },
  { rows: 3, cols: 5, width: 8, doubleBuffer: true },
  { rows: 4, cols: 2, width: 16, doubleBuffer: true },
];

describe.each(SIMULATORS)('double-buffered weight-stationary array on the $name simulator', ({ make }) => {
  describe.each(DB_SHAPES.map((options) => ({ label: arrayModuleName(options), options })))('$label', ({ options }) => {
    const config = resolveArrayOptions(options);
    const design = build(systolicArray(options));

    it('computes every tile with its own weights while the next tile loads, tiles back to back or with gaps', () => {
      const sim = make(design);
      const value = operandArb(config);
      const tile = fc.record({
        W: matrixArb(config.rows, config.cols, value),
        X: fc.integer({ min: 1, max: 2 * config.rows + 2 }).chain((n) => matrixArb(n, config.rows, value)),
        gap: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 }),
      });
      fc.assert(
        fc.property(fc.array(tile, { minLength: 1, maxLength: 4 }), (tiles) => {
          expect(runDoubleBuffered(sim, tiles, config)).toEqual(tiles.flatMap((t) => matmul(t.X, t.W, config)));
        }),
        { numRuns: 20, seed: 4 },
      );
    });
  });

  // The two loading rules of the header are tight: one cycle earlier and a vector computes with a
  // weight of the wrong tile or the wrong row.
  it.each([
    { rows: 2, cols: 3 },
    { rows: 4, cols: 2 },
  ])('a %o array breaks when the next load starts one cycle before t + R - 1', ({ rows, cols }) => {
    const config = resolveArrayOptions({ rows, cols, width: 8, doubleBuffer: true });
    const sim = make(build(systolicArray(config)));
    const W = (base: number): Matrix => Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => BigInt(base + i * cols + j)));
    const x = Array.from({ length: rows }, (_, i) => BigInt(i + 1));
    // Tiles of M = 2R-1 vectors: the next load starts exactly at t + R - 1, the earliest allowed.
    const tiles = [0, 1].map((n) => ({ W: W(10 * n + 1), X: Array.from({ length: 2 * rows - 1 }, () => x), gap: 0 }));
    const expected = tiles.flatMap((t) => matmul(t.X, t.W, config));
    expect(runDoubleBuffered(sim, tiles, config, 0)).toEqual(expected);
    expect(runDoubleBuffered(sim, tiles, config, -1)).not.toEqual(expected);
  });

  it('a vector swapping before its tile has finished loading computes with the wrong weights', () => {
    const config = resolveArrayOptions({ rows: 3, cols: 2, width: 8, doubleBuffer: true });
    const sim = make(build(systolicArray(config)));
    const W: Matrix = [[1n, 2n], [3n, 4n], [5n, 6n]];
    const x = [1n, 10n, 100n];
    const tiles = [{ W, X: [x], gap: 0 }, { W: W.map((r) => r.map((v) => -v)), X: [x], gap: 0 }];
    expect(runDoubleBuffered(sim, tiles, config, 0)).toEqual(tiles.flatMap((t) => matmul(t.X, t.W, config)));
    // Loading one cycle late is the same as swapping one cycle early (t = s + R - 1).
    expect(runDoubleBuffered(sim, tiles, config, 1)).not.toEqual(tiles.flatMap((t) => matmul(t.X, t.W, config)));
  });
});

/** One output-stationary tile: R activation vectors of length K (A, R×K) against W (K×C). */
interface Tile {
  A: Matrix;
  W: Matrix;
  /** Idle cycles (zero operands, last low) before the tile. */
  gap: number;
}

/**
 * Stream the tiles back to back through an 'os' array; returns, per tile, the rows of the result as
 * they appear on out_*: row i osOutputDelay(i) steps after the tile's last k was poked.
 */
function runOs(sim: Simulator, tiles: readonly Tile[], config: ArrayConfig): Matrix[] {
  resetSim(sim);
  const cycles: { act: bigint[]; w: bigint[]; last: boolean }[] = [];
  const lastCycle: number[] = [];
  for (const { A, W, gap } of tiles) {
    for (let g = 0; g < gap; g++) cycles.push({ act: A.map(() => 0n), w: W[0]!.map(() => 0n), last: false });
    W.forEach((wRow, k) => cycles.push({ act: A.map((x) => x[k]!), w: wRow, last: k === W.length - 1 }));
    lastCycle.push(cycles.length - 1);
  }
  const steps = cycles.length + osOutputDelay(config, 0) + 2;
  const seen: Matrix = [];
  const validSteps: number[] = [];
  for (let t = 0; t < steps; t++) {
    const c = cycles[t];
    for (let i = 0; i < config.rows; i++) sim.poke(arrayPorts.act(i), c?.act[i] ?? 0n);
    for (let j = 0; j < config.cols; j++) sim.poke(arrayPorts.weight(j), c?.w[j] ?? 0n);
    sim.poke(arrayPorts.last, c?.last ? 1 : 0);
    sim.step();
    seen.push(Array.from({ length: config.cols }, (_, j) => sim.peek(arrayPorts.out(j))));
    if (sim.peek(arrayPorts.outValid) === 1n) validSteps.push(t + 1);
  }
  // out_valid is high after exactly the steps at which the header puts a row on out_*.
  const rowSteps = lastCycle.flatMap((t) => Array.from({ length: config.rows }, (_, i) => t + osOutputDelay(config, config.rows - 1 - i)));
  expect(validSteps).toEqual(rowSteps);
  return lastCycle.map((t) => Array.from({ length: config.rows }, (_, i) => seen[t + osOutputDelay(config, i) - 1]!));
}

describe.each(SIMULATORS)('output-stationary array on the $name simulator', ({ make }) => {
  describe.each(SHAPES.map(({ options }) => ({ label: arrayModuleName({ ...options, dataflow: 'os' }), options: { ...options, dataflow: 'os' as const } })))(
    '$label',
    ({ options }) => {
      const config = resolveArrayOptions(options);
      const design = build(systolicArray(options));

      it('computes every tile A·W for tiles of any K, back to back or with idle gaps, lasts >= R cycles apart', () => {
        const sim = make(design);
        const value = operandArb(config);
        const tile = fc
          .record({ k: fc.integer({ min: 1, max: config.rows + 4 }), gap: fc.integer({ min: 0, max: 3 }) })
          .chain(({ k, gap }) =>
            fc.record({
              A: matrixArb(config.rows, k, value),
              W: matrixArb(k, config.cols, value),
              // The header's one rule: consecutive lasts at least R cycles apart.
              gap: fc.constant(Math.max(gap, config.rows - k)),
            }),
          );
        fc.assert(
          fc.property(fc.array(tile, { minLength: 1, maxLength: 4 }), (tiles) => {
            expect(runOs(sim, tiles, config)).toEqual(tiles.map((t) => matmul(t.A, t.W, config)));
          }),
          { numRuns: 20 },
        );
      });
    },
  );
});

describe('array timing', () => {
  const header = readFileSync(new URL('../../gen/array.ts', import.meta.url), 'utf8');

  it('the header states the formula arrayLatency() computes, with examples that agree', () => {
    expect(header).toMatch(/Latency L = R \+ C - 1 cycles/);
    const examples = [...header.matchAll(/(\d+)×(\d+) → (\d+)/g)].map((m) => m.slice(1, 4).map(Number) as [number, number, number]);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [rows, cols, latency] of examples) {
      expect(arrayLatency({ rows, cols })).toBe(latency);
      expect(rows + cols - 1).toBe(latency);
    }
  });

  // An impulse (one vector between zeros) appears on every output column in exactly one cycle: L
  // steps after it was poked, all columns together (the de-skew works) and nowhere else.
  it.each([
    [1, 1],
    [1, 5],
    [5, 1],
    [2, 3],
    [4, 4],
    [5, 7],
    [16, 16],
  ])('an impulse into a %i×%i array comes out exactly L steps later, all columns at once', (rows, cols) => {
    const config = resolveArrayOptions({ rows, cols, width: 8 });
    const sim = compile(build(systolicArray(config)));
    const W = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => BigInt(((i * 7 + j * 3) % 11) + 1)));
    const x = Array.from({ length: rows }, (_, i) => BigInt(i + 1));
    resetSim(sim);
    loadWeights(sim, W, config);
    const latency = arrayLatency(config);
    const seen = stream(sim, [x], config, latency + rows + cols);
    const expected = matmul([x], W, config)[0]!;
    const zero = expected.map(() => 0n);
    seen.forEach((y, step) => expect(y, `after step ${step + 1}`).toEqual(step + 1 === latency ? expected : zero));
  });

  it('the header states the output-stationary formula osOutputDelay() computes', () => {
    expect(header).toMatch(/osOutputDelay\(i\) = 2R \+ C - 1 - i steps/);
    expect(osOutputDelay({ rows: 4, cols: 3 }, 3)).toBe(4 + 3);
    expect(osOutputDelay({ rows: 4, cols: 3 }, 0)).toBe(2 * 4 + 3 - 1);
  });

  it('module names encode the parameters', () => {
    expect(arrayModuleName({ rows: 16, cols: 16, width: 8 })).toBe('array_ws_r16c16_i8_acc32');
    expect(arrayModuleName({ rows: 5, cols: 7, width: 16 })).toBe('array_ws_r5c7_i16_acc48');
    expect(arrayModuleName({ rows: 2, cols: 3, width: 8, signed: false, accWidth: 24 })).toBe('array_ws_r2c3_u8_acc24');
    expect(build(systolicArray({ rows: 3, cols: 2, width: 8 })).top).toBe('array_ws_r3c2_i8_acc32');
    expect(build(systolicArray({ rows: 3, cols: 2, width: 8, dataflow: 'os' })).top).toBe('array_os_r3c2_i8_acc32');
    expect(build(systolicArray({ rows: 3, cols: 2, width: 8, doubleBuffer: true })).top).toBe('array_ws_r3c2_i8_acc32_db');
  });

  it('rejects impossible options with a message naming the option', () => {
    expect(() => systolicArray({ rows: 0, cols: 2, width: 8 })).toThrow(/rows must be an integer >= 1, not 0/);
    expect(() => systolicArray({ rows: 2, cols: 2.5, width: 8 })).toThrow(/cols/);
    expect(() => systolicArray({ rows: 2, cols: 2, width: 8, accWidth: 16 })).toThrow(/accWidth must be an integer in 17\.\.128/);
    expect(() => systolicArray({ rows: 2, cols: 2, width: 8, dataflow: 'os', doubleBuffer: true })).toThrow(/doubleBuffer must be false for dataflow 'os'/);
  });
});

describe('generated Verilog of the array', () => {
  it.each<ArrayOptions>([
    { rows: 1, cols: 1, width: 8 },
    { rows: 2, cols: 3, width: 8 },
    { rows: 3, cols: 2, width: 16, signed: false, accWidth: 128 },
    { rows: 1, cols: 1, width: 8, dataflow: 'os' },
    { rows: 3, cols: 2, width: 16, dataflow: 'os' },
    { rows: 1, cols: 1, width: 8, doubleBuffer: true },
    { rows: 3, cols: 5, width: 8, doubleBuffer: true },
    { rows: 3, cols: 5, width: 8, dataflow: 'os' },
    { rows: 8, cols: 8, width: 8, doubleBuffer: true },
    { rows: 8, cols: 8, width: 8, dataflow: 'os' },
  ])('%o lints clean with verilator -Wall', (options) => {
    const design = build(systolicArray(options));
    const files = writeVerilog(design, tempDir());
    const lint = lintVerilator(files, design.top);
    expect(lint.output).toBe('');
    expect(lint.ok).toBe(true);
  });
});
