// `splitfuse fault merge DIR`: the shard files of one campaign (accel/fault/shard.ts) into one summary.
//
// Every file's header must describe the same campaign (E181: the model by its CRC, configuration, sites,
// fault model, seed, images, sample size, shard count); every result line must be an injection of its
// shard below the sample size (E184); a result that appears twice (a task that ran twice, a copied file)
// counts once, and two different results for one injection are E184. Injections no file holds are listed
// with the shards to rerun; the merge refuses an incomplete campaign (E182) unless asked for a partial
// summary. A complete merge has exactly the totals of the one-machine campaign with the same flags,
// because injection k is a pure function of (seed, k).
import fs from 'node:fs';
import path from 'node:path';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { SummaryAccumulator, type CampaignSummary } from './campaign.js';
import { paramsDifference, streamResultsFile, type CampaignParams, type ResultsContext } from './results.js';
import { inShard, shardSize, type ShardSpec } from './shard.js';

export interface MergeOptions {
  readonly dir: string;
  /** Summarize what is there even when injections are missing (default: E182). */
  readonly partial?: boolean;
}

export interface MergedFile {
  readonly file: string;
  readonly shard: ShardSpec;
  /** Result lines in the file (before dropping duplicates). */
  readonly lines: number;
}

export interface MergeResult {
  readonly dir: string;
  readonly files: MergedFile[];
  readonly shards: number;
  readonly samples: number;
  /** Distinct injections found. */
  readonly injections: number;
  /** Result lines dropped as repeats of an injection already read. */
  readonly duplicates: number;
  readonly complete: boolean;
  /** How many injections no file holds, the first of them (at most 100), and the shards they belong to. */
  readonly missing: number;
  readonly missingIndices: number[];
  readonly rerunShards: number[];
  readonly summary: CampaignSummary;
}

const MISSING_LISTED = 100;

function shardFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new DiagnosticError([msg.mergeIncomplete(dir, 'a readable directory of shard files', `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'give the --out DIR/ of the shards')]);
  }
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.jsonl')).map((e) => path.join(dir, e.name)).sort();
  if (files.length === 0) throw new DiagnosticError([msg.mergeIncomplete(dir, 'a directory with shard files (*.jsonl)', 'none', 'run the shards with --shard i/N --out DIR/ (or as a job array) first')]);
  return files;
}

/** FNV-1a of a result line's text: equal results are equal lines (one JSON.stringify of the same object). */
function lineHash(text: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
  return (h | 1) >>> 0; // never 0: 0 marks an index not seen yet
}

/** Which injections were seen, with the hash of their result line: a typed array when it fits, else a map. */
function seenTable(samples: number): { get(i: number): number; set(i: number, h: number): void } {
  if (samples <= 1 << 27) {
    const table = new Uint32Array(samples);
    return { get: (i) => table[i]!, set: (i, h) => void (table[i] = h) };
  }
  const map = new Map<number, number>();
  return { get: (i) => map.get(i) ?? 0, set: (i, h) => void map.set(i, h) };
}

/**
 * Merge the shard files of `dir`. The files are streamed and only counts are kept (one 32-bit hash per
 * injection for duplicates), so 10^7 injections merge in bounded memory.
 */
export function mergeShards(options: MergeOptions): MergeResult {
  const files = shardFiles(options.dir);
  let first: { file: string; params: CampaignParams; shards: number; context: ResultsContext } | null = null;
  let acc: SummaryAccumulator | null = null;
  let seen: ReturnType<typeof seenTable> | null = null;
  let found: number[] = [];
  const merged: MergedFile[] = [];
  let duplicates = 0;
  let injections = 0;
  for (const file of files) {
    let shard: ShardSpec = { index: 0, count: 1 };
    let lines = 0;
    streamResultsFile(
      file,
      (header) => {
        shard = header.shard ?? { index: 0, count: 1 };
        const context = header.context;
        if (!context) throw new DiagnosticError([msg.campaignFile(file, 'a results file with the site list and layer order in its header', 'a header without them (written before shards existed)', 'rerun that shard with this version of splitfuse')]);
        if (!first) {
          first = { file, params: header.params, shards: shard.count, context };
          acc = new SummaryAccumulator(header.params, context.sites, context.layers);
          seen = seenTable(header.params.samples);
          found = new Array<number>(shard.count).fill(0);
          return;
        }
        const d = paramsDifference(first.params, header.params);
        if (d) throw new DiagnosticError([msg.shardMismatch(file, first.file, d.field, JSON.stringify(d.file) ?? 'missing', JSON.stringify(d.run) ?? 'missing', 'every shard of a merge must come from the same flags; move the files of other campaigns to another directory')]);
        if (shard.count !== first.shards) throw new DiagnosticError([msg.shardMismatch(file, first.file, 'shard count', String(first.shards), String(shard.count), 'a campaign is split into one number of shards; move the files of other splits to another directory')]);
      },
      (r, text, line) => {
        lines++;
        const fail = (expected: string, got: string): never => {
          throw new DiagnosticError([msg.tamperedResult(file, line, expected, got)]);
        };
        const samples = first!.params.samples;
        if (!(r.i >= 0 && r.i < samples)) fail(`an injection index in 0..${samples - 1}`, String(r.i));
        if (!inShard(shard, r.i)) fail(`an injection of shard ${shard.index}/${shard.count} (index mod ${shard.count} = ${shard.index})`, `index ${r.i}`);
        const h = lineHash(text);
        const before = seen!.get(r.i);
        if (before === 0) {
          seen!.set(r.i, h);
          acc!.add(r);
          found[r.i % first!.shards]!++;
          injections++;
        } else if (before !== h) fail(`the result of injection ${r.i} that another line holds`, 'a different result');
        else duplicates++;
      },
    );
    merged.push({ file, shard, lines });
  }
  const { params, shards } = first!;
  const samples = params.samples;
  // Missing injections, shard by shard (never a list of every index: campaigns reach 10^7 and more).
  const missingIndices: number[] = [];
  const rerunShards: number[] = [];
  let missing = 0;
  for (let s = 0; s < shards; s++) {
    const lacking = shardSize({ index: s, count: shards }, samples) - found[s]!;
    if (lacking <= 0) continue;
    rerunShards.push(s);
    missing += lacking;
    for (let i = s; i < samples && missingIndices.length < MISSING_LISTED; i += shards) if (seen!.get(i) === 0) missingIndices.push(i);
  }
  missingIndices.sort((a, b) => a - b);
  if (missing > 0 && !options.partial) {
    const list = rerunShards.length > 20 ? `${rerunShards.slice(0, 20).join(',')},… (${rerunShards.length} shards)` : rerunShards.join(',');
    throw new DiagnosticError([
      msg.mergeIncomplete(
        options.dir,
        `all ${samples.toLocaleString('en-US')} injections of the campaign`,
        `${missing.toLocaleString('en-US')} missing (first: ${missingIndices.slice(0, 10).join(', ')}) in shards ${list} of ${shards}`,
        `rerun those shards (Slurm: sbatch --array=${list} campaign.sbatch; each resumes its file), or add --partial for a summary of what is there`,
      ),
    ]);
  }
  const summary = (acc as SummaryAccumulator | null)!.summary({ resumed: injections, ran: 0, setupSeconds: 0, seconds: 0, workers: 0, resultsFile: options.dir });
  return { dir: options.dir, files: merged, shards, samples, injections, duplicates, complete: missing === 0, missing, missingIndices, rerunShards, summary };
}
