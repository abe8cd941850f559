// Protected models: split halves sum exactly to the original weights, every scheme's fault-free logits equal
// the unprotected model's on held-out digits, the file format round-trips, and bad options are coded.
import { describe, expect, it } from 'vitest';
import { runGolden } from '../../../accel/golden.js';
import { testImages } from '../../../accel/mnist.js';
import { LCU, logicalChannels, readModel, readModelFile, writeModel, type Conv2dLayer, type FcLayer, type Model } from '../../../accel/model.js';
import { lcuCombine, splitBound, SPLIT_NONNEG } from '../../../accel/protect/lcu.js';
import { nonNegativeInputs, protectModel, schemeOf, SCHEMES, type RankedNeuron } from '../../../accel/protect/transform.js';
import { DiagnosticError } from '../../../hdl/diagnostics.js';

const model = readModelFile('models/lenet5-mnist-int8.sfm');
type Gemm = Conv2dLayer | FcLayer;
const gemm = (m: Model): Gemm[] => m.layers.filter((l): l is Gemm => l.kind === 'conv2d' || l.kind === 'fc');

/** A deterministic stand-in ranking (the NVF itself is tested in nvf.test.ts): a hash of layer and channel. */
function ranking(m: Model): RankedNeuron[] {
  return gemm(m).flatMap((l) => Array.from({ length: logicalChannels(l) }, (_, channel) => ({ layer: l.name, channel, nvf: ((channel * 2654435761 + l.name.length * 97) % 1000) / 1000 })));
}

function codeOf(e: unknown): string {
  return e instanceof DiagnosticError ? e.diagnostics.map((d) => d.code).join(',') : String(e);
}

describe('protectModel', () => {
  const digits = testImages(240);

  it.each(SCHEMES)('%s: fault-free logits equal the unprotected model on 240 held-out digits, through the file format', (scheme) => {
    const result = protectModel(model, { scheme, ratio: 0.2, ranking: ranking(model) });
    const bytes = writeModel(result.model);
    const back = readModel(bytes, 'protected.sfm');
    expect(schemeOf(back)).toBe(scheme);
    expect(result.addedChannels).toBe(result.selected.reduce((s, x) => s + x.channels.length, 0) * (scheme === 'tmr' ? 2 : 1));
    for (const l of gemm(back)) expect(logicalChannels(l)).toBe(logicalChannels(gemm(model).find((o) => o.name === l.name)!));
    for (const d of digits) {
      const want = runGolden(model, d.image);
      const got = runGolden(back, d.image);
      expect(Array.from(got.logits)).toEqual(Array.from(want.logits));
    }
  });

  it('split halves sum exactly to the original weights; the bound covers the halves difference', () => {
    const { model: split, selected } = protectModel(model, { scheme: 'split', ratio: 0.3, ranking: ranking(model) });
    for (const sel of selected) {
      const orig = gemm(model).find((l) => l.name === sel.layer)!;
      const prot = gemm(split).find((l) => l.name === sel.layer)!;
      const per = orig.weights.length / (orig.kind === 'conv2d' ? orig.outC : orig.out);
      const { lcu, bound } = prot.protection!;
      let logical = 0;
      for (let p = 0; p < lcu.length; p++) {
        if (lcu[p] === LCU.copy) continue;
        if (lcu[p] === LCU.split) {
          expect(sel.channels).toContain(logical);
          let odd = 0;
          for (let i = 0; i < per; i++) {
            const w = orig.weights[logical * per + i]!;
            expect(prot.weights[p * per + i]! + prot.weights[(p + 1) * per + i]!).toBe(w);
            const d = prot.weights[p * per + i]! - prot.weights[(p + 1) * per + i]!;
            expect(d === 0 || d === 1).toBe(true);
            odd += Math.abs(w) % 2;
          }
          expect(bound[p]).toBe(splitBound(odd, sel.layer !== 'conv1'));
          expect(prot.bias[p]).toBe(orig.bias[logical]);
          expect(prot.bias[p + 1]).toBe(0);
        }
        logical++;
      }
    }
  });

  it('--top K protects the K most vulnerable neurons over the chosen layers', () => {
    const r = ranking(model).filter((x) => x.layer === 'fc1' || x.layer === 'fc2');
    const result = protectModel(model, { scheme: 'tmr', top: 7, layers: ['fc1', 'fc2'], ranking: r });
    const best = r.slice().sort((a, b) => b.nvf - a.nvf).slice(0, 7);
    const got = result.selected.flatMap((s) => s.channels.map((c) => `${s.layer}:${c}`)).sort();
    expect(got).toEqual(best.map((b) => `${b.layer}:${b.channel}`).sort());
    expect(result.addedChannels).toBe(14);
  });

  it('rejects bad ratios, unknown schemes and layers, and models already protected', () => {
    const r = ranking(model);
    const attempt = (f: () => unknown): string => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return codeOf(e);
      }
    };
    for (const ratio of [0, -0.1, 1.5, Number.NaN]) expect(attempt(() => protectModel(model, { scheme: 'split', ratio, ranking: r }))).toBe('E160');
    expect(attempt(() => protectModel(model, { scheme: 'quad' as never, ratio: 0.1, ranking: r }))).toBe('E160');
    expect(attempt(() => protectModel(model, { scheme: 'dup', ratio: 0.1, layers: ['pool1'], ranking: r }))).toBe('E160');
    expect(attempt(() => protectModel(model, { scheme: 'dup', top: 0, ranking: r }))).toBe('E160');
    const once = protectModel(model, { scheme: 'dup', ratio: 0.1, ranking: r }).model;
    expect(attempt(() => protectModel(once, { scheme: 'split', ratio: 0.1, ranking: r }))).toBe('E161');
  });

  it('a corrupt protection table is a coded model-file error', () => {
    const { model: p } = protectModel(model, { scheme: 'tmr', ratio: 0.1, ranking: ranking(model) });
    const layers = p.layers.map((l) => (l.kind === 'fc' && l.protection ? { ...l, protection: { ...l.protection, lcu: l.protection.lcu.map((c) => (c === LCU.copy ? LCU.plain : c)) } } : l));
    expect(() => writeModel({ ...p, layers })).toThrow(/E117/);
  });
});

