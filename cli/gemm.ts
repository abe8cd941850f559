// `splitfuse gemm`: a seeded random C = A·B on a generated systolic array in the compiled simulator
// (accel/gemm.ts), printing the measured cycles, the closed-form prediction, the utilisation and
// whether the result was bit-exact against the integer reference. Exit code 1 when it was not.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { randomGemm, resolveGemmArray, type GemmArrayOptions, type GemmDtype, type GemmResult, type GemmShape, type RunGemmOptions } from '../accel/gemm.js';
import type { Dataflow } from '../gen/pe.js';
import type { CliIO } from './main.js';
import { progressBar } from './progress.js';
import { integerOption } from './sim.js';

/** The options as commander hands them over (strings), or numbers from a library caller. */
export interface GemmCommandOptions {
  readonly rows: string | number;
  readonly cols: string | number;
  readonly m: string | number;
  readonly k: string | number;
  readonly n: string | number;
  readonly dtype?: string;
  readonly dataflow?: string;
  readonly doubleBuffer?: boolean;
  readonly seed?: string | number;
  readonly json?: boolean;
}

/** The largest M, K, N the command accepts (a GEMM of 4096³ would run for hours). */
export const MAX_GEMM_DIM = 4096;

export interface GemmReport {
  readonly shape: GemmShape;
  readonly array: Required<Omit<GemmArrayOptions, 'accWidth'>> & { accWidth: number };
  readonly seed: number;
  readonly design: string;
  readonly cycles: number;
  readonly predictedCycles: number;
  /** ceil(MACs / (rows·cols)): the cycles of a perfectly used array. */
  readonly idealCycles: number;
  readonly utilization: number;
  readonly tiles: number;
  readonly macs: number;
  readonly mismatches: number;
  readonly bitExact: boolean;
}

/** Check the options (E102 for numbers, E125/E126 from accel/gemm.ts) and run the GEMM. */
export function runGemmCommand(opts: GemmCommandOptions, run: RunGemmOptions = {}): GemmReport {
  const int = (option: string, value: string | number, min: number, max: number): number => integerOption('gemm', option, value, min, max);
  const rows = int('--rows', opts.rows, 1, 64);
  const cols = int('--cols', opts.cols, 1, 64);
  const shape = { m: int('--m', opts.m, 1, MAX_GEMM_DIM), k: int('--k', opts.k, 1, MAX_GEMM_DIM), n: int('--n', opts.n, 1, MAX_GEMM_DIM) };
  const seed = int('--seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const dtype = (opts.dtype ?? 'int8') as GemmDtype;
  const dataflow = (opts.dataflow ?? 'ws') as Dataflow;
  const config = resolveGemmArray({ rows, cols, dtype, dataflow, doubleBuffer: opts.doubleBuffer ?? false }, 'command line');
  const result: GemmResult = randomGemm(shape, config, seed, run);
  return {
    shape,
    array: { rows, cols, dtype, dataflow, doubleBuffer: config.doubleBuffer, accWidth: config.accWidth },
    seed,
    design: result.design,
    cycles: result.cycles,
    predictedCycles: result.predictedCycles,
    idealCycles: Math.ceil(result.macs / (rows * cols)),
    utilization: result.utilization,
    tiles: result.tiles,
    macs: result.macs,
    mismatches: result.mismatches,
    bitExact: result.mismatches === 0,
  };
}

/** The human-readable report. */
export function gemmReportText(r: GemmReport): string {
  const { m, k, n } = r.shape;
  return [
    `GEMM ${m}×${k}·${k}×${n} (${r.array.dtype}) on ${r.design}, seed ${r.seed}`,
    `  tiles ${r.tiles}, MACs ${r.macs}`,
    `  cycles ${r.cycles} (formula ${r.predictedCycles}), ideal ${r.idealCycles}`,
    `  utilisation ${(100 * r.utilization).toFixed(1)}%`,
    `  bit-exact: ${r.bitExact ? 'yes' : `no (${r.mismatches} of ${m * n} elements differ)`}`,
    '',
  ].join('\n');
}

/** What `splitfuse gemm` runs; returns the exit code (0 bit-exact, 1 not). `run` is for library callers (faults). */
export function gemmCommand(opts: GemmCommandOptions, io: CliIO, run: RunGemmOptions = {}): number {
  for (const [flag, value, allowed] of [
    ['--dtype', opts.dtype, ['int8', 'int16']],
    ['--dataflow', opts.dataflow, ['ws', 'os']],
  ] as const) {
    if (value !== undefined && !(allowed as readonly string[]).includes(value)) {
      throw new DiagnosticError([msg.usage(`Option '${flag}' of 'splitfuse gemm'`, `one of ${allowed.join(', ')}`, `'${value}'`, `e.g. ${flag} ${allowed[0]}`)]);
    }
  }
  // Large shapes run for minutes: a bar on a terminal, otherwise a line with an estimate on stderr every 30 s.
  const bar = progressBar(io.progressStream, 'gemm', io.stderr);
  let report: GemmReport;
  try {
    report = runGemmCommand(opts, { ...run, onProgress: (cycles, predicted) => bar.update(Math.min(cycles, predicted), predicted, 'cycles') });
  } finally {
    bar.stop();
  }
  io.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : gemmReportText(report));
  return report.bitExact ? 0 : 1;
}
