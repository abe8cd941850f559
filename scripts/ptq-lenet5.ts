// Post-training quantization of the float LeNet-5 checkpoint (scripts/train-lenet5.ts) into an integer-only
// model file (accel/model.ts), following Jacob et al. (CVPR 2018) with HAWQ-V3 dyadic requantization
// (Yao et al., ICML 2021); formulas in docs/model.md:
//   weights   per output channel symmetric: S_w[ch] = max|w_ch| / 127, q_w = round(w / S_w[ch])
//   bias      int32 q_b = round(b / (S_in · S_w[ch]))
//   outputs   S_out = α / 127 with α the clipping range of the layer's float ReLU outputs over the first
//             `calibration` training digits, chosen (method 'mse', the default) to minimise the mean squared
//             quantization error of those outputs over the candidates α = max·k/MSE_STEPS (the "MSE" calibrator
//             of Wu et al., "Integer Quantization for Deep Learning Inference", arXiv:2004.09602, 2020), or
//             (method 'percentile') their CALIBRATION_PERCENTILE; the last layer (no ReLU) uses max |logit| so
//             logits never saturate on calibration digits
//   requant   {b, c} = dyadicOf(S_in · S_w[ch] / S_out)
// The tfjs layouts are permuted to the model file's: conv [k,k,inC,outC] → [outC][inC][k][k]; dense [in,out] →
// [out][in]; and fc1's input index from tfjs's (H,W,C) flatten to the model's (C,H,W) flatten.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { dyadicOf } from '../accel/quant.js';
import { INPUT_SCALE, MNIST_SIDE, mnistSplit, testImages, type FloatDigit } from '../accel/mnist.js';
import { readModel, writeModel, type Conv2dLayer, type FcLayer, type Layer, type Model } from '../accel/model.js';
import { accumulatorBounds, argmaxLowest, goldenAccuracy, modelMacs } from '../accel/golden.js';
import { decodeTensor, type FloatCheckpoint } from './train-lenet5.js';

/** How the clipping range α of a ReLU layer's outputs is chosen. */
export type CalibrationMethod = 'mse' | 'percentile';
/** Method 'percentile': the percentile (in %) of each ReLU layer's float outputs that maps to int8 127. */
export const CALIBRATION_PERCENTILE = 99.99;
/** Method 'mse': α is searched over max·k/MSE_STEPS for k = 1 … MSE_STEPS. */
export const MSE_STEPS = 256;

interface FloatLayer {
  readonly kind: 'conv2d' | 'fc';
  readonly name: string;
  readonly inC: number;
  readonly outC: number;
  readonly k: number;
  /** [outC][inC][k][k] or [out][in], model-file layout. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly relu: boolean;
}

/** The checkpoint's float layers in model-file layouts (see the file comment for the permutations). */
export function floatLayers(cp: FloatCheckpoint): FloatLayer[] {
  const get = (n: string) => ({ shape: cp.tensors[n]!.shape, data: decodeTensor(cp.tensors[n]!) });
  const conv = (name: string): FloatLayer => {
    const { shape, data } = get(`${name}.kernel`);
    const [k, , inC, outC] = shape as [number, number, number, number];
    const w = new Float32Array(data.length);
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++)
        for (let i = 0; i < inC; i++) for (let o = 0; o < outC; o++) w[((o * inC + i) * k + ky) * k + kx] = data[((ky * k + kx) * inC + i) * outC + o]!;
    return { kind: 'conv2d', name, inC, outC, k, weights: w, bias: get(`${name}.bias`).data, relu: true };
  };
  const dense = (name: string, relu: boolean, hwc?: { c: number; h: number; w: number }): FloatLayer => {
    const { shape, data } = get(`${name}.kernel`);
    const [nIn, nOut] = shape as [number, number];
    const w = new Float32Array(data.length);
    for (let i = 0; i < nIn; i++) {
      // tfjs flattens (H,W,C): i = (y·W + x)·C + c; the model flattens (C,H,W): j = c·H·W + y·W + x.
      let j = i;
      if (hwc) {
        const c = i % hwc.c;
        const yx = (i - c) / hwc.c;
        j = c * hwc.h * hwc.w + yx;
      }
      for (let o = 0; o < nOut; o++) w[o * nIn + j] = data[i * nOut + o]!;
    }
    return { kind: 'fc', name, inC: nIn, outC: nOut, k: 1, weights: w, bias: get(`${name}.bias`).data, relu };
  };
  return [conv('conv1'), conv('conv2'), dense('fc1', true, { c: 16, h: 4, w: 4 }), dense('fc2', true), dense('fc3', false)];
}

