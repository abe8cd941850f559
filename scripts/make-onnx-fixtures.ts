// Writes the ONNX test fixtures of the QDQ importer (test/fixtures/onnx/, docs/onnx.md):
//   lenet5-qdq-u8.onnx         the trained LeNet-5 float checkpoint (models/lenet5-mnist-float.json), statically
//                              quantized: uint8 asymmetric activations, int8 symmetric per-channel weights
//                              (onnxruntime quantize_static's defaults: QUInt8 / QInt8, per_channel=True)
//   smallcnn-random-qdq-s8.onnx a small CNN with RANDOM float weights (seeded He-normal; not trained), padding,
//                              stride 2, max- and average-pooling and MatMul: int8 asymmetric activations, int8
//                              symmetric per-tensor weights (activation_type=QInt8, per_channel=False)
// and for each <name>.reference.json: int8/uint8 inputs (MNIST test digits) and onnxruntime's integer outputs.
//
// PyPI is not reachable from this project's machines, so onnxruntime's Python quantizer cannot run here. This
// script performs the same standard static QDQ quantization itself, following onnxruntime's quantizer
// (onnxruntime/python/tools/quantization, 1.x): MinMax calibration (range extended to include 0) over 64 training
// digits; scale = (rmax − rmin)/(qmax − qmin), zero point = round(qmin − rmin/scale), symmetric weights in
// [−127, 127]; int32 biases with scale S_in·S_w; the QDQ node layout and names quantize_static emits
// (<t>_QuantizeLinear → <t>_DequantizeLinear per activation tensor, <w>_quantized + DequantizeLinear per
// weight, Relu removed when its output's zero point is the type minimum, pooling/flatten outputs sharing their
// input's parameters). Calibration runs the float model in onnxruntime; the references come from onnxruntime
// (default graph optimizations, which fuse the QDQ groups into its integer kernels) running the QDQ model.
//
// Needs onnxruntime-node, installed outside the project (its install script downloads GPU providers; the CPU
// binaries are inside the npm package):
//   npm install --prefix .cache/onnxruntime-node --ignore-scripts onnxruntime-node@1.30.0
//   npx tsx scripts/make-onnx-fixtures.ts            (ORT_NODE_DIR overrides .cache/onnxruntime-node)
// CI never runs this script: the fixtures are committed. Deterministic: the same inputs give the same bytes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { xorshift32 } from '../bench/stimulus.js';
import { mnistSplit } from '../accel/mnist.js';
import { DT, encodeOnnx, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from '../accel/onnx/proto.js';
import { floatLayers } from './ptq-lenet5.js';
import type { FloatCheckpoint } from './train-lenet5.js';

const OUT_DIR = 'test/fixtures/onnx';
const CALIBRATION = 64;
const REFERENCES = 24;
const OPSET = 13;

type Op =
  | { op: 'conv'; name: string; inC: number; outC: number; k: number; stride: number; pads: number[]; w: Float32Array; b: Float32Array }
  | { op: 'gemm' | 'matmul'; name: string; nIn: number; nOut: number; w: Float32Array; b: Float32Array | null }
  | { op: 'relu'; name: string }
  | { op: 'maxpool' | 'avgpool'; name: string; k: number; stride: number; pads: number[] }
  | { op: 'flatten'; name: string };

interface FloatNet {
  readonly name: string;
  /** Layers (splitfuse layer names) whose onnxruntime integer outputs the reference also records, and their tensors. */
  readonly taps?: readonly { readonly layer: string; readonly tensor: string }[];
  readonly input: [number, number, number];
  readonly ops: readonly Op[];
}

interface QuantSpec {
  readonly activations: 'uint8' | 'int8';
  readonly perChannel: boolean;
}

const f32 = Math.fround;
const actType = (spec: QuantSpec): number => (spec.activations === 'uint8' ? DT.UINT8 : DT.INT8);
const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
const attrInts = (name: string, ints: number[]): OnnxAttribute => ({ name, type: 7, ints });
const attrInt = (name: string, i: number): OnnxAttribute => ({ name, type: 2, i });
const tensor = (name: string, dataType: number, dims: number[], values: ArrayLike<number>): OnnxTensor => ({ name, dataType, dims, values: Array.from(values), external: false });
const node = (name: string, opType: string, inputs: string[], outputs: string[], attributes: OnnxAttribute[] = []): OnnxNode => ({ name, opType, domain: '', inputs, outputs, attributes });

/** The float graph's node for one op, reading `x` and writing `y`; weights as float initializers. */
function floatNode(op: Op, x: string, y: string, inits: OnnxTensor[], wName: (n: string) => string = (n) => n): OnnxNode {
  switch (op.op) {
    case 'conv':
      inits.push(tensor(wName(`${op.name}.weight`), DT.FLOAT, [op.outC, op.inC, op.k, op.k], op.w), tensor(wName(`${op.name}.bias`), DT.FLOAT, [op.outC], op.b));
      return node(op.name, 'Conv', [x, `${op.name}.weight`, `${op.name}.bias`], [y], [attrInts('kernel_shape', [op.k, op.k]), attrInts('strides', [op.stride, op.stride]), attrInts('pads', op.pads), attrInts('dilations', [1, 1]), attrInt('group', 1)]);
    case 'gemm':
      inits.push(tensor(`${op.name}.weight`, DT.FLOAT, [op.nOut, op.nIn], op.w), tensor(`${op.name}.bias`, DT.FLOAT, [op.nOut], op.b!));
      return node(op.name, 'Gemm', [x, `${op.name}.weight`, `${op.name}.bias`], [y], [{ name: 'alpha', type: 1, f: 1 }, { name: 'beta', type: 1, f: 1 }, attrInt('transB', 1)]);
    case 'matmul': {
      // ONNX MatMul weights are [in, out].
      const t = new Float32Array(op.nIn * op.nOut);
      for (let o = 0; o < op.nOut; o++) for (let i = 0; i < op.nIn; i++) t[i * op.nOut + o] = op.w[o * op.nIn + i]!;
      inits.push(tensor(`${op.name}.weight`, DT.FLOAT, [op.nIn, op.nOut], t));
      return node(op.name, 'MatMul', [x, `${op.name}.weight`], [y]);
    }
    case 'relu':
      return node(op.name, 'Relu', [x], [y]);
    case 'maxpool':
      return node(op.name, 'MaxPool', [x], [y], [attrInts('kernel_shape', [op.k, op.k]), attrInts('strides', [op.stride, op.stride]), attrInts('pads', op.pads)]);
    case 'avgpool':
      return node(op.name, 'AveragePool', [x], [y], [attrInts('kernel_shape', [op.k, op.k]), attrInts('strides', [op.stride, op.stride]), attrInts('pads', op.pads), attrInt('count_include_pad', 0)]);
    case 'flatten':
      return node(op.name, 'Flatten', [x], [y], [attrInt('axis', 1)]);
  }
}

/** The float model; with `exposeAll` every intermediate tensor is also a graph output (for calibration). */
function floatModel(net: FloatNet, exposeAll: boolean): { model: OnnxModel; tensors: string[] } {
  const inits: OnnxTensor[] = [];
  const tensors = ['input', ...net.ops.map((op, i) => (i === net.ops.length - 1 ? 'output' : `${op.name}.out`))];
  const nodes = net.ops.map((op, i) => floatNode(op, tensors[i]!, tensors[i + 1]!, inits));
  const outputs = (exposeAll ? tensors.slice(1) : ['output']).map((name) => ({ name, elemType: DT.FLOAT, shape: null }));
  return { model: { irVersion: 7, opsets: [{ domain: '', version: OPSET }], producerName: 'splitfuse make-onnx-fixtures', producerVersion: '1', graph: { name: net.name, nodes, initializers: inits, inputs: [{ name: 'input', elemType: DT.FLOAT, shape: [1, ...net.input] }], outputs, valueInfo: [] } }, tensors };
}

/** onnxruntime's compute_scale_zp: the range is widened to include 0; symmetric ranges are centred on 0. */
function scaleZeroPoint(rmin: number, rmax: number, qmin: number, qmax: number, symmetric: boolean): { scale: number; zp: number } {
  let lo = Math.min(rmin, 0);
  let hi = Math.max(rmax, 0);
  if (symmetric) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -m;
    hi = m;
  }
  const scale = f32((hi - lo) / (qmax - qmin));
  if (scale === 0) return { scale: 1, zp: 0 };
  return { scale, zp: roundHalfEven(qmin - lo / scale) };
}

