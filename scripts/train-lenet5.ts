// `npm run train:lenet5 [-- --epochs N --train-count N --seed N --out FILE --float-in FILE ...]`
//
// Trains LeNet-5 (DESIGN.md §6) in float32 on the training split of accel/mnist.ts with TensorFlow.js
// (tfjs-layers on the pure-JS CPU backend), saves the float weights as a checkpoint after every epoch, then
// quantizes them post-training to int8 (scripts/ptq-lenet5.ts) and writes the model file and its report.
//
// Recipe (fixed, see RECIPE and docs/model.md): glorot-uniform kernels seeded with seed+layer, zero biases;
// Adam (beta1 0.9, beta2 0.999, eps 1e-7) with a cosine learning-rate decay from 1e-3 to 0 over all steps
// (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts); batch 32; softmax cross-entropy; each epoch visits
// the training digits in a Fisher–Yates permutation drawn from xorshift32(seed + epoch), and every digit is
// redrawn through a random affine distortion (rotation, scale, shift; bilinear resampling, Simard et al.,
// ICDAR 2003) from a second xorshift32 stream, so the whole run is a pure function of the seed.
// `--float-in FILE` skips training and quantizes an existing checkpoint.
//
// Speed: tfjs-backend-cpu 4.22 computes Conv2DBackpropFilter and MaxPoolGrad through TensorBuffer.get() calls,
// which made ~90% of a training step. registerFastCpuKernels() swaps in the same loop nests over flat typed-array
// indices: the same operations in the same order, so their outputs are bit-identical (tested), ~6× faster per step.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { MNIST_SIDE, MNIST_PIXELS, mnistSplit, type FloatDigit } from '../accel/mnist.js';
import { xorshift32 } from '../bench/stimulus.js';

/** Random affine distortion applied to every training digit, every epoch (uniform in ±range). */
export interface Augmentation {
  /** Rotation about the image centre, degrees. */
  readonly rotateDeg: number;
  /** Relative scale change: the factor is uniform in [1 − scale, 1 + scale]. */
  readonly scale: number;
  /** Translation per axis, pixels (sub-pixel; bilinear resampling). */
  readonly shiftPx: number;
}

/** Everything that determines a training run besides the data. */
export interface Recipe {
  readonly epochs: number;
  readonly seed: number;
  readonly trainCount: number;
  readonly batchSize: number;
  readonly optimizer: 'adam';
  /** Peak learning rate, decayed by `lrSchedule` over all epochs·batches steps. */
  readonly learningRate: number;
  readonly lrSchedule: 'cosine' | 'constant';
  readonly augmentation: Augmentation;
}

/** The committed model's recipe (the CLI defaults). */
export const RECIPE: Recipe = {
  epochs: 25,
  seed: 1,
  trainCount: 7996,
  batchSize: 32,
  optimizer: 'adam',
  learningRate: 1e-3,
  lrSchedule: 'cosine',
  augmentation: { rotateDeg: 10, scale: 0.1, shiftPx: 2 },
};

export interface EpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

/** Float weights in TensorFlow.js layouts: conv kernels [k, k, inC, outC], dense kernels [in, out]. */
export interface FloatCheckpoint {
  readonly format: 'splitfuse-lenet5-float/2';
  readonly recipe: Recipe;
  /** Epochs completed (equals recipe.epochs once the run has finished). */
  readonly epochs: number;
  readonly seconds: number;
  /** tfjs float accuracy on the 2,004 held-out digits after the last completed epoch. */
  readonly floatTestAccuracy: number;
  /** Monitoring only: the model is always the one after the last epoch, never picked by test accuracy. */
  readonly log: readonly EpochLog[];
  /** Layer name → { shape, values (base64 of little-endian float32) } for kernel and bias. */
  readonly tensors: Record<string, { readonly shape: number[]; readonly data: string }>;
}

export const CHECKPOINT_FORMAT = 'splitfuse-lenet5-float/2';
/** The layer names of the tfjs model; PTQ maps them onto model-file layers in this order. */
export const LAYER_NAMES = ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'] as const;

/**
 * LeNet-5 for 28×28 inputs without padding (channels-last, as tfjs requires on the CPU backend). fc3 carries a
 * softmax for the cross-entropy loss; the int8 model keeps the pre-softmax logits (same argmax).
 */
