// The fault injector (DESIGN.md §7, issue 6): runs one fault against one image on the accelerator RTL in
// the compiled simulator (sim/compile) and classifies the outcome against the fault-free (golden) run.
// accel/fault/types.ts is the contract; docs/faults.md the user's description.
//
// Golden runs. Per image (lazily, the last `goldenCacheImages` kept): restore the power-on state, load
// the program tables and the DRAM image (the `loaded` snapshot), reset, and run to `done`, taking a
// snapshot every `snapshotInterval` cycles (cycle 0 = the release of reset). The default interval is
// ceil(goldenCycles / 32) of the first image run.
//
// SEU/MBU at cycle c: restore the nearest snapshot at or before c (without snapshots: the loaded state,
// then reset), step to c, flip the bits (sim.flip for registers and read ports, sim.flipMem for a memory
// word), run on. At every later snapshot boundary the faulty state is compared with the golden one
// (sim.stateEquals: every register, read port and memory word); equal means the rest of the run is the
// golden run, so with `earlyExit` the injection ends there as masked.
//
// Stuck-at (permanent, from power-on): run from the loaded state through reset to the end; a permanent
// fault never re-converges, so there is no early exit. Three mechanisms:
//   nets                        a variant compiled with sim/compile forces (the only way to reach a net);
//   registers and read ports    'rewrite' (default): the bit is set again before reset and after every
//                               edge in the one compiled simulator; or 'forces' (a compiled variant).
//                               Both give every reader the forced value at every edge, so the runs are
//                               identical (test/accel/fault/inject.test.ts checks it). A variant is one
//                               compile per distinct fault plus the JIT warm-up of its fresh code:
//                               measured (CPU, LeNet-5) 0.27 s vs 0.07 s per stuck-at on tiny and
//                               0.67 s vs 0.11 s on default, so compiling would dominate a campaign;
//   memory words                rewrite after every edge (forces act on nets, not on memory cells). A
//                               read in the same edge as a write sees the old, already stuck, word.
//
// Outcome: the controller's `fault` output → detected; no `done` within 2 × the golden cycles →
// critical with hang; else the logits against the golden logits: equal → masked (corrected when the
// correction unit of a protected model saw a disagreement: cnt_lcu > 0, which a fault-free run never
// has), top-1 unchanged → sdc, changed → critical. The layer of an SEU is the compiled layer executing at its cycle (layer
// charges as in accel/run.ts); a stuck-at's layer is 'all'.
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { memoryNames } from '../../gen/accel/buffers.js';
import { encode } from '../../gen/accel/isa.js';
import { DRAM_MEMORY } from '../../gen/accel/simtop.js';
import { compile as compileSim, type CompiledSim, type Force, type Snapshot } from '../../sim/compile/index.js';
import { closeMatches } from '../../sim/suggest.js';
import { compile as compileModel, inputToDram, outputWords, readOutput, type CompiledModel } from '../compiler.js';
import { argmaxLowest } from '../golden.js';
import { accelMachine, accelName, readLcuEvents, type AccelMachine } from '../run.js';
import { siteCatalog, type SiteCatalog } from './sites.js';
import { FAULT_MODELS, type Fault, type FaultSite, type InjectionResult, type Injector, type InjectorOptions, type Outcome } from './types.js';

/** Snapshots per golden run when `snapshotInterval` is not given. */
export const DEFAULT_SNAPSHOTS_PER_RUN = 32;
/** Golden runs kept at once when `goldenCacheImages` is not given. */
export const DEFAULT_GOLDEN_CACHE_IMAGES = 4;
/** Forced (stuck-at) variants kept compiled at once. */
const VARIANT_CACHE = 2;
/** The layer of a permanent fault. */
export const PERMANENT_LAYER = 'all';

/** The fault-free run of one image. */
export interface GoldenRun {
  readonly image: number;
  readonly label: number;
  /** Cycles from the release of reset to `done`. */
  readonly cycles: number;
  readonly logits: Int8Array;
  readonly predicted: number;
  /** Cycle at which each compiled layer starts (accel/run.ts charges), aligned with compiled.layers. */
  readonly layerStarts: readonly number[];
  /** After loading the tables and DRAM image, before reset. */
  readonly loaded: Snapshot;
  /** snapshots[k]: the state at cycle k·interval (empty without snapshots). */
  readonly snapshots: readonly Snapshot[];
}

/** An injection with the faulty logits (InjectionResult stays small for result files). */
export interface InjectionDetail {
  readonly result: InjectionResult;
  /** The faulty run's logits (the golden ones after an early exit; as left in DRAM after a hang). */
  readonly logits: Int8Array;
}

