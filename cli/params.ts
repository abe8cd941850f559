// Block parameters on the command line: `--set key=value` strings are typed by the block's zod
// schema (numbers, booleans, strings), validated, and every problem is reported at once as E101
// (bad value or unknown name) or E102 (malformed --set).
import { z } from 'zod';
import type { Diagnostic } from '../hdl/diagnostics.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { BlockDef, BlockParams } from './blocks.js';
import { closestName } from './blocks.js';

/** One parameter as `splitfuse blocks` shows it, taken from the schema's JSON Schema (input side). */
export interface ParamInfo {
  readonly name: string;
  /** 'integer', 'number', 'boolean', 'string' or '' when the schema does not say. */
  readonly type: string;
  /** Allowed values, when the schema lists them. */
  readonly values: readonly (string | number | boolean)[] | null;
  readonly minimum: number | null;
  readonly maximum: number | null;
  /** undefined when the parameter has no fixed default (it is derived from the others). */
  readonly default: unknown;
  readonly description: string;
}

interface JsonProperty {
  type?: string;
  enum?: (string | number | boolean)[];
  const?: string | number | boolean;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
}

const SAFE = Number.MAX_SAFE_INTEGER;

export function paramInfo(block: BlockDef): ParamInfo[] {
  const json = z.toJSONSchema(block.params, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonProperty>;
  };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    type: p.type ?? '',
    values: p.enum ?? (p.const !== undefined ? [p.const] : null),
    // zod writes the safe-integer bounds of z.int() when no tighter bound is given.
    minimum: p.minimum !== undefined && Math.abs(p.minimum) < SAFE ? p.minimum : null,
    maximum: p.maximum !== undefined && Math.abs(p.maximum) < SAFE ? p.maximum : null,
    default: p.default,
    description: p.description ?? '',
  }));
}

/** What values a parameter takes, e.g. `8 | 16`, `integer 1..128`, `true | false`. */
export function paramTypeText(p: ParamInfo): string {
  if (p.values) return p.values.map((v) => String(v)).join(' | ');
  if (p.type === 'boolean') return 'true | false';
  const range = p.minimum !== null && p.maximum !== null ? ` ${p.minimum}..${p.maximum}` : p.minimum !== null ? ` >= ${p.minimum}` : p.maximum !== null ? ` <= ${p.maximum}` : '';
  return `${p.type || 'value'}${range}`;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^0[xX][0-9a-fA-F]+$|^0[bB][01]+$/;

/** Type one --set value by the parameter's schema; values that do not parse stay strings for zod to report. */
export function typedValue(text: string, p: ParamInfo | undefined): unknown {
  const kind = p?.values ? typeof p.values[0] : p?.type;
  const asNumber = (): unknown => (NUMBER.test(text) ? Number(text) : text);
  const asBoolean = (): unknown => (text === 'true' ? true : text === 'false' ? false : text);
  switch (kind) {
    case 'integer':
    case 'number':
      return asNumber();
    case 'boolean':
      return asBoolean();
    case 'string':
      return text;
    default: {
      // The schema does not say: read numbers and booleans as such.
      const b = asBoolean();
      return typeof b === 'boolean' ? b : asNumber();
    }
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : v === undefined ? 'missing' : String(v));

/**
 * Validate `--set key=value` strings against a block's schema and return its parameters
 * (defaults filled in, derived values computed). Throws a DiagnosticError with every problem.
 */
export function resolveParams(block: BlockDef, sets: readonly string[]): BlockParams {
  const infos = new Map(paramInfo(block).map((p) => [p.name, p]));
  const names = [...infos.keys()];
  // Each problem keeps the position of its --set, so that they are reported in command-line order.
  const problems: { at: number; diagnostic: Diagnostic }[] = [];
  const report = (at: number, diagnostic: Diagnostic): void => void problems.push({ at, diagnostic });
  const input: Record<string, unknown> = {};
  const origin = new Map<string, { at: number; text: string }>();
  for (const [at, set] of sets.entries()) {
    const eq = set.indexOf('=');
    if (eq <= 0) {
      report(at, msg.usage('Each --set', 'key=value', `'${set}'`, `e.g. --set ${names[0] ?? 'width'}=${String(infos.get(names[0] ?? '')?.default ?? 16)}`));
      continue;
    }
    const key = set.slice(0, eq);
    const text = set.slice(eq + 1);
    const info = infos.get(key);
    if (!info) {
      const closest = closestName(key, names);
      report(
        at,
        msg.badParam({
          block: block.name,
          param: null,
          expected: names.length ? `one of ${names.join(', ')}` : 'absent (the block takes no parameters)',
          found: `'${key}'`,
          origin: `--set ${set}`,
          hint: `${closest ? `the closest name is '${closest}'; ` : ''}'splitfuse blocks' lists the parameters of each block`,
        }),
      );
      continue;
    }
    if (origin.has(key)) {
      report(at, msg.usage(`Parameter '${key}'`, 'set once', `set again by --set ${set}`, `keep one of the --set ${key} options`));
      continue;
    }
    input[key] = typedValue(text, info);
    origin.set(key, { at, text: `--set ${set}` });
  }
  // Validate the well-formed settings too, so that one run reports every problem.
  const result = block.params.safeParse(input);
  if (result.success && problems.length === 0) return result.data;
  for (const issue of result.error?.issues ?? []) {
    const key = String(issue.path[0] ?? '');
    const info = infos.get(key);
    const found = key in input ? show(input[key]) : 'its default';
    const from = origin.get(key);
    const diagnostic = msg.badParam({
      block: block.name,
      param: key || null,
      expected: expectationOf(issue, info),
      found,
      origin: from?.text ?? 'default',
      hint: hintOf(issue, info),
    });
    report(from?.at ?? sets.length, diagnostic);
  }
  problems.sort((a, b) => a.at - b.at);
  throw new DiagnosticError(problems.map((p) => p.diagnostic));
}

/** The "must be ..." part of an E101 message for one zod issue. */
function expectationOf(issue: z.core.$ZodIssue, info: ParamInfo | undefined): string {
  const range = info && info.minimum !== null && info.maximum !== null ? `${info.minimum}..${info.maximum}` : null;
  switch (issue.code) {
    case 'invalid_value':
      return `one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_type':
      if (issue.expected === 'boolean') return 'true or false';
      if (issue.expected === 'int' || (issue.expected === 'number' && info?.type === 'integer')) {
        return range ? `an integer in ${range}` : 'an integer';
      }
      return `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
    case 'too_big':
      if (range) return `${info?.type === 'integer' ? 'an integer' : 'a number'} in ${range}`;
      return `${issue.code === 'too_small' ? '>' : '<'}${issue.inclusive ? '=' : ''} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)}`;
    case 'custom':
      return issue.message;
    case 'unrecognized_keys':
      return 'a known parameter';
    default:
      return `valid (${issue.message})`;
  }
}

function hintOf(issue: z.core.$ZodIssue, info: ParamInfo | undefined): string {
  const key = String(issue.path[0] ?? 'key');
  if (issue.code === 'custom') {
    const hint = (issue.params as { hint?: unknown } | undefined)?.hint;
    if (typeof hint === 'string') return hint;
  }
  if (info?.values) return `use ${info.values.map((v) => `--set ${key}=${String(v)}`).join(' or ')}`;
  if (info?.type === 'boolean') return `use --set ${key}=true or --set ${key}=false`;
  if (info?.description) return `${key} is the ${info.description}`;
  return `'splitfuse blocks' lists the parameters of each block`;
}
