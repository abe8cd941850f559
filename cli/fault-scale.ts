// `splitfuse fault merge | slurm-script | k8s-job`: campaigns past one machine (docs/scale.md). Thin
// wrappers over accel/fault/merge.ts and accel/fault/cluster.ts; the job files are generated only after
// the campaign flags were checked exactly as a campaign checks them (model, configuration, counts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { k8sJobYaml, slurmScript } from '../accel/fault/cluster.js';
import { mergeShards, type MergeResult } from '../accel/fault/merge.js';
import { MAX_SHARDS } from '../accel/fault/shard.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { campaignArgs, campaignText, prepareFault, type FaultCommandOptions } from './fault.js';
import type { CliIO } from './main.js';
import { integerOption } from './sim.js';

export interface MergeCommandOptions {
  readonly partial?: boolean;
  readonly json?: boolean;
}

/** The text of a merge: the files, what is missing, then the campaign summary. */
export function mergeText(m: MergeResult): string {
  return [
    `merged ${m.files.length} shard file${m.files.length === 1 ? '' : 's'} of ${m.shards} shards in ${m.dir}: ${m.injections.toLocaleString('en-US')} of ${m.samples.toLocaleString('en-US')} injections${m.duplicates ? `, ${m.duplicates} duplicate lines dropped` : ''}`,
    ...(m.complete ? [] : [`  INCOMPLETE: ${m.missing.toLocaleString('en-US')} injections missing (first: ${m.missingIndices.slice(0, 10).join(', ')}); rerun shards ${m.rerunShards.join(',')}`]),
    campaignText(m.summary),
  ].join('\n');
}

export function mergeCommand(dir: string, opts: MergeCommandOptions, io: CliIO): number {
  const m = mergeShards({ dir, ...(opts.partial ? { partial: true } : {}) });
  io.stdout(opts.json ? `${JSON.stringify(m, null, 2)}\n` : mergeText(m));
  return 0;
}

export interface ClusterCommandOptions extends FaultCommandOptions {
  readonly jobName?: string;
  /** How the job starts splitfuse, as one shell-like string of words. */
  readonly splitfuse?: string;
  readonly cpusPerTask?: string | number;
  // slurm-script
  readonly time?: string;
  readonly partition?: string;
  readonly maxRunning?: string | number;
  // k8s-job
  readonly image?: string;
  readonly parallelism?: string | number;
  readonly backoffLimitPerIndex?: string | number;
  readonly claim?: string;
  readonly mountPath?: string;
}

const usage = (command: string, option: string, expected: string, found: string, hint: string): DiagnosticError =>
  new DiagnosticError([msg.usage(`Option '${option}' of 'splitfuse fault ${command}'`, expected, found, hint)]);

const NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;

/** Check the campaign flags as a campaign would, and the job-file options shared by both generators. */
function prepareCluster(command: string, opts: ClusterCommandOptions): { shards: number; cpus: number; jobName: string; campaign: string[] } {
  if (opts.shards === undefined) throw usage(command, '--shards', `an integer in 1..${MAX_SHARDS}`, 'left out', 'the number of array tasks, e.g. --shards 16');
  const shards = integerOption(`fault ${command}`, '--shards', opts.shards, 1, MAX_SHARDS);
  for (const [flag, given] of [['--shard', opts.shard], ['--resume', opts.resume], ['--report-md', opts.reportMd], ['--report-html', opts.reportHtml], ['--sweep', opts.sweep], ['--ber', opts.ber]] as const) {
    if (given !== undefined) throw usage(command, flag, 'left out', `'${String(given)}'`, 'each task runs one shard into --out DIR/; reports come from splitfuse fault merge DIR');
  }
  const cpus = opts.cpusPerTask === undefined ? 1 : integerOption(`fault ${command}`, '--cpus-per-task', opts.cpusPerTask, 1, 256);
  const jobName = opts.jobName ?? 'splitfuse-fault';
  if (!NAME.test(jobName)) throw usage(command, '--job-name', 'lower-case letters, digits and dashes (at most 52)', `'${jobName}'`, 'e.g. --job-name lenet-seu');
  // The whole campaign as shard 0 of N: the same checks (and E1xx) as the tasks will meet.
  prepareFault({ ...opts, shard: `0/${shards}`, shards: undefined, out: opts.out ?? 'results/', env: {} });
  return { shards, cpus, jobName, campaign: campaignArgs(opts) };
}

