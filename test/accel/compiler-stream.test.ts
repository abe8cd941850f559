// accel/compiler/stream.ts: models the on-chip schedule cannot map (format-version-2 padding, strides, any
// kernel; feature maps or weights larger than the buffers) run with every feature map in DRAM, bit-exactly
// against the golden model, on the ISA interpreter and on the RTL (compiled simulator).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../accel/config.js';
import { compile, inputToDram, readOutput } from '../../accel/compiler.js';
import { mapIndex } from '../../accel/compiler/stream.js';
import { runGolden } from '../../accel/golden.js';
import { randomInputs } from '../../accel/inputs.js';
import { interpret } from '../../accel/interpret.js';
import { LCU, logicalChannels, readModel, type Model } from '../../accel/model.js';
import { protectModel } from '../../accel/protect/transform.js';
import { importOnnxFile } from '../../accel/onnx/import.js';
import { runModelImage } from '../../accel/run.js';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { arbModelPlanV2, buildModelV2 } from './random-model-v2.js';

const tiny = PRESETS.tiny!;
const zoo = (file: string): Model => readModel(readFileSync(new URL(`../../models/${file}`, import.meta.url)), `models/${file}`);

function expectBitExact(model: Model, config: AccelHardwareConfig, inputs: number, seed: number, rtl: boolean): void {
  const c = compile(model, config);
  for (const { image } of randomInputs(model, inputs, seed)) {
    const want = Array.from(runGolden(model, image, { accWidth: config.accWidth }).logits);
    expect(Array.from(readOutput(c, interpret(config, { ...c, dram: inputToDram(c, image) }).dram)), `${model.name} interpreter`).toEqual(want);
    if (rtl) {
      const run = runModelImage(config, c, image);
      expect([run.done, run.fault], model.name).toEqual([true, false]);
      expect(Array.from(run.logits), `${model.name} RTL`).toEqual(want);
    }
  }
}