export function buildLeNet5(seed: number): tfl.Sequential {
  const init = (i: number) => tfl.initializers.glorotUniform({ seed: seed + i });
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ name: 'conv1', inputShape: [MNIST_SIDE, MNIST_SIDE, 1], filters: 6, kernelSize: 5, activation: 'relu', kernelInitializer: init(1) }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tfl.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init(2) }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ name: 'fc1', units: 120, activation: 'relu', kernelInitializer: init(3) }));
  model.add(tfl.layers.dense({ name: 'fc2', units: 84, activation: 'relu', kernelInitializer: init(4) }));
  model.add(tfl.layers.dense({ name: 'fc3', units: 10, activation: 'softmax', kernelInitializer: init(5) }));
  return model;
}

/** Fisher–Yates permutation of 0..n-1 driven by xorshift32 (seed must be non-zero). */
export function seededPermutation(n: number, seed: number): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s = xorshift32(s);
    const j = s % (i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** A seeded stream of uniform numbers in [-1, 1) from xorshift32 (the state must be non-zero). */
export function uniformStream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = xorshift32(s);
    return s / 2 ** 31 - 1;
  };
}

/** The augmentation stream's seed for an epoch; distinct from the permutation's `seed + epoch`. */
export function augmentationSeed(seed: number, epoch: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca77) ^ 0x5bd1e995) >>> 0 || 1;
}

/**
 * Resample a 28×28 digit through a random affine map about the image centre: out(p) = in(A⁻¹(p − c − t) + c)
 * with A = scale·rotation, bilinear interpolation and zero outside the image. Draws four numbers from `next`
 * (rotation, scale, shift x, shift y). With a zero Augmentation the digit is returned unchanged.
 */
export function augmentDigit(image: Float32Array, aug: Augmentation, next: () => number): Float32Array {
  const angle = (next() * aug.rotateDeg * Math.PI) / 180;
  const scale = 1 + next() * aug.scale;
  const tx = next() * aug.shiftPx;
  const ty = next() * aug.shiftPx;
  const out = new Float32Array(MNIST_PIXELS);
  const c = (MNIST_SIDE - 1) / 2;
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const at = (y: number, x: number) => (y >= 0 && y < MNIST_SIDE && x >= 0 && x < MNIST_SIDE ? image[y * MNIST_SIDE + x]! : 0);
  for (let y = 0; y < MNIST_SIDE; y++) {
    for (let x = 0; x < MNIST_SIDE; x++) {
      const dx = x - c - tx;
      const dy = y - c - ty;
      const sx = cos * dx + sin * dy + c;
      const sy = -sin * dx + cos * dy + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[y * MNIST_SIDE + x] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
}

/** Learning rate at `step` of `total` steps: cosine decay from the peak to 0, or constant. */
export function learningRateAt(recipe: Pick<Recipe, 'learningRate' | 'lrSchedule'>, step: number, total: number): number {
  if (recipe.lrSchedule === 'constant') return recipe.learningRate;
  return 0.5 * recipe.learningRate * (1 + Math.cos((Math.PI * step) / total));
}

/** tfjs's Adam with a learning rate that can follow a schedule (its update reads `learningRate` every step). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

/**
 * tfjs-backend-cpu's Conv2DBackpropFilter loop nest (v4.22) with flat typed-array indexing in place of
 * TensorBuffer.get(): identical loop order and double-precision accumulation, hence bit-identical results.
 */
export const fastConv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const cpu = backend as MathBackendCPU;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const { strideHeight, strideWidth, filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, inChannels, outChannels, batchSize } = info;
  const leftPad = info.padInfo.left;
  const topPad = info.padInfo.top;
  const xv = cpu.data.get(x.dataId).values as Float32Array;
  const dyv = cpu.data.get(dy.dataId).values as Float32Array;
  const last = info.dataFormat === 'channelsLast';
  // Element strides of (batch, row, column, channel) for x and dy in either layout.
  const xs = last ? [inHeight * inWidth * inChannels, inWidth * inChannels, inChannels, 1] : [inChannels * inHeight * inWidth, inWidth, 1, inHeight * inWidth];
  const ys = last ? [outHeight * outWidth * outChannels, outWidth * outChannels, outChannels, 1] : [outChannels * outHeight * outWidth, outWidth, 1, outHeight * outWidth];
  const [xB, xR, xC, xD] = xs as [number, number, number, number];
  const [yB, yR, yC, yD] = ys as [number, number, number, number];
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let wR = 0; wR < filterHeight; ++wR) {
    const yRMin = Math.max(0, Math.ceil((topPad - wR) / strideHeight));
    const yRMax = Math.min(outHeight, (inHeight + topPad - wR) / strideHeight);
    for (let wC = 0; wC < filterWidth; ++wC) {
      const yCMin = Math.max(0, Math.ceil((leftPad - wC) / strideWidth));
      const yCMax = Math.min(outWidth, (inWidth + leftPad - wC) / strideWidth);
      for (let d1 = 0; d1 < inChannels; ++d1) {
        for (let d2 = 0; d2 < outChannels; ++d2) {
          let dotProd = 0;
          for (let b = 0; b < batchSize; ++b) {
            for (let r = yRMin; r < yRMax; ++r) {
              const xRow = b * xB + (wR + r * strideHeight - topPad) * xR + d1 * xD;
              const yRow = b * yB + r * yR + d2 * yD;
              for (let col = yCMin; col < yCMax; ++col) {
                dotProd += xv[xRow + (wC + col * strideWidth - leftPad) * xC]! * dyv[yRow + col * yC]!;
              }
            }
          }
          dW[((wR * filterWidth + wC) * inChannels + d1) * outChannels + d2] = dotProd;
        }
      }
    }
  }
  return cpu.makeTensorInfo(filterShape, 'float32', dW);
};

