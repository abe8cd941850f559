// The Neuron Vulnerability Factor (NVF) of every output channel of every conv2d/fc layer: how likely a
// single-bit upset of a neuron's accumulator changes the network's top-1 class. Analytical in the style of
// DeepVigor (Ahmadilivani et al., "DeepVigor: Vulnerability Value Ranges and Factors for DNNs' Reliability
// Assessment", ETS 2023), used to rank neurons for selective neuron splitting (Ahmadilivani et al., AICAS
// 2023). docs/protection.md, "Neuron Vulnerability Factor", is the user's description.
//
// Definition. A neuron is one output (channel o, pixel p) of a conv2d/fc layer; its value is the
// accumulator acc (before bias, accWidth-bit two's complement, as it sits in the accelerator's
// accumulator buffer). Flipping bit k gives acc_k = (acc XOR 2^k) read as accWidth-bit signed and the
// deviation δ_k = acc_k − acc. For one (image, neuron), [vl, vh] is the range of deviations around 0 that
// leave the top-1 class unchanged, F the CDF of δ_k for k uniform over the accWidth bits, and
//   NVF(channel) = 1 − mean over (image, pixel) of (F(vh) − F(vl)).
// Computing [vl, vh]. Requantization (bias add, dyadic multiply, clamp, ReLU; accel/quant.ts) is monotone
// in acc and its int8 output takes at most 256 values, so the deviations that keep the class are the acc
// whose output q' lies in a range [qlo, qhi] around the fault-free output q. F is a step function on the
// accWidth values δ_k, so F(vh) − F(vl) is the share of bits k whose q'_k = requant(acc_k) lies in
// [qlo, qhi], and the range only has to be searched on those q'_k: outward from q (up, then down) in order
// of distance, every distinct q'_k is evaluated downstream until the first that changes the class; that
// one and every farther one lie outside. (Searching every q' in between as well can only shrink the range
// when the network is not monotone between two reachable q'_k; test/accel/protect/nvf.test.ts measures
// how rarely.) The class is the golden top-1 class of the image (accel/golden.ts), not its label.
// The exact probability without DeepVigor's contiguity assumption (every q'_k judged on its own) comes
// with it at no extra cost as `exactNvf`.
// Downstream evaluation (accel/protect/propagate.ts): the change of one int8 output is propagated sparsely
// through the later layers with the golden integer semantics, stopping where no value changes any more.
// Sampling. fc layers: every neuron of every image. conv layers: `pixelsPerChannel` distinct pixels
// (pre-pool conv outputs) per channel and image, drawn from a generator seeded by (seed, layer, channel,
// image), so a channel's samples do not depend on which other layers are analysed.
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { argmaxLowest, requantizeInt8, runGolden } from '../golden.js';
import { layerShapes, type ActivationShape, type Conv2dLayer, type FcLayer, type Layer, type Model } from '../model.js';
import { Propagator } from './propagate.js';

export interface ChannelNvf {
  readonly layer: string;
  readonly channel: number;
  /** 1 − mean(F(vh) − F(vl)): DeepVigor's vulnerability factor of the channel's neurons. */
  readonly nvf: number;
  /** (image, pixel) samples the mean is over. */
  readonly samples: number;
  /** The share of single-bit flips that change the class, every flip judged on its own (<= nvf). */
  readonly exactNvf: number;
}

export interface NvfReport {
  readonly model: string;
  readonly images: number;
  readonly seed: number;
  readonly pixelsPerChannel: number;
  readonly accWidth: number;
  readonly layers: { readonly name: string; readonly kind: 'conv2d' | 'fc'; readonly pixels: number; readonly sampled: number; readonly channels: ChannelNvf[] }[];
  /** every channel of every layer, most vulnerable first */
  readonly ranking: ChannelNvf[];
  /** Downstream evaluations (distinct q' judged) and neurons analysed. */
  readonly evaluations: number;
  readonly neurons: number;
}

