// Permanent-fault sweeps (issue 6): top-1 accuracy on N images against the number of stuck-at bits (or
// a bit error rate) in chosen sites, over several seeds, with mean and spread per point.
//
// Fault sets. For seed s the sites' bits (every bit of every word, so each bit is equally likely) are
// drawn without replacement from a counter-based generator keyed by (seed, s); the set of k faults is
// the first k of that sequence. Sets therefore nest (the k = 8 set contains the k = 4 set of the same
// s): along one seed's curve faults are only added, never re-placed, and the spread across seeds is
// the spread of fault placement. (Accuracy need not fall monotonically: stuck bits can cancel.)
//
// Running, as accel/fault/inject.ts runs one stuck-at, with all k at once: stuck bits of registers,
// read ports and memory words are set again after every clock edge in the shared simulator of the
// configuration (no compile); stuck bits of nets need a variant compiled with sim/compile forces, built
// only for fault sets that contain a net and dropped after its images (a sweep would build many).
// A run that does not reach `done` within twice the fault-free cycles counts as wrong (a hang).
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { memoryNames } from '../../gen/accel/buffers.js';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { encode } from '../../gen/accel/isa.js';
import { DRAM_MEMORY } from '../../gen/accel/simtop.js';
import { compile as compileSim, type Force } from '../../sim/compile/index.js';
import { compile as compileModel, inputToDram, outputWords, readOutput, type CompiledModel } from '../compiler.js';
import { argmaxLowest } from '../golden.js';
import type { Model } from '../model.js';
import { accelMachine, accelName, cycleBudget, type AccelMachine } from '../run.js';
import { counterRng, uniformInt } from './campaign.js';
import { stuckRewriter } from './inject.js';
import { defaultWorkerCount, inThreadRunner, runTasks, workerRunner, type TaskHandler, type TaskRunner } from './pool.js';
import { siteCatalog } from './sites.js';
import { mean, stddev } from './stats.js';
import type { Fault, FaultSite } from './types.js';

/** A stuck-at fault model (a sweep is about permanent faults). */
export type StuckModel = 'stuck0' | 'stuck1';

const siteBits = (s: FaultSite): number => s.width * s.depth;

/**
 * The first `count` faults of seed `s`'s sequence: distinct bits drawn uniformly over all bits of
 * `sites` (rejection of repeats; count must not exceed the bits).
 */
export function sweepFaults(sites: readonly FaultSite[], model: StuckModel, seed: number, s: number, count: number): Fault[] {
  const cum: number[] = [];
  let total = 0;
  for (const site of sites) cum.push((total += siteBits(site)));
  if (count > total) throw new RangeError(`sweepFaults: ${count} faults in ${total} bits`);
  const u = counterRng(seed, 1, s);
  const taken = new Set<number>();
  const faults: Fault[] = [];
  while (faults.length < count) {
    const bit = uniformInt(u, total);
    if (taken.has(bit)) continue;
    taken.add(bit);
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > bit) hi = mid;
      else lo = mid + 1;
    }
    const site = sites[lo]!;
    const within = bit - (lo === 0 ? 0 : cum[lo - 1]!);
    faults.push({ model, site: site.name, addr: Math.floor(within / site.width), bits: [within % site.width], cycle: 0 });
  }
  return faults;
}

/** workerData of a sweep worker. */
export interface SweepWorkerData {
  readonly kind: 'sweep';
  readonly model: Model;
  readonly config: AccelHardwareConfig;
  readonly images: readonly { readonly image: Int8Array; readonly label: number }[];
  readonly sites: string;
  readonly fault: StuckModel;
  readonly seed: number;
}

export interface SweepInfo {
  readonly sites: FaultSite[];
  readonly bits: number;
}

/** One (fault count, seed) point. */
export interface SweepTask {
  readonly faults: number;
  readonly seedIndex: number;
}

export interface SweepRun extends SweepTask {
  readonly correct: number;
  readonly images: number;
  readonly accuracy: number;
  /** Images whose run did not reach `done` within the cycle budget (counted wrong). */
  readonly hangs: number;
}

/** Restore power-on state and load the program tables and the image's DRAM (no reset yet). */
function loadTables(machine: AccelMachine, compiled: CompiledModel, input: Int8Array): void {
  const { sim } = machine;
  sim.restore(machine.powerOn);
  compiled.program.forEach((ins, a) => sim.pokeMem(accelName(memoryNames.imem), a, encode(ins)));
  compiled.pixmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.pixmem), a, v));
  compiled.offmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.offmem), a, v));
  compiled.pmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.pmem), a, v));
  inputToDram(compiled, input).forEach((v, a) => sim.pokeMem(DRAM_MEMORY, a, v));
}

