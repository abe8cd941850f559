// `splitfuse cosim`: co-simulate a target in Verilator and the compiled TypeScript simulator
// (sim/verilator/cosim.ts) and report the first divergence.
//
// The report (CosimReport) and its rendering do not depend on what was simulated: `cosimBlock` makes
// one for a block of cli/blocks.ts; another target with its own arguments (e.g. `cosim accel --model
// ... --config ...`) adds a function that returns a CosimReport and a branch in `cosimCommand`.
import type { VerilogFile } from '../hdl/verilog.js';
import { cosimAccel, type AccelCosimReport } from '../accel/cosim-accel.js';
import { cosim, cosimPassed, describeMismatch, type CosimResult } from '../sim/verilator/cosim.js';
import { defaultToolchain, type Toolchain } from '../sim/verilator/locate.js';
import { ACCEL_TARGET, accelInputs, imagesOption, rejectOptions } from './accel.js';
import type { BlockParams } from './blocks.js';
import { elaborateBlock } from './generate.js';
import type { CliIO } from './main.js';
import { integerOption, MAX_CYCLES } from './sim.js';

/** Exit code of a co-simulation that found a difference (diagnostics exit with 2, success with 0). */
export const EXIT_MISMATCH = 1;

/** The outcome of one `splitfuse cosim` run, whatever its target. */
export interface CosimReport {
  /** What was simulated: the block name (JSON key "block"). */
  readonly target: string;
  /** Top module of the design. */
  readonly top: string;
  /** The target's parameters as validated. */
  readonly params: BlockParams;
  readonly cycles: number;
  readonly seed: number;
  readonly result: CosimResult;
}

export interface CosimBlockOptions {
  readonly block: string;
  /** `key=value` strings, as given to --set. */
  readonly set?: readonly string[];
  /** Cycles to compare (default 1000). */
  readonly cycles?: number;
  /** Seed of the random stimulus (sim/verilator/stimulus.ts randomInputs; default 1). */
  readonly seed?: number;
  /** Also compare every register every cycle, read from Verilator's VCD trace (--registers). */
  readonly registers?: boolean;
  /** Default: the Verilator found by defaultToolchain() (E103 when there is none). */
  readonly toolchain?: Toolchain;
  /** Build progress messages. */
  readonly log?: (line: string) => void;
  /** TEST-ONLY: rewrite the emitted Verilog before Verilator sees it (see CosimOptions). */
  readonly testOnlyPatchVerilog?: (files: VerilogFile[], designIndex: number) => VerilogFile[];
}

/** Co-simulate a block of cli/blocks.ts on `cycles` cycles of seeded random stimulus (reset in cycle 0). */
export async function cosimBlock(options: CosimBlockOptions): Promise<CosimReport> {
  const cycles = integerOption('cosim', '--cycles', options.cycles ?? 1000, 1, MAX_CYCLES);
  const seed = integerOption('cosim', '--seed', options.seed ?? 1, 0, Number.MAX_SAFE_INTEGER);
  const { block, params, design } = elaborateBlock(options.block, options.set ?? []);
  const toolchain = options.toolchain ?? (await defaultToolchain());
  const result = await cosim(design, {
    cycles,
    seed,
    toolchain,
    compareRegisters: options.registers ?? false,
    ...(options.log ? { log: options.log } : {}),
    ...(options.testOnlyPatchVerilog ? { testOnlyPatchVerilog: options.testOnlyPatchVerilog } : {}),
  });
  return { target: block.name, top: design.top, params, cycles, seed, result };
}

/** The options of `splitfuse cosim <target>` as commander parses them. */
export interface CosimCommandOptions {
  readonly set: string[];
  readonly cycles?: string;
  readonly seed?: string;
  readonly registers?: boolean;
  readonly json?: boolean;
  /** `cosim accel` only: the model file, the configuration (preset or JSON file) and the number of test digits. */
  readonly model?: string;
  readonly config?: string;
  readonly images?: string;
}

/** Test hooks of cosimCommand (no command-line flag reaches them). */
export interface CosimTestHooks {
  /** TEST-ONLY: rewrite the emitted Verilog before Verilator sees it. */
  readonly testOnlyPatchVerilog?: (files: VerilogFile[], designIndex: number) => VerilogFile[];
}

/**
 * Run `splitfuse cosim <target>` (a block, or `accel`: cosimAccelCommand): validate the options (E102, E146),
 * co-simulate, print the report or the JSON, and return the exit code: 0 when Verilator and the
 * compiled simulator agree, EXIT_MISMATCH otherwise. Build progress goes to stderr (not with --json).
 */
export async function cosimCommand(target: string, opts: CosimCommandOptions, io: CliIO, hooks: CosimTestHooks = {}): Promise<number> {
  if (target === ACCEL_TARGET) return cosimAccelCommand(opts, io);
  rejectOptions('cosim', target, { '--model': opts.model !== undefined, '--config': opts.config !== undefined, '--images': opts.images !== undefined }, "'splitfuse cosim accel'", 'a block takes --set, --cycles and --seed; the accelerator takes --model, --config and --images');
  const report = await cosimBlock({
    block: target,
    set: opts.set,
    ...(opts.cycles !== undefined ? { cycles: integerOption('cosim', '--cycles', opts.cycles, 1, MAX_CYCLES) } : {}),
    ...(opts.seed !== undefined ? { seed: integerOption('cosim', '--seed', opts.seed, 0, Number.MAX_SAFE_INTEGER) } : {}),
    registers: opts.registers ?? false,
    ...(opts.json ? {} : { log: (line: string) => io.stderr(`${line}\n`) }),
    ...(hooks.testOnlyPatchVerilog ? { testOnlyPatchVerilog: hooks.testOnlyPatchVerilog } : {}),
  });
  io.stdout(opts.json ? cosimReportJson(report) : cosimReportText(report));
  return cosimExitCode(report);
}