/**
 * tfjs-backend-cpu's MaxPoolGrad (v4.22, channels-last), including its maxPoolPositions() pass, with flat
 * typed-array indexing in place of TensorBuffer get/set: identical loops, comparisons and sums, hence
 * bit-identical results (tested).
 */
export const fastMaxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const cpu = backend as MathBackendCPU;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const xv = cpu.data.get(input.dataId).values as Float32Array;
  const dyv = cpu.data.get(dy.dataId).values as Float32Array;
  // maxPoolPositions(): for every pooling window, the in-window index wR·fw + wC of its first maximum.
  const maxPos = new Int32Array(batchSize * outHeight * outWidth * inChannels);
  for (let b = 0; b < batchSize; ++b) {
    for (let d = 0; d < inChannels; ++d) {
      for (let yR = 0; yR < outHeight; ++yR) {
        const xRCorner = yR * strideHeight - info.padInfo.top;
        let xRMin = xRCorner;
        while (xRMin < 0) xRMin += dilationHeight;
        const xRMax = Math.min(inHeight, fh + xRCorner);
        for (let yC = 0; yC < outWidth; ++yC) {
          const xCCorner = yC * strideWidth - info.padInfo.left;
          let xCMin = xCCorner;
          while (xCMin < 0) xCMin += dilationWidth;
          const xCMax = Math.min(inWidth, fw + xCCorner);
          let maxValue = Number.NEGATIVE_INFINITY;
          let maxPosition = -1;
          for (let xR = xRMin; xR < xRMax; xR += dilationHeight) {
            for (let xC = xCMin; xC < xCMax; xC += dilationWidth) {
              const pixel = xv[((b * inHeight + xR) * inWidth + xC) * inChannels + d]!;
              if (pixel > maxValue) {
                maxValue = pixel;
                maxPosition = (xR - xRCorner) * fw + (xC - xCCorner);
              }
            }
          }
          maxPos[((b * outHeight + yR) * outWidth + yC) * inChannels + d] = maxPosition;
        }
      }
    }
  }
  // The gradient: each input pixel collects dy of every window whose maximum it is.
  const padLeft = fw - 1 - info.padInfo.left;
  const padTop = fh - 1 - info.padInfo.top;
  const dx = new Float32Array(batchSize * inHeight * inWidth * inChannels);
  for (let b = 0; b < batchSize; ++b) {
    for (let d = 0; d < inChannels; ++d) {
      for (let dxR = 0; dxR < inHeight; ++dxR) {
        for (let dxC = 0; dxC < inWidth; ++dxC) {
          const dyRCorner = dxR - padTop;
          const dyCCorner = dxC - padLeft;
          let dotProd = 0;
          for (let wR = 0; wR < fh; wR += dilationHeight) {
            const dyR = (dyRCorner + wR) / strideHeight;
            if (dyR < 0 || dyR >= outHeight || Math.floor(dyR) !== dyR) continue;
            for (let wC = 0; wC < fw; wC += dilationWidth) {
              const dyC = (dyCCorner + wC) / strideWidth;
              if (dyC < 0 || dyC >= outWidth || Math.floor(dyC) !== dyC) continue;
              const at = ((b * outHeight + dyR) * outWidth + dyC) * inChannels + d;
              if (fh * fw - 1 - maxPos[at]! !== wR * fw + wC) continue;
              dotProd += dyv[at]! * 1;
            }
          }
          dx[((b * inHeight + dxR) * inWidth + dxC) * inChannels + d] = dotProd;
        }
      }
    }
  }
  return cpu.makeTensorInfo(input.shape, 'float32', dx);
};

