// `splitfuse fault`: the JSON summary, the reports, resume after a real kill (SIGKILL of bin/splitfuse.js
// half-way through a campaign), the sweep mode and coded diagnostics for bad flags. Campaigns are LeNet-5
// on tiny with few injections; --snapshot-interval 0 makes each injection a full run, slow enough to
// kill the process between two of them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSummary } from '../../accel/fault/campaign.js';
import type { SweepSummary } from '../../accel/fault/sweep.js';
import { ROOT, runCli } from '../support/cli.js';
import { tempDir } from '../support/tools.js';


const run = runCli;

const dir = tempDir('fault-cli');
const MODEL = path.join(ROOT, 'models/lenet5-mnist-int8.sfm');
const FLAGS = ['--model', MODEL, '--config', 'tiny', '--sites', 'array.pe[*][*].acc,ctrl.*', '--fault', 'seu', '--samples', '12', '--images', '2', '--seed', '3', '--workers', '1', '--snapshot-interval', '0'];
const totals = (s: CampaignSummary): unknown => ({ injections: s.injections, outcomes: s.outcomes, criticalRate: s.criticalRate, ci95: s.ci95, groups: s.groups, layers: s.layers });
const resultLines = (file: string): number => fs.readFileSync(file, 'utf8').split('\n').length - 2; // header, trailing newline