describe('lcuCombine', () => {
  const W = 32;
  it('split bounds: one-sided after a ReLU layer; the MNIST input layer two-sided', () => {
    expect(model.layers.map((_, i) => nonNegativeInputs(model, i))).toEqual(model.layers.map((l) => l.name !== 'conv1'));
    expect(splitBound(0, false)).toBe(0);
    expect(splitBound(1, false)).toBe(8); // 129 <= 256
    expect(splitBound(1, true)).toBe(7 | SPLIT_NONNEG); // 128 <= 128
    expect(lcuCombine(LCU.split, 5n, 9n, 0n, 7 | SPLIT_NONNEG, W).flag).toBe(true); // the copy above the head
    expect(lcuCombine(LCU.split, 5n, 9n, 0n, 7, W)).toEqual({ value: 14n, flag: false });
    expect(lcuCombine(LCU.split, 5n + 127n, 5n, 0n, 7 | SPLIT_NONNEG, W)).toEqual({ value: 137n, flag: false });
  });

  it('split: in range the exact sum; out of range twice the smaller half', () => {
    expect(lcuCombine(LCU.split, 1000n, 990n, 0n, 4, W)).toEqual({ value: 1990n, flag: false });
    expect(lcuCombine(LCU.split, 1000n + (1n << 20n), 990n, 0n, 4, W)).toEqual({ value: 1980n, flag: true });
    expect(lcuCombine(LCU.split, -16n, 0n, 0n, 4, W).flag).toBe(false);
    expect(lcuCombine(LCU.split, 16n, 0n, 0n, 4, W).flag).toBe(true);
  });
  it('dup: min; tmr: bitwise majority', () => {
    expect(lcuCombine(LCU.dup, 5n, 5n + (1n << 30n), 0n, 0, W)).toEqual({ value: 5n, flag: true });
    expect(lcuCombine(LCU.tmr, 7n, 7n ^ (1n << 31n), 7n, 0, W)).toEqual({ value: 7n, flag: true });
    expect(lcuCombine(LCU.tmr, -3n, -3n, -3n, 0, W)).toEqual({ value: -3n, flag: false });
  });
});
