// `splitfuse run`: run a quantized model on the accelerator RTL (compiled simulator) digit by digit,
// check every output bit for bit against the golden model, and print accuracy, cycles, per-layer
// utilisation, DRAM traffic and an energy estimate. The work is accel/report.ts runModel; this file
// validates the options, shows a progress bar on a terminal and formats the report. Exit code 1 when
// any image's RTL output differs from the golden model's (like cosim's EXIT_MISMATCH).
import cliProgress from 'cli-progress';
import { resolveConfig } from '../accel/config.js';
import { HOROWITZ_45NM, loadEnergyTable, type EnergyTable } from '../accel/energy.js';
import { randomInputs } from '../accel/inputs.js';
import { testImages, type Int8Digit } from '../accel/mnist.js';
import { runModel, type ModelReport, type RunModelOptions } from '../accel/report.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { Force } from '../sim/compile/index.js';
import type { CliIO } from './main.js';
import { integerOption } from './sim.js';
import { fuseRunCommand } from './fuse.js';
import { loadModelFile } from './model-file.js';

/** The largest --batch (the activation buffers bound it further per model and configuration: E142). */
export const MAX_BATCH = 64;

/** The most --random-inputs of one run. */
export const MAX_RANDOM_INPUTS = 100_000;

/** Held-out MNIST test digits (accel/mnist.ts testImages): the largest --offset + --images. */
export const TEST_DIGITS = 2004;

/** The options as commander hands them over (strings), or numbers from a library caller. */
export interface RunCommandOptions {
  readonly model: string;
  /** A preset name or a JSON file (accel/config.ts resolveConfig); default 'default'. */
  readonly config?: string;
  readonly set?: readonly string[];
  /** Default 100. */
  readonly images?: string | number;
  /** First test digit; default 0. */
  readonly offset?: string | number;
  readonly energyTable?: string;
  readonly json?: boolean;
  /** Run N seeded random int8 inputs (accel/inputs.ts) instead of MNIST test digits: models without a data set. */
  readonly randomInputs?: string | number;
  /** Seed of --random-inputs; default 1. */
  readonly seed?: string | number;
  /** Images per run with resident weights (accel/report.ts RunModelOptions.batch); absent: one image per run, weights reloaded. */
  readonly batch?: string | number;
  /** --no-prefetch (false): with --batch, each batch LOADs its own inputs instead of the previous batch prefetching them. */
  readonly prefetch?: boolean;
  /** Fusion groups (auto | none | L1-L2,...): run fused and layer by layer and compare (cli/fuse.ts). */
  readonly fuse?: string;
  /** On-chip bytes a fusion group may use (with --fuse). */
  readonly fuseBufferBytes?: string | number;
}

/** The report of `splitfuse run` as printed with --json: runModel's plus the digits that were run. */
export type RunReport = ModelReport & { readonly offset: number; readonly seed?: number };

export interface PreparedRun {
  readonly offset: number;
  /** The seed of --random-inputs (absent: MNIST test digits). */
  readonly seed?: number;
  readonly digits: Int8Digit[];
  readonly options: Omit<RunModelOptions, 'onImage'>;
}

