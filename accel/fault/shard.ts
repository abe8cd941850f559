// Shards: one campaign spread over N processes (job-array tasks of Slurm, LSF, SGE, AWS Batch, or
// Kubernetes Indexed Jobs) that share nothing but the flags and a results directory.
//
// Assignment rule: injection k (0-based, k < samples) belongs to shard k mod N. Shards are numbered
// 0..N-1. Interleaving rather than contiguous ranges keeps the shards equally long even when the sample
// size is only known after set-up (--margin), and a shard never depends on the sample size to know its
// injections. Since injection k is a pure function of (seed, k) (accel/fault/campaign.ts), the union
// of the shards' results is exactly the one-machine campaign with the same flags.
//
// Shard i of N writes DIR/shard-<i>-of-<N>.jsonl and resumes from it when it exists (a task that was
// killed or requeued simply runs again). When --shard is not given, the scheduler's environment decides:
//   SLURM_ARRAY_TASK_ID (0-based: submit --array=0-(N-1)), with N = --shards or SLURM_ARRAY_TASK_COUNT
//   JOB_COMPLETION_INDEX (Kubernetes Indexed Job, 0-based), N = --shards (required)
//   AWS_BATCH_JOB_ARRAY_INDEX (0-based), N = --shards (required)
//   LSB_JOBINDEX (LSF, 1-based), N = --shards or LSB_JOBINDEX_END
//   SGE_TASK_ID (SGE/UGE, 1-based), N = --shards or SGE_TASK_LAST
import fs from 'node:fs';
import path from 'node:path';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';

/** Shard `index` (0-based) of `count`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** The largest shard count (job arrays of this size are already beyond most clusters' MaxArraySize). */
export const MAX_SHARDS = 1_000_000;

/** Whether injection k belongs to the shard. */
export const inShard = (shard: ShardSpec, k: number): boolean => k % shard.count === shard.index;

/** The number of injections of `samples` that shard i of N runs. */
export const shardSize = (shard: ShardSpec, samples: number): number =>
  samples <= shard.index ? 0 : Math.floor((samples - 1 - shard.index) / shard.count) + 1;

/** The results file of a shard in its directory. */
export const shardFileName = (shard: ShardSpec): string => `shard-${shard.index}-of-${shard.count}.jsonl`;
export const shardFile = (dir: string, shard: ShardSpec): string => path.join(dir, shardFileName(shard));

const bad = (what: string, expected: string, found: string, hint: string): DiagnosticError => new DiagnosticError([msg.shardOption(what, expected, found, hint)]);

const INTEGER = /^\s*\d+\s*$/;

function countFrom(what: string, value: string | number): number {
  const n = typeof value === 'number' ? value : INTEGER.test(value) ? Number(value) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= 1 && n <= MAX_SHARDS) return n;
  throw bad(what, `an integer in 1..${MAX_SHARDS}`, typeof value === 'number' ? String(value) : `'${value}'`, 'the number of shards (job-array tasks) of the campaign, e.g. --shards 4');
}

/** Parse `--shard i/N` (0 <= i < N). */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS || !(index < count)) {
    throw bad("Option '--shard'", `i/N with 0 <= i < N <= ${MAX_SHARDS}`, `'${text}'`, 'shards are numbered from 0: --shard 0/4 … --shard 3/4 (injection k belongs to shard k mod N)');
  }
  return { index, count };
}

/** The scheduler variables shards come from, in the order they are looked at. */
export const SHARD_ENV = [
  { index: 'SLURM_ARRAY_TASK_ID', base: 0, count: 'SLURM_ARRAY_TASK_COUNT', scheduler: 'Slurm job array (submit --array=0-(N-1))' },
  { index: 'JOB_COMPLETION_INDEX', base: 0, count: null, scheduler: 'Kubernetes Indexed Job' },
  { index: 'AWS_BATCH_JOB_ARRAY_INDEX', base: 0, count: null, scheduler: 'AWS Batch array job' },
  { index: 'LSB_JOBINDEX', base: 1, count: 'LSB_JOBINDEX_END', scheduler: 'LSF job array (1-based)' },
  { index: 'SGE_TASK_ID', base: 1, count: 'SGE_TASK_LAST', scheduler: 'SGE/UGE array job (1-based)' },
] as const;

