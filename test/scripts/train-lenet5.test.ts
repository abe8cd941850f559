import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { MNIST_PIXELS, MNIST_SIDE } from '../../accel/mnist.js';
import {
  RECIPE,
  augmentDigit,
  fastConv2DBackpropFilter,
  fastMaxPoolGrad,
  learningRateAt,
  readCheckpoint,
  seededPermutation,
  train,
  uniformStream,
  type Recipe,
} from '../../scripts/train-lenet5.js';
import { mseClipRange, ptqLeNet5, quantizationMse } from '../../scripts/ptq-lenet5.js';

type Shape4 = [number, number, number, number];

/** Run a kernel function directly on the CPU backend and read its output values. */
function runKernel(kernel: tf.KernelFunc, inputs: Record<string, tf.Tensor>, attrs: object): Float32Array {
  const backend = tf.backend() as MathBackendCPU;
  const info = kernel({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const values = Float32Array.from(backend.readSync(info.dataId) as Float32Array);
  backend.disposeData(info.dataId);
  return values;
}

/** Seeded values in [-1, 1); `coarse` rounds them to halves and clips at 0 so that max-pooling sees ties. */
function tensor(shape: number[], seed: number, coarse = false): tf.Tensor {
  const next = uniformStream(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (coarse ? Math.max(0, Math.round(next() * 2) / 2) : next())), shape);
}

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('fast tfjs CPU kernels', () => {
  let stockFilter: tf.KernelFunc;
  let stockPool: tf.KernelFunc;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    stockFilter = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu').kernelFunc;
    stockPool = tf.getKernel(tf.MaxPoolGrad, 'cpu').kernelFunc;
  });

  it('Conv2DBackpropFilter is bit-identical to tfjs-backend-cpu (LeNet shapes, padding, stride, NCHW)', () => {
    const cases: { x: Shape4; dy: Shape4; filterShape: Shape4; strides: number; pad: 'valid' | 'same'; dataFormat: 'NHWC' | 'NCHW' }[] = [
      { x: [3, 28, 28, 1], dy: [3, 24, 24, 6], filterShape: [5, 5, 1, 6], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
      { x: [3, 12, 12, 6], dy: [3, 8, 8, 16], filterShape: [5, 5, 6, 16], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
      { x: [2, 9, 9, 3], dy: [2, 5, 5, 4], filterShape: [3, 3, 3, 4], strides: 2, pad: 'same', dataFormat: 'NHWC' },
      { x: [2, 3, 9, 9], dy: [2, 4, 5, 5], filterShape: [3, 3, 3, 4], strides: 2, pad: 'same', dataFormat: 'NCHW' },
    ];
    cases.forEach((c, i) => {
      const inputs = { x: tensor(c.x, 11 + i), dy: tensor(c.dy, 101 + i) };
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, filterShape: c.filterShape };
      const want = runKernel(stockFilter, inputs, attrs);
      expect(want.length).toBe(c.filterShape.reduce((a, b) => a * b));
      expect(sameBits(runKernel(fastConv2DBackpropFilter, inputs, attrs), want)).toBe(true);
    });
  });

  it('MaxPoolGrad is bit-identical to tfjs-backend-cpu, including ties and overlapping windows', () => {
    const cases: { x: Shape4; filterSize: number; strides: number; pad: 'valid' | 'same' }[] = [
      { x: [3, 24, 24, 6], filterSize: 2, strides: 2, pad: 'valid' },
      { x: [3, 8, 8, 16], filterSize: 2, strides: 2, pad: 'valid' },
      { x: [2, 7, 7, 2], filterSize: 3, strides: 1, pad: 'same' },
      { x: [2, 7, 7, 2], filterSize: 3, strides: 2, pad: 'same' },
    ];
    cases.forEach((c, i) => {
      const input = tensor(c.x, 21 + i, true) as tf.Tensor4D;
      const output = tf.maxPool(input, c.filterSize, c.strides, c.pad);
      const inputs = { dy: tensor(output.shape, 201 + i), input, output };
      const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
      const want = runKernel(stockPool, inputs, attrs);
      expect(sameBits(runKernel(fastMaxPoolGrad, inputs, attrs), want)).toBe(true);
    });
  });
});

