// The Neuron Vulnerability Factor (accel/protect/nvf.ts): the dense forward pass reproduces the golden model,
// the sparse downstream evaluation judges every single-bit flip exactly as the golden model with that flip
// does, DeepVigor's range agrees with an exhaustive search of every int8 output, and the report is seeded,
// complete and ranked; bad input is coded (E170–E172).
import { describe, expect, it } from 'vitest';
import { runGolden } from '../../../accel/golden.js';
import { testImages } from '../../../accel/mnist.js';
import { layerShapes, readModelFile, type Conv2dLayer, type FcLayer, type Model } from '../../../accel/model.js';
import { computeNvf, goldenWithAccFlip, layerAccumulators, neuronFlips, requantizeLayer, sampledPixels, seededRandom } from '../../../accel/protect/nvf.js';
import { Propagator } from '../../../accel/protect/propagate.js';
import { protectModel } from '../../../accel/protect/transform.js';
import { diagnosticOf } from '../../support/cli.js';

const model = readModelFile('models/lenet5-mnist-int8.sfm');
const digits = testImages(12);
type Gemm = Conv2dLayer | FcLayer;
const gemm = (m: Model): Gemm[] => m.layers.filter((l): l is Gemm => l.kind === 'conv2d' || l.kind === 'fc');
const shapes = layerShapes(model);
const planeOf = (name: string): number => {
  const i = model.layers.findIndex((l) => l.name === name);
  const s = shapes[i]!;
  return s.kind === 'chw' ? s.h * s.w : 1;
};

describe('NVF forward pass and flips', () => {
  it('accumulators requantize to the golden activations of every conv/fc layer', () => {
    for (const d of digits) {
      const golden = runGolden(model, d.image);
      model.layers.forEach((layer, j) => {
        if (layer.kind !== 'conv2d' && layer.kind !== 'fc') return;
        const [c, h, w] = model.input.shape;
        const inS = j === 0 ? { kind: 'chw' as const, c, h, w } : shapes[j - 1]!;
        const acc = layerAccumulators(layer, j === 0 ? d.image : golden.activations[j - 1]!, inS, shapes[j]!);
        expect(requantizeLayer(layer, acc)).toEqual(golden.activations[j]);
      });
    }
  });

  it('a flip that leaves the output unchanged gives the golden logits; a sign flip of a logit changes them', () => {
    const d = digits[0]!;
    const golden = runGolden(model, d.image);
    const low = goldenWithAccFlip(model, d.image, { layer: 'fc3', channel: golden.predicted, index: 0, bits: [0] });
    expect(low.predicted).toBe(golden.predicted);
    const sign = goldenWithAccFlip(model, d.image, { layer: 'fc3', channel: golden.predicted, index: 0, bits: [31] });
    expect(sign.logits[golden.predicted]).not.toBe(golden.logits[golden.predicted]);
  });

  it('the sparse evaluation judges every bit of random neurons of every layer as the golden model with that flip', () => {
    const rnd = seededRandom(3);
    let judged = 0;
    let changed = 0;
    for (const layer of gemm(model)) {
      for (let s = 0; s < 6; s++) {
        const d = digits[Math.floor(rnd() * digits.length)]!;
        const channel = Math.floor(rnd() * (layer.kind === 'conv2d' ? layer.outC : layer.out));
        const index = Math.floor(rnd() * planeOf(layer.name));
        const golden = runGolden(model, d.image);
        const r = neuronFlips(model, d.image, { layer: layer.name, channel, index });
        expect(r.flips).toHaveLength(32);
        for (const f of r.flips) {
          const g = goldenWithAccFlip(model, d.image, { layer: layer.name, channel, index, bits: [f.bit] });
          expect(f.keepsClass, `${layer.name}[${channel}] pixel ${index} bit ${f.bit}`).toBe(g.predicted === golden.predicted);
          // Inside DeepVigor's range the class is kept; the range bounds are reachable outputs that keep it.
          if (f.inRange) expect(f.keepsClass).toBe(true);
          judged++;
          if (!f.keepsClass) changed++;
        }
      }
    }
    expect(judged).toBe(5 * 6 * 32);
    expect(changed).toBeGreaterThan(0);
  });
});

describe('DeepVigor range on the reachable outputs', () => {
  it('equals the range of an exhaustive outward search over every int8 output for random neurons of every layer', () => {
    const [c, h, w] = model.input.shape;
    const inShapes = [{ kind: 'chw' as const, c, h, w }, ...shapes.slice(0, -1)];
    const prop = new Propagator(model, shapes, inShapes);
    const rnd = seededRandom(9);
    let compared = 0;
    for (const layer of gemm(model)) {
      const j = model.layers.indexOf(layer);
      const plane = planeOf(layer.name);
      for (let t = 0; t < 8; t++) {
        const d = digits[Math.floor(rnd() * digits.length)]!;
        const channel = Math.floor(rnd() * (layer.kind === 'conv2d' ? layer.outC : layer.out));
        const index = Math.floor(rnd() * plane);
        const golden = runGolden(model, d.image);
        const outs = golden.activations;
        const accs = model.layers.map((l, i) => (l.kind === 'conv2d' || l.kind === 'fc' ? layerAccumulators(l, i === 0 ? d.image : outs[i - 1]!, i === 0 ? inShapes[0]! : shapes[i - 1]!, shapes[i]!) : null));
        const r = neuronFlips(model, d.image, { layer: layer.name, channel, index });
        const a = channel * plane + index;
        const keeps = (v: number): boolean => prop.classWith(outs, accs, j, a, v) === golden.predicted;
        let hi = r.output;
        while (hi < 127 && keeps(hi + 1)) hi++;
        let lo = r.output;
        while (lo > (layer.relu ? 0 : -128) && keeps(lo - 1)) lo--;
        expect(r.flips.map((f) => f.output >= lo && f.output <= hi), `${layer.name}[${channel}] pixel ${index}`).toEqual(r.flips.map((f) => f.inRange));
        compared++;
      }
    }
    expect(compared).toBe(40);
  });
});