type Ort = { InferenceSession: { create(b: Uint8Array, o?: object): Promise<{ run(feeds: object): Promise<Record<string, { data: Float32Array }>> }> }; Tensor: new (t: string, d: Float32Array, dims: number[]) => unknown; env: { versions: Record<string, string> } };

async function calibrate(ort: Ort, net: FloatNet, images: Float32Array[]): Promise<Map<string, { min: number; max: number }>> {
  const { model, tensors } = floatModel(net, true);
  const session = await ort.InferenceSession.create(encodeOnnx(model));
  const ranges = new Map<string, { min: number; max: number }>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  for (const image of images) {
    const r = ranges.get('input')!;
    for (const v of image) (r.min = Math.min(r.min, v)), (r.max = Math.max(r.max, v));
    const out = await session.run({ input: new ort.Tensor('float32', image, [1, ...net.input]) });
    for (const t of tensors.slice(1)) {
      const rr = ranges.get(t)!;
      for (const v of out[t]!.data) (rr.min = Math.min(rr.min, v)), (rr.max = Math.max(rr.max, v));
    }
  }
  return ranges;
}

/** The QDQ model, laid out as onnxruntime's quantize_static (QDQ format) lays it out. */
function qdqModel(net: FloatNet, ranges: Map<string, { min: number; max: number }>, spec: QuantSpec): { model: OnnxModel; input: { scale: number; zp: number }; output: { scale: number; zp: number } } {
  const [qmin, qmax] = spec.activations === 'uint8' ? [0, 255] : [-128, 127];
  const actType = spec.activations === 'uint8' ? DT.UINT8 : DT.INT8;
  const inits: OnnxTensor[] = [];
  const nodes: OnnxNode[] = [];
  /** Add Q → DQ on float tensor t (or rename to keep a graph output's name); returns the dequantized name. */
  const qdq = (t: string, p: { scale: number; zp: number }, graphOutput = false): string => {
    inits.push(tensor(`${t}_scale`, DT.FLOAT, [], [p.scale]), tensor(`${t}_zero_point`, actType, [], [p.zp]));
    const src = graphOutput ? `${t}_QuantizeLinear_Input` : t;
    const dq = graphOutput ? t : `${t}_DequantizeLinear_Output`;
    nodes.push(node(`${t}_QuantizeLinear`, 'QuantizeLinear', [src, `${t}_scale`, `${t}_zero_point`], [`${t}_QuantizeLinear_Output`]));
    nodes.push(node(`${t}_DequantizeLinear`, 'DequantizeLinear', [`${t}_QuantizeLinear_Output`, `${t}_scale`, `${t}_zero_point`], [dq]));
    return dq;
  };
  const actParams = (t: string) => {
    const r = ranges.get(t)!;
    return scaleZeroPoint(r.min, r.max, qmin, qmax, false);
  };
  const inputParams = actParams('input');
  let x = qdq('input', inputParams);
  let params = inputParams;
  const ops = net.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const last = i === ops.length - 1;
    if (op.op === 'conv' || op.op === 'gemm' || op.op === 'matmul') {
      // A following Relu is removed: the layer's output takes the Relu output's range (zero point = qmin).
      const reluNext = ops[i + 1]?.op === 'relu';
      const outT = reluNext ? (i + 1 === ops.length - 1 ? 'output' : `${ops[i + 1]!.name}.out`) : last ? 'output' : `${op.name}.out`;
      const isOutput = outT === 'output';
      const nOut = op.op === 'conv' ? op.outC : op.nOut;
      const per = op.w.length / nOut;
      const wScales = Array.from({ length: nOut }, (_, o) => {
        const ch = spec.perChannel ? op.w.subarray(o * per, (o + 1) * per) : op.w;
        let lo = 0;
        let hi = 0;
        for (const v of ch) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        return scaleZeroPoint(lo, hi, -127, 127, true).scale;
      });
      const wq = Int8Array.from(op.w, (v, j) => Math.max(-127, Math.min(127, roundHalfEven(f32(v / wScales[Math.floor(j / per)]!)))));
      const wName = `${op.name}.weight`;
      let dims: number[];
      let wData: ArrayLike<number> = wq;
      let axis = 0;
      if (op.op === 'conv') dims = [op.outC, op.inC, op.k, op.k];
      else if (op.op === 'gemm') dims = [op.nOut, op.nIn];
      else {
        dims = [op.nIn, op.nOut];
        axis = 1;
        const t = new Int8Array(wq.length);
        for (let o = 0; o < op.nOut; o++) for (let j = 0; j < op.nIn; j++) t[j * op.nOut + o] = wq[o * op.nIn + j]!;
        wData = t;
      }
      const scaleDims = spec.perChannel ? [nOut] : [];
      inits.push(tensor(`${wName}_quantized`, DT.INT8, dims, wData), tensor(`${wName}_scale`, DT.FLOAT, scaleDims, spec.perChannel ? wScales : [wScales[0]!]), tensor(`${wName}_zero_point`, DT.INT8, scaleDims, spec.perChannel ? wScales.map(() => 0) : [0]));
      nodes.push(node(`${wName}_DequantizeLinear`, 'DequantizeLinear', [`${wName}_quantized`, `${wName}_scale`, `${wName}_zero_point`], [`${wName}_DequantizeLinear_Output`], spec.perChannel ? [attrInt('axis', axis)] : []));
      const inputs = [x, `${wName}_DequantizeLinear_Output`];
      if (op.op !== 'matmul' && op.b) {
        const bName = `${op.name}.bias`;
        const bScales = wScales.map((s) => f32(params.scale * s));
        inits.push(tensor(`${bName}_quantized`, DT.INT32, [nOut], Array.from(op.b, (v, o) => roundHalfEven(v / bScales[o]!))), tensor(`${bName}_quantized_scale`, DT.FLOAT, spec.perChannel ? [nOut] : [], spec.perChannel ? bScales : [bScales[0]!]), tensor(`${bName}_quantized_zero_point`, DT.INT32, spec.perChannel ? [nOut] : [], spec.perChannel ? bScales.map(() => 0) : [0]));
        nodes.push(node(`${bName}_quantized_DequantizeLinear`, 'DequantizeLinear', [`${bName}_quantized`, `${bName}_quantized_scale`, `${bName}_quantized_zero_point`], [`${bName}_quantized_DequantizeLinear_Output`], spec.perChannel ? [attrInt('axis', 0)] : []));
        inputs.push(`${bName}_quantized_DequantizeLinear_Output`);
      }
      const yName = isOutput ? 'output_QuantizeLinear_Input' : outT;
      const proto = floatNode(op, x, yName, []);
      nodes.push({ ...proto, inputs });
      params = actParams(outT);
      x = qdq(outT, params, isOutput);
      if (reluNext) i++;
      continue;
    }
    if (op.op === 'relu') throw new Error(`Relu '${op.name}' must follow a Conv/Gemm/MatMul in these fixtures`);
    // MaxPool, AveragePool, Flatten: the output shares the input's scale and zero point (QDQDirect8BitOp).
    const outT = last ? 'output' : `${op.name}.out`;
    nodes.push(floatNode(op, x, last ? 'output_QuantizeLinear_Input' : outT, []));
    x = qdq(outT, params, last);
  }
  const model: OnnxModel = {
    irVersion: 7,
    opsets: [{ domain: '', version: OPSET }],
    producerName: 'splitfuse make-onnx-fixtures (onnxruntime quantize_static QDQ layout)',
    producerVersion: '1',
    graph: { name: net.name, nodes, initializers: inits, inputs: [{ name: 'input', elemType: DT.FLOAT, shape: [1, ...net.input] }], outputs: [{ name: 'output', elemType: DT.FLOAT, shape: null }], valueInfo: [] },
  };
  return { model, input: inputParams, output: params };
}

