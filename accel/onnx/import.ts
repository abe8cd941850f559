// Import a statically quantized ONNX model in QDQ form (QuantizeLinear/DequantizeLinear around Conv, Gemm, MatMul,
// Relu, MaxPool, AveragePool, Flatten/Reshape — the layout onnxruntime's quantize_static emits with
// quant_format=QDQ) into a splitfuse model (accel/model.ts, format version 1 or 2). docs/onnx.md describes the
// accepted graphs and every conversion; in short:
//   - the graph is one chain: float input → QuantizeLinear → (DequantizeLinear → op → QuantizeLinear)* → … → output;
//   - activations are per-tensor int8 or uint8 (uint8 q becomes int8 q − 128 with zero point z − 128: the same real
//     value (q − z)·s, so nothing is approximated);
//   - weights are int8 initializers behind a DequantizeLinear, symmetric (zero point 0), per output channel or per
//     tensor; biases int32 (or float) in units of S_in·S_w, rescaled exactly when the file's bias scale differs;
//   - each conv/fc becomes one layer with the dyadic multiplier b/2^c of S_in·S_w[ch]/S_out (accel/quant.ts
//     dyadicOf, HAWQ-V3), ReLU either a Relu node or the removed-Relu form (output zero point at the int8 minimum);
//   - anything else is a coded diagnostic E190–E196 naming the node or tensor; nothing is returned half-done.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DiagnosticError, msg, type Diagnostic } from '../../hdl/diagnostics.js';
import { validateModel, type Conv2dLayer, type FcLayer, type Layer, type Model, type Padding } from '../model.js';
import { dyadicOf } from '../quant.js';
import { AT, decodeOnnx, DT, DT_NAME, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor } from './proto.js';
import { WireError } from './protobuf.js';

type ImportCode = 'E190' | 'E191' | 'E192' | 'E193' | 'E194' | 'E195' | 'E196';

/** Operators the importer maps (docs/onnx.md); Constant and Identity only carry values. */
export const SUPPORTED_OPS = ['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Gemm', 'MatMul', 'Relu', 'MaxPool', 'AveragePool', 'Flatten', 'Reshape', 'Constant'] as const;

export interface ImportOptions {
  /** Labels diagnostics and the metadata; default '(in memory)'. */
  readonly fileName?: string;
  /** Model name; default the graph's name, else the file's base name. */
  readonly name?: string;
}

export interface ImportedLayer {
  readonly name: string;
  readonly kind: Layer['kind'];
  /** The ONNX nodes this layer came from, in order. */
  readonly nodes: readonly string[];
}

export interface ImportResult {
  readonly model: Model;
  readonly layers: readonly ImportedLayer[];
  /** Element type of the activations in the ONNX file (uint8 ones are shifted by −128). */
  readonly activationType: 'int8' | 'uint8';
  readonly weightGranularity: 'per-channel' | 'per-tensor' | 'mixed';
  readonly producer: string;
  readonly opset: number;
}

/** Per-tensor activation quantization, already in int8 terms (uint8 zero points shifted by −128). */
interface ActQuant {
  readonly scale: number;
  readonly zeroPoint: number;
}

type Chw = { kind: 'chw'; c: number; h: number; w: number } | { kind: 'vector'; n: number };

const nodeLabel = (n: OnnxNode): string => `Node '${n.name || n.outputs[0] || '?'}' (${n.opType})`;

class Importer {
  readonly producers = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, OnnxNode[]>();
  readonly consts = new Map<string, OnnxTensor>();
  readonly used = new Set<OnnxNode>();
  readonly layers: Layer[] = [];
  readonly origins: ImportedLayer[] = [];
  readonly granularity = new Set<'per-channel' | 'per-tensor'>();
  activationType: 'int8' | 'uint8' | null = null;

  constructor(
    readonly file: string,
    readonly graph: OnnxGraph,
  ) {
    for (const t of graph.initializers) this.consts.set(t.name, t);
    for (const n of graph.nodes) {
      for (const o of n.outputs) this.producers.set(o, n);
      for (const i of n.inputs) if (i !== '') this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
      if (n.opType === 'Constant') {
        const value = n.attributes.find((a) => a.name === 'value');
        if (value?.t) this.consts.set(n.outputs[0]!, { ...value.t, name: n.outputs[0]! });
        this.used.add(n);
      }
    }
  }

  fail(code: ImportCode, what: string, expected: string, found: string, hint: string): never {
    throw new DiagnosticError([msg.onnxImport(code, this.file, what, expected, found, hint)]);
  }

  attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
    return n.attributes.find((a) => a.name === name);
  }

  intAttr(n: OnnxNode, name: string, dflt: number): number {
    const a = this.attr(n, name);
    if (a === undefined) return dflt;
    if (a.type !== AT.INT || a.i === undefined) this.fail('E194', `Attribute '${name}' of ${nodeLabel(n)}`, 'an integer', `attribute type ${a.type}`, 'the file does not follow the ONNX operator schema');
    return a.i!;
  }

  intsAttr(n: OnnxNode, name: string): readonly number[] | undefined {
    const a = this.attr(n, name);
    if (a === undefined) return undefined;
    if (a.type !== AT.INTS) this.fail('E194', `Attribute '${name}' of ${nodeLabel(n)}`, 'a list of integers', `attribute type ${a.type}`, 'the file does not follow the ONNX operator schema');
    return a.ints ?? [];
  }

  /** A constant tensor (initializer or Constant node), or null. */
  constant(name: string): OnnxTensor | null {
    const t = this.consts.get(name);
    if (!t) return null;
    if (t.external) this.fail('E190', `Tensor '${name}'`, 'stored inside the file', 'external data', 'save the model with all tensors inside the .onnx file (onnx.save(model, path) without save_as_external_data)');
    if (t.values === null) this.fail('E195', `Tensor '${name}'`, 'float, int8, uint8, int32 or int64', DT_NAME[t.dataType] ?? `data type ${t.dataType}`, 'quantize with int8 weights and float32 scales');
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.values!.length !== count) this.fail('E190', `Tensor '${name}'`, `${count} values (dims [${t.dims.join(', ')}])`, `${t.values!.length}`, 'the file is corrupt; export it again');
    return t;
  }

  /** The single consumer of a tensor (a chain has no branches). */
  next(tensor: string, from: string): OnnxNode | null {
    const cons = this.consumers.get(tensor) ?? [];
    if (cons.length > 1) this.fail('E196', `Tensor '${tensor}' (output of ${from})`, 'read by one node (a sequential chain)', `read by ${cons.length} nodes (${cons.map((c) => `'${c.name}'`).join(', ')})`, 'splitfuse imports sequential CNNs; residual and branching graphs are not supported');
    return cons[0] ?? null;
  }

  /** Scale and zero point of a QuantizeLinear/DequantizeLinear node: per-tensor or per-axis. */
  qdqParams(n: OnnxNode): { scales: number[]; zeroPoints: number[]; dtype: number; axis: number } {
    const blockSize = this.intAttr(n, 'block_size', 0);
    if (blockSize !== 0) this.fail('E195', `Attribute 'block_size' of ${nodeLabel(n)}`, '0 (per-tensor or per-channel quantization)', String(blockSize), 'quantize per channel or per tensor; blocked quantization is not supported');
    const scale = this.constant(n.inputs[1] ?? '');
    if (!scale) this.fail('E192', `Scale input of ${nodeLabel(n)}`, 'a constant (static quantization)', n.inputs[1] ? `computed by the graph ('${n.inputs[1]}')` : 'missing', 'quantize statically (onnxruntime quantize_static), not dynamically');
    if (scale!.dataType !== DT.FLOAT) this.fail('E195', `Scale '${scale!.name}' of ${nodeLabel(n)}`, 'float32', DT_NAME[scale!.dataType] ?? String(scale!.dataType), 'store scales as float32');
    const zpName = n.inputs[2] ?? '';
    const zp = zpName === '' ? null : this.constant(zpName);
    if (zpName !== '' && !zp) this.fail('E192', `Zero-point input of ${nodeLabel(n)}`, 'a constant (static quantization)', `computed by the graph ('${zpName}')`, 'quantize statically (onnxruntime quantize_static), not dynamically');
    const dtype = zp ? zp.dataType : DT.UINT8;
    const scales = [...scale!.values!];
    const zeroPoints = zp ? [...zp.values!] : scales.map(() => 0);
    if (zeroPoints.length !== scales.length) this.fail('E195', `Zero point of ${nodeLabel(n)}`, `${scales.length} value(s), one per scale`, String(zeroPoints.length), 'the file is inconsistent; quantize it again');
    for (const s of scales) if (!(s > 0) || !Number.isFinite(s)) this.fail('E195', `Scale '${scale!.name}' of ${nodeLabel(n)}`, 'finite and positive', String(s), 'a quantization scale is the real value of one integer step');
    return { scales, zeroPoints, dtype, axis: this.intAttr(n, 'axis', 1) };
  }

  /** Per-tensor activation parameters of a Q/DQ node, in int8 terms. */
  actQuant(n: OnnxNode): ActQuant {
    const p = this.qdqParams(n);
    if (p.scales.length !== 1) this.fail('E195', `Activation quantization of ${nodeLabel(n)}`, 'per tensor (one scale)', `${p.scales.length} scales`, 'quantize activations per tensor');
    if (p.dtype !== DT.INT8 && p.dtype !== DT.UINT8) this.fail('E195', `Activation type of ${nodeLabel(n)}`, 'int8 or uint8', DT_NAME[p.dtype] ?? String(p.dtype), 'quantize activations to 8 bits (activation_type QInt8 or QUInt8)');
    const type = p.dtype === DT.INT8 ? 'int8' : 'uint8';
    if (this.activationType !== null && this.activationType !== type) this.fail('E195', `Activation type of ${nodeLabel(n)}`, this.activationType, type, 'quantize every activation to the same type');
    this.activationType = type;
    return { scale: p.scales[0]!, zeroPoint: p.zeroPoints[0]! - (type === 'uint8' ? 128 : 0) };
  }

  sameQuant(a: ActQuant, b: ActQuant, n: OnnxNode, what: string): void {
    if (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint) {
      this.fail('E195', `${what} of ${nodeLabel(n)}`, `the input's scale ${a.scale} and zero point ${a.zeroPoint}`, `scale ${b.scale}, zero point ${b.zeroPoint}`, "pooling, flattening and ReLU keep their input's quantization (onnxruntime's quantizer does so); requantize in a conv or fc layer instead");
    }
  }

  /** int8 weights behind a DequantizeLinear: values, per-output-channel scales (length nOut). */
  weights(n: OnnxNode, input: string, outAxis: number, nOut: number): { values: number[]; dims: readonly number[]; scales: number[] } {
    const dq = this.producers.get(input);
    const direct = this.consts.get(input);
    if (direct || !dq) this.fail('E192', `Weights '${input}' of ${nodeLabel(n)}`, 'int8 behind a DequantizeLinear (a QDQ model)', direct ? `a ${DT_NAME[direct.dataType] ?? '?'} initializer` : 'computed by the graph', 'quantize the model statically with onnxruntime quantize_static (quant_format=QDQ, weight_type=QInt8)');
    if (dq!.opType !== 'DequantizeLinear') this.fail('E192', `Weights '${input}' of ${nodeLabel(n)}`, 'the output of a DequantizeLinear', `the output of ${nodeLabel(dq!)}`, 'quantize the model statically (quant_format=QDQ)');
    this.used.add(dq!);
    const q = this.constant(dq!.inputs[0]!);
    if (!q) this.fail('E192', `Weights of ${nodeLabel(n)}`, 'a constant int8 tensor', 'computed by the graph', 'quantize the weights statically');
    if (q!.dataType !== DT.INT8) this.fail('E195', `Weights '${q!.name}' of ${nodeLabel(n)}`, 'int8', DT_NAME[q!.dataType] ?? String(q!.dataType), 'quantize weights to int8 (weight_type=QInt8)');
    const p = this.qdqParams(dq!);
    if (p.zeroPoints.some((z) => z !== 0)) this.fail('E195', `Weight zero point of ${nodeLabel(n)}`, '0 (symmetric weights)', `[${p.zeroPoints.slice(0, 4).join(', ')}${p.zeroPoints.length > 4 ? ', …' : ''}]`, 'quantize weights symmetrically (WeightSymmetric, the default for QInt8)');
    const rank = q!.dims.length;
    const axis = p.axis < 0 ? p.axis + rank : p.axis;
    if (p.scales.length !== 1 && (axis !== outAxis || p.scales.length !== nOut)) {
      this.fail('E195', `Weight quantization axis of ${nodeLabel(n)}`, `per tensor or per output channel (axis ${outAxis}, ${nOut} scales)`, `axis ${p.axis} with ${p.scales.length} scales`, 'quantize weights per output channel (per_channel=True) or per tensor');
    }
    this.granularity.add(p.scales.length === 1 ? 'per-tensor' : 'per-channel');
    return { values: [...q!.values!], dims: q!.dims, scales: p.scales.length === 1 ? Array(nOut).fill(p.scales[0]) : p.scales };
  }

  /** Bias in accumulator units S_in·S_w[o]: int32 behind a DequantizeLinear (rescaled if its scale differs) or float. */
  bias(n: OnnxNode, input: string | undefined, nOut: number, accScales: number[]): Int32Array {
    if (!input) return new Int32Array(nOut);
    const dq = this.producers.get(input);
    let real: number[];
    if (dq?.opType === 'DequantizeLinear') {
      this.used.add(dq);
      const q = this.constant(dq.inputs[0]!);
      if (!q || q.dataType !== DT.INT32) this.fail('E195', `Bias of ${nodeLabel(n)}`, 'a constant int32 tensor', q ? DT_NAME[q.dataType] ?? '?' : 'computed by the graph', 'quantize biases to int32 (onnxruntime does so by default)');
      const p = this.qdqParams(dq);
      const scales = p.scales.length === 1 ? Array(nOut).fill(p.scales[0]) : p.scales;
      real = q!.values!.map((v, o) => (v - (p.zeroPoints.length === 1 ? p.zeroPoints[0]! : p.zeroPoints[o]!)) * scales[o]!);
    } else {
      const t = this.constant(input);
      if (!t || t.dataType !== DT.FLOAT) this.fail('E192', `Bias '${input}' of ${nodeLabel(n)}`, 'an int32 tensor behind a DequantizeLinear, or a float constant', 'computed by the graph', 'quantize the model statically (quant_format=QDQ)');
      real = [...t!.values!];
    }
    if (real.length !== nOut) this.fail('E193', `Bias of ${nodeLabel(n)}`, `${nOut} values (one per output channel)`, String(real.length), 'the file is inconsistent; export it again');
    return Int32Array.from(real, (r, o) => {
      const v = Math.round(r / accScales[o]!);
      if (Math.abs(v) >= 2 ** 31) this.fail('E195', `Bias of ${nodeLabel(n)}, channel ${o}`, 'within int32 in units of S_in·S_w', String(v), 'the bias is too large for its scale');
      return v;
    });
  }

  /** Dyadic requantization of S_in·S_w[o]/S_out per output channel. */
  requant(n: OnnxNode, accScales: number[], outScale: number): { requantB: Int32Array; requantC: Uint8Array } {
    const requantB = new Int32Array(accScales.length);
    const requantC = new Uint8Array(accScales.length);
    accScales.forEach((s, o) => {
      let d: { b: number; c: number };
      try {
        d = dyadicOf(s / outScale);
      } catch (e) {
        this.fail('E195', `Requantization scale S_in·S_w/S_out of ${nodeLabel(n)}, channel ${o}`, 'in [2^-33, 2^30) (a dyadic b/2^c with c in [1, 63])', String(s / outScale), `calibrate the model again (${e instanceof Error ? e.message : String(e)})`);
      }
      requantB[o] = d!.b;
      requantC[o] = d!.c;
    });
    return { requantB, requantC };
  }

  /** Square kernel, equal strides, pads < kernel, no dilation, explicit padding. */
  window(n: OnnxNode, kernel: readonly number[]): { k: number; stride: number; pad?: Padding } {
    if (kernel.length !== 2 || kernel[0] !== kernel[1]) this.fail('E194', `Kernel of ${nodeLabel(n)}`, 'square and 2-D (k×k)', kernel.join('×'), 'splitfuse layers have square kernels');
    const k = kernel[0]!;
    const strides = this.intsAttr(n, 'strides') ?? [1, 1];
    if (strides.length !== 2 || strides[0] !== strides[1] || strides[0]! < 1) this.fail('E194', `Attribute 'strides' of ${nodeLabel(n)}`, 'two equal positive values', `[${strides.join(', ')}]`, 'splitfuse layers use one stride in both axes');
    const dil = this.intsAttr(n, 'dilations') ?? [1, 1];
    if (dil.some((d) => d !== 1)) this.fail('E194', `Attribute 'dilations' of ${nodeLabel(n)}`, '[1, 1]', `[${dil.join(', ')}]`, 'dilated convolutions are not supported');
    const autoPad = this.attr(n, 'auto_pad')?.s ?? 'NOTSET';
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') this.fail('E194', `Attribute 'auto_pad' of ${nodeLabel(n)}`, "'NOTSET' or 'VALID' (explicit pads)", `'${autoPad}'`, 'export with explicit pads (PyTorch does so; for tf2onnx use --opset 13 or later)');
    if (n.opType !== 'Conv' && this.intAttr(n, 'ceil_mode', 0) !== 0) this.fail('E194', `Attribute 'ceil_mode' of ${nodeLabel(n)}`, '0 (floor of the output size)', '1', 'use ceil_mode=False');
    const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : (this.intsAttr(n, 'pads') ?? [0, 0, 0, 0]);
    if (pads.length !== 4 || pads.some((p) => p < 0 || p >= k)) this.fail('E194', `Attribute 'pads' of ${nodeLabel(n)}`, `4 values in [0, ${k - 1}] (smaller than the kernel)`, `[${pads.join(', ')}]`, 'pad by less than the kernel size');
    const stride = strides[0]!;
    return pads.some((p) => p !== 0) ? { k, stride, pad: [pads[0]!, pads[1]!, pads[2]!, pads[3]!] } : { k, stride };
  }

  outShape(s: Chw & { kind: 'chw' }, w: { k: number; stride: number; pad?: Padding }, c: number): Chw {
    const [t, l, b, r] = w.pad ?? [0, 0, 0, 0];
    return { kind: 'chw', c, h: Math.floor((s.h + t + b - w.k) / w.stride) + 1, w: Math.floor((s.w + l + r - w.k) / w.stride) + 1 };
  }

  uniqueName(n: OnnxNode, fallback: string): string {
    const base = n.name || fallback;
    let name = base;
    for (let i = 2; this.layers.some((l) => l.name === name); i++) name = `${base}_${i}`;
    return name;
  }

  push(layer: Layer, nodes: OnnxNode[]): void {
    for (const n of nodes) this.used.add(n);
    this.layers.push(layer);
    this.origins.push({ name: layer.name, kind: layer.kind, nodes: nodes.map((n) => n.name || n.outputs[0]!) });
  }
}