describe('streaming compiler', () => {
  it('runs random v2 models (padding, strides, zero points, max/avg pools of any window) bit-exactly (interpreter on 40, RTL on 8 and on two more of each feature), with channel groups and streamed weights on a cramped tiny', () => {
    // 256 activation elements per buffer, 64 wbuf rows, 16 accumulator rows: bands split into channel groups
    // (GEMM acc = 1) and weight blocks reloaded per GEMM in most models.
    const cramped: AccelHardwareConfig = { ...tiny, activationBufferBytes: 512, weightBufferBytes: 4 * 64, accumulatorBufferBytes: 2 * 4 * 4 * 16 };
    let onRtl = 0;
    let grouped = 0;
    let streamedWeights = 0;
    let compiled = 0;
    let avgOnRtl = 0;
    let maxWindowsOnRtl = 0;
    let zeroPointsOnRtl = 0;
    fc.assert(
      fc.property(arbModelPlanV2, fc.integer({ min: 1, max: 1000 }), (plan, seed) => {
        const model = buildModelV2(plan);
        let c: ReturnType<typeof compile>;
        try {
          c = compile(model, cramped);
        } catch (e) {
          expect(String(e)).toMatch(/E142: .* must fit/); // a row or band larger than the cramped buffers
          return;
        }
        compiled++;
        if (c.program.some((i) => i.op === 'GEMM' && i.acc === 1)) grouped++;
        if (c.program.filter((i) => i.op === 'LOAD' && i.buf === 0).length > c.layers.length) streamedWeights++;
        // The RTL runs the first 8 models and every later one with a feature the earlier ones lacked.
        const avg = model.layers.some((l) => l.kind === 'avgpool');
        const window = c.program.some((i) => i.op === 'POST' && (i.window ?? 0) > 0);
        const zp = (model.input.zeroPoint ?? 0) !== 0 || model.layers.some((l) => (l.kind === 'conv2d' || l.kind === 'fc') && (l.outZeroPoint ?? 0) !== 0);
        const rtl = onRtl < 8 || (avg && avgOnRtl < 2) || (window && maxWindowsOnRtl < 2) || (zp && zeroPointsOnRtl < 2);
        if (rtl) [onRtl, avgOnRtl, maxWindowsOnRtl, zeroPointsOnRtl] = [onRtl + 1, avgOnRtl + (avg ? 1 : 0), maxWindowsOnRtl + (window ? 1 : 0), zeroPointsOnRtl + (zp ? 1 : 0)];
        expectBitExact(model, cramped, 1, seed, rtl);
      }),
      { seed: 12, numRuns: 40 },
    );
    expect(Math.min(avgOnRtl, maxWindowsOnRtl, zeroPointsOnRtl)).toBeGreaterThanOrEqual(2);
    expect(compiled).toBeGreaterThanOrEqual(25);
    expect(grouped).toBeGreaterThanOrEqual(3);
    expect(streamedWeights).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('runs a chain of pools bit-exactly on tiny and default RTL: padded 3×3/2 maxpool, padded 2×2/1 average pool (varying n), a maxpool after an average pool, global average pooling', () => {
    const pool = (kind: 'maxpool' | 'avgpool', k: number, stride: number, pad: [number, number, number, number], countIncludePad = false) => ({ kind, k, stride, pad, outC: 0, relu: false, countIncludePad, outZeroPoint: 0 });
    const model = buildModelV2({
      inC: 3,
      side: 16,
      inZeroPoint: -37,
      spatial: [
        { kind: 'conv2d', k: 3, stride: 1, pad: [1, 1, 1, 1], outC: 10, relu: true, countIncludePad: false, outZeroPoint: -128 },
        pool('maxpool', 3, 2, [1, 1, 1, 1]),
        pool('avgpool', 2, 1, [0, 0, 1, 1]),
        pool('maxpool', 2, 2, [0, 0, 0, 0]),
        pool('avgpool', 4, 1, [0, 0, 0, 0]),
      ],
      fcOuts: [{ out: 10, relu: false, outZeroPoint: 5 }],
      seed: 77,
      cMin: 12,
      cMax: 4,
      biasMax: 1000,
    });
    expect(model.layers.map((l) => `${l.kind}${'k' in l ? l.k : ''}`)).toEqual(['conv2d3', 'maxpool3', 'avgpool2', 'maxpool2', 'avgpool4', 'flatten', 'fc']);
    const c = compile(model, tiny);
    expect(c.program.some((i) => i.op === 'POST' && i.window === 2)).toBe(true); // the 3×3 window in 16 rows
    // pmem: 10 channels for each of the six stages, the padded average pool's twice more (n = 4; 2 at the right or bottom; 1 in the corner).
    expect(c.pmem.length).toBe(10 * 8);
    expectBitExact(model, tiny, 2, 21, true);
    expectBitExact(model, PRESETS.default!, 1, 22, true);
  }, 120_000);

  it('runs the CIFAR-10-sized zoo CNN (padding 1, three conv+pool, fc) bit-exactly on tiny and default RTL', () => {
    const model = zoo('cifar10-cnn-random-int8.sfm');
    expectBitExact(model, tiny, 1, 3, true);
    expectBitExact(model, PRESETS.default!, 1, 4, true);
  }, 120_000);

  it('runs both ONNX fixtures (zero points, padding, stride 2, max and average pooling) on tiny and default RTL: logits equal the golden model and onnxruntime within the documented tolerance', () => {
    const fixtures: [string, 'int8' | 'uint8', number][] = [
      ['lenet5-qdq-u8', 'uint8', 0], // bit-exact with onnxruntime (docs/onnx.md)
      ['smallcnn-random-qdq-s8', 'int8', 2], // average-pool ties: ±2 end to end
    ];
    for (const [name, type, tolerance] of fixtures) {
      const { model } = importOnnxFile(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url).pathname);
      const ref = JSON.parse(readFileSync(new URL(`../fixtures/onnx/${name}.reference.json`, import.meta.url), 'utf8')) as { cases: { input: string; output: number[] }[] };
      for (const [config, cases] of [[tiny, [0, 1]], [PRESETS.default!, [2]]] as const) {
        const c = compile(model, config);
        for (const i of cases) {
          const input = Int8Array.from(Buffer.from(ref.cases[i]!.input, 'base64'), (b) => (type === 'uint8' ? b - 128 : (b << 24) >> 24));
          const run = runModelImage(config, c, input);
          expect([run.done, run.fault], name).toEqual([true, false]);
          expect(Array.from(run.logits), `${name} case ${i} RTL vs golden`).toEqual(Array.from(runGolden(model, input).logits));
          const ort = ref.cases[i]!.output.map((v) => (type === 'uint8' ? v - 128 : v));
          run.logits.forEach((v, j) => expect(Math.abs(v - ort[j]!), `${name} case ${i} output ${j} vs onnxruntime`).toBeLessThanOrEqual(tolerance));
        }
      }
    }
  }, 120_000);

  it('lays out padded maps in DRAM with zero padding around word-aligned rows', () => {
    const model = zoo('cifar10-cnn-random-int8.sfm');
    const c = compile(model, tiny);
    const m = c.inputLayout!;
    const P = c.geometry.elemsPerWord;
    expect([m.pt, m.pb, m.lead % P, m.pitch % P]).toEqual([1, 1, 0, 0]);
    expect(m.lead).toBeGreaterThanOrEqual(1);
    // Every STORE starts a row at a word boundary and every DRAM word of a pad position stays zero.
    const image = randomInputs(model, 1, 9)[0]!.image;
    const dram = inputToDram(c, image);
    const lane = (i: number): number => Number((dram[m.word + Math.floor(i / P)]! >> BigInt(8 * (i % P))) & 0xffn);
    for (let ch = 0; ch < m.c; ch++) {
      expect(lane(mapIndex(m, ch, -1, 5))).toBe(0);
      expect(lane(mapIndex(m, ch, 4, -1))).toBe(0);
      expect(lane(mapIndex(m, ch, m.h, 3))).toBe(0);
      expect(lane(mapIndex(m, ch, 2, 7))).toBe(image[(ch * m.h + 2) * m.w + 7]! & 0xff);
    }
  });

  it('runs a duplicated (dup) layer behind a zero point bit-exactly; split and TMR there are E143 naming the layer; a maxpool window over 512 is E143', () => {
    const onnx = importOnnxFile(new URL('../fixtures/onnx/smallcnn-random-qdq-s8.onnx', import.meta.url).pathname).model;
    const ranking = onnx.layers.flatMap((l) => (l.kind === 'conv2d' || l.kind === 'fc' ? Array.from({ length: logicalChannels(l) }, (_, channel) => ({ layer: l.name, channel, nvf: ((channel * 37 + l.name.length) % 11) / 11 })) : []));
    const dup = protectModel(onnx, { scheme: 'dup', ratio: 0.3, ranking }).model;
    expect(dup.layers.some((l) => l.kind === 'conv2d' && l.protection?.lcu.includes(LCU.dup))).toBe(true);
    expectBitExact(dup, { ...tiny, protection: 'dup' }, 1, 5, true);
    for (const scheme of ['split', 'tmr'] as const) {
      const m = protectModel(onnx, { scheme, ratio: 0.3, ranking }).model;
      expect(() => compile(m, { ...tiny, protection: scheme }), scheme).toThrow(/^E143: Input zero point of (split|TMR)-protected layer 'conv1' must be 0 to be compiled \(its correction unit compares raw accumulators\), not -128/);
    }
    const wide: Model = { name: 'wide', input: { shape: [1, 30, 30], scale: 1 }, layers: [{ kind: 'maxpool', name: 'big', k: 23, stride: 1 }] };
    expect(() => compile(wide, tiny)).toThrow(/^E143: Window of maxpool 'big' must have at most 512 positions to be compiled \(the POST engine's pool window\), not 23×23/);
  });
});