let fastKernelsRegistered = false;

/** Replace tfjs-backend-cpu's Conv2DBackpropFilter and MaxPoolGrad with the fast ports above (idempotent). */
export function registerFastCpuKernels(): void {
  if (fastKernelsRegistered) return;
  for (const [kernelName, kernelFunc] of [
    [tf.Conv2DBackpropFilter, fastConv2DBackpropFilter],
    [tf.MaxPoolGrad, fastMaxPoolGrad],
  ] as const) {
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
  }
  fastKernelsRegistered = true;
}

function batchTensors(images: readonly Float32Array[], labels: readonly number[]): [tf.Tensor4D, tf.Tensor2D] {
  const x = new Float32Array(images.length * MNIST_PIXELS);
  const y = new Float32Array(images.length * 10);
  images.forEach((image, b) => {
    x.set(image, b * MNIST_PIXELS);
    y[b * 10 + labels[b]!] = 1;
  });
  return [tf.tensor4d(x, [images.length, MNIST_SIDE, MNIST_SIDE, 1]), tf.tensor2d(y, [images.length, 10])];
}

/** Float accuracy of a tfjs model on digits (argmax, lowest index on ties as tf.argMax does). */
export function floatAccuracy(model: tfl.LayersModel, digits: readonly FloatDigit[]): number {
  let correct = 0;
  for (let start = 0; start < digits.length; start += 256) {
    const chunk = digits.slice(start, start + 256);
    const [x, y] = batchTensors(chunk.map((d) => d.image), chunk.map((d) => d.label));
    const pred = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1).dataSync());
    chunk.forEach((d, i) => {
      if (pred[i] === d.label) correct++;
    });
    x.dispose();
    y.dispose();
  }
  return correct / digits.length;
}