/** Float LeNet-5 forward pass in (C,H,W) layout; returns the output of every conv/fc layer (after ReLU). */
export function floatForward(layers: readonly FloatLayer[], image: Float32Array): Float32Array[] {
  const outs: Float32Array[] = [];
  let x = image;
  let side = MNIST_SIDE;
  for (const l of layers) {
    if (l.kind === 'conv2d') {
      const os = side - l.k + 1;
      const y = new Float32Array(l.outC * os * os);
      for (let o = 0; o < l.outC; o++)
        for (let oy = 0; oy < os; oy++)
          for (let ox = 0; ox < os; ox++) {
            let acc = l.bias[o]!;
            for (let i = 0; i < l.inC; i++)
              for (let ky = 0; ky < l.k; ky++)
                for (let kx = 0; kx < l.k; kx++) acc += l.weights[((o * l.inC + i) * l.k + ky) * l.k + kx]! * x[(i * side + oy + ky) * side + ox + kx]!;
            y[(o * os + oy) * os + ox] = l.relu ? Math.max(0, acc) : acc;
          }
      outs.push(y);
      const ps = os >> 1;
      const p = new Float32Array(l.outC * ps * ps);
      for (let c = 0; c < l.outC; c++)
        for (let py = 0; py < ps; py++)
          for (let px = 0; px < ps; px++) {
            const at = (yy: number, xx: number) => y[(c * os + 2 * py + yy) * os + 2 * px + xx]!;
            p[(c * ps + py) * ps + px] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
          }
      x = p;
      side = ps;
    } else {
      const y = new Float32Array(l.outC);
      for (let o = 0; o < l.outC; o++) {
        let acc = l.bias[o]!;
        for (let i = 0; i < l.inC; i++) acc += l.weights[o * l.inC + i]! * x[i]!;
        y[o] = l.relu ? Math.max(0, acc) : acc;
      }
      outs.push(y);
      x = y;
    }
  }
  return outs;
}

function percentile(values: Float32Array, p: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * (sorted.length - 1)))]!;
}

/** Mean squared error of quantizing non-negative values to round(x / s) clamped to [0, 127], s = α / 127. */
export function quantizationMse(values: Float32Array, alpha: number): number {
  const s = alpha / 127;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const q = Math.min(127, Math.round(x / s));
    sum += (x - q * s) ** 2;
  }
  return sum / values.length;
}

/** The clipping range α = max·k/MSE_STEPS that minimises quantizationMse (the smallest such k on ties). */
export function mseClipRange(values: Float32Array): number {
  // Zeros (ReLU's clipped outputs) quantize exactly for every α, so only positive outputs are searched over.
  const positive = values.filter((v) => v > 0);
  const max = positive.reduce((m, v) => Math.max(m, v), 0);
  if (max === 0) return 0;
  let best = max;
  let bestMse = Infinity;
  for (let k = 1; k <= MSE_STEPS; k++) {
    const alpha = (max * k) / MSE_STEPS;
    const mse = quantizationMse(positive, alpha);
    if (mse < bestMse) {
      bestMse = mse;
      best = alpha;
    }
  }
  return best;
}

/** Output scales per layer calibrated on float activations of the given digits. */
export function calibrate(layers: readonly FloatLayer[], digits: readonly FloatDigit[], method: CalibrationMethod): number[] {
  const per = layers.map(() => [] as Float32Array[]);
  for (const d of digits) floatForward(layers, d.image).forEach((o, i) => per[i]!.push(o));
  return layers.map((l, i) => {
    const all = new Float32Array(per[i]!.reduce((a, o) => a + o.length, 0));
    let at = 0;
    for (const o of per[i]!) {
      all.set(o, at);
      at += o.length;
    }
    const range = !l.relu
      ? all.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
      : method === 'mse'
        ? mseClipRange(all)
        : percentile(all, CALIBRATION_PERCENTILE);
    return (range > 0 ? range : 1) / 127;
  });
}

