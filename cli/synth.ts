// `splitfuse synth`: synthesize a block of cli/blocks.ts for an FPGA family with Yosys (fpga/synth.ts)
// and print its LUT/FF/DSP/BRAM use and every cell type.
import { classifyCell } from '../fpga/cells.js';
import { synthesize, type SynthResult } from '../fpga/synth.js';
import { parseTarget, TARGET_NAMES } from '../fpga/targets.js';
import { resolveEngine, type YosysEngine } from '../fpga/yosys.js';
import { build } from '../hdl/dsl/index.js';
import { compile as compileModel } from '../accel/compiler.js';
import { encode } from '../gen/accel/isa.js';
import { accelTop } from '../gen/accel/top.js';
import { ACCEL_TARGET, accelInputs, rejectOptions } from './accel.js';
import type { BlockParams } from './blocks.js';
import { elaborateBlock } from './generate.js';
import type { CliIO } from './main.js';

/** A synthesis result with the block and parameters it came from. */
export interface SynthReport extends SynthResult {
  readonly block: string;
  readonly params: BlockParams;
}

export interface SynthBlockOptions {
  readonly block: string;
  /** `key=value` strings, as given to --set. */
  readonly set?: readonly string[];
  /** xc7, ice40, ecp5 or gowin; anything else is E121. */
  readonly target: string;
  readonly engine?: YosysEngine;
  /** Told once, before Yosys starts (a big design takes minutes in WebAssembly Yosys). */
  readonly log?: (line: string) => void;
}

/** Validate the target (E121) and the block's parameters (E100–E102), then synthesize the block. */
export async function synthBlock(options: SynthBlockOptions): Promise<SynthReport> {
  // The target first: a typo there should not wait for elaboration.
  const target = parseTarget(options.target);
  const { block, params, design } = elaborateBlock(options.block, options.set ?? []);
  const engine = resolveEngine(options.engine);
  options.log?.(`synthesizing ${design.top} for ${target} with ${engine === 'wasm' ? 'WebAssembly Yosys (@yowasp/yosys)' : 'the system Yosys'} ...`);
  const result = await synthesize(design, { target, engine });
  return { block: block.name, params, ...result };
}

export interface SynthAccelOptions {
  /** Model file (sizes the program tables and fills them, as `gen accel`'s $readmemh files do). */
  readonly model?: string;
  /** Preset name or JSON file (accel/config.ts). */
  readonly config?: string;
  /** Configuration overrides `key=value`. */
  readonly set?: readonly string[];
  readonly target: string;
  readonly engine?: YosysEngine;
  readonly log?: (line: string) => void;
}

/**
 * Synthesize the accelerator top (gen/accel/top.ts; the DRAM stays outside, behind its ports) running
 * `model`: the program tables (imem, pixmem, offmem, pmem) are ROMs initialised with the compiled
 * program, exactly what `gen accel` loads with $readmemh. Without contents they would be constant
 * zero and Yosys would remove the whole data path.
 */
export async function synthAccel(options: SynthAccelOptions): Promise<SynthReport> {
  const target = parseTarget(options.target);
  const { model, config } = accelInputs('synth', options);
  const compiled = compileModel(model, config);
  const init = { imem: compiled.program.map(encode), pixmem: compiled.pixmem, offmem: compiled.offmem, pmem: compiled.pmem };
  const design = build(accelTop(config, compiled.sizes, init));
  const engine = resolveEngine(options.engine);
  options.log?.(`synthesizing ${design.top} (config ${config.name}, model ${model.name}) for ${target} with ${engine === 'wasm' ? 'WebAssembly Yosys (@yowasp/yosys)' : 'the system Yosys'}; this takes minutes ...`);
  const result = await synthesize(design, { target, engine });
  const params: BlockParams = {
    config: config.name,
    rows: config.rows,
    cols: config.cols,
    dtype: config.dtype,
    accWidth: config.accWidth,
    model: model.name,
    instructions: compiled.program.length,
  };
  return { block: ACCEL_TARGET, params, ...result };
}

/** The options of `splitfuse synth <block>` as commander parses them. */
export interface SynthCommandOptions {
  readonly set: string[];
  readonly target: string;
  readonly json?: boolean;
  /** accel only. */
  readonly model?: string;
  readonly config?: string;
}

/** Run `splitfuse synth <block>` (or `synth accel`): print the report, or its JSON with --json (progress on stderr without --json). */
export async function synthCommand(block: string, opts: SynthCommandOptions, io: CliIO): Promise<void> {
  const log = opts.json ? {} : { log: (line: string) => io.stderr(`${line}\n`) };
  let report: SynthReport;
  if (block === ACCEL_TARGET) {
    report = await synthAccel({ model: opts.model, config: opts.config, set: opts.set, target: opts.target, ...log });
  } else {
    rejectOptions('synth', block, { '--model': opts.model !== undefined, '--config': opts.config !== undefined }, "'splitfuse synth accel'", 'a block takes --set only; the accelerator takes --model and --config');
    report = await synthBlock({ block, set: opts.set, target: opts.target, ...log });
  }
  io.stdout(opts.json ? synthReportJson(report) : synthReportText(report));
}

/**
 * `splitfuse synth --json`: {block, params, target, top, lut, ff, dsp, bram, lutram, carry, mux, io,
 * other, cells: {cellType: count}, yosys}, one field per line.
 */
export function synthReportJson(report: SynthReport): string {
  const { block, params, target, top, lut, ff, dsp, bram, lutram, carry, mux, io, other, cells, yosys } = report;
  return `${JSON.stringify({ block, params, target, top, lut, ff, dsp, bram, lutram, carry, mux, io, other, cells, yosys }, null, 2)}\n`;
}

/** The human report: what was synthesized, the four headline resources, the others, the cell table. */
export function synthReportText(report: SynthReport): string {
  const params = Object.entries(report.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  const types = Object.keys(report.cells);
  const typeWidth = Math.max(9, ...types.map((t) => t.length));
  const lines = [
    `${report.block} (${params}) -> ${report.top} on ${report.target} (${TARGET_NAMES[report.target]}), ${report.yosys}`,
    `  LUT ${report.lut}  FF ${report.ff}  DSP ${report.dsp}  BRAM ${report.bram}`,
    `  also: LUT-RAM/SRL ${report.lutram}  carry ${report.carry}  wide mux ${report.mux}  I/O ${report.io}  other ${report.other}`,
    '',
    `  ${'cell type'.padEnd(typeWidth)}  ${'count'.padStart(6)}  resource`,
    ...types.map((t) => `  ${t.padEnd(typeWidth)}  ${String(report.cells[t]).padStart(6)}  ${classifyCell(report.target, t)}`),
  ];
  return `${lines.join('\n')}\n`;
}
