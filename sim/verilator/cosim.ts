// Co-simulation (DESIGN.md §4): the same design and the same stimulus through a TypeScript simulator
// (the compiled one, or the reference interpreter) and through Verilator running the emitted
// Verilog; every output is compared every cycle (and, on request, every register through
// Verilator's VCD trace), and the first divergence is reported with cycle, signal, expected (the
// TypeScript value) and actual (the Verilator value). Many designs share one Verilator build
// (./wrapper.ts), which is what makes hundreds of random designs affordable.
import type { Design, Shape } from '../../hdl/ir/index.js';
import { fromBits, toBits } from '../../hdl/ir/index.js';
import type { VerilogFile } from '../../hdl/verilog.js';
import { compile } from '../compile/index.js';
import { ReferenceSim } from '../reference.js';
import type { Simulator } from '../types.js';
import { buildModel, runModel, VerilatorBuildError } from './build.js';
import { decodeOutputs, encodeStimulus } from './harness.js';
import { defaultToolchain, type Toolchain } from './locate.js';
import { randomInputs, stimulusRows, type Stimulus } from './stimulus.js';
import { sampleVcd } from './vcd.js';
import { wrapDesigns, type WrappedDesign, type Wrapper } from './wrapper.js';

export type TsSimulatorKind = 'compiled' | 'reference';

export interface CosimOptions {
  /** Cycles to simulate (default: the stimulus length, else 100). */
  readonly cycles?: number;
  /** Seed of the random stimulus used when none is given (default 1). */
  readonly seed?: number;
  /** Inputs per cycle ('rst' included); default: randomInputs(design, cycles, seed). */
  readonly stimulus?: Stimulus;
  /** Also compare every register and memory read port, read from Verilator's VCD trace. */
  readonly compareRegisters?: boolean;
  /** The TypeScript simulator: the compiled one (default) or the reference interpreter. */
  readonly sim?: TsSimulatorKind;
  readonly toolchain?: Toolchain;
  readonly cacheDir?: string;
  /** Parallel C++ compile jobs (default: number of cores). */
  readonly jobs?: number;
  /**
   * C++ optimisation of the Verilated model (make's OPT_FAST). Default -O0: co-simulations run few
   * cycles, and at -O0 g++ compiles a batch about 2.5x faster than at Verilator's default -Os.
   * Verilator's own -O3 applies either way.
   */
  readonly cxxOptimize?: string;
  readonly log?: (line: string) => void;
  /** TEST-ONLY: rewrite the emitted Verilog before Verilator sees it (wrapper.ts). */
  readonly testOnlyPatchVerilog?: (files: VerilogFile[], designIndex: number) => VerilogFile[];
}

export interface CosimCase {
  readonly design: Design;
  readonly stimulus?: Stimulus;
  readonly cycles?: number;
  readonly seed?: number;
}

export interface BatchOptions extends Omit<CosimOptions, 'stimulus' | 'cycles' | 'seed'> {
  /** Default cycles and seed of cases that give none. */
  readonly cycles?: number;
  readonly seed?: number;
  /** Designs per Verilator build (default 100). */
  readonly designsPerBuild?: number;
  /** Designs per build that may be set aside as rejected by Verilator before the batch fails (default 20). */
  readonly maxIsolatedDesigns?: number;
}

export interface Mismatch {
  readonly cycle: number;
  /** Output port name, or hierarchical register name. */
  readonly signal: string;
  /** The TypeScript simulator's value (read with the signal's signedness). */
  readonly expected: bigint;
  /** Verilator's value (read with the signal's signedness). */
  readonly actual: bigint;
}

export interface CosimResult {
  /** Top module of the design. */
  readonly design: string;
  readonly cycles: number;
  /** Number of (cycle, signal) pairs that differ. */
  readonly mismatches: number;
  readonly firstMismatch?: Mismatch;
  /** The Verilator used, e.g. "Verilator 5.006". */
  readonly simulator: string;
  readonly tsSimulator: TsSimulatorKind;
  /** Seconds the (shared) Verilator build took, also when it came from the cache. */
  readonly buildSeconds: number;
  /** The Verilator build was reused from the cache. */
  readonly cached: boolean;
  /** Designs that shared the Verilator build. */
  readonly designsInBuild: number;
  /** Registers compared per cycle (0 without compareRegisters). */
  readonly registersCompared: number;
  /** Registers of the design that the VCD trace does not hold (not compared). */
  readonly missingRegisters: readonly string[];
  /** The cache entry of the build (sources, harness, log); for a rejected design, the failed build. */
  readonly buildDir: string;
  /** Set when Verilator rejected the design's Verilog (batch mode): its diagnostics. Nothing was compared. */
  readonly error?: string;
}