const words = (text: string): string[] => text.trim().split(/\s+/).filter((w) => w !== '');

/** `splitfuse fault slurm-script ... > campaign.sbatch`. */
export function slurmScriptCommand(opts: ClusterCommandOptions, io: CliIO): number {
  if (opts.out === undefined) throw usage('slurm-script', '--out', 'the shared results directory', 'left out', 'e.g. --out results/ on a file system every node mounts');
  const { shards, cpus, jobName, campaign } = prepareCluster('slurm-script', opts);
  if (opts.time !== undefined && !/^(\d+-)?\d+(:\d\d){0,2}$/.test(opts.time)) throw usage('slurm-script', '--time', 'a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS)', `'${opts.time}'`, 'e.g. --time 02:00:00');
  const maxRunning = opts.maxRunning === undefined ? undefined : integerOption('fault slurm-script', '--max-running', opts.maxRunning, 1, MAX_SHARDS);
  // Nodes of an HPC cluster share the file system: paths are made absolute, and the default command is this installation.
  const bin = fileURLToPath(new URL('../bin/splitfuse.js', import.meta.url));
  const absolute = campaign.map((w, k) => (k > 0 && (campaign[k - 1] === '--model' || (campaign[k - 1] === '--config' && /[/.]/.test(w))) ? path.resolve(w) : w));
  io.stdout(
    slurmScript({
      splitfuse: opts.splitfuse !== undefined ? words(opts.splitfuse) : [process.execPath, bin],
      campaign: absolute,
      shards,
      dir: path.resolve(opts.out),
      jobName,
      cpusPerTask: cpus,
      ...(opts.time !== undefined ? { time: opts.time } : {}),
      ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
      ...(maxRunning !== undefined ? { maxRunning } : {}),
    }),
  );
  return 0;
}

/** `splitfuse fault k8s-job ... > job.yaml`. */
export function k8sJobCommand(opts: ClusterCommandOptions, io: CliIO): number {
  if (opts.image === undefined) throw usage('k8s-job', '--image', 'the container image with splitfuse', 'left out', 'e.g. --image ghcr.io/you/splitfuse:0.1.0 (docker/ has a Dockerfile)');
  const { shards, cpus, jobName, campaign } = prepareCluster('k8s-job', opts);
  const parallelism = opts.parallelism === undefined ? Math.min(shards, 16) : integerOption('fault k8s-job', '--parallelism', opts.parallelism, 1, MAX_SHARDS);
  const backoffLimitPerIndex = opts.backoffLimitPerIndex === undefined ? 3 : integerOption('fault k8s-job', '--backoff-limit-per-index', opts.backoffLimitPerIndex, 0, 1000);
  const claim = opts.claim ?? `${jobName}-results`;
  if (!NAME.test(claim)) throw usage('k8s-job', '--claim', 'a PersistentVolumeClaim name (lower-case letters, digits, dashes)', `'${claim}'`, 'e.g. --claim fault-results');
  const mountPath = opts.mountPath ?? '/results';
  if (!mountPath.startsWith('/')) throw usage('k8s-job', '--mount-path', 'an absolute path in the container', `'${mountPath}'`, 'e.g. --mount-path /results');
  io.stdout(k8sJobYaml({ image: opts.image, splitfuse: opts.splitfuse !== undefined ? words(opts.splitfuse) : ['splitfuse'], campaign, shards, parallelism, backoffLimitPerIndex, jobName, claim, mountPath, cpusPerTask: cpus }));
  return 0;
}
