// The accelerator configuration (DESIGN.md §5): ONE validated object that produces the hardware (gen/),
// the compiler's target (accel/compiler) and the documentation of the instance, like Gemmini's config →
// header. Named presets give the common sizes; a JSON file or `key=value` overrides change single fields.
// Every problem is a coded diagnostic (E140 bad field, E141 bad preset or file) naming the field, the
// expected and the found value, and where the value came from.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Diagnostic } from '../hdl/diagnostics.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { closeMatches } from '../sim/suggest.js';

const bits = { int8: 8, int16: 16 } as const;

const schema = z
  .strictObject({
    name: z.string().min(1).describe('name of this configuration (used in module names and reports)'),
    rows: z.int().min(1).max(64).describe('rows of the systolic array (PEs per column)'),
    cols: z.int().min(1).max(64).describe('columns of the systolic array (PEs per row)'),
    dataflow: z.enum(['ws', 'os']).describe('weight-stationary (ws) or output-stationary (os)'),
    dtype: z.enum(['int8', 'int16']).describe('operand type of weights and activations'),
    accWidth: z.int().min(17).max(64).describe('accumulator width in bits (default 32 for int8, 48 for int16)'),
    doubleBuffer: z.boolean().describe('double-buffered PE weights, so loading the next tile overlaps streaming'),
    weightLoad: z
      .enum(['shift', 'row', 'tile'])
      .optional()
      .describe("how weight rows enter the array: 'shift' down the columns (a K tile every max(M, 2R-1) cycles; the default when absent), 'row' into one addressed row per cycle (every max(M, R)), or 'tile' a whole R×C tile per cycle from R·C weight banks (as 'row', plus the GEMV path: one weight tile per vector, fc layers at batch 1 at the full array; rows a power of two, other rows load by row); double-buffered arrays only, a single-buffered one shifts"),
    activationLayout: z
      .enum(['copies', 'banked'])
      .optional()
      .describe("how each activation buffer serves the array's R reads per cycle: 'copies' keeps R identical read copies (the default when absent) or 'banked' one copy in NB = 2^ceil(log2(2R)) address-interleaved banks (the compiler orders each K tile so that its rows hit distinct banks)"),
    postLanes: z
      .enum(['one', 'columns'])
      .optional()
      .describe("requantization lanes of the POST engine: 'one' (the default when absent) writes one output per cycle; 'columns' adds one per array column so that a GEMV's row of outputs (fc layers at batch 1) is written in one cycle (banked activation buffers with cols <= banks and protection none only; C - 1 more requantizers)"),
    weightBufferBytes: z.int().min(64).max(1 << 24).describe('on-chip weight buffer size in bytes'),
    activationBufferBytes: z.int().min(64).max(1 << 24).describe('on-chip activation buffer size in bytes'),
    accumulatorBufferBytes: z.int().min(64).max(1 << 24).describe('on-chip partial-sum buffer size in bytes'),
    dramLatency: z.int().min(1).max(10_000).describe('DRAM read latency in cycles (request to first beat)'),
    dramBytesPerCycle: z.int().min(1).max(64).describe('DRAM bandwidth in bytes per cycle'),
    clockMHz: z.number().positive().max(2000).describe('clock frequency in MHz (turns cycles into time)'),
    protection: z.enum(['none', 'split', 'dup', 'tmr']).describe('correction unit in the POST path for protected models: split (LCU), dup (compare/min), tmr (voter) or none'),
    ringAddressing: z.boolean().optional().describe('ring (modulo) addressing of GEMM activation reads: line buffers of fused layers wrap in place, without mirror rows (false when absent)'),
  })
  .superRefine((c, ctx) => {
    // The accelerator's array (gen/accel/gemm-engine.ts) is weight-stationary; os exists only for the gemm/array block.
    if (c.dataflow === 'os') {
      ctx.addIssue({ code: 'custom', path: ['dataflow'], message: "'ws' (the accelerator's array is weight-stationary; output-stationary exists only for the gemm and array blocks)", params: { hint: "leave dataflow at 'ws'; try os on a bare array with splitfuse gemm --dataflow os" } });
    }
    // The geometry gen/accel/config.ts accelGeometry derives must exist: checked here so that a bad value
    // is an E140 naming the field, not an internal error from the generator.
    const elemBytes = (bits[c.dtype] ?? 8) / 8;
    const need = (field: keyof typeof c, ok: boolean, expected: string, hint: string): void => {
      if (!ok) ctx.addIssue({ code: 'custom', path: [field], message: expected, params: { hint } });
    };
    if (Number.isInteger(c.rows) && Number.isInteger(c.cols) && Number.isInteger(c.accWidth)) {
      need('weightBufferBytes', c.weightBufferBytes >= c.rows * c.cols * elemBytes, `at least rows·cols elements (${c.rows * c.cols * elemBytes} bytes)`, 'the weight buffer holds at least one R×C weight tile');
      need('activationBufferBytes', c.activationBufferBytes >= 4 * elemBytes, `at least 4 elements (${4 * elemBytes} bytes)`, 'the activation buffer has two halves of at least 2 elements');
      need('accumulatorBufferBytes', c.accumulatorBufferBytes >= 8 * c.cols * Math.ceil(c.accWidth / 8), `at least 4 rows per bank (${8 * c.cols * Math.ceil(c.accWidth / 8)} bytes for ${c.cols} columns of ${c.accWidth} bits)`, 'the partial-sum buffer has two banks of at least 4 rows');
    }
    need('dramBytesPerCycle', c.dramBytesPerCycle <= 16 && c.dramBytesPerCycle >= elemBytes, `in ${elemBytes}..16 (a DRAM word is at most 128 bits)`, 'e.g. dramBytesPerCycle=8');
    const least = 2 * (bits[c.dtype] ?? 8) + 1;
    if (Number.isInteger(c.accWidth) && c.accWidth < least) {
      ctx.addIssue({ code: 'custom', path: ['accWidth'], message: `at least 2*operand width+1 = ${least} for ${c.dtype}`, params: { hint: `use accWidth=${c.dtype === 'int8' ? 32 : 48}` } });
    }
  });