/** 0 when the simulators agree on everything compared, EXIT_MISMATCH otherwise. */
export function cosimExitCode(report: CosimReport): number {
  return cosimPassed(report.result) ? 0 : EXIT_MISMATCH;
}

/** The human report: what ran, the verdict (describeMismatch), what was compared, the build. */
export function cosimReportText(report: CosimReport): string {
  const r = report.result;
  const params = Object.entries(report.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  const compared = r.registersCompared > 0 ? `outputs and ${r.registersCompared} register${r.registersCompared === 1 ? '' : 's'}` : 'outputs';
  const lines = [
    `${report.target} (${params}) -> ${report.top}: ${report.cycles} cycles, seed ${report.seed}, ${compared} compared every cycle`,
    `  ${describeMismatch(r)}`,
  ];
  if (r.missingRegisters.length > 0) lines.push(`  registers missing from Verilator's trace (not compared): ${r.missingRegisters.join(', ')}`);
  lines.push(`  ${r.simulator} build: ${r.cached ? 'cached' : `${r.buildSeconds.toFixed(1)} s`} (${r.buildDir})`);
  return `${lines.join('\n')}\n`;
}

/**
 * The JSON of `splitfuse cosim --json`: {block, top, params, cycles, seed, mismatches, simulator,
 * firstMismatch: null | {cycle, signal, expected, actual}, registersCompared, missingRegisters,
 * buildSeconds, cached}. Values are decimal strings (they may exceed 2^53).
 */
export function cosimReportJson(report: CosimReport): string {
  return `${JSON.stringify(cosimReportFields(report), null, 2)}\n`;
}

/** The fields of cosimReportJson as an object. */
export function cosimReportFields(report: CosimReport): Record<string, unknown> {
  const r = report.result;
  const m = r.firstMismatch;
  return {
    block: report.target,
    top: report.top,
    params: report.params,
    cycles: report.cycles,
    seed: report.seed,
    mismatches: r.mismatches,
    simulator: r.simulator,
    firstMismatch: m ? { cycle: m.cycle, signal: m.signal, expected: m.expected.toString(), actual: m.actual.toString() } : null,
    registersCompared: r.registersCompared,
    missingRegisters: r.missingRegisters,
    buildSeconds: r.buildSeconds,
    cached: r.cached,
  };
}

// ---- cosim accel (accel/cosim-accel.ts) ----

/**
 * `splitfuse cosim accel --model FILE --config NAME|FILE [--set field=value] [--images N]`: whole
 * inferences of test digits 0..N-1 in Verilator and the compiled simulator; exit code as cosimCommand.
 */
export async function cosimAccelCommand(opts: CosimCommandOptions, io: CliIO): Promise<number> {
  rejectOptions('cosim', ACCEL_TARGET, { '--cycles': opts.cycles !== undefined, '--seed': opts.seed !== undefined }, "'splitfuse cosim <block>'", 'the accelerator runs every image from reset until done; choose how many test digits with --images');
  const images = imagesOption(opts.images);
  const { model, config } = accelInputs('cosim', opts);
  const report = await cosimAccel({
    model,
    config,
    images,
    registers: opts.registers ?? false,
    ...(opts.json ? {} : { log: (line: string) => io.stderr(`${line}\n`) }),
  });
  io.stdout(opts.json ? cosimAccelReportJson(report) : cosimAccelReportText(report));
  return cosimExitCode(report);
}

/** The human report of `cosim accel`: the verdict, then one line per digit. */
export function cosimAccelReportText(report: AccelCosimReport): string {
  const r = report.result;
  const c = report.params;
  const n = report.images.length;
  const compared = r.registersCompared > 0 ? `outputs and ${r.registersCompared} registers` : 'outputs';
  const lines = [
    `accel (config ${String(c.name)}: ${String(c.rows)}x${String(c.cols)} ${String(c.dataflow)} ${String(c.dtype)}; model ${report.model}) -> ${report.top}: ` +
      `${n} image${n === 1 ? '' : 's'}, ${report.cycles} cycles, ${compared} compared every cycle`,
    `  ${describeMismatch(r)}`,
  ];
  for (const im of report.images) {
    const verdict = cosimPassed(im.result) ? `${im.cycles} cycles to done in both simulators` : `${im.cycles} cycles in the TypeScript simulator; ${im.result.mismatches} mismatching values`;
    lines.push(`  image ${im.index} (label ${im.label}): class ${im.predicted}, logits ${im.logitsMatchGolden ? 'equal' : 'differ from'} the golden model's, ${verdict}`);
  }
  if (r.missingRegisters.length > 0) lines.push(`  registers missing from Verilator's trace (not compared): ${r.missingRegisters.join(', ')}`);
  lines.push(`  ${r.simulator} build${n === 1 ? '' : 's'}: ${r.cached ? 'cached' : `${r.buildSeconds.toFixed(1)} s`} (${n === 1 ? r.buildDir : 'one per image'})`);
  return `${lines.join('\n')}\n`;
}

/** cosimReportJson's fields ("block": "accel") plus cyclesPerImage, model and images [{index, label, predicted, logits, logitsMatchGolden, cycles, mismatches}]. */
export function cosimAccelReportJson(report: AccelCosimReport): string {
  const images = report.images.map((im) => ({
    index: im.index,
    label: im.label,
    predicted: im.predicted,
    logits: im.logits,
    logitsMatchGolden: im.logitsMatchGolden,
    cycles: im.cycles,
    mismatches: im.result.mismatches,
  }));
  return `${JSON.stringify({ ...cosimReportFields(report), cyclesPerImage: report.cyclesPerImage, model: report.model, images }, null, 2)}\n`;
}
