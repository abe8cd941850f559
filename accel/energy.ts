// Energy estimates (DESIGN.md §10): energy = Σ events × cost per event, with the events counted by the
// simulator (MACs, buffer reads and writes, DRAM accesses) and the costs from a technology table.
// The default table is 45 nm, from M. Horowitz, "Computing's energy problem (and what we can do about
// it)", ISSCC 2014: int8 add 0.03 pJ, int8 mul 0.2 pJ, int32 add 0.1 pJ, int32 mul 3.1 pJ; 64-bit SRAM
// read 10 pJ (8 KB), 20 pJ (32 KB), 100 pJ (1 MB); DRAM 1.3–2.6 nJ per 64-bit access. Figures the paper
// does not give (int16 operations, SRAM sizes between its points, writes) are derived as documented
// below and reported as estimates. Users can supply their own table as JSON.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';

const tableSchema = z.strictObject({
  name: z.string(),
  /** Multiply of two operands of the given width, pJ. */
  mulPJ: z.strictObject({ int8: z.number().nonnegative(), int16: z.number().nonnegative(), int32: z.number().nonnegative() }),
  /** Accumulator add at the given accumulator width, pJ. */
  addPJ: z.strictObject({ int8: z.number().nonnegative(), int16: z.number().nonnegative(), int32: z.number().nonnegative(), int48: z.number().nonnegative() }),
  /** 64-bit SRAM read energy at given sizes (bytes → pJ); other sizes are interpolated in log(size). */
  sramRead64PJ: z.array(z.tuple([z.number().positive(), z.number().nonnegative()])).min(1),
  /** A write costs this many reads (Horowitz gives reads only). */
  sramWriteFactor: z.number().nonnegative(),
  /** One 64-bit DRAM access, pJ. */
  dramAccess64PJ: z.number().nonnegative(),
  /** Which entries are estimates rather than published figures (shown with the report). */
  estimates: z.array(z.string()),
});

export type EnergyTable = z.output<typeof tableSchema>;

/**
 * The default 45 nm table. int16 multiply: the 8-bit figure scaled by (16/8)^2 (array multiplier area
 * and energy grow with the square of the width) = 0.8 pJ, an estimate; int16 and int48 adds: linear
 * between the 8- and 32-bit figures, estimates. DRAM: 2.0 nJ, inside the published 1.3–2.6 nJ range.
 * SRAM writes are taken equal to reads (an estimate).
 */
export const HOROWITZ_45NM: EnergyTable = {
  name: '45nm (Horowitz, ISSCC 2014)',
  mulPJ: { int8: 0.2, int16: 0.8, int32: 3.1 },
  addPJ: { int8: 0.03, int16: 0.05, int32: 0.1, int48: 0.15 },
  sramRead64PJ: [
    [8 * 1024, 10],
    [32 * 1024, 20],
    [1024 * 1024, 100],
  ],
  sramWriteFactor: 1,
  dramAccess64PJ: 2000,
  estimates: ['int16 multiply (8-bit figure x4)', 'int16 and int48 adds (interpolated)', 'SRAM writes (= reads)', 'SRAM sizes between the published points (log-interpolated)', 'DRAM (mid-range of 1.3-2.6 nJ)'],
};

/** Read a user's table (same fields as HOROWITZ_45NM) from a JSON file; errors are E141-style diagnostics. */
export function loadEnergyTable(file: string): EnergyTable {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DiagnosticError([msg.configSource(`a readable JSON energy table at '${file}'`, `unusable (${(err as Error).message})`, 'start from the fields of HOROWITZ_45NM in accel/energy.ts')]);
  }
  const parsed = tableSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  // Every problem at once, each naming its field, what it must be and what the file has.
  throw new DiagnosticError(parsed.error.issues.map((issue) => tableIssue(issue, data, file)));
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function tableIssue(issue: z.core.$ZodIssue, data: unknown, file: string): ReturnType<typeof msg.badConfig> {
  const hint = 'the fields are those of HOROWITZ_45NM in accel/energy.ts';
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const field = [where, issue.keys[0] ?? ''].filter((p) => p !== '').join('.');
    return msg.badConfig(field, 'a field of the energy table', 'an unknown field', file, `remove it; ${hint}`);
  }
  const found = valueAt(data, issue.path);
  const shown = found === undefined ? 'missing' : JSON.stringify(found);
  const expected =
    issue.code === 'invalid_type' ? `a ${issue.expected}` :
    issue.code === 'too_small' ? (issue.origin === 'array' ? `a list of at least ${String(issue.minimum)} entries` : `${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`) :
    issue.code === 'too_big' ? `${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}` :
    `valid (${issue.message})`;
  return msg.badConfig(where === '' ? '(the table)' : where, expected, shown, file, hint);
}

/** 64-bit read energy of an SRAM of `bytes`, log-interpolated between the table's points (clamped at the ends). */
export function sramRead64(table: EnergyTable, bytes: number): number {
  const pts = [...table.sramRead64PJ].sort((a, b) => a[0] - b[0]);
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last) return 0;
  if (bytes <= first[0]) return first[1];
  if (bytes >= last[0]) return last[1];
  for (let i = 1; i < pts.length; i++) {
    const [s1, e1] = pts[i - 1] as [number, number];
    const [s2, e2] = pts[i] as [number, number];
    if (bytes <= s2) return e1 + ((e2 - e1) * Math.log(bytes / s1)) / Math.log(s2 / s1);
  }
  return last[1];
}

/** What happened during a run, counted by the simulator. */
export interface EnergyEvents {
  /** Multiply-accumulates performed (PE cycles with a valid operand pair). */
  readonly macs: number;
  readonly dtype: 'int8' | 'int16';
  readonly accWidth: number;
  /** Per on-chip buffer: its size and its read/write counts of words of `wordBits`. */
  readonly buffers: readonly { name: string; bytes: number; wordBits: number; reads: number; writes: number }[];
  /** Bytes moved to and from DRAM. */
  readonly dramBytes: number;
  /** Requantizations performed (each: one 32×31-bit multiply, costed as an int32 mul, plus bias and rounding adds). */
  readonly requants: number;
}

export interface EnergyReport {
  readonly table: string;
  readonly totalPJ: number;
  /** Energy per component, pJ: 'mac', 'requant', each buffer by name, 'dram'. */
  readonly components: Readonly<Record<string, number>>;
  readonly estimates: readonly string[];
}

/** Energy of a run: Σ events × cost. Accumulator adds use the nearest table width at or above accWidth. */
export function estimateEnergy(events: EnergyEvents, table: EnergyTable = HOROWITZ_45NM): EnergyReport {
  const add = events.accWidth <= 8 ? table.addPJ.int8 : events.accWidth <= 16 ? table.addPJ.int16 : events.accWidth <= 32 ? table.addPJ.int32 : table.addPJ.int48;
  const components: Record<string, number> = {};
  components.mac = events.macs * (table.mulPJ[events.dtype] + add);
  components.requant = events.requants * (table.mulPJ.int32 + 2 * table.addPJ.int32);
  for (const b of events.buffers) {
    const perWord = sramRead64(table, b.bytes) * (b.wordBits / 64);
    components[b.name] = perWord * (b.reads + b.writes * table.sramWriteFactor);
  }
  components.dram = (events.dramBytes / 8) * table.dramAccess64PJ;
  const totalPJ = Object.values(components).reduce((a, b) => a + b, 0);
  return { table: table.name, totalPJ, components, estimates: table.estimates };
}
