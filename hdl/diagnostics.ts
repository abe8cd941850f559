// Diagnostics: stable codes, one message table, one renderer.
// Messages read "X must be Y, not Z", name the user's DSL source location, and end with a hint.
import type { Shape, SourceLoc } from './ir/index.js';
import { shapeText } from './ir/index.js';

export type Severity = 'error' | 'warning';

export interface Related {
  readonly label: string;
  readonly loc: SourceLoc | null;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly loc: SourceLoc | null;
  readonly hint?: string;
  /** Further locations: both drivers of a signal, every step of a combinational loop. */
  readonly related?: readonly Related[];
}

/** Every code splitfuse can report, with a one-line title (docs/diagnostics.md lists them). */
export const CODES = {
  E001: 'illegal width',
  E002: 'width mismatch',
  E003: 'signedness mismatch',
  E004: 'undriven signal',
  E005: 'multiple drivers',
  E006: 'combinational loop',
  E007: 'unknown port on instance',
  E008: 'unconnected instance input',
  E009: 'name clash',
  E010: 'reserved name or Verilog keyword',
  E011: 'constant does not fit',
  E012: 'bit range out of bounds',
  E013: 'condition must be one bit',
  E014: 'memory address width',
  E015: 'bad memory contents',
  E016: 'invalid name',
  E017: 'signal cannot be assigned',
  E018: 'illegal memory depth',
  E019: 'illegal shift amount',
  E020: 'value from another module',
  E021: 'unknown module',
  E022: 'illegal reset value',
  E023: 'unknown signal',
  E100: 'unknown block',
  E101: 'bad parameter',
  E102: 'bad command-line usage',
  E103: 'missing external tool',
  E104: 'output file cannot be written',
  E110: 'unreadable or truncated model file',
  E111: 'not a splitfuse model file (wrong magic)',
  E112: 'unsupported model format version',
  E113: 'model file checksum mismatch',
  E114: 'malformed model header',
  E115: 'bad model tensor reference',
  E116: 'inconsistent model layer shapes',
  E117: 'model parameter out of range',
  E118: 'golden-model input does not match the model',
  E119: 'accumulator overflow in the golden model',
  E120: 'Yosys run failed',
  E121: 'unknown synthesis target',
  E122: 'top module not found by Yosys',
  E123: 'unusable Yosys input files',
  E124: 'unreadable synthesis statistics',
  E125: 'bad GEMM shape',
  E126: 'bad GEMM array option',
  E127: 'GEMM operand out of range',
  E128: 'unknown FPGA part',
  E129: 'FPGA part of another target',
  E140: 'bad accelerator configuration',
  E141: 'unknown configuration preset or unreadable configuration file',
  E142: 'model not supported by the accelerator configuration',
  E143: 'layer feature without accelerator hardware',
  E146: 'accelerator options missing or given to another target',
  E147: 'test image index out of range',
  E148: 'accelerator run did not finish',
  E150: 'no fault site matches the pattern',
  E151: 'malformed fault-site pattern',
  E152: 'bad fault',
  E153: 'bad fault-injector option',
  E155: 'campaign results file written with other parameters',
  E156: 'bad fault-campaign option',
  E157: 'unusable campaign results file',
  E158: 'bad fault-sweep option',
  E160: 'bad protection option',
  E161: 'model already protected',
  E162: 'protected model does not fit the accelerator',
  E163: 'accelerator lacks the correction unit the model needs',
  E164: 'bad protection-comparison option',
  E170: 'bad NVF option',
  E171: 'not a conv2d/fc layer of the model',
  E172: 'NVF needs an unprotected model',
  E173: 'bad neuron fault',
  E174: 'POST schedule differs from the compiled model',
  E175: 'bad fusion option',
  E176: 'fusion group of non-consecutive or unknown layers',
  E177: 'fusion group containing an fc layer',
  E178: 'fusion group over the buffer budget',
  E179: 'fusion group does not fit the accelerator',
  E180: 'bad shard option or job-array variable',
  E181: 'shard results files of different campaigns',
  E182: 'campaign shards incomplete',
  E183: 'campaign too large for one process',
  E184: 'results line differs from the injection its index defines',
  E185: 'output path would overwrite an input or an existing file',
  E186: 'layer names of a model not unique',
  E190: 'malformed or unreadable ONNX file',
  E191: 'unsupported ONNX operator',
  E192: 'ONNX model is not statically quantized (QDQ)',
  E193: 'dynamic or unsupported ONNX tensor shape',
  E194: 'unsupported ONNX operator attribute',
  E195: 'unsupported ONNX quantization parameters',
  E196: 'ONNX graph is not a sequential chain',
  E197: 'program needs ring addressing the machine lacks',
  E200: 'nextpnr run failed',
  E201: 'design does not fit the FPGA part',
  E202: 'no place and route for the target or part',
  E203: 'unreadable nextpnr report',
  E204: 'bad place-and-route option',
  E205: 'bitstream not written',
} as const;

