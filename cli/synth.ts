// `splitfuse synth`: synthesize a block of cli/blocks.ts for an FPGA family with Yosys (fpga/synth.ts)
// and print its LUT/FF/DSP/BRAM use and every cell type; with --part its utilisation of a named part
// (fpga/fit.ts), with --pnr place and route on an iCE40 part, Fmax and a bitstream (fpga/pnr.ts).
import path from 'node:path';
import { classifyCell } from '../fpga/cells.js';
import type { PartFit } from '../fpga/fit.js';
import { placeAndRoute, pnrPart, pnrSettings, type PnrResult } from '../fpga/pnr.js';
import { synthesize, type SynthResult } from '../fpga/synth.js';
import type { Design } from '../hdl/ir/index.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { parsePart } from '../fpga/parts.js';
import { parseTarget, TARGET_NAMES, type SynthTarget } from '../fpga/targets.js';
import { resolveEngine, type YosysEngine } from '../fpga/yosys.js';
import { build } from '../hdl/dsl/index.js';
import { compile as compileModel } from '../accel/compiler.js';
import { fuseGroups, planFusion } from '../accel/fuse/plan.js';
import { accelGeometry } from '../gen/accel/config.js';
import { encode } from '../gen/accel/isa.js';
import { accelTop } from '../gen/accel/top.js';
import { ACCEL_TARGET, accelInputs, rejectOptions } from './accel.js';
import type { BlockParams } from './blocks.js';
import { elaborateBlock } from './generate.js';
import type { CliIO } from './main.js';

/** A synthesis result with the block and parameters it came from (and, with --pnr, the placed result). */
export interface SynthReport extends SynthResult {
  readonly block: string;
  readonly params: BlockParams;
  readonly pnr?: Omit<PnrResult, 'synth'>;
}

/** Place and route (--pnr): an iCE40 part (default up5k), seed, target frequency, output directory. */
export interface PnrChoice {
  readonly seed?: number;
  readonly freqMhz?: number;
  /** Default: out/pnr/<top>-<part>. */
  readonly outDir?: string;
}

/** The part --pnr places on when --part is left out. */
export const DEFAULT_PNR_PART = 'up5k';

export interface SynthBlockOptions {
  readonly block: string;
  /** `key=value` strings, as given to --set. */
  readonly set?: readonly string[];
  /** xc7, ice40, ecp5 or gowin; anything else is E121. */
  readonly target: string;
  /** A named part of the target (fpga/parts.ts): report its utilisation and whether the design fits. */
  readonly part?: string;
  /** Place and route on `part` (default up5k; iCE40 only). */
  readonly pnr?: PnrChoice;
  readonly engine?: YosysEngine;
  /** Told once, before Yosys starts (a big design takes minutes in WebAssembly Yosys). */
  readonly log?: (line: string) => void;
}

/** Validate the target (E121) and the block's parameters (E100–E102), then synthesize the block. */
export async function synthBlock(options: SynthBlockOptions): Promise<SynthReport> {
  // The target and part first: a typo there should not wait for elaboration.
  const target = parseTarget(options.target);
  checkPart(target, options);
  const { block, params, design } = elaborateBlock(options.block, options.set ?? []);
  return { block: block.name, params, ...(await synthesizeOrPlace(design, target, '', options)) };
}

/** E129 for a part of another target (E128 unknown); with --pnr, E202 unless the part is an iCE40 one. */
function checkPart(target: SynthTarget, options: { readonly part?: string; readonly pnr?: PnrChoice }): void {
  if (options.pnr) {
    if (target !== 'ice40') throw new DiagnosticError([msg.noPnr('The target of --pnr', target, 'place and route runs nextpnr-ice40: use --target ice40 --part up5k|hx8k|hx1k; for other families use the vendor tools on the Verilog of "splitfuse gen"')]);
    pnrPart(options.part ?? DEFAULT_PNR_PART);
    pnrSettings(options.pnr);
  }
  if (options.part !== undefined) parsePart(options.part, target);
}

