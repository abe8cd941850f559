// The GEMM driver (accel/gemm.ts): C = A·B on the generated array in the compiled simulator is
// bit-exact against the integer reference, the cycles measured on the RTL equal gemmCycles() for
// every tested shape, the arrays it drives agree with Verilator cycle for cycle on its stimulus,
// and bad shapes, options and operands are coded diagnostics.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticError, renderDiagnostic } from '../../hdl/diagnostics.js';
import {
  gemmArrayDesign,
  gemmCycles,
  gemmStimulus,
  gemmTiles,
  randomGemm,
  randomGemmOperands,
  referenceMatmul,
  runGemm,
  type GemmArrayOptions,
  type GemmShape,
} from '../../accel/gemm.js';
import { cosimBatch, cosimPassed, defaultToolchain, describeMismatch, type Toolchain } from '../../sim/verilator/index.js';
import { randomInputs } from '../../sim/verilator/stimulus.js';

const ARRAY_KINDS: readonly { label: string; options: Pick<GemmArrayOptions, 'dataflow' | 'doubleBuffer'> }[] = [
  { label: 'ws', options: { dataflow: 'ws' } },
  { label: 'ws double-buffered', options: { dataflow: 'ws', doubleBuffer: true } },
  { label: 'os', options: { dataflow: 'os' } },
];

/** Run a seeded random GEMM and check it is exact and took exactly the predicted cycles. */
function expectExactAndPredicted(shape: GemmShape, array: GemmArrayOptions, seed: number): void {
  const r = randomGemm(shape, array, seed);
  const what = `${JSON.stringify(shape)} on ${JSON.stringify(array)}`;
  expect(r.mismatches, what).toBe(0);
  expect(r.cycles, what).toBe(r.predictedCycles);
  expect(r.macs).toBe(shape.m * shape.k * shape.n);
  expect(r.tiles).toBe(gemmTiles(shape, array));
  expect(r.utilization).toBeCloseTo(r.macs / (r.cycles * array.rows * array.cols), 12);
  expect(r.utilization).toBeLessThanOrEqual(1);
}

