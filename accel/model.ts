// The splitfuse quantized-model file (".sfm"): an integer-only sequential QNN (DESIGN.md §6) with conv2d, maxpool,
// avgpool, flatten and fully-connected layers, per-output-channel int8 weights, int32 biases and dyadic
// requantization multipliers b / 2^c (accel/quant.ts). Format version 1 holds LeNet-5's features (unpadded
// conv/maxpool, symmetric activations); version 2 adds padding, average pooling and activation zero points
// (asymmetric int8 activations, as onnxruntime's quantizer emits them; accel/onnx/). writeModel writes version 1
// whenever the model needs nothing of version 2, so version-1 files round-trip byte for byte. docs/model.md
// describes the bytes; in short:
//
//   offset 0   4 bytes  magic "SFQM"
//   offset 4   u16 LE   format version (1 or 2)
//   offset 6   u16 LE   reserved, 0
//   offset 8   u32 LE   header length H (bytes of UTF-8 JSON)
//   offset 12  H bytes  JSON header (name, input, layers with tensor references, dataLength, metadata)
//   then zero padding to a multiple of 4: the data section starts at D = align4(12 + H)
//   D ...      dataLength bytes of little-endian tensors, each at `offset` (relative to D, a multiple of 4)
//   last       u32 LE   CRC-32 (IEEE 802.3, as zlib/PNG) of every byte before it
//
// Every problem with a file is a DiagnosticError E110–E117 naming the file, the field, the expected and the
// found value; readModel never lets a RangeError or a JSON SyntaxError escape.
import { readFileSync } from 'node:fs';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { DYADIC_C_MAX } from './quant.js';

export const MODEL_MAGIC = 'SFQM';
/** The newest format version this code reads and writes (it reads every version from 1). */
export const MODEL_FORMAT_VERSION = 2;
/** Bytes before the JSON header: magic, version, reserved, header length. */
export const MODEL_PREAMBLE_BYTES = 12;

/** Per-output-channel quantized parameters shared by conv2d and fc layers. */
export interface QuantizedParams {
  /** Int32 bias per output channel, in units of S_in·S_w[ch] (added to the accumulator before requantizing). */
  readonly bias: Int32Array;
  /** Dyadic multiplier numerator b per output channel, in [2^30, 2^31). */
  readonly requantB: Int32Array;
  /** Dyadic multiplier shift c per output channel, in [1, 63]. */
  readonly requantC: Uint8Array;
  /** Apply ReLU after requantization (int8 output clamped to [0, 127] instead of [-128, 127]). */
  readonly relu: boolean;
  /** Real scale of the int8 output (informational: the integers above are authoritative). */
  readonly outScale: number;
  /**
   * Zero point of the int8 output (format version 2; absent = 0): real value = (q − outZeroPoint)·outScale.
   * out = clamp(round_half_up(z·b/2^c) + outZeroPoint, −128, 127), and ReLU is max(out, outZeroPoint).
   */
  readonly outZeroPoint?: number;
}

/**
 * Zero padding of a spatial layer (format version 2; absent = none): rows added above and below, columns left and
 * right (ONNX `pads` order is [top, left, bottom, right]). A padded position holds the real value 0, i.e. the input
 * zero point, for conv2d (it then adds nothing to the accumulator) and avgpool with countIncludePad; maxpool and
 * avgpool without countIncludePad skip it.
 */
export type Padding = readonly [top: number, left: number, bottom: number, right: number];

/**
 * Correction-unit codes of a protected layer's PHYSICAL output channels (accel/protect/, gen/protect/lcu.ts).
 * A protected neuron occupies consecutive physical channels: its head (code split, dup or tmr) followed by one
 * (split, dup) or two (tmr) channels of code `copy`. Every other channel is `plain`.
 */
export const LCU = { plain: 0, split: 1, dup: 2, tmr: 3, copy: 4 } as const;
export type LcuCode = (typeof LCU)[keyof typeof LCU];
/** Physical channels of a group led by each code (a copy never leads one). */
export const LCU_GROUP_SIZE: Readonly<Record<number, number>> = { [LCU.plain]: 1, [LCU.split]: 2, [LCU.dup]: 2, [LCU.tmr]: 3 };

