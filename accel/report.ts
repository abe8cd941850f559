// The inference report of `splitfuse run` (and `npm run demo`): a quantized model compiled for one
// accelerator configuration runs digit by digit on the RTL in the compiled simulator (accel/run.ts
// runModelImage); every run's logits are checked bit for bit against the golden model (accel/golden.ts),
// and the run's cycles and event counters become accuracy, timing, utilisation, DRAM traffic and an
// energy estimate (DESIGN.md §10, accel/energy.ts). Definitions (also in docs/accelerator.md):
//
//   layer cycles   the charges of runModelImage: the cycles from the layer's first instruction issue to
//                  the next layer's (input LOAD in the first layer, output STORE and HALT in the last);
//                  they sum to the cycles of the run.
//   idealCycles    ceil(MACs / (R·C)) with the layer's exact (unpadded) MACs: a perfectly used array.
//   utilization    idealCycles / cycles per layer; for the model Σ MACs / (R·C · cycles per image);
//                  conv-only: the same over the conv layers' MACs and charges.
//   dramBytes      DRAM words read and written (cnt_dram_rd/wr) × bytes per DRAM word (dramBytesPerCycle).
//   energy         estimateEnergy of the counters: cnt_macs (padding included: the array computes those
//                  products too), the three buffers with the words their counters count, DRAM bytes
//                  and requantizations, priced by a technology table (default HOROWITZ_45NM). An estimate.
//
// The schedule is data-independent (the program has no data-dependent branches), so every image takes
// the same cycles; the report still gives the mean, minimum and maximum. The per-layer event counts
// and engine busy cycles come from one extra profiled run of the first image (the same charging rule).
import { abufBankCount, type AccelHardwareConfig, type AccelSizes } from '../gen/accel/config.js';
import { accelTop, COUNTER_NAMES, type CounterName } from '../gen/accel/top.js';
import { build } from '../hdl/dsl/index.js';
import type { Module } from '../hdl/ir/index.js';
import type { Force, SignalHandle } from '../sim/compile/index.js';
import { inputToDram, compile, type CompiledModel } from './compiler.js';
import { estimateEnergy, HOROWITZ_45NM, type EnergyEvents, type EnergyTable } from './energy.js';
import { modelMacs, runGolden } from './golden.js';
import { UNLABELLED } from './inputs.js';
import type { Int8Digit } from './mnist.js';
import type { Model } from './model.js';
import { accelMachine, loadImage, readCounters, runBatch, runModelImage, type ImageRun } from './run.js';

/** A configuration as the report needs it: the hardware fields, a name and the clock (accel/config.ts AccelConfig fits). */
export type ReportConfig = AccelHardwareConfig & { readonly name: string; readonly clockMHz: number };

export type Counts = Record<CounterName, number>;

export interface RunModelOptions {
  readonly model: Model;
  readonly config: ReportConfig;
  /** The labelled int8 digits to run (accel/mnist.ts testImages). At least one. */
  readonly images: readonly Int8Digit[];
  /** Energy costs (default HOROWITZ_45NM). */
  readonly energyTable?: EnergyTable;
  /** Called after each image with its index in `images` and its RTL run (a progress bar). */
  readonly onImage?: (index: number, run: ImageRun) => void;
  /** Stuck-at forces (accel/run.ts; a separately compiled variant of the machine): a faulty accelerator. */
  readonly forces?: readonly Force[];
  /**
   * Measure the engines' busy cycles per layer with one extra profiled run of the first image (default true).
   * false: busy cycles are 0 and the per-layer counters come from the first image's own run (a long model
   * such as the VGG-16 prefix then runs once, not twice).
   */
  readonly profile?: boolean;
  /**
   * Run the images in batches of this many (compile(…, { batch }), accel/run.ts runBatch) with the weights
   * resident on chip across batches where they fit: the first batch LOADs them, every later one runs the
   * resident program on the wbuf the previous batch left. Absent: one image per run, every run from
   * power-on (weights reloaded each time).
   */
  readonly batch?: number;
  /**
   * With batch: prefetch each batch's inputs during the previous one (compile(…, { prefetch }), default true),
   * where the model and buffers allow it (BatchReport.prefetch says whether they did).
   */
  readonly prefetch?: boolean;
}

