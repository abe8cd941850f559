// `splitfuse nvf`: the Neuron Vulnerability Factor of every output channel of every conv2d/fc layer
// (accel/protect/nvf.ts computeNvf) over MNIST test digits, with a ranking, and optionally the check of one
// layer's ranking against single-bit accumulator flips injected into the RTL (accel/protect/neuron-faults.ts
// validateNvfOnRtl). This file validates the options, shows a progress bar and formats the report.
import { resolveConfig } from '../accel/config.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';
import { validateNvfOnRtl, type NvfValidation } from '../accel/protect/neuron-faults.js';
import { computeNvf, DEFAULT_PIXELS_PER_CHANNEL, type NvfReport } from '../accel/protect/nvf.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { CliIO } from './main.js';
import { TEST_DIGITS } from './run.js';
import { progressBar } from './progress.js';
import { integerOption } from './sim.js';

/** The options as commander hands them over (strings), or numbers from a library caller. */
export interface NvfCommandOptions {
  readonly model: string;
  /** Default 100. */
  readonly images?: string | number;
  readonly offset?: string | number;
  readonly seed?: string | number;
  /** Pixels per conv channel and image; default 16. */
  readonly pixels?: string | number;
  /** Comma-separated layer names; default every conv2d/fc layer. */
  readonly layers?: string;
  /** Ranking lines printed (the JSON has all); default 20. */
  readonly top?: string | number;
  /** Check this layer's ranking on the RTL. */
  readonly validateLayer?: string;
  /** Flips per channel of the validation; default 50. */
  readonly validateSamples?: string | number;
  /** Accelerator of the validation (and its accumulator width); default 'default'. */
  readonly config?: string;
  readonly set?: readonly string[];
  readonly json?: boolean;
}

/** What `splitfuse nvf --json` prints. */
export interface NvfCommandReport {
  readonly offset: number;
  readonly nvf: NvfReport;
  readonly validation: NvfValidation | null;
  /** Wall-clock seconds of the NVF analysis and of the RTL validation (informational). */
  readonly seconds: { readonly nvf: number; readonly validation: number | null };
}