/**
 * Redundancy of a conv2d/fc layer (selective neuron splitting, duplication or TMR; accel/protect/transform.ts).
 * The layer's outC/out, weights, bias and requantization tensors count PHYSICAL channels; its output (what the
 * next layer reads) has one LOGICAL channel per non-copy physical channel, in order. Before requantization a
 * correction unit combines each group's accumulators (accel/protect/lcu.ts lcuCombine): split pairs are summed
 * (their weights sum exactly to the original neuron's), duplicates min-selected, TMR triples voted. The head
 * carries the neuron's bias and requantization; copies carry bias 0 and the head's multiplier.
 */
export interface LayerProtection {
  /** One LCU code per physical output channel. */
  readonly lcu: Uint8Array;
  /** Per physical channel: split heads hold e with −2^e <= acc_head − acc_copy < 2^e when fault-free (0 <= ... with 64 added: one-sided, accel/protect/lcu.ts); else 0. */
  readonly bound: Uint8Array;
}

/**
 * 2-D convolution, square k×k kernel, stride in both axes, optional zero padding; weights are [outC][inC][k][k]
 * row-major; activations are (C,H,W). With input zero point z_in (the previous layer's output zero point):
 * acc[o] = Σ w·(x − z_in) (Jacob et al., CVPR 2018, eq. 7: the z_in·Σw term is a per-channel constant).
 */
export interface Conv2dLayer extends QuantizedParams {
  readonly kind: 'conv2d';
  readonly name: string;
  readonly inC: number;
  readonly outC: number;
  readonly k: number;
  readonly stride: number;
  /** Format version 2: zero padding (absent = none). */
  readonly pad?: Padding;
  readonly weights: Int8Array;
  /** Present on a protected layer: outC counts physical channels (see LayerProtection). */
  readonly protection?: LayerProtection;
}

/** Max-pooling over k×k windows with the given stride, per channel (floor of the output size); padded positions are skipped. */
export interface MaxPoolLayer {
  readonly kind: 'maxpool';
  readonly name: string;
  readonly k: number;
  readonly stride: number;
  /** Format version 2: padding (absent = none); never the window maximum. */
  readonly pad?: Padding;
}

/**
 * Average pooling (format version 2) over k×k windows, per channel; output scale and zero point equal the input's
 * (as onnxruntime's quantizer emits it). out = z + round_half_up(Σ(x − z) / n) (ties up, as every requantization
 * rounds; accel/golden.ts) with n = k² when countIncludePad
 * (padded positions count as the real value 0) or the number of positions inside the input otherwise.
 */
export interface AvgPoolLayer {
  readonly kind: 'avgpool';
  readonly name: string;
  readonly k: number;
  readonly stride: number;
  readonly pad?: Padding;
  /** ONNX AveragePool count_include_pad: divide by k² even at the borders. */
  readonly countIncludePad: boolean;
}

/** (C,H,W) → vector of C·H·W in that order (index c·H·W + h·W + w); the data is unchanged. */
export interface FlattenLayer {
  readonly kind: 'flatten';
  readonly name: string;
}

/** Fully connected: out[o] = requant(Σ_i weights[o·in + i]·x[i] + bias[o]); weights are [out][in]. */
export interface FcLayer extends QuantizedParams {
  readonly kind: 'fc';
  readonly name: string;
  readonly in: number;
  readonly out: number;
  readonly weights: Int8Array;
  /** Present on a protected layer: out counts physical channels (see LayerProtection). */
  readonly protection?: LayerProtection;
}

/** Output channels a conv2d/fc layer hands to the next layer: its physical channels less the copies of a protected layer. */
export function logicalChannels(layer: Conv2dLayer | FcLayer): number {
  const physical = layer.kind === 'conv2d' ? layer.outC : layer.out;
  if (!layer.protection) return physical;
  let n = 0;
  for (const code of layer.protection.lcu) if (code !== LCU.copy) n++;
  return n;
}

export type Layer = Conv2dLayer | MaxPoolLayer | AvgPoolLayer | FlattenLayer | FcLayer;

export interface ModelInput {
  /** (C, H, W). */
  readonly shape: readonly [number, number, number];
  /** Real value of one int8 input step: x = (q − zeroPoint)·scale. */
  readonly scale: number;
  /** Format version 2: the input zero point (absent = 0, symmetric). */
  readonly zeroPoint?: number;
}

/** An integer-only quantized network; layers run in order, every activation is int8. */
export interface Model {
  readonly name: string;
  readonly input: ModelInput;
  readonly layers: readonly Layer[];
  /** Free-form JSON (training recipe, accuracies); not interpreted. */
  readonly metadata?: Record<string, unknown>;
}

