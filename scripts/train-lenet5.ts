// `npm run train:lenet5 [-- --epochs N --train-count N --seed N --out FILE --float-in FILE]`
//
// Trains LeNet-5 (DESIGN.md §6) in float32 on the training split of accel/mnist.ts with TensorFlow.js
// (tfjs-layers on the pure-JS CPU backend), saves the float weights as a checkpoint, then quantizes them
// post-training to int8 (scripts/ptq-lenet5.ts) and writes the model file and its report.
//
// Recipe (fixed, see docs/model.md): glorot-uniform kernels seeded with seed+layer, zero biases; Adam
// (lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7); batch 16; softmax cross-entropy; each epoch visits the
// training digits in a permutation drawn by a Fisher–Yates shuffle from xorshift32(seed + epoch).
// `--float-in FILE` skips training and quantizes an existing checkpoint.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { MNIST_SIDE, MNIST_PIXELS, mnistSplit, type FloatDigit } from '../accel/mnist.js';
import { xorshift32 } from '../bench/stimulus.js';

/** Float weights in TensorFlow.js layouts: conv kernels [k, k, inC, outC], dense kernels [in, out]. */
export interface FloatCheckpoint {
  readonly format: 'splitfuse-lenet5-float/1';
  readonly epochs: number;
  readonly seed: number;
  readonly trainCount: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seconds: number;
  readonly floatTestAccuracy: number;
  /** Layer name → { shape, values (base64 of little-endian float32) } for kernel and bias. */
  readonly tensors: Record<string, { readonly shape: number[]; readonly data: string }>;
}

export const BATCH_SIZE = 16;
export const LEARNING_RATE = 1e-3;
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

function batchTensors(digits: readonly FloatDigit[], idx: ArrayLike<number>): [tf.Tensor4D, tf.Tensor2D] {
  const x = new Float32Array(idx.length * MNIST_PIXELS);
  const y = new Float32Array(idx.length * 10);
  for (let b = 0; b < idx.length; b++) {
    const d = digits[idx[b]!]!;
    x.set(d.image, b * MNIST_PIXELS);
    y[b * 10 + d.label] = 1;
  }
  return [tf.tensor4d(x, [idx.length, MNIST_SIDE, MNIST_SIDE, 1]), tf.tensor2d(y, [idx.length, 10])];
}

/** Float accuracy of a tfjs model on digits (argmax, lowest index on ties as tf.argMax does). */
export function floatAccuracy(model: tfl.LayersModel, digits: readonly FloatDigit[]): number {
  let correct = 0;
  for (let start = 0; start < digits.length; start += 256) {
    const idx = Array.from({ length: Math.min(256, digits.length - start) }, (_, i) => start + i);
    const [x, y] = batchTensors(digits, idx);
    const pred = tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1).dataSync());
    for (let i = 0; i < idx.length; i++) if (pred[i] === digits[idx[i]!]!.label) correct++;
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
  return { format: 'splitfuse-lenet5-float/1', ...meta, tensors };
}

interface TrainOptions {
  readonly epochs: number;
  readonly trainCount: number;
  readonly seed: number;
  readonly floatOut: string;
}

/** Train and write a float checkpoint after every epoch (so a long run can be stopped and still used). */
export async function train(opts: TrainOptions): Promise<FloatCheckpoint> {
  await tf.setBackend('cpu');
  const { train: allTrain, test } = mnistSplit();
  const digits = allTrain.slice(0, opts.trainCount);
  const model = buildLeNet5(opts.seed);
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const started = Date.now();
  const batches = Math.ceil(digits.length / BATCH_SIZE);
  let checkpoint: FloatCheckpoint | null = null;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const perm = seededPermutation(digits.length, opts.seed + epoch);
    let lossSum = 0;
    let accSum = 0;
    for (let b = 0; b < batches; b++) {
      const [x, y] = batchTensors(digits, perm.subarray(b * BATCH_SIZE, (b + 1) * BATCH_SIZE));
      const [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
      x.dispose();
      y.dispose();
      lossSum += loss!;
      accSum += acc!;
      if ((b + 1) % 50 === 0 || b + 1 === batches) {
        const secs = (Date.now() - started) / 1000;
        console.log(`epoch ${epoch}/${opts.epochs} batch ${b + 1}/${batches} loss ${(lossSum / (b + 1)).toFixed(4)} acc ${(accSum / (b + 1)).toFixed(4)} ${secs.toFixed(0)} s`);
      }
    }
    const floatTestAccuracy = floatAccuracy(model, test);
    const seconds = (Date.now() - started) / 1000;
    console.log(`epoch ${epoch}: float test accuracy ${(floatTestAccuracy * 100).toFixed(2)}% on ${test.length} digits, ${seconds.toFixed(0)} s`);
    checkpoint = checkpointOf(model, { epochs: epoch, seed: opts.seed, trainCount: digits.length, batchSize: BATCH_SIZE, learningRate: LEARNING_RATE, seconds, floatTestAccuracy });
    mkdirSync(dirname(opts.floatOut), { recursive: true });
    writeFileSync(opts.floatOut, `${JSON.stringify(checkpoint)}\n`);
  }
  return checkpoint!;
}

async function main(): Promise<void> {
  const program = new Command('train-lenet5')
    .option('--epochs <n>', 'training epochs', '5')
    .option('--train-count <n>', 'training digits used (at most 7996)', '7996')
    .option('--seed <n>', 'seed for initialisers and shuffling', '1')
    .option('--out <file>', 'int8 model file', 'models/lenet5-mnist-int8.sfm')
    .option('--float-out <file>', 'float checkpoint', 'models/lenet5-mnist-float.json')
    .option('--float-in <file>', 'skip training; quantize this float checkpoint')
    .option('--calibration <n>', 'training digits used to calibrate activation scales', '1000')
    .parse();
  const o = program.opts<Record<string, string | undefined>>();
  const int = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} must be a positive integer, not ${v}`);
    return n;
  };
  const checkpoint: FloatCheckpoint = o['floatIn']
    ? (JSON.parse(readFileSync(o['floatIn'], 'utf8')) as FloatCheckpoint)
    : await train({ epochs: int('epochs', o['epochs']), trainCount: int('train-count', o['trainCount']), seed: int('seed', o['seed']), floatOut: o['floatOut']! });
  const { quantizeLeNet5 } = await import('./ptq-lenet5.js');
  await quantizeLeNet5(checkpoint, { out: o['out']!, calibration: int('calibration', o['calibration']) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