/** Validate the options, run the analysis (and the validation); the library calls are what tests exercise. */
export function nvfReport(opts: NvfCommandOptions, progress?: NodeJS.WriteStream): NvfCommandReport {
  const images = integerOption('nvf', '--images', opts.images ?? 100, 1, TEST_DIGITS);
  const offset = integerOption('nvf', '--offset', opts.offset ?? 0, 0, TEST_DIGITS - 1);
  if (offset + images > TEST_DIGITS) {
    throw new DiagnosticError([msg.usage(`Option '--images' of 'splitfuse nvf' with --offset ${offset}`, `an integer in 1..${TEST_DIGITS - offset}`, String(images), `there are ${TEST_DIGITS} test digits; lower --offset or --images`)]);
  }
  const seed = integerOption('nvf', '--seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const pixels = integerOption('nvf', '--pixels', opts.pixels ?? DEFAULT_PIXELS_PER_CHANNEL, 1, 1 << 20);
  const validating = opts.validateLayer !== undefined;
  if (!validating && opts.validateSamples !== undefined) {
    throw new DiagnosticError([msg.nvfOption("Option '--validate-samples' of 'splitfuse nvf'", 'given with --validate-layer', 'given alone', 'add --validate-layer fc2 (the layer whose ranking is checked on the RTL)')]);
  }
  const samples = validating ? integerOption('nvf', '--validate-samples', opts.validateSamples ?? 50, 1, 100_000) : 0;
  const config = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const model = readModelFile(opts.model);
  const layers = opts.layers?.split(',').map((s) => s.trim());
  const digits = testImages(offset + images).slice(offset);
  const bar = progressBar(progress, 'nvf');
  let started = performance.now();
  let nvf: NvfReport;
  try {
    nvf = computeNvf(model, digits, { seed, pixelsPerChannel: pixels, accWidth: config.accWidth, ...(layers ? { layers } : {}), onProgress: bar.update });
  } finally {
    bar.stop();
  }
  const nvfSeconds = (performance.now() - started) / 1000;
  let validation: NvfValidation | null = null;
  let validationSeconds: number | null = null;
  if (validating) {
    const vbar = progressBar(progress, `RTL flips in ${opts.validateLayer}`);
    started = performance.now();
    try {
      validation = validateNvfOnRtl(model, config, digits, nvf, { layer: opts.validateLayer!, samplesPerChannel: samples, seed, onProgress: vbar.update });
    } finally {
      vbar.stop();
    }
    validationSeconds = (performance.now() - started) / 1000;
  }
  return { offset, nvf, validation, seconds: { nvf: nvfSeconds, validation: validationSeconds } };
}

const f4 = (x: number): string => x.toFixed(4);

/** The human-readable report: per layer every channel's NVF, the ranking's head, the validation. */
export function nvfReportText(r: NvfCommandReport, top = 20): string {
  const { nvf } = r;
  const lines: string[] = [
    `Neuron Vulnerability Factor of ${nvf.model} over ${nvf.images} test digits ${r.offset}..${r.offset + nvf.images - 1} (${nvf.accWidth}-bit accumulators, single-bit flips; seed ${nvf.seed})`,
  ];
  for (const l of nvf.layers) {
    const sampling = l.kind === 'fc' ? 'every neuron of every digit' : `${l.sampled} of ${l.pixels} pixels per channel and digit`;
    const mean = l.channels.reduce((s, c) => s + c.nvf, 0) / l.channels.length;
    const worst = l.channels.reduce((a, b) => (b.nvf > a.nvf ? b : a));
    lines.push(`  ${l.name} (${l.kind}, ${l.channels.length} channels, ${sampling}, ${l.channels[0]!.samples} samples per channel): mean NVF ${f4(mean)}, max ${f4(worst.nvf)} (channel ${worst.channel})`);
    for (let c = 0; c < l.channels.length; c += 8) {
      lines.push(`    ${l.channels.slice(c, c + 8).map((ch) => `${String(ch.channel).padStart(3)}: ${f4(ch.nvf)}`).join('  ')}`);
    }
  }
  const shown = nvf.ranking.slice(0, top);
  lines.push(`  Ranking, most vulnerable first (${shown.length} of ${nvf.ranking.length}; --json lists all):`);
  lines.push('    rank  layer  channel  NVF     exact');
  shown.forEach((c, i) => lines.push(`    ${String(i + 1).padStart(4)}  ${c.layer.padEnd(5)}  ${String(c.channel).padStart(7)}  ${f4(c.nvf)}  ${f4(c.exactNvf)}`));
  lines.push(`  ${nvf.neurons.toLocaleString('en-US')} neurons, ${nvf.evaluations.toLocaleString('en-US')} downstream evaluations in ${r.seconds.nvf.toFixed(1)} s`);
  const v = r.validation;
  if (v) {
    lines.push(
      `  RTL check of ${v.layer} on '${v.config}': ${v.samplesPerChannel} random single-bit accumulator flips per channel (${v.injections} injections into buf.acc.mem, seed ${v.seed}) in ${r.seconds.validation!.toFixed(1)} s`,
    );
    const critical = v.channels.reduce((s, c) => s + c.critical, 0);
    lines.push(`    critical: ${critical}/${v.injections} (${((100 * critical) / v.injections).toFixed(1)}%); Spearman's rank correlation of NVF and the RTL critical rate over ${v.channels.length} channels: rho = ${v.spearman.toFixed(3)}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** What `splitfuse nvf` runs. */
export function nvfCommand(opts: NvfCommandOptions, io: CliIO): void {
  const top = integerOption('nvf', '--top', opts.top ?? 20, 1, 1 << 20);
  const report = nvfReport(opts, opts.json ? undefined : io.progressStream);
  io.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : nvfReportText(report, top));
}
