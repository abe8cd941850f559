// Running programs and compiled models on the accelerator RTL in the compiled cycle-accurate
// simulator (sim/compile). The simulation top is gen/accel/simtop.ts (accelerator + DRAM model); it is
// built and compiled once per configuration, table sizes and fault forces, then every run restores
// its power-on snapshot, loads the memories and steps until `done` or `fault`.
//
// Per-layer cycles (runModelImage): the controller issues instructions in order, so a layer "starts"
// at the first cycle the pc reaches its first instruction. Layer i is charged the cycles from its start
// to the start of layer i+1 (the last layer: to `done`); the input LOAD before the first layer is
// charged to the first layer and the output STORE and HALT to the last. The charges partition the run:
// they sum to the total cycle count. Work that overlaps a boundary is charged by issue position: the
// compiler's prefetch LOADs of later layers' weights sit inside an earlier layer's instruction range
// and run under its GEMMs, and layer i's last POST draining after layer i+1's first instruction issues
// is charged to i+1.
import { build } from '../hdl/dsl/index.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { Design } from '../hdl/ir/index.js';
import type { AccelHardwareConfig, AccelSizes } from '../gen/accel/config.js';
import { memoryNames } from '../gen/accel/buffers.js';
import { encode } from '../gen/accel/isa.js';
import { accelSimTop, ACCEL_INSTANCE, DRAM_MEMORY } from '../gen/accel/simtop.js';
import { COUNTER_NAMES, type CounterName } from '../gen/accel/top.js';
import { compile, type CompiledSim, type Force, type Snapshot } from '../sim/compile/index.js';
import { batchToDram, inputToDram, outputWords, readOutput, type CompiledModel } from './compiler.js';
import { packElements } from './program-layout.js';
import { argmaxLowest } from './golden.js';
import type { ProgramImage } from './interpret.js';

/** A compiled simulation top with its power-on state. */
export interface AccelMachine {
  readonly design: Design;
  readonly sim: CompiledSim;
  readonly powerOn: Snapshot;
}

export interface MachineOptions {
  /** Stuck-at forces compiled into this variant (sim/compile Force, names as in accelSimTop). */
  readonly forces?: readonly Force[];
}

const machines = new Map<string, AccelMachine>();

/** The compiled simulation top of a configuration (built once per configuration, sizes and forces). */
export function accelMachine(config: AccelHardwareConfig, sizes: AccelSizes, options: MachineOptions = {}): AccelMachine {
  const key = JSON.stringify([config, sizes, options.forces ?? []]);
  let mach = machines.get(key);
  if (!mach) {
    const design = build(accelSimTop(config, sizes));
    const sim = compile(design, { forces: options.forces });
    mach = { design, sim, powerOn: sim.snapshot() };
    machines.set(key, mach);
  }
  return mach;
}

/** Hierarchical name of an accelerator signal or memory inside the simulation top. */
export const accelName = (name: string): string => `${ACCEL_INSTANCE}.${name}`;

/** Restore power-on state, load the program, tables and DRAM image, and apply reset. */
export function loadImage(machine: AccelMachine, image: ProgramImage, rawProgram?: readonly bigint[]): void {
  const { sim, powerOn } = machine;
  sim.restore(powerOn);
  (rawProgram ?? image.program.map(encode)).forEach((word, a) => sim.pokeMem(accelName(memoryNames.imem), a, word));
  image.pixmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.pixmem), a, v));
  image.offmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.offmem), a, v));
  image.pmem.forEach((v, a) => sim.pokeMem(accelName(memoryNames.pmem), a, v));
  image.dram.forEach((v, a) => sim.pokeMem(DRAM_MEMORY, a, v));
  sim.reset();
}

/** The accelerator's event counters (gen/accel/top.ts) as numbers. */
export function readCounters(sim: CompiledSim): Record<CounterName, number> {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, Number(sim.peek(accelName(n)))])) as Record<CounterName, number>;
}

/** Counter of the correction unit (only on a machine with one, config protection != none). */
export const LCU_COUNTER = 'cnt_lcu';

/** Rows in which the correction unit saw a protected neuron's copies disagree (0 on a machine without one). */
export function readLcuEvents(sim: CompiledSim): number {
  return sim.registerNames().includes(accelName(LCU_COUNTER)) ? Number(sim.peek(accelName(LCU_COUNTER))) : 0;
}