/** The activation shape between layers: spatial (C,H,W) or a flat vector. */
export type ActivationShape = { readonly kind: 'chw'; readonly c: number; readonly h: number; readonly w: number } | { readonly kind: 'vector'; readonly n: number };

type TensorDtype = 'int8' | 'int32' | 'uint8';
const DTYPE_BYTES: Record<TensorDtype, number> = { int8: 1, int32: 4, uint8: 1 };
const TENSOR_NAMES = ['weights', 'bias', 'requantB', 'requantC'] as const;
const TENSOR_DTYPES: Record<(typeof TENSOR_NAMES)[number], TensorDtype> = { weights: 'int8', bias: 'int32', requantB: 'int32', requantC: 'uint8' };
/** Optional tensors of a protected layer (uint8, one per physical output channel). */
const PROTECTION_TENSORS = ['lcu', 'bound'] as const;

type Fail = (code: 'E110' | 'E111' | 'E112' | 'E113' | 'E114' | 'E115' | 'E116' | 'E117', field: string, expected: string, found: string, hint: string) => never;

function failer(file: string): Fail {
  return (code, field, expected, found, hint) => {
    throw new DiagnosticError([msg.modelFile(code, file, field, expected, found, hint)]);
  };
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF): crc32("123456789") = 0xCBF43926. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** The output shape of one layer given its input shape, or a reason why the layer cannot take that input. */
const NO_PAD: Padding = [0, 0, 0, 0];

/** A layer's padding, [0, 0, 0, 0] when it has none. */
export function paddingOf(layer: Layer): Padding {
  return (layer.kind === 'conv2d' || layer.kind === 'maxpool' || layer.kind === 'avgpool') && layer.pad ? layer.pad : NO_PAD;
}

function stepShape(layer: Layer, s: ActivationShape): ActivationShape | { error: string; field: string; expected: string; found: string } {
  const spatial = (k: number, stride: number, c: number) => {
    if (s.kind !== 'chw') return { error: 'needs a (C,H,W) input', field: 'kind', expected: `a layer that takes a vector (fc) after flatten`, found: `'${layer.kind}'` };
    const [top, left, bottom, right] = paddingOf(layer);
    const h = s.h + top + bottom;
    const w = s.w + left + right;
    if (h < k || w < k) return { error: 'input too small', field: 'k', expected: `at most the padded input size ${h}×${w}`, found: String(k) };
    return { kind: 'chw' as const, c, h: Math.floor((h - k) / stride) + 1, w: Math.floor((w - k) / stride) + 1 };
  };
  switch (layer.kind) {
    case 'conv2d':
      if (s.kind === 'chw' && s.c !== layer.inC) return { error: 'channels', field: 'inC', expected: `${s.c} (the channels of the previous layer's output)`, found: String(layer.inC) };
      return spatial(layer.k, layer.stride, logicalChannels(layer));
    case 'maxpool':
    case 'avgpool':
      return spatial(layer.k, layer.stride, s.kind === 'chw' ? s.c : 0);
    case 'flatten':
      if (s.kind !== 'chw') return { error: 'flatten', field: 'kind', expected: 'flatten only after a (C,H,W) layer', found: "'flatten' after a vector" };
      return { kind: 'vector', n: s.c * s.h * s.w };
    case 'fc':
      if (s.kind !== 'vector') return { error: 'fc', field: 'kind', expected: "a 'flatten' layer before the first fc layer", found: `'fc' after a (C,H,W) output ${s.c}×${s.h}×${s.w}` };
      if (s.n !== layer.in) return { error: 'fc in', field: 'in', expected: `${s.n} (the size of the previous layer's output)`, found: String(layer.in) };
      return { kind: 'vector', n: logicalChannels(layer) };
  }
}

/**
 * The activation shape after every layer (index i: output of layer i). Throws E116 naming the first layer
 * whose input does not match the previous output (channels, fc input size, flatten placement, window size).
 */
export function layerShapes(model: Model, file = '(in memory)'): ActivationShape[] {
  const fail: Fail = failer(file);
  const [c, h, w] = model.input.shape;
  let s: ActivationShape = { kind: 'chw', c, h, w };
  const out: ActivationShape[] = [];
  model.layers.forEach((layer, i) => {
    const next = stepShape(layer, s);
    if ('error' in next) fail('E116', `layers[${i}].${next.field}`, next.expected, next.found, `layer '${layer.name}' must accept the output of the layer before it`);
    out.push(next);
    s = next;
  });
  return out;
}

