// Reports of fault campaigns and sweeps: Markdown (for docs and pull requests) and one self-contained
// HTML page (inline CSS and SVG, no scripts, no external assets) with two plots: outcomes per site
// group (100 % stacked bars) and accuracy against the number of stuck-at faults (mean ± one standard
// deviation over seeds, min–max as a band).
import type { CampaignSummary, OutcomeBreakdown } from './campaign.js';
import type { SweepSummary } from './sweep.js';
import { OUTCOMES, type Outcome } from './types.js';

const pct = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;
const ci = (c: readonly [number, number]): string => `[${pct(c[0])}, ${pct(c[1])}]`;
const num = (x: number): string => x.toLocaleString('en-US');

/** Colours of the outcomes in every plot (colour-blind-safe Okabe–Ito palette). */
export const OUTCOME_COLOURS: Readonly<Record<Outcome, string>> = {
  masked: '#009E73',
  sdc: '#E69F00',
  critical: '#D55E00',
  detected: '#0072B2',
  corrected: '#56B4E9',
};

function breakdownRow(name: string, b: OutcomeBreakdown, extra: string[] = []): string {
  return `| ${[name, ...extra, num(b.injections), ...OUTCOMES.map((o) => num(b.outcomes[o])), pct(b.criticalRate), ci(b.ci95)].join(' | ')} |`;
}

function breakdownTable(first: string, extraHeads: string[], rows: string[]): string[] {
  const heads = [first, ...extraHeads, 'injections', ...OUTCOMES, 'critical rate', '95% CI'];
  return [`| ${heads.join(' | ')} |`, `|${heads.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows];
}

/** The Markdown report of a campaign; `command` (optional) is shown so readers can rerun it. */
export function campaignMarkdown(s: CampaignSummary, options: { title?: string; command?: string } = {}): string {
  const p = s.params;
  const how = p.margin === null ? 'explicit count' : `Leveugle et al. (DATE 2009), margin ±${pct(p.margin, 1)} at ${pct(p.confidence ?? 0.95, 0)} confidence`;
  const lines = [
    `## ${options.title ?? `Fault campaign: ${p.model} on ${(p.config as { name?: string }).name ?? 'accelerator'}`}`,
    '',
    ...(options.command ? ['```', options.command, '```', ''] : []),
    `Sites \`${p.sites}\`, fault model ${p.fault}${p.bitsPerUpset > 1 ? ` (${p.bitsPerUpset} adjacent bits)` : ''}, ${p.images} image${p.images === 1 ? '' : 's'}, seed ${p.seed}.`,
    `${num(s.injections)} injections out of a population of ${num(p.population)} faults (${how}); achieved margin ±${pct(s.achievedMargin)} at p = 0.5.`,
    '',
    '| outcome | count | rate | 95% CI (Wilson) |',
    '| --- | ---: | ---: | ---: |',
    ...OUTCOMES.map((o) => `| ${o} | ${num(s.rates[o].count)} | ${pct(s.rates[o].rate)} | ${ci(s.rates[o].ci95)} |`),
    '',
    `Top-1 accuracy under faults ${pct(s.accuracy)} (fault-free on the same images ${pct(s.goldenAccuracy)}); ${s.hangs} hang${s.hangs === 1 ? '' : 's'}; ${num(s.earlyExits)} early exits.`,
    `${s.ran} injections ran in ${s.seconds.toFixed(1)} s on ${s.workers} worker${s.workers === 1 ? '' : 's'} (${s.injectionsPerSecond.toFixed(2)}/s, setup ${s.setupSeconds.toFixed(1)} s)${s.resumed ? `; ${s.resumed} resumed from the results file` : ''}.`,
    '',
    '### Per site group',
    '',
    ...breakdownTable('group', ['bits'], s.groups.map((g) => breakdownRow(g.group, g, [num(g.bits)]))),
    '',
    '### Per layer (executing at the injection cycle)',
    '',
    ...breakdownTable('layer', [], s.layers.map((l) => breakdownRow(l.layer, l))),
    '',
  ];
  return lines.join('\n');
}