/** Import ONNX bytes. Throws DiagnosticError E190–E196 (and E116/E117 if the result were inconsistent). */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  const file = options.fileName ?? '(in memory)';
  let onnx: OnnxModel;
  try {
    onnx = decodeOnnx(bytes);
  } catch (e) {
    if (e instanceof WireError) throw new DiagnosticError([msg.onnxImport('E190', file, 'The file', 'an ONNX ModelProto (protobuf)', `malformed (${e.message})`, 'pass an .onnx file written by onnx.save or an exporter; the file may be truncated')]);
    throw e;
  }
  const fail = (code: ImportCode, what: string, expected: string, found: string, hint: string): never => {
    throw new DiagnosticError([msg.onnxImport(code, file, what, expected, found, hint)]);
  };
  const graph = onnx.graph;
  if (!graph || graph.nodes.length === 0) return fail('E190', 'The model', 'an ONNX model with a graph of nodes', graph ? 'an empty graph' : 'no graph (not an ONNX model?)', 'pass an .onnx file written by onnx.save or an exporter');
  const opset = onnx.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  const unsupported: Diagnostic[] = [];
  for (const n of graph.nodes) {
    const known = (SUPPORTED_OPS as readonly string[]).includes(n.opType) && (n.domain === '' || n.domain === 'ai.onnx' || (n.domain === 'com.microsoft' && n.opType.endsWith('Linear')));
    if (!known) {
      const qop = /^QLinear|^QGemm|^ConvInteger|^MatMulInteger/.test(n.opType);
      unsupported.push(
        msg.onnxImport('E191', file, nodeLabel(n), `one of ${SUPPORTED_OPS.filter((o) => o !== 'Constant').join(', ')}`, `${n.domain ? `${n.domain}.` : ''}${n.opType}`, qop ? 'quantize in QDQ form (quant_format=QuantFormat.QDQ), not QOperator form' : 'splitfuse imports sequential int8 CNNs (docs/onnx.md lists the operators)'),
      );
    }
  }
  if (unsupported.length > 0) throw new DiagnosticError(unsupported);
  if (!graph.nodes.some((n) => n.opType === 'QuantizeLinear') || !graph.nodes.some((n) => n.opType === 'DequantizeLinear')) {
    fail('E192', 'The model', 'statically quantized in QDQ form (QuantizeLinear/DequantizeLinear around every layer)', 'a float model without QuantizeLinear/DequantizeLinear nodes', 'quantize it first, e.g. onnxruntime.quantization.quantize_static(..., quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)');
  }
  const imp = new Importer(file, graph);
  const inputs = graph.inputs.filter((v) => !imp.consts.has(v.name));
  if (inputs.length !== 1) fail('E196', 'The graph inputs', 'exactly one (the image)', `${inputs.length} (${inputs.map((v) => `'${v.name}'`).join(', ')})`, 'splitfuse imports single-input sequential CNNs');
  if (graph.outputs.length !== 1) fail('E196', 'The graph outputs', 'exactly one', `${graph.outputs.length} (${graph.outputs.map((v) => `'${v.name}'`).join(', ')})`, 'splitfuse imports single-output sequential CNNs');
  const input = inputs[0]!;
  const outputName = graph.outputs[0]!.name;
  const shape = input.shape;
  if (input.elemType !== DT.FLOAT) fail('E193', `Graph input '${input.name}'`, 'a float tensor (quantized by the first QuantizeLinear)', input.elemType === null ? 'untyped' : (DT_NAME[input.elemType] ?? String(input.elemType)), 'export the float network and quantize it in QDQ form');
  if (!shape || shape.length !== 4 || shape.some((d) => typeof d !== 'number')) {
    fail('E193', `Shape of graph input '${input.name}'`, 'static [1, C, H, W]', shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : 'unknown', 'fix every dimension, e.g. python -m onnxruntime.tools.make_dynamic_shape_fixed --input_name x --input_shape 1,3,32,32 in.onnx out.onnx');
  }
  const [batch, c0, h0, w0] = shape as number[];
  if (batch !== 1 || c0! < 1 || h0! < 1 || w0! < 1) fail('E193', `Shape of graph input '${input.name}'`, 'static [1, C, H, W] with batch 1', `[${shape!.join(', ')}]`, 'export with batch size 1');

  // The input's QuantizeLinear.
  const q0 = imp.next(input.name, 'the graph input');
  if (!q0 || q0.opType !== 'QuantizeLinear') return fail('E192', `Graph input '${input.name}'`, 'read by a QuantizeLinear', q0 ? `read by ${nodeLabel(q0)}` : 'unused', 'quantize the model statically in QDQ form (the input is quantized first)');
  imp.used.add(q0);
  const inputQuant = imp.actQuant(q0);
  let shapeNow: Chw = { kind: 'chw', c: c0!, h: h0!, w: w0! };
  let cur: { kind: 'quant' | 'float'; name: string; quant: ActQuant; from: string } = { kind: 'quant', name: q0.outputs[0]!, quant: inputQuant, from: nodeLabel(q0) };

  for (let steps = 0; cur.name !== outputName; steps++) {
    if (steps > graph.nodes.length) fail('E196', 'The graph', 'acyclic', 'a cycle', 'the file is corrupt');
    const n = imp.next(cur.name, cur.from);
    if (!n) return fail('E196', `Tensor '${cur.name}' (output of ${cur.from})`, `on the path to the graph output '${outputName}'`, 'read by no node', 'splitfuse imports a single chain from the input to the output');
    if (n.inputs[0] !== cur.name) fail('E196', nodeLabel(n), `reading '${cur.name}' as its first (data) input`, `reading it as input ${n.inputs.indexOf(cur.name) + 1}`, 'splitfuse imports a single chain from the input to the output');
    imp.used.add(n);
    if (cur.kind === 'quant') {
      if (n.opType !== 'DequantizeLinear') fail('E192', `Quantized tensor '${cur.name}'`, 'read by a DequantizeLinear', `read by ${nodeLabel(n)}`, 'quantize in QDQ form');
      imp.sameQuant(cur.quant, imp.actQuant(n), n, 'Quantization');
      cur = { kind: 'float', name: n.outputs[0]!, quant: cur.quant, from: nodeLabel(n) };
      continue;
    }
    switch (n.opType) {
      case 'QuantizeLinear':
        imp.sameQuant(cur.quant, imp.actQuant(n), n, 'Quantization');
        cur = { kind: 'quant', name: n.outputs[0]!, quant: cur.quant, from: nodeLabel(n) };
        continue;
      case 'DequantizeLinear':
        return fail('E192', nodeLabel(n), 'reading a quantized tensor', `reading float '${cur.name}'`, 'the QDQ layout is broken');
      case 'Flatten':
      case 'Reshape': {
        if (shapeNow.kind !== 'chw') fail('E196', nodeLabel(n), 'after a (C,H,W) layer', 'after a vector', 'flatten once, before the first fully connected layer');
        const s = shapeNow as Chw & { kind: 'chw' };
        const total = s.c * s.h * s.w;
        if (n.opType === 'Flatten') {
          const axis = imp.intAttr(n, 'axis', 1);
          if (axis !== 1 && axis !== -3) fail('E194', `Attribute 'axis' of ${nodeLabel(n)}`, '1 (flatten C, H and W)', String(axis), 'flatten from axis 1 (torch.flatten(x, 1))');
        } else {
          const target = imp.constant(n.inputs[1] ?? '');
          const dims = target?.values ?? null;
          if (!dims || dims.length !== 2 || dims[0] !== 1 || (dims[1] !== -1 && dims[1] !== total)) {
            fail('E194', `Target shape of ${nodeLabel(n)}`, `a constant [1, ${total}] or [1, -1] (a flatten)`, dims ? `[${dims.join(', ')}]` : 'computed by the graph', 'export the flatten as Flatten (torch.flatten(x, 1)) or a constant Reshape');
          }
        }
        imp.push({ kind: 'flatten', name: imp.uniqueName(n, 'flatten') }, [n]);
        shapeNow = { kind: 'vector', n: total };
        cur = { kind: 'float', name: n.outputs[0]!, quant: cur.quant, from: nodeLabel(n) };
        continue;
      }
      case 'MaxPool':
      case 'AveragePool': {
        if (shapeNow.kind !== 'chw') return fail('E196', nodeLabel(n), 'after a (C,H,W) layer', 'after a vector', 'pool before flattening');
        if (n.outputs.filter((o) => o !== '').length > 1) fail('E194', `Outputs of ${nodeLabel(n)}`, 'one (the pooled values)', `${n.outputs.length} (indices too)`, 'do not export MaxPool indices');
        if (imp.intAttr(n, 'storage_order', 0) !== 0) fail('E194', `Attribute 'storage_order' of ${nodeLabel(n)}`, '0', '1', 'use row-major storage order');
        const kernel = imp.intsAttr(n, 'kernel_shape');
        if (!kernel) return fail('E194', `Attribute 'kernel_shape' of ${nodeLabel(n)}`, 'present', 'missing', 'the ONNX schema requires kernel_shape for pooling');
        const win = imp.window(n, kernel);
        const next = imp.outShape(shapeNow, win, shapeNow.c);
        if (next.kind === 'chw' && (next.h < 1 || next.w < 1)) fail('E193', `Output of ${nodeLabel(n)}`, 'at least 1×1', `${next.h}×${next.w}`, 'the kernel is larger than its padded input');
        if (n.opType === 'MaxPool') {
          imp.push({ kind: 'maxpool', name: imp.uniqueName(n, 'maxpool'), ...win }, [n]);
          cur = { kind: 'float', name: n.outputs[0]!, quant: cur.quant, from: nodeLabel(n) };
        } else {
          // The average is not an integer: a QuantizeLinear must follow, with the input's parameters.
          const q = imp.next(n.outputs[0]!, nodeLabel(n));
          if (!q || q.opType !== 'QuantizeLinear') return fail('E192', `Output of ${nodeLabel(n)}`, 'quantized by a QuantizeLinear', q ? `read by ${nodeLabel(q)}` : 'a float graph output', 'quantize the model in QDQ form');
          imp.sameQuant(cur.quant, imp.actQuant(q), q, 'Output quantization');
          const countIncludePad = imp.intAttr(n, 'count_include_pad', 0) === 1;
          imp.push({ kind: 'avgpool', name: imp.uniqueName(n, 'avgpool'), ...win, countIncludePad }, [n, q]);
          cur = { kind: 'quant', name: q.outputs[0]!, quant: cur.quant, from: nodeLabel(q) };
        }
        shapeNow = next;
        continue;
      }
      case 'Relu': {
        // ReLU of exactly dequantized values is max(q, z): fold it into the last conv/fc layer (ReLU commutes
        // with max-pooling and flatten, which may stand between them).
        let at = imp.layers.length - 1;
        while (at >= 0 && (imp.layers[at]!.kind === 'maxpool' || imp.layers[at]!.kind === 'flatten')) at--;
        const target = imp.layers[at];
        if (!target || (target.kind !== 'conv2d' && target.kind !== 'fc')) return fail('E196', nodeLabel(n), 'after a Conv, Gemm or MatMul (possibly with MaxPool/Flatten between)', target ? `after '${target.name}' (${target.kind})` : 'on the graph input', 'splitfuse applies ReLU in the requantization of a conv or fc layer');
        imp.layers[at] = { ...(target as Conv2dLayer | FcLayer), relu: true };
        imp.origins[at] = { ...imp.origins[at]!, nodes: [...imp.origins[at]!.nodes, n.name || n.outputs[0]!] };
        cur = { kind: 'float', name: n.outputs[0]!, quant: cur.quant, from: nodeLabel(n) };
        continue;
      }
      case 'Conv':
      case 'Gemm':
      case 'MatMul': {
        const layerNodes: OnnxNode[] = [n];
        let layer: Conv2dLayer | FcLayer;
        let nOut: number;
        let weightScales: number[];
        let build: (p: { bias: Int32Array; requantB: Int32Array; requantC: Uint8Array; relu: boolean; outScale: number; outZeroPoint?: number }) => Conv2dLayer | FcLayer;
        if (n.opType === 'Conv') {
          if (shapeNow.kind !== 'chw') return fail('E196', nodeLabel(n), 'after a (C,H,W) layer', 'after a vector', 'convolve before flattening');
          const s = shapeNow;
          const wDims = imp.constant(imp.producers.get(n.inputs[1] ?? '')?.inputs[0] ?? '')?.dims ?? [];
          if (wDims.length !== 4) return fail('E193', `Weights of ${nodeLabel(n)}`, '4-D [outC, inC, k, k]', `[${wDims.join(', ')}]`, 'splitfuse imports 2-D convolutions');
          nOut = wDims[0]!;
          const w = imp.weights(n, n.inputs[1]!, 0, nOut);
          if (imp.intAttr(n, 'group', 1) !== 1) fail('E194', `Attribute 'group' of ${nodeLabel(n)}`, '1', String(imp.intAttr(n, 'group', 1)), 'grouped and depthwise convolutions are not supported');
          if (wDims[1] !== s.c) fail('E193', `Weights of ${nodeLabel(n)}`, `${s.c} input channels (the input's)`, String(wDims[1]), 'the file is inconsistent; export it again');
          const kernel = imp.intsAttr(n, 'kernel_shape') ?? [wDims[2]!, wDims[3]!];
          if (kernel[0] !== wDims[2] || kernel[1] !== wDims[3]) fail('E193', `Attribute 'kernel_shape' of ${nodeLabel(n)}`, `[${wDims[2]}, ${wDims[3]}] (the weights')`, `[${kernel.join(', ')}]`, 'the file is inconsistent; export it again');
          const win = imp.window(n, kernel);
          const next = imp.outShape(s, win, nOut);
          if (next.kind === 'chw' && (next.h < 1 || next.w < 1)) fail('E193', `Output of ${nodeLabel(n)}`, 'at least 1×1', `${next.h}×${next.w}`, 'the kernel is larger than its padded input');
          weightScales = w.scales;
          const weights = Int8Array.from(w.values);
          const name = imp.uniqueName(n, 'conv');
          build = (p) => ({ kind: 'conv2d', name, inC: s.c, outC: nOut, ...win, weights, ...p });
          shapeNow = next;
        } else {
          if (shapeNow.kind !== 'vector') return fail('E196', nodeLabel(n), 'after a Flatten (a vector input)', `after a (C,H,W) output ${shapeNow.c}×${shapeNow.h}×${shapeNow.w}`, 'flatten before the first Gemm/MatMul');
          const nIn = shapeNow.n;
          const transB = n.opType === 'Gemm' ? imp.intAttr(n, 'transB', 0) : 0;
          if (n.opType === 'Gemm') {
            for (const [a, want] of [['alpha', 1], ['beta', 1]] as const) {
              const v = imp.attr(n, a)?.f ?? 1;
              if (v !== want) fail('E194', `Attribute '${a}' of ${nodeLabel(n)}`, String(want), String(v), 'fold alpha and beta into the weights and bias before quantizing');
            }
            if (imp.intAttr(n, 'transA', 0) !== 0) fail('E194', `Attribute 'transA' of ${nodeLabel(n)}`, '0', '1', 'the activation is a row vector');
          }
          const wDims = imp.constant(imp.producers.get(n.inputs[1] ?? '')?.inputs[0] ?? '')?.dims ?? [];
          if (wDims.length !== 2) return fail('E193', `Weights of ${nodeLabel(n)}`, '2-D', `[${wDims.join(', ')}]`, 'fully connected weights are a matrix');
          const [rows, cols] = wDims as [number, number];
          nOut = transB ? rows : cols;
          const inDim = transB ? cols : rows;
          const w = imp.weights(n, n.inputs[1]!, transB ? 0 : 1, nOut);
          if (inDim !== nIn) fail('E193', `Weights of ${nodeLabel(n)}`, `${nIn} inputs (the size of the previous output)`, String(inDim), 'the file is inconsistent; export it again');
          // splitfuse stores fc weights as [out][in].
          const weights = new Int8Array(nOut * nIn);
          for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) weights[o * nIn + i] = w.values[transB ? o * nIn + i : i * nOut + o]!;
          weightScales = w.scales;
          const name = imp.uniqueName(n, 'fc');
          build = (p) => ({ kind: 'fc', name, in: nIn, out: nOut, weights, ...p });
          shapeNow = { kind: 'vector', n: nOut };
        }
        const accScales = weightScales.map((sw) => cur.quant.scale * sw);
        const bias = imp.bias(n, n.opType === 'MatMul' ? undefined : n.inputs[2] || undefined, nOut, accScales);
        // The output: QuantizeLinear, or Relu then QuantizeLinear.
        let y = n.outputs[0]!;
        let relu = false;
        let q = imp.next(y, nodeLabel(n));
        if (q?.opType === 'Relu') {
          relu = true;
          layerNodes.push(q);
          imp.used.add(q);
          y = q.outputs[0]!;
          q = imp.next(y, nodeLabel(q));
        }
        if (!q || q.opType !== 'QuantizeLinear') return fail('E192', `Output of ${nodeLabel(n)}`, 'quantized by a QuantizeLinear (int8 activations)', q ? `read by ${nodeLabel(q)}` : 'a float graph output', 'quantize every layer output (a QDQ model from quantize_static does)');
        layerNodes.push(q);
        const outQuant = imp.actQuant(q);
        const { requantB, requantC } = imp.requant(n, accScales, outQuant.scale);
        layer = build({ bias, requantB, requantC, relu, outScale: outQuant.scale, ...(outQuant.zeroPoint !== 0 ? { outZeroPoint: outQuant.zeroPoint } : {}) });
        imp.push(layer, layerNodes);
        cur = { kind: 'quant', name: q.outputs[0]!, quant: outQuant, from: nodeLabel(q) };
        continue;
      }
      default:
        return fail('E191', nodeLabel(n), 'a supported operator', n.opType, 'docs/onnx.md lists the operators');
    }
  }
  const stray = graph.nodes.filter((n) => !imp.used.has(n));
  if (stray.length > 0) fail('E196', nodeLabel(stray[0]!), 'on the chain from the graph input to its output', `off it${stray.length > 1 ? ` (and ${stray.length - 1} more node${stray.length > 2 ? 's' : ''})` : ''}`, 'remove unused nodes (onnx.utils.extract_model or onnxsim)');
  if (!imp.layers.some((l) => l.kind === 'conv2d' || l.kind === 'fc')) fail('E196', 'The graph', 'at least one Conv, Gemm or MatMul', 'none', 'splitfuse imports CNNs');
  const name = options.name ?? (graph.name || basename(file).replace(/\.onnx$/i, '') || 'onnx-model');
  const granularity = imp.granularity.size === 2 ? 'mixed' : imp.granularity.has('per-tensor') ? 'per-tensor' : 'per-channel';
  const producer = `${onnx.producerName}${onnx.producerVersion ? ` ${onnx.producerVersion}` : ''}`;
  const model: Model = {
    name,
    input: { shape: [c0!, h0!, w0!], scale: inputQuant.scale, ...(inputQuant.zeroPoint !== 0 ? { zeroPoint: inputQuant.zeroPoint } : {}) },
    layers: imp.layers,
    metadata: {
      source: 'onnx',
      onnxFile: basename(file),
      producer,
      opset,
      activations: imp.activationType === 'uint8' ? 'uint8 in the ONNX file, stored as int8 q − 128 with zero point z − 128' : 'int8',
      weights: `int8 symmetric, ${granularity}`,
      layers: imp.origins.map((o) => ({ name: o.name, onnxNodes: o.nodes })),
    },
  };
  validateModel(model, file);
  return { model, layers: imp.origins, activationType: imp.activationType ?? 'int8', weightGranularity: granularity, producer, opset };
}

/** Read and import an ONNX file; an unreadable file is E190. */
export function importOnnxFile(path: string, options: Omit<ImportOptions, 'fileName'> = {}): ImportResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DiagnosticError([msg.onnxImport('E190', path, 'The file', 'readable', (e as NodeJS.ErrnoException).code ?? String(e), 'check the path')]);
  }
  return importOnnx(bytes, { ...options, fileName: path });
}
