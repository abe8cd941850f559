// Statistical fault-injection campaigns (DESIGN.md §7, issue 6) on the accelerator RTL.
//
// Sampling. Injection i is a pure function of (seed, i), the site list of the pattern and the golden
// cycle counts: a counter-based generator keyed by (seed, i) draws the image (uniform), the site
// (weighted by its bits, so every bit of every site is equally likely), the memory word and the first
// bit (uniform), and for SEUs the cycle (uniform in the image's golden run). An MBU flips
// `bitsPerUpset` adjacent bits of one word; SEUs skip sites narrower than that and nets (a net holds
// no state to flip). Faults are drawn with replacement: in populations of 10^6–10^9 faults a repeat is
// rare and harmless. The parent thread samples and hands each worker whole faults, sorted by image (an
// injector keeps only a few golden runs with their snapshots); since no draw depends on the order
// injections run in, any number of workers and any interruption followed by --resume give the same totals.
//
// Sample size: an explicit count, or Leveugle et al. (DATE 2009) from a margin and confidence over the
// population N = bits × Σ golden cycles (SEU) or bits × images (stuck-at) (accel/fault/stats.ts).
//
// Results file (JSON lines): line 1 is a header with every parameter that decides the injections and
// their outcomes; then one line per finished injection, {"i": index, ...InjectionResult}, each written
// with one write() so a killed run leaves at most a partial last line. --resume reads the file, checks
// the header against this run (E155), drops a partial last line, and runs only the missing indices.
import fs from 'node:fs';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { crc32, writeModel, type Model } from '../model.js';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { createInjector } from './inject.js';
import { defaultWorkerCount, inThreadRunner, runTasks, workerRunner, type TaskHandler, type TaskRunner } from './pool.js';
import { leveugleMargin, leveugleSampleSize, rate, wilsonInterval, type Rate } from './stats.js';
import { OUTCOMES, type Fault, type FaultModel, type FaultSite, type InjectionResult, type Outcome } from './types.js';

// ---------------------------------------------------------------------------------------------
// Deterministic sampling
// ---------------------------------------------------------------------------------------------

/** MurmurHash3's 32-bit finalizer: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A generator of uniform numbers in [0, 1) (53 bits) that depends only on (seed, stream, index):
 * sfc32 (Chris Doty-Humphrey's PractRand "small fast counting" generator) keyed by hashes of the three.
 * `stream` separates independent uses of one seed (campaign injections, sweep fault sets, ...).
 */
export function counterRng(seed: number, stream: number, index: number): () => number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 2 ** 32) >>> 0;
  let a = fmix32(seed ^ 0x9e3779b9);
  let b = fmix32(lo ^ fmix32(stream + 0x85ebca6b));
  let c = fmix32(hi ^ fmix32(seed + 0x6a09e667));
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let k = 0; k < 12; k++) next(); // decorrelate nearby keys
  return () => (next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53;
}

/** A uniform integer in [0, n). */
export const uniformInt = (u: () => number, n: number): number => Math.min(n - 1, Math.floor(u() * n));

/** Everything a fault draw depends on besides (seed, index). */
export interface SamplingSpace {
  readonly fault: FaultModel;
  /** Bits of one SEU/MBU (adjacent, in one word); 1 for stuck-at. */
  readonly bitsPerUpset: number;
  /** The sites faults go to (already restricted to those at least bitsPerUpset wide). */
  readonly sites: readonly FaultSite[];
  /** Golden cycles of each campaign image. */
  readonly goldenCycles: readonly number[];
}

const siteBits = (s: FaultSite): number => s.width * s.depth;

/**
 * The sites of `all` a fault model can use: an SEU needs state (registers, read ports, memories; a
 * combinational net cannot hold a flipped bit) at least `bitsPerUpset` bits wide; stuck-at takes any site.
 */
export function usableSites(all: readonly FaultSite[], fault: FaultModel, bitsPerUpset: number): FaultSite[] {
  return fault === 'seu' ? all.filter((s) => s.kind !== 'net' && s.width >= bitsPerUpset) : [...all];
}

/** Cumulative bit counts of the sites (for weighted choice by binary search). */
function cumulativeBits(sites: readonly FaultSite[]): number[] {
  let sum = 0;
  return sites.map((s) => (sum += siteBits(s)));
}