export type Code = keyof typeof CODES;

export function locText(loc: SourceLoc | null): string {
  return loc ? `${loc.file}:${loc.line}` : 'unknown location';
}

/** Render one diagnostic: `E002: Width of 'acc' must be 32, not 33 (gen/mac.ts:41). Hint: ....` */
export function renderDiagnostic(d: Diagnostic): string {
  const where = d.loc ? ` (${locText(d.loc)})` : '';
  const hint = d.hint ? ` Hint: ${d.hint}${/[.?!]$/.test(d.hint) ? '' : '.'}` : '';
  const prefix = d.severity === 'warning' ? `warning ${d.code}` : d.code;
  const lines = [`${prefix}: ${d.message}${where}.${hint}`];
  for (const r of d.related ?? []) lines.push(`  ${r.label}: ${locText(r.loc)}`);
  return lines.join('\n');
}

export function renderDiagnostics(ds: readonly Diagnostic[]): string {
  const errors = ds.filter((d) => d.severity === 'error').length;
  const body = ds.map(renderDiagnostic).join('\n');
  return errors > 0 ? `${body}\n${errors} error${errors === 1 ? '' : 's'}` : body;
}

/** Thrown by the library when diagnostics contain errors; the CLI prints `.message` and exits 2. */
export class DiagnosticError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(renderDiagnostics(diagnostics));
    this.name = 'DiagnosticError';
    this.diagnostics = diagnostics;
  }
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === 'error');

function diag(code: Code, message: string, loc: SourceLoc | null, hint?: string, related?: Related[]): Diagnostic {
  return { code, severity: 'error', message, loc, ...(hint ? { hint } : {}), ...(related ? { related } : {}) };
}

// ---- The message table. Every message text of the HDL layer lives below. ----

