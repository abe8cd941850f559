// `splitfuse protect` and `splitfuse compare` through the CLI: a protected model is written only after its
// fault-free logits matched, bad input is a coded diagnostic with nothing written, and the comparison applies
// the same faults to every variant — TMR of every neuron of a layer turns every single-bit accumulator upset
// of that layer into masked or corrected, while the unprotected model shows SDCs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelFile } from '../../accel/model.js';
import { schemeOf } from '../../accel/protect/transform.js';
import { ROOT, runCli } from '../support/cli.js';

const MODEL = path.join(ROOT, 'models', 'lenet5-mnist-int8.sfm');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'splitfuse-protect-'));

describe('splitfuse protect', () => {
  it('writes a protected model that loads, with the scheme and the identity check reported', async () => {
    const dir = tmp();
    const out = path.join(dir, 'split.sfm');
    const r = await runCli(['protect', '--model', MODEL, '--scheme', 'split', '--ratio', '0.1', '--nvf-images', '10', '--verify', '200', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verified).toEqual({ images: 200, identical: 200 });
    expect(report.selected.map((s: { layer: string; channels: number[] }) => s.channels.length)).toEqual([1, 2, 12, 9, 1]);
    expect(schemeOf(readModelFile(out))).toBe('split');
  });

  it.each([
    { args: ['--scheme', 'quad', '--ratio', '0.1'], code: 'E160' },
    { args: ['--scheme', 'split', '--ratio', '0'], code: 'E160' },
    { args: ['--scheme', 'split', '--ratio', '1.01'], code: 'E160' },
    { args: ['--scheme', 'split', '--ratio', 'x'], code: 'E160' },
    { args: ['--scheme', 'split'], code: 'E160' },
    { args: ['--scheme', 'dup', '--ratio', '0.1', '--top', '3'], code: 'E160' },
    { args: ['--scheme', 'dup', '--top', '0'], code: 'E102' },
    { args: ['--scheme', 'tmr', '--ratio', '0.1', '--layers', 'pool1'], code: 'E160' },
    { args: ['--scheme', 'tmr', '--ratio', '1', '--config', 'tiny', '--set', 'cols=2'], code: 'E162' },
  ])('$args → $code, nothing written', async ({ args, code }) => {
    const dir = tmp();
    const out = path.join(dir, 'p.sfm');
    const r = await runCli(['protect', '--model', MODEL, ...args, '--nvf-images', '5', '--verify', '5', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${code}: `));
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a model already protected (E161) and an existing --out file (E160) unless --force', async () => {
    const dir = tmp();
    const out = path.join(dir, 'dup.sfm');
    expect((await runCli(['protect', '--model', MODEL, '--scheme', 'dup', '--ratio', '0.05', '--nvf-images', '5', '--verify', '5', '--out', out])).code).toBe(0);
    const again = await runCli(['protect', '--model', out, '--scheme', 'split', '--ratio', '0.1', '--nvf-images', '5', '--out', path.join(dir, 'x.sfm')]);
    expect(again.stderr).toMatch(/^E161: /);
    const before = fs.readFileSync(out);
    const clobber = await runCli(['protect', '--model', MODEL, '--scheme', 'tmr', '--ratio', '0.05', '--nvf-images', '5', '--verify', '5', '--out', out]);
    expect(clobber.stderr).toMatch(/^E160: --out must be a new file/);
    expect(fs.readFileSync(out).equals(before)).toBe(true);
    expect((await runCli(['protect', '--model', MODEL, '--scheme', 'tmr', '--ratio', '0.05', '--nvf-images', '5', '--verify', '5', '--out', out, '--force'])).code).toBe(0);
    expect(schemeOf(readModelFile(out))).toBe('tmr');
    expect(fs.readdirSync(dir).sort()).toEqual(['dup.sfm']);
  });
});

describe('correction unit fault sites', () => {
  it.each([
    ['split', ['head', 'copy', 'bound']],
    ['dup', ['head', 'copy']],
    ['tmr', ['head', 'copy']],
  ] as const)('splitfuse sites lists the %s unit under post.lcu', async (scheme, kinds) => {
    const r = await runCli(['sites', '--config', 'tiny', '--set', `protection=${scheme}`, '--pattern', 'post.lcu.*', '--json']);
    expect(r.code).toBe(0);
    const sites = JSON.parse(r.stdout).sites as { alias: string; group: string }[];
    expect(sites.length).toBeGreaterThan(0);
    expect(new Set(sites.map((s) => s.group))).toEqual(new Set(['post.lcu']));
    expect(new Set(sites.map((s) => s.alias.replace(/^post\.lcu\.|\[\d+\]$/g, '')))).toEqual(new Set(kinds));
    const none = await runCli(['sites', '--config', 'tiny', '--pattern', 'post.lcu.*']);
    expect(none.stderr).toMatch(/^E150: /);
  });
});

describe('splitfuse compare', () => {
  it('the same neuron upsets on every variant: TMR of all fc3 neurons leaves no SDC or critical; HTML report with the plot', { timeout: 300_000 }, async () => {
    const dir = tmp();
    const html = path.join(dir, 'compare.html');
    const r = await runCli([
      'compare', '--model', MODEL, '--config', 'tiny', '--schemes', 'none,tmr,dup,split', '--ratios', '1', '--layers', 'fc3',
      '--sites', 'neurons:fc3', '--fault', 'seu', '--samples', '40', '--images', '3', '--nvf-images', '5', '--report-html', html, '--json',
    ]);
    expect(r.stderr).not.toMatch(/^E\d{3}/m); // without a terminal only progress lines may appear
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const by = Object.fromEntries(report.variants.map((v: { label: string }) => [v.label, v]));
    expect(Object.keys(by)).toEqual(['none', 'tmr@1', 'dup@1', 'split@1']);
    for (const v of report.variants) expect(Object.values(v.outcomes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(40);
    const hurt = (v: { outcomes: Record<string, number> }): number => v.outcomes.sdc! + v.outcomes.critical!;
    expect(hurt(by.none)).toBeGreaterThan(0);
    expect(hurt(by['tmr@1'])).toBe(0);
    expect(by['tmr@1'].outcomes.corrected).toBe(40); // every upset of a copy is outvoted, and seen
    expect(by.none.cycleOverhead).toBe(0);
    expect(by['tmr@1'].cyclesPerImage).toBeGreaterThan(by.none.cyclesPerImage);
    expect(by['dup@1'].protectedNeurons).toBe(10);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('tmr@1');
  });

  it('bad options are coded before any work', async () => {
    for (const [args, code] of [
      [['--schemes', 'none,quad'], 'E164'],
      [['--ratios', '0.1,2'], 'E164'],
      [['--fault', 'flip'], 'E164'],
      [['--sites', 'neurons:pool1', '--samples', '2'], 'E164'],
      [['--samples', '0'], 'E102'],
      [['--schemes', 'none,tmr', '--ratios', '1', '--set', 'cols=2', '--samples', '2'], 'E162'],
    ] as const) {
      const r = await runCli(['compare', '--model', MODEL, '--config', 'tiny', '--nvf-images', '2', '--images', '1', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^${code}: `));
    }
  });
});