const cumulativeCache = new WeakMap<readonly FaultSite[], number[]>();

/** Injection `index` of a campaign seeded `seed`: which image and which fault. */
export function sampleInjection(space: SamplingSpace, seed: number, index: number): { image: number; fault: Fault } {
  const u = counterRng(seed, 0, index);
  const image = uniformInt(u, space.goldenCycles.length);
  let cum = cumulativeCache.get(space.sites);
  if (!cum) {
    cum = cumulativeBits(space.sites);
    cumulativeCache.set(space.sites, cum);
  }
  const total = cum[cum.length - 1]!;
  const pick = uniformInt(u, total);
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > pick) hi = mid;
    else lo = mid + 1;
  }
  const site = space.sites[lo]!;
  const addr = uniformInt(u, site.depth);
  const m = space.fault === 'seu' ? space.bitsPerUpset : 1;
  const first = uniformInt(u, site.width - m + 1);
  const cycle = space.fault === 'seu' ? uniformInt(u, space.goldenCycles[image]!) : 0;
  const bits = Array.from({ length: m }, (_, k) => first + k);
  return { image, fault: { model: space.fault, site: site.name, addr, bits, cycle } };
}

/** Population of the Leveugle formula: every (bit, cycle, image) for SEUs, every (bit, image) for stuck-at. */
export function faultPopulation(space: SamplingSpace): number {
  const bits = space.sites.reduce((s, site) => s + siteBits(site), 0);
  if (space.fault === 'seu') return bits * space.goldenCycles.reduce((s, c) => s + c, 0);
  return bits * space.goldenCycles.length;
}

// ---------------------------------------------------------------------------------------------
// The task handler (one per worker thread, or in this thread)
// ---------------------------------------------------------------------------------------------

/** workerData of a campaign worker (structured-cloned: plain data and typed arrays only). */
export interface CampaignWorkerData {
  readonly kind: 'campaign';
  readonly model: Model;
  readonly config: AccelHardwareConfig;
  readonly images: readonly { readonly image: Int8Array; readonly label: number }[];
  readonly snapshotInterval?: number;
  readonly earlyExit?: boolean;
  readonly sites: string;
}

export interface CampaignInfo {
  /** Every site the pattern matched (before usableSites). */
  readonly sites: FaultSite[];
  readonly goldenCycles: number[];
  /** Compiled layer names in program order (the `layer` of injection results). */
  readonly layers: string[];
}

/** One injection as handed to a worker (sampled in the parent, so every worker runs exactly that fault). */
export interface InjectionTask {
  readonly index: number;
  readonly image: number;
  readonly fault: Fault;
}

/** Build the injector, report the sites and golden cycles, then run the injections it is given. */
export function campaignHandler(data: CampaignWorkerData): TaskHandler<CampaignInfo, InjectionTask, InjectionResult> {
  const injector = createInjector({
    model: data.model,
    config: data.config,
    images: data.images,
    ...(data.snapshotInterval !== undefined ? { snapshotInterval: data.snapshotInterval } : {}),
    ...(data.earlyExit !== undefined ? { earlyExit: data.earlyExit } : {}),
  });
  const sites = injector.sites(data.sites);
  // Last image first: the injector keeps only its most recent golden runs, and injections come sorted by image.
  const goldenCycles = data.images.map((_, i) => i).reverse().map((i) => injector.goldenCycles(i)).reverse();
  const layers = injector.compiled.layers.map((l) => l.name);
  return { info: { sites, goldenCycles, layers }, run: (task) => injector.inject(task.image, task.fault) };
}

// ---------------------------------------------------------------------------------------------
// Campaign parameters, the results file and resume
// ---------------------------------------------------------------------------------------------

export { RESULTS_FORMAT, RESULTS_VERSION, checkResumeParams, imagesCrc, readResultsFile, type CampaignParams, type ResultLine, type ResultsFile, type ResultsHeader } from './results.js';
import { RESULTS_FORMAT, RESULTS_VERSION, checkResumeParams, hex, imagesCrc, readResultsFile, type CampaignParams, type ResultLine, type ResultsFile, type ResultsHeader } from './results.js';
import { inShard, prepareShardDir, shardFile, shardSize, tooLarge, type ShardSpec } from './shard.js';