async function synthesizeOrPlace(design: Design, target: SynthTarget, what: string, options: { readonly part?: string; readonly pnr?: PnrChoice; readonly engine?: YosysEngine; readonly log?: (line: string) => void }): Promise<SynthResult & { pnr?: Omit<PnrResult, 'synth'> }> {
  const engine = resolveEngine(options.engine);
  const yosys = engine === 'wasm' ? 'WebAssembly Yosys (@yowasp/yosys)' : 'the system Yosys';
  if (!options.pnr) {
    options.log?.(`synthesizing ${design.top}${what} for ${target} with ${yosys}${what ? '; this takes minutes' : ''} ...`);
    return synthesize(design, { target, engine, part: options.part });
  }
  const part = pnrPart(options.part ?? DEFAULT_PNR_PART);
  const outDir = options.pnr.outDir ?? path.join('out', 'pnr', `${design.top}-${part.aliases[0]}`);
  options.log?.(`synthesizing ${design.top}${what} for ${part.name} with ${yosys}, then placing and routing with nextpnr-ice40 ...`);
  const { synth, ...placed } = await placeAndRoute(design, { part: part.name, seed: options.pnr.seed, freqMhz: options.pnr.freqMhz, outDir, engine, log: options.log });
  return { ...synth, pnr: placed };
}

export interface SynthAccelOptions {
  /** Model file (sizes the program tables and fills them, as `gen accel`'s $readmemh files do). */
  readonly model?: string;
  /** Preset name or JSON file (accel/config.ts). */
  readonly config?: string;
  /** Configuration overrides `key=value`. */
  readonly set?: readonly string[];
  /** Fusion groups of the program (accel/fuse/plan.ts: auto, none, L1-L2,…), as `run --fuse`; absent: layer by layer. */
  readonly fuse?: string;
  readonly target: string;
  readonly part?: string;
  readonly pnr?: PnrChoice;
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
  checkPart(target, options);
  const { model, config } = accelInputs('synth', options);
  const fuse = options.fuse === undefined ? {} : { fuse: fuseGroups(planFusion(model, accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 }), { fuse: options.fuse })) };
  const compiled = compileModel(model, { ...config, ...fuse });
  const init = { imem: compiled.program.map(encode), pixmem: compiled.pixmem, offmem: compiled.offmem, pmem: compiled.pmem };
  const design = build(accelTop(config, compiled.sizes, init));
  const result = await synthesizeOrPlace(design, target, ` (config ${config.name}, model ${model.name})`, options);
  const params: BlockParams = {
    config: config.name,
    rows: config.rows,
    cols: config.cols,
    dtype: config.dtype,
    accWidth: config.accWidth,
    model: model.name,
    instructions: compiled.program.length,
    ...(options.fuse !== undefined ? { fuse: options.fuse } : {}),
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
  readonly fuse?: string;
  readonly part?: string;
  readonly pnr?: boolean;
  /** --pnr only: strings as typed (validated by fpga/pnr.ts, E204). */
  readonly seed?: string;
  readonly freq?: string;
  readonly out?: string;
  /** --yosys: auto (the system Yosys when on PATH, else WebAssembly), system or wasm. */
  readonly yosys?: string;
}

const ENGINES: readonly YosysEngine[] = ['auto', 'system', 'wasm'];

/** The --yosys choice; E102 for anything but auto, system or wasm. */
function engineChoice(value: string | undefined): YosysEngine {
  if (value === undefined) return 'auto';
  if ((ENGINES as readonly string[]).includes(value)) return value as YosysEngine;
  throw new DiagnosticError([msg.usage("Option '--yosys' of 'splitfuse synth'", `one of ${ENGINES.join(', ')}`, `'${value}'`, 'wasm forces the WebAssembly Yosys of @yowasp/yosys even when a system yosys is on the PATH')]);
}

/** The --pnr choice of the command line; E204 for --seed/--freq/--out without --pnr. */
function pnrChoice(opts: SynthCommandOptions): PnrChoice | undefined {
  const given = { '--seed': opts.seed, '--freq': opts.freq, '--out': opts.out };
  if (!opts.pnr) {
    for (const [option, value] of Object.entries(given)) {
      if (value !== undefined) throw new DiagnosticError([msg.pnrOption(option, 'left out without --pnr', `'${value}'`, 'add --pnr to place and route (iCE40 parts)')]);
    }
    return undefined;
  }
  const number = (option: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(n)) throw new DiagnosticError([msg.pnrOption(option, 'a number', `'${v}'`, option === '--seed' ? 'e.g. --seed 2' : 'a frequency in MHz, e.g. --freq 48')]);
    return n;
  };
  return { seed: number('--seed', opts.seed), freqMhz: number('--freq', opts.freq), outDir: opts.out };
}

