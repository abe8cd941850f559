// The QDQ importer against onnxruntime: the committed fixtures (scripts/make-onnx-fixtures.ts) are imported and run
// in the golden model, and compared with onnxruntime's own integer outputs recorded next to them. Bad input —
// malformed protobuf, float models, dynamic shapes, unsupported operators and attributes — is a coded diagnostic.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runGolden } from '../../../accel/golden.js';
import { activationZeroPoints, layerShapes, readModel, writeModel, type Model } from '../../../accel/model.js';
import { importOnnx, importOnnxFile } from '../../../accel/onnx/import.js';
import { decodeOnnx, DT, encodeOnnx, type OnnxModel, type OnnxNode } from '../../../accel/onnx/proto.js';
import { decodeFields, WireWriter } from '../../../accel/onnx/protobuf.js';
import { diagnosticOf } from '../../support/cli.js';

const DIR = 'test/fixtures/onnx';

interface Reference {
  activations: 'int8' | 'uint8';
  inputScale: number;
  inputZeroPoint: number;
  cases: { index: number; label: number; input: string; output: number[]; taps?: Record<string, string> }[];
}

const reference = (name: string): Reference => JSON.parse(readFileSync(`${DIR}/${name}.reference.json`, 'utf8')) as Reference;
/** ONNX-typed bytes (base64) as splitfuse int8: uint8 values shift by −128. */
const toInt8 = (b64: string, type: 'int8' | 'uint8'): Int8Array => Int8Array.from(Buffer.from(b64, 'base64'), (b) => (type === 'uint8' ? b - 128 : (b << 24) >> 24));

/** The layers from..to of a model as a model of their own, whose input is layer from−1's output. */
function segment(model: Model, from: number, to: number): Model {
  const shapes = layerShapes(model);
  const zps = activationZeroPoints(model);
  const s = shapes[from - 1]!;
  if (s.kind !== 'chw') throw new Error('segments start after a (C,H,W) layer here');
  return { name: `${model.name}[${from}..${to}]`, input: { shape: [s.c, s.h, s.w], scale: 1, zeroPoint: zps[from - 1]! }, layers: model.layers.slice(from, to + 1) };
}

