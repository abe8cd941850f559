// The buffer-vs-traffic trade-off (Alwani et al., MICRO 2016, Fig. 9: off-chip transfer against on-chip storage over
// the fusion design space): the planner (accel/fuse/plan.ts, auto) run for a sweep of on-chip budgets; each point is
// the best plan within that budget — its on-chip bytes and DRAM bytes per image by kind. Candidate groups are
// compiled once for the whole sweep. The text, JSON and HTML (an SVG plot in the house style of
// accel/protect/compare-report.ts) of `splitfuse fuse-explore`.
import type { AccelGeometry } from '../../gen/accel/config.js';
import type { Model } from '../model.js';
import { planFusion, type GroupPlan, type Traffic } from './plan.js';

export interface ExplorePoint {
  /** The budget given to the planner (bytes; null: unlimited). */
  readonly budget: number | null;
  /** On-chip bytes the chosen plan uses (its largest group). */
  readonly onChipBytes: number;
  readonly groups: readonly { readonly name: string; readonly tileRows: number; readonly onChipBytes: number }[];
  readonly traffic: Traffic;
}

export interface ExploreReport {
  readonly model: string;
  readonly config: string;
  /** Groups had to fit the accelerator's buffers (false: the dataflow's own figures, any buffer size). */
  readonly machine: boolean;
  readonly layerByLayer: Traffic;
  readonly points: readonly ExplorePoint[];
}

