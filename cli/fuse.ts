// The fused-layer commands: `splitfuse run --fuse SPEC [--fuse-buffer-bytes N]` (cli/run.ts hands over here) and
// `splitfuse fuse-explore`. Thin wrappers: accel/fuse/run.ts runFused and accel/fuse/explore.ts exploreFusion do the
// work; this file validates the options (E175), shows progress and formats or writes the reports.
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../accel/config.js';
import { exploreFusion, exploreHtml, exploreText, type ExploreReport } from '../accel/fuse/explore.js';
import { fusedRunText, runFused, type FusedRunReport } from '../accel/fuse/run.js';
import { accelGeometry } from '../gen/accel/config.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { CliIO } from './main.js';
import { loadModelFile } from './model-file.js';
import { progressBar } from './progress.js';
import type { PreparedRun } from './run.js';

/** The largest --fuse-buffer-bytes (and budget of fuse-explore): 1 GiB. */
const MAX_BUFFER_BYTES = 1 << 30;

/** A byte count option (E175). */
export function bytesOption(option: string, value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_BUFFER_BYTES) throw new DiagnosticError([msg.fuseOption(`Option '${option}'`, `an integer in 1..${MAX_BUFFER_BYTES} (bytes)`, `'${value}'`, 'e.g. --fuse-buffer-bytes 65536')]);
  return n;
}

/** `splitfuse run --fuse`: both runs and the comparison; the exit code is 1 when either run differs from the golden model. */
export function fuseRunReport(prepared: PreparedRun, opts: { fuse: string; fuseBufferBytes?: string | number; json?: boolean }, io: CliIO): FusedRunReport {
  const bufferBytes = opts.fuseBufferBytes !== undefined ? bytesOption('--fuse-buffer-bytes', opts.fuseBufferBytes) : undefined;
  const { batch: _batch, ...options } = prepared.options as typeof prepared.options & { batch?: number };
  if (_batch !== undefined) throw new DiagnosticError([msg.fuseOption("Option '--batch'", 'left out with --fuse', String(_batch), 'a fused program runs one image at a time')]);
  return runFused({
    ...options,
    fuse: opts.fuse,
    ...(bufferBytes !== undefined ? { bufferBytes } : {}),
    onRun: (which) => {
      if (io.progressStream && !opts.json) io.progressStream.write(`running ${which} (${prepared.digits.length} image${prepared.digits.length === 1 ? '' : 's'})...\n`);
    },
  });
}

/** What `splitfuse run --fuse` prints; returns the exit code. */
export function fuseRunCommand(prepared: PreparedRun, opts: { fuse: string; fuseBufferBytes?: string | number; json?: boolean }, io: CliIO): number {
  const r = fuseRunReport(prepared, opts, io);
  const { plan, ringAddressing, fused, layerByLayer } = r;
  io.stdout(opts.json ? `${JSON.stringify({ plan, ringAddressing, fused, layerByLayer }, null, 2)}\n` : fusedRunText(r));
  return fused.goldenMismatches === 0 && layerByLayer.goldenMismatches === 0 ? 0 : 1;
}

export interface FuseExploreOptions {
  readonly model: string;
  readonly config?: string;
  readonly set?: readonly string[];
  /** Comma-separated byte budgets (default: powers of two from 1 KiB). */
  readonly budgets?: string;
  /** false (--no-machine-limits): groups need not fit the accelerator's buffers. */
  readonly machineLimits?: boolean;
  readonly reportHtml?: string;
  readonly json?: boolean;
}

/** `splitfuse fuse-explore` as a library call (tests call this). */
export function fuseExploreReport(opts: FuseExploreOptions, io: CliIO): ExploreReport {
  const budgets = opts.budgets?.split(',').map((b) => bytesOption('--budgets', b));
  if (opts.reportHtml !== undefined) {
    const dir = path.dirname(path.resolve(opts.reportHtml));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DiagnosticError([msg.fuseOption("Option '--report-html'", 'a file in an existing directory', `'${opts.reportHtml}'`, 'create the directory first')]);
  }
  const config = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const model = loadModelFile(opts.model);
  const geometry = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  const bar = progressBar(opts.json ? undefined : io.progressStream, 'fuse-explore');
  let report: ExploreReport;
  try {
    report = exploreFusion({ model, geometry, configName: config.name, ...(budgets ? { budgets } : {}), machine: opts.machineLimits ?? true, onProgress: (d, t) => bar.update(d, t, 'budgets') });
  } finally {
    bar.stop();
  }
  if (opts.reportHtml !== undefined) {
    const command = `splitfuse fuse-explore --model ${opts.model} --config ${config.name}${budgets ? ` --budgets ${budgets.join(',')}` : ''}${opts.machineLimits === false ? ' --no-machine-limits' : ''}`;
    fs.writeFileSync(opts.reportHtml, exploreHtml(report, command));
  }
  return report;
}

export function fuseExploreCommand(opts: FuseExploreOptions, io: CliIO): number {
  const report = fuseExploreReport(opts, io);
  io.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : exploreText(report));
  if (opts.reportHtml !== undefined && !opts.json) io.stdout(`  wrote ${opts.reportHtml}\n`);
  return 0;
}