/** Validate the options (E102 numbers, E110–E119 model file, E140/E141 config and energy table) and load the inputs. */
export function prepareRun(opts: RunCommandOptions): PreparedRun {
  const images = integerOption('run', '--images', opts.images ?? 100, 1, TEST_DIGITS);
  const offset = integerOption('run', '--offset', opts.offset ?? 0, 0, TEST_DIGITS - 1);
  if (offset + images > TEST_DIGITS) {
    throw new DiagnosticError([
      msg.usage(`Option '--images' of 'splitfuse run' with --offset ${offset}`, `an integer in 1..${TEST_DIGITS - offset}`, String(images), `there are ${TEST_DIGITS} test digits; lower --offset or --images`),
    ]);
  }
  const random = opts.randomInputs !== undefined ? integerOption('run', '--random-inputs', opts.randomInputs, 1, MAX_RANDOM_INPUTS) : null;
  const seed = integerOption('run', '--seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const batch = opts.batch !== undefined ? integerOption('run', '--batch', opts.batch, 1, MAX_BATCH) : undefined;
  const config = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const energyTable: EnergyTable | undefined = opts.energyTable !== undefined ? loadEnergyTable(opts.energyTable) : undefined;
  const model = loadModelFile(opts.model);
  const digits = random !== null ? randomInputs(model, random, seed) : testImages(offset + images).slice(offset);
  return { offset: random !== null ? 0 : offset, ...(random !== null ? { seed } : {}), digits, options: { model, config, images: digits, ...(energyTable ? { energyTable } : {}), ...(batch !== undefined ? { batch, prefetch: opts.prefetch !== false } : {}) } };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The human-readable report. */
export function runReportText(r: RunReport): string {
  const rows = r.layers.map((l) => [
    l.fused ? `${l.name}+${l.fused}` : l.name,
    int(l.macs),
    int(l.cycles),
    int(l.idealCycles),
    pct(l.utilization),
    pct(l.busy.gemm / Math.max(1, l.cycles)),
    pct(l.busy.dma / Math.max(1, l.cycles)),
    int(l.dramBytes.read),
    int(l.dramBytes.written),
    (l.energyPJ / 1e6).toFixed(3),
  ]);
  const head = ['layer', 'MACs', 'cycles', 'ideal', 'util', 'GEMM busy', 'DMA busy', 'DRAM rd B', 'DRAM wr B', 'µJ (est.)'];
  const all = [head, ...rows, ['total', int(r.macs), int(r.cyclesPerImage), int(Math.ceil(r.macs / r.pes)), pct(r.utilization), '', '', int(r.dramBytes.read), int(r.dramBytes.written), (r.energyPJ / 1e6).toFixed(3)]];
  const widths = head.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  const line = (row: string[]): string => `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd();
  const last = r.offset + r.images - 1;
  const mismatch = r.firstMismatch;
  const mismatchText =
    mismatch === null
      ? ''
      : mismatch.reason === 'logits'
        ? `; first: test digit ${r.offset + mismatch.image}, output ${mismatch.output}: RTL ${mismatch.rtl}, golden ${mismatch.golden}`
        : `; first: test digit ${r.offset + mismatch.image} ended without HALT (${mismatch.reason} after ${mismatch.cycles} cycles)`;
  const cycles = r.cyclesMin === r.cyclesMax ? int(r.cyclesPerImage) : `${int(r.cyclesPerImage)} (min ${int(r.cyclesMin)}, max ${int(r.cyclesMax)})`;
  const components = Object.entries(r.energy.components)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / 1e6).toFixed(3)}`)
    .join(', ');
  return [
    `${r.model} on '${r.config}' (${r.rows}×${r.cols} PEs, ${r.clockMHz} MHz): ${r.labelled ? `${r.images} test digits ${r.offset}..${last}` : `${r.images} random inputs (seed ${r.seed ?? '?'})`}, RTL in the compiled simulator`,
    ...all.map((row, i) => (i === all.length - 1 ? [line(widths.map((w) => '-'.repeat(w))), line(row)] : [line(row)])).flat(),
    `  accuracy:            ${r.labelled ? `${pct(r.accuracy)} (${r.correct}/${r.images})` : 'none (random inputs have no labels)'}`,
    `  bit-exact vs golden: ${r.images - r.goldenMismatches}/${r.images} images${mismatchText}`,
    `  cycles/image:        ${cycles} = ${r.timeUsPerImage.toFixed(1)} µs at ${r.clockMHz} MHz`,
    `  utilisation:         ${pct(r.utilization)} overall${r.convUtilization === null ? '' : `, ${pct(r.convUtilization)} in conv layers`} (ideal = ceil(MACs/PEs); array MACs incl. padding ${int(r.arrayMacs)})`,
    `  DRAM bytes/image:    ${int(r.dramBytes.read)} read, ${int(r.dramBytes.written)} written`,
    `  energy/image:        ${(r.energyPJ / 1e6).toFixed(3)} µJ (estimate, ${r.energy.table === HOROWITZ_45NM.name ? '45 nm Horowitz table' : `table '${r.energy.table}'`}): ${components} µJ`,
    ...(r.batch
      ? [
          `  batch:               ${r.batch.size} images per run, ${r.batch.runs} run${r.batch.runs === 1 ? '' : 's'}; weights ${r.batch.residentWeights ? 'resident on chip after the first batch' : 'reloaded every batch (they do not fit the wbuf together)'}${r.batch.prefetch ? "; each batch's inputs prefetched during the previous batch" : ''}`,
          `  steady batch:        ${int(r.batch.steady.cyclesPerImage)} cycles/image, DRAM ${int(r.batch.steady.dramBytes.read)} B read + ${int(r.batch.steady.dramBytes.written)} B written per image${r.batch.steady.warm ? ' (resident weights)' : ''}; first batch ${int(r.batch.cold.cyclesPerImage)} cycles/image, ${int(r.batch.cold.dramBytes.read + r.batch.cold.dramBytes.written)} B/image`,
        ]
      : []),
    `  simulator:           ${int(r.simulator.cyclesPerSecond)} cycles/s`,
    '',
  ].join('\n');
}

/** A cli-progress bar of images on `stream`, shown once a run has lasted half a second. */
function imageProgressBar(stream: NodeJS.WriteStream, total: number): { onImage: (index: number) => void; stop: () => void } {
  const started = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    onImage: (index) => {
      if (!bar && performance.now() - started < 500) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream, format: 'run |{bar}| {value}/{total} images, ETA {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(total, index + 1);
      } else bar.update(index + 1);
    },
    stop: () => bar?.stop(),
  };
}

/** What `splitfuse run` runs; returns the exit code (0 every image bit-exact, 1 not). `run` is for library callers (faults). */
export function runCommand(opts: RunCommandOptions, io: CliIO, run: { readonly forces?: readonly Force[] } = {}): number {
  const prepared = prepareRun(opts);
  if (opts.fuse !== undefined && opts.batch !== undefined) {
    throw new DiagnosticError([msg.usage("Option '--batch' of 'splitfuse run'", 'left out with --fuse', `'${String(opts.batch)}'`, 'fused groups run one image at a time; drop --batch, or drop --fuse to run batches')]);
  }
  if (opts.fuse !== undefined) return fuseRunCommand(prepared, { ...opts, fuse: opts.fuse }, io);
  if (opts.fuseBufferBytes !== undefined) throw new DiagnosticError([msg.fuseOption("Option '--fuse-buffer-bytes'", 'given with --fuse', 'given alone', 'add --fuse auto (or a list of groups)')]);
  const bar = io.progressStream && !opts.json ? imageProgressBar(io.progressStream, prepared.digits.length) : null;
  let report: ModelReport;
  try {
    report = runModel({ ...prepared.options, ...run, ...(bar ? { onImage: bar.onImage } : {}) });
  } finally {
    bar?.stop();
  }
  const full: RunReport = { ...report, offset: prepared.offset, ...(prepared.seed !== undefined ? { seed: prepared.seed } : {}) };
  io.stdout(opts.json ? `${JSON.stringify(full, null, 2)}\n` : runReportText(full));
  return report.goldenMismatches === 0 ? 0 : 1;
}
