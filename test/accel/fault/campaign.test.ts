// Fault campaigns (accel/fault/campaign.ts): deterministic sampling, the results file, aggregation,
// and on the RTL (LeNet-5 on tiny): a campaign cut off half-way (a partial last line, as a kill leaves
// it) and resumed gives exactly the totals of an uninterrupted run; two worker threads give the same
// totals as one.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../accel/config.js';
import {
  checkResumeParams,
  counterRng,
  faultPopulation,
  readResultsFile,
  runCampaign,
  sampleInjection,
  summarize,
  usableSites,
  type CampaignOptions,
  type CampaignParams,
  type CampaignSummary,
  type ResultLine,
  type SamplingSpace,
} from '../../../accel/fault/campaign.js';
import { wilsonInterval } from '../../../accel/fault/stats.js';
import type { FaultSite, Outcome } from '../../../accel/fault/types.js';
import { testImages } from '../../../accel/mnist.js';
import { readModelFile } from '../../../accel/model.js';
import { DiagnosticError } from '../../../hdl/diagnostics.js';
import { tempDir } from '../../support/tools.js';

const SITES: FaultSite[] = [
  { name: 'r', kind: 'register', width: 8, depth: 1, group: 'g.reg' },
  { name: 'm', kind: 'memory', width: 16, depth: 4, group: 'g.mem' },
  { name: 'n', kind: 'net', width: 32, depth: 1, group: 'g.net' },
  { name: 'b', kind: 'register', width: 1, depth: 1, group: 'g.reg' },
];

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DiagnosticError) return err.diagnostics.map((d) => d.code).join(',');
    throw err;
  }
  return 'none';
};

describe('deterministic sampling', () => {
  it('counterRng is a pure function of (seed, stream, index); these values fix the results-file format', () => {
    const u = counterRng(1, 0, 0);
    expect([u(), u(), u()]).toEqual([0.3888258368238273, 0.24493319986578765, 0.20797866698933531]);
    const first = (seed: number, stream: number, index: number): number => counterRng(seed, stream, index)();
    expect(first(1, 0, 0)).toBe(0.3888258368238273);
    expect(new Set([first(1, 0, 0), first(2, 0, 0), first(1, 1, 0), first(1, 0, 1), first(1, 0, 2 ** 32)]).size).toBe(5);
  });

  it('injection i depends only on (seed, i): the same fault whenever and wherever it is drawn', () => {
    const space: SamplingSpace = { fault: 'seu', bitsPerUpset: 1, sites: usableSites(SITES, 'seu', 1), goldenCycles: [1000, 1000] };
    expect(sampleInjection(space, 1, 0)).toEqual({ image: 0, fault: { model: 'seu', site: 'm', addr: 0, bits: [2], cycle: 207 } });
    expect(sampleInjection(space, 1, 1)).toEqual({ image: 0, fault: { model: 'seu', site: 'm', addr: 2, bits: [13], cycle: 762 } });
    expect(sampleInjection(space, 1, 1)).toEqual(sampleInjection(space, 1, 1));
  });

  it('sites are weighted by bits; words, bits and cycles stay in range', () => {
    // r: 8 bits, m: 64 bits, b: 1 bit (the net is no SEU site) → m gets 64/73 of the draws.
    const space: SamplingSpace = { fault: 'seu', bitsPerUpset: 1, sites: usableSites(SITES, 'seu', 1), goldenCycles: [50, 3000] };
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const { image, fault } = sampleInjection(space, 9, i);
      counts.set(fault.site, (counts.get(fault.site) ?? 0) + 1);
      const site = SITES.find((s) => s.name === fault.site)!;
      expect(fault.addr).toBeLessThan(site.depth);
      expect(fault.bits[0]).toBeLessThan(site.width);
      expect(fault.cycle).toBeLessThan(space.goldenCycles[image]!);
    }
    expect(counts.get('n')).toBeUndefined();
    expect(counts.get('m')! / n).toBeCloseTo(64 / 73, 1);
    expect(Math.abs(counts.get('m')! / n - 64 / 73)).toBeLessThan(0.02);
  });

  it('an MBU flips adjacent bits of one word; SEUs skip nets and sites narrower than the upset; stuck-at takes every site', () => {
    const mbu = usableSites(SITES, 'seu', 3);
    expect(mbu.map((s) => s.name)).toEqual(['r', 'm']);
    const space: SamplingSpace = { fault: 'seu', bitsPerUpset: 3, sites: mbu, goldenCycles: [100] };
    for (let i = 0; i < 200; i++) {
      const { fault } = sampleInjection(space, 3, i);
      const [b0, b1, b2] = fault.bits;
      expect([b1! - b0!, b2! - b1!]).toEqual([1, 1]);
      expect(b2).toBeLessThan(SITES.find((s) => s.name === fault.site)!.width);
    }
    expect(usableSites(SITES, 'stuck0', 1)).toHaveLength(4);
    const stuck = sampleInjection({ fault: 'stuck1', bitsPerUpset: 1, sites: SITES, goldenCycles: [100, 100] }, 3, 0);
    expect(stuck.fault.cycle).toBe(0);
    expect(stuck.fault.bits).toHaveLength(1);
  });

  it('the Leveugle population: bits × Σ golden cycles for SEUs, bits × images for stuck-at', () => {
    expect(faultPopulation({ fault: 'seu', bitsPerUpset: 1, sites: usableSites(SITES, 'seu', 1), goldenCycles: [100, 200] })).toBe(73 * 300);
    expect(faultPopulation({ fault: 'stuck0', bitsPerUpset: 1, sites: SITES, goldenCycles: [100, 200] })).toBe(105 * 2);
  });
});