/**
 * The shard of this process: `--shard i/N` when given, else the scheduler's environment (with
 * `--shards N`, or the scheduler's own count where it has one); null when neither says (one machine).
 */
export function resolveShard(options: { shard?: string; shards?: string | number; env?: NodeJS.ProcessEnv }): ShardSpec | null {
  const env = options.env ?? process.env;
  const shards = options.shards === undefined ? undefined : countFrom("Option '--shards'", options.shards);
  if (options.shard !== undefined) {
    const s = parseShard(options.shard);
    if (shards !== undefined && shards !== s.count) throw bad("Option '--shards'", `${s.count} as in --shard ${options.shard}, or left out`, String(shards), 'give either --shard i/N or --shards N with the index from the scheduler');
    return s;
  }
  for (const v of SHARD_ENV) {
    const raw = env[v.index];
    if (raw === undefined || raw === '') continue;
    const countRaw = v.count === null ? undefined : env[v.count];
    const count = shards ?? (countRaw !== undefined && countRaw !== '' ? countFrom(`Environment variable ${v.count}`, countRaw) : undefined);
    if (count === undefined) throw bad("Option '--shards'", `the shard count with ${v.index} set (${v.scheduler})`, 'left out', `e.g. --shards 4 for a job of 4 tasks`);
    const n = INTEGER.test(raw) ? Number(raw) - v.base : Number.NaN;
    if (!(Number.isSafeInteger(n) && n >= 0 && n < count)) {
      throw bad(`Environment variable ${v.index}`, `an integer in ${v.base}..${count - 1 + v.base} for ${count} shards (${v.scheduler})`, `'${raw}'`, v.base === 0 ? `submit the array as 0-${count - 1}` : `submit the array as 1-${count}`);
    }
    return { index: n, count };
  }
  if (shards !== undefined) throw bad("Option '--shards'", 'given with a shard index (--shard i/N, or a job-array variable such as SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)', `${shards} with none set`, 'run it as a job-array task, or give --shard i/N');
  return null;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.ceil(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds < 730 * 86400) return `${(seconds / 86400).toFixed(0)} days`;
  return `${(seconds / (365 * 86400)).toFixed(0)} years`;
}

/** E183: more injections than one process should hold, with the time they would take at the measured set-up speed. */
export function tooLarge(injections: number, max: number, secondsPerInjection: number, workers: number, shard: ShardSpec | null): DiagnosticError {
  const shardsNeeded = Math.ceil(injections / max) * (shard?.count ?? 1);
  const estimate = duration((injections * secondsPerInjection) / workers);
  return new DiagnosticError([
    msg.campaignTooLarge(
      `at most ${max.toLocaleString('en-US')} (pending faults and results are held in memory)`,
      `${injections.toLocaleString('en-US')}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}, estimated up to ${estimate} (every injection a full run) on ${workers} worker${workers === 1 ? '' : 's'} at this machine's measured set-up speed`,
      `split it into at least ${shardsNeeded.toLocaleString('en-US')} shards (--shards ${shardsNeeded} on a job array, docs/scale.md), or ask for fewer injections (--samples, or a larger --margin)`,
    ),
  ]);
}

/** The results file of a shard directory (created when missing); E104 when it cannot be a directory. */
export function prepareShardDir(dir: string): void {
  // One level at a time from the nearest existing ancestor: Node's recursive mkdir loops forever below a
  // file or on a pseudo file system such as /proc.
  const missing: string[] = [];
  let up = path.resolve(dir);
  while (!fs.existsSync(up) && path.dirname(up) !== up) {
    missing.unshift(up);
    up = path.dirname(up);
  }
  if (!fs.statSync(up).isDirectory()) throw new DiagnosticError([msg.unwritableFile('Shard results directory', dir, `ENOTDIR ('${up}' is a file)`)]);
  try {
    for (const d of missing) fs.mkdirSync(d);
  } catch (err) {
    throw new DiagnosticError([msg.unwritableFile('Shard results directory', dir, (err as NodeJS.ErrnoException).code ?? 'error')]);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new DiagnosticError([msg.unwritableFile('Shard results directory', dir, (err as NodeJS.ErrnoException).code ?? 'error')]);
  }
}