/** Run `splitfuse synth <block>` (or `synth accel`): print the report, or its JSON with --json (progress on stderr without --json). */
export async function synthCommand(block: string, opts: SynthCommandOptions, io: CliIO): Promise<void> {
  const log = opts.json ? {} : { log: (line: string) => io.stderr(`${line}\n`) };
  const common = { target: opts.target, part: opts.part, pnr: pnrChoice(opts), engine: engineChoice(opts.yosys), ...log };
  let report: SynthReport;
  if (block === ACCEL_TARGET) {
    report = await synthAccel({ model: opts.model, config: opts.config, set: opts.set, ...(opts.fuse !== undefined ? { fuse: opts.fuse } : {}), ...common });
  } else {
    rejectOptions('synth', block, { '--model': opts.model !== undefined, '--config': opts.config !== undefined, '--fuse': opts.fuse !== undefined }, "'splitfuse synth accel'", 'a block takes --set only; the accelerator takes --model and --config');
    report = await synthBlock({ block, set: opts.set, ...common });
  }
  io.stdout(opts.json ? synthReportJson(report) : synthReportText(report));
}

/**
 * `splitfuse synth --json`: {block, params, target, top, lut, ff, dsp, bram, lutram, carry, mux, io,
 * other, cells: {cellType: count}, yosys}; with --part also `fit: {part, rows: [{resource, used,
 * available, percent}], fits}`; with --pnr also `pnr: {part, device, package, fmaxMhz, clocks, placed,
 * harness, seed, freqMhz, bitstreamBytes, files, nextpnr}`.
 */
export function synthReportJson(report: SynthReport): string {
  const { block, params, target, top, lut, ff, dsp, bram, lutram, carry, mux, io, other, cells, yosys, fit, pnr } = report;
  const json = { block, params, target, top, lut, ff, dsp, bram, lutram, carry, mux, io, other, cells, yosys, ...(fit ? { fit: jsonFit(fit) } : {}), ...(pnr ? { pnr } : {}) };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** JSON has no Infinity: a resource the part lacks but the design uses has percent null. */
function jsonFit(fit: PartFit): unknown {
  return { ...fit, rows: fit.rows.map((r) => ({ ...r, percent: Number.isFinite(r.percent) ? r.percent : null })) };
}

const count = (n: number): string => n.toLocaleString('en-US');

/** "part iCE40UP5K: LUT 2/5,280 (0%)  FF 32/5,280 (0.6%) ... -> fits" */
export function fitText(fit: PartFit): string {
  const rows = fit.rows.map((r) => `${r.resource} ${count(r.used)}/${count(r.available)}${Number.isFinite(r.percent) ? ` (${r.percent}%)` : ''}`);
  return `part ${fit.part}: ${rows.join('  ')} -> ${fit.fits ? 'fits' : 'does NOT fit'}`;
}

/** The place-and-route lines of the text report. */
export function pnrText(pnr: Omit<PnrResult, 'synth'>): string[] {
  const bel = (name: string, label: string): string | null => {
    const u = pnr.placed[name];
    return u ? `${label} ${count(u.used)}/${count(u.available)}` : null;
  };
  const lc = pnr.placed.ICESTORM_LC;
  const placed = [
    lc ? `logic cells ${count(lc.used)}/${count(lc.available)} (${Math.round((1000 * lc.used) / lc.available) / 10}%)` : null,
    bel('ICESTORM_DSP', 'DSP'),
    bel('ICESTORM_RAM', 'EBR'),
    bel('ICESTORM_SPRAM', 'SPRAM'),
    bel('SB_IO', 'I/O'),
  ].filter((x) => x !== null);
  return [
    `  placed and routed on ${pnr.part} (${pnr.package}) by nextpnr-ice40 (@yowasp/nextpnr-ice40 ${pnr.nextpnr}), seed ${pnr.seed}:`,
    `    Fmax ${pnr.fmaxMhz.toFixed(2)} MHz (target ${pnr.freqMhz} MHz)`,
    `    ${placed.join('  ')}, with the I/O harness (${pnr.harness.inputBits} input, ${pnr.harness.outputBits} output bits)`,
    `    bitstream ${pnr.files?.bitstream ?? '(not written)'} (${count(pnr.bitstreamBytes)} bytes)`,
  ];
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
    ...(report.fit ? [`  ${fitText(report.fit)}`] : []),
    ...(report.pnr ? pnrText(report.pnr) : []),
    '',
    `  ${'cell type'.padEnd(typeWidth)}  ${'count'.padStart(6)}  resource`,
    ...types.map((t) => `  ${t.padEnd(typeWidth)}  ${String(report.cells[t]).padStart(6)}  ${classifyCell(report.target, t)}`),
  ];
  return `${lines.join('\n')}\n`;
}
