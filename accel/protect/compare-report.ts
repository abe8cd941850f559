// Reports of a protection comparison (accel/protect/compare.ts): a terminal table, Markdown (docs), and one
// self-contained HTML page (inline CSS and SVG, no scripts) with the resilience-vs-overhead plot: critical
// rate (with its 95% interval) against the cycle overhead, and against the LUT overhead when the variants
// were synthesized — one series per scheme, its points the ratios.
import { OUTCOMES } from '../fault/types.js';
import type { CompareReport, VariantResult } from './compare.js';

const pct = (x: number, d = 2): string => `${(100 * x).toFixed(d)}%`;
const signed = (x: number | null): string => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`);
const num = (x: number): string => x.toLocaleString('en-US');
const ci = (c: readonly [number, number]): string => `[${pct(c[0])}, ${pct(c[1])}]`;

/** Colours per scheme (Okabe–Ito). */
export const SCHEME_COLOURS: Readonly<Record<string, string>> = { none: '#000000', dup: '#0072B2', tmr: '#D55E00', split: '#009E73' };

function rows(r: CompareReport): string[][] {
  return r.variants.map((v) => [
    v.label,
    v.ratio === null ? '-' : String(v.protectedNeurons),
    num(v.injections),
    ...OUTCOMES.map((o) => num(v.outcomes[o])),
    `${pct(v.critical.rate)} ${ci(v.critical.ci95)}`,
    `${pct(v.sdc.rate)} ${ci(v.sdc.ci95)}`,
    num(Math.round(v.cyclesPerImage)),
    signed(v.cycleOverhead),
    v.energyPerImageUJ.toFixed(2),
    signed(v.energyOverhead),
    v.resources ? `${num(v.resources.lut)}/${num(v.resources.ff)}/${v.resources.dsp}/${v.resources.bram}` : '-',
    v.resourceOverhead ? signed(v.resourceOverhead.lut) : '-',
  ]);
}

const HEADS = ['variant', 'neurons', 'injections', ...OUTCOMES, 'critical [95% CI]', 'SDC [95% CI]', 'cycles/image', 'cycles', 'µJ/image', 'energy', 'LUT/FF/DSP/BRAM', 'LUT'];

function describe(r: CompareReport): string {
  const neurons = r.sites === 'neurons' || r.sites.startsWith('neurons:');
  const where = neurons ? (r.fault === 'seu' ? `single-bit upsets of neuron accumulators (${r.sites})` : `a ${r.fault} bit in the accumulator-buffer word of a neuron (${r.sites})`) : `sites '${r.sites}'`;
  return `${r.model} on '${r.config}': ${num(r.samples)} ${r.fault} faults per variant, ${where}, ${r.images} test digits, seed ${r.seed}; the same faults on every variant`;
}

/** The terminal table. */
export function compareText(r: CompareReport): string {
  const table = [HEADS, ...rows(r)];
  const widths = HEADS.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]): string => `  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
  const synth = r.variants.find((v) => v.resources)?.resources;
  return [
    describe(r),
    line(HEADS),
    ...rows(r).map(line),
    `  overheads are relative to 'none'; energy is an estimate (45 nm table)${synth ? `; resources: Yosys xc7 of the '${synth.config}' accelerator with its correction unit` : ''}`,
    `  ${num(r.samples * r.variants.length)} injections in ${r.seconds.toFixed(1)} s (${r.injectionsPerSecond.toFixed(1)}/s)`,
    '',
  ].join('\n');
}

/** Markdown (docs/protection.md). */
export function compareMarkdown(r: CompareReport, command?: string): string {
  return [
    `## Protection schemes: ${r.model} on ${r.config}`,
    '',
    ...(command ? ['```', command, '```', ''] : []),
    `${describe(r)}.`,
    '',
    `| ${HEADS.join(' | ')} |`,
    `|${HEADS.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows(r).map((row) => `| ${row.join(' | ')} |`),
    '',
  ].join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One scatter plot: y = critical rate (interval bars), x = an overhead; a line per scheme through its ratios. */
function plot(r: CompareReport, title: string, xOf: (v: VariantResult) => number | null): string {
  const pts = r.variants.map((v) => ({ v, x: xOf(v) })).filter((p): p is { v: VariantResult; x: number } => p.x !== null);
  if (pts.length === 0) return '';
  const W = 520, H = 320, L = 60, R = 20, T = 30, B = 45;
  const xMax = Math.max(0.05, ...pts.map((p) => p.x)) * 1.1;
  const xMin = Math.min(0, ...pts.map((p) => p.x));
  const yMax = Math.max(0.01, ...pts.map((p) => p.v.critical.ci95[1])) * 1.1;
  const X = (x: number): number => L + ((x - xMin) / (xMax - xMin)) * (W - L - R);
  const Y = (y: number): number => H - B - (y / yMax) * (H - T - B);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`);
  for (let k = 0; k <= 4; k++) {
    const y = (yMax * k) / 4, x = xMin + ((xMax - xMin) * k) / 4;
    out.push(`<text x="${L - 6}" y="${Y(y) + 4}" text-anchor="end" font-size="11">${pct(y, 1)}</text>`);
    out.push(`<text x="${X(x)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${signed(x)}</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">overhead vs unprotected</text>`);
  out.push(`<text x="14" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${H / 2})">critical rate</text>`);
  const schemes = [...new Set(pts.map((p) => p.v.scheme))];
  schemes.forEach((s, i) => {
    const c = SCHEME_COLOURS[s] ?? '#666';
    const mine = pts.filter((p) => p.v.scheme === s).sort((a, b) => a.x - b.x);
    if (mine.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${mine.map((p) => `${X(p.x).toFixed(1)},${Y(p.v.critical.rate).toFixed(1)}`).join(' ')}"/>`);
    for (const p of mine) {
      out.push(`<line x1="${X(p.x)}" x2="${X(p.x)}" y1="${Y(p.v.critical.ci95[0])}" y2="${Y(p.v.critical.ci95[1])}" stroke="${c}"/>`);
      out.push(`<circle cx="${X(p.x)}" cy="${Y(p.v.critical.rate)}" r="4" fill="${c}"><title>${esc(`${p.v.label}: critical ${pct(p.v.critical.rate)} ${ci(p.v.critical.ci95)}, overhead ${signed(p.x)}`)}</title></circle>`);
    }
    out.push(`<rect x="${W - R - 90}" y="${T + 4 + 16 * i}" width="10" height="10" fill="${c}"/><text x="${W - R - 75}" y="${T + 13 + 16 * i}" font-size="11">${esc(s)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

/** A self-contained HTML page: the table and the resilience-vs-overhead plots. */
export function compareHtml(r: CompareReport, command?: string): string {
  const table = `<table><thead><tr>${HEADS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows(r)
    .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`splitfuse compare: ${r.model}`)}</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}pre{background:#f4f4f4;padding:.5em}</style></head><body>
<h1>Protection schemes: ${esc(r.model)} on ${esc(r.config)}</h1>
${command ? `<pre>${esc(command)}</pre>` : ''}<p>${esc(describe(r))}.</p>
${table}
<p>${plot(r, 'Critical rate vs cycle overhead', (v) => v.cycleOverhead)} ${plot(r, 'Critical rate vs LUT overhead', (v) => v.resourceOverhead?.lut ?? (v.scheme === 'none' && v.resources ? 0 : null))}</p>
<p>Points: one per ratio of protected neurons; bars: 95% Wilson intervals. Overheads are measured: cycles on the RTL, LUTs from Yosys.</p>
</body></html>
`;
}