function lenet(): FloatNet {
  const cp = JSON.parse(readFileSync('models/lenet5-mnist-float.json', 'utf8')) as FloatCheckpoint;
  const [c1, c2, f1, f2, f3] = floatLayers(cp);
  const conv = (l: typeof c1): Op => ({ op: 'conv', name: l!.name, inC: l!.inC, outC: l!.outC, k: l!.k, stride: 1, pads: [0, 0, 0, 0], w: l!.weights, b: l!.bias });
  const gemm = (l: typeof c1): Op => ({ op: 'gemm', name: l!.name, nIn: l!.inC, nOut: l!.outC, w: l!.weights, b: l!.bias });
  return {
    name: 'lenet5-qdq-u8',
    input: [1, 28, 28],
    ops: [conv(c1), { op: 'relu', name: 'relu1' }, { op: 'maxpool', name: 'pool1', k: 2, stride: 2, pads: [0, 0, 0, 0] }, conv(c2), { op: 'relu', name: 'relu2' }, { op: 'maxpool', name: 'pool2', k: 2, stride: 2, pads: [0, 0, 0, 0] }, { op: 'flatten', name: 'flatten' }, gemm(f1), { op: 'relu', name: 'relu3' }, gemm(f2), { op: 'relu', name: 'relu4' }, gemm(f3)],
  };
}