/** The final state of an RTL run. */
export interface RtlRun {
  readonly cycles: number;
  readonly done: boolean;
  readonly fault: boolean;
  readonly dram: bigint[];
  readonly counters: Record<CounterName, number>;
  readonly sim: CompiledSim;
  /** Per cycle (when `trace` was asked): pc and busy flags. */
  readonly trace?: { pc: number; dma: number; gemm: number; post: number }[];
}

export interface RunOptions {
  /** Stop after this many cycles even without `done` (default 200,000). */
  readonly maxCycles?: number;
  /** Record pc and busy flags every cycle. */
  readonly trace?: boolean;
  /** imem words to load instead of image.program (invalid ones too). */
  readonly rawProgram?: readonly bigint[];
  /** Stuck-at forces (a separately compiled variant). */
  readonly forces?: readonly Force[];
}

/** Load `image` into the simulation top (power-on state first), run until done or fault. */
export function runOnRtl(config: AccelHardwareConfig, sizes: AccelSizes, image: ProgramImage, options: RunOptions = {}): RtlRun {
  const machine = accelMachine(config, sizes, { forces: options.forces });
  const { sim } = machine;
  loadImage(machine, image, options.rawProgram);
  const done = sim.handle('done');
  const fault = sim.handle('fault');
  const max = options.maxCycles ?? 200_000;
  const trace: { pc: number; dma: number; gemm: number; post: number }[] = [];
  let cycles = 0;
  while (cycles < max && done.get() === 0 && fault.get() === 0) {
    if (options.trace) trace.push({ pc: sim.peekNumber('pc'), dma: sim.peekNumber('busy_dma'), gemm: sim.peekNumber('busy_gemm'), post: sim.peekNumber('busy_post') });
    sim.step();
    cycles++;
  }
  const dram = image.dram.map((_, a) => sim.peekMem(DRAM_MEMORY, a));
  return { cycles, done: done.get() === 1, fault: fault.get() === 1, dram, counters: readCounters(sim), sim, trace: options.trace ? trace : undefined };
}

/** E197 when the program uses ring addressing (RING, GEMM ring) and the machine has none (its controller would fault). */
export function checkRingMachine(config: AccelHardwareConfig & { readonly name?: string }, compiled: Pick<CompiledModel, 'program'>): void {
  if (config.ringAddressing) return;
  const at = compiled.program.findIndex((ins) => ins.op === 'RING' || (ins.op === 'GEMM' && ins.ring === 1));
  if (at >= 0) throw new DiagnosticError([msg.ringMachine(config.name ?? 'accelerator', at, compiled.program[at]!.op === 'RING' ? 'RING' : 'a ring GEMM')]);
}

/** One inference of a compiled model on the RTL. */
export interface ImageRun {
  /** The last layer's int8 outputs as left in DRAM. */
  readonly logits: Int8Array;
  /** argmax of logits, lowest index on ties (as accel/golden.ts). */
  readonly predicted: number;
  readonly cycles: number;
  readonly done: boolean;
  readonly fault: boolean;
  /** Cycles charged to each compiled layer (see the header), aligned with compiled.layers. */
  readonly layerCycles: number[];
  readonly counters: Record<CounterName, number>;
  /** cnt_lcu: rows in which the correction unit corrected (or saw) a disagreement; 0 without a unit. */
  readonly lcuEvents: number;
  /** Counter deltas over each layer's charge (aligned with compiled.layers). */
  readonly layerCounters: Record<CounterName, number>[];
}

/** A generous cycle limit for a compiled model: 64 cycles per instruction plus 4 per DRAM word and MAC row. */
export function cycleBudget(compiled: CompiledModel): number {
  return 100_000 + 64 * compiled.program.length + 4 * compiled.dram.length + 4 * compiled.layers.reduce((s, l) => s + l.macs, 0);
}

/**
 * Run one input image (C·H·W int8 elements) through `compiled` on the RTL of `config`; stops at done,
 * fault or `maxCycles` (default cycleBudget). `forces` selects a stuck-at variant of the machine.
 */
