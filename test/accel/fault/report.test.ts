// Campaign and sweep reports (accel/fault/report.ts) from hand-made summaries: the Markdown tables, the
// stacked bars (segments proportional to the outcome counts), the sweep chart and the HTML page.
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../accel/config.js';
import { summarize, type CampaignParams, type ResultLine } from '../../../accel/fault/campaign.js';
import { campaignMarkdown, outcomeChartSvg, reportHtml, sweepChartSvg, sweepMarkdown } from '../../../accel/fault/report.js';
import type { SweepSummary } from '../../../accel/fault/sweep.js';
import type { FaultSite, Outcome } from '../../../accel/fault/types.js';

const SITES: FaultSite[] = [
  { name: 'a', kind: 'register', width: 32, depth: 1, group: 'pe.acc' },
  { name: 'w', kind: 'register', width: 8, depth: 1, group: 'pe.weight' },
];
const PARAMS: CampaignParams = {
  model: 'lenet<5>', modelCrc: '0', config: PRESETS.tiny!, sites: 'array.pe[*][*].acc', fault: 'seu', bitsPerUpset: 1, seed: 1, images: 1, imagesCrc: '0',
  population: 4000, samples: 4, margin: 0.05, confidence: 0.95,
};
const line = (i: number, outcome: Outcome, site: string): ResultLine => ({
  i, outcome, layer: 'conv1', image: 0, predicted: 1, goldenPredicted: 1, label: 1, cycles: 1, earlyExit: false, hang: false,
  fault: { model: 'seu', site, addr: 0, bits: [0], cycle: 0 },
});
const summary = summarize(PARAMS, [line(0, 'masked', 'a'), line(1, 'sdc', 'a'), line(2, 'critical', 'a'), line(3, 'masked', 'w')], {
  sites: SITES, layerOrder: ['conv1'], resumed: 0, ran: 4, setupSeconds: 1, seconds: 2, workers: 1, resultsFile: null,
});

describe('campaign report', () => {
  it('Markdown: the command, the outcome table with Wilson intervals, per group and per layer', () => {
    const md = campaignMarkdown(summary, { command: 'npx splitfuse fault --samples 4' });
    expect(md).toContain('```\nnpx splitfuse fault --samples 4\n```');
    expect(md).toContain('| critical | 1 | 25.00% | [4.56%, 69.94%] |');
    expect(md).toContain('Leveugle et al. (DATE 2009), margin ±5.0% at 95% confidence');
    expect(md).toContain('| pe.acc | 32 | 3 | 1 | 1 | 1 | 0 | 0 | 33.33% |');
    expect(md).toContain('| conv1 | 4 | 2 | 1 | 1 | 0 | 0 | 25.00% |');
  });

  it('the stacked bars: one row per group plus "all", segment widths proportional to the counts', () => {
    const svg = outcomeChartSvg(summary);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="30" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toEqual([240, 120, 120]); // "all": masked 2, sdc 1, critical 1 of 4 on a 480-wide bar
    expect(svg).toContain('>pe.weight</text>');
  });

  it('the HTML page is self-contained and escapes text', () => {
    const page = reportHtml({ campaign: summary, title: 'a <b> & c' });
    expect(page).toContain('<title>a &lt;b&gt; &amp; c</title>');
    expect(page).toContain('lenet&lt;5&gt;');
    expect(page).not.toMatch(/<script|<link|\bsrc=|\bhref=/);
    expect(page).toContain('<table><thead><tr><th>outcome</th>');
  });
});

describe('sweep report', () => {
  const sweep: SweepSummary = {
    sites: 'array.pe[*][*].acc', fault: 'stuck1', siteCount: 16, bits: 512, images: 10, seeds: 2, seed: 1, seconds: 3, workers: 1,
    points: [
      { faults: 0, bitErrorRate: 0, accuracies: [1, 1], mean: 1, stddev: 0, min: 1, max: 1, hangs: 0 },
      { faults: 4, bitErrorRate: 4 / 512, accuracies: [0.5, 0.7], mean: 0.6, stddev: Math.sqrt(0.02), min: 0.5, max: 0.7, hangs: 0 },
    ],
  };

  it('Markdown table and a line chart with one point per fault count (y: 100 % at the top)', () => {
    expect(sweepMarkdown(sweep)).toContain('| 4 | 7.81e-3 | 60.0% | 14.1% | 50.0% | 70.0% | 0 |');
    const svg = sweepChartSvg(sweep);
    // plot area: top 30, height 260 → accuracy 1 at y = 30, 0.6 at y = 134; x from 56 to 576
    expect(svg).toContain('<polyline points="56.0,30.0 576.0,134.0" class="line"/>');
    expect(svg.match(/<circle /g)).toHaveLength(2);
  });
});