/** How a batched run went (ModelReport.batch). */
export interface BatchReport {
  /** Images per run, and runs (the last one may be short). */
  readonly size: number;
  readonly runs: number;
  /** Whether the batches after the first ran on resident weights (false: the wbuf cannot hold them all). */
  readonly residentWeights: boolean;
  /** Whether warm runs prefetched the next batch's inputs (input prefetch: needs a third batch to reach the stream program). */
  readonly prefetch: boolean;
  /** The last full batch (warm when residentWeights; the steady state of a deployment), per image. */
  readonly steady: { readonly cyclesPerImage: number; readonly dramBytes: { readonly read: number; readonly written: number }; readonly warm: boolean };
  /** The first (cold) batch per image. */
  readonly cold: { readonly cyclesPerImage: number; readonly dramBytes: { readonly read: number; readonly written: number } };
}

/** Cycles the engines were busy during a layer's charge (they overlap, so these may sum past the charge). */
export interface BusyCycles {
  readonly dma: number;
  readonly gemm: number;
  readonly post: number;
}

export interface LayerReport {
  /** Compiled layer name (a conv with its pool fused into POST names the pool in `fused`). */
  readonly name: string;
  readonly fused?: string;
  /** Exact multiply-accumulates of one inference (no padding). */
  readonly macs: number;
  /** Cycles charged to the layer per image (mean over the images). */
  readonly cycles: number;
  /** ceil(macs / (R·C)). */
  readonly idealCycles: number;
  /** idealCycles / cycles. */
  readonly utilization: number;
  /** Event counts during the layer's charge (first image). */
  readonly counters: Counts;
  /** Engine busy cycles during the layer's charge (first image; 0 without the profiled run). */
  readonly busy: BusyCycles;
  /** DRAM traffic during the layer's charge (first image): cnt_dram_rd / cnt_dram_wr × bytes per word. */
  readonly dramBytes: { readonly read: number; readonly written: number };
  /** Energy estimate of the layer's charge (first image), pJ. */
  readonly energyPJ: number;
}

/** Why an image failed the golden check: a differing logit, or a run that did not reach HALT. */
export type GoldenMismatch =
  | { readonly image: number; readonly reason: 'logits'; readonly output: number; readonly rtl: number; readonly golden: number }
  | { readonly image: number; readonly reason: 'fault' | 'no done'; readonly cycles: number };

export interface ModelReport {
  readonly model: string;
  readonly config: string;
  /** Array rows R and columns C; pes = R·C. */
  readonly rows: number;
  readonly cols: number;
  readonly pes: number;
  readonly clockMHz: number;
  readonly images: number;
  /** false: the inputs have no labels (--random-inputs), correct and accuracy are 0 and mean nothing. */
  readonly labelled: boolean;
  /** Images whose RTL class (argmax of the RTL logits, lowest index on ties) equals the label. */
  readonly correct: number;
  readonly accuracy: number;
  /** Images whose RTL logits differ from the golden model's (or whose run did not finish). */
  readonly goldenMismatches: number;
  readonly firstMismatch: GoldenMismatch | null;
  /** Mean cycles per image, and the extremes. */
  readonly cyclesPerImage: number;
  readonly cyclesMin: number;
  readonly cyclesMax: number;
  readonly totalCycles: number;
  /** cyclesPerImage / clockMHz. */
  readonly timeUsPerImage: number;
  /** Exact MACs of one inference, and what the array counted (cnt_macs, padding included). */
  readonly macs: number;
  readonly arrayMacs: number;
  readonly utilization: number;
  /** Utilisation over the conv layers only (null when the model has none). */
  readonly convUtilization: number | null;
  readonly layers: LayerReport[];
  /** Event counters per image (mean over the images). */
  readonly counters: Counts;
  /** DRAM traffic per image. */
  readonly dramBytes: { readonly read: number; readonly written: number; readonly total: number };
  /** Energy per image, pJ (an estimate). */
  readonly energyPJ: number;
  readonly energy: { readonly table: string; readonly components: Readonly<Record<string, number>>; readonly estimate: true; readonly estimates: readonly string[] };
  /** Compiled-simulator speed over the image runs (machine build excluded). */
  readonly simulator: { readonly seconds: number; readonly cyclesPerSecond: number; readonly buildSeconds: number };
  /** Present with options.batch: the per-layer figures and counters then come from the steady batch, per image. */
  readonly batch?: BatchReport;
}