describe('ONNX QDQ import: fixtures against onnxruntime', () => {
  it('LeNet-5 (trained; uint8 activations, per-channel weights, Gemm): every output equals onnxruntime, bit for bit', () => {
    const { model, activationType, weightGranularity, layers } = importOnnxFile(`${DIR}/lenet5-qdq-u8.onnx`);
    expect(activationType).toBe('uint8');
    expect(weightGranularity).toBe('per-channel');
    expect(model.layers.map((l) => l.kind)).toEqual(['conv2d', 'maxpool', 'conv2d', 'maxpool', 'flatten', 'fc', 'fc', 'fc']);
    // The quantizer removed the Relu nodes: ReLU is the output zero point at the type minimum (uint8 0 → int8 −128).
    expect(model.layers.filter((l) => (l.kind === 'conv2d' || l.kind === 'fc') && l.outZeroPoint === -128).length).toBe(4);
    expect(layers[0]!.nodes).toEqual(['conv1', 'relu1.out_QuantizeLinear']);
    const ref = reference('lenet5-qdq-u8');
    let agreeTop1 = 0;
    for (const c of ref.cases) {
      const got = runGolden(model, toInt8(c.input, ref.activations));
      expect(Array.from(got.logits)).toEqual(c.output.map((v) => v - 128));
      if (got.predicted === c.label) agreeTop1++;
    }
    expect(agreeTop1).toBeGreaterThanOrEqual(23); // the trained network classifies the digits (24 of 24 when written)
  });

  it('small random CNN (int8 activations, per-tensor weights, padding, stride 2, average pooling, MatMul) against onnxruntime, segment by segment', () => {
    const { model, activationType, weightGranularity } = importOnnxFile(`${DIR}/smallcnn-random-qdq-s8.onnx`);
    expect(activationType).toBe('int8');
    expect(weightGranularity).toBe('per-tensor');
    expect(model.layers.map((l) => l.kind)).toEqual(['conv2d', 'maxpool', 'conv2d', 'avgpool', 'flatten', 'fc']);
    const ref = reference('smallcnn-random-qdq-s8');
    const head = segment(model, 1, 2); // pool1, conv2 (from the golden conv1)
    const pool = segment(model, 3, 3);
    const tail = segment(model, 4, 5);
    let ties = 0;
    let endToEndEqual = 0;
    let endToEndTotal = 0;
    let maxDiff = 0;
    let top1 = 0;
    let allTies = 0;
    let evenDiffers = 0;
    let downDiffers = 0;
    for (const c of ref.cases) {
      const input = toInt8(c.input, 'int8');
      const golden = runGolden(model, input);
      // Convolutions with padding and stride, max-pooling: exact.
      const conv2 = toInt8(c.taps!['conv2']!, 'int8');
      expect(Array.from(runGolden(head, golden.activations[0]!).logits)).toEqual(Array.from(conv2));
      expect(Array.from(golden.activations[2]!)).toEqual(Array.from(conv2));
      // Average pooling from onnxruntime's own conv2 output: splitfuse rounds an exact tie (an average of k + 0.5) up,
      // as its requantization does everywhere (the accelerator's lane computes it); onnxruntime averages in float32
      // and rounds to even, landing on either side of a tie. Every other output is exact.
      const ortPool = toInt8(c.taps!['pool2']!, 'int8');
      const ours = runGolden(pool, conv2).logits;
      const zp = pool.input.zeroPoint!;
      ours.forEach((v, i) => {
        const [ch, oy, ox] = [Math.floor(i / 16), Math.floor((i % 16) / 4), i % 4];
        let sum = 0;
        let n = 0;
        for (let y = oy * 2 - 1; y < oy * 2 + 2; y++) for (let x = ox * 2 - 1; x < ox * 2 + 2; x++) if (y >= 0 && y < 7 && x >= 0 && x < 7) (sum += conv2[ch * 49 + y * 7 + x]! - zp), n++;
        // What other tie rules would give (docs/onnx.md): half to even, half down.
        const lo = Math.floor(sum / n);
        const tie = 2 * (sum - lo * n) === n;
        if (tie) allTies++;
        if (zp + (tie ? lo + (lo & 1) : Math.floor((2 * sum + n) / (2 * n))) !== ortPool[i]) evenDiffers++;
        if (zp + (tie ? lo : Math.floor((2 * sum + n) / (2 * n))) !== ortPool[i]) downDiffers++;
        if (v === ortPool[i]) return;
        expect(tie).toBe(true); // an exact tie
        expect(Math.abs(v - ortPool[i]!)).toBe(1);
        ties++;
      });
      // Flatten and MatMul from onnxruntime's pooled values: exact.
      expect(Array.from(runGolden(tail, ortPool).logits)).toEqual(c.output);
      golden.logits.forEach((v, i) => {
        endToEndTotal++;
        if (v === c.output[i]) endToEndEqual++;
        maxDiff = Math.max(maxDiff, Math.abs(v - c.output[i]!));
      });
      if (golden.predicted === c.output.indexOf(Math.max(...c.output))) top1++;
    }
    console.log(
      `smallcnn: ${ties} of ${ref.cases.length * 256} averages (${allTies} ties) rounded the other way by onnxruntime (ties to even: ${evenDiffers}, ties down: ${downDiffers}); ` +
        `end to end ${endToEndEqual}/${endToEndTotal} outputs equal, max |diff| ${maxDiff}, top-1 ${top1}/${ref.cases.length}`,
    );
    expect(evenDiffers).toBeLessThan(ties); // onnxruntime's float average mostly lands on the even side
    // The documented tolerance (docs/onnx.md): ±1 at average-pool ties, what they feed within ±2, the same top-1 class.
    expect(ties).toBeLessThan(ref.cases.length * 256 * 0.07);
    expect(maxDiff).toBeLessThanOrEqual(2);
    expect(top1).toBe(ref.cases.length);
  });

  it('the imported models survive the .sfm format (version 2) unchanged', () => {
    for (const name of ['lenet5-qdq-u8', 'smallcnn-random-qdq-s8']) {
      const { model } = importOnnxFile(`${DIR}/${name}.onnx`);
      const bytes = writeModel(model);
      expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(2);
      expect(readModel(bytes, `${name}.sfm`)).toEqual(model);
    }
  });
});

const lenetOnnx = (): OnnxModel => decodeOnnx(readFileSync(`${DIR}/lenet5-qdq-u8.onnx`));
const withNodes = (m: OnnxModel, edit: (nodes: OnnxNode[]) => OnnxNode[]): Uint8Array => encodeOnnx({ ...m, graph: { ...m.graph!, nodes: edit([...m.graph!.nodes]) } });
const code = (bytes: Uint8Array) => diagnosticOf(() => importOnnx(bytes, { fileName: 'bad.onnx' }));