/**
 * Run one image with the stuck bits held in place, in accel/fault/inject.ts's order (so one fault here
 * behaves exactly as a stuck-at injection there): load, apply, reset, apply, then apply after every edge.
 */
function runStuck(machine: AccelMachine, compiled: CompiledModel, input: Int8Array, apply: () => void, limit: number): { predicted: number; done: boolean; cycles: number } {
  const { sim } = machine;
  loadTables(machine, compiled, input);
  apply();
  sim.reset();
  apply();
  const done = sim.handle('done');
  const fault = sim.handle('fault');
  let cycles = 0;
  while (cycles < limit && done.get() === 0 && fault.get() === 0) {
    sim.step();
    apply();
    cycles++;
  }
  const out = compiled.outputWord;
  const words = outputWords(compiled); // a streamed model's output map may have row padding
  const dram: bigint[] = new Array<bigint>(out + words).fill(0n);
  for (let a = out; a < out + words; a++) dram[a] = sim.peekMem(DRAM_MEMORY, a);
  return { predicted: argmaxLowest(readOutput(compiled, dram)), done: done.get() === 1 && fault.get() === 0, cycles };
}

/** Build the site list; answer (k, seed) points with the accuracy of the model carrying those faults. */
export function sweepHandler(data: SweepWorkerData): TaskHandler<SweepInfo, SweepTask, SweepRun> {
  const compiled = compileModel(data.model, data.config);
  const base = accelMachine(data.config, compiled.sizes);
  const catalog = siteCatalog(base.design, base.sim);
  const sites = catalog.match(data.sites);
  const bits = sites.reduce((t, s) => t + siteBits(s), 0);
  const byName = new Map(sites.map((s) => [s.name, s]));
  const value = data.fault === 'stuck1' ? 1 : 0;
  // The hang limit of accel/fault/inject.ts: twice the fault-free cycles (the schedule does not depend on the data).
  const limit = 2 * runStuck(base, compiled, data.images[0]!.image, () => {}, cycleBudget(compiled)).cycles;
  return {
    info: { sites, bits },
    run: (task) => {
      const faults = sweepFaults(sites, data.fault, data.seed, task.seedIndex, task.faults);
      // Nets can only be forced in a compiled variant; registers, read ports and memory words are rewritten.
      const forces: Force[] = faults.filter((f) => byName.get(f.site)!.kind === 'net').map((f) => ({ signal: f.site, bit: f.bits[0]!, value }));
      const machine: AccelMachine = forces.length ? variantMachine(base, forces) : base;
      const rewriters = faults.filter((f) => byName.get(f.site)!.kind !== 'net').map((f) => stuckRewriter(machine.sim, byName.get(f.site)!, f.addr, f.bits, value));
      const apply = (): void => {
        for (const r of rewriters) r();
      };
      let correct = 0;
      let hangs = 0;
      for (const { image, label } of data.images) {
        const r = runStuck(machine, compiled, image, apply, limit);
        if (!r.done) hangs++;
        else if (r.predicted === label) correct++;
      }
      return { ...task, correct, images: data.images.length, accuracy: correct / data.images.length, hangs };
    },
  };
}

/** A variant of `base` with forces compiled in (not cached: every fault set is different). */
function variantMachine(base: AccelMachine, forces: readonly Force[]): AccelMachine {
  const sim = compileSim(base.design, { forces });
  return { design: base.design, sim, powerOn: sim.snapshot() };
}