function checkInt(fail: Fail, field: string, v: unknown, min: number, max: number, code: 'E114' | 'E117' = 'E114'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(code, field, `an integer in [${min}, ${max}]`, show(v), 'regenerate the file with writeModel');
  return v as number;
}

/** The zero point of the activation after every layer (index i: output of layer i); pooling and flatten keep it. */
export function activationZeroPoints(model: Model): number[] {
  let z = model.input.zeroPoint ?? 0;
  return model.layers.map((layer) => {
    if (layer.kind === 'conv2d' || layer.kind === 'fc') z = layer.outZeroPoint ?? 0;
    return z;
  });
}

/** The oldest format version that holds the model: 2 when it has padding, average pooling or a nonzero zero point. */
export function modelFormatVersion(model: Model): 1 | 2 {
  if ((model.input.zeroPoint ?? 0) !== 0) return 2;
  for (const layer of model.layers) {
    if (layer.kind === 'avgpool') return 2;
    if ((layer.kind === 'conv2d' || layer.kind === 'fc') && (layer.outZeroPoint ?? 0) !== 0) return 2;
    if (paddingOf(layer).some((p) => p !== 0)) return 2;
  }
  return 1;
}

/** Check a model's internal consistency (shapes, tensor sizes, parameter ranges); throws E116/E117. */
export function validateModel(model: Model, file = '(in memory)'): void {
  const fail: Fail = failer(file);
  checkInt(fail, 'input.zeroPoint', model.input.zeroPoint ?? 0, -128, 127, 'E117');
  model.layers.forEach((layer, i) => {
    if (layer.kind === 'conv2d' || layer.kind === 'maxpool' || layer.kind === 'avgpool') {
      paddingOf(layer).forEach((p, j) => checkInt(fail, `layers[${i}].pad[${j}]`, p, 0, layer.k - 1, 'E117'));
    }
    if (layer.kind !== 'conv2d' && layer.kind !== 'fc') return;
    checkInt(fail, `layers[${i}].outZeroPoint`, layer.outZeroPoint ?? 0, -128, 127, 'E117');
    const nOut = layer.kind === 'conv2d' ? layer.outC : layer.out;
    const nW = layer.kind === 'conv2d' ? layer.outC * layer.inC * layer.k * layer.k : layer.out * layer.in;
    const sizes: [string, { length: number }, number][] = [
      ['weights', layer.weights, nW],
      ['bias', layer.bias, nOut],
      ['requantB', layer.requantB, nOut],
      ['requantC', layer.requantC, nOut],
    ];
    for (const [name, arr, n] of sizes) {
      if (arr.length !== n) fail('E116', `layers[${i}].tensors.${name}`, `${n} values (from the layer's channel counts)`, `${arr.length}`, `layer '${layer.name}' tensor shapes must agree with its channel counts`);
    }
    if (layer.protection) validateProtection(fail, layer.protection, nOut, `layers[${i}]`, layer.name);
    for (let ch = 0; ch < nOut; ch++) {
      const b = layer.requantB[ch]!;
      const c = layer.requantC[ch]!;
      if (b < 2 ** 30) fail('E117', `layers[${i}].requantB[${ch}]`, `in [2^30, 2^31) (accel/quant.ts dyadicOf)`, String(b), 'compute b and c with dyadicOf(S_in·S_w/S_out)');
      if (c < 1 || c > DYADIC_C_MAX) fail('E117', `layers[${i}].requantC[${ch}]`, `in [1, ${DYADIC_C_MAX}]`, String(c), 'compute b and c with dyadicOf(S_in·S_w/S_out)');
    }
  });
  layerShapes(model, file);
  checkLayerNames(model, file);
}

/** E186 when two layers share a name: per-layer reports and fault breakdowns are keyed by name. */
export function checkLayerNames(model: Model, file = '(in memory)'): void {
  const first = new Map<string, number>();
  model.layers.forEach((layer, k) => {
    const seen = first.get(layer.name);
    if (seen !== undefined) throw new DiagnosticError([msg.duplicateLayer(file, layer.name, seen, k)]);
    first.set(layer.name, k);
  });
}