/** Quantize float layers with the given output scales into the integer model (LeNet-5 topology). */
export function quantize(layers: readonly FloatLayer[], outScales: readonly number[], metadata: Record<string, unknown>): Model {
  let sIn = INPUT_SCALE;
  const out: Layer[] = [];
  layers.forEach((l, li) => {
    const sOut = outScales[li]!;
    const per = l.weights.length / l.outC;
    const weights = new Int8Array(l.weights.length);
    const bias = new Int32Array(l.outC);
    const requantB = new Int32Array(l.outC);
    const requantC = new Uint8Array(l.outC);
    for (let o = 0; o < l.outC; o++) {
      let maxAbs = 0;
      for (let j = o * per; j < (o + 1) * per; j++) maxAbs = Math.max(maxAbs, Math.abs(l.weights[j]!));
      const sW = maxAbs > 0 ? maxAbs / 127 : 1;
      for (let j = o * per; j < (o + 1) * per; j++) weights[j] = Math.max(-127, Math.min(127, Math.round(l.weights[j]! / sW)));
      bias[o] = Math.round(l.bias[o]! / (sIn * sW));
      const d = dyadicOf((sIn * sW) / sOut);
      requantB[o] = d.b;
      requantC[o] = d.c;
    }
    const q = { name: l.name, relu: l.relu, outScale: sOut, weights, bias, requantB, requantC };
    if (l.kind === 'conv2d') {
      out.push({ kind: 'conv2d', inC: l.inC, outC: l.outC, k: l.k, stride: 1, ...q } satisfies Conv2dLayer);
      out.push({ kind: 'maxpool', name: `pool${li + 1}`, k: 2, stride: 2 });
      if (li === 1) out.push({ kind: 'flatten', name: 'flatten' });
    } else {
      out.push({ kind: 'fc', in: l.inC, out: l.outC, ...q } satisfies FcLayer);
    }
    sIn = sOut;
  });
  return { name: 'lenet5-mnist-int8', input: { shape: [1, MNIST_SIDE, MNIST_SIDE], scale: INPUT_SCALE }, layers: out, metadata };
}

export interface PtqOptions {
  /** Training digits (a prefix of the split) whose float activations calibrate the output scales. */
  readonly calibration: number;
  readonly method: CalibrationMethod;
}

/** Quantize a checkpoint and evaluate float and int8 on the held-out digits (pure; quantizeLeNet5 writes files). */
export function ptqLeNet5(cp: FloatCheckpoint, opts: PtqOptions): { model: Model; bytes: Uint8Array; report: Record<string, unknown> } {
  const started = Date.now();
  const { train, test } = mnistSplit();
  const layers = floatLayers(cp);
  let floatCorrect = 0;
  for (const d of test) if (argmaxLowest(floatForward(layers, d.image).at(-1)!) === d.label) floatCorrect++;
  const floatAccuracy = floatCorrect / test.length;
  const scales = calibrate(layers, train.slice(0, opts.calibration), opts.method);
  const recipe = {
    split: 'per class: first floor(0.8·n) digits train, rest test (accel/mnist.ts)',
    ...cp.recipe, epochs: cp.epochs,
    calibrationDigits: opts.calibration, calibrationMethod: opts.method,
    ...(opts.method === 'percentile' ? { calibrationPercentile: CALIBRATION_PERCENTILE } : { mseSteps: MSE_STEPS }),
  };
  const draft = quantize(layers, scales, recipe);
  const int8 = goldenAccuracy(draft, testImages());
  const model: Model = { ...draft, metadata: { ...recipe, floatAccuracy, int8Accuracy: int8.accuracy, testCount: test.length } };
  const bytes = writeModel(model);
  const report = {
    floatAccuracy, int8Accuracy: int8.accuracy, testCount: test.length, floatCorrect, int8Correct: int8.correct, tfjsFloatAccuracy: cp.floatTestAccuracy,
    ...recipe, seconds: Math.round(cp.seconds + (Date.now() - started) / 1000), macsPerImage: modelMacs(draft),
    maxAccumulatorBound: Math.max(...accumulatorBounds(draft).map((b) => b.bound)),
    outScales: scales,
  };
  return { model, bytes, report };
}

/** Quantize, evaluate with the golden model on the held-out digits, write the model file and its report. */
export async function quantizeLeNet5(cp: FloatCheckpoint, opts: PtqOptions & { out: string }): Promise<void> {
  const { bytes, report } = ptqLeNet5(cp, opts);
  readModel(bytes, opts.out);
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, bytes);
  const reportPath = opts.out.replace(/\.sfm$/, '') + '.report.json';
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  const pct = (x: unknown) => `${((x as number) * 100).toFixed(2)}%`;
  console.log(`float accuracy (own CHW forward pass) ${pct(report['floatAccuracy'])} (${report['floatCorrect']}/${report['testCount']}), tfjs ${pct(report['tfjsFloatAccuracy'])}`);
  console.log(`int8 accuracy (golden model, ${opts.method} calibration) ${pct(report['int8Accuracy'])} (${report['int8Correct']}/${report['testCount']}); wrote ${opts.out} (${bytes.length} bytes) and ${reportPath}`);
}