const zeroCounts = (): Counts => Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Counts;

/**
 * The energy events of a run from its counters. A counted word: a wbuf row of C operands, one
 * activation element, an accumulator row of C accWidth-bit words (gen/accel/top.ts). Buffer sizes are
 * the configuration's, except that an activation read or write hits one of the two activation buffers
 * (abuf0/abuf1), each half of activationBufferBytes, and with activationLayout 'banked' one bank of it (a
 * memory of 1/NB of that size, gen/accel/abuf-banks.ts).
 */
const abufBanksOf = (config: AccelHardwareConfig): number => (config.activationLayout === 'banked' ? abufBankCount(config.rows) : 1);

export function energyEvents(config: AccelHardwareConfig, counters: Counts): EnergyEvents {
  const bits = config.dtype === 'int16' ? 16 : 8;
  return {
    macs: counters.cnt_macs,
    dtype: config.dtype,
    accWidth: config.accWidth,
    buffers: [
      { name: 'wbuf', bytes: config.weightBufferBytes, wordBits: config.cols * bits, reads: counters.cnt_wbuf_rd, writes: counters.cnt_wbuf_wr },
      { name: 'abuf', bytes: config.activationBufferBytes / 2 / abufBanksOf(config), wordBits: bits, reads: counters.cnt_abuf_rd, writes: counters.cnt_abuf_wr },
      { name: 'acc', bytes: config.accumulatorBufferBytes, wordBits: config.cols * config.accWidth, reads: counters.cnt_acc_rd, writes: counters.cnt_acc_wr },
    ],
    dramBytes: (counters.cnt_dram_rd + counters.cnt_dram_wr) * config.dramBytesPerCycle,
    requants: counters.cnt_requant,
  };
}

/** Per-layer counter deltas and busy cycles of one run, charged like runModelImage's layerCycles. */
export interface LayerProfile {
  readonly cycles: number[];
  readonly counters: Counts[];
  readonly busy: BusyCycles[];
}

/** Run `input` once, sampling the counters at every layer start and the engines' busy flags every cycle. */
export function profileLayers(
  config: AccelHardwareConfig,
  compiled: CompiledModel,
  input: ArrayLike<number>,
  options: { maxCycles: number; forces?: readonly Force[] },
): LayerProfile {
  const machine = accelMachine(config, compiled.sizes, { forces: options.forces });
  const { sim } = machine;
  loadImage(machine, { ...compiled, dram: inputToDram(compiled, input) });
  const [done, fault, pc, dma, gemm, post] = (['done', 'fault', 'pc', 'busy_dma', 'busy_gemm', 'busy_post'] as const).map((n) => sim.handle(n)) as [SignalHandle, SignalHandle, SignalHandle, SignalHandle, SignalHandle, SignalHandle];
  const starts = compiled.layers.map((l) => l.firstInstr);
  const n = starts.length;
  const cycles = new Array<number>(n).fill(0);
  const busy = Array.from({ length: n }, () => ({ dma: 0, gemm: 0, post: 0 }));
  const marks: Counts[] = [readCounters(sim)];
  let layer = 0;
  let t = 0;
  while (t < options.maxCycles && done.get() === 0 && fault.get() === 0) {
    while (layer + 1 < n && pc.get() >= starts[layer + 1]!) {
      marks.push(readCounters(sim));
      layer++;
    }
    const b = busy[layer]!;
    b.dma += dma.get();
    b.gemm += gemm.get();
    b.post += post.get();
    sim.step();
    cycles[layer]!++;
    t++;
  }
  while (marks.length <= n) marks.push(readCounters(sim));
  const counters = marks.slice(1).map((end, i) => Object.fromEntries(COUNTER_NAMES.map((c) => [c, end[c] - marks[i]![c]])) as Counts);
  return { cycles, counters, busy };
}