/** A protection's codes must form whole groups (a head followed by its copies) and bounds fit a 6-bit field. */
function validateProtection(fail: Fail, p: LayerProtection, nOut: number, at: string, name: string): void {
  for (const [field, arr] of [['lcu', p.lcu], ['bound', p.bound]] as const) {
    if (arr.length !== nOut) fail('E116', `${at}.tensors.${field}`, `${nOut} values (one per physical output channel)`, String(arr.length), `layer '${name}' protection tensors must agree with its channel count`);
  }
  for (let ch = 0; ch < nOut; ) {
    const code = p.lcu[ch]!;
    const size = LCU_GROUP_SIZE[code];
    if (size === undefined) fail('E117', `${at}.lcu[${ch}]`, `a group head (${LCU.plain} plain, ${LCU.split} split, ${LCU.dup} dup, ${LCU.tmr} tmr) here`, String(code), 'a copy (4) must follow its head; regenerate the model with splitfuse protect');
    for (let k = 1; k < size!; k++) {
      if (p.lcu[ch + k] !== LCU.copy) fail('E117', `${at}.lcu[${ch + k}]`, `${LCU.copy} (a copy of the group at channel ${ch})`, String(p.lcu[ch + k] ?? 'missing'), 'regenerate the model with splitfuse protect');
    }
    if (p.bound[ch]! > 127 || (p.bound[ch]! & 63) > 62 || (code !== LCU.split && p.bound[ch] !== 0)) fail('E117', `${at}.bound[${ch}]`, code === LCU.split ? 'e (at most 62) plus 64 for a one-sided bound' : '0 (only split heads have a bound)', String(p.bound[ch]), 'regenerate the model with splitfuse protect');
    ch += size!;
  }
}

interface TensorRef {
  dtype: TensorDtype;
  shape: number[];
  offset: number;
  length: number;
}

function tensorShape(layer: Conv2dLayer | FcLayer, name: (typeof TENSOR_NAMES)[number]): number[] {
  if (name !== 'weights') return [layer.kind === 'conv2d' ? layer.outC : layer.out];
  return layer.kind === 'conv2d' ? [layer.outC, layer.inC, layer.k, layer.k] : [layer.out, layer.in];
}

