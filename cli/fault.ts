// `splitfuse fault`: a statistical fault-injection campaign (accel/fault/campaign.ts) or, with --sweep /
// --ber, a permanent-fault sweep (accel/fault/sweep.ts) of a quantized model on the accelerator RTL.
// This file validates the flags (E102 numbers, E156/E158 campaign and sweep options), shows a progress
// bar with ETA on a terminal, prints the summary (text or --json) and writes the reports.
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../accel/config.js';
import { runCampaign, type CampaignSummary } from '../accel/fault/campaign.js';
import { campaignMarkdown, reportHtml, sweepMarkdown } from '../accel/fault/report.js';
import { runSweep, type SweepSummary } from '../accel/fault/sweep.js';
import { defaultWorkerCount } from '../accel/fault/pool.js';
import { resolveShard, shardFile } from '../accel/fault/shard.js';
import { FAULT_MODELS, OUTCOMES, type FaultModel } from '../accel/fault/types.js';
import { modelInputs } from '../accel/export.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { CliIO } from './main.js';
import { progressBar } from './progress.js';
import { TEST_DIGITS } from './run.js';
import { integerOption } from './sim.js';
import { loadModelFile } from './model-file.js';

/** The options as commander hands them over (strings), or numbers from a library caller. */
export interface FaultCommandOptions {
  readonly model?: string;
  readonly config?: string;
  readonly set?: readonly string[];
  readonly sites?: string;
  readonly fault?: string;
  readonly samples?: string | number;
  readonly margin?: string | number;
  readonly confidence?: string | number;
  readonly images?: string | number;
  readonly seed?: string | number;
  readonly bitsPerUpset?: string | number;
  readonly workers?: string | number;
  readonly out?: string;
  readonly resume?: string;
  readonly reportMd?: string;
  readonly reportHtml?: string;
  /** Comma-separated fault counts: sweep mode. */
  readonly sweep?: string;
  /** Comma-separated bit error rates: sweep mode. */
  readonly ber?: string;
  readonly seeds?: string | number;
  readonly snapshotInterval?: string | number;
  /** commander's --no-early-exit gives earlyExit: false. */
  readonly earlyExit?: boolean;
  /** Shard i/N of the campaign (accel/fault/shard.ts); --out is then a directory. */
  readonly shard?: string;
  /** The shard count when the index comes from the scheduler's environment. */
  readonly shards?: string | number;
  /** Replace existing report files (never the results file, the model or the configuration). */
  readonly force?: boolean;
  readonly json?: boolean;
  /** The environment shards are read from (default process.env; tests pass their own). */
  readonly env?: NodeJS.ProcessEnv;
}

const usage = (option: string, expected: string, found: string, hint: string): DiagnosticError =>
  new DiagnosticError([msg.usage(`Option '${option}' of 'splitfuse fault'`, expected, found, hint)]);

/** A fraction option in (0, 1). */
function fractionOption(option: string, value: string | number): number {
  const n = typeof value === 'number' ? value : /^\s*\d*\.?\d+(e-?\d+)?\s*$/i.test(value) ? Number(value) : Number.NaN;
  if (n > 0 && n < 1) return n;
  throw usage(option, 'a number in (0, 1)', typeof value === 'number' ? String(value) : `'${value}'`, `e.g. ${option} ${option === '--margin' ? '0.05' : '0.95'}`);
}

/** A comma-separated list of numbers accepted by `ok`. */
function listOption(option: string, text: string, ok: (n: number) => boolean, expected: string, example: string): number[] {
  const items = text.split(',').map((t) => t.trim());
  const values = items.map((t) => (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : Number.NaN));
  const bad = values.findIndex((v) => !ok(v));
  if (bad >= 0 || items.length === 0) throw usage(option, `a comma-separated list of ${expected}`, `'${text}'`, `e.g. ${option} ${example}`);
  return values;
}

/** The parsed command: a campaign or a sweep, with everything the library needs. */
export type FaultRun =
  | { readonly mode: 'campaign'; readonly options: Parameters<typeof runCampaign>[0] }
  | { readonly mode: 'sweep'; readonly options: Parameters<typeof runSweep>[0] };