/** One line for a test failure or the CLI: where and how the simulators first disagree. */
export function describeMismatch(r: CosimResult): string {
  if (r.error !== undefined) return `${r.design}: ${r.error}`;
  const m = r.firstMismatch;
  if (!m) return `${r.design}: ${r.simulator} and the ${r.tsSimulator} TypeScript simulator agree on ${r.cycles} cycles`;
  return (
    `${r.design}: first mismatch at cycle ${m.cycle} on '${m.signal}': expected ${m.expected} (${r.tsSimulator} TypeScript simulator), ` +
    `actual ${m.actual} (${r.simulator}); ${r.mismatches} mismatching value${r.mismatches === 1 ? '' : 's'} in ${r.cycles} cycles`
  );
}

type SimFactory = (design: Design) => Simulator;

function simFactory(kind: TsSimulatorKind): { kind: TsSimulatorKind; make: SimFactory } {
  return kind === 'compiled' ? { kind, make: (d) => compile(d) } : { kind, make: (d) => new ReferenceSim(d) };
}

/** Co-simulate one design. */
export async function cosim(design: Design, options: CosimOptions = {}): Promise<CosimResult> {
  const { stimulus, cycles, seed, ...rest } = options;
  const c: CosimCase = { design, ...(stimulus ? { stimulus } : {}), ...(cycles !== undefined ? { cycles } : {}), ...(seed !== undefined ? { seed } : {}) };
  const [result] = await cosimBatch([c], rest);
  return result!;
}

/**
 * Co-simulate many designs, `designsPerBuild` of them per Verilator build; results in case order.
 * When Verilator rejects the Verilog of some designs, those get an `error` result and the others are
 * built again without them (up to `maxIsolatedDesigns` per build), so that one bad design does not
 * hide the verdict on the rest.
 */
export async function cosimBatch(cases: readonly CosimCase[], options: BatchOptions = {}): Promise<CosimResult[]> {
  const toolchain = options.toolchain ?? (await defaultToolchain());
  const ts = simFactory(options.sim ?? 'compiled');
  const perBuild = Math.max(1, options.designsPerBuild ?? 100);
  const results: CosimResult[] = [];
  for (let start = 0; start < cases.length; start += perBuild) {
    const indices = cases.slice(start, start + perBuild).map((_, i) => start + i);
    results.push(...(await cosimChunk(cases, indices, options, toolchain, ts)));
  }
  return results;
}

/** Whether a co-simulation found the simulators in full agreement. */
export function cosimPassed(r: CosimResult): boolean {
  return r.error === undefined && r.mismatches === 0 && r.missingRegisters.length === 0;
}

interface Prepared {
  readonly index: number;
  readonly wrapped: WrappedDesign;
  readonly cycles: number;
  readonly rows: bigint[][];
  /** Offset of this design's outputs in a harness output row. */
  readonly outputOffset: number;
}

type Ts = { kind: TsSimulatorKind; make: SimFactory };

/** The lines of a Verilator log that concern one file, each with the source excerpt that follows it. */
function linesAbout(log: string, files: readonly string[]): string {
  const lines = log.split('\n');
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (/^%(Error|Warning)/.test(l) && files.some((f) => l.includes(`${f}:`))) {
      out.push(l);
      for (let j = i + 1; j < lines.length && j <= i + 4 && !/^%/.test(lines[j]!); j++) out.push(lines[j]!);
    }
  });
  return out.join('\n');
}

async function cosimChunk(cases: readonly CosimCase[], indices: readonly number[], options: BatchOptions, toolchain: Toolchain, ts: Ts): Promise<CosimResult[]> {
  const failed = new Map<number, CosimResult>();
  let active = [...indices];
  const limit = options.maxIsolatedDesigns ?? 20;
  while (active.length > 0) {
    const patch = options.testOnlyPatchVerilog;
    const current = active;
    const wrapper = wrapDesigns(
      current.map((i) => cases[i]!.design),
      patch ? { testOnlyPatchVerilog: (files, k) => patch(files, current[k]!) } : {},
    );
    try {
      const done = await runWrapped(wrapper, current, cases, options, toolchain, ts);
      const byIndex = new Map(done.map((r, k) => [current[k]!, r]));
      return indices.map((i) => byIndex.get(i) ?? failed.get(i)!);
    } catch (err) {
      if (!(err instanceof VerilatorBuildError) || indices.length === 1) throw err;
      const culprits = new Set(err.files.flatMap((f) => (wrapper.fileDesign.has(f) ? [wrapper.fileDesign.get(f)!] : [])));
      if (culprits.size === 0 || failed.size + culprits.size > limit) throw err;
      for (const k of culprits) {
        const index = current[k]!;
        const files = wrapper.sources.filter((s) => wrapper.fileDesign.get(s.fileName) === k).map((s) => s.fileName);
        failed.set(index, {
          design: cases[index]!.design.top,
          cycles: 0,
          mismatches: 0,
          simulator: toolchain.version,
          tsSimulator: ts.kind,
          buildSeconds: 0,
          cached: false,
          designsInBuild: 0,
          registersCompared: 0,
          missingRegisters: [],
          buildDir: err.dir,
          error: `${toolchain.version} rejects the emitted Verilog:\n${linesAbout(err.log, files)}`,
        });
        options.log?.(`verilator: design ${index} (${cases[index]!.design.top}) rejected; building the others without it`);
      }
      active = active.filter((_, k) => !culprits.has(k));
    }
  }
  return indices.map((i) => failed.get(i)!);
}