/** The Markdown report of a sweep. */
export function sweepMarkdown(s: SweepSummary, options: { title?: string; command?: string } = {}): string {
  const acc = (x: number): string => (Number.isNaN(x) ? '–' : pct(x, 1));
  return [
    `## ${options.title ?? `Stuck-at sweep: ${s.fault} in \`${s.sites}\``}`,
    '',
    ...(options.command ? ['```', options.command, '```', ''] : []),
    `${num(s.siteCount)} sites, ${num(s.bits)} bits; ${s.images} image${s.images === 1 ? '' : 's'} per point; ${s.seeds} fault placement${s.seeds === 1 ? '' : 's'} (seed ${s.seed}); ${s.seconds.toFixed(1)} s on ${s.workers} worker${s.workers === 1 ? '' : 's'}.`,
    '',
    '| faults | bit error rate | mean accuracy | std. dev. | min | max | hangs |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.points.map((p) => `| ${num(p.faults)} | ${p.bitErrorRate.toExponential(2)} | ${acc(p.mean)} | ${acc(p.stddev)} | ${acc(p.min)} | ${acc(p.max)} | ${p.hangs} |`),
    '',
  ].join('\n');
}

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline SVG: one 100 % stacked horizontal bar per site group (plus "all"), segments per outcome. */
export function outcomeChartSvg(s: CampaignSummary): string {
  const rows: { name: string; b: OutcomeBreakdown }[] = [{ name: 'all', b: s }, ...s.groups.filter((g) => g.injections > 0).map((g) => ({ name: g.group, b: g }))];
  const labelW = 120;
  const barW = 480;
  const rowH = 26;
  const top = 30;
  const height = top + rows.length * rowH + 30;
  const width = labelW + barW + 110;
  const parts: string[] = [];
  parts.push(`<text x="${labelW}" y="16" class="title">Outcomes per site group (share of injections)</text>`);
  rows.forEach(({ name, b }, r) => {
    const y = top + r * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(name)}</text>`);
    let x = labelW;
    for (const o of OUTCOMES) {
      const w = b.injections ? (barW * b.outcomes[o]) / b.injections : 0;
      if (w > 0) parts.push(`<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 6}" fill="${OUTCOME_COLOURS[o]}"><title>${esc(`${name}: ${o} ${b.outcomes[o]} of ${b.injections} (${pct(b.outcomes[o] / b.injections)})`)}</title></rect>`);
      x += w;
    }
    parts.push(`<text x="${labelW + barW + 8}" y="${y + 15}">n=${b.injections}, crit ${pct(b.criticalRate, 1)}</text>`);
  });
  const ly = top + rows.length * rowH + 12;
  OUTCOMES.forEach((o, i) => {
    const x = labelW + i * 96;
    parts.push(`<rect x="${x}" y="${ly}" width="12" height="12" fill="${OUTCOME_COLOURS[o]}"/><text x="${x + 16}" y="${ly + 11}">${o}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="outcomes per site group">${parts.join('')}</svg>`;
}

/** Inline SVG: accuracy against faults (points evenly spaced, labelled with the fault count). */
export function sweepChartSvg(s: SweepSummary): string {
  const left = 56;
  const plotW = 520;
  const plotH = 260;
  const top = 30;
  const width = left + plotW + 30;
  const height = top + plotH + 50;
  const n = s.points.length;
  const xOf = (i: number): number => left + (n === 1 ? plotW / 2 : (plotW * i) / (n - 1));
  const yOf = (acc: number): number => top + plotH * (1 - acc);
  const parts: string[] = [];
  parts.push(`<text x="${left}" y="16" class="title">Top-1 accuracy against stuck-at faults (${esc(s.fault)} in ${esc(s.sites)})</text>`);
  for (let t = 0; t <= 10; t += 2) {
    const y = yOf(t / 10);
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" class="grid"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${t * 10}%</text>`);
  }
  const valid = s.points.map((p, i) => ({ p, i })).filter(({ p }) => !Number.isNaN(p.mean));
  if (valid.length > 1) {
    const band = [...valid.map(({ p, i }) => `${xOf(i).toFixed(1)},${yOf(p.max).toFixed(1)}`), ...[...valid].reverse().map(({ p, i }) => `${xOf(i).toFixed(1)},${yOf(p.min).toFixed(1)}`)];
    parts.push(`<polygon points="${band.join(' ')}" class="band"><title>min–max over seeds</title></polygon>`);
    parts.push(`<polyline points="${valid.map(({ p, i }) => `${xOf(i).toFixed(1)},${yOf(p.mean).toFixed(1)}`).join(' ')}" class="line"/>`);
  }
  for (const { p, i } of valid) {
    const x = xOf(i);
    parts.push(`<line x1="${x}" y1="${yOf(Math.min(1, p.mean + p.stddev))}" x2="${x}" y2="${yOf(Math.max(0, p.mean - p.stddev))}" class="err"/>`);
    parts.push(`<circle cx="${x}" cy="${yOf(p.mean)}" r="4" class="dot"><title>${esc(`${p.faults} faults (BER ${p.bitErrorRate.toExponential(2)}): mean ${pct(p.mean, 1)} ± ${pct(p.stddev, 1)}, min ${pct(p.min, 1)}, max ${pct(p.max, 1)}`)}</title></circle>`);
  }
  s.points.forEach((p, i) => parts.push(`<text x="${xOf(i)}" y="${top + plotH + 18}" text-anchor="middle">${num(p.faults)}</text>`));
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 40}" text-anchor="middle">stuck-at faults (of ${num(s.bits)} bits); mean ± 1 s.d. over ${s.seeds} seeds, band min–max</text>`);
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" class="axis"/><line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" class="axis"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="accuracy against faults">${parts.join('')}</svg>`;
}

/** A minimal Markdown → HTML for the reports above (headings, paragraphs, tables, code blocks, `code`). */
function markdownToHtml(md: string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  const inline = (t: string): string => esc(t).replace(/`([^`]+)`/g, '<code>$1</code>');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const code: string[] = [];
      while (++i < lines.length && !lines[i]!.startsWith('```')) code.push(lines[i]!);
      out.push(`<pre><code>${esc(code.join('\n'))}</code></pre>`);
    } else if (/^#{2,4} /.test(line)) {
      const level = line.indexOf(' ');
      out.push(`<h${level}>${inline(line.slice(level + 1))}</h${level}>`);
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.slice(1, -1).split('|').map((c) => c.trim()));
      i--;
      const [head, , ...body] = rows;
      out.push(`<table><thead><tr>${head!.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n');
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:2px 8px}td{text-align:right}td:first-child{text-align:left}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto}svg{display:block;margin:1em 0;font-size:12px}svg .title{font-weight:600;font-size:13px}
svg .grid{stroke:#e4e4e4}svg .axis{stroke:#444}svg .band{fill:#0072B2;opacity:.15}svg .line{fill:none;stroke:#0072B2;stroke-width:2}
svg .err{stroke:#0072B2;stroke-width:1.5}svg .dot{fill:#0072B2}`;

/** A self-contained HTML page with the campaign and/or sweep reports and their plots. */
export function reportHtml(report: { title?: string; campaign?: CampaignSummary; sweep?: SweepSummary; command?: string }): string {
  const title = report.title ?? 'splitfuse fault report';
  const body: string[] = [`<h1>${esc(title)}</h1>`];
  if (report.campaign) body.push(outcomeChartSvg(report.campaign), markdownToHtml(campaignMarkdown(report.campaign, { command: report.command })));
  if (report.sweep) body.push(sweepChartSvg(report.sweep), markdownToHtml(sweepMarkdown(report.sweep, { command: report.command })));
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>\n<body>\n${body.join('\n')}\n</body></html>\n`;
}
