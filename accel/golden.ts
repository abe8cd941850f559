// Bit-exact integer reference inference of a quantized model (accel/model.ts), DESIGN.md §6. The RTL of the
// accelerator must produce exactly these int8 activations; fault campaigns run this thousands of times, so it
// works on typed arrays and avoids BigInt on the hot path.
//
// Semantics per layer (activations are int8, (C,H,W) row-major, index c·H·W + y·W + x; z_in is the input's zero
// point, z_out the layer's outZeroPoint, both 0 in format version 1; p = the padded input, holding z_in outside):
//   conv2d  acc[o][y][x] = Σ_i Σ_ky Σ_kx w[o][i][ky][kx] · (p[i][y·s+ky][x·s+kx] − z_in)
//   fc      acc[o]       = Σ_i w[o][i] · (in[i] − z_in)
//           z = acc + bias[o];  out = clamp(round_half_up(z·b[o]/2^c[o]) + z_out), ReLU: max(out, z_out)
//           (accel/quant.ts requantize when z_out = 0; Jacob et al., CVPR 2018, eq. 7 for the zero points)
//   maxpool out[c][y][x] = max over in[c][y·s+ky−top][x·s+kx−left] inside the input, ky, kx < k
//   avgpool out[c][y][x] = z_in + round_half_up(Σ (p − z_in) / n) over the window, n = k² or the positions inside
//           (ties up, as every requantization here rounds; the accelerator computes it with avgPoolDyadic)
//   flatten the (C,H,W) data as a vector, unchanged
// The z_in·Σw term is a per-channel constant (cached per layer), so a zero point costs one subtraction per output.
// Accumulation is exact (JS numbers hold every sum of this size exactly); the hardware accumulator is
// accWidth-bit two's complement (32 by default) and must never wrap: runGolden throws E119 when a final
// accumulator acc or z = acc + bias leaves [-2^(accWidth-1), 2^(accWidth-1)), and accumulatorBounds gives
// the static worst case over all int8 inputs, which also bounds every partial sum in any summation order.
// The predicted class is the argmax of the last layer's int8 outputs, the lowest index on ties.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { requantize } from './quant.js';
import { activationZeroPoints, LCU, LCU_GROUP_SIZE, layerShapes, paddingOf, type ActivationShape, type AvgPoolLayer, type Conv2dLayer, type FcLayer, type MaxPoolLayer, type Model } from './model.js';
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
const zeroPointCache = new WeakMap<Model, number[]>();
const weightSumCache = new WeakMap<Conv2dLayer | FcLayer, Float64Array>();

function shapesOf(model: Model): ActivationShape[] {
  let shapes = shapeCache.get(model);
  if (!shapes) {
    shapes = layerShapes(model);
    shapeCache.set(model, shapes);
  }
  return shapes;
}

function zeroPointsOf(model: Model): number[] {
  let zps = zeroPointCache.get(model);
  if (!zps) {
    zps = activationZeroPoints(model);
    zeroPointCache.set(model, zps);
  }
  return zps;
}

/** Σ_j w[o][j] per physical output channel: the input zero point's constant z_in·Σw (Jacob et al. eq. 7). */
function weightSums(layer: Conv2dLayer | FcLayer): Float64Array {
  let sums = weightSumCache.get(layer);
  if (!sums) {
    const nOut = layer.kind === 'conv2d' ? layer.outC : layer.out;
    const per = layer.weights.length / nOut;
    sums = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
      let sum = 0;
      for (let j = o * per; j < (o + 1) * per; j++) sum += layer.weights[j]!;
      sums[o] = sum;
    }
    weightSumCache.set(layer, sums);
  }
  return sums;
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
 * max over output channels of 128·Σ|w| + |bias| (|x − z_in| <= 255 with a zero point: 255·Σ|w| + |bias|).
 * Pool/flatten layers give 0.
 */