async function runWrapped(
  wrapper: Wrapper,
  indices: readonly number[],
  cases: readonly CosimCase[],
  options: BatchOptions,
  toolchain: Toolchain,
  ts: Ts,
): Promise<CosimResult[]> {
  const compareRegisters = options.compareRegisters ?? false;
  let outputOffset = 0;
  const prepared: Prepared[] = indices.map((index, k) => {
    const c = cases[index]!;
    const wrapped = wrapper.designs[k]!;
    const cycles = c.cycles ?? c.stimulus?.length ?? options.cycles ?? 100;
    const stimulus = c.stimulus ?? randomInputs(c.design, cycles, c.seed ?? options.seed ?? 1);
    const rows = stimulusRows(stimulus, cycles, wrapped.inputs, c.design.top);
    const p = { index, wrapped, cycles, rows, outputOffset };
    outputOffset += wrapped.outputs.length;
    return p;
  });

  // All designs run for the longest stimulus; shorter ones hold their last inputs (and are not compared).
  const total = Math.max(...prepared.map((p) => p.cycles));
  const harnessRows: bigint[][] = [];
  for (let t = 0; t < total; t++) {
    harnessRows.push(prepared.flatMap((p) => p.rows[Math.min(t, p.cycles - 1)] ?? p.wrapped.inputs.map(() => 0n)));
  }
  const build = await buildModel({
    sources: wrapper.sources,
    harness: wrapper.harness,
    trace: compareRegisters,
    toolchain,
    cxxOptimize: options.cxxOptimize ?? '-O0',
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const run = await runModel(build, { stimulus: encodeStimulus(wrapper.harness, harnessRows), trace: compareRegisters });
  try {
    const verilatorRows = decodeOutputs(wrapper.harness, run.outputs);
    if (verilatorRows.length !== total) throw new Error(`Verilator must simulate ${total} cycles, not ${verilatorRows.length}`);
    const regSamples = compareRegisters
      ? await sampleVcd(
          run.vcdPath!,
          prepared.flatMap((p) => p.wrapped.registers.map((r) => ({ path: ['TOP', wrapper.top, p.wrapped.instance, ...r.path], width: r.shape.width }))),
          total,
        )
      : null;
    let regOffset = 0;
    return prepared.map((p) => {
      const regs = p.wrapped.registers;
      const samples = regSamples ? regSamples.values.slice(regOffset, regOffset + regs.length) : [];
      regOffset += regs.length;
      const compared = regs.flatMap((r, i) => (samples[i] ? [{ reg: r, values: samples[i]! }] : []));
      const missing = regSamples ? regs.filter((_, i) => !samples[i]).map((r) => r.name) : [];
      const outcome = compareDesign(p, ts.make(p.wrapped.design), verilatorRows, compared);
      return {
        design: p.wrapped.design.top,
        cycles: p.cycles,
        mismatches: outcome.count,
        ...(outcome.first ? { firstMismatch: outcome.first } : {}),
        simulator: toolchain.version,
        tsSimulator: ts.kind,
        buildSeconds: build.buildSeconds,
        cached: build.cached,
        designsInBuild: prepared.length,
        registersCompared: compared.length,
        missingRegisters: missing,
        buildDir: build.dir,
      };
    });
  } finally {
    await run.cleanup();
  }
}

/** Run the TypeScript simulator over the design's stimulus and compare with Verilator's rows. */
function compareDesign(
  p: Prepared,
  sim: Simulator,
  verilatorRows: readonly (readonly bigint[])[],
  registers: readonly { reg: { name: string; shape: Shape }; values: readonly bigint[] }[],
): { count: number; first: Mismatch | null } {
  const { inputs, outputs } = p.wrapped;
  let count = 0;
  let first: Mismatch | null = null;
  const check = (cycle: number, signal: string, shape: Shape, expected: bigint, actualBits: bigint): void => {
    if (toBits(expected, shape.width) === actualBits) return;
    count++;
    first ??= { cycle, signal, expected, actual: fromBits(actualBits, shape.width, shape.signed) };
  };
  for (let t = 0; t < p.cycles; t++) {
    const row = p.rows[t]!;
    inputs.forEach((port, i) => sim.poke(port.name, row[i]!));
    const vrow = verilatorRows[t]!;
    outputs.forEach((port, i) => check(t, port.name, port.shape, sim.peek(port.name), vrow[p.outputOffset + i]!));
    for (const r of registers) check(t, r.reg.name, r.reg.shape, sim.peek(r.reg.name), r.values[t]!);
    sim.step();
  }
  return { count, first };
}