/** Seeded He-normal weights (Box–Muller over xorshift32): a random, untrained network. */
function smallCnn(seed: number): FloatNet {
  let s = seed;
  const uniform = () => {
    s = xorshift32(s);
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const he = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => normal() * Math.sqrt(2 / fanIn));
  const small = (n: number) => Float32Array.from({ length: n }, () => 0.1 * normal());
  return {
    name: 'smallcnn-random-qdq-s8',
    input: [1, 28, 28],
    taps: [
      { layer: 'conv2', tensor: 'relu2.out' },
      { layer: 'pool2', tensor: 'pool2.out' },
    ],
    ops: [
      { op: 'conv', name: 'conv1', inC: 1, outC: 8, k: 3, stride: 1, pads: [1, 1, 1, 1], w: he(8 * 9, 9), b: small(8) },
      { op: 'relu', name: 'relu1' },
      { op: 'maxpool', name: 'pool1', k: 2, stride: 2, pads: [0, 0, 0, 0] },
      { op: 'conv', name: 'conv2', inC: 8, outC: 16, k: 3, stride: 2, pads: [1, 1, 1, 1], w: he(16 * 8 * 9, 72), b: small(16) },
      { op: 'relu', name: 'relu2' },
      { op: 'avgpool', name: 'pool2', k: 3, stride: 2, pads: [1, 1, 1, 1] },
      { op: 'flatten', name: 'flatten' },
      { op: 'matmul', name: 'fc', nIn: 256, nOut: 10, w: he(2560, 256), b: null },
    ],
  };
}