function encode(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** Decode a checkpoint tensor to float32 values. */
export function decodeTensor(t: { readonly data: string }): Float32Array {
  const buf = Buffer.from(t.data, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

function checkpointOf(model: tfl.LayersModel, meta: Omit<FloatCheckpoint, 'format' | 'tensors'>): FloatCheckpoint {
  const tensors: Record<string, { shape: number[]; data: string }> = {};
  for (const name of LAYER_NAMES) {
    const [kernel, bias] = model.getLayer(name).getWeights();
    tensors[`${name}.kernel`] = { shape: kernel!.shape, data: encode(kernel!.dataSync() as Float32Array) };
    tensors[`${name}.bias`] = { shape: bias!.shape, data: encode(bias!.dataSync() as Float32Array) };
  }
  return { format: CHECKPOINT_FORMAT, ...meta, tensors };
}

/** Read a float checkpoint, checking its format. */
export function readCheckpoint(path: string): FloatCheckpoint {
  const cp = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown };
  if (cp.format !== CHECKPOINT_FORMAT) {
    throw new Error(`Checkpoint '${path}' format must be '${CHECKPOINT_FORMAT}', not ${JSON.stringify(cp.format)}. Hint: retrain with npm run train:lenet5.`);
  }
  return cp as FloatCheckpoint;
}

/** Train and write a float checkpoint after every epoch (so a long run can be stopped and still used). */
export async function train(recipe: Recipe, opts: { floatOut: string; log?: (line: string) => void }): Promise<FloatCheckpoint> {
  const log = opts.log ?? console.log;
  await tf.setBackend('cpu');
  registerFastCpuKernels();
  const { train: allTrain, test } = mnistSplit();
  const digits = allTrain.slice(0, recipe.trainCount);
  const model = buildLeNet5(recipe.seed);
  const optimizer = new ScheduledAdam(recipe.learningRate, 0.9, 0.999, 1e-7);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const started = Date.now();
  const batches = Math.ceil(digits.length / recipe.batchSize);
  const totalSteps = recipe.epochs * batches;
  const epochLog: EpochLog[] = [];
  let checkpoint: FloatCheckpoint | null = null;
  for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
    const perm = seededPermutation(digits.length, recipe.seed + epoch);
    const next = uniformStream(augmentationSeed(recipe.seed, epoch));
    let lossSum = 0;
    let accSum = 0;
    for (let b = 0; b < batches; b++) {
      const chosen = Array.from(perm.subarray(b * recipe.batchSize, (b + 1) * recipe.batchSize), (i) => digits[i]!);
      const [x, y] = batchTensors(chosen.map((d) => augmentDigit(d.image, recipe.augmentation, next)), chosen.map((d) => d.label));
      optimizer.setLearningRate(learningRateAt(recipe, (epoch - 1) * batches + b, totalSteps));
      const [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
      x.dispose();
      y.dispose();
      lossSum += loss!;
      accSum += acc!;
      if ((b + 1) % 50 === 0 || b + 1 === batches) {
        const secs = (Date.now() - started) / 1000;
        log(`epoch ${epoch}/${recipe.epochs} batch ${b + 1}/${batches} loss ${(lossSum / (b + 1)).toFixed(4)} acc ${(accSum / (b + 1)).toFixed(4)} ${secs.toFixed(0)} s`);
      }
    }
    const floatTestAccuracy = floatAccuracy(model, test);
    const seconds = (Date.now() - started) / 1000;
    epochLog.push({ epoch, loss: lossSum / batches, trainAccuracy: accSum / batches, testAccuracy: floatTestAccuracy, seconds });
    log(`epoch ${epoch}: float test accuracy ${(floatTestAccuracy * 100).toFixed(2)}% on ${test.length} digits, ${seconds.toFixed(0)} s`);
    checkpoint = checkpointOf(model, { recipe: { ...recipe, trainCount: digits.length }, epochs: epoch, seconds, floatTestAccuracy, log: [...epochLog] });
    mkdirSync(dirname(opts.floatOut), { recursive: true });
    writeFileSync(opts.floatOut, `${JSON.stringify(checkpoint)}\n`);
  }
  return checkpoint!;
}

async function main(): Promise<void> {
  const r = RECIPE;
  const program = new Command('train-lenet5')
    .option('--epochs <n>', 'training epochs', String(r.epochs))
    .option('--train-count <n>', 'training digits used (at most 7996)', String(r.trainCount))
    .option('--seed <n>', 'seed for initialisers, shuffling and augmentation', String(r.seed))
    .option('--batch-size <n>', 'digits per step', String(r.batchSize))
    .option('--lr <x>', 'peak Adam learning rate', String(r.learningRate))
    .option('--lr-schedule <s>', 'cosine | constant', r.lrSchedule)
    .option('--rotate <deg>', 'augmentation: max rotation in degrees (0 disables)', String(r.augmentation.rotateDeg))
    .option('--scale <x>', 'augmentation: max relative scale change', String(r.augmentation.scale))
    .option('--shift <px>', 'augmentation: max shift in pixels', String(r.augmentation.shiftPx))
    .option('--out <file>', 'int8 model file', 'models/lenet5-mnist-int8.sfm')
    .option('--float-out <file>', 'float checkpoint', 'models/lenet5-mnist-float.json')
    .option('--float-in <file>', 'skip training; quantize this float checkpoint')
    .option('--calibration <n>', 'training digits used to calibrate activation scales', '1000')
    .option('--calibration-method <m>', 'mse | percentile (PTQ activation clipping ranges)', 'mse')
    .parse();
  const o = program.opts<Record<string, string | undefined>>();
  const int = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} must be a positive integer, not ${v}`);
    return n;
  };
  const nonNegative = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${name} must be a non-negative number, not ${v}`);
    return n;
  };
  const schedule = o['lrSchedule'];
  if (schedule !== 'cosine' && schedule !== 'constant') throw new RangeError(`--lr-schedule must be cosine or constant, not ${schedule}`);
  const recipe: Recipe = {
    epochs: int('epochs', o['epochs']),
    seed: int('seed', o['seed']),
    trainCount: int('train-count', o['trainCount']),
    batchSize: int('batch-size', o['batchSize']),
    optimizer: 'adam',
    learningRate: nonNegative('lr', o['lr']),
    lrSchedule: schedule,
    augmentation: { rotateDeg: nonNegative('rotate', o['rotate']), scale: nonNegative('scale', o['scale']), shiftPx: nonNegative('shift', o['shift']) },
  };
  const method = o['calibrationMethod'];
  if (method !== 'mse' && method !== 'percentile') throw new RangeError(`--calibration-method must be mse or percentile, not ${method}`);
  const checkpoint = o['floatIn'] ? readCheckpoint(o['floatIn']) : await train(recipe, { floatOut: o['floatOut']! });
  const { quantizeLeNet5 } = await import('./ptq-lenet5.js');
  await quantizeLeNet5(checkpoint, { out: o['out']!, calibration: int('calibration', o['calibration']), method });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