export interface NvfOptions {
  /** Seed of the conv pixel sampling; default 1. */
  readonly seed?: number;
  /** Pixels per conv channel and image; default 16 (all pixels when the plane is smaller). */
  readonly pixelsPerChannel?: number;
  /** Layer names to analyse (conv2d/fc); default all. */
  readonly layers?: readonly string[];
  /** Accumulator width in bits; default 32. */
  readonly accWidth?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_PIXELS_PER_CHANNEL = 16;

type GemmLayer = Conv2dLayer | FcLayer;
const isGemm = (l: Layer): l is GemmLayer => l.kind === 'conv2d' || l.kind === 'fc';
const sizeOf = (s: ActivationShape): number => (s.kind === 'chw' ? s.c * s.h * s.w : s.n);
const channelsOf = (l: GemmLayer): number => (l.kind === 'conv2d' ? l.outC : l.out);

// ---- deterministic sampling ----

/** A 32-bit mix of integers (the finaliser of MurmurHash3): seeds one generator per (seed, layer, channel, image). */
function mix32(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32 (Tommy Ettinger): a small seedable generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The pixels (raster order) NVF samples of conv layer `layerIndex`, channel `channel`, image `image`: `count` distinct of `plane`. */
export function sampledPixels(seed: number, layerIndex: number, channel: number, image: number, plane: number, count: number): number[] {
  return samplePixels(plane, count, mix32(seed, layerIndex, channel, image));
}

/** `count` distinct indices of 0..n-1 (all of them when count >= n), by a partial Fisher–Yates shuffle. */
function samplePixels(n: number, count: number, seed: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const rnd = seededRandom(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rnd() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, count).sort((a, b) => a - b);
}

// ---- dense forward pass with the golden integer semantics ----

/** Accumulators (before bias) of a conv2d/fc layer for input x, in output order (o, oy, ox). */
export function layerAccumulators(layer: GemmLayer, x: Int8Array, inS: ActivationShape, outS: ActivationShape): Float64Array {
  if (layer.kind === 'fc') {
    const acc = new Float64Array(layer.out);
    for (let o = 0; o < layer.out; o++) {
      let s = 0;
      const base = o * layer.in;
      for (let i = 0; i < layer.in; i++) s += layer.weights[base + i]! * x[i]!;
      acc[o] = s;
    }
    return acc;
  }
  if (inS.kind !== 'chw' || outS.kind !== 'chw') throw new Error(`conv2d layer '${layer.name}' needs (C,H,W) activations`);
  const { inC, outC, k, stride, weights } = layer;
  const acc = new Float64Array(outC * outS.h * outS.w);
  const plane = inS.h * inS.w;
  for (let o = 0; o < outC; o++) {
    for (let oy = 0; oy < outS.h; oy++) {
      for (let ox = 0; ox < outS.w; ox++) {
        let s = 0;
        for (let i = 0; i < inC; i++) {
          const wI = (o * inC + i) * k * k;
          const xI = i * plane + oy * stride * inS.w + ox * stride;
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) s += weights[wI + ky * k + kx]! * x[xI + ky * inS.w + kx]!;
        }
        acc[(o * outS.h + oy) * outS.w + ox] = s;
      }
    }
  }
  return acc;
}

/** The int8 outputs of a conv2d/fc layer from its accumulators: requantize(acc + bias) (accel/golden.ts). */
export function requantizeLayer(layer: GemmLayer, acc: Float64Array): Int8Array {
  const plane = acc.length / channelsOf(layer);
  const out = new Int8Array(acc.length);
  for (let a = 0; a < acc.length; a++) {
    const o = Math.floor(a / plane);
    out[a] = requantizeInt8(acc[a]! + layer.bias[o]!, layer.requantB[o]!, layer.requantC[o]!, layer.relu);
  }
  return out;
}

function maxpoolDense(k: number, stride: number, x: Int8Array, inS: ActivationShape, outS: ActivationShape): Int8Array {
  if (inS.kind !== 'chw' || outS.kind !== 'chw') throw new Error('maxpool needs (C,H,W) activations');
  const out = new Int8Array(inS.c * outS.h * outS.w);
  for (let c = 0; c < inS.c; c++)
    for (let oy = 0; oy < outS.h; oy++)
      for (let ox = 0; ox < outS.w; ox++) {
        let best = -128;
        for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) best = Math.max(best, x[(c * inS.h + oy * stride + ky) * inS.w + ox * stride + kx]!);
        out[(c * outS.h + oy) * outS.w + ox] = best;
      }
  return out;
}

