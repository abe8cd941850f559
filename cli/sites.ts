// `splitfuse sites`: list the fault sites a pattern selects on an accelerator configuration, with their
// bit counts and groups (accel/fault/sites.ts; docs/faults.md describes the names and patterns). The
// model sets the sizes of the program tables (imem, pixmem, offmem, pmem) and the DRAM image.
import { fileURLToPath } from 'node:url';
import { compile } from '../accel/compiler.js';
import { resolveConfig } from '../accel/config.js';
import { accelSites, siteBits, siteTotals } from '../accel/fault/sites.js';
import type { FaultSite } from '../accel/fault/types.js';
import type { CliIO } from './main.js';
import { loadModelFile } from './model-file.js';

/** The committed LeNet-5 model, the default of --model. */
export const DEFAULT_MODEL = fileURLToPath(new URL('../models/lenet5-mnist-int8.sfm', import.meta.url));

export interface SitesCommandOptions {
  /** A preset name or a JSON file (accel/config.ts resolveConfig); default 'default'. */
  readonly config?: string;
  readonly set?: readonly string[];
  /** Model file; default models/lenet5-mnist-int8.sfm. */
  readonly model?: string;
  readonly pattern: string;
  readonly json?: boolean;
}

export interface SitesReport {
  readonly config: string;
  readonly model: string;
  readonly pattern: string;
  readonly sites: (FaultSite & { readonly bits: number })[];
  readonly totals: ReturnType<typeof siteTotals>;
}

/** Resolve the configuration (E140/E141), read the model (E110–E117), match the pattern (E150/E151). */
export function sitesReport(opts: SitesCommandOptions): SitesReport {
  const config = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const model = loadModelFile(opts.model ?? DEFAULT_MODEL);
  const compiled = compile(model, config);
  const sites = accelSites(config, compiled.sizes).match(opts.pattern);
  return { config: config.name, model: model.name, pattern: opts.pattern, sites: sites.map((s) => ({ ...s, bits: siteBits(s) })), totals: siteTotals(sites) };
}

const int = (x: number): string => x.toLocaleString('en-US');
const shareText = (x: number): string => (x > 0 && x < 0.001 ? '<0.1%' : `${(100 * x).toFixed(1)}%`);

/** The table: one line per site, then the totals per group and overall. */
export function sitesReportText(r: SitesReport): string {
  const head = ['site', 'kind', 'width × depth', 'bits', 'group', 'simulator name'];
  const rows = r.sites.map((s) => [s.alias ?? s.name, s.kind, `${s.width} × ${int(s.depth)}`, int(s.bits), s.group, s.name]);
  const groupHead = ['group', 'sites', 'bits', 'share'];
  const groupRows = r.totals.groups.map((g) => [g.group, int(g.sites), int(g.bits), shareText(g.bits / Math.max(1, r.totals.bits))]);
  const table = (header: string[], body: string[][], right: number[]): string[] => {
    const widths = header.map((_, c) => Math.max(...[header, ...body].map((row) => row[c]!.length)));
    return [header, ...body].map((row) => `  ${row.map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ')}`.trimEnd());
  };
  return [
    `Fault sites of '${r.pattern}' on configuration '${r.config}' (model ${r.model}):`,
    ...table(head, rows, [2, 3]),
    '',
    'Totals per group:',
    ...table(groupHead, groupRows, [1, 2, 3]),
    `${int(r.totals.sites)} site${r.totals.sites === 1 ? '' : 's'}, ${int(r.totals.bits)} bits`,
    '',
  ].join('\n');
}

export function sitesCommand(opts: SitesCommandOptions, io: CliIO): void {
  const report = sitesReport(opts);
  io.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : sitesReportText(report));
}
