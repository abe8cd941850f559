// Neuron-level faults on the RTL (accel/protect/neuron-faults.ts): a single-bit flip of the accumulator-buffer
// word that holds a neuron, in the cycle its POST issues, gives exactly the logits of the golden model with
// that bit flipped in that neuron's accumulator (accel/protect/nvf.ts goldenWithAccFlip), for conv and fc
// layers on tiny and default; the POST schedule does not depend on the digit; the NVF ranking of a layer
// agrees with the critical rate of random flips injected into the RTL.
import { describe, expect, it } from 'vitest';
import { compile } from '../../../accel/compiler.js';
import { PRESETS } from '../../../accel/config.js';
import { createInjector } from '../../../accel/fault/inject.js';
import { testImages } from '../../../accel/mnist.js';
import { layerShapes, readModelFile } from '../../../accel/model.js';
import { gemmPixelIndex, neuronFaultToRtl, outputOfGemmPixel, postStartCycles, spearman, validateNvfOnRtl } from '../../../accel/protect/neuron-faults.js';
import { computeNvf, goldenWithAccFlip, seededRandom } from '../../../accel/protect/nvf.js';
import { diagnosticOf } from '../../support/cli.js';

const model = readModelFile('models/lenet5-mnist-int8.sfm');
const digits = testImages(4);
const shapes = layerShapes(model);
const widthOf = (layer: string): number => {
  const s = shapes[model.layers.findIndex((l) => l.name === layer)]!;
  return s.kind === 'chw' ? s.w : 1;
};

describe('GEMM pixel order', () => {
  it('gemmPixelIndex and outputOfGemmPixel are inverse and match the pixel bases the compiler writes to pixmem', () => {
    // Unpacked: one pixel per GEMM vector (a packed tile's pixmem holds window bases; postTileSite maps its neurons).
    const compiled = compile(model, PRESETS.default!, { pack: false });
    for (const layer of ['conv1', 'conv2']) {
      const first = compiled.posts.find((p) => p.layer === layer && p.m0 === 0)!;
      const gemm = compiled.program.slice(0, first.instr).reverse().find((i) => i.op === 'GEMM');
      if (gemm?.op !== 'GEMM') throw new Error('no GEMM before the POST');
      const i = model.layers.findIndex((l) => l.name === layer);
      const conv = model.layers[i]!;
      const inW = i === 0 ? model.input.shape[2] : (shapes[i - 1] as { w: number }).w;
      const stride = conv.kind === 'conv2d' ? conv.stride : 1;
      const count = Math.max(...compiled.posts.filter((p) => p.layer === layer).map((p) => p.m0 + p.mCount));
      for (let m = 0; m < count; m++) {
        const { y, x } = outputOfGemmPixel(model, layer, m);
        expect(gemmPixelIndex(model, layer, y, x)).toBe(m);
        expect(compiled.pixmem[gemm.pixAddr + m]).toBe(y * stride * inW + x * stride);
      }
    }
    expect(gemmPixelIndex(model, 'fc1', 0, 0)).toBe(0);
    expect(diagnosticOf(() => gemmPixelIndex(model, 'conv1', 24, 0)).code).toBe('E173');
    expect(diagnosticOf(() => gemmPixelIndex(model, 'pool1', 0, 0)).code).toBe('E171');
  });
});