export const msg = {
  illegalWidth: (what: string, found: number | string, loc: SourceLoc | null, max: number) =>
    diag(
      'E001',
      `Width of ${what} must be an integer in 1..${max}, not ${typeof found === 'string' ? `'${found}'` : found}`,
      loc,
      Number(found) > max
        ? what.startsWith('result') || what === 'concatenation'
          ? `truncate or slice the operands first (e.g. .trunc(${max}))`
          : `split wider data into several signals of at most ${max} bits`
        : 'widths are whole numbers of bits',
    ),
  /** Assignment or connection of a value of the wrong shape; returns null when the shapes agree. */
  assignShape: (target: string, expected: Shape, found: Shape, loc: SourceLoc | null): Diagnostic | null => {
    if (expected.width !== found.width) {
      const hint =
        found.width > expected.width
          ? `use .trunc(${expected.width}) or widen '${target}'`
          : `use .${expected.signed ? 'sext' : 'zext'}(${expected.width}) or narrow '${target}'`;
      return diag('E002', `Width of '${target}' must be ${expected.width}, not ${found.width}`, loc, hint);
    }
    if (expected.signed !== found.signed) {
      return diag(
        'E003',
        `Signedness of '${target}' must be ${expected.signed ? 'signed' : 'unsigned'}, not ${found.signed ? 'signed' : 'unsigned'}`,
        loc,
        `use .${expected.signed ? 'asSigned' : 'asUnsigned'}() to reinterpret the bits`,
      );
    }
    return null;
  },
  undriven: (kind: string, name: string, loc: SourceLoc | null) =>
    diag('E004', `${kind} '${name}' must be driven, not left undriven`, loc, `assign it with .set(...)`),
  latch: (kind: string, name: string, loc: SourceLoc | null) =>
    diag(
      'E004',
      `${kind} '${name}' must be driven in every case, not only under a condition`,
      loc,
      `give it a default with an unconditional .set(...) before the when() block`,
    ),
  multipleDrivers: (name: string, count: number, locs: (SourceLoc | null)[]) =>
    diag(
      'E005',
      `'${name}' must have one driver, not ${count}`,
      locs[1] ?? null,
      'drive it once; use when()/otherwise() to choose between values',
      locs.map((loc, i) => ({ label: i === 0 ? 'first driver' : i === 1 ? 'second driver' : `driver ${i + 1}`, loc })),
    ),
  combLoop: (path: { name: string; loc: SourceLoc | null }[]) =>
    diag(
      'E006',
      `Combinational logic must be acyclic, not a loop through ${path.length - 1} signal${path.length === 2 ? '' : 's'}`,
      path[0]?.loc ?? null,
      'break the loop with a register',
      path.map((p) => ({ label: p.name, loc: p.loc })),
    ),
  unknownPort: (inst: string, mod: string, port: string, known: string[], loc: SourceLoc | null) =>
    diag(
      'E007',
      `Port '${port}' of instance '${inst}' must be a port of module '${mod}', not an unknown name`,
      loc,
      known.length ? `module '${mod}' has ports ${known.map((k) => `'${k}'`).join(', ')}` : `module '${mod}' has no ports`,
    ),
  unconnected: (inst: string, port: string, loc: SourceLoc | null) =>
    diag('E008', `Input '${port}' of instance '${inst}' must be connected, not left open`, loc, `pass ${port}: <value> to m.instance()`),
  nameClash: (name: string, first: SourceLoc | null, second: SourceLoc | null) =>
    diag('E009', `Name '${name}' must be unique in its module, not declared twice`, second, 'rename one of them', [
      { label: 'first declaration', loc: first },
      { label: 'second declaration', loc: second },
    ]),
  reservedName: (name: string, why: string, loc: SourceLoc | null) =>
    diag('E010', `Name '${name}' must be an ordinary identifier, not ${why}`, loc, `choose another name, e.g. '${name}_q'`),
  constantFits: (value: bigint, shape: Shape, loc: SourceLoc | null) =>
    diag('E011', `Constant must fit in ${shapeText(shape)}, not ${value}`, loc, 'widen the target or use a smaller constant'),
  bitRange: (what: string, expected: string, found: string, loc: SourceLoc | null) =>
    diag('E012', `${what} must be ${expected}, not ${found}`, loc, 'check the bit indices against the operand width'),
  oneBit: (what: string, found: Shape, loc: SourceLoc | null) =>
    diag('E013', `${what} must be 1 bit wide, not ${found.width}`, loc, 'reduce it with .orR() or compare it, e.g. .ne(0)'),
  memAddr: (mem: string, expected: number, found: number, loc: SourceLoc | null) =>
    diag(
      'E014',
      `Address of memory '${mem}' must be ${expected} bits wide, not ${found}`,
      loc,
      found > expected ? `use .trunc(${expected})` : `use .zext(${expected})`,
    ),
  memInit: (mem: string, expected: string, found: string, loc: SourceLoc | null) =>
    diag('E015', `Contents of memory '${mem}' must be ${expected}, not ${found}`, loc, 'check the init array against depth and word shape'),
  invalidName: (kind: string, name: string, loc: SourceLoc | null) =>
    diag(
      'E016',
      `Name of ${kind} must be an identifier ([A-Za-z_][A-Za-z0-9_]*), not '${name}'`,
      loc,
      'use letters, digits and underscores, not starting with a digit',
    ),
  /** `why` is what the signal is ("an input port") or, starting with "not", why it cannot be used. */
  notAssignable: (name: string, why: string, loc: SourceLoc | null) =>
    diag(
      'E017',
      why.startsWith('not ') ? `'${name}' must be assignable, ${why}` : `'${name}' must be an output, a wire or a register to be assigned, not ${why}`,
      loc,
      'assign a wire, an output port or a register',
    ),
  memDepth: (mem: string, found: number, loc: SourceLoc | null) =>
    diag('E018', `Depth of memory '${mem}' must be an integer >= 1, not ${found}`, loc, 'give the number of words'),
  shiftAmount: (found: number, loc: SourceLoc | null) =>
    diag('E019', `Shift amount must be a non-negative integer, not ${found}`, loc, 'shift by a constant >= 0 or by an unsigned signal'),
  foreignValue: (inModule: string, fromModule: string, loc: SourceLoc | null) =>
    diag(
      'E020',
      `Values used in module '${inModule}' must belong to it, not to module '${fromModule}'`,
      loc,
      'pass values between modules through ports of an instance',
    ),
  unknownModule: (inst: string, mod: string, loc: SourceLoc | null) =>
    diag('E021', `Module of instance '${inst}' must be in the design, not the unknown '${mod}'`, loc, 'instantiate a ModuleDef built with defineModule()'),
  unknownSignal: (name: string, loc: SourceLoc | null) =>
    diag('E023', `Signal '${name}' must be declared in this module, not unknown`, loc, 'declare it with m.wire(), m.reg() or a port, or read it through an instance output'),
  resetValue: (reg: string, value: bigint, shape: Shape, loc: SourceLoc | null) =>
    diag('E022', `Reset value of '${reg}' must fit in ${shapeText(shape)}, not ${value}`, loc, 'use a value within the register range'),

  // ---- command line (the CLI reports these without a source location) ----
  unknownBlock: (name: string, known: readonly string[], closest: string | null) =>
    diag(
      'E100',
      `Block must be one of ${known.join(', ')}, not '${name}'`,
      null,
      `${closest ? `the closest name is '${closest}'; ` : ''}'splitfuse blocks' lists every block with its parameters`,
    ),
  /** `param` is null when the parameter name itself is unknown; `origin` says where the value came from. */
  badParam: (p: { block: string; param: string | null; expected: string; found: string; origin: string; hint: string }) =>
    diag('E101', `Parameter ${p.param === null ? '' : `'${p.param}' `}of block '${p.block}' must be ${p.expected}, not ${p.found} (${p.origin})`, null, p.hint),
  usage: (what: string, expected: string, found: string, hint: string) =>
    diag('E102', `${what} must be ${expected}, not ${found}`, null, hint),
  /** An external program (Verilator, ...) that a command needs; `found` says what was found instead. */
  missingTool: (tool: string, expected: string, found: string, hint: string) =>
    diag('E103', `${tool} must be ${expected}, not ${found}`, null, hint),
  /** A file a command was asked to write (`--vcd FILE`, ...); `error` is the system's reason (ENOENT, ...). */
  unwritableFile: (what: string, file: string, error: string) =>
    diag('E104', `${what} '${file}' must be writable, not failing with ${error}`, null, 'check that the directory exists and that you may write there'),

  // ---- quantized model files (accel/model.ts) and the golden model (accel/golden.ts); `file` names the file ----
  modelFile: (code: 'E110' | 'E111' | 'E112' | 'E113' | 'E114' | 'E115' | 'E116' | 'E117', file: string, field: string, expected: string, found: string, hint: string) =>
    diag(code, `Field '${field}' must be ${expected}, not ${found} (model file '${file}')`, null, hint),
  goldenInput: (model: string, expected: string, found: string) =>
    diag('E118', `Golden-model input must be ${expected}, not ${found} (model '${model}')`, null, 'quantize the image with accel/mnist.ts quantizeInput (q = round(x·127)) and pass input.shape values'),
  accumulatorOverflow: (model: string, layer: string, bits: number, found: string) =>
    diag('E119', `Accumulator of layer '${layer}' must fit in ${bits} signed bits, not ${found} (model '${model}')`, null, 'requantize with smaller weights or biases, or use a wider accumulator (accWidth)'),

  // ---- FPGA synthesis (fpga/) ----
  /** `lines`: the log lines around the first ERROR (fpga/yosys.ts relevantLogLines). */
  yosysFailed: (status: number, error: string, lines: readonly string[]) =>
    diag(
      'E120',
      `Yosys run must exit with status 0, not ${status} (${error})`,
      null,
      `fix what the ERROR names; the log around it:\n${lines.map((l) => `    | ${l}`).join('\n')}\n  (end of log excerpt)`,
    ),
  yosysWasmMemory: (error: string) =>
    diag('E120', `WebAssembly Yosys must finish within its 4 GiB address space, not run out of it (${error})`, null, "install a native Yosys (apt-get install yosys; splitfuse uses it when 'yosys' is on the PATH), or synthesize a smaller configuration (--config tiny, smaller buffers with --set)"),
  unknownTarget: (found: string, targets: readonly string[], closest: string | null) =>
    diag('E121', `Synthesis target must be one of ${targets.join(', ')}, not '${found}'`, null, `${closest ? `the closest name is '${closest}'; ` : ''}use --target ${targets.join('|')}`),
  yosysTop: (top: string, error: string) =>
    diag('E122', `Top module '${top}' must be defined in the Verilog given to Yosys, not missing (${error})`, null, 'name the top module of the files (for a block, the module "splitfuse gen" prints)'),
  yosysInput: (expected: string, found: string, hint: string) => diag('E123', `Yosys input files must be ${expected}, not ${found}`, null, hint),
  synthStats: (expected: string, found: string, hint: string) => diag('E124', `Synthesis statistics must be ${expected}, not ${found}`, null, hint),
  unknownPart: (found: string, parts: readonly string[], closest: string | null) =>
    diag('E128', `FPGA part must be one of ${parts.join(', ')}, not '${found}'`, null, `${closest ? `the closest name is '${closest}'; ` : ''}docs/fpga.md lists the parts and their capacities`),
  partTarget: (part: string, partTarget: string, target: string, parts: readonly string[]) =>
    diag('E129', `Part '${part}' must be a part of target ${target}, not of ${partTarget}`, null, `use --target ${partTarget}${parts.length > 0 ? `, or a part of ${target}: ${parts.join(', ')}` : ''}`),

  // ---- place and route (fpga/pnr.ts, fpga/nextpnr.ts) ----
  /** `lines`: the log lines around the first ERROR (fpga/yosys.ts relevantLogLines). */
  nextpnrFailed: (tool: string, status: string, error: string, lines: readonly string[]) =>
    diag('E200', `${tool} run must exit with status 0, not ${status} (${error})`, null, `fix what the ERROR names; the log around it:\n${lines.map((l) => `    | ${l}`).join('\n')}\n  (end of log excerpt)`),
  partFit: (top: string, part: string, overflow: string, hint: string) =>
    diag('E201', `Design '${top}' must fit part ${part}, not need ${overflow}`, null, hint),
  noPnr: (what: string, found: string, hint: string) => diag('E202', `${what} must be an iCE40 part (nextpnr-ice40), not ${found}`, null, hint),
  pnrReport: (expected: string, found: string) =>
    diag('E203', `nextpnr report must be ${expected}, not ${found}`, null, 'run with SPLITFUSE_DEBUG=1 and report it; the nextpnr version may write another format'),
  pnrOption: (option: string, expected: string, found: string, hint: string) =>
    diag('E204', `Option '${option}' must be ${expected}, not ${found}`, null, hint),
  bitstream: (found: string, hint: string) => diag('E205', `The bitstream must be written, not ${found}`, null, hint),

  // ---- GEMM driver (accel/gemm.ts); `where` names the source: "--m 0", "runGemm" ----
  gemmShape: (what: string, expected: string, found: string, where: string, hint: string) =>
    diag('E125', `${what} must be ${expected}, not ${found} (${where})`, null, hint),
  gemmArray: (option: string, expected: string, found: string, where: string, hint: string) =>
    diag('E126', `GEMM array option '${option}' must be ${expected}, not ${found} (${where})`, null, hint),
  gemmOperand: (what: string, expected: string, found: string, where: string, hint: string) =>
    diag('E127', `${what} must be ${expected}, not ${found} (${where})`, null, hint),

  // ---- accelerator configuration (accel/config.ts) ----
  /** `where` names the source: "preset 'default'", "config.json", "--set rows=0". */
  badConfig: (field: string, expected: string, found: string, where: string, hint: string) =>
    diag('E140', `Configuration field '${field}' must be ${expected}, not ${found} (${where})`, null, hint),
  configSource: (expected: string, found: string, hint: string) =>
    diag('E141', `Configuration must be ${expected}, not ${found}`, null, hint),
  /** `what` is a whole "X must be Y, not Z" sentence from the compiler. */
  unsupportedModel: (what: string, hint: string) => diag('E142', what, null, hint),
  /** `what` is a whole "X must be Y, not Z" sentence from the streaming compiler (accel/compiler/stream.ts). */
  unmappedLayer: (what: string) =>
    diag('E143', what, null, 'the golden model runs it (splitfuse golden); the accelerator has no datapath for it (docs/accelerator.md, "What the compiler maps")'),

  // ---- protection: neuron splitting, duplication, TMR (accel/protect/) ----
  protectOption: (option: string, expected: string, found: string, hint: string) => diag('E160', `${option} must be ${expected}, not ${found}`, null, hint),
  alreadyProtected: (model: string, layers: string) =>
    diag('E161', `Model '${model}' must be unprotected to protect it, not already protected (layers ${layers})`, null, 'protect the original model (e.g. models/lenet5-mnist-int8.sfm); schemes do not stack'),
  protectedTooBig: (model: string, config: string, reason: string) =>
    diag('E162', `Protected model '${model}' must fit accelerator '${config}', not ${reason}`, null, 'protect fewer neurons (a smaller --ratio or --top), or choose a larger --config'),
  missingLcu: (model: string, needs: string, config: string, has: string) =>
    diag('E163', `Accelerator '${config}' running '${model}' must have protection=${needs}, not ${has}`, null, `add --set protection=${needs} (the correction unit is generated only when asked for)`),
  compareOption: (option: string, expected: string, found: string, hint: string) => diag('E164', `${option} must be ${expected}, not ${found}`, null, hint),

  // ---- Neuron Vulnerability Factor and neuron-level faults (accel/protect/nvf.ts, neuron-faults.ts) ----
  nvfOption: (option: string, expected: string, found: string, hint: string) => diag('E170', `${option} must be ${expected}, not ${found}`, null, hint),
  nvfLayer: (what: string, expected: string, found: string, hint: string) => diag('E171', `${what} must be ${expected}, not ${found}`, null, hint),
  nvfProtected: (model: string, layers: string) =>
    diag('E172', `Model '${model}' must be unprotected for a Neuron Vulnerability Factor, not protected (layers ${layers})`, null, 'compute the NVF of the original model (e.g. models/lenet5-mnist-int8.sfm): it is what selects the neurons to protect'),
  badNeuronFault: (what: string, expected: string, found: string, hint: string) => diag('E173', `${what} must be ${expected}, not ${found}`, null, hint),
  postSchedule: (what: string, expected: string, found: string, hint: string) => diag('E174', `${what} must be ${expected}, not ${found}`, null, hint),

  // ---- fused-layer dataflow (accel/fuse/) ----
  fuseOption: (option: string, expected: string, found: string, hint: string) => diag('E175', `${option} must be ${expected}, not ${found}`, null, hint),
  fuseLayers: (group: string, expected: string, found: string, hint: string) => diag('E176', `Layers of fusion group '${group}' must be ${expected}, not ${found}`, null, hint),
  fuseFc: (group: string, layer: string) =>
    diag('E177', `Layers of fusion group '${group}' must be conv and pool layers, not the fc layer '${layer}'`, null, 'a fused group pipelines window layers row by row; end the group before the first flatten/fc (fc layers run layer by layer)'),
  fuseBudget: (group: string, budget: number, needed: number, hint: string) =>
    diag('E178', `On-chip bytes of fusion group '${group}' must be at most the buffer budget ${budget}, not ${needed}`, null, hint),
  fuseMachine: (group: string, what: string) =>
    diag('E179', `${what} (fusion group '${group}')`, null, 'raise activationBufferBytes/weightBufferBytes/accumulatorBufferBytes with --set, use a larger --config, or fuse fewer layers (--fuse auto picks groups that fit)'),
  ringMachine: (config: string, instr: number, op: string) =>
    diag('E197', `Machine '${config}' running a program with ${op} (instruction ${instr}) must have ring addressing (ringAddressing=true), not be without it`, null, 'the program was compiled for a ring-addressing machine (fused line buffers that wrap, isa.ts RING): run it on that configuration, or compile the model again for this one'),

  // ---- ONNX import (accel/onnx/import.ts) ----
  /** `what` names the node or tensor ("Node 'conv1' (Conv)"), `file` the ONNX file. */
  onnxImport: (code: 'E190' | 'E191' | 'E192' | 'E193' | 'E194' | 'E195' | 'E196', file: string, what: string, expected: string, found: string, hint: string) =>
    diag(code, `${what} must be ${expected}, not ${found} (ONNX file '${file}')`, null, hint),

  // ---- accelerator export and co-simulation (accel/export.ts, accel/cosim-accel.ts) ----
  /** `option` of `command` (e.g. "splitfuse gen mac") is given where it does not apply, or left out where it must be given. */
  accelOption: (option: string, command: string, expected: string, found: string, hint: string) =>
    diag('E146', `Option '${option}' of '${command}' must be ${expected}, not ${found}`, null, hint),
  testImage: (what: string, expected: string, found: string) =>
    diag('E147', `${what} must be ${expected}, not ${found}`, null, 'the held-out MNIST test split of accel/mnist.ts has 2,004 digits, numbered from 0'),
  /** The TypeScript run of a compiled model before export or co-simulation stopped without `done`. */
  accelRun: (model: string, config: string, found: string) =>
    diag('E148', `The accelerator run of model '${model}' on configuration '${config}' must reach done, not ${found}`, null, 'the compiled program or the configuration is broken; run the same model with runModelImage (accel/run.ts) to see where it stops'),

  // ---- fault sites and the injector (accel/fault/sites.ts, inject.ts) ----
  /** `suggestion`: "close names: ..." (generalised site names) or the top-level names. */
  noFaultSite: (pattern: string, suggestion: string) =>
    diag('E150', `Fault-site pattern '${pattern}' must match at least one site, not none`, null, `${suggestion}; run 'splitfuse sites --pattern "*"' to list the on-chip sites (nets and dram.* only match when named explicitly, see docs/faults.md)`),
  badSitePattern: (pattern: string, why: string) =>
    diag('E151', `Fault-site pattern '${pattern}' must be components like 'array.pe[*][0:3].acc', not with ${why}`, null, "components are separated by '.', '*' matches any characters, indices are [*], [3] or an inclusive range [0:3], patterns are separated by ','"),
  badFault: (what: string, expected: string, found: string, hint: string) => diag('E152', `${what} must be ${expected}, not ${found}`, null, hint),
  injectorOption: (option: string, expected: string, found: string, hint: string) =>
    diag('E153', `Injector option '${option}' must be ${expected}, not ${found}`, null, hint),

  // ---- fault campaigns and sweeps (accel/fault/campaign.ts, sweep.ts) ----
  /** A resumed results file's header differs from this run at `field` (values as JSON). */
  campaignMismatch: (file: string, field: string, inFile: string, inRun: string, hint: string) =>
    diag('E155', `Campaign parameter '${field}' must be ${inFile} as in results file '${file}', not ${inRun}`, null, hint),
  campaignOption: (option: string, expected: string, found: string, hint: string) =>
    diag('E156', `Campaign option '${option}' must be ${expected}, not ${found}`, null, hint),
  campaignFile: (file: string, expected: string, found: string, hint: string) =>
    diag('E157', `Results file '${file}' must be ${expected}, not ${found}`, null, hint),
  sweepOption: (option: string, expected: string, found: string, hint: string) =>
    diag('E158', `Sweep option '${option}' must be ${expected}, not ${found}`, null, hint),

  // ---- campaigns past one machine: shards, merge, cluster scripts (accel/fault/shard.ts, merge.ts, cluster.ts) ----
  /** `what`: "Option '--shard'", "Environment variable SLURM_ARRAY_TASK_ID", ... */
  shardOption: (what: string, expected: string, found: string, hint: string) => diag('E180', `${what} must be ${expected}, not ${found}`, null, hint),
  /** Two shard files of one merge differ at `field` (values as JSON). */
  shardMismatch: (file: string, other: string, field: string, inOther: string, inFile: string, hint: string) =>
    diag('E181', `Campaign parameter '${field}' of shard file '${file}' must be ${inOther} as in '${other}', not ${inFile}`, null, hint),
  mergeIncomplete: (dir: string, expected: string, found: string, hint: string) =>
    diag('E182', `Shards in '${dir}' must be ${expected}, not ${found}`, null, hint),
  campaignTooLarge: (expected: string, found: string, hint: string) =>
    diag('E183', `Injections of one process must be ${expected}, not ${found}`, null, hint),
  tamperedResult: (file: string, line: number, expected: string, found: string) =>
    diag('E184', `Result line ${line} of '${file}' must be ${expected}, not ${found}`, null, 'the file was edited, or written by another version of splitfuse: start a new results file with --out'),
  outputClash: (what: string, file: string, expected: string, found: string, hint: string) =>
    diag('E185', `${what} '${file}' must be ${expected}, not ${found}`, null, hint),
  duplicateLayer: (model: string, name: string, first: number, second: number) =>
    diag('E186', `Layer names of model '${model}' must be unique, not '${name}' for layers ${first} and ${second}`, null, 'per-layer reports and fault breakdowns are keyed by name: rename one layer when exporting or importing the model'),
};