export interface SweepOptions {
  readonly model: Model;
  readonly config: AccelHardwareConfig;
  readonly images: readonly { readonly image: Int8Array; readonly label: number }[];
  readonly sites: string;
  readonly fault: StuckModel;
  /** Fault counts to sweep. */
  readonly counts?: readonly number[];
  /** Bit error rates to sweep (faults = round(rate × bits of the sites)). */
  readonly bitErrorRates?: readonly number[];
  /** Fault placements per point (seed indices 0..seeds−1); default 3. */
  readonly seeds?: number;
  readonly seed: number;
  /** Worker threads (default: all cores); 1 runs in this thread. */
  readonly workers?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SweepPoint {
  readonly faults: number;
  /** faults / bits of the sites. */
  readonly bitErrorRate: number;
  /** Accuracy of each seed, in seed order. */
  readonly accuracies: number[];
  readonly mean: number;
  /** Sample standard deviation over the seeds. */
  readonly stddev: number;
  readonly min: number;
  readonly max: number;
  readonly hangs: number;
}

export interface SweepSummary {
  readonly sites: string;
  readonly fault: StuckModel;
  readonly siteCount: number;
  readonly bits: number;
  readonly images: number;
  readonly seeds: number;
  readonly seed: number;
  readonly points: SweepPoint[];
  readonly seconds: number;
  readonly workers: number;
}

function checkSweep(o: SweepOptions): void {
  const bad = (option: string, expected: string, found: unknown, hint: string): never => {
    throw new DiagnosticError([msg.sweepOption(option, expected, JSON.stringify(found) ?? 'missing', hint)]);
  };
  if ((o.fault as string) !== 'stuck0' && (o.fault as string) !== 'stuck1') bad('fault', 'stuck0 or stuck1', o.fault, 'a sweep places permanent faults; use a campaign for SEUs');
  const counts = o.counts ?? [];
  const rates = o.bitErrorRates ?? [];
  if (counts.length + rates.length === 0) bad('sweep', 'a list of fault counts or bit error rates', [], 'e.g. --sweep 0,1,4,16,64');
  for (const k of counts) if (!(Number.isSafeInteger(k) && k >= 0)) bad('sweep', 'non-negative integer fault counts', k, 'e.g. --sweep 0,1,4,16,64');
  for (const r of rates) if (!(r >= 0 && r <= 1)) bad('ber', 'bit error rates in [0, 1]', r, 'e.g. --ber 1e-5,1e-4');
  const seeds = o.seeds ?? 3;
  if (!(Number.isInteger(seeds) && seeds >= 1 && seeds <= 10_000)) bad('seeds', 'an integer in 1..10000', seeds, 'e.g. --seeds 5');
  if (o.images.length === 0) bad('images', 'at least 1 image', 0, 'e.g. --images 20');
  if (!(Number.isSafeInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32)) bad('seed', 'an integer in 0..4294967295', o.seed, 'e.g. --seed 1');
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 1 && o.workers <= 256)) bad('workers', 'an integer in 1..256', o.workers, 'e.g. --workers 2');
}

/** Run a sweep: every (fault count, seed) point on `workers` threads; mean and spread per count. */
export async function runSweep(options: SweepOptions): Promise<SweepSummary> {
  checkSweep(options);
  const seeds = options.seeds ?? 3;
  const data: SweepWorkerData = { kind: 'sweep', model: options.model, config: options.config, images: options.images, sites: options.sites, fault: options.fault, seed: options.seed };
  const pointCount = (options.counts?.length ?? 0) + (options.bitErrorRates?.length ?? 0);
  const requested = Math.min(options.workers ?? defaultWorkerCount(), pointCount * seeds);
  const runners: TaskRunner<SweepInfo, SweepTask, SweepRun>[] =
    requested === 1 ? [inThreadRunner(() => sweepHandler(data))] : Array.from({ length: requested }, () => workerRunner<SweepInfo, SweepTask, SweepRun>(data));
  try {
    const info = await runners[0]!.ready;
    const fromRates = (options.bitErrorRates ?? []).map((r) => Math.round(r * info.bits));
    const counts = [...new Set([...(options.counts ?? []), ...fromRates])].sort((a, b) => a - b);
    const tooMany = counts.find((k) => k > info.bits);
    if (tooMany !== undefined) {
      throw new DiagnosticError([msg.sweepOption('sweep', `fault counts of at most ${info.bits} (the bits of '${options.sites}')`, String(tooMany), 'choose fewer faults or more sites')]);
    }
    const tasks: SweepTask[] = counts.flatMap((faults) => Array.from({ length: seeds }, (_, seedIndex) => ({ faults, seedIndex })));
    await Promise.all(runners.map((r) => r.ready));
    const runs: SweepRun[] = [];
    options.onProgress?.(0, tasks.length);
    const start = performance.now();
    await runTasks(runners, tasks, (_, run) => {
      runs.push(run);
      options.onProgress?.(runs.length, tasks.length);
    });
    const seconds = (performance.now() - start) / 1000;
    const points = counts.map((faults): SweepPoint => {
      const mine = runs.filter((r) => r.faults === faults).sort((a, b) => a.seedIndex - b.seedIndex);
      const accuracies = mine.map((r) => r.accuracy);
      return {
        faults,
        bitErrorRate: faults / info.bits,
        accuracies,
        mean: mean(accuracies),
        stddev: stddev(accuracies),
        min: Math.min(...accuracies),
        max: Math.max(...accuracies),
        hangs: mine.reduce((t, r) => t + r.hangs, 0),
      };
    });
    return { sites: options.sites, fault: options.fault, siteCount: info.sites.length, bits: info.bits, images: options.images.length, seeds, seed: options.seed, points, seconds, workers: runners.length };
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}