describe('computeNvf', () => {
  it('is seeded, complete, ranked, in [0, 1] with exactNvf <= nvf, and a channel does not depend on the other layers', () => {
    const few = digits.slice(0, 6);
    const a = computeNvf(model, few, { seed: 5, pixelsPerChannel: 4 });
    const b = computeNvf(model, few, { seed: 5, pixelsPerChannel: 4 });
    expect(b).toEqual(a);
    const counts = gemm(model).map((l) => (l.kind === 'conv2d' ? l.outC : l.out));
    expect(a.layers.map((l) => l.channels.length)).toEqual(counts);
    expect(a.ranking).toHaveLength(counts.reduce((s, n) => s + n, 0));
    for (let i = 1; i < a.ranking.length; i++) expect(a.ranking[i - 1]!.nvf).toBeGreaterThanOrEqual(a.ranking[i]!.nvf);
    for (const c of a.ranking) {
      expect(c.nvf).toBeGreaterThanOrEqual(0);
      expect(c.nvf).toBeLessThanOrEqual(1);
      expect(c.exactNvf).toBeLessThanOrEqual(c.nvf + 1e-12);
      expect(c.samples).toBe(c.layer.startsWith('conv') ? 6 * 4 : 6);
    }
    const conv2 = computeNvf(model, few, { seed: 5, pixelsPerChannel: 4, layers: ['conv2'] });
    expect(conv2.layers.map((l) => l.name)).toEqual(['conv2']);
    expect(conv2.layers[0]!.channels).toEqual(a.layers.find((l) => l.name === 'conv2')!.channels);
    const picks = (seed: number): number[][] => Array.from({ length: 16 }, (_, o) => sampledPixels(seed, 2, o, 0, 64, 4));
    for (const p of picks(5)) {
      expect(new Set(p).size).toBe(4);
      for (const x of p) expect(x >= 0 && x < 64).toBe(true);
    }
    expect(picks(6)).not.toEqual(picks(5));
    expect(sampledPixels(5, 2, 0, 0, 64, 100)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // The output layer is the most exposed: a flip of a logit decides the class directly.
    expect(a.ranking[0]!.layer).toBe('fc3');
  });

  it('the NVF of a channel is the share of flips outside DeepVigor\'s range, averaged over its samples', () => {
    const one = digits.slice(0, 1);
    const r = computeNvf(model, one, { layers: ['fc2'] });
    for (const ch of r.layers[0]!.channels.slice(0, 12)) {
      const flips = neuronFlips(model, one[0]!.image, { layer: 'fc2', channel: ch.channel, index: 0 });
      expect(ch.nvf).toBeCloseTo(flips.flips.filter((f) => !f.inRange).length / 32, 12);
      expect(ch.exactNvf).toBeCloseTo(flips.flips.filter((f) => !f.keepsClass).length / 32, 12);
    }
  });

  it('with every pixel sampled, a conv channel\'s NVF is the mean over its pixels of the flips outside the range', () => {
    const one = digits.slice(1, 2);
    const r = computeNvf(model, one, { layers: ['conv2'], pixelsPerChannel: 64 });
    const ch = r.layers[0]!.channels[3]!;
    expect(ch.samples).toBe(64);
    let outside = 0;
    let flipped = 0;
    for (let index = 0; index < 64; index++) {
      const f = neuronFlips(model, one[0]!.image, { layer: 'conv2', channel: 3, index }).flips;
      outside += f.filter((x) => !x.inRange).length;
      flipped += f.filter((x) => !x.keepsClass).length;
    }
    expect(ch.nvf).toBeCloseTo(outside / (64 * 32), 12);
    expect(ch.exactNvf).toBeCloseTo(flipped / (64 * 32), 12);
  });

  it('rejects bad options, unknown layers and protected models with coded diagnostics', () => {
    expect(diagnosticOf(() => computeNvf(model, digits, { pixelsPerChannel: 0 })).code).toBe('E170');
    expect(diagnosticOf(() => computeNvf(model, [], {})).code).toBe('E170');
    expect(diagnosticOf(() => computeNvf(model, digits, { accWidth: 8 })).code).toBe('E170');
    const unknown = diagnosticOf(() => computeNvf(model, digits, { layers: ['fc9'] }));
    expect(unknown.code).toBe('E171');
    expect(unknown.message).toContain('conv1, conv2, fc1, fc2, fc3');
    expect(diagnosticOf(() => computeNvf(model, digits, { layers: ['pool1'] })).code).toBe('E171');
    expect(diagnosticOf(() => goldenWithAccFlip(model, digits[0]!.image, { layer: 'fc1', channel: 120, index: 0, bits: [1] })).code).toBe('E173');
    expect(diagnosticOf(() => goldenWithAccFlip(model, digits[0]!.image, { layer: 'fc1', channel: 1, index: 0, bits: [32] })).code).toBe('E173');
    const ranking = gemm(model).flatMap((l) => Array.from({ length: l.kind === 'conv2d' ? l.outC : l.out }, (_, channel) => ({ layer: l.name, channel, nvf: channel })));
    const prot = protectModel(model, { scheme: 'dup', ratio: 0.1, ranking }).model;
    expect(diagnosticOf(() => computeNvf(prot, digits, {})).code).toBe('E172');
  });
});