/** Run every image on the RTL, check it against the golden model and summarise (see the header). */
export function runModel(options: RunModelOptions): ModelReport {
  const { model, config, images } = options;
  if (images.length === 0) throw new RangeError('runModel needs at least one image, not 0');
  const table = options.energyTable ?? HOROWITZ_45NM;
  const pes = config.rows * config.cols;
  const compiled = compile(model, config, options.batch !== undefined ? { batch: options.batch, resident: true, prefetch: options.prefetch ?? true } : {});
  const buildStart = performance.now();
  accelMachine(config, compiled.sizes, { forces: options.forces });
  const buildSeconds = (performance.now() - buildStart) / 1000;

  const layerCycleSums = new Array<number>(compiled.layers.length).fill(0);
  const counterSums = zeroCounts();
  let correct = 0;
  let goldenMismatches = 0;
  let firstMismatch: GoldenMismatch | null = null;
  let totalCycles = 0;
  let cyclesMin = Number.POSITIVE_INFINITY;
  let cyclesMax = 0;
  let seconds = 0;
  let firstLayerCounters: Counts[] = [];
  let batchReport: BatchReport | undefined;
  let batchProfile: LayerProfile | undefined;
  if (options.batch !== undefined) {
    const B = compiled.batch ?? 1;
    const bytes = (c: Counts, k: number): { read: number; written: number } => ({ read: (c.cnt_dram_rd * config.dramBytesPerCycle) / k, written: (c.cnt_dram_wr * config.dramBytesPerCycle) / k });
    const resident = compiled.resident !== undefined;
    let runs = 0;
    let usedPrefetch = false;
    let steady: BatchReport['steady'] | undefined;
    let cold: BatchReport['cold'] | undefined;
    for (let first = 0; first < images.length; first += B, runs++) {
      const batch = images.slice(first, first + B);
      const started = performance.now();
      // Input prefetch: a warm run LOADs the next batch's inputs when there is one (and, after a prefetching run, also
      // when there is none: the stream's steady state); from the second warm run on its own inputs are on chip.
      const warmRun = resident && first > 0;
      const prefetched = first > B; // the previous run was a warm one, which had this batch as its next
      const stream = warmRun && compiled.prefetch && (first + B < images.length || prefetched) ? { next: images.slice(first + B, first + 2 * B).map((d) => d.image), inputsOnChip: prefetched } : {};
      if ('next' in stream) usedPrefetch = true;
      const run = runBatch(config, compiled, batch.map((d) => d.image), { warm: warmRun, forces: options.forces, ...stream });
      seconds += (performance.now() - started) / 1000;
      const k = batch.length;
      batch.forEach((digit, b) => {
        const index = first + b;
        const golden = runGolden(model, digit.image, { accWidth: config.accWidth });
        const logits = run.logits[b]!;
        let mismatch: GoldenMismatch | null = null;
        if (run.fault || !run.done) mismatch = { image: index, reason: run.fault ? 'fault' : 'no done', cycles: run.cycles };
        else {
          const output = golden.logits.findIndex((g, o) => logits[o] !== g);
          if (output >= 0) mismatch = { image: index, reason: 'logits', output, rtl: logits[output]!, golden: golden.logits[output]! };
        }
        if (mismatch) {
          goldenMismatches++;
          firstMismatch ??= mismatch;
        }
        if (run.predicted[b] === digit.label) correct++;
        options.onImage?.(index, { logits, predicted: run.predicted[b]!, cycles: run.cycles / k, done: run.done, fault: run.fault, layerCycles: run.layerCycles.map((c) => c / k), counters: run.counters, lcuEvents: 0, layerCounters: run.layerCounters });
      });
      totalCycles += run.cycles;
      cyclesMin = Math.min(cyclesMin, run.cycles / k);
      cyclesMax = Math.max(cyclesMax, run.cycles / k);
      run.layerCycles.forEach((c, i) => (layerCycleSums[i]! += c));
      for (const c of COUNTER_NAMES) counterSums[c] += run.counters[c];
      if (first === 0) cold = { cyclesPerImage: run.cycles / k, dramBytes: bytes(run.counters, k) };
      if (k === B || !steady) {
        steady = { cyclesPerImage: run.cycles / k, dramBytes: bytes(run.counters, k), warm: run.warm };
        const per = (c: Counts): Counts => Object.fromEntries(COUNTER_NAMES.map((n) => [n, c[n] / k])) as Counts;
        batchProfile = { cycles: run.layerCycles.map((c) => c / k), counters: run.layerCounters.map(per), busy: run.layerBusy.map((u) => ({ dma: u.dma / k, gemm: u.gemm / k, post: u.post / k })) };
      }
    }
    batchReport = { size: B, runs, residentWeights: resident, prefetch: usedPrefetch, steady: steady!, cold: cold! };
  } else images.forEach((digit, index) => {
    const started = performance.now();
    const run = runModelImage(config, compiled, digit.image, { forces: options.forces });
    seconds += (performance.now() - started) / 1000;
    const golden = runGolden(model, digit.image, { accWidth: config.accWidth });
    let mismatch: GoldenMismatch | null = null;
    if (run.fault || !run.done) mismatch = { image: index, reason: run.fault ? 'fault' : 'no done', cycles: run.cycles };
    else {
      const output = golden.logits.findIndex((g, k) => run.logits[k] !== g);
      if (output >= 0) mismatch = { image: index, reason: 'logits', output, rtl: run.logits[output]!, golden: golden.logits[output]! };
    }
    if (mismatch) {
      goldenMismatches++;
      firstMismatch ??= mismatch;
    }
    if (run.predicted === digit.label) correct++;
    totalCycles += run.cycles;
    cyclesMin = Math.min(cyclesMin, run.cycles);
    cyclesMax = Math.max(cyclesMax, run.cycles);
    run.layerCycles.forEach((c, i) => (layerCycleSums[i]! += c));
    if (index === 0) firstLayerCounters = run.layerCounters;
    for (const c of COUNTER_NAMES) counterSums[c] += run.counters[c];
    options.onImage?.(index, run);
  });

  const n = images.length;
  const profile: LayerProfile = batchProfile
    ? batchProfile
    : options.profile === false
      ? { cycles: [], counters: firstLayerCounters, busy: compiled.layers.map(() => ({ dma: 0, gemm: 0, post: 0 })) }
      : profileLayers(config, compiled, images[0]!.image, { maxCycles: cyclesMax, forces: options.forces });
  const bytesPerWord = compiled.geometry.wordBits / 8;
  const layers: LayerReport[] = compiled.layers.map((l, i) => {
    const cycles = layerCycleSums[i]! / n;
    const idealCycles = Math.ceil(l.macs / pes);
    return {
      name: l.name,
      ...(l.fused !== undefined ? { fused: l.fused } : {}),
      macs: l.macs,
      cycles,
      idealCycles,
      utilization: cycles > 0 ? idealCycles / cycles : 0,
      counters: profile.counters[i]!,
      busy: profile.busy[i]!,
      dramBytes: { read: profile.counters[i]!.cnt_dram_rd * bytesPerWord, written: profile.counters[i]!.cnt_dram_wr * bytesPerWord },
      energyPJ: estimateEnergy(energyEvents(config, profile.counters[i]!), table).totalPJ,
    };
  });
  const counters = Object.fromEntries(COUNTER_NAMES.map((c) => [c, counterSums[c] / n])) as Counts;
  const cyclesPerImage = totalCycles / n;
  const macs = modelMacs(model);
  const convNames = new Set(model.layers.filter((l) => l.kind === 'conv2d').map((l) => l.name));
  const conv = layers.filter((l) => convNames.has(l.name));
  const convCycles = conv.reduce((s, l) => s + l.cycles, 0);
  const totalEnergy = estimateEnergy(energyEvents(config, counterSums), table);
  const read = counters.cnt_dram_rd * bytesPerWord;
  const written = counters.cnt_dram_wr * bytesPerWord;
  return {
    model: model.name,
    config: config.name,
    rows: config.rows,
    cols: config.cols,
    pes,
    clockMHz: config.clockMHz,
    images: n,
    labelled: images.every((d) => d.label !== UNLABELLED),
    correct,
    accuracy: correct / n,
    goldenMismatches,
    firstMismatch,
    cyclesPerImage,
    cyclesMin,
    cyclesMax,
    totalCycles,
    timeUsPerImage: cyclesPerImage / config.clockMHz,
    macs,
    arrayMacs: counters.cnt_macs,
    utilization: macs / (pes * cyclesPerImage),
    convUtilization: conv.length > 0 && convCycles > 0 ? conv.reduce((s, l) => s + l.macs, 0) / (pes * convCycles) : null,
    layers,
    counters,
    dramBytes: { read, written, total: read + written },
    energyPJ: totalEnergy.totalPJ / n,
    energy: {
      table: totalEnergy.table,
      components: Object.fromEntries(Object.entries(totalEnergy.components).map(([k, v]) => [k, v / n])),
      estimate: true,
      estimates: totalEnergy.estimates,
    },
    simulator: { seconds, cyclesPerSecond: seconds > 0 ? totalCycles / seconds : Number.POSITIVE_INFINITY, buildSeconds },
    ...(batchReport ? { batch: batchReport } : {}),
  };
}