describe.each(['tiny', 'default'])('neuron faults on %s', (preset) => {
  const config = PRESETS[preset]!;
  const compiled = compile(model, config);
  const cycles = postStartCycles(model, config, compiled);

  it('POSTs issue at the same cycles for any digit (the schedule is data-independent)', () => {
    expect(cycles).toHaveLength(compiled.posts.length);
    for (let i = 1; i < cycles.length; i++) expect(cycles[i]!).toBeGreaterThan(cycles[i - 1]!);
    expect(postStartCycles(model, config, compiled, digits[1]!.image)).toEqual(cycles);
    expect(postStartCycles(model, config, compiled, digits[2]!.image)).toEqual(cycles);
  });

  it('an accumulator-buffer flip at the POST start equals the golden model with the neuron\'s accumulator flipped', () => {
    const injector = createInjector({ model, config, images: digits });
    const rnd = seededRandom(preset === 'tiny' ? 11 : 12);
    const layers = ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'];
    let nonMasked = 0;
    for (let s = 0; s < 25; s++) {
      const layer = layers[s % layers.length]!;
      const tiles = compiled.posts.filter((p) => p.layer === layer);
      const tile = tiles[Math.floor(rnd() * tiles.length)]!;
      const pixel = tile.m0 + Math.floor(rnd() * tile.mCount);
      const channel = tile.channel0 + Math.floor(rnd() * tile.nValid);
      // Mostly single bits, biased to the upper half where flips matter; every fifth a 2-bit upset.
      const bit = Math.floor(rnd() * 32);
      const bits = s % 5 === 4 ? [bit, (bit + 1) % 32] : [bit];
      const image = s % digits.length;
      const fault = neuronFaultToRtl(compiled, cycles, { layer, channel, pixel, bits });
      // A GEMV's row-major POST (fc layers on tile-loading presets): channel c is in column c mod rowWidth; a packed
      // conv tile (column pooling, tile.pack pixels per vector): column (c − channel0)·pack + pixel of the vector.
      const c = channel - tile.channel0;
      const r = pixel - tile.m0;
      const col = tile.pack === 4 ? 4 * c + (r % 4) : tile.pack === 2 ? 2 * c + ((r % 4) >> 1) : c % (tile.rowWidth ?? Infinity);
      expect(fault.site).toBe(`accel.accbuf_${col}`);
      expect(fault.addr).toBe(tile.bank * compiled.geometry.accRows + (tile.pack === 4 ? r >> 2 : tile.pack === 2 ? 2 * (r >> 2) + (r % 2) : tile.rowWidth ? Math.floor(c / tile.rowWidth) : r));
      const rtl = injector.run(image, fault);
      const { y, x } = outputOfGemmPixel(model, layer, pixel);
      const golden = goldenWithAccFlip(model, digits[image]!.image, { layer, channel, index: y * widthOf(layer) + x, bits });
      expect(Array.from(rtl.logits), `${layer}[${channel}] pixel ${pixel} bits ${bits}`).toEqual(Array.from(golden.logits));
      if (rtl.result.outcome !== 'masked') nonMasked++;
    }
    expect(nonMasked).toBeGreaterThan(3);
  });

  it('rejects neurons and bits the compiled model does not have (E173) and a foreign schedule (E174)', () => {
    expect(diagnosticOf(() => neuronFaultToRtl(compiled, cycles, { layer: 'fc2', channel: 84, pixel: 0, bits: [1] })).code).toBe('E173');
    expect(diagnosticOf(() => neuronFaultToRtl(compiled, cycles, { layer: 'fc2', channel: 0, pixel: 1, bits: [1] })).code).toBe('E173');
    expect(diagnosticOf(() => neuronFaultToRtl(compiled, cycles, { layer: 'fc2', channel: 0, pixel: 0, bits: [32] })).code).toBe('E173');
    expect(diagnosticOf(() => neuronFaultToRtl(compiled, cycles, { layer: 'pool1', channel: 0, pixel: 0, bits: [1] })).code).toBe('E173');
    expect(diagnosticOf(() => neuronFaultToRtl(compiled, cycles.slice(1), { layer: 'fc2', channel: 0, pixel: 0, bits: [1] })).code).toBe('E174');
  });
});

describe('NVF ranking against RTL fault injection', () => {
  it('spearman: +1 for the same order, -1 reversed, ties get mean ranks', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 2], [5, 5, 9])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3], [7, 7, 7])).toBe(0);
  });

  it('fc2 and fc3 on default: the critical rate of random accumulator flips rises with NVF (rho > 0.5)', () => {
    const images = testImages(20);
    const nvf = computeNvf(model, images, { layers: ['fc2', 'fc3'] });
    const fc3 = validateNvfOnRtl(model, PRESETS.default!, images, nvf, { layer: 'fc3', samplesPerChannel: 40, seed: 1 });
    expect(fc3.injections).toBe(400);
    expect(fc3.spearman).toBeGreaterThan(0.5);
    const fc2 = validateNvfOnRtl(model, PRESETS.default!, images, nvf, { layer: 'fc2', samplesPerChannel: 50, seed: 1 });
    expect(fc2.channels).toHaveLength(84);
    expect(fc2.spearman).toBeGreaterThan(0.5);
  }, 120_000);
});