/** Serialize a model (validated first: an inconsistent model is never written). Deterministic bytes. */
export function writeModel(model: Model): Uint8Array {
  validateModel(model);
  const chunks: { offset: number; data: Int8Array | Int32Array | Uint8Array }[] = [];
  let dataLength = 0;
  const version = modelFormatVersion(model);
  // Version-2 fields are written only when they differ from their defaults, so a version-1 model keeps its bytes.
  const padField = (layer: Layer) => (paddingOf(layer).some((p) => p !== 0) ? { pad: [...paddingOf(layer)] } : {});
  const layers = model.layers.map((layer) => {
    if (layer.kind === 'maxpool') return { kind: layer.kind, name: layer.name, k: layer.k, stride: layer.stride, ...padField(layer) };
    if (layer.kind === 'avgpool') return { kind: layer.kind, name: layer.name, k: layer.k, stride: layer.stride, ...padField(layer), countIncludePad: layer.countIncludePad };
    if (layer.kind === 'flatten') return { kind: layer.kind, name: layer.name };
    const tensors: Record<string, TensorRef> = {};
    for (const name of TENSOR_NAMES) {
      const data = layer[name];
      const dtype = TENSOR_DTYPES[name];
      tensors[name] = { dtype, shape: tensorShape(layer, name), offset: dataLength, length: data.length * DTYPE_BYTES[dtype] };
      chunks.push({ offset: dataLength, data });
      dataLength = align4(dataLength + data.length * DTYPE_BYTES[dtype]);
    }
    if (layer.protection) {
      for (const name of PROTECTION_TENSORS) {
        const data = layer.protection[name];
        tensors[name] = { dtype: 'uint8', shape: [data.length], offset: dataLength, length: data.length };
        chunks.push({ offset: dataLength, data });
        dataLength = align4(dataLength + data.length);
      }
    }
    const dims = layer.kind === 'conv2d' ? { inC: layer.inC, outC: layer.outC, k: layer.k, stride: layer.stride, ...padField(layer) } : { in: layer.in, out: layer.out };
    const zp = (layer.outZeroPoint ?? 0) !== 0 ? { outZeroPoint: layer.outZeroPoint } : {};
    return { kind: layer.kind, name: layer.name, ...dims, relu: layer.relu, outScale: layer.outScale, ...zp, tensors };
  });
  const header = { name: model.name, input: { shape: model.input.shape, scale: model.input.scale, zeroPoint: model.input.zeroPoint ?? 0, dtype: 'int8' }, layers, dataLength, metadata: model.metadata ?? {} };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(MODEL_PREAMBLE_BYTES + json.length);
  const bytes = new Uint8Array(dataStart + dataLength + 4);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MODEL_MAGIC), 0);
  view.setUint16(4, version, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, json.length, true);
  bytes.set(json, MODEL_PREAMBLE_BYTES);
  for (const { offset, data } of chunks) {
    const at = dataStart + offset;
    if (data instanceof Int32Array) data.forEach((v, i) => view.setInt32(at + 4 * i, v, true));
    else data.forEach((v, i) => view.setUint8(at + i, v & 0xff));
  }
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readTensor(fail: Fail, bytes: Uint8Array, dataStart: number, dataLength: number, field: string, ref: unknown, dtype: TensorDtype, shape: number[]): Int8Array | Int32Array | Uint8Array {
  if (!isObject(ref)) fail('E115', field, 'a tensor reference {dtype, shape, offset, length}', show(ref), 'regenerate the file with writeModel');
  const r = ref as Record<string, unknown>;
  if (r['dtype'] !== dtype) fail('E115', `${field}.dtype`, `'${dtype}'`, show(r['dtype']), 'weights are int8, bias and requantB int32, requantC uint8');
  const found = r['shape'];
  if (!Array.isArray(found) || found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
    fail('E116', `${field}.shape`, `[${shape.join(', ')}] (from the layer's channel counts)`, show(found), "the tensor shape must agree with the layer's inC/outC/k or in/out");
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const length = checkInt(fail, `${field}.length`, r['length'], 0, 2 ** 31);
  if (length !== count * DTYPE_BYTES[dtype]) fail('E115', `${field}.length`, `${count * DTYPE_BYTES[dtype]} bytes (${count} ${dtype} values)`, String(length), 'length is the byte size of the tensor');
  const offset = checkInt(fail, `${field}.offset`, r['offset'], 0, 2 ** 31);
  if (offset % 4 !== 0 || offset + length > dataLength) fail('E115', `${field}.offset`, `a multiple of 4 with offset + length <= dataLength ${dataLength}`, String(offset), 'tensors must lie inside the data section');
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + offset, length);
  if (dtype === 'int32') return Int32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
  if (dtype === 'int8') return Int8Array.from({ length: count }, (_, i) => view.getInt8(i));
  return Uint8Array.from({ length: count }, (_, i) => view.getUint8(i));
}