export type AccelConfig = z.output<typeof schema>;
export type ConfigField = keyof AccelConfig;

const KiB = 1024;

/**
 * The named presets: tiny (4×4), default (8×8), large (16×16); all INT8 weight-stationary, double-buffered with whole-tile
 * weight loading and banked activation buffers (issue 14); default and large with POST row lanes (postLanes 'columns': tiny's
 * fc1/fc2 are not GEMVs, the lanes would save it 9 cycles for 12 DSPs and keep it off the small parts of docs/fpga.md).
 */
export const PRESETS: Readonly<Record<string, AccelConfig>> = {
  tiny: {
    name: 'tiny', rows: 4, cols: 4, dataflow: 'ws', dtype: 'int8', accWidth: 32, doubleBuffer: true, weightLoad: 'tile', activationLayout: 'banked',
    weightBufferBytes: 8 * KiB, activationBufferBytes: 8 * KiB, accumulatorBufferBytes: 4 * KiB,
    dramLatency: 50, dramBytesPerCycle: 8, clockMHz: 100, protection: 'none',
  },
  default: {
    name: 'default', rows: 8, cols: 8, dataflow: 'ws', dtype: 'int8', accWidth: 32, doubleBuffer: true, weightLoad: 'tile', activationLayout: 'banked', postLanes: 'columns',
    weightBufferBytes: 64 * KiB, activationBufferBytes: 32 * KiB, accumulatorBufferBytes: 16 * KiB,
    dramLatency: 100, dramBytesPerCycle: 8, clockMHz: 200, protection: 'none',
  },
  large: {
    name: 'large', rows: 16, cols: 16, dataflow: 'ws', dtype: 'int8', accWidth: 32, doubleBuffer: true, weightLoad: 'tile', activationLayout: 'banked', postLanes: 'columns',
    weightBufferBytes: 128 * KiB, activationBufferBytes: 64 * KiB, accumulatorBufferBytes: 64 * KiB,
    dramLatency: 100, dramBytesPerCycle: 16, clockMHz: 200, protection: 'none',
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** Operand width in bits of a configuration's dtype. */
export function operandBits(config: AccelConfig): 8 | 16 {
  return bits[config.dtype];
}

/** Field descriptions for docs and `--help`, from the schema. */
export function configFields(): { name: string; description: string }[] {
  return Object.entries(schema.shape).map(([name, s]) => ({ name, description: s.description ?? '' }));
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : v === undefined ? 'missing' : JSON.stringify(v));

/**
 * Validate a whole configuration object; `where` says where it came from (a preset, a file).
 * Returns the configuration or throws a DiagnosticError with one E140 per bad field.
 */
export function validateConfig(input: unknown, where: string, origins: ReadonlyMap<string, string> = new Map()): AccelConfig {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = Object.keys(schema.shape);
  const obj = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const diagnostics: Diagnostic[] = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      const close = closeMatches(key, fields);
      return msg.badConfig(key, `one of ${fields.join(', ')}`, 'an unknown field', origins.get(key) ?? where, close.length ? `did you mean '${close[0]}'?` : 'remove the field');
    }
    const field = String(issue.path[0] ?? '');
    const description = (schema.shape as Record<string, z.ZodType>)[field]?.description ?? '';
    const expected = issue.code === 'custom' ? issue.message : expectation(issue);
    const hintParam = issue.code === 'custom' ? (issue.params as { hint?: unknown } | undefined)?.hint : undefined;
    const hint = typeof hintParam === 'string' ? hintParam : `${field} is the ${description}`;
    return msg.badConfig(field, expected, show(obj[field]), origins.get(field) ?? where, hint);
  });
  throw new DiagnosticError(diagnostics);
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`;
    case 'too_small':
      return `${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    case 'too_big':
      return `${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    default:
      return `valid (${issue.message})`;
  }
}

export interface ConfigRequest {
  /** A preset name, or the path of a JSON file holding a (partial) configuration with an optional "preset". */
  readonly config: string;
  /** `field=value` overrides, applied last. */
  readonly set?: readonly string[];
}

/**
 * Resolve `--config NAME|FILE` plus `--set field=value` overrides into a validated configuration.
 * A file may name a "preset" to start from (default: "default") and override any field.
 */
export function resolveConfig(request: ConfigRequest): AccelConfig {
  const origins = new Map<string, string>();
  let base: Record<string, unknown>;
  let where: string;
  let fileFields = new Set<string>();
  if (Object.hasOwn(PRESETS, request.config)) {
    base = { ...PRESETS[request.config] };
    where = `preset '${request.config}'`;
  } else if (/[./\\]/.test(request.config)) {
    const file = readConfigFile(request.config);
    const presetName = file.preset ?? 'default';
    if (typeof presetName !== 'string' || !Object.hasOwn(PRESETS, presetName)) {
      throw new DiagnosticError([msg.badConfig('preset', `one of ${PRESET_NAMES.join(', ')}`, show(presetName), request.config, 'name a preset to start from, or leave "preset" out')]);
    }
    const { preset: _preset, ...fields } = file;
    fileFields = new Set(Object.keys(fields));
    base = { ...PRESETS[presetName], name: request.config.replace(/^.*[/\\]/, '').replace(/\.json$/, ''), ...fields };
    where = request.config;
  } else {
    const close = closeMatches(request.config, PRESET_NAMES);
    throw new DiagnosticError([
      msg.configSource(
        `a preset (${PRESET_NAMES.join(', ')}) or the path of a JSON file`,
        `'${request.config}'`,
        close.length ? `did you mean '${close[0]}'?` : 'a file path must contain a dot or a slash, e.g. ./my-accel.json',
      ),
    ]);
  }
  const problems: Diagnostic[] = [];
  for (const set of request.set ?? []) {
    const eq = set.indexOf('=');
    if (eq <= 0) {
      problems.push(msg.usage('Each --set', 'field=value', `'${set}'`, 'e.g. --set rows=4'));
      continue;
    }
    const key = set.slice(0, eq);
    const text = set.slice(eq + 1);
    if (origins.has(key)) {
      // As for block parameters (cli/params.ts): a second --set of one field is a mistake, not an override.
      problems.push(msg.usage(`Configuration field '${key}'`, 'set once', `set again by --set ${set} after ${origins.get(key)!}`, `keep one of the --set ${key} options`));
      continue;
    }
    base[key] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text === 'true' ? true : text === 'false' ? false : text;
    origins.set(key, `--set ${set}`);
  }
  if (problems.length) throw new DiagnosticError(problems);
  // A changed dtype brings its default accumulator unless the accumulator was chosen too.
  const chosen = (key: string): boolean => origins.has(key) || (where !== `preset '${request.config}'` && fileFields.has(key));
  if (chosen('dtype') && !chosen('accWidth')) base.accWidth = base.dtype === 'int16' ? 48 : 32;
  return validateConfig(base, where, origins);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DiagnosticError([msg.configSource(`a readable JSON file at '${file}'`, `unreadable (${code})`, `use a preset (${PRESET_NAMES.join(', ')}) or check the path`)]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DiagnosticError([msg.configSource(`valid JSON in '${file}'`, `malformed (${(err as Error).message})`, 'fix the JSON syntax')]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DiagnosticError([msg.configSource(`a JSON object in '${file}'`, Array.isArray(data) ? 'an array' : show(data), 'write {"preset": "default", "rows": 8, ...}')]);
  }
  return data as Record<string, unknown>;
}