export function runModelImage(
  config: AccelHardwareConfig,
  compiled: CompiledModel,
  input: ArrayLike<number>,
  options: { maxCycles?: number; forces?: readonly Force[] } = {},
): ImageRun {
  checkRingMachine(config, compiled);
  const machine = accelMachine(config, compiled.sizes, { forces: options.forces });
  const { sim } = machine;
  const image: ProgramImage = { ...compiled, dram: inputToDram(compiled, input) };
  loadImage(machine, image);
  const done = sim.handle('done');
  const fault = sim.handle('fault');
  const pc = sim.handle('pc');
  const starts = compiled.layers.map((l) => l.firstInstr);
  const startCycle: number[] = [];
  const max = options.maxCycles ?? cycleBudget(compiled);
  let next = 1; // layer 0 starts at cycle 0 (input LOAD charged to it)
  let cycles = 0;
  startCycle.push(0);
  const marks: Record<CounterName, number>[] = [readCounters(sim)];
  while (cycles < max && done.get() === 0 && fault.get() === 0) {
    while (next < starts.length && pc.get() >= starts[next]!) {
      startCycle.push(cycles);
      marks.push(readCounters(sim));
      next++;
    }
    sim.step();
    cycles++;
  }
  while (startCycle.length < starts.length) startCycle.push(cycles);
  const end = readCounters(sim);
  while (marks.length < starts.length) marks.push(end);
  marks.push(end);
  const layerCounters = starts.map((_, i) => Object.fromEntries(COUNTER_NAMES.map((c) => [c, marks[i + 1]![c] - marks[i]![c]])) as Record<CounterName, number>);
  const layerCycles = startCycle.map((s, i) => (i + 1 < startCycle.length ? startCycle[i + 1]! : cycles) - s);
  const out = compiled.outputWord;
  const words = outputWords(compiled);
  const dram: bigint[] = new Array<bigint>(out + words).fill(0n);
  for (let a = out; a < out + words; a++) dram[a] = sim.peekMem(DRAM_MEMORY, a);
  const logits = readOutput(compiled, dram);
  return { logits, predicted: argmaxLowest(logits), cycles, done: done.get() === 1, fault: fault.get() === 1, layerCycles, counters: end, lcuEvents: readLcuEvents(sim), layerCounters };
}

/** One run of a batch program (compile(…, { batch })) on the RTL. */
export interface BatchRun {
  /** Per image of the batch (only the images given): its int8 outputs and argmax. */
  readonly logits: Int8Array[];
  readonly predicted: number[];
  /** Cycles of the whole batch run (reset to done). */
  readonly cycles: number;
  readonly done: boolean;
  readonly fault: boolean;
  /** Whether this run was the resident-weights program on the previous run's wbuf (warm). */
  readonly warm: boolean;
  /** Cycles and counter deltas charged to each layer (runModelImage's rule), and the engines' busy cycles in each charge. */
  readonly layerCycles: number[];
  readonly layerCounters: Record<CounterName, number>[];
  readonly layerBusy: { dma: number; gemm: number; post: number }[];
  readonly counters: Record<CounterName, number>;
}

/**
 * Run a batch of input images (at most compiled.batch; missing ones run as zero images) through
 * `compiled` on the RTL. cold (warm = false): power-on state, the normal program, which LOADs every
 * weight block. warm: the resident-weights program (compiled.resident) on the machine exactly as the
 * previous run of this compiled model left it — its wbuf holds the weights, nothing is restored or
 * poked but imem (the resident program) and the batch's input slots in DRAM — then a reset. A warm
 * run right after another machine used the same simulator would read whatever that left: call it
 * only after a cold or warm run of the same compiled model on the same configuration.
 * Input prefetch (compile(…, { prefetch: true }), CompiledModel.prefetch; warm runs only): with `next` (the
 * next batch's images; fewer: zero images) the run is one of the prefetching resident programs, which LOADs
 * them from the next-input slot during the run — `prefetch.stream` when `inputsOnChip` (the previous run was
 * a prefetching one whose `next` were these `images`: they are on chip already; they are still written to the
 * input slot, which that program does not read), `prefetch.first` otherwise (it LOADs its own inputs too).
 */