/** Validate the flags and load model, configuration and images. */
export function prepareFault(opts: FaultCommandOptions): FaultRun {
  for (const [flag, given] of [['--model', opts.model], ['--sites', opts.sites], ['--fault', opts.fault]] as const) {
    if (given === undefined) throw usage(flag, 'given', 'left out', "e.g. splitfuse fault --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].acc' --fault seu --samples 200");
  }
  if (!(FAULT_MODELS as readonly string[]).includes(opts.fault!)) throw usage('--fault', `one of ${FAULT_MODELS.join(', ')}`, `'${opts.fault}'`, 'seu is a transient bit flip, stuck0/stuck1 a permanent stuck-at bit');
  const fault = opts.fault as FaultModel;
  const images = integerOption('fault', '--images', opts.images ?? 10, 1, TEST_DIGITS);
  const seed = integerOption('fault', '--seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const workers = opts.workers === undefined ? undefined : integerOption('fault', '--workers', opts.workers, 1, 256);
  const config = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const model = loadModelFile(opts.model!);
  const digits = modelInputs(model, images); // MNIST digits, or seeded random inputs for other input shapes
  const common = { model, config, images: digits, sites: opts.sites!, seed, ...(workers !== undefined ? { workers } : {}) };
  if (opts.sweep !== undefined || opts.ber !== undefined) {
    for (const [flag, given] of [['--samples', opts.samples], ['--resume', opts.resume], ['--out', opts.out], ['--bits-per-upset', opts.bitsPerUpset], ['--shard', opts.shard], ['--shards', opts.shards]] as const) {
      if (given !== undefined) throw new DiagnosticError([msg.sweepOption(flag.slice(2), 'left out in a sweep', `'${String(given)}'`, 'a sweep runs every point to the end; leave out --sweep/--ber for a campaign')]);
    }
    if (fault === 'seu') throw new DiagnosticError([msg.sweepOption('fault', 'stuck0 or stuck1', "'seu'", 'a sweep places permanent faults; run a campaign for SEUs')]);
    const counts = opts.sweep === undefined ? [] : listOption('--sweep', opts.sweep, (n) => Number.isSafeInteger(n) && n >= 0, 'fault counts (integers >= 0)', '0,1,4,16,64');
    const bitErrorRates = opts.ber === undefined ? [] : listOption('--ber', opts.ber, (n) => n >= 0 && n <= 1, 'bit error rates in [0, 1]', '1e-5,1e-4,1e-3');
    const seeds = integerOption('fault', '--seeds', opts.seeds ?? 3, 1, 10_000);
    return { mode: 'sweep', options: { ...common, fault, counts, bitErrorRates, seeds } };
  }
  const samples = opts.samples === undefined ? undefined : integerOption('fault', '--samples', opts.samples, 1, 2 ** 32);
  const margin = opts.margin === undefined ? undefined : fractionOption('--margin', opts.margin);
  const confidence = opts.confidence === undefined ? undefined : fractionOption('--confidence', opts.confidence);
  if (samples !== undefined && (margin !== undefined || confidence !== undefined)) {
    throw usage('--samples', 'left out with --margin/--confidence', String(samples), 'give either an explicit count or a margin and confidence (Leveugle et al.)');
  }
  const bitsPerUpset = opts.bitsPerUpset === undefined ? undefined : integerOption('fault', '--bits-per-upset', opts.bitsPerUpset, 1, 64);
  const snapshotInterval = opts.snapshotInterval === undefined ? undefined : integerOption('fault', '--snapshot-interval', opts.snapshotInterval, 0, 1_000_000_000);
  const shard = resolveShard({ ...(opts.shard !== undefined ? { shard: opts.shard } : {}), ...(opts.shards !== undefined ? { shards: opts.shards } : {}), ...(opts.env ? { env: opts.env } : {}) });
  if (shard) {
    if (opts.resume !== undefined) throw usage('--resume', `left out for shard ${shard.index}/${shard.count}`, `'${opts.resume}'`, 'a shard resumes DIR/shard-<i>-of-<N>.jsonl of its --out DIR/ by itself');
    if (opts.out === undefined) throw usage('--out', `a results directory for shard ${shard.index}/${shard.count}`, 'left out', 'e.g. --out results/ (shared by every shard; merge it with splitfuse fault merge results/)');
  }
  return {
    mode: 'campaign',
    options: {
      ...common,
      modelName: opts.model,
      fault,
      ...(samples !== undefined ? { samples } : {}),
      ...(margin !== undefined ? { margin } : {}),
      ...(confidence !== undefined ? { confidence } : {}),
      ...(bitsPerUpset !== undefined ? { bitsPerUpset } : {}),
      ...(snapshotInterval !== undefined ? { snapshotInterval } : {}),
      ...(opts.earlyExit === false ? { earlyExit: false } : {}),
      ...(shard ? { shard, shardDir: opts.out! } : opts.out !== undefined ? { out: opts.out } : {}),
      ...(opts.resume !== undefined ? { resume: opts.resume } : {}),
    },
  };
}

/** The real path of `file` when it exists, else its absolute path (so two spellings of one file compare equal). */
function canonical(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(path.resolve(file))), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  }
}