export interface InjectorStats {
  readonly injections: number;
  /** Simulated cycles of all injections (golden runs excluded). */
  readonly cycles: number;
  readonly earlyExits: number;
  readonly goldenRuns: number;
  /** Forced variants compiled, and the milliseconds that took. */
  readonly compiles: number;
  readonly compileMs: number;
}

/** The Injector plus what tests, benchmarks and reports need. */
export interface FaultInjector extends Injector {
  readonly compiled: CompiledModel;
  readonly catalog: SiteCatalog;
  /** The snapshot interval in use (0: none); fixed by the first golden run when it was not given. */
  snapshotInterval(): number;
  golden(image: number): GoldenRun;
  run(image: number, fault: Fault): InjectionDetail;
  /** Bytes of one snapshot (memories and state; BigInt words count 8 bytes, their objects are shared). */
  snapshotBytes(): number;
  stats(): InjectorStats;
}

const optionError = (option: string, expected: string, found: unknown, hint: string): DiagnosticError =>
  new DiagnosticError([msg.injectorOption(option, expected, JSON.stringify(found) ?? String(found), hint)]);

/** Build an injector: compiles the model for the configuration and the simulation top once. */
export function createInjector(options: InjectorOptions): FaultInjector {
  const { model, config, images } = options;
  if (images.length === 0) throw optionError('images', 'at least one image', images.length, 'pass the digits the campaign draws from, e.g. testImages(10)');
  const given = options.snapshotInterval;
  if (given !== undefined && !(Number.isSafeInteger(given) && given >= 0)) throw optionError('snapshotInterval', 'an integer >= 0 (0: no snapshots)', given, 'leave it out for goldenCycles/32');
  const cacheImages = options.goldenCacheImages ?? DEFAULT_GOLDEN_CACHE_IMAGES;
  if (!(Number.isSafeInteger(cacheImages) && cacheImages >= 1)) throw optionError('goldenCacheImages', 'an integer >= 1', cacheImages, 'each kept image holds its golden snapshots');
  const stuckAt = options.stuckAt ?? 'rewrite';
  if (stuckAt !== 'rewrite' && stuckAt !== 'forces') throw optionError('stuckAt', "'rewrite' or 'forces'", stuckAt, "'rewrite' avoids a compile per fault");
  const compiled = compileModel(model, config);
  const machine = accelMachine(config, compiled.sizes);
  const catalog = siteCatalog(machine.design, machine.sim);
  return new AccelInjector({ modelName: model.name, config, images, compiled, machine, catalog, interval: given, earlyExit: options.earlyExit ?? true, cacheImages, stuckAt });
}

interface InjectorParts {
  readonly modelName: string;
  readonly config: AccelHardwareConfig;
  readonly images: InjectorOptions['images'];
  readonly compiled: CompiledModel;
  readonly machine: AccelMachine;
  readonly catalog: SiteCatalog;
  readonly interval: number | undefined;
  readonly earlyExit: boolean;
  readonly cacheImages: number;
  readonly stuckAt: 'rewrite' | 'forces';
}

/** The configuration's name (accel/config.ts AccelConfig has one) or its array size. */
const configName = (config: AccelHardwareConfig): string => (config as { name?: string }).name ?? `${config.rows}×${config.cols}`;

/** How a stuck-at is kept in place in the simulator that runs it. */
interface StuckApplier {
  readonly sim: CompiledSim;
  /** Set the stuck bits again (no-op for a forced variant). */
  readonly apply: () => void;
}

class AccelInjector implements FaultInjector {
  readonly compiled: CompiledModel;
  readonly catalog: SiteCatalog;
  private readonly parts: InjectorParts;
  private interval: number | undefined;
  private readonly goldens = new Map<number, GoldenRun>();
  private readonly cyclesOf = new Map<number, number>();
  private readonly variants = new Map<string, CompiledSim>();
  private counts = { injections: 0, cycles: 0, earlyExits: 0, goldenRuns: 0, compiles: 0, compileMs: 0 };

  constructor(parts: InjectorParts) {
    this.parts = parts;
    this.compiled = parts.compiled;
    this.catalog = parts.catalog;
    this.interval = parts.interval;
  }

  sites(pattern: string): FaultSite[] {
    return this.catalog.match(pattern);
  }

  goldenCycles(image: number): number {
    // Kept after the golden run itself is dropped from the cache (a campaign asks for every image first).
    return this.cyclesOf.get(image) ?? this.golden(image).cycles;
  }

  snapshotInterval(): number {
    if (this.interval === undefined) this.golden(0);
    return this.interval!;
  }