function readLayer(fail: Fail, bytes: Uint8Array, dataStart: number, dataLength: number, raw: unknown, i: number, version: number): Layer {
  const at = `layers[${i}]`;
  if (!isObject(raw)) fail('E114', at, 'an object', show(raw), 'regenerate the file with writeModel');
  const l = raw as Record<string, unknown>;
  const name = l['name'];
  if (typeof name !== 'string' || name.length === 0) fail('E114', `${at}.name`, 'a non-empty string', show(name), 'every layer has a name');
  const int = (f: string, min = 1, max = 1 << 16) => checkInt(fail, `${at}.${f}`, l[f], min, max);
  const kind = l['kind'];
  const v2 = (field: string) => {
    if (version < 2 && l[field] !== undefined) fail('E114', `${at}.${field}`, 'missing (format version 1 has no such field)', show(l[field]), 'a file with padding, average pooling or zero points must say format version 2');
  };
  const padding = (): { pad?: Padding } => {
    v2('pad');
    const p = l['pad'];
    if (p === undefined) return {};
    if (!Array.isArray(p) || p.length !== 4) fail('E114', `${at}.pad`, 'an array [top, left, bottom, right] of 4 integers', show(p), 'pad is the zero padding of the layer');
    return { pad: (p as unknown[]).map((v, j) => checkInt(fail, `${at}.pad[${j}]`, v, 0, 1 << 16)) as unknown as Padding };
  };
  if (kind === 'maxpool') return { kind, name: name as string, k: int('k'), stride: int('stride'), ...padding() };
  if (kind === 'avgpool') {
    if (version < 2) fail('E114', `${at}.kind`, "one of 'conv2d', 'maxpool', 'flatten', 'fc' (format version 1)", show(kind), 'a file with average pooling must say format version 2');
    if (typeof l['countIncludePad'] !== 'boolean') fail('E114', `${at}.countIncludePad`, 'true or false', show(l['countIncludePad']), 'countIncludePad says whether padded positions count in the average');
    return { kind, name: name as string, k: int('k'), stride: int('stride'), ...padding(), countIncludePad: l['countIncludePad'] as boolean };
  }
  if (kind === 'flatten') return { kind, name: name as string };
  if (kind !== 'conv2d' && kind !== 'fc') fail('E114', `${at}.kind`, `one of 'conv2d', 'maxpool', ${version >= 2 ? "'avgpool', " : ''}'flatten', 'fc'`, show(kind), `this reader understands format version ${version} layers`);
  if (typeof l['relu'] !== 'boolean') fail('E114', `${at}.relu`, 'true or false', show(l['relu']), 'relu says whether ReLU follows requantization');
  const outScale = l['outScale'];
  if (typeof outScale !== 'number' || !(outScale > 0)) fail('E114', `${at}.outScale`, 'a positive number', show(outScale), 'outScale is the real value of one output step');
  const dims = kind === 'conv2d' ? { inC: int('inC'), outC: int('outC'), k: int('k'), stride: int('stride'), ...padding() } : { in: int('in'), out: int('out') };
  v2('outZeroPoint');
  const zp = l['outZeroPoint'] === undefined ? {} : { outZeroPoint: checkInt(fail, `${at}.outZeroPoint`, l['outZeroPoint'], -128, 127) };
  const tensors = l['tensors'];
  if (!isObject(tensors)) fail('E114', `${at}.tensors`, 'an object {weights, bias, requantB, requantC}', show(tensors), 'regenerate the file with writeModel');
  const partial = { kind, name, ...dims } as Conv2dLayer | FcLayer;
  const read = (t: (typeof TENSOR_NAMES)[number]) =>
    readTensor(fail, bytes, dataStart, dataLength, `${at}.tensors.${t}`, (tensors as Record<string, unknown>)[t], TENSOR_DTYPES[t], tensorShape(partial, t));
  const t = tensors as Record<string, unknown>;
  const given = PROTECTION_TENSORS.filter((p) => t[p] !== undefined);
  if (given.length === 1) fail('E115', `${at}.tensors`, `both ${PROTECTION_TENSORS.join(' and ')} (a protected layer) or neither`, `only ${given[0]}`, 'regenerate the model with splitfuse protect');
  const nOut = kind === 'conv2d' ? (dims as { outC: number }).outC : (dims as { out: number }).out;
  const protection =
    given.length === 2
      ? { lcu: readTensor(fail, bytes, dataStart, dataLength, `${at}.tensors.lcu`, t['lcu'], 'uint8', [nOut]) as Uint8Array, bound: readTensor(fail, bytes, dataStart, dataLength, `${at}.tensors.bound`, t['bound'], 'uint8', [nOut]) as Uint8Array }
      : undefined;
  return {
    ...partial,
    relu: l['relu'] as boolean,
    outScale: outScale as number,
    ...zp,
    weights: read('weights') as Int8Array,
    bias: read('bias') as Int32Array,
    requantB: read('requantB') as Int32Array,
    requantC: read('requantC') as Uint8Array,
    ...(protection ? { protection } : {}),
  } as Layer;
}

/**
 * Parse and validate model-file bytes. `fileName` only labels diagnostics. Checks, in order: length (E110),
 * magic (E111), version (E112), CRC-32 (E113), header JSON and fields (E114), tensor references (E115),
 * shapes (E116), parameter ranges (E117). Returns fresh typed arrays (never views into `bytes`).
 */