async function main(): Promise<void> {
  const ortDir = resolve(process.env.ORT_NODE_DIR ?? '.cache/onnxruntime-node');
  const ort = createRequire(join(ortDir, 'package.json'))('onnxruntime-node') as Ort;
  const { train, test } = mnistSplit();
  const calib = train.slice(0, CALIBRATION).map((d) => d.image);
  const refs = test.slice(0, REFERENCES);
  mkdirSync(OUT_DIR, { recursive: true });
  const nets: [FloatNet, QuantSpec][] = [
    [lenet(), { activations: 'uint8', perChannel: true }],
    [smallCnn(20240611), { activations: 'int8', perChannel: false }],
  ];
  for (const [net, spec] of nets) {
    const ranges = await calibrate(ort, net, calib);
    const q = qdqModel(net, ranges, spec);
    const bytes = encodeOnnx(q.model);
    writeFileSync(join(OUT_DIR, `${net.name}.onnx`), bytes);
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    const [lo, hi] = spec.activations === 'uint8' ? [0, 255] : [-128, 127];
    // Taps: onnxruntime's integer output of the graph cut after a layer's QuantizeLinear (same kernels as the
    // whole graph), so a test can compare one segment of layers at a time.
    const tapSessions = [];
    for (const tap of net.taps ?? []) {
      const cut = `${tap.tensor}_QuantizeLinear_Output`;
      const nodes = [];
      for (const n of q.model.graph!.nodes) {
        nodes.push(n);
        if (n.outputs.includes(cut)) break;
      }
      const used = new Set(nodes.flatMap((n) => n.inputs));
      const cutModel: OnnxModel = { ...q.model, graph: { ...q.model.graph!, nodes, initializers: q.model.graph!.initializers.filter((t) => used.has(t.name)), outputs: [{ name: cut, elemType: actType(spec), shape: null }] } };
      tapSessions.push({ tap, cut, session: await ort.InferenceSession.create(encodeOnnx(cutModel), { graphOptimizationLevel: 'all' }) });
    }
    const cases = [];
    for (const d of refs) {
      // The quantized input, and its exact real value (QuantizeLinear maps it back to the same integers).
      const qIn = Array.from(d.image, (v) => Math.max(lo, Math.min(hi, roundHalfEven(f32(v / q.input.scale)) + q.input.zp)));
      const real = Float32Array.from(qIn, (v) => (v - q.input.zp) * q.input.scale);
      const out = await session.run({ input: new ort.Tensor('float32', real, [1, ...net.input]) });
      const qOut = Array.from(out['output']!.data, (v) => Math.round(v / q.output.scale) + q.output.zp);
      const taps: Record<string, string> = {};
      for (const t of tapSessions) {
        const o = await t.session.run({ input: new ort.Tensor('float32', real, [1, ...net.input]) });
        taps[t.tap.layer] = Buffer.from(Uint8Array.from(o[t.cut]!.data as unknown as ArrayLike<number>, (v) => v & 0xff)).toString('base64');
      }
      cases.push({ index: refs.indexOf(d), label: d.label, input: Buffer.from(Uint8Array.from(qIn, (v) => v & 0xff)).toString('base64'), output: qOut, ...(tapSessions.length ? { taps } : {}) });
    }
    const reference = {
      model: `${net.name}.onnx`,
      runtime: `onnxruntime-node ${ort.env.versions['node'] ?? '?'} (CPU, graphOptimizationLevel all)`,
      activations: spec.activations,
      weights: spec.perChannel ? 'int8 symmetric per-channel' : 'int8 symmetric per-tensor',
      calibration: `MinMax over MNIST training digits 0..${CALIBRATION - 1} (accel/mnist.ts split)`,
      inputs: `MNIST test digits 0..${REFERENCES - 1}, quantized with the model's input scale and zero point; base64 of the ${spec.activations} bytes`,
      taps: (net.taps ?? []).map((t) => ({ layer: t.layer, onnxTensor: `${t.tensor}_QuantizeLinear_Output`, format: `base64 of the ${spec.activations} bytes of onnxruntime's output of the graph cut there` })),
      inputScale: q.input.scale,
      inputZeroPoint: q.input.zp,
      outputScale: q.output.scale,
      outputZeroPoint: q.output.zp,
      cases,
    };
    writeFileSync(join(OUT_DIR, `${net.name}.reference.json`), `${JSON.stringify(reference, null, 1)}\n`);
    console.log(`${net.name}: ${bytes.length} bytes, ${q.model.graph!.nodes.length} nodes, ${cases.length} reference outputs`);
  }
}

await main();