export function runBatch(
  config: AccelHardwareConfig,
  compiled: CompiledModel,
  images: readonly ArrayLike<number>[],
  options: { warm?: boolean; maxCycles?: number; forces?: readonly Force[]; next?: readonly ArrayLike<number>[]; inputsOnChip?: boolean } = {},
): BatchRun {
  checkRingMachine(config, compiled);
  const machine = accelMachine(config, compiled.sizes, { forces: options.forces });
  const { sim } = machine;
  const warm = options.warm === true;
  const resident = compiled.resident;
  if (warm && !resident) throw new RangeError('A warm batch run needs a compiled model with a resident-weights program (compile(…, { resident: true }) on a configuration whose wbuf holds every weight block)');
  const prefetching = warm && options.next !== undefined;
  if (prefetching && !compiled.prefetch) throw new RangeError('A run with `next` inputs needs a compiled model with input prefetch (compile(…, { resident: true, prefetch: true }) where CompiledModel.prefetch is present)');
  if (options.inputsOnChip && !prefetching) throw new RangeError('`inputsOnChip` needs a warm run with `next` inputs (the prefetching stream program)');
  const chosen = prefetching ? (options.inputsOnChip ? compiled.prefetch!.stream : compiled.prefetch!.first) : warm ? resident! : null;
  const program = chosen ? chosen.program : compiled.program;
  const layersOf = chosen ? chosen.layers : compiled.layers;
  const batchSize = compiled.batch ?? 1;
  const stride = (compiled.inputStride ?? compiled.inputCount) / compiled.geometry.elemsPerWord;
  // The next batch's inputs in the prefetch slot (zero images where absent).
  const nextWords = (): [number, bigint][] =>
    prefetching
      ? Array.from({ length: batchSize }, (_, b) => packElements(options.next?.[b] ?? new Int8Array(compiled.inputCount), compiled.geometry).map((w, i): [number, bigint] => [compiled.prefetch!.nextInputWord + b * stride + i, w])).flat()
      : [];
  if (!warm) loadImage(machine, { ...compiled, dram: batchToDram(compiled, images) });
  else {
    for (const [a, w] of nextWords()) sim.pokeMem(DRAM_MEMORY, a, w);
    program.forEach((ins, a) => sim.pokeMem(accelName(memoryNames.imem), a, encode(ins)));
    for (let b = 0; b < batchSize; b++) {
      const words = packElements(b < images.length ? images[b]! : new Int8Array(compiled.inputCount), compiled.geometry);
      words.forEach((w, i) => sim.pokeMem(DRAM_MEMORY, compiled.inputWord + b * stride + i, w));
    }
    sim.reset();
  }
  const [done, fault, pc, dma, gemm, post] = (['done', 'fault', 'pc', 'busy_dma', 'busy_gemm', 'busy_post'] as const).map((n) => sim.handle(n));
  const starts = layersOf.map((l) => l.firstInstr);
  const n = starts.length;
  const layerCycles = new Array<number>(n).fill(0);
  const layerBusy = Array.from({ length: n }, () => ({ dma: 0, gemm: 0, post: 0 }));
  const marks: Record<CounterName, number>[] = [readCounters(sim)];
  const max = options.maxCycles ?? cycleBudget(compiled) * (compiled.batch ?? 1);
  let layer = 0;
  let cycles = 0;
  while (cycles < max && done!.get() === 0 && fault!.get() === 0) {
    while (layer + 1 < n && pc!.get() >= starts[layer + 1]!) {
      marks.push(readCounters(sim));
      layer++;
    }
    const busy = layerBusy[layer]!;
    busy.dma += dma!.get();
    busy.gemm += gemm!.get();
    busy.post += post!.get();
    sim.step();
    layerCycles[layer]!++;
    cycles++;
  }
  const end = readCounters(sim);
  while (marks.length <= n) marks.push(end);
  const layerCounters = marks.slice(1).map((e, i) => Object.fromEntries(COUNTER_NAMES.map((c) => [c, e[c] - marks[i]![c]])) as Record<CounterName, number>);
  const out = compiled.outputWord;
  const dram: bigint[] = new Array<bigint>(out + outputWords(compiled)).fill(0n);
  for (let a = out; a < dram.length; a++) dram[a] = sim.peekMem(DRAM_MEMORY, a);
  const logits = images.map((_, b) => readOutput(compiled, dram, b));
  return { logits, predicted: logits.map(argmaxLowest), cycles, done: done!.get() === 1, fault: fault!.get() === 1, warm, layerCycles, layerCounters, layerBusy, counters: end };
}
