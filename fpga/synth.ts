// FPGA synthesis of a design or of Verilog files with Yosys (DESIGN.md §11): read the Verilog, run the
// target's synthesis command (fpga/targets.ts), and count the cells of the flattened top module from
// `stat -json`, sorted into LUT/FF/DSP/BRAM and the other resources by fpga/cells.ts.
import type { Design } from '../hdl/ir/index.js';
import { emitVerilog } from '../hdl/verilog.js';
import { NO_ZERO_FILL_MACRO } from '../hdl/verilog/module.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { countResources, type Resource } from './cells.js';
import { partFit, type PartFit } from './fit.js';
import { parsePart, type FpgaPart } from './parts.js';
import { parseTarget, targetSynthCommand, type SynthTarget } from './targets.js';
import { runYosys, yosysVersion, type YosysEngine, type YosysFile } from './yosys.js';

/** Verilog files to synthesize (dependencies first, as paths or names with text) and their top module. */
export interface VerilogSource {
  readonly files: readonly (string | YosysFile)[];
  readonly top: string;
}

export interface SynthOptions {
  /** FPGA family; a string that is not one is a DiagnosticError (E121). */
  readonly target: SynthTarget | string;
  /** Top module; defaults to the design's top (or the source's `top`). */
  readonly top?: string;
  readonly engine?: YosysEngine;
  /**
   * A named part of the target (fpga/parts.ts; E128 unknown, E129 of another target): the result then
   * carries its utilisation and whether it fits; on ice40 a part without DSPs is synthesized without
   * SB_MAC16 inference.
   */
  readonly part?: string;
  /** Also write the mapped netlist (`write_json`), for place and route (fpga/pnr.ts). */
  readonly netlist?: boolean;
}

/** Resource use of one synthesized top module; every count is a number of cells (see fpga/cells.ts). */
export interface SynthResult extends Readonly<Record<Resource, number>> {
  readonly target: SynthTarget;
  readonly top: string;
  /** Every cell type of the flattened netlist with its count, sorted by type name. */
  readonly cells: Readonly<Record<string, number>>;
  /** Version line of the Yosys that ran, e.g. "Yosys 0.55 (git sha1 60f126cd0, ...)". */
  readonly yosys: string;
  /** With `part`: utilisation of the part and whether the design fits (fpga/fit.ts). */
  readonly fit?: PartFit;
  /** With `netlist`: the mapped netlist as Yosys JSON. */
  readonly netlist?: string;
}

/** Name of the file the script writes `stat -json` to. */
const STAT_FILE = 'splitfuse_stat.json';
/** Name of the file the script writes the mapped netlist to (with `netlist`). */
const NETLIST_FILE = 'splitfuse_netlist.json';

/** The whole Yosys script: read the files in order, synthesize, write the statistics of the top (and the netlist). */
export function synthScript(target: SynthTarget, files: readonly string[], top: string, options: { readonly dsp?: boolean; readonly netlist?: boolean } = {}): string {
  return [
    // No zero-fill loops of memories (hdl/verilog/module.ts): Yosys would unroll them word by word.
    ...files.map((f) => `read_verilog -D${NO_ZERO_FILL_MACRO} ${f}`),
    targetSynthCommand(target, top, { dsp: options.dsp }),
    // `tee -q -o` writes the command's output to a file without echoing it to the log.
    `tee -q -o ${STAT_FILE} stat -json -top ${top}`,
    // `hierarchy -top` first drops the modules the top no longer uses (synth_ice40 leaves its carry
    // wrapper boxes behind, which a second synthesis pass would reject for lacking timing data).
    ...(options.netlist ? [`hierarchy -top ${top}`, `write_json ${NETLIST_FILE}`] : []),
  ].join('\n');
}

/**
 * Synthesize `input` (a Design, emitted with hdl/verilog.ts, or Verilog files) for `options.target`
 * and count the resources of its top module. Deterministic: the same input and Yosys version give
 * the same result. Rejects with a DiagnosticError: E121 bad target, E120/E122/E123 from the Yosys run
 * (fpga/yosys.ts), E124 when the statistics cannot be read.
 */
export async function synthesize(input: Design | VerilogSource, options: SynthOptions): Promise<SynthResult> {
  const target = parseTarget(options.target);
  const part: FpgaPart | undefined = options.part === undefined ? undefined : parsePart(options.part, target);
  const source: VerilogSource = 'modules' in input ? designSource(input) : input;
  const top = options.top ?? source.top;
  const files = source.files.map((f) => (typeof f === 'string' ? f : f.name));
  const names = files.map((f) => f.replace(/^.*[\\/]/, ''));
  const script = synthScript(target, names, top, { dsp: part === undefined || part.dsp > 0, netlist: options.netlist });
  const run = await runYosys({ files: source.files, script, top, quiet: true, engine: options.engine });
  const cells = parseStat(run.outputs[STAT_FILE], top);
  const version = await yosysVersion(options.engine);
  const result: SynthResult = { target, top, ...countResources(target, cells), cells, yosys: version };
  return {
    ...result,
    ...(part ? { fit: partFit(result, part) } : {}),
    ...(options.netlist ? { netlist: run.outputs[NETLIST_FILE] ?? '' } : {}),
  };
}

/** The Verilog of a design, one in-memory file per module, dependencies first. */
export function designSource(design: Design): VerilogSource {
  return { files: emitVerilog(design).map((f) => ({ name: f.fileName, text: f.text })), top: design.top };
}

interface StatModule {
  num_cells_by_type?: Record<string, number>;
}

/** The cell counts of module `top` in the text of `stat -json`, sorted by cell type. */
export function parseStat(text: string | undefined, top: string): Record<string, number> {
  const unreadable = (found: string): DiagnosticError =>
    new DiagnosticError([msg.synthStats(`the JSON of "stat -json" with module '${top}'`, found, 'run with SPLITFUSE_DEBUG=1 and report it; the Yosys version may write another format')]);
  if (text === undefined) throw unreadable('missing (Yosys wrote no statistics file)');
  let json: { modules?: Record<string, StatModule> };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (e) {
    throw unreadable(`invalid JSON (${(e as Error).message})`);
  }
  const modules = json.modules ?? {};
  const entry = modules[`\\${top}`] ?? modules[top];
  if (!entry) throw unreadable(`without it (modules: ${Object.keys(modules).join(', ') || 'none'})`);
  const byType = entry.num_cells_by_type ?? {};
  const cells: Record<string, number> = {};
  for (const type of Object.keys(byType).sort()) {
    const n = byType[type]!;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw unreadable(`a count of ${String(n)} for cell type ${type}`);
    // `$scopeinfo` cells only record the hierarchy `flatten` removed; they are no hardware.
    if (n > 0 && !type.startsWith('$scopeinfo')) cells[type.replace(/^\\/, '')] = n;
  }
  return cells;
}