describe('splitfuse fault: campaign', () => {
  const reference = path.join(dir, 'reference.jsonl');
  const md = path.join(dir, 'report.md');
  const html = path.join(dir, 'report.html');
  let summary: CampaignSummary;

  beforeAll(async () => {
    const r = await run(['fault', ...FLAGS, '--out', reference, '--json', '--report-md', md, '--report-html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    summary = JSON.parse(r.stdout) as CampaignSummary;
  });

  it('--json: injections, the five outcomes, criticalRate, ci95, injectionsPerSecond and the breakdowns', () => {
    expect(summary.injections).toBe(12);
    expect(Object.keys(summary.outcomes)).toEqual(['masked', 'sdc', 'critical', 'detected', 'corrected']);
    expect(Object.values(summary.outcomes).reduce((t, n) => t + n, 0)).toBe(12);
    expect(summary.criticalRate).toBe(summary.outcomes.critical / 12);
    expect(summary.ci95[0]).toBeLessThanOrEqual(summary.criticalRate);
    expect(summary.ci95[1]).toBeGreaterThanOrEqual(summary.criticalRate);
    expect(summary.injectionsPerSecond).toBeGreaterThan(0);
    expect(summary.groups.map((g) => g.group)).toEqual(['ctrl', 'pe.acc']);
    expect(summary.layers.length).toBeGreaterThan(0);
    expect(summary.earlyExits).toBe(0); // --snapshot-interval 0: every injection runs from reset
    expect(summary.params).toMatchObject({ sites: 'array.pe[*][*].acc,ctrl.*', fault: 'seu', seed: 3, images: 2, samples: 12 });
  });

  it('writes a Markdown report and a self-contained HTML page with an inline SVG chart', () => {
    const text = fs.readFileSync(md, 'utf8');
    expect(text).toContain('| outcome | count | rate | 95% CI (Wilson) |');
    expect(text).toContain('### Per site group');
    expect(text).toContain(`npx splitfuse fault --model ${MODEL} --config tiny --sites 'array.pe[*][*].acc,ctrl.*' --fault seu --samples 12`);
    const page = fs.readFileSync(html, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(page).toContain('Outcomes per site group');
    // No external assets: no scripts, links or sources, and the only URL is the SVG namespace.
    expect(page).not.toMatch(/<script|<link|\bsrc=|\bhref=/);
    expect(page.match(/https?:\/\/[^"\s]+/g)).toEqual(expect.arrayContaining(['http://www.w3.org/2000/svg']));
    expect(new Set(page.match(/https?:\/\/[^"\s]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('a campaign killed half-way (SIGKILL) and resumed gives totals identical to the uninterrupted run', async () => {
    const killed = path.join(dir, 'killed.jsonl');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/splitfuse.js'), 'fault', ...FLAGS, '--out', killed], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    // Kill it once at least 4 of the 12 injections are on disk.
    for (let waited = 0; waited < 110_000; waited += 50) {
      if (fs.existsSync(killed) && resultLines(killed) >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = resultLines(killed);
    expect(before).toBeGreaterThanOrEqual(4);
    expect(before).toBeLessThan(12);
    const r = await run(['fault', ...FLAGS, '--resume', killed, '--json']);
    expect(r.stderr).toBe('');
    const resumed = JSON.parse(r.stdout) as CampaignSummary;
    expect(resumed.resumed).toBe(before);
    expect(resumed.ran).toBe(12 - before);
    expect(totals(resumed)).toEqual(totals(summary));
  }, 150_000);

  it('the text summary; resuming a finished file runs nothing', async () => {
    const r = await run(['fault', ...FLAGS, '--resume', reference]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("fault campaign: seu in 'array.pe[*][*].acc,ctrl.*', 2 images, seed 3");
    expect(r.stdout).toMatch(/critical: +\d+ +\d+\.\d\d% +95% CI \[/);
    expect(r.stdout).toContain('(0 run, 12 resumed;');
  });
});

describe('splitfuse fault: sweep', () => {
  it('--sweep: accuracy against stuck-at faults, mean and spread per count, and the HTML line chart', async () => {
    const html = path.join(dir, 'sweep.html');
    const r = await run(['fault', '--model', MODEL, '--config', 'tiny', '--sites', 'array.pe[*][*].acc', '--fault', 'stuck1', '--sweep', '0,4', '--seeds', '2', '--images', '2', '--workers', '1', '--json', '--report-html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as SweepSummary;
    expect(s.bits).toBe(16 * 32);
    expect(s.points.map((p) => p.faults)).toEqual([0, 4]);
    expect(s.points[0]!.accuracies).toHaveLength(2);
    expect(s.points[0]!.stddev).toBe(0); // no faults: every seed runs the same fault-free model
    expect(s.points[1]!.bitErrorRate).toBe(4 / 512);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('Top-1 accuracy against stuck-at faults');
    expect(page).toContain('<polyline');
  });
});

describe('splitfuse fault: diagnostics', () => {
  it.each([
    [['--fault', 'flip'], /E102: Option '--fault' of 'splitfuse fault' must be one of seu, stuck0, stuck1, not 'flip'/],
    [['--fault', 'seu', '--samples', '10', '--margin', '0.05'], /E102: Option '--samples' of 'splitfuse fault' must be left out with --margin\/--confidence/],
    [['--fault', 'seu', '--margin', '5'], /E102: Option '--margin' of 'splitfuse fault' must be a number in \(0, 1\), not '5'/],
    [['--fault', 'seu', '--sweep', '0,4'], /E158: Sweep option 'fault' must be stuck0 or stuck1, not 'seu'/],
    [['--fault', 'stuck0', '--sweep', '1,x'], /E102: Option '--sweep' of 'splitfuse fault' must be a comma-separated list of fault counts/],
    [['--fault', 'stuck0', '--sweep', '1', '--out', 'x.jsonl'], /E158: Sweep option 'out' must be left out in a sweep/],
  ])('%j → a coded diagnostic, exit 2', async (extra, expected) => {
    const r = await run(['fault', '--model', MODEL, '--config', 'tiny', '--sites', 'array.pe[*][*].acc', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
  });

  it('--resume of a file written with other flags is E155', async () => {
    const file = path.join(dir, 'other.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ format: 'splitfuse-fault-campaign', version: 1, params: { model: MODEL } })}\n`);
    const r = await run(['fault', ...FLAGS, '--resume', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E155: Campaign parameter 'modelCrc' must be missing as in results file '.*other\.jsonl', not "[0-9a-f]{8}"/);
  });
});