// ---------------------------------------------------------------------------------------------
// Running a campaign and summarizing it
// ---------------------------------------------------------------------------------------------

export interface CampaignOptions {
  readonly model: Model;
  /** Name recorded in the results file (default model.name). */
  readonly modelName?: string;
  /** A validated configuration (accel/config.ts AccelConfig fits). */
  readonly config: AccelHardwareConfig;
  /** The images faults are drawn for (accel/mnist.ts testImages(K)). */
  readonly images: readonly { readonly image: Int8Array; readonly label: number }[];
  /** Site pattern (accel/fault/sites.ts). */
  readonly sites: string;
  readonly fault: FaultModel;
  /** Adjacent bits per upset (MBU when > 1); seu only; default 1. */
  readonly bitsPerUpset?: number;
  readonly seed: number;
  /** An explicit number of injections; otherwise Leveugle's n from margin and confidence. */
  readonly samples?: number;
  /** Error margin of the sample size (default 0.05). */
  readonly margin?: number;
  /** Confidence of the sample size (default 0.95). */
  readonly confidence?: number;
  /** Worker threads (default: all cores); 1 runs in this thread. */
  readonly workers?: number;
  /** A new results file (JSON lines); it must not exist. */
  readonly out?: string;
  /** An existing results file to continue (and append to). */
  readonly resume?: string;
  /** Golden snapshot interval (accel/fault/types.ts InjectorOptions); default: the injector's. */
  readonly snapshotInterval?: number;
  readonly earlyExit?: boolean;
  /**
   * Run only shard `index` of `count` (injection k belongs to shard k mod count, accel/fault/shard.ts);
   * with `shardDir` the results go to (and resume from) shardDir/shard-<index>-of-<count>.jsonl.
   */
  readonly shard?: ShardSpec;
  readonly shardDir?: string;
  /** The most injections this process may run (default MAX_PROCESS_INJECTIONS): more is refused up front (E183). */
  readonly maxInjections?: number;
  /** Called after every finished injection with (done, total) counting resumed ones (this shard's). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface OutcomeBreakdown {
  readonly injections: number;
  readonly outcomes: Record<Outcome, number>;
  readonly criticalRate: number;
  readonly ci95: [number, number];
}

export interface CampaignSummary extends OutcomeBreakdown {
  readonly params: CampaignParams;
  /** Every outcome's rate with its 95 % Wilson interval. */
  readonly rates: Record<Outcome, Rate>;
  /** The margin these samples give at p = 0.5 and the confidence asked (0.95 by default). */
  readonly achievedMargin: number;
  /** Per site group, sorted by group name; `bits` is the group's share of the sampled population. */
  readonly groups: (OutcomeBreakdown & { readonly group: string; readonly bits: number })[];
  /** Per compiled layer executing at the injection cycle, in program order. */
  readonly layers: (OutcomeBreakdown & { readonly layer: string })[];
  /** Top-1 accuracy of the faulty runs, and of the golden runs of the same images. */
  readonly accuracy: number;
  readonly goldenAccuracy: number;
  readonly hangs: number;
  readonly earlyExits: number;
  /** Simulated cycles of all injections (from snapshots when they were used). */
  readonly simulatedCycles: number;
  /** Injections read from a resumed file, and run now. */
  readonly resumed: number;
  readonly ran: number;
  /** Seconds building injectors (compile, golden runs), and running injections. */
  readonly setupSeconds: number;
  readonly seconds: number;
  /** ran / seconds (0 when nothing ran). */
  readonly injectionsPerSecond: number;
  readonly workers: number;
  readonly resultsFile: string | null;
}

function emptyCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

/** Outcome counts of one breakdown row. */
class Tally {
  readonly outcomes = emptyCounts();
  n = 0;
  add(outcome: Outcome): void {
    this.outcomes[outcome]++;
    this.n++;
  }
  row(): OutcomeBreakdown {
    const { n, outcomes } = this;
    return { injections: n, outcomes: { ...outcomes }, criticalRate: n ? outcomes.critical / n : 0, ci95: wilsonInterval(outcomes.critical, n) };
  }
}