export interface ExploreOptions {
  readonly model: Model;
  readonly geometry: AccelGeometry;
  readonly configName: string;
  /** Budgets to plan for (default: powers of two from 1 KiB up to the unlimited plan's on-chip bytes, then unlimited). */
  readonly budgets?: readonly number[];
  readonly machine?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Plan for every budget (see the header). */
export function exploreFusion(options: ExploreOptions): ExploreReport {
  const { model, geometry: g } = options;
  const machine = options.machine ?? true;
  const cache = new Map<string, GroupPlan | null>();
  const baseline = {};
  const point = (budget: number | null): ExplorePoint => {
    const p = planFusion(model, g, { fuse: 'auto', ...(budget !== null ? { bufferBytes: budget } : {}), machine, cache, baseline });
    return { budget, onChipBytes: p.onChipBytes, groups: p.groups.map((q) => ({ name: q.name, tileRows: q.tileRows, onChipBytes: q.onChipBytes })), traffic: p.fused };
  };
  const unlimited = point(null);
  const budgets = options.budgets ?? (() => {
    const out: number[] = [];
    for (let b = 1024; b < unlimited.onChipBytes; b *= 2) out.push(b);
    return out;
  })();
  const points: ExplorePoint[] = [];
  budgets.forEach((b, i) => {
    points.push(point(b));
    options.onProgress?.(i + 1, budgets.length + 1);
  });
  if (!options.budgets) points.push(unlimited);
  options.onProgress?.(budgets.length + 1, budgets.length + 1);
  const layerByLayer = planFusion(model, g, { fuse: 'none', machine, cache, baseline }).layerByLayer;
  return { model: model.name, config: options.configName, machine, layerByLayer, points };
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const kb = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fm = (t: Traffic): number => t.fmRead + t.fmWritten;

function rows(r: ExploreReport): string[][] {
  return r.points.map((p) => [p.budget === null ? 'unlimited' : int(p.budget), int(p.onChipBytes), int(fm(p.traffic)), int(p.traffic.weightRead), int(p.traffic.total), p.groups.length ? p.groups.map((q) => `${q.name} (T=${q.tileRows})`).join(', ') : 'none (layer by layer)']);
}
const HEADS = ['budget B', 'on-chip B', 'feature maps B', 'weights B', 'DRAM total B', 'groups (tile rows)'];

export function exploreText(r: ExploreReport): string {
  const all = [HEADS, ...rows(r)];
  const widths = HEADS.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  const line = (row: string[]): string => `  ${row.map((cell, c) => (c === HEADS.length - 1 ? cell : cell.padStart(widths[c]!))).join('  ')}`.trimEnd();
  return [
    `${r.model} on '${r.config}': DRAM bytes per image against the on-chip line-buffer budget (${r.machine ? 'groups must fit the accelerator' : 'any buffer size'})`,
    `  layer by layer: feature maps ${int(fm(r.layerByLayer))} B, weights ${int(r.layerByLayer.weightRead)} B, total ${int(r.layerByLayer.total)} B`,
    ...all.map(line),
    '',
  ].join('\n');
}

/** The trade-off curve: DRAM bytes per image (feature maps and total) against on-chip bytes. */
function plot(r: ExploreReport): string {
  const pts = r.points.filter((p) => p.groups.length > 0);
  const W = 560, H = 340, L = 80, R = 20, T = 30, B = 45;
  const xMax = Math.max(1, ...pts.map((p) => p.onChipBytes)) * 1.1;
  const yMax = Math.max(r.layerByLayer.total, ...r.points.map((p) => p.traffic.total)) * 1.1;
  const X = (x: number): number => L + (x / xMax) * (W - L - R);
  const Y = (y: number): number => H - B - (y / yMax) * (H - T - B);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="DRAM bytes vs on-chip bytes">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">DRAM bytes per image vs on-chip line buffers</text>`);
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`);
  for (let k = 0; k <= 4; k++) {
    out.push(`<text x="${L - 6}" y="${Y((yMax * k) / 4) + 4}" text-anchor="end" font-size="11">${esc(kb((yMax * k) / 4))}</text>`);
    out.push(`<text x="${X((xMax * k) / 4)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${esc(kb((xMax * k) / 4))}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">on-chip bytes (line buffers + staging)</text>`);
  out.push(`<text x="14" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${H / 2})">DRAM bytes / image</text>`);
  out.push(`<line x1="${L}" x2="${W - R}" y1="${Y(r.layerByLayer.total)}" y2="${Y(r.layerByLayer.total)}" stroke="#999" stroke-dasharray="4 3"/><text x="${W - R}" y="${Y(r.layerByLayer.total) - 4}" text-anchor="end" font-size="11">layer by layer (total)</text>`);
  const series: [string, string, (p: ExplorePoint) => number][] = [
    ['total', '#1f77b4', (p) => p.traffic.total],
    ['feature maps', '#d62728', (p) => fm(p.traffic)],
  ];
  series.forEach(([name, colour, y], i) => {
    const mine = [...pts].sort((a, b) => a.onChipBytes - b.onChipBytes);
    if (mine.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${mine.map((p) => `${X(p.onChipBytes).toFixed(1)},${Y(y(p)).toFixed(1)}`).join(' ')}"/>`);
    for (const p of mine) out.push(`<circle cx="${X(p.onChipBytes).toFixed(1)}" cy="${Y(y(p)).toFixed(1)}" r="4" fill="${colour}"><title>${esc(`${int(p.onChipBytes)} B on chip: ${name} ${int(y(p))} B; ${p.groups.map((q) => `${q.name} T=${q.tileRows}`).join(', ')}`)}</title></circle>`);
    out.push(`<rect x="${W - R - 110}" y="${T + 4 + 16 * i}" width="10" height="10" fill="${colour}"/><text x="${W - R - 95}" y="${T + 13 + 16 * i}" font-size="11">${esc(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

/** A self-contained HTML page: the table and the trade-off plot. */
export function exploreHtml(r: ExploreReport, command?: string): string {
  const table = `<table><thead><tr>${HEADS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows(r)
    .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`splitfuse fuse-explore: ${r.model}`)}</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}pre{background:#f4f4f4;padding:.5em}</style></head><body>
<h1>Fused-layer trade-off: ${esc(r.model)} on ${esc(r.config)}</h1>
${command ? `<pre>${esc(command)}</pre>` : ''}<p>Layer by layer: ${esc(int(fm(r.layerByLayer)))} B of feature maps and ${esc(int(r.layerByLayer.weightRead))} B of weights per image. Each point: the planner's best fusion groups within a budget (${r.machine ? 'groups fit the accelerator' : 'any buffer size'}); bytes counted from the compiled programs' LOADs and STOREs.</p>
${table}
<p>${plot(r)}</p>
<p>Method: Alwani et al., "Fused-Layer CNN Accelerators", MICRO 2016 (pyramids, overlap kept on chip); docs/fusion.md.</p>
</body></html>
`;
}