  snapshotBytes(): number {
    const s = this.parts.machine.powerOn;
    return s.state.length * 8 + s.counters.byteLength + s.mems.reduce((t, m) => t + (Array.isArray(m) ? m.length * 8 : (m as Int32Array).byteLength), 0);
  }

  stats(): InjectorStats {
    return { ...this.counts };
  }

  inject(image: number, fault: Fault): InjectionResult {
    return this.run(image, fault).result;
  }

  // ---- golden runs ----

  golden(image: number): GoldenRun {
    this.checkImage(image);
    const hit = this.goldens.get(image);
    if (hit) {
      this.goldens.delete(image); // most recently used last
      this.goldens.set(image, hit);
      return hit;
    }
    const run = this.runGolden(image);
    this.goldens.set(image, run);
    this.cyclesOf.set(image, run.cycles);
    while (this.goldens.size > this.parts.cacheImages) this.goldens.delete(this.goldens.keys().next().value!);
    return run;
  }

  private runGolden(image: number): GoldenRun {
    const { sim, powerOn } = this.parts.machine;
    const { compiled } = this;
    const digit = this.parts.images[image]!;
    sim.restore(powerOn);
    compiled.program.forEach((ins, a) => sim.pokeMem(accelName(memoryNames.imem), a, encode(ins)));
    compiled.pixmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.pixmem), a, v));
    compiled.offmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.offmem), a, v));
    compiled.pmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.pmem), a, v));
    inputToDram(compiled, digit.image).forEach((v, a) => sim.pokeMem(DRAM_MEMORY, a, v));
    const loaded = sim.snapshot();
    sim.reset();
    const done = sim.handle('done');
    const faultOut = sim.handle('fault');
    const pc = sim.handle('pc');
    const starts = compiled.layers.map((l) => l.firstInstr);
    const layerStarts = [0];
    // Generous: a golden run that does not finish is a broken program, reported below.
    const budget = 100_000 + 64 * compiled.program.length + 4 * compiled.dram.length + 4 * compiled.layers.reduce((s, l) => s + l.macs, 0);
    // Without a given interval the first golden run learns its length, then re-runs from the
    // post-reset snapshot taking the snapshots at ceil(cycles / 32).
    const snapshots: Snapshot[] = [];
    const afterReset = this.interval === undefined ? sim.snapshot() : null;
    let interval = this.interval ?? 0;
    if (interval > 0) snapshots.push(sim.snapshot());
    let cycles = 0;
    while (cycles < budget && done.get() === 0 && faultOut.get() === 0) {
      while (layerStarts.length < starts.length && pc.get() >= starts[layerStarts.length]!) layerStarts.push(cycles);
      sim.step();
      cycles++;
      if (interval > 0 && cycles % interval === 0) snapshots.push(sim.snapshot());
    }
    if (done.get() !== 1 || faultOut.get() !== 0) {
      throw new DiagnosticError([msg.accelRun(this.parts.modelName, configName(this.parts.config), faultOut.get() === 1 ? `the fault output after ${cycles} cycles` : `no done after ${cycles} cycles`)]);
    }
    while (layerStarts.length < starts.length) layerStarts.push(cycles);
    const logits = this.readLogits(sim);
    if (afterReset) {
      interval = Math.max(1, Math.ceil(cycles / DEFAULT_SNAPSHOTS_PER_RUN));
      this.interval = interval;
      sim.restore(afterReset);
      snapshots.push(afterReset);
      for (let t = interval; t <= cycles; t += interval) {
        sim.step(interval);
        snapshots.push(sim.snapshot());
      }
    }
    this.counts.goldenRuns++;
    return { image, label: digit.label, cycles, logits, predicted: argmaxLowest(logits), layerStarts, loaded, snapshots };
  }

  private readLogits(sim: CompiledSim): Int8Array {
    const { compiled } = this;
    const words = outputWords(compiled); // a streamed model's output map may have row padding
    const dram: bigint[] = new Array<bigint>(compiled.outputWord + words).fill(0n);
    for (let a = compiled.outputWord; a < compiled.outputWord + words; a++) dram[a] = sim.peekMem(DRAM_MEMORY, a);
    return readOutput(compiled, dram);
  }

  // ---- injections ----

  run(image: number, fault: Fault): InjectionDetail {
    const golden = this.golden(image);
    const site = this.checkFault(fault, golden);
    const limit = 2 * golden.cycles;
    let sim: CompiledSim;
    let t: number;
    let start: number;
    let apply: (() => void) | null = null;
    let earlyExit = false;
    if (fault.model === 'seu') {
      sim = this.parts.machine.sim;
      const interval = this.interval ?? 0;
      if (interval > 0) {
        const k = Math.floor(fault.cycle / interval);
        sim.restore(golden.snapshots[k]!);
        t = k * interval;
      } else {
        sim.restore(golden.loaded);
        sim.reset();
        t = 0;
      }
      start = t;
      if (fault.cycle > t) sim.step(fault.cycle - t);
      t = fault.cycle;
      if (site.kind === 'memory') sim.flipMem(site.name, fault.addr, fault.bits);
      else sim.flip(site.name, fault.bits);
      const done = sim.handle('done');
      const faultOut = sim.handle('fault');
      const check = this.parts.earlyExit && interval > 0;
      const snaps = golden.snapshots;
      // A flipped memory word that still differs rules out equality cheaply (a full compare of
      // default's 1.4 MB state costs about as much as 300 cycles).
      const stillFlipped = site.kind === 'memory' ? flippedWordCheck(sim, site, fault.addr) : null;
      while (t < limit && done.get() === 0 && faultOut.get() === 0) {
        sim.step();
        t++;
        if (check && t % interval === 0) {
          const snap = snaps[t / interval];
          if (snap && !stillFlipped?.(snap) && sim.stateEquals(snap)) {
            earlyExit = true;
            break;
          }
        }
      }
    } else {
      const stuck = this.stuckApplier(site, fault);
      sim = stuck.sim;
      apply = stuck.apply;
      sim.restore(golden.loaded);
      apply();
      sim.reset();
      apply();
      t = 0;
      start = 0;
      const done = sim.handle('done');
      const faultOut = sim.handle('fault');
      while (t < limit && done.get() === 0 && faultOut.get() === 0) {
        sim.step();
        t++;
        apply();
      }
    }
    const cycles = t - start;
    this.counts.injections++;
    this.counts.cycles += cycles;
    const layer = fault.model === 'seu' ? this.layerAt(golden, fault.cycle) : PERMANENT_LAYER;
    const base = { fault, image, goldenPredicted: golden.predicted, label: golden.label, cycles, layer };
    if (earlyExit) {
      this.counts.earlyExits++;
      return { result: { ...base, outcome: 'masked', predicted: golden.predicted, earlyExit: true, hang: false }, logits: golden.logits };
    }
    const detected = sim.handle('fault').get() === 1;
    const done = sim.handle('done').get() === 1;
    const logits = this.readLogits(sim);
    const predicted = argmaxLowest(logits);
    let outcome: Outcome;
    if (detected) outcome = 'detected';
    else if (!done) outcome = 'critical';
    else if (logits.every((v, i) => v === golden.logits[i])) outcome = readLcuEvents(sim) > 0 ? 'corrected' : 'masked';
    else outcome = predicted === golden.predicted ? 'sdc' : 'critical';
    return { result: { ...base, outcome, predicted, earlyExit: false, hang: !detected && !done }, logits };
  }

  private layerAt(golden: GoldenRun, cycle: number): string {
    let i = 0;
    while (i + 1 < golden.layerStarts.length && golden.layerStarts[i + 1]! <= cycle) i++;
    return this.compiled.layers[i]?.name ?? PERMANENT_LAYER;
  }

  /** The simulator that runs a stuck-at and how to keep the bits stuck in it. */
  private stuckApplier(site: FaultSite, fault: Fault): StuckApplier {
    const value = fault.model === 'stuck1' ? 1 : 0;
    if (site.kind === 'net' || (site.kind === 'register' && this.parts.stuckAt === 'forces')) {
      const forces: Force[] = fault.bits.map((bit) => ({ signal: site.name, bit, value }));
      return { sim: this.variant(forces), apply: () => {} };
    }
    const sim = this.parts.machine.sim;
    return { sim, apply: stuckRewriter(sim, site, fault.addr, fault.bits, value) };
  }

  /** A compiled variant with forces (a few kept, least recently used dropped). */
  private variant(forces: readonly Force[]): CompiledSim {
    const key = JSON.stringify(forces);
    const hit = this.variants.get(key);
    if (hit) {
      this.variants.delete(key);
      this.variants.set(key, hit);
      return hit;
    }
    const started = performance.now();
    const sim = compileSim(this.parts.machine.design, { forces });
    this.counts.compiles++;
    this.counts.compileMs += performance.now() - started;
    this.variants.set(key, sim);
    while (this.variants.size > VARIANT_CACHE) this.variants.delete(this.variants.keys().next().value!);
    return sim;
  }

  // ---- validation (E152) ----

  private checkImage(image: number): void {
    const n = this.parts.images.length;
    if (!(Number.isSafeInteger(image) && image >= 0 && image < n)) {
      throw new DiagnosticError([msg.badFault('Image of an injection', `an index in 0..${n - 1} of the injector's images`, String(image), 'the injector was built with these images')]);
    }
  }

  private checkFault(fault: Fault, golden: GoldenRun): FaultSite {
    const bad = (what: string, expected: string, found: string, hint: string): DiagnosticError => new DiagnosticError([msg.badFault(what, expected, found, hint)]);
    if (!FAULT_MODELS.includes(fault.model)) throw bad('Fault model', FAULT_MODELS.join(', '), `'${String(fault.model)}'`, 'seu flips bits at a cycle; stuck0/stuck1 hold them from power-on');
    const site = this.catalog.lookup(fault.site);
    if (!site) {
      const known = this.catalog.sites.flatMap((s) => (s.alias ? [s.name, s.alias] : [s.name]));
      const close = closeMatches(fault.site, known);
      throw bad('Fault site', 'a site of the accelerator simulation top', `'${fault.site}'`, close.length ? `close names: ${close.join(', ')}` : "list the sites with 'splitfuse sites --pattern \"*\"'");
    }
    const name = site.alias ?? site.name;
    if (fault.model === 'seu' && site.kind === 'net') throw bad(`Site of an seu ('${name}')`, 'a register, read port or memory (state that can flip)', 'a combinational net', 'use stuck0/stuck1 on a net');
    if (!(Number.isSafeInteger(fault.addr) && fault.addr >= 0 && fault.addr < site.depth)) {
      throw bad(`Word address of a fault in '${name}'`, site.depth === 1 ? '0 (it has one word)' : `an integer in 0..${site.depth - 1}`, String(fault.addr), 'addr selects a memory word');
    }
    const bitsOk = fault.bits.length > 0 && fault.bits.every((b) => Number.isSafeInteger(b) && b >= 0 && b < site.width) && new Set(fault.bits).size === fault.bits.length;
    if (!bitsOk) throw bad(`Bits of a fault in '${name}'`, `one or more distinct integers in 0..${site.width - 1}`, JSON.stringify(fault.bits), `the site is ${site.width} bits wide`);
    if (fault.model === 'seu') {
      if (!(Number.isSafeInteger(fault.cycle) && fault.cycle >= 0 && fault.cycle < golden.cycles)) {
        throw bad('Cycle of an seu', `an integer in 0..${golden.cycles - 1} (the golden run of image ${golden.image})`, String(fault.cycle), 'the cycle counts from the release of reset');
      }
    } else if (fault.cycle !== 0) {
      throw bad(`Cycle of a ${fault.model} fault`, '0 (stuck-at faults are permanent)', String(fault.cycle), 'use seu for a transient fault');
    }
    return site;
  }
}

