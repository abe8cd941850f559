// `npx tsx scripts/make-zoo.ts`: writes the zoo's models with RANDOM int8 weights (seeded, untrained; the names and
// metadata say so) to models/:
//   cifar10-cnn-random-int8.sfm       3×32×32 → conv3×3 16, pool, conv3×3 32, pool, conv3×3 64, pool, fc 1024→10
//   vgg16-prefix224-random-int8.sfm   VGG-16's first five conv-stage layers at 224×224 (Simonyan & Zisserman,
//                                     ICLR 2015; the fused-layer workload of Alwani et al., MICRO 2016): conv1_1
//                                     3→64, conv1_2 64→64, pool1, conv2_1 64→128, conv2_2 128→128, 3×3, padding 1
// Weights are uniform in [−127, 127] from xorshift32; biases small and random. The requantization of each layer is
// chosen so its activations use the int8 range on random inputs: for zero-mean independent weights the accumulator's
// standard deviation is σ = sqrt(fanIn · mean(w²) · mean(x²)) (x measured on the golden model's output of the
// previous layer for one seeded random input), and S_w·S_in/S_out = 127 / (3σ), so about 0.3% of outputs clip.
// Deterministic: the same seed writes the same bytes (tested).
import { writeFileSync } from 'node:fs';
import { xorshift32 } from '../bench/stimulus.js';
import { runGolden } from '../accel/golden.js';
import { writeModel, type Conv2dLayer, type FcLayer, type Layer, type Model } from '../accel/model.js';
import { dyadicOf } from '../accel/quant.js';

export const ZOO_SEED = 20240612;

type Spec = { kind: 'conv'; name: string; outC: number } | { kind: 'pool'; name: string } | { kind: 'flatten' } | { kind: 'fc'; name: string; out: number; relu: boolean };

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return (lo: number, hi: number): number => {
    s = xorshift32(s);
    return lo + (s % (hi - lo + 1));
  };
}

/** A seeded random int8 input in [lo, hi] for a model. */
export function zooInput(model: Model, seed: number, lo = 0, hi = 127): Int8Array {
  const next = rng(seed);
  const [c, h, w] = model.input.shape;
  return Int8Array.from({ length: c * h * w }, () => next(lo, hi));
}

/** Build a random model layer by layer, calibrating each layer's multiplier on the golden output of the one before. */
export function randomModel(name: string, shape: [number, number, number], specs: readonly Spec[], seed: number, metadata: Record<string, unknown>): Model {
  const next = rng(seed);
  const layers: Layer[] = [];
  const base: Omit<Model, 'layers'> = { name, input: { shape, scale: 1 / 127 } };
  let x = zooInput({ ...base, layers: [] }, seed ^ 0x5a5a5a5a);
  let c = shape[0];
  let n = 0;
  for (const spec of specs) {
    if (spec.kind === 'pool' || spec.kind === 'flatten') {
      const layer: Layer = spec.kind === 'pool' ? { kind: 'maxpool', name: spec.name, k: 2, stride: 2 } : { kind: 'flatten', name: 'flatten' };
      layers.push(layer);
      if (spec.kind === 'flatten') n = x.length;
      x = runGolden({ ...base, layers }, zooInput({ ...base, layers: [] }, seed ^ 0x5a5a5a5a)).logits;
      continue;
    }
    const nOut = spec.kind === 'conv' ? spec.outC : spec.out;
    const fanIn = spec.kind === 'conv' ? c * 9 : n;
    const weights = Int8Array.from({ length: nOut * fanIn }, () => next(-127, 127));
    let w2 = 0;
    for (const w of weights) w2 += w * w;
    let x2 = 0;
    for (const v of x) x2 += v * v;
    const sigma = Math.sqrt(fanIn * (w2 / weights.length) * (x2 / x.length));
    const { b, c: shift } = dyadicOf(127 / (3 * sigma));
    const bias = Int32Array.from({ length: nOut }, () => next(-Math.round(sigma / 4), Math.round(sigma / 4)));
    const requant = { requantB: new Int32Array(nOut).fill(b), requantC: new Uint8Array(nOut).fill(shift), bias, outScale: 1 / 127 };
    const layer: Conv2dLayer | FcLayer =
      spec.kind === 'conv'
        ? { kind: 'conv2d', name: spec.name, inC: c, outC: nOut, k: 3, stride: 1, pad: [1, 1, 1, 1], weights, relu: true, ...requant }
        : { kind: 'fc', name: spec.name, in: n, out: nOut, weights, relu: spec.relu, ...requant };
    layers.push(layer);
    x = runGolden({ ...base, layers }, zooInput({ ...base, layers: [] }, seed ^ 0x5a5a5a5a)).logits;
    if (spec.kind === 'conv') c = nOut;
    else n = nOut;
  }
  return { ...base, layers, metadata: { weights: 'RANDOM int8 (seeded xorshift32, uniform in [-127, 127]); untrained, for performance and dataflow studies only', seed, script: 'scripts/make-zoo.ts', requantization: 'per layer 127/(3·σ_acc) on a seeded random input, activations symmetric int8', ...metadata } };
}

export function cifarCnn(seed = ZOO_SEED): Model {
  return randomModel('cifar10-cnn-random-int8', [3, 32, 32], [
    { kind: 'conv', name: 'conv1', outC: 16 }, { kind: 'pool', name: 'pool1' },
    { kind: 'conv', name: 'conv2', outC: 32 }, { kind: 'pool', name: 'pool2' },
    { kind: 'conv', name: 'conv3', outC: 64 }, { kind: 'pool', name: 'pool3' },
    { kind: 'flatten' }, { kind: 'fc', name: 'fc', out: 10, relu: false },
  ], seed, { input: 'CIFAR-10 sized 3×32×32 image, int8 (no data set ships with splitfuse: use random inputs)' });
}

export function vggPrefix(seed = ZOO_SEED + 1): Model {
  return randomModel('vgg16-prefix224-random-int8', [3, 224, 224], [
    { kind: 'conv', name: 'conv1_1', outC: 64 }, { kind: 'conv', name: 'conv1_2', outC: 64 }, { kind: 'pool', name: 'pool1' },
    { kind: 'conv', name: 'conv2_1', outC: 128 }, { kind: 'conv', name: 'conv2_2', outC: 128 },
  ], seed, { input: 'ImageNet sized 3×224×224 image, int8', reference: "VGG-16 conv1_1..conv2_2 (Simonyan & Zisserman, ICLR 2015), the first fused layers of Alwani et al., 'Fused-Layer CNN Accelerators', MICRO 2016" });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const make of [cifarCnn, vggPrefix]) {
    const started = performance.now();
    const model = make();
    const bytes = writeModel(model);
    writeFileSync(`models/${model.name}.sfm`, bytes);
    console.log(`models/${model.name}.sfm: ${bytes.length.toLocaleString('en-US')} bytes (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}