/** A neuron's accumulator flip: `index` is the output pixel in raster order (oy·OW + ox; 0 for fc). */
export interface AccFlip {
  readonly layer: string;
  readonly channel: number;
  readonly index: number;
  readonly bits: readonly number[];
}

/** acc with `bits` flipped, read back as an accWidth-bit two's-complement number. */
export function flipAccumulator(acc: number, bits: readonly number[], accWidth: number): number {
  let mask = 0n;
  for (const b of bits) mask |= 1n << BigInt(b);
  return Number(BigInt.asIntN(accWidth, BigInt(acc) ^ mask));
}

/**
 * The golden model (accel/golden.ts semantics, every layer recomputed densely) with bits of one neuron's
 * accumulator flipped before bias and requantization. This is what a single-bit upset of the
 * accelerator's accumulator buffer does (accel/protect/neuron-faults.ts), and what NVF evaluates.
 */
export function goldenWithAccFlip(model: Model, input: Int8Array, flip: AccFlip, options: { accWidth?: number } = {}): { logits: Int8Array; predicted: number } {
  const accWidth = options.accWidth ?? 32;
  checkSupported(model);
  const target = gemmLayerIndex(model, flip.layer, 'Layer of an accumulator flip');
  const shapes = layerShapes(model);
  const [c, h, w] = model.input.shape;
  checkNeuron(model.layers[target] as GemmLayer, shapes[target]!, flip.channel, flip.index, flip.bits, accWidth);
  let inS: ActivationShape = { kind: 'chw', c, h, w };
  let x = input;
  model.layers.forEach((layer, i) => {
    const outS = shapes[i]!;
    if (isGemm(layer)) {
      const acc = layerAccumulators(layer, x, inS, outS);
      if (i === target) {
        const a = flip.channel * (acc.length / channelsOf(layer)) + flip.index;
        acc[a] = flipAccumulator(acc[a]!, flip.bits, accWidth);
      }
      x = requantizeLayer(layer, acc);
    } else if (layer.kind === 'maxpool') x = maxpoolDense(layer.k, layer.stride, x, inS, outS);
    else if (layer.kind !== 'flatten') throw new Error(`nvf: layer '${layer.name}' (${layer.kind}) is not supported`);
    inS = outS;
  });
  return { logits: x, predicted: argmaxLowest(x) };
}

function checkNeuron(layer: GemmLayer, outS: ActivationShape, channel: number, index: number, bits: readonly number[], accWidth: number): void {
  const n = channelsOf(layer);
  const plane = sizeOf(outS) / n;
  const bad = (what: string, expected: string, found: unknown, hint: string): DiagnosticError => new DiagnosticError([msg.badNeuronFault(what, expected, JSON.stringify(found), hint)]);
  if (!(Number.isSafeInteger(channel) && channel >= 0 && channel < n)) throw bad(`Channel of a neuron of layer '${layer.name}'`, `an integer in 0..${n - 1}`, channel, `the layer has ${n} output channels`);
  if (!(Number.isSafeInteger(index) && index >= 0 && index < plane)) throw bad(`Pixel of a neuron of layer '${layer.name}'`, `an integer in 0..${plane - 1}`, index, `a channel of the layer has ${plane} output pixels`);
  if (!(bits.length > 0 && bits.every((b) => Number.isSafeInteger(b) && b >= 0 && b < accWidth) && new Set(bits).size === bits.length)) {
    throw bad(`Bits of a neuron fault in layer '${layer.name}'`, `one or more distinct integers in 0..${accWidth - 1}`, bits, `the accumulator is ${accWidth} bits wide`);
  }
}

