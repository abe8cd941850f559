// Bit-exact integer reference inference of a quantized model (accel/model.ts), DESIGN.md §6. The RTL of the
// accelerator must produce exactly these int8 activations; fault campaigns run this thousands of times, so it
// works on typed arrays and avoids BigInt on the hot path.
//
// Semantics per layer (activations are int8, (C,H,W) row-major, index c·H·W + y·W + x):
//   conv2d  acc[o][y][x] = Σ_i Σ_ky Σ_kx w[o][i][ky][kx] · in[i][y·s+ky][x·s+kx]   (no padding)
//   fc      acc[o]       = Σ_i w[o][i] · in[i]
//           z = acc + bias[o];  out = requantize(z, {b[o], c[o]}, {bits: 8, relu})   (accel/quant.ts)
//   maxpool out[c][y][x] = max over in[c][y·s+ky][x·s+kx], ky, kx < k
//   flatten the (C,H,W) data as a vector, unchanged
// Accumulation is exact (JS numbers hold every sum of this size exactly); the hardware accumulator is
// accWidth-bit two's complement (32 by default) and must never wrap: runGolden throws E119 when a final
// accumulator acc or z = acc + bias leaves [-2^(accWidth-1), 2^(accWidth-1)), and accumulatorBounds gives
// the static worst case over all int8 inputs, which also bounds every partial sum in any summation order.
// The predicted class is the argmax of the last layer's int8 outputs, the lowest index on ties.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { requantize } from './quant.js';
import { LCU, LCU_GROUP_SIZE, layerShapes, type ActivationShape, type Conv2dLayer, type FcLayer, type Model } from './model.js';
import { lcuCombine } from './protect/lcu.js';

export interface GoldenOptions {
  /** Accumulator width in bits (two's complement); default 32 (DESIGN.md §5 for INT8). */
  readonly accWidth?: number;
}

export interface GoldenResult {
  /** Output of every layer, aligned with model.layers (a flatten layer's entry is its input array). */
  readonly activations: readonly Int8Array[];
  /** The last layer's int8 outputs. */
  readonly logits: Int8Array;
  /** argmax of logits, lowest index on ties. */
  readonly predicted: number;
  /** Largest |acc + bias| seen over all conv/fc outputs of this inference. */
  readonly maxAbsAccumulator: number;
}

export interface LayerMacs {
  readonly name: string;
  readonly kind: string;
  /** Multiply-accumulates of one inference: conv outC·outH·outW·inC·k², fc in·out, 0 for pool/flatten. */
  readonly macs: number;
}

const shapeCache = new WeakMap<Model, ActivationShape[]>();

function shapesOf(model: Model): ActivationShape[] {
  let shapes = shapeCache.get(model);
  if (!shapes) {
    shapes = layerShapes(model);
    shapeCache.set(model, shapes);
  }
  return shapes;
}

const sizeOf = (s: ActivationShape): number => (s.kind === 'chw' ? s.c * s.h * s.w : s.n);

/** MACs per layer of one inference (LeNet-5 of DESIGN §6: 281,640 in total). */
export function layerMacs(model: Model): LayerMacs[] {
  const shapes = shapesOf(model);
  return model.layers.map((layer, i) => {
    const out = shapes[i]!;
    let macs = 0;
    // Physical channels: a protected layer's copies are computed too.
    if (layer.kind === 'conv2d' && out.kind === 'chw') macs = layer.outC * out.h * out.w * layer.inC * layer.k * layer.k;
    else if (layer.kind === 'fc') macs = layer.in * layer.out;
    return { name: layer.name, kind: layer.kind, macs };
  });
}

/** Total MACs of one inference. */
export function modelMacs(model: Model): number {
  return layerMacs(model).reduce((a, l) => a + l.macs, 0);
}

/**
 * Static worst case of |acc + bias| (and of every partial sum) per conv/fc layer over all int8 inputs:
 * max over output channels of 128·Σ|w| + |bias|. Pool/flatten layers give 0.
 */
export function accumulatorBounds(model: Model): { name: string; bound: number }[] {
  return model.layers.map((layer) => {
    if (layer.kind !== 'conv2d' && layer.kind !== 'fc') return { name: layer.name, bound: 0 };
    const nOut = layer.kind === 'conv2d' ? layer.outC : layer.out;
    const per = layer.weights.length / nOut;
    let bound = 0;
    for (let o = 0; o < nOut; o++) {
      let s = 0;
      for (let j = o * per; j < (o + 1) * per; j++) s += Math.abs(layer.weights[j]!);
      bound = Math.max(bound, 128 * s + Math.abs(layer.bias[o]!));
    }
    return { name: layer.name, bound };
  });
}