/**
 * Every output path checked before the first injection: a report never replaces the results file, the
 * model, the configuration or the other report (E185), replaces an existing file only with --force
 * (E185), and its directory must exist and be writable (E104); the results file's directory too.
 */
export function checkFaultOutputs(opts: FaultCommandOptions, run: FaultRun): void {
  const inputs: [string, string][] = [[opts.model!, 'the model'], ...(opts.config !== undefined && fs.existsSync(opts.config) ? [[opts.config, 'the configuration file'] as [string, string]] : [])];
  const results = run.mode === 'campaign' ? (run.options.shardDir !== undefined ? shardFile(run.options.shardDir, run.options.shard!) : (run.options.resume ?? run.options.out)) : undefined;
  if (results !== undefined) inputs.push([results, 'the results file']);
  const writable = (what: string, file: string): void => {
    const dir = path.dirname(path.resolve(file));
    try {
      if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (err) {
      throw new DiagnosticError([msg.unwritableFile(what, file, (err as NodeJS.ErrnoException).code ?? 'error')]);
    }
  };
  if (run.mode === 'campaign' && run.options.out !== undefined && run.options.shardDir === undefined) writable('Results file', run.options.out);
  const reports = [['Markdown report', opts.reportMd], ['HTML report', opts.reportHtml]] as const;
  const seen: [string, string][] = [];
  for (const [what, file] of reports) {
    if (file === undefined) continue;
    if (file === '') throw new DiagnosticError([msg.unwritableFile(what, file, 'ENOENT')]);
    const real = canonical(file);
    const clash = [...inputs, ...seen].find(([other]) => canonical(other) === real);
    if (clash) throw new DiagnosticError([msg.outputClash(what, file, `a file of its own`, `${clash[1]} '${clash[0]}'`, 'choose another path: a report never replaces an input or the results')]);
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(file);
    } catch {
      stat = null;
    }
    if (stat?.isDirectory()) throw new DiagnosticError([msg.outputClash(what, file, 'a file', 'a directory', 'give a file name, e.g. report.md')]);
    if (stat && !opts.force) throw new DiagnosticError([msg.outputClash(what, file, 'a new file', 'an existing file', 'choose another path, or add --force to replace it')]);
    writable(what, file);
    seen.push([file, `the ${what}`]);
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The human-readable summary of a campaign. */
export function campaignText(s: CampaignSummary): string {
  const p = s.params;
  const width = Math.max(...s.groups.map((g) => g.group.length), 5);
  return [
    `fault campaign: ${p.fault}${p.bitsPerUpset > 1 ? ` ×${p.bitsPerUpset} bits` : ''} in '${p.sites}', ${p.images} images, seed ${p.seed}`,
    `  injections:    ${s.injections} of a population of ${p.population.toLocaleString('en-US')} (margin ±${pct(s.achievedMargin)} at p = 0.5)`,
    ...OUTCOMES.map((o) => `  ${`${o}:`.padEnd(14)} ${String(s.outcomes[o]).padStart(6)}  ${pct(s.rates[o].rate).padStart(7)}  95% CI [${pct(s.rates[o].ci95[0])}, ${pct(s.rates[o].ci95[1])}]`),
    `  accuracy:      ${pct(s.accuracy)} under faults, ${pct(s.goldenAccuracy)} fault-free`,
    `  per group:`,
    ...s.groups.map((g) => `    ${g.group.padEnd(width)}  ${String(g.injections).padStart(6)} injections, critical ${pct(g.criticalRate)} [${pct(g.ci95[0])}, ${pct(g.ci95[1])}]`),
    `  speed:         ${s.injectionsPerSecond.toFixed(2)} injections/s on ${s.workers} worker${s.workers === 1 ? '' : 's'} (${s.ran} run, ${s.resumed} resumed; setup ${s.setupSeconds.toFixed(1)} s)`,
    ...(s.resultsFile ? [`  results:       ${s.resultsFile}`] : []),
    '',
  ].join('\n');
}

/** The human-readable summary of a sweep. */
export function sweepText(s: SweepSummary): string {
  return [
    `stuck-at sweep: ${s.fault} in '${s.sites}' (${s.bits.toLocaleString('en-US')} bits), ${s.images} images, ${s.seeds} seeds from ${s.seed}`,
    '  faults        BER    mean accuracy  std.dev    min     max',
    ...s.points.map((p) => `  ${String(p.faults).padStart(6)}  ${p.bitErrorRate.toExponential(2).padStart(9)}  ${pct(p.mean).padStart(12)}  ${pct(p.stddev).padStart(7)}  ${pct(p.min).padStart(7)}  ${pct(p.max).padStart(7)}`),
    `  ${s.seconds.toFixed(1)} s on ${s.workers} worker${s.workers === 1 ? '' : 's'}`,
    '',
  ].join('\n');
}

/** Write a report through a temporary file and a rename: a failed write leaves no partial report. */
function writeReport(what: string, file: string, text: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, text, { flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new DiagnosticError([msg.unwritableFile(what, file, (err as NodeJS.ErrnoException).code ?? 'error')]);
  }
}

const FLAGS: readonly (readonly [keyof FaultCommandOptions, string])[] = [
  ['model', '--model'], ['config', '--config'], ['sites', '--sites'], ['fault', '--fault'], ['samples', '--samples'], ['margin', '--margin'],
  ['confidence', '--confidence'], ['bitsPerUpset', '--bits-per-upset'], ['images', '--images'], ['seed', '--seed'], ['sweep', '--sweep'],
  ['ber', '--ber'], ['seeds', '--seeds'], ['snapshotInterval', '--snapshot-interval'], ['workers', '--workers'], ['shard', '--shard'], ['shards', '--shards'], ['out', '--out'], ['resume', '--resume'],
];

/** The flags that define a campaign (not where it runs: no --workers, --shard(s), --out, --resume, reports), as words. */
export function campaignArgs(opts: FaultCommandOptions): string[] {
  const args: string[] = [];
  for (const [key, flag] of FLAGS) {
    if (['workers', 'shard', 'shards', 'out', 'resume', 'seeds', 'sweep', 'ber'].includes(key) || opts[key] === undefined) continue;
    args.push(flag, String(opts[key]));
  }
  for (const s of opts.set ?? []) args.push('--set', s);
  if (opts.earlyExit === false) args.push('--no-early-exit');
  return args;
}

/** The command line that reruns these options (shown in reports). */
export function faultCommandLine(opts: FaultCommandOptions): string {
  const quote = (v: string): string => (/^[\w./:,=+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const parts = ['npx splitfuse fault'];
  const sweep = opts.sweep !== undefined || opts.ber !== undefined;
  for (const [key, flag] of FLAGS) if (opts[key] !== undefined && (key !== 'seeds' || sweep)) parts.push(`${flag} ${quote(String(opts[key]))}`);
  for (const s of opts.set ?? []) parts.push(`--set ${quote(s)}`);
  if (opts.earlyExit === false) parts.push('--no-early-exit');
  return parts.join(' ');
}

/** What `splitfuse fault` runs; returns the exit code (0). */
export async function faultCommand(opts: FaultCommandOptions, io: CliIO): Promise<number> {
  const run = prepareFault(opts);
  checkFaultOutputs(opts, run);
  const cores = defaultWorkerCount();
  if (run.options.workers !== undefined && run.options.workers > cores) {
    io.stderr(`warning: --workers ${run.options.workers} is more than the ${cores} cores of this machine: the workers share them and each holds its own simulator and golden runs; --workers ${cores} is as fast with less memory\n`);
  }
  // A bar on a terminal; without one (batch jobs, CI, pipes) a line on stderr every 30 s with an estimate.
  const bar = progressBar(io.progressStream, run.mode === 'campaign' ? `fault${run.options.shard ? ` shard ${run.options.shard.index}/${run.options.shard.count}` : ''}` : 'sweep', io.stderr);
  const onProgress = (done: number, total: number): void => bar.update(done, total, run.mode === 'campaign' ? 'injections' : 'points');
  const command = faultCommandLine(opts);
  let campaign: CampaignSummary | undefined;
  let sweep: SweepSummary | undefined;
  try {
    if (run.mode === 'campaign') campaign = await runCampaign({ ...run.options, onProgress });
    else sweep = await runSweep({ ...run.options, onProgress });
  } finally {
    bar.stop();
  }
  if (opts.reportMd) writeReport('Markdown report', opts.reportMd, campaign ? campaignMarkdown(campaign, { command }) : sweepMarkdown(sweep!, { command }));
  if (opts.reportHtml) writeReport('HTML report', opts.reportHtml, reportHtml({ ...(campaign ? { campaign } : { sweep: sweep! }), command }));
  const summary = campaign ?? sweep!;
  io.stdout(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : campaign ? campaignText(campaign) : sweepText(sweep!));
  return 0;
}