export function readModel(bytes: Uint8Array, fileName: string): Model {
  const fail: Fail = failer(fileName);
  const minimum = MODEL_PREAMBLE_BYTES + 4;
  if (bytes.length < minimum) fail('E110', 'length', `at least ${minimum} bytes`, `${bytes.length} bytes`, 'the file is truncated; regenerate it or fetch it again');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MODEL_MAGIC) fail('E111', 'magic', `'${MODEL_MAGIC}'`, show(magic.replace(/[^\x20-\x7e]/g, '?')), 'pass a model written by writeModel / npm run train:lenet5');
  const version = view.getUint16(4, true);
  if (version < 1 || version > MODEL_FORMAT_VERSION) fail('E112', 'version', `1 or ${MODEL_FORMAT_VERSION}`, String(version), `this splitfuse reads format versions 1 to ${MODEL_FORMAT_VERSION}; regenerate the model with this version`);
  const headerLength = view.getUint32(8, true);
  const dataStart = align4(MODEL_PREAMBLE_BYTES + headerLength);
  if (dataStart + 4 > bytes.length) fail('E110', 'headerLength', `at most ${bytes.length - MODEL_PREAMBLE_BYTES - 4} (the file size allows no more)`, String(headerLength), 'the file is truncated or its header length is corrupt');
  const stored = view.getUint32(bytes.length - 4, true);
  const computed = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== computed) fail('E113', 'checksum', `0x${computed.toString(16).padStart(8, '0')} (CRC-32 of the preceding bytes)`, `0x${stored.toString(16).padStart(8, '0')}`, 'the file is corrupt or truncated; regenerate it');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(MODEL_PREAMBLE_BYTES, MODEL_PREAMBLE_BYTES + headerLength)));
  } catch (e) {
    fail('E114', 'header', 'UTF-8 JSON', `unparsable (${e instanceof Error ? e.message : String(e)})`, 'regenerate the file with writeModel');
  }
  if (!isObject(header)) fail('E114', 'header', 'a JSON object', show(header), 'regenerate the file with writeModel');
  const h = header as Record<string, unknown>;
  const dataLength = checkInt(fail, 'dataLength', h['dataLength'], 0, 2 ** 31);
  if (dataStart + dataLength + 4 !== bytes.length) fail('E110', 'dataLength', `${bytes.length - dataStart - 4} (the bytes between header and checksum)`, String(dataLength), 'the file is truncated or has trailing bytes');
  const name = h['name'];
  if (typeof name !== 'string') fail('E114', 'name', 'a string', show(name), 'every model has a name');
  const input = h['input'];
  if (!isObject(input)) fail('E114', 'input', 'an object {shape, scale}', show(input), 'regenerate the file with writeModel');
  const inp = input as Record<string, unknown>;
  const shape = inp['shape'];
  if (!Array.isArray(shape) || shape.length !== 3) fail('E114', 'input.shape', 'a (C, H, W) array of 3 integers', show(shape), 'input.shape is [channels, height, width]');
  const dims = (shape as unknown[]).map((d, i) => checkInt(fail, `input.shape[${i}]`, d, 1, 1 << 16));
  const scale = inp['scale'];
  if (typeof scale !== 'number' || !(scale > 0)) fail('E114', 'input.scale', 'a positive number', show(scale), 'input.scale is the real value of one input step');
  const zeroPoint = inp['zeroPoint'];
  if (version < 2 && zeroPoint !== 0) fail('E114', 'input.zeroPoint', '0', show(zeroPoint), 'format version 1 has symmetric int8 inputs only');
  checkInt(fail, 'input.zeroPoint', zeroPoint, -128, 127);
  if (inp['dtype'] !== 'int8') fail('E114', 'input.dtype', "'int8'", show(inp['dtype']), 'model inputs are int8');
  const layersRaw = h['layers'];
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) fail('E114', 'layers', 'a non-empty array', show(layersRaw), 'a model has at least one layer');
  const metadata = h['metadata'];
  if (metadata !== undefined && !isObject(metadata)) fail('E114', 'metadata', 'an object', show(metadata), 'metadata is free-form JSON');
  const layers = (layersRaw as unknown[]).map((l, i) => readLayer(fail, bytes, dataStart, dataLength, l, i, version));
  const modelInput: ModelInput = { shape: [dims[0]!, dims[1]!, dims[2]!], scale: scale as number, ...(zeroPoint !== 0 ? { zeroPoint: zeroPoint as number } : {}) };
  const model: Model = { name: name as string, input: modelInput, layers, ...(metadata ? { metadata: metadata as Record<string, unknown> } : {}) };
  validateModel(model, fileName);
  return model;
}

/** Read and parse a model file from disk; an unreadable file is E110. */
export function readModelFile(path: string): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return failer(path)('E110', 'file', 'a readable file', code, 'check the path (the LeNet-5 model is models/lenet5-mnist-int8.sfm)');
  }
  return readModel(bytes, path);
}