/**
 * NVF and the flip model cover the layers of LeNet-5 (format version 1 models: unpadded conv2d and
 * maxpool, flatten, fc, zero points 0); anything else (padding, average pooling, asymmetric activations of
 * an imported ONNX model) is E170 rather than a wrong number.
 */
function checkSupported(model: Model): void {
  const zp = (v: unknown): boolean => v !== undefined && v !== 0;
  const bad = model.layers.find((l) => !['conv2d', 'maxpool', 'flatten', 'fc'].includes(l.kind) || (l as { pad?: readonly number[] }).pad?.some((p) => p !== 0) || zp((l as { outZeroPoint?: number }).outZeroPoint));
  const inputZp = zp((model.input as { zeroPoint?: number }).zeroPoint);
  if (!bad && !inputZp) return;
  const found = bad ? `layer '${bad.name}' (${bad.kind}${(bad as { pad?: unknown }).pad ? ', padded' : ''}${zp((bad as { outZeroPoint?: number }).outZeroPoint) ? ', output zero point' : ''})` : 'an input zero point';
  throw new DiagnosticError([msg.nvfOption(`Model '${model.name}' for an NVF`, 'unpadded conv2d/maxpool, flatten and fc layers with zero points 0 (as LeNet-5)', found, 'the NVF analysis implements the format-version-1 layer semantics only')]);
}

/** Index in model.layers of the conv2d/fc layer `name`; E171 otherwise. */
export function gemmLayerIndex(model: Model, name: string, what: string): number {
  const i = model.layers.findIndex((l) => l.name === name);
  if (i >= 0 && isGemm(model.layers[i]!)) return i;
  const names = model.layers.filter(isGemm).map((l) => l.name);
  const found = i >= 0 ? `'${name}' (a ${model.layers[i]!.kind} layer)` : `'${name}'`;
  throw new DiagnosticError([msg.nvfLayer(what, `a conv2d or fc layer of model '${model.name}' (${names.join(', ')})`, found, 'name the layers as in the model file; pooling and flatten layers have no accumulators')]);
}

// ---- per-neuron analysis ----

/** acc with bit k flipped, as a W-bit two's-complement number (doubles are exact up to W = 52). */
function flipBit(acc: number, k: number, W: number): number {
  if (W > 52) return flipAccumulator(acc, [k], W);
  const u = acc < 0 ? acc + 2 ** W : acc;
  const flipped = Math.floor(u / 2 ** k) % 2 === 1 ? u - 2 ** k : u + 2 ** k;
  return flipped >= 2 ** (W - 1) ? flipped - 2 ** W : flipped;
}

/** One single-bit flip of one neuron's accumulator in one image. */
export interface BitFlip {
  readonly bit: number;
  /** δ_k = acc_k − acc. */
  readonly deviation: number;
  /** The neuron's int8 output after the flip (before pooling). */
  readonly output: number;
  /** δ_k lies in [vl, vh]: DeepVigor counts the flip as harmless. */
  readonly inRange: boolean;
  /** The top-1 class stays the same with this flip (judged on its own). */
  readonly keepsClass: boolean;
}

export interface NeuronFlips {
  readonly acc: number;
  /** The fault-free int8 output q and the range [qlo, qhi] of outputs around it that keep the class (on the reachable outputs; ±Infinity: unbounded). */
  readonly output: number;
  readonly qlo: number;
  readonly qhi: number;
  readonly flips: BitFlip[];
}

interface ImageState {
  readonly outs: readonly Int8Array[];
  readonly accs: readonly (Float64Array | null)[];
  readonly predicted: number;
}