export interface SummaryContext {
  readonly resumed: number;
  readonly ran: number;
  readonly setupSeconds: number;
  readonly seconds: number;
  readonly workers: number;
  readonly resultsFile: string | null;
}

/**
 * Results added one at a time, in any order, into the campaign summary: only counts are kept, so a merge
 * of 10^7 injections streams through it (accel/fault/merge.ts) and summarize() is the same code.
 */
export class SummaryAccumulator {
  private readonly all = new Tally();
  private readonly byGroup = new Map<string, Tally>();
  private readonly byLayer = new Map<string, Tally>();
  private readonly groupOf: Map<string, string>;
  private correct = 0;
  private goldenCorrect = 0;
  private hangs = 0;
  private earlyExits = 0;
  private simulatedCycles = 0;

  constructor(
    private readonly params: CampaignParams,
    private readonly sites: readonly FaultSite[],
    private readonly layerOrder: readonly string[],
  ) {
    this.groupOf = new Map(sites.map((site) => [site.name, site.group]));
  }

  add(r: InjectionResult): void {
    this.all.add(r.outcome);
    const tally = (m: Map<string, Tally>, key: string): Tally => {
      let t = m.get(key);
      if (!t) m.set(key, (t = new Tally()));
      return t;
    };
    tally(this.byGroup, this.groupOf.get(r.fault.site) ?? '?').add(r.outcome);
    tally(this.byLayer, r.layer).add(r.outcome);
    if (r.predicted === r.label) this.correct++;
    if (r.goldenPredicted === r.label) this.goldenCorrect++;
    if (r.hang) this.hangs++;
    if (r.earlyExit) this.earlyExits++;
    this.simulatedCycles += r.cycles;
  }

  summary(context: SummaryContext): CampaignSummary {
    const params = this.params;
    const all = this.all.row();
    const n = all.injections;
    const bitsOf = new Map<string, number>();
    for (const s of usableSites(this.sites, params.fault, params.bitsPerUpset)) bitsOf.set(s.group, (bitsOf.get(s.group) ?? 0) + siteBits(s));
    const groups = [...new Set([...bitsOf.keys(), ...this.byGroup.keys()])]
      .sort()
      .map((group) => ({ group, bits: bitsOf.get(group) ?? 0, ...(this.byGroup.get(group) ?? new Tally()).row() }));
    const order = [...this.layerOrder, ...[...this.byLayer.keys()].filter((l) => !this.layerOrder.includes(l)).sort()];
    const layers = order.filter((l) => this.byLayer.has(l)).map((layer) => ({ layer, ...this.byLayer.get(layer)!.row() }));
    return {
      params,
      ...all,
      rates: Object.fromEntries(OUTCOMES.map((o) => [o, rate(all.outcomes[o], n)])) as Record<Outcome, Rate>,
      achievedMargin: n ? leveugleMargin({ population: params.population, samples: n, confidence: params.confidence ?? 0.95 }) : 1,
      groups,
      layers,
      accuracy: n ? this.correct / n : 0,
      goldenAccuracy: n ? this.goldenCorrect / n : 0,
      hangs: this.hangs,
      earlyExits: this.earlyExits,
      simulatedCycles: this.simulatedCycles,
      resumed: context.resumed,
      ran: context.ran,
      setupSeconds: context.setupSeconds,
      seconds: context.seconds,
      injectionsPerSecond: context.ran && context.seconds > 0 ? context.ran / context.seconds : 0,
      workers: context.workers,
      resultsFile: context.resultsFile,
    };
  }
}

/** Aggregate results (any order) into the campaign summary. */
export function summarize(
  params: CampaignParams,
  results: readonly ResultLine[],
  context: SummaryContext & { sites: readonly FaultSite[]; layerOrder: readonly string[] },
): CampaignSummary {
  const acc = new SummaryAccumulator(params, context.sites, context.layerOrder);
  for (const r of results) acc.add(r);
  return acc.summary(context);
}

/** The largest explicit sample count accepted (index space of the counter-based generator: 2^32). */
export const MAX_SAMPLES = 2 ** 32;