/** For an SEU in a memory word: whether that word still differs from the word in a golden snapshot. */
function flippedWordCheck(sim: CompiledSim, site: FaultSite, addr: number): (snap: Snapshot) => boolean {
  const index = sim.memoryNames().indexOf(site.name);
  const w = site.width;
  return (snap) => BigInt.asUintN(w, BigInt(snap.mems[index]![addr]!)) !== BigInt.asUintN(w, sim.peekMem(site.name, addr));
}

/**
 * A function that sets `bits` of a register/read port (or memory word `addr`) to `value` if they are
 * not already: flip() re-evaluates the logic only when something changed.
 */
export function stuckRewriter(sim: CompiledSim, site: FaultSite, addr: number, bits: readonly number[], value: 0 | 1): () => void {
  const width = site.width;
  if (site.kind === 'memory') {
    const want = bits.map((b) => BigInt(value) << BigInt(b));
    return () => {
      const word = BigInt.asUintN(width, sim.peekMem(site.name, addr));
      const wrong = bits.filter((b, i) => (word & (1n << BigInt(b))) !== want[i]);
      if (wrong.length > 0) sim.flipMem(site.name, addr, wrong);
    };
  }
  const handle = sim.handle(site.name);
  if (width <= 32) {
    return () => {
      const word = handle.get();
      let wrong: number[] | null = null;
      for (const b of bits) if (((word >>> b) & 1) !== value) (wrong ??= []).push(b);
      if (wrong) sim.flip(site.name, wrong);
    };
  }
  return () => {
    const word = BigInt.asUintN(width, handle.getBig());
    const wrong = bits.filter((b) => Number((word >> BigInt(b)) & 1n) !== value);
    if (wrong.length > 0) sim.flip(site.name, wrong);
  };
}