/**
 * requantize(z, {b, c}, {bits: 8, relu}) of accel/quant.ts without BigInt, bit-exact for |z| < 2^31 (larger z
 * and c < 17 fall back to it). With b = bHi·2^16 + bLo and c >= 17:
 *   floor((z·b + 2^(c-1)) / 2^c) = floor((z·bHi + floor(z·bLo / 2^16) + 2^(c-17)) / 2^(c-16)),
 * every intermediate below 2^48 and hence exact in a double.
 */
export function requantizeInt8(z: number, b: number, c: number, relu: boolean): number {
  let q: number;
  if (c >= 17 && z < 2 ** 31 && z >= -(2 ** 31)) {
    const bHi = Math.floor(b / 65536);
    const bLo = b - bHi * 65536;
    q = Math.floor((z * bHi + Math.floor((z * bLo) / 65536) + 2 ** (c - 17)) / 2 ** (c - 16));
    q = q > 127 ? 127 : q < -128 ? -128 : q;
  } else {
    q = requantize(z, { b, c }, { bits: 8, relu: false });
  }
  return relu && q < 0 ? 0 : q;
}

/** Index of the largest value, the lowest index on ties. */
export function argmaxLowest(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

interface AccCheck {
  readonly limit: number;
  readonly model: string;
  readonly accWidth: number;
  max: number;
}

function finish(layer: Conv2dLayer | FcLayer, o: number, acc: number, check: AccCheck): number {
  const z = acc + layer.bias[o]!;
  const worst = Math.max(Math.abs(acc), Math.abs(z));
  if (worst > check.max) {
    check.max = worst;
    if (acc >= check.limit || acc < -check.limit || z >= check.limit || z < -check.limit) {
      throw new DiagnosticError([msg.accumulatorOverflow(check.model, layer.name, check.accWidth, `${acc >= check.limit || acc < -check.limit ? acc : z} (accumulator ${acc}, bias ${layer.bias[o]}, output channel ${o})`)]);
    }
  }
  return requantizeInt8(z, layer.requantB[o]!, layer.requantC[o]!, layer.relu);
}

/**
 * A protected layer (accel/model.ts LayerProtection): `physical(o, p)` is the raw accumulator of physical
 * channel o at output pixel p; each group's accumulators are combined by the correction rule
 * (accel/protect/lcu.ts) and requantized with the head's bias and multiplier into the group's logical channel.
 */
function protectedOutputs(layer: Conv2dLayer | FcLayer, pixels: number, physical: (o: number, p: number) => number, check: AccCheck): Int8Array {
  const { lcu, bound } = layer.protection!;
  const heads: number[] = [];
  for (let o = 0; o < lcu.length; o += LCU_GROUP_SIZE[lcu[o]!]!) heads.push(o);
  const out = new Int8Array(heads.length * pixels);
  heads.forEach((o, logical) => {
    const code = lcu[o]!;
    for (let p = 0; p < pixels; p++) {
      const a = physical(o, p);
      let acc = a;
      if (code !== LCU.plain) {
        const b = physical(o + 1, p);
        const c = code === LCU.tmr ? physical(o + 2, p) : 0;
        acc = Number(lcuCombine(code, BigInt(a), BigInt(b), BigInt(c), bound[o]!, check.accWidth).value);
      }
      out[logical * pixels + p] = finish(layer, o, acc, check);
    }
  });
  return out;
}

function conv2d(layer: Conv2dLayer, x: Int8Array, inS: { h: number; w: number }, outS: { h: number; w: number }, check: AccCheck): Int8Array;
function conv2d(layer: Conv2dLayer, x: Int8Array, inS: { h: number; w: number }, outS: { h: number; w: number }, check: AccCheck, raw: true): Float64Array;
function conv2d(layer: Conv2dLayer, x: Int8Array, inS: { h: number; w: number }, outS: { h: number; w: number }, check: AccCheck, raw = false): Int8Array | Float64Array {
  const { inC, outC, k, stride, weights } = layer;
  if (layer.protection) {
    const plane = outS.h * outS.w;
    const raw = conv2d({ ...layer, protection: undefined }, x, inS, outS, check, true);
    return protectedOutputs(layer, plane, (o, p) => raw[o * plane + p]!, check);
  }
  const out = raw ? new Float64Array(outC * outS.h * outS.w) : new Int8Array(outC * outS.h * outS.w);
  const plane = inS.h * inS.w;
  for (let o = 0; o < outC; o++) {
    const wBase = o * inC * k * k;
    for (let oy = 0; oy < outS.h; oy++) {
      for (let ox = 0; ox < outS.w; ox++) {
        let acc = 0;
        for (let i = 0; i < inC; i++) {
          const wI = wBase + i * k * k;
          const xI = i * plane + oy * stride * inS.w + ox * stride;
          for (let ky = 0; ky < k; ky++) {
            const wRow = wI + ky * k;
            const xRow = xI + ky * inS.w;
            for (let kx = 0; kx < k; kx++) acc += weights[wRow + kx]! * x[xRow + kx]!;
          }
        }
        out[(o * outS.h + oy) * outS.w + ox] = raw ? acc : finish(layer, o, acc, check);
      }
    }
  }
  return out;
}

function maxpool(k: number, stride: number, x: Int8Array, inS: { c: number; h: number; w: number }, outS: { h: number; w: number }): Int8Array {
  const out = new Int8Array(inS.c * outS.h * outS.w);
  for (let c = 0; c < inS.c; c++) {
    for (let oy = 0; oy < outS.h; oy++) {
      for (let ox = 0; ox < outS.w; ox++) {
        let best = -128;
        for (let ky = 0; ky < k; ky++) {
          const row = (c * inS.h + oy * stride + ky) * inS.w + ox * stride;
          for (let kx = 0; kx < k; kx++) if (x[row + kx]! > best) best = x[row + kx]!;
        }
        out[(c * outS.h + oy) * outS.w + ox] = best;
      }
    }
  }
  return out;
}

function fc(layer: FcLayer, x: Int8Array, check: AccCheck): Int8Array {
  const n = layer.in;
  if (layer.protection) {
    const raw = new Float64Array(layer.out);
    for (let o = 0; o < layer.out; o++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += layer.weights[o * n + i]! * x[i]!;
      raw[o] = acc;
    }
    return protectedOutputs(layer, 1, (o) => raw[o]!, check);
  }
  const out = new Int8Array(layer.out);
  for (let o = 0; o < layer.out; o++) {
    let acc = 0;
    const base = o * n;
    for (let i = 0; i < n; i++) acc += layer.weights[base + i]! * x[i]!;
    out[o] = finish(layer, o, acc, check);
  }
  return out;
}

/**
 * Run one inference. `input` holds C·H·W int8 values in (C,H,W) order (for MNIST: accel/mnist.ts quantizeInput).
 * Throws E118 for a wrong input size, E119 when an accumulator would not fit in accWidth bits.
 */
export function runGolden(model: Model, input: Int8Array, options: GoldenOptions = {}): GoldenResult {
  const accWidth = options.accWidth ?? 32;
  const shapes = shapesOf(model);
  const [c, h, w] = model.input.shape;
  if (!(input instanceof Int8Array) || input.length !== c * h * w) {
    const found = input instanceof Int8Array ? `${input.length} values` : `a ${(input as object)?.constructor?.name ?? typeof input}`;
    throw new DiagnosticError([msg.goldenInput(model.name, `an Int8Array of ${c * h * w} values (${c}×${h}×${w})`, found)]);
  }
  const check: AccCheck = { limit: 2 ** (accWidth - 1), model: model.name, accWidth, max: 0 };
  const activations: Int8Array[] = [];
  let x = input;
  let inS: ActivationShape = { kind: 'chw', c, h, w };
  model.layers.forEach((layer, i) => {
    const outS = shapes[i]!;
    if (layer.kind === 'conv2d' && inS.kind === 'chw' && outS.kind === 'chw') x = conv2d(layer, x, inS, outS, check);
    else if (layer.kind === 'maxpool' && inS.kind === 'chw' && outS.kind === 'chw') x = maxpool(layer.k, layer.stride, x, inS, outS);
    else if (layer.kind === 'fc') x = fc(layer, x, check);
    activations.push(x);
    inS = outS;
  });
  return { activations, logits: x, predicted: argmaxLowest(x), maxAbsAccumulator: check.max };
}

/** Accuracy of the golden model on labelled int8 digits (e.g. accel/mnist.ts testImages()). */
export function goldenAccuracy(model: Model, digits: readonly { readonly image: Int8Array; readonly label: number }[], options: GoldenOptions = {}): { correct: number; total: number; accuracy: number } {
  let correct = 0;
  for (const d of digits) if (runGolden(model, d.image, options).predicted === d.label) correct++;
  return { correct, total: digits.length, accuracy: digits.length === 0 ? 0 : correct / digits.length };
}