/** On-chip memory bits of the accelerator (every DSL memory of accelTop: word width × depth), by kind. */
export interface OnChipBits {
  /** Weight, activation and accumulator buffers (all banks and copies). */
  readonly wbuf: number;
  readonly abuf: number;
  readonly accbuf: number;
  /** Program tables: imem, pixmem, offmem, pmem (their depths come from `sizes`, i.e. the program). */
  readonly tables: number;
  readonly total: number;
}

/** Count the memory bits of the accelerator top built for `config` and `sizes` (the generated RTL, not a formula). */
export function onChipBits(config: AccelHardwareConfig, sizes: AccelSizes): OnChipBits {
  const design = build(accelTop(config, sizes));
  const byName = new Map(design.modules.map((mod) => [mod.name, mod]));
  const sums = { wbuf: 0, abuf: 0, accbuf: 0, tables: 0 };
  const visit = (mod: Module): void => {
    for (const mem of mod.mems) {
      const kind = /^(wbuf|abuf|accbuf)/.exec(mem.name)?.[1] as 'wbuf' | 'abuf' | 'accbuf' | undefined;
      sums[kind ?? 'tables'] += mem.shape.width * mem.depth;
    }
    for (const inst of mod.instances) visit(byName.get(inst.module)!);
  };
  visit(byName.get(design.top)!);
  return { ...sums, total: sums.wbuf + sums.abuf + sums.accbuf + sums.tables };
}
