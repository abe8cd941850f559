import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { INPUT_SCALE, MNIST_PIXELS, mnistSplit, quantizeInput, testImages, trainImages, TRAIN_FRACTION } from '../../accel/mnist.js';

/** The package itself, read through its own per-digit accessor (an independent path to the same pixels). */
const pkg = createRequire(import.meta.url)('mnist') as { length: number; get(i: number): number[] }[];

describe('MNIST split', () => {
  const { train, test } = mnistSplit();

  it('has the documented sizes: per class floor(0.8·n) training digits, 7,996 + 2,004 in total', () => {
    expect(train.length).toBe(7996);
    expect(test.length).toBe(2004);
    for (let d = 0; d < 10; d++) {
      const n = pkg[d]!.length;
      expect(train.filter((x) => x.label === d).length).toBe(Math.floor(n * TRAIN_FRACTION));
      expect(test.filter((x) => x.label === d).length).toBe(n - Math.floor(n * TRAIN_FRACTION));
    }
  });

  it('keeps train and test disjoint and takes the pixels the package ships, in order', () => {
    for (const x of train) expect(x.classIndex).toBeLessThan(Math.floor(pkg[x.label]!.length * TRAIN_FRACTION));
    for (const x of test) expect(x.classIndex).toBeGreaterThanOrEqual(Math.floor(pkg[x.label]!.length * TRAIN_FRACTION));
    for (const x of [train[0]!, train[4321]!, test[0]!, test[2003]!]) {
      expect(Array.from(x.image)).toEqual(Array.from(Float32Array.from(pkg[x.label]!.get(x.classIndex))));
      expect(x.image.length).toBe(MNIST_PIXELS);
    }
  });

  it('interleaves the classes so every prefix covers all digits', () => {
    expect(test.slice(0, 20).map((x) => x.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(testImages(100).map((x) => x.label)).size).toBe(10);
  });

  it('is deterministic (same images and labels on every call, independent of Math.random)', () => {
    const a = testImages(50);
    const saved = Math.random;
    Math.random = () => 0.5;
    try {
      const b = testImages(50);
      expect(b).toEqual(a);
    } finally {
      Math.random = saved;
    }
    expect(trainImages(3).map((x) => x.label)).toEqual([0, 1, 2]);
  });
});

describe('input quantization', () => {
  it('maps [0, 1] to int8 round(x·127) with scale 1/127', () => {
    expect(Array.from(quantizeInput(Float32Array.of(0, 1, 0.5, 0.992, 0.004, 0.003937)))).toEqual([0, 127, 64, 126, 1, 0]);
    expect(INPUT_SCALE * 127).toBeCloseTo(1, 12);
    for (const x of testImages(200)) {
      expect(x.image).toBeInstanceOf(Int8Array);
      expect(Math.min(...x.image)).toBe(0);
      expect(Math.max(...x.image)).toBeLessThanOrEqual(127);
      expect(Math.max(...x.image)).toBeGreaterThan(100);
    }
  });

  it('rejects counts outside the split', () => {
    expect(() => testImages(2005)).toThrow(/\[0, 2004\], not 2005/);
    expect(() => trainImages(-1)).toThrow(RangeError);
    expect(testImages(0)).toEqual([]);
  });
});