describe('training recipe pieces', () => {
  const digit = Float32Array.from({ length: MNIST_PIXELS }, (_, i) => ((i * 37) % 101) / 100);
  const scripted = (...values: number[]) => {
    let i = 0;
    return () => values[i++]!;
  };

  it('augmentDigit: no distortion is the identity; a +1 px x-shift moves every column right', () => {
    expect(augmentDigit(digit, { rotateDeg: 0, scale: 0, shiftPx: 0 }, uniformStream(3))).toEqual(digit);
    const shifted = augmentDigit(digit, { rotateDeg: 10, scale: 0.1, shiftPx: 1 }, scripted(0, 0, 1, 0));
    for (let y = 0; y < MNIST_SIDE; y++) {
      expect(shifted[y * MNIST_SIDE]).toBe(0);
      for (let x = 1; x < MNIST_SIDE; x++) expect(shifted[y * MNIST_SIDE + x]).toBeCloseTo(digit[y * MNIST_SIDE + x - 1]!, 6);
    }
  });

  it('seeded streams and permutations are deterministic', () => {
    const a = uniformStream(42);
    const b = uniformStream(42);
    const xs = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(xs);
    expect(xs.every((x) => x >= -1 && x < 1)).toBe(true);
    const perm = seededPermutation(500, 7);
    expect(Array.from(perm).sort((p, q) => p - q)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(seededPermutation(500, 7)).toEqual(perm);
  });

  it('the cosine schedule starts at the peak, halves at mid-run and ends at 0', () => {
    expect(learningRateAt(RECIPE, 0, 1000)).toBe(RECIPE.learningRate);
    expect(learningRateAt(RECIPE, 500, 1000)).toBeCloseTo(RECIPE.learningRate / 2, 12);
    expect(learningRateAt(RECIPE, 1000, 1000)).toBe(0);
    expect(learningRateAt({ learningRate: 0.01, lrSchedule: 'constant' }, 700, 1000)).toBe(0.01);
  });

  it('a short training run is a pure function of the recipe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-lenet5-'));
    try {
      const recipe: Recipe = { ...RECIPE, epochs: 1, trainCount: 64 };
      const run = (name: string) => train(recipe, { floatOut: join(dir, name), log: () => {} });
      const first = await run('a.json');
      const second = await run('b.json');
      expect(second.tensors).toEqual(first.tensors);
      expect(first.recipe).toEqual(recipe);
      expect(readCheckpoint(join(dir, 'a.json')).tensors).toEqual(first.tensors);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PTQ of the committed checkpoint', () => {
  it('MSE calibration picks a clipping range that beats both the maximum and a much smaller range', () => {
    const next = uniformStream(5);
    // Exponential-ish tail: most outputs small, a few large outliers.
    const values = Float32Array.from({ length: 20_000 }, () => -Math.log(1 - (next() + 1) / 2.0000001));
    const max = values.reduce((m, v) => Math.max(m, v), 0);
    const alpha = mseClipRange(values);
    expect(alpha).toBeLessThan(max);
    expect(quantizationMse(values, alpha)).toBeLessThanOrEqual(quantizationMse(values, max));
    expect(quantizationMse(values, alpha)).toBeLessThan(quantizationMse(values, max / 8));
  });

  it('re-quantizing models/lenet5-mnist-float.json reproduces the committed model and report', () => {
    const cp = readCheckpoint('models/lenet5-mnist-float.json');
    expect(cp.recipe).toEqual(RECIPE);
    expect(cp.epochs).toBe(RECIPE.epochs);
    const report = JSON.parse(readFileSync('models/lenet5-mnist-int8.report.json', 'utf8')) as Record<string, unknown>;
    const { bytes, report: again } = ptqLeNet5(cp, { calibration: report['calibrationDigits'] as number, method: report['calibrationMethod'] as 'mse' });
    expect(Buffer.from(bytes).equals(readFileSync('models/lenet5-mnist-int8.sfm'))).toBe(true);
    expect({ ...again, seconds: 0 }).toEqual({ ...report, seconds: 0 });
    // The float accuracy of the (C,H,W) re-implementation equals tfjs's on the same digits.
    expect(again['floatAccuracy']).toBe(cp.floatTestAccuracy);
  });
});
