// Seeded random model inputs (`splitfuse run --random-inputs N --seed S`) for models without a data set (the
// zoo's CIFAR-sized CNN and VGG-16 prefix, imported ONNX models): int8 values uniform in −128..127 from
// xorshift32 (Marsaglia, J. Stat. Softw. 2003; shifts 13, 17, 5), one draw per element, the state starting at
// the seed (0 is replaced by 1: xorshift needs a non-zero state). Input i of a run continues the stream of
// input i − 1, so N inputs from seed S are the first N of N + 1 from S. The golden check applies as for
// labelled data; there is no accuracy (label −1, UNLABELLED).
import type { Int8Digit } from './mnist.js';
import type { Model } from './model.js';

/** The label of an input without one. */
export const UNLABELLED = -1;

/** `count` seeded int8 inputs of the model's input shape (label UNLABELLED). */
export function randomInputs(model: Model, count: number, seed: number): Int8Digit[] {
  const [c, h, w] = model.input.shape;
  let s = seed >>> 0 || 1;
  const out: Int8Digit[] = [];
  for (let n = 0; n < count; n++) {
    const image = new Int8Array(c * h * w);
    for (let i = 0; i < image.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      image[i] = (s & 0xff) - 128;
    }
    out.push({ image, label: UNLABELLED });
  }
  return out;
}
