// FPGA resource table of the default blocks (DESIGN.md §11, docs/fpga.md): every block of
// cli/blocks.ts in DEFAULT_ROWS that exists, synthesized for every target with fpga/synth.ts, printed
// as one markdown table per target (or all results as JSON).
//
//   npm run resources -- [--json] [--target xc7,ice40] [--block mac,array]
//
// Progress (one line per synthesis with its time) goes to stderr, the table to stdout, so the output
// can be pasted into docs/fpga.md as it is. Deterministic for one Yosys version.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { blockNames } from '../cli/blocks.js';
import { elaborateBlock } from '../cli/generate.js';
import { synthesize, type SynthResult } from '../fpga/synth.js';
import { parseTarget, SYNTH_TARGETS, TARGET_NAMES, type SynthTarget } from '../fpga/targets.js';
import { yosysVersion } from '../fpga/yosys.js';

/** One row of the table: a block with `--set` parameters (none: the block's defaults). */
export interface ResourceRow {
  readonly label: string;
  readonly block: string;
  readonly set: readonly string[];
}

/** The default blocks, in data-path order; rows whose block is not registered are left out. */
export const DEFAULT_ROWS: readonly ResourceRow[] = [
  { label: 'mac', block: 'mac', set: [] },
  { label: 'pe', block: 'pe', set: [] },
  { label: 'array 4×4', block: 'array', set: ['rows=4', 'cols=4'] },
  { label: 'array 8×8', block: 'array', set: ['rows=8', 'cols=8'] },
  { label: 'requant', block: 'requant', set: [] },
  { label: 'pool', block: 'pool', set: [] },
  { label: 'linebuf', block: 'linebuf', set: [] },
  { label: 'sram', block: 'sram', set: [] },
];

export interface ResourceEntry {
  readonly label: string;
  readonly block: string;
  readonly set: readonly string[];
  readonly result: SynthResult;
}

/** Synthesize every row for every target (rows outer, so a block's numbers arrive together). */
export async function resourceTable(
  rows: readonly ResourceRow[],
  targets: readonly SynthTarget[],
  log: (line: string) => void = () => {},
): Promise<ResourceEntry[]> {
  const entries: ResourceEntry[] = [];
  for (const row of rows) {
    const { design } = elaborateBlock(row.block, row.set);
    for (const target of targets) {
      const start = performance.now();
      const result = await synthesize(design, { target });
      log(`${row.label} on ${target}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
      entries.push({ ...row, result });
    }
  }
  return entries;
}

/** One markdown table per target: block, top module, LUT, FF, DSP, BRAM, LUT-RAM, carry and wide-mux cells. */
export function resourceMarkdown(entries: readonly ResourceEntry[], targets: readonly SynthTarget[]): string {
  const out: string[] = [];
  for (const target of targets) {
    const rows = entries.filter((e) => e.result.target === target);
    if (rows.length === 0) continue;
    out.push(`#### ${target} (${TARGET_NAMES[target]})`, '');
    out.push('| block | top module | LUT | FF | DSP | BRAM | LUT-RAM | carry | wide mux |', '|---|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const { label, result: r } of rows) {
      out.push(`| ${label} | \`${r.top}\` | ${r.lut} | ${r.ff} | ${r.dsp} | ${r.bram} | ${r.lutram} | ${r.carry} | ${r.mux} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

async function mainScript(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, target: { type: 'string' }, block: { type: 'string' } },
  });
  const targets = values.target ? values.target.split(',').map(parseTarget) : [...SYNTH_TARGETS];
  const known = new Set(blockNames());
  const wanted = values.block ? new Set(values.block.split(',')) : null;
  const rows = DEFAULT_ROWS.filter((r) => known.has(r.block) && (!wanted || wanted.has(r.block) || wanted.has(r.label)));
  const missing = DEFAULT_ROWS.filter((r) => !known.has(r.block)).map((r) => r.block);
  if (missing.length) process.stderr.write(`not registered in cli/blocks.ts (left out): ${[...new Set(missing)].join(', ')}\n`);
  const entries = await resourceTable(rows, targets, (line) => process.stderr.write(`${line}\n`));
  if (values.json) {
    const json = entries.map((e) => ({ label: e.label, block: e.block, set: e.set, ...e.result }));
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${await yosysVersion()}; every count is a number of cells (docs/fpga.md).\n\n`);
  process.stdout.write(resourceMarkdown(entries, targets));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  mainScript().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