export function accumulatorBounds(model: Model): { name: string; bound: number }[] {
  const zps = zeroPointsOf(model);
  return model.layers.map((layer, i) => {
    if (layer.kind !== 'conv2d' && layer.kind !== 'fc') return { name: layer.name, bound: 0 };
    const zIn = i === 0 ? (model.input.zeroPoint ?? 0) : zps[i - 1]!;
    const xMax = zIn === 0 ? 128 : 128 + Math.abs(zIn);
    const nOut = layer.kind === 'conv2d' ? layer.outC : layer.out;
    const per = layer.weights.length / nOut;
    let bound = 0;
    for (let o = 0; o < nOut; o++) {
      let s = 0;
      for (let j = o * per; j < (o + 1) * per; j++) s += Math.abs(layer.weights[j]!);
      bound = Math.max(bound, xMax * s + Math.abs(layer.bias[o]!));
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
export function requantizeInt8(z: number, b: number, c: number, relu: boolean, zeroPoint = 0): number {
  let q: number;
  if (c >= 17 && z < 2 ** 31 && z >= -(2 ** 31)) {
    const bHi = Math.floor(b / 65536);
    const bLo = b - bHi * 65536;
    q = Math.floor((z * bHi + Math.floor((z * bLo) / 65536) + 2 ** (c - 17)) / 2 ** (c - 16)) + zeroPoint;
  } else {
    // Clamped to int16 first: with |zeroPoint| <= 128 the int8 clamp below gives the same result as no clamp.
    q = requantize(z, { b, c }, { bits: 16, relu: false }) + zeroPoint;
  }
  q = q > 127 ? 127 : q < -128 ? -128 : q;
  return relu && q < zeroPoint ? zeroPoint : q;
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
  return requantizeInt8(z, layer.requantB[o]!, layer.requantC[o]!, layer.relu, layer.outZeroPoint ?? 0);
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

/** The input surrounded by `pad` rows/columns holding `fill` (the input zero point: real 0). */
function padInput(x: Int8Array, inS: { c: number; h: number; w: number }, pad: readonly number[], fill: number): { x: Int8Array; h: number; w: number } {
  const [top, left, bottom, right] = pad as [number, number, number, number];
  const h = inS.h + top + bottom;
  const w = inS.w + left + right;
  const out = new Int8Array(inS.c * h * w).fill(fill);
  for (let c = 0; c < inS.c; c++) {
    for (let y = 0; y < inS.h; y++) out.set(x.subarray((c * inS.h + y) * inS.w, (c * inS.h + y + 1) * inS.w), (c * h + y + top) * w + left);
  }
  return { x: out, h, w };
}

function conv2d(layer: Conv2dLayer, x: Int8Array, inS: { c: number; h: number; w: number }, outS: { h: number; w: number }, zIn: number, check: AccCheck): Int8Array;
function conv2d(layer: Conv2dLayer, x: Int8Array, inS: { c: number; h: number; w: number }, outS: { h: number; w: number }, zIn: number, check: AccCheck, raw: true): Float64Array;
function conv2d(layer: Conv2dLayer, xIn: Int8Array, inS0: { c: number; h: number; w: number }, outS: { h: number; w: number }, zIn: number, check: AccCheck, raw = false): Int8Array | Float64Array {
  const { inC, outC, k, stride, weights } = layer;
  if (layer.protection) {
    const plane = outS.h * outS.w;
    const raw = conv2d({ ...layer, protection: undefined }, xIn, inS0, outS, zIn, check, true);
    return protectedOutputs(layer, plane, (o, p) => raw[o * plane + p]!, check);
  }
  const pad = paddingOf(layer);
  const padded = pad.some((p) => p !== 0) ? padInput(xIn, inS0, pad, zIn) : { x: xIn, h: inS0.h, w: inS0.w };
  const x = padded.x;
  const inS = { h: padded.h, w: padded.w };
  // Σ w·(x − z_in) = Σ w·x − z_in·Σw: one subtraction per output instead of one per MAC.
  const sums = zIn === 0 ? null : weightSums(layer);
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
        if (sums) acc -= zIn * sums[o]!;
        out[(o * outS.h + oy) * outS.w + ox] = raw ? acc : finish(layer, o, acc, check);
      }
    }
  }
  return out;
}

function maxpool(layer: MaxPoolLayer, x: Int8Array, inS: { c: number; h: number; w: number }, outS: { h: number; w: number }): Int8Array {
  const { k, stride } = layer;
  const pad = paddingOf(layer);
  if (pad.some((p) => p !== 0)) return pooled(layer, x, inS, outS, 0);
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

/**
 * The dyadic multiplier b/2^c of 1/n with which the accelerator's requantization lane divides an average pool's
 * window sum: c = 30 + floor(log2 n), b = floor(2^c/n) + 1, a hair above 1/n. For 0 <= A < 2^(c−1)/n,
 * floor((A·b + 2^(c−1))/2^c) = round_half_up(A/n) exactly: away from a tie the excess A·(b − 2^c/n)/2^c < 1/(2n)
 * cannot reach the next integer, and at a tie it tips the value up. The compiler makes A non-negative by adding
 * n·(z + 128) to the sum (accel/compiler/stages.ts).
 */
export function avgPoolDyadic(n: number): { b: number; c: number } {
  const c = 30 + Math.floor(Math.log2(n));
  return { b: Math.floor(2 ** c / n) + 1, c };
}

/**
 * Pooling over windows that may reach into the padding: maxpool takes the maximum of the positions inside the
 * input; avgpool (zero point z) z + round_half_up(Σ(x − z)/n), padded positions adding 0 and counting in n only with
 * countIncludePad (integer arithmetic, exact).
 */
function pooled(layer: MaxPoolLayer | AvgPoolLayer, x: Int8Array, inS: { c: number; h: number; w: number }, outS: { h: number; w: number }, z: number): Int8Array {
  const { k, stride } = layer;
  const [top, left] = paddingOf(layer);
  const avg = layer.kind === 'avgpool';
  const out = new Int8Array(inS.c * outS.h * outS.w);
  for (let c = 0; c < inS.c; c++) {
    for (let oy = 0; oy < outS.h; oy++) {
      const y0 = oy * stride - top;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(inS.h, y0 + k);
      for (let ox = 0; ox < outS.w; ox++) {
        const x0 = ox * stride - left;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(inS.w, x0 + k);
        let best = -128;
        let sum = 0;
        for (let y = yLo; y < yHi; y++) {
          const row = (c * inS.h + y) * inS.w;
          for (let xx = xLo; xx < xHi; xx++) {
            const v = x[row + xx]!;
            if (v > best) best = v;
            sum += v - z;
          }
        }
        const at = (c * outS.h + oy) * outS.w + ox;
        if (!avg) out[at] = best;
        else {
          const n = layer.countIncludePad ? k * k : (yHi - yLo) * (xHi - xLo);
          out[at] = z + Math.floor((2 * sum + n) / (2 * n));
        }
      }
    }
  }
  return out;
}

function fc(layer: FcLayer, x: Int8Array, zIn: number, check: AccCheck): Int8Array {
  const n = layer.in;
  const sums = zIn === 0 ? null : weightSums(layer);
  if (layer.protection) {
    const raw = new Float64Array(layer.out);
    for (let o = 0; o < layer.out; o++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += layer.weights[o * n + i]! * x[i]!;
      raw[o] = sums ? acc - zIn * sums[o]! : acc;
    }
    return protectedOutputs(layer, 1, (o) => raw[o]!, check);
  }
  const out = new Int8Array(layer.out);
  for (let o = 0; o < layer.out; o++) {
    let acc = 0;
    const base = o * n;
    for (let i = 0; i < n; i++) acc += layer.weights[base + i]! * x[i]!;
    if (sums) acc -= zIn * sums[o]!;
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
  const zps = zeroPointsOf(model);
  let x = input;
  let inS: ActivationShape = { kind: 'chw', c, h, w };
  let zIn = model.input.zeroPoint ?? 0;
  model.layers.forEach((layer, i) => {
    const outS = shapes[i]!;
    if (layer.kind === 'conv2d' && inS.kind === 'chw' && outS.kind === 'chw') x = conv2d(layer, x, inS, outS, zIn, check);
    else if (layer.kind === 'maxpool' && inS.kind === 'chw' && outS.kind === 'chw') x = maxpool(layer, x, inS, outS);
    else if (layer.kind === 'avgpool' && inS.kind === 'chw' && outS.kind === 'chw') x = pooled(layer, x, inS, outS, zIn);
    else if (layer.kind === 'fc') x = fc(layer, x, zIn, check);
    activations.push(x);
    inS = outS;
    zIn = zps[i]!;
  });
  return { activations, logits: x, predicted: argmaxLowest(x), maxAbsAccumulator: check.max };
}

/** Accuracy of the golden model on labelled int8 digits (e.g. accel/mnist.ts testImages()). */
export function goldenAccuracy(model: Model, digits: readonly { readonly image: Int8Array; readonly label: number }[], options: GoldenOptions = {}): { correct: number; total: number; accuracy: number } {
  let correct = 0;
  for (const d of digits) if (runGolden(model, d.image, options).predicted === d.label) correct++;
  return { correct, total: digits.length, accuracy: digits.length === 0 ? 0 : correct / digits.length };
}