function checkOptions(o: CampaignOptions): void {
  const bad = (option: string, expected: string, found: unknown, hint: string): never => {
    throw new DiagnosticError([msg.campaignOption(option, expected, JSON.stringify(found) ?? 'missing', hint)]);
  };
  if (o.samples !== undefined && !(Number.isSafeInteger(o.samples) && o.samples >= 1 && o.samples <= MAX_SAMPLES)) bad('samples', `an integer in 1..${MAX_SAMPLES}`, o.samples, 'give the number of injections, or leave it out to use --margin and --confidence');
  if (o.margin !== undefined && !(o.margin > 0 && o.margin < 1)) bad('margin', 'a fraction in (0, 1)', o.margin, 'e.g. 0.05 for ±5 percentage points');
  if (o.confidence !== undefined && !(o.confidence > 0 && o.confidence < 1)) bad('confidence', 'a fraction in (0, 1)', o.confidence, 'e.g. 0.95');
  const m = o.bitsPerUpset ?? 1;
  if (!(Number.isInteger(m) && m >= 1 && m <= 64)) bad('bitsPerUpset', 'an integer in 1..64', m, 'one bit is an SEU, several adjacent bits an MBU');
  if (m > 1 && o.fault !== 'seu') bad('bitsPerUpset', `1 for ${o.fault} faults`, m, 'multi-bit upsets are transient: use --fault seu');
  if (o.images.length === 0) bad('images', 'at least 1 image', 0, 'e.g. --images 10');
  if (!(Number.isSafeInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32)) bad('seed', 'an integer in 0..4294967295', o.seed, 'e.g. --seed 1');
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 256)) bad('workers', 'an integer in 1..256', o.workers, 'e.g. --workers 2');
  if (o.out !== undefined && o.resume !== undefined && o.out !== o.resume) bad('out', `the --resume file '${o.resume}' or left out`, o.out, 'a resumed campaign appends to the file it resumes');
}

/**
 * The most injections one process runs by default: its pending faults and results are held in memory
 * (a few hundred bytes each), so 2·10^6 stays well under a gigabyte. Larger campaigns are split into
 * shards (accel/fault/shard.ts) across job-array tasks.
 */
export const MAX_PROCESS_INJECTIONS = 2_000_000;

const sameFault = (a: { image: number; fault: Fault }, b: { image: number; fault: Fault }): boolean =>
  a.image === b.image && a.fault.model === b.fault.model && a.fault.site === b.fault.site && a.fault.addr === b.fault.addr && a.fault.cycle === b.fault.cycle &&
  a.fault.bits.length === b.fault.bits.length && a.fault.bits.every((bit, k) => bit === b.fault.bits[k]);

/**
 * The resumed results, checked line by line against what their index defines (E184): an index of this
 * campaign (and shard), the image and fault that (seed, index) draws; an exact repeat is dropped.
 */
function checkResumedLines(file: string, results: readonly ResultLine[], space: SamplingSpace, seed: number, samples: number, shard: ShardSpec | null): Map<number, ResultLine> {
  const previous = new Map<number, ResultLine>();
  results.forEach((r, n) => {
    const line = n + 2; // after the header, one result per line
    const fail = (expected: string, found: string): never => {
      throw new DiagnosticError([msg.tamperedResult(file, line, expected, found)]);
    };
    if (!(Number.isSafeInteger(r.i) && r.i >= 0 && r.i < samples)) fail(`an injection index in 0..${samples - 1}`, String(r.i));
    if (shard && !inShard(shard, r.i)) fail(`an injection of shard ${shard.index}/${shard.count} (index mod ${shard.count} = ${shard.index})`, `index ${r.i}`);
    const expected = sampleInjection(space, seed, r.i);
    if (typeof r.fault !== 'object' || r.fault === null || !Array.isArray(r.fault.bits) || !sameFault(r, expected)) {
      fail(`injection ${r.i} as seed ${seed} draws it (image ${expected.image}, ${expected.fault.model} in ${expected.fault.site}[${expected.fault.addr}] bits ${expected.fault.bits.join(',')} at cycle ${expected.fault.cycle})`, `image ${String(r.image)}, ${JSON.stringify(r.fault).slice(0, 120)}`);
    }
    const seen = previous.get(r.i);
    if (seen && JSON.stringify(seen) !== JSON.stringify(r)) fail(`the same result as the earlier line of injection ${r.i}`, 'a different outcome');
    previous.set(r.i, r);
  });
  return previous;
}