function analyseNeuron(prop: Propagator, img: ImageState, j: number, layer: GemmLayer, o: number, a: number, W: number): NeuronFlips {
  const acc = img.accs[j]![a]!;
  const q = img.outs[j]![a]!;
  const bias = layer.bias[o]!;
  const b = layer.requantB[o]!;
  const c = layer.requantC[o]!;
  const accK = Array.from({ length: W }, (_, k) => flipBit(acc, k, W));
  const qk = accK.map((v) => requantizeInt8(v + bias, b, c, layer.relu));
  const keeps = new Map<number, boolean>([[q, true]]);
  for (const v of qk) if (!keeps.has(v)) keeps.set(v, prop.classWith(img.outs, img.accs, j, a, v) === img.predicted);
  // Outward from q over the reachable outputs: the first that changes the class bounds the range.
  const values = [...keeps.keys()];
  const firstFail = (list: number[]): number | undefined => list.find((v) => !keeps.get(v));
  const hiFail = firstFail(values.filter((v) => v > q).sort((x, y) => x - y)) ?? Infinity;
  const loFail = firstFail(values.filter((v) => v < q).sort((x, y) => y - x)) ?? -Infinity;
  const keptUp = values.filter((v) => v < hiFail && v >= q);
  const keptDown = values.filter((v) => v > loFail && v <= q);
  return {
    acc,
    output: q,
    qlo: loFail === -Infinity ? -Infinity : Math.min(...keptDown),
    qhi: hiFail === Infinity ? Infinity : Math.max(...keptUp),
    flips: qk.map((v, k) => ({ bit: k, deviation: accK[k]! - acc, output: v, inRange: v > loFail && v < hiFail, keepsClass: keeps.get(v)! })),
  };
}

/**
 * Every single-bit flip of one neuron's accumulator in one image, as NVF judges it (sparse downstream
 * evaluation): its deviation, the neuron's new output, whether it lies in DeepVigor's [vl, vh] and whether
 * it keeps the top-1 class. `index` is the output pixel in raster order (0 for fc).
 */
export function neuronFlips(model: Model, input: Int8Array, neuron: Omit<AccFlip, 'bits'>, options: { accWidth?: number } = {}): NeuronFlips {
  checkSupported(model);
  const W = options.accWidth ?? 32;
  const j = gemmLayerIndex(model, neuron.layer, 'Layer of a neuron');
  const shapes = layerShapes(model);
  const layer = model.layers[j] as GemmLayer;
  checkNeuron(layer, shapes[j]!, neuron.channel, neuron.index, [0], W);
  const { img, inShapes } = imageState(model, input, shapes, W);
  const plane = sizeOf(shapes[j]!) / channelsOf(layer);
  return analyseNeuron(new Propagator(model, shapes, inShapes), img, j, layer, neuron.channel, neuron.channel * plane + neuron.index, W);
}

/** The golden run of one image with the accumulators of every conv2d/fc layer (checked to reproduce its outputs). */
function imageState(model: Model, input: Int8Array, shapes: readonly ActivationShape[], W: number): { img: ImageState; inShapes: ActivationShape[] } {
  const [c0, h0, w0] = model.input.shape;
  const inShapes: ActivationShape[] = [{ kind: 'chw', c: c0, h: h0, w: w0 }, ...shapes.slice(0, -1)];
  const golden = runGolden(model, input, { accWidth: W });
  const outs = golden.activations;
  const accs = model.layers.map((layer, j) => {
    if (!isGemm(layer)) return null;
    const acc = layerAccumulators(layer, j === 0 ? input : outs[j - 1]!, inShapes[j]!, shapes[j]!);
    const again = requantizeLayer(layer, acc);
    if (again.some((v, i) => v !== outs[j]![i])) throw new Error(`nvf: the accumulators of layer '${layer.name}' do not reproduce the golden outputs`);
    return acc;
  });
  return { img: { outs, accs, predicted: golden.predicted }, inShapes };
}

// ---- the report ----

const option = (name: string, expected: string, found: unknown, hint: string): DiagnosticError =>
  new DiagnosticError([msg.nvfOption(`NVF option '${name}'`, expected, JSON.stringify(found) ?? String(found), hint)]);

/** The conv2d/fc layers of a model a protection transform has touched (the lead's LayerProtection). */
function protectedLayers(model: Model): string[] {
  return model.layers.filter((l) => isGemm(l) && l.protection !== undefined).map((l) => l.name);
}

/**
 * The NVF of every output channel of the selected conv2d/fc layers over `digits` (see the header).
 * E170 bad options, E171 unknown layers, E172 a protected model; E118/E119 from the golden model.
 */