describe('ONNX QDQ import: bad input is a coded diagnostic', () => {
  it('E190: not protobuf, truncated, no graph, unreadable file', () => {
    const bytes = readFileSync(`${DIR}/lenet5-qdq-u8.onnx`);
    expect(code(new TextEncoder().encode('hello, this is not an onnx file')).code).toBe('E190');
    const truncated = code(bytes.subarray(0, bytes.length - 1000));
    expect(truncated.code).toBe('E190');
    expect(truncated.message).toContain("ONNX file 'bad.onnx'");
    expect(code(new WireWriter().int(1, 7).finish()).message).toContain('no graph');
    expect(diagnosticOf(() => importOnnxFile('test/fixtures/onnx/missing.onnx')).code).toBe('E190');
  });

  it('random byte corruption only ever raises a DiagnosticError', () => {
    const bytes = readFileSync(`${DIR}/smallcnn-random-qdq-s8.onnx`);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(bytes.length), (edits, cut) => {
        const b = Uint8Array.from(bytes.subarray(0, Math.max(1, cut)));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        try {
          importOnnx(b);
        } catch (e) {
          expect((e as Error).name).toBe('DiagnosticError');
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('E191: an unsupported operator names the node; QOperator models get the QDQ hint', () => {
    const d = code(withNodes(lenetOnnx(), (nodes) => nodes.map((n) => (n.name === 'pool1' ? { ...n, opType: 'Sigmoid' } : n))));
    expect(d.code).toBe('E191');
    expect(d.message).toContain("Node 'pool1' (Sigmoid)");
    const q = code(withNodes(lenetOnnx(), (nodes) => nodes.map((n) => (n.name === 'conv1' ? { ...n, opType: 'QLinearConv' } : n))));
    expect(q.message).toContain('QDQ form');
  });

  it('E192: a float model, and a layer output left unquantized', () => {
    const m = lenetOnnx();
    const float: OnnxModel = {
      ...m,
      graph: {
        ...m.graph!,
        nodes: [{ name: 'conv', opType: 'Conv', domain: '', inputs: ['input', 'w'], outputs: ['output'], attributes: [] }],
        initializers: [{ name: 'w', dims: [2, 1, 3, 3], dataType: DT.FLOAT, values: Array(18).fill(0.5), external: false }],
      },
    };
    const d = code(encodeOnnx(float));
    expect(d.code).toBe('E192');
    expect(d.message).toContain('float model');
    expect(d.message).toContain('quantize_static');
  });

  it('E193: dynamic shapes and batch > 1', () => {
    const m = lenetOnnx();
    const dyn = encodeOnnx({ ...m, graph: { ...m.graph!, inputs: [{ ...m.graph!.inputs[0]!, shape: ['N', 1, 28, 28] }] } });
    const d = code(dyn);
    expect(d.code).toBe('E193');
    expect(d.message).toContain('[N, 1, 28, 28]');
    expect(d.message).toContain('make_dynamic_shape_fixed');
    expect(code(encodeOnnx({ ...m, graph: { ...m.graph!, inputs: [{ ...m.graph!.inputs[0]!, shape: [4, 1, 28, 28] }] } })).message).toContain('batch 1');
    expect(code(encodeOnnx({ ...m, graph: { ...m.graph!, inputs: [{ ...m.graph!.inputs[0]!, shape: null }] } })).code).toBe('E193');
  });

  it('E194: dilation, non-square kernels, SAME padding, ceil_mode', () => {
    const set = (name: string, attr: { name: string; type: number; ints?: number[]; i?: number; s?: string }) =>
      code(withNodes(lenetOnnx(), (nodes) => nodes.map((n) => (n.name === name ? { ...n, attributes: [...n.attributes.filter((a) => a.name !== attr.name), attr] } : n))));
    expect(set('conv1', { name: 'dilations', type: 7, ints: [2, 2] }).message).toContain("'dilations'");
    expect(set('pool1', { name: 'ceil_mode', type: 2, i: 1 }).code).toBe('E194');
    expect(set('conv1', { name: 'auto_pad', type: 3, s: 'SAME_UPPER' }).message).toContain("'SAME_UPPER'");
    expect(set('pool1', { name: 'kernel_shape', type: 7, ints: [2, 3] }).message).toContain('square');
  });

  it('E195: asymmetric weights and a pooling output quantized differently from its input', () => {
    const m = lenetOnnx();
    const zp = m.graph!.initializers.map((t) => (t.name === 'conv1.weight_zero_point' ? { ...t, values: t.values!.map(() => 3) } : t));
    const d = code(encodeOnnx({ ...m, graph: { ...m.graph!, initializers: zp } }));
    expect(d.code).toBe('E195');
    expect(d.message).toContain('symmetric');
    const scale = m.graph!.initializers.map((t) => (t.name === 'pool1.out_scale' ? { ...t, values: [t.values![0]! * 2] } : t));
    expect(code(encodeOnnx({ ...m, graph: { ...m.graph!, initializers: scale } })).code).toBe('E195');
  });

  it('E196: a branching graph', () => {
    const d = code(withNodes(lenetOnnx(), (nodes) => [...nodes, { name: 'spy', opType: 'Relu', domain: '', inputs: ['pool1.out_DequantizeLinear_Output'], outputs: ['spy_out'], attributes: [] }]));
    expect(d.code).toBe('E196');
    expect(d.message).toContain('read by 2 nodes');
  });
});

describe('protobuf wire format', () => {
  it('decodes what it encodes (varints of any width, floats, nested messages)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), { maxLength: 20 }), (pairs) => {
        const w = new WireWriter();
        for (const [num, v] of pairs) w.int(num, v);
        const fields = decodeFields(w.finish());
        expect(fields.map((f) => [f.num, f.wire === 0 ? BigInt.asIntN(64, f.value) : null])).toEqual(pairs.map(([n, v]) => [n, v]));
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it('re-encoding a decoded fixture gives a model that imports to the same result', () => {
    const bytes = readFileSync(`${DIR}/smallcnn-random-qdq-s8.onnx`);
    const again = encodeOnnx(decodeOnnx(bytes));
    expect(importOnnx(again, { fileName: 'x.onnx' }).model).toEqual(importOnnx(bytes, { fileName: 'x.onnx' }).model);
  });
});