describe('GEMM on the compiled simulator', () => {
  it('is bit-exact and takes exactly gemmCycles() for random shapes (R, C in 1..9; M, K, N in 1..40)', () => {
    const run = fc.record({
      rows: fc.integer({ min: 1, max: 9 }),
      cols: fc.integer({ min: 1, max: 9 }),
      m: fc.integer({ min: 1, max: 40 }),
      k: fc.integer({ min: 1, max: 40 }),
      n: fc.integer({ min: 1, max: 40 }),
      kind: fc.constantFrom(...ARRAY_KINDS),
      dtype: fc.constantFrom('int8' as const, 'int16' as const),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    fc.assert(
      fc.property(run, ({ rows, cols, m, k, n, kind, dtype, seed }) => {
        expectExactAndPredicted({ m, k, n }, { rows, cols, dtype, ...kind.options }, seed);
      }),
      { numRuns: 60, seed: 20261129 },
    );
  }, 60_000);

  // Named edge shapes: the 1×1 array, K = 1, N = 1, M = 1, K a multiple of R and not.
  const EDGES: readonly [string, GemmShape, number, number][] = [
    ['1×1 array', { m: 5, k: 7, n: 3 }, 1, 1],
    ['1×1 array, 1×1×1', { m: 1, k: 1, n: 1 }, 1, 1],
    ['K = 1', { m: 9, k: 1, n: 6 }, 4, 3],
    ['N = 1', { m: 6, k: 9, n: 1 }, 3, 4],
    ['M = 1', { m: 1, k: 10, n: 7 }, 4, 4],
    ['K a multiple of R', { m: 7, k: 12, n: 5 }, 4, 3],
    ['K not a multiple of R', { m: 7, k: 13, n: 5 }, 4, 3],
    ['N a multiple of C, M a multiple of R', { m: 8, k: 5, n: 6 }, 4, 3],
    ['tall array', { m: 11, k: 20, n: 3 }, 9, 1],
    ['wide array', { m: 11, k: 3, n: 20 }, 1, 9],
    ['8×8, one tile', { m: 8, k: 8, n: 8 }, 8, 8],
  ];
  describe.each(ARRAY_KINDS)('$label', ({ options }) => {
    it.each(EDGES)('%s: exact, and cycles = gemmCycles()', (_, shape, rows, cols) => {
      for (const dtype of ['int8', 'int16'] as const) expectExactAndPredicted(shape, { rows, cols, dtype, ...options }, 7);
    });
  });

  it('results equal the reference matmul element by element, including the extreme products', () => {
    const lo = -128;
    const A = [[lo, lo, 127], [127, lo, -1], [0, 1, lo]];
    const B = [[lo, 127], [lo, lo], [127, -1]];
    for (const kind of ARRAY_KINDS) {
      const r = runGemm(A, B, { rows: 2, cols: 1, ...kind.options });
      expect(r.result).toEqual(referenceMatmul(A, B, 32));
      expect(r.result[0]![0]).toBe(BigInt(lo * lo + lo * lo + 127 * 127));
    }
  });

  it('wraps at accWidth exactly like the reference (accWidth 17 with int8: sums overflow)', () => {
    const { A, B } = randomGemmOperands({ m: 6, k: 30, n: 5 }, 'int8', 3);
    const wide = referenceMatmul(A, B, 64);
    const narrow = referenceMatmul(A, B, 17);
    expect(narrow).not.toEqual(wide); // the test really overflows
    for (const kind of ARRAY_KINDS) {
      const r = runGemm(A, B, { rows: 4, cols: 3, accWidth: 17, ...kind.options });
      expect(r.mismatches).toBe(0);
      expect(r.result).toEqual(narrow);
    }
  });

  it('counts a wrong result as a mismatch (the check can fail)', () => {
    const { A, B } = randomGemmOperands({ m: 4, k: 4, n: 4 }, 'int8', 5);
    const r = runGemm(A, B, { rows: 2, cols: 2 });
    expect(r.mismatches).toBe(0);
    // The same run against a different B: its result differs from that B's reference.
    const other = B.map((row) => row.map((v) => (v === 127 ? 126 : v + 1)));
    const reference = referenceMatmul(A, other, 32);
    const differing = reference.flatMap((row, i) => row.filter((v, j) => v !== r.result[i]![j])).length;
    expect(differing).toBeGreaterThan(0);
  });

  it('the same seed gives the same operands and result; another seed other operands', () => {
    const shape = { m: 5, k: 6, n: 7 };
    expect(randomGemmOperands(shape, 'int16', 9)).toEqual(randomGemmOperands(shape, 'int16', 9));
    expect(randomGemmOperands(shape, 'int16', 9)).not.toEqual(randomGemmOperands(shape, 'int16', 10));
    expect(randomGemm(shape, { rows: 3, cols: 3 }, 9).result).toEqual(randomGemm(shape, { rows: 3, cols: 3 }, 9).result);
  });

  it('double buffering streams 8×8 tiles back to back: >= 95% utilisation for M = K = N = 64', () => {
    const shape = { m: 64, k: 64, n: 64 };
    const db = randomGemm(shape, { rows: 8, cols: 8, doubleBuffer: true }, 1);
    const single = randomGemm(shape, { rows: 8, cols: 8 }, 1);
    expect(db.mismatches + single.mismatches).toBe(0);
    expect(db.utilization).toBeGreaterThanOrEqual(0.95);
    expect(single.cycles - db.cycles).toBe((db.tiles - 1) * (2 * 8 + 8 - 3)); // the waits double buffering hides
  });
});

describe('gemmCycles', () => {
  const doc = readFileSync(new URL('../../docs/gemm.md', import.meta.url), 'utf8');

  it('is the closed form documented in docs/gemm.md', () => {
    expect(doc).toContain('T·(M + 2R + C − 3) + 1');
    expect(doc).toContain('(T − 1)·max(M, 2R − 1) + 2R + C + M − 2');
    expect(doc).toContain('T·max(K, R) + 2R + C − 2');
    const array = { rows: 4, cols: 3 };
    const shape = { m: 10, k: 9, n: 7 }; // ws: T = 3·3 = 9; os: T = 3·3 = 9
    expect(gemmCycles(shape, array)).toBe(9 * (10 + 8 + 3 - 3) + 1);
    expect(gemmCycles(shape, { ...array, doubleBuffer: true })).toBe(8 * 10 + 8 + 3 + 10 - 2);
    expect(gemmCycles(shape, { ...array, dataflow: 'os' })).toBe(9 * 9 + 8 + 3 - 2);
  });
});

describe('GEMM diagnostics', () => {
  const codes = (f: () => unknown): string[] => {
    try {
      f();
    } catch (e) {
      if (e instanceof DiagnosticError) return e.diagnostics.map(renderDiagnostic);
      throw e;
    }
    throw new Error('expected a DiagnosticError');
  };

  it('E125: a bad dimension or matrices that do not fit together', () => {
    expect(codes(() => gemmCycles({ m: 0, k: 2, n: 2.5 }, { rows: 2, cols: 2 }))).toEqual([
      'E125: GEMM dimension m must be an integer in 1..65536, not 0 (GEMM shape). Hint: C = A·B with A m×k and B k×n.',
      'E125: GEMM dimension n must be an integer in 1..65536, not 2.5 (GEMM shape). Hint: C = A·B with A m×k and B k×n.',
    ]);
    expect(codes(() => runGemm([[1, 2]], [[1]], { rows: 2, cols: 2 }))).toEqual([
      'E125: Rows of B must be k = 2 (the columns of A), not 1 (runGemm). Hint: C = A·B needs A m×k and B k×n.',
    ]);
    expect(codes(() => runGemm([[1, 2], [3]], [[1], [2]], { rows: 2, cols: 2 }))[0]).toMatch(/^E125: Row 1 of A must be 2 long, not 1/);
  });

  it('E126: bad array options, all reported at once', () => {
    expect(codes(() => gemmCycles({ m: 1, k: 1, n: 1 }, { rows: 0, cols: 2, dtype: 'int4' as 'int8', dataflow: 'os', doubleBuffer: true }))).toEqual([
      "E126: GEMM array option 'rows' must be an integer in 1..64, not 0 (GEMM options). Hint: e.g. rows=8.",
      "E126: GEMM array option 'dtype' must be int8 or int16, not 'int4' (GEMM options). Hint: use int8 or int16.",
      "E126: GEMM array option 'doubleBuffer' must be false with dataflow 'os', not true (GEMM options). Hint: double-buffered weights exist only in the weight-stationary array; drop doubleBuffer or use ws.",
    ]);
    expect(codes(() => gemmCycles({ m: 1, k: 1, n: 1 }, { rows: 2, cols: 2, dtype: 'int16', accWidth: 32 }))).toEqual([
      "E126: GEMM array option 'accWidth' must be an integer in 33..128 for int16, not 32 (GEMM options). Hint: use 48.",
    ]);
  });

  it('E127: an operand outside the dtype', () => {
    expect(codes(() => runGemm([[128]], [[1]], { rows: 1, cols: 1 }))).toEqual([
      'E127: A[0][0] must be an int8 in -128..127, not 128 (runGemm). Hint: quantize the operands to int8.',
    ]);
    expect(codes(() => runGemm([[1]], [[-32769]], { rows: 1, cols: 1, dtype: 'int16' }))[0]).toMatch(/^E127: B\[0\]\[0\] must be an int16 in -32768\.\.32767, not -32769/);
  });
});

describe('Verilator co-simulation of the arrays the driver runs', () => {
  let toolchain: Toolchain;
  beforeAll(async () => {
    toolchain = await defaultToolchain();
  }, 600_000);

  it('agrees cycle for cycle on GEMM schedules and on random stimulus (valid, swap, load), 0 mismatches', async () => {
    const points: readonly [GemmArrayOptions, GemmShape][] = [
      [{ rows: 1, cols: 1 }, { m: 3, k: 2, n: 2 }],
      [{ rows: 1, cols: 1, doubleBuffer: true }, { m: 3, k: 2, n: 2 }],
      [{ rows: 1, cols: 1, dataflow: 'os' }, { m: 2, k: 3, n: 2 }],
      [{ rows: 3, cols: 5, doubleBuffer: true }, { m: 7, k: 7, n: 11 }],
      [{ rows: 3, cols: 5 }, { m: 4, k: 7, n: 6 }],
      [{ rows: 3, cols: 5, dataflow: 'os', dtype: 'int16' }, { m: 7, k: 4, n: 6 }],
      [{ rows: 8, cols: 8, doubleBuffer: true }, { m: 20, k: 17, n: 9 }],
      [{ rows: 8, cols: 8, dataflow: 'os' }, { m: 17, k: 5, n: 9 }],
    ];
    const cases = points.flatMap(([array, shape], i) => {
      const { A, B } = randomGemmOperands(shape, array.dtype ?? 'int8', 100 + i);
      const stimulus = gemmStimulus(A, B, array);
      const design = gemmArrayDesign(array);
      // The schedule, then the same design under random inputs (random valid/swap/loadWeight/last).
      return [
        { design, stimulus },
        { design, stimulus: randomInputs(design, 300, 200 + i) },
      ];
    });
    const results = await cosimBatch(cases, { toolchain });
    for (const r of results) expect(cosimPassed(r), describeMismatch(r)).toBe(true);
    expect(results.map((r) => r.cycles).reduce((a, b) => a + b, 0)).toBeGreaterThan(2000);
  }, 600_000);
});