export function computeNvf(model: Model, digits: readonly { image: Int8Array; label: number }[], options: NvfOptions = {}): NvfReport {
  const prot = protectedLayers(model);
  if (prot.length > 0) throw new DiagnosticError([msg.nvfProtected(model.name, prot.join(', '))]);
  checkSupported(model);
  const seed = options.seed ?? 1;
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw option('seed', 'an integer >= 0', seed, 'the seed fixes which conv pixels are sampled');
  const P = options.pixelsPerChannel ?? DEFAULT_PIXELS_PER_CHANNEL;
  if (!(Number.isSafeInteger(P) && P >= 1)) throw option('pixelsPerChannel', 'an integer >= 1', P, `default ${DEFAULT_PIXELS_PER_CHANNEL}; a value above the plane size takes every pixel`);
  const W = options.accWidth ?? 32;
  if (!(Number.isSafeInteger(W) && W >= 17 && W <= 64)) throw option('accWidth', 'an integer in 17..64 (the accelerator accumulator width)', W, 'default 32, as every preset');
  if (digits.length === 0) throw option('digits', 'at least one image', 0, 'pass test digits, e.g. testImages(100)');
  const names = options.layers ?? model.layers.filter(isGemm).map((l) => l.name);
  if (names.length === 0) throw option('layers', 'at least one layer name', [], 'leave it out for every conv2d/fc layer');
  const selected = [...new Set(names.map((n) => gemmLayerIndex(model, n, `Layer '${n}' of the NVF layers`)))].sort((x, y) => x - y);

  const shapes = layerShapes(model);
  let prop: Propagator | null = null;
  const sums = selected.map((j) => {
    const n = channelsOf(model.layers[j] as GemmLayer);
    return { inRange: new Float64Array(n), keep: new Float64Array(n), samples: new Float64Array(n) };
  });
  let neurons = 0;
  digits.forEach((digit, imageIndex) => {
    const { img, inShapes } = imageState(model, digit.image, shapes, W);
    prop ??= new Propagator(model, shapes, inShapes);
    selected.forEach((j, s) => {
      const layer = model.layers[j] as GemmLayer;
      const n = channelsOf(layer);
      const plane = sizeOf(shapes[j]!) / n;
      for (let o = 0; o < n; o++) {
        const pixels = layer.kind === 'fc' ? [0] : sampledPixels(seed, j, o, imageIndex, plane, P);
        for (const p of pixels) {
          const r = analyseNeuron(prop!, img, j, layer, o, o * plane + p, W);
          for (const f of r.flips) {
            if (f.inRange) sums[s]!.inRange[o]!++;
            if (f.keepsClass) sums[s]!.keep[o]!++;
          }
          sums[s]!.samples[o]!++;
          neurons++;
        }
      }
    });
    options.onProgress?.(imageIndex + 1, digits.length);
  });
  const layers = selected.map((j, s) => {
    const layer = model.layers[j] as GemmLayer;
    const n = channelsOf(layer);
    const plane = sizeOf(shapes[j]!) / n;
    const sum = sums[s]!;
    const channels: ChannelNvf[] = Array.from({ length: n }, (_, o) => ({
      layer: layer.name,
      channel: o,
      nvf: 1 - sum.inRange[o]! / (sum.samples[o]! * W),
      samples: sum.samples[o]!,
      exactNvf: 1 - sum.keep[o]! / (sum.samples[o]! * W),
    }));
    return { name: layer.name, kind: layer.kind, pixels: plane, sampled: layer.kind === 'fc' ? 1 : Math.min(P, plane), channels };
  });
  const order = new Map(selected.map((j, s) => [model.layers[j]!.name, s]));
  const ranking = layers.flatMap((l) => l.channels).sort((x, y) => y.nvf - x.nvf || y.exactNvf - x.exactNvf || order.get(x.layer)! - order.get(y.layer)! || x.channel - y.channel);
  return { model: model.name, images: digits.length, seed, pixelsPerChannel: P, accWidth: W, layers, ranking, evaluations: (prop as Propagator | null)?.evaluations ?? 0, neurons };
}