const PARAMS: CampaignParams = {
  model: 'm', modelCrc: '00000000', config: PRESETS.tiny!, sites: 'r,m', fault: 'seu', bitsPerUpset: 1, seed: 1, images: 2, imagesCrc: '11111111',
  population: 21900, samples: 4, margin: null, confidence: null,
};

function line(i: number, outcome: Outcome, site: string, layer: string): ResultLine {
  return {
    i, outcome, layer, image: 0, predicted: outcome === 'critical' ? 1 : 7, goldenPredicted: 7, label: 7, cycles: 10, earlyExit: outcome === 'masked', hang: false,
    fault: { model: 'seu', site, addr: 0, bits: [0], cycle: 5 },
  };
}

describe('results file and aggregation', () => {
  const dir = tempDir('fault-campaign-file');
  const header = JSON.stringify({ format: 'splitfuse-fault-campaign', version: 1, params: PARAMS });

  it('reads the header and complete lines; a partial last line (a kill mid-write) is dropped', () => {
    const file = path.join(dir, 'partial.jsonl');
    const lines = [header, JSON.stringify(line(0, 'masked', 'r', 'conv1')), JSON.stringify(line(2, 'sdc', 'm', 'fc1'))];
    fs.writeFileSync(file, `${lines.join('\n')}\n{"i":1,"outco`);
    const read = readResultsFile(file);
    expect(read.header.params).toEqual(PARAMS);
    expect(read.results.map((r) => r.i)).toEqual([0, 2]);
    expect(read.validBytes).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));
  });

  it('E157 for a corrupted middle line, a foreign file, an empty file or a missing one', () => {
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    expect(codeOf(() => readResultsFile(write('mid.jsonl', `${header}\n{oops\n${JSON.stringify(line(0, 'masked', 'r', 'x'))}\n`)))).toBe('E157');
    expect(codeOf(() => readResultsFile(write('foreign.jsonl', '{"hello":1}\n')))).toBe('E157');
    expect(codeOf(() => readResultsFile(write('empty.jsonl', '')))).toBe('E157');
    expect(codeOf(() => readResultsFile(path.join(dir, 'missing.jsonl')))).toBe('E157');
  });

  it('E155 names the first parameter that differs', () => {
    expect(() => checkResumeParams('f.jsonl', PARAMS, { ...PARAMS, seed: 2 })).toThrow(/E155: Campaign parameter 'seed' must be 1 as in results file 'f.jsonl', not 2\. Hint: resume with the --seed/);
    expect(() => checkResumeParams('f.jsonl', PARAMS, { ...PARAMS, config: { ...PRESETS.tiny!, rows: 8 } })).toThrow(/parameter 'config.rows' must be 4 .* not 8/);
    expect(() => checkResumeParams('f.jsonl', PARAMS, { ...PARAMS })).not.toThrow();
  });

  it('summarize: counts, Wilson intervals, per group (with its bits) and per layer in program order', () => {
    const results = [line(3, 'critical', 'm', 'fc1'), line(0, 'masked', 'r', 'conv1'), line(1, 'masked', 'm', 'conv1'), line(2, 'sdc', 'b', 'fc1')];
    const s = summarize(PARAMS, results, { sites: SITES, layerOrder: ['conv1', 'conv2', 'fc1'], resumed: 1, ran: 3, setupSeconds: 1, seconds: 2, workers: 1, resultsFile: null });
    expect(s.injections).toBe(4);
    expect(s.outcomes).toEqual({ masked: 2, sdc: 1, critical: 1, detected: 0, corrected: 0 });
    expect(s.criticalRate).toBe(0.25);
    expect(s.ci95).toEqual(wilsonInterval(1, 4));
    expect(s.rates.sdc.rate).toBe(0.25);
    expect(s.groups.map((g) => [g.group, g.bits, g.injections, g.outcomes.critical])).toEqual([
      ['g.mem', 64, 2, 1],
      ['g.reg', 9, 2, 0],
    ]);
    expect(s.layers.map((l) => [l.layer, l.injections])).toEqual([
      ['conv1', 2],
      ['fc1', 2],
    ]);
    expect(s.injectionsPerSecond).toBe(1.5);
    expect(s.accuracy).toBe(0.75);
    expect(s.earlyExits).toBe(2);
  });
});