/** Open the results file for appending: a new file gets the header; a resumed one loses a partial last line. */
function openResults(file: string, header: ResultsHeader, resumed: ResultsFile | null): number {
  if (resumed) {
    checkResumeParams(file, resumed.header.params, header.params);
    fs.truncateSync(file, resumed.validBytes);
    return fs.openSync(file, 'a');
  }
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx'); // never overwrite finished injections
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST') throw new DiagnosticError([msg.campaignFile(file, 'a new file', 'an existing file', `continue it with --resume ${file}, or choose another --out`)]);
    throw new DiagnosticError([msg.unwritableFile('Results file', file, code)]);
  }
  fs.writeSync(fd, `${JSON.stringify(header)}\n`);
  return fd;
}

/**
 * Run a campaign: sample faults, inject them on `workers` threads, append results to the results file,
 * and summarize. Identical parameters give identical totals whatever the worker count, the sharding or
 * interruptions.
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
  checkOptions(options);
  const bitsPerUpset = options.bitsPerUpset ?? 1;
  const shard = options.shard ?? null;
  if (options.shardDir !== undefined && (shard === null || options.out !== undefined || options.resume !== undefined)) {
    throw new DiagnosticError([msg.shardOption('A shard directory', 'given with a shard and without --out FILE / --resume', shard === null ? 'given without a shard' : 'given with --out FILE or --resume', 'a shard writes DIR/shard-<i>-of-<N>.jsonl and resumes from it by itself')]);
  }
  if (options.shardDir !== undefined) prepareShardDir(options.shardDir);
  const file = options.shardDir !== undefined ? shardFile(options.shardDir, shard!) : (options.resume ?? options.out ?? null);
  const resumedFile = options.resume !== undefined ? readResultsFile(options.resume) : options.shardDir !== undefined && fs.existsSync(file!) ? readResultsFile(file!) : null;
  if (resumedFile) {
    const inFile = resumedFile.header.shard ?? null;
    if ((inFile?.index ?? -1) !== (shard?.index ?? -1) || (inFile?.count ?? -1) !== (shard?.count ?? -1)) {
      const text = (s: ShardSpec | null): string => (s ? `${s.index}/${s.count}` : 'none');
      throw new DiagnosticError([msg.campaignMismatch(file!, 'shard', text(inFile), text(shard), 'resume a shard with the --shard (or job-array index) that wrote it')]);
    }
  }
  // The parameters known before any simulation; checked now so that a mismatch does not wait for the set-up.
  const known = {
    model: options.modelName ?? options.model.name,
    modelCrc: hex(crc32(writeModel(options.model))),
    config: options.config,
    sites: options.sites,
    fault: options.fault,
    bitsPerUpset,
    seed: options.seed,
    images: options.images.length,
    imagesCrc: imagesCrc(options.images),
  };
  if (resumedFile) {
    const inFile = resumedFile.header.params as Partial<CampaignParams>;
    checkResumeParams(file!, Object.fromEntries(Object.keys(known).map((k) => [k, inFile[k as keyof CampaignParams]])) as unknown as CampaignParams, known as unknown as CampaignParams);
  } else if (options.out !== undefined && fs.existsSync(options.out)) {
    throw new DiagnosticError([msg.campaignFile(options.out, 'a new file', 'an existing file', `continue it with --resume ${options.out}, or choose another --out`)]);
  }
  const workerData: CampaignWorkerData = {
    kind: 'campaign',
    model: options.model,
    config: options.config,
    images: options.images,
    ...(options.snapshotInterval !== undefined ? { snapshotInterval: options.snapshotInterval } : {}),
    ...(options.earlyExit !== undefined ? { earlyExit: options.earlyExit } : {}),
    sites: options.sites,
  };
  // Never more workers than injections (when that is known before the sample size is computed).
  const knownSamples = options.samples === undefined ? Number.POSITIVE_INFINITY : shard ? shardSize(shard, options.samples) : options.samples;
  const requested = Math.max(1, Math.min(options.workers ?? defaultWorkerCount(), knownSamples));
  const setupStart = performance.now();
  const runners: TaskRunner<CampaignInfo, InjectionTask, InjectionResult>[] =
    requested === 1 ? [inThreadRunner(() => campaignHandler(workerData))] : Array.from({ length: requested }, () => workerRunner<CampaignInfo, InjectionTask, InjectionResult>(workerData));
  let fd: number | null = null;
  let createdFile: string | null = null;
  let written = 0;
  let finished = false;
  try {
    // Every runner reports the same sites and golden cycles (a deterministic function of the workerData).
    const info = await runners[0]!.ready;
    const firstReadySeconds = (performance.now() - setupStart) / 1000;
    const space: SamplingSpace = { fault: options.fault, bitsPerUpset, sites: usableSites(info.sites, options.fault, bitsPerUpset), goldenCycles: info.goldenCycles };
    if (space.sites.length === 0) {
      const state = info.sites.filter((s) => s.kind !== 'net');
      throw new DiagnosticError([
        state.length === 0
          ? msg.campaignOption('sites', 'a pattern matching a register or memory for seu faults', `'${options.sites}' (nets only)`, 'a net holds no state to flip: use --fault stuck0/stuck1 on nets')
          : msg.campaignOption('sites', `a pattern matching a site at least ${bitsPerUpset} bits wide`, `'${options.sites}' (widest: ${Math.max(...state.map((s) => s.width))} bits)`, 'lower --bits-per-upset or choose wider sites'),
      ]);
    }
    const population = faultPopulation(space);
    const margin = options.samples === undefined ? (options.margin ?? 0.05) : null;
    const confidence = options.samples === undefined ? (options.confidence ?? 0.95) : null;
    const samples = options.samples ?? leveugleSampleSize({ population, margin: margin!, confidence: confidence! });
    const mine = shard ? shardSize(shard, samples) : samples;
    const max = options.maxInjections ?? MAX_PROCESS_INJECTIONS;
    if (mine > max) {
      // The set-up compiled the design and ran every image once: its speed bounds an injection's (a full run at most).
      const meanCycles = info.goldenCycles.reduce((t, c) => t + c, 0) / info.goldenCycles.length;
      const cyclesPerSecond = info.goldenCycles.reduce((t, c) => t + c, 0) / Math.max(firstReadySeconds, 1e-3);
      throw tooLarge(mine, max, meanCycles / cyclesPerSecond, runners.length, shard);
    }
    const params: CampaignParams = { ...known, population, samples, margin, confidence };
    const previous = resumedFile ? checkResumedLines(file!, resumedFile.results, space, options.seed, samples, shard) : new Map<number, ResultLine>();
    if (file !== null) {
      const header: ResultsHeader = {
        format: RESULTS_FORMAT,
        version: RESULTS_VERSION,
        params,
        ...(shard ? { shard } : {}),
        context: { sites: info.sites.map(({ name, kind, width, depth, group }) => ({ name, kind, width, depth, group })), layers: info.layers },
      };
      fd = openResults(file, header, resumedFile);
      if (!resumedFile) createdFile = file;
    }
    // Sampled here, run image by image: an injector keeps only a few golden runs (snapshots) at once.
    const todo: InjectionTask[] = [];
    for (let i = shard?.index ?? 0; i < samples; i += shard?.count ?? 1) if (!previous.has(i)) todo.push({ index: i, ...sampleInjection(space, options.seed, i) });
    todo.sort((a, b) => a.image - b.image || a.index - b.index);
    await Promise.all(runners.map((r) => r.ready));
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const results = [...previous.values()];
    let done = results.length;
    options.onProgress?.(done, mine);
    const start = performance.now();
    await runTasks(runners, todo, (task, result) => {
      const line: ResultLine = { i: task.index, ...result };
      if (fd !== null) fs.writeSync(fd, `${JSON.stringify(line)}\n`);
      written++;
      results.push(line);
      options.onProgress?.(++done, mine);
    });
    const seconds = (performance.now() - start) / 1000;
    finished = true;
    return summarize(params, results, { sites: info.sites, layerOrder: info.layers, resumed: previous.size, ran: todo.length, setupSeconds, seconds, workers: runners.length, resultsFile: file });
  } finally {
    if (fd !== null) fs.closeSync(fd);
    // A new results file that never got a result (the campaign failed before its first injection) is not left behind.
    if (createdFile !== null && written === 0 && !finished) fs.rmSync(createdFile, { force: true });
    await Promise.all(runners.map((r) => r.close()));
  }
}