describe('campaigns on the RTL: LeNet-5 on tiny', () => {
  const dir = tempDir('fault-campaign-rtl');
  const model = readModelFile(new URL('../../../models/lenet5-mnist-int8.sfm', import.meta.url).pathname);
  const base: CampaignOptions = { model, config: PRESETS.tiny!, images: testImages(2), sites: 'array.pe[*][*].acc,array.pe[*][*].weight,ctrl.*', fault: 'seu', seed: 7, samples: 16, workers: 1 };
  const fileA = path.join(dir, 'a.jsonl');
  let a: CampaignSummary;
  const totals = (s: CampaignSummary): unknown => ({ injections: s.injections, outcomes: s.outcomes, ci95: s.ci95, groups: s.groups, layers: s.layers, accuracy: s.accuracy, simulatedCycles: s.simulatedCycles });
  const sortedLines = (file: string): string[] => fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).sort((x, y) => JSON.parse(x).i - JSON.parse(y).i);

  beforeAll(async () => {
    a = await runCampaign({ ...base, out: fileA });
  });

  it('an uninterrupted run: a header and one line per injection, totals that add up', () => {
    const lines = fs.readFileSync(fileA, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(17);
    expect(JSON.parse(lines[0]!).params).toEqual(a.params);
    expect(lines.slice(1).map((l) => JSON.parse(l).i as number).sort((x, y) => x - y)).toEqual([...Array(16).keys()]);
    expect(Object.values(a.outcomes).reduce((t, n) => t + n, 0)).toBe(16);
    expect(a.groups.map((g) => g.group)).toEqual(['ctrl', 'pe.acc', 'pe.weight']);
    expect(Object.values(a.outcomes).filter((n) => n > 0).length).toBeGreaterThanOrEqual(3); // a mix, so equal totals mean something
    expect(a.groups.reduce((t, g) => t + g.injections, 0)).toBe(16);
    expect(a.params.population % a.groups.reduce((t, g) => t + g.bits, 0)).toBe(0); // bits × Σ golden cycles
    expect(a.ran).toBe(16);
    expect(a.injectionsPerSecond).toBeGreaterThan(0);
  });

  it('killed half-way (7 lines and half of the 8th written) and resumed: totals identical to the uninterrupted run', async () => {
    const fileB = path.join(dir, 'b.jsonl');
    const lines = fs.readFileSync(fileA, 'utf8').split('\n');
    fs.writeFileSync(fileB, `${lines.slice(0, 8).join('\n')}\n${lines[8]!.slice(0, 25)}`);
    const b = await runCampaign({ ...base, resume: fileB });
    expect(b.resumed).toBe(7);
    expect(b.ran).toBe(9);
    expect(totals(b)).toEqual(totals(a));
    expect(sortedLines(fileB)).toEqual(sortedLines(fileA));
  });

  it('two worker threads give the same totals as one', async () => {
    const c = await runCampaign({ ...base, workers: 2 });
    expect(c.workers).toBe(2);
    expect(totals(c)).toEqual(totals(a));
  });

  it('a coded diagnostic raised inside a worker thread reaches the caller unchanged', async () => {
    const err = await runCampaign({ ...base, sites: 'array.nothing[*]', workers: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    expect((err as DiagnosticError).diagnostics[0]!.code).toBe('E150');
  });

  it('E157 for an existing --out file, E155 for a resume with another seed, E156 for bad options', async () => {
    await expect(runCampaign({ ...base, out: fileA })).rejects.toThrow(/E157: Results file '.*a\.jsonl' must be a new file, not an existing file/);
    const fileC = path.join(dir, 'c.jsonl');
    fs.copyFileSync(fileA, fileC);
    await expect(runCampaign({ ...base, seed: 8, resume: fileC })).rejects.toThrow(/E155: Campaign parameter 'seed' must be 7 as in results file/);
    await expect(runCampaign({ ...base, samples: 0 })).rejects.toThrow(/E156: Campaign option 'samples' must be an integer in 1\.\.4294967296, not 0/);
    await expect(runCampaign({ ...base, fault: 'stuck0', bitsPerUpset: 2 })).rejects.toThrow(/E156: Campaign option 'bitsPerUpset' must be 1 for stuck0 faults/);
    await expect(runCampaign({ ...base, margin: 1.5, samples: undefined })).rejects.toThrow(/E156: Campaign option 'margin'/);
  });
});
