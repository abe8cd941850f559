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
import { readModel, type Model } from '../../accel/model.js';
import { importOnnxFile } from '../../accel/onnx/import.js';
import { runModelImage } from '../../accel/run.js';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { arbModelPlanV2, buildModelV2, type ModelPlanV2 } from './random-model-v2.js';

const tiny = PRESETS.tiny!;
const zoo = (file: string): Model => readModel(readFileSync(new URL(`../../models/${file}`, import.meta.url)), `models/${file}`);

/** Plans the streaming compiler maps: zero points 0, conv layers and 2×2/2 unpadded pools right after a conv. */
const mappable = (plan: ModelPlanV2): ModelPlanV2 => {
  const spatial = plan.spatial
    .map((l) => ({ ...l, outZeroPoint: 0, kind: l.kind === 'avgpool' ? ('conv2d' as const) : l.kind }))
    .map((l, i, all) => (l.kind === 'maxpool' ? (i > 0 && all[i - 1]!.kind === 'conv2d' ? { ...l, k: 2, stride: 2, pad: [0, 0, 0, 0] as const } : { ...l, kind: 'conv2d' as const }) : l));
  return { ...plan, inZeroPoint: 0, spatial, fcOuts: plan.fcOuts.map((f) => ({ ...f, outZeroPoint: 0 })) };
};

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
  it('runs random padded/strided v2 models bit-exactly (interpreter on 40, RTL on 8), with channel groups and streamed weights on a cramped tiny', () => {
    // 256 activation elements per buffer, 64 wbuf rows, 16 accumulator rows: bands split into channel groups
    // (GEMM acc = 1) and weight blocks reloaded per GEMM in most models.
    const cramped: AccelHardwareConfig = { ...tiny, activationBufferBytes: 512, weightBufferBytes: 4 * 64, accumulatorBufferBytes: 2 * 4 * 4 * 16 };
    let onRtl = 0;
    let grouped = 0;
    let streamedWeights = 0;
    let compiled = 0;
    fc.assert(
      fc.property(arbModelPlanV2.map(mappable), fc.integer({ min: 1, max: 1000 }), (plan, seed) => {
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
        expectBitExact(model, cramped, 1, seed, onRtl++ < 8);
      }),
      { seed: 12, numRuns: 40 },
    );
    expect(compiled).toBeGreaterThanOrEqual(25);
    expect(grouped).toBeGreaterThanOrEqual(3);
    expect(streamedWeights).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('runs the CIFAR-10-sized zoo CNN (padding 1, three conv+pool, fc) bit-exactly on tiny and default RTL', () => {
    const model = zoo('cifar10-cnn-random-int8.sfm');
    expectBitExact(model, tiny, 1, 3, true);
    expectBitExact(model, PRESETS.default!, 1, 4, true);
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

  it('rejects layers without hardware with E143 naming the layer: zero points, a pool on its own, average pooling', () => {
    const lenet = importOnnxFile(new URL('../fixtures/onnx/lenet5-qdq-u8.onnx', import.meta.url).pathname).model;
    expect(() => compile(lenet, tiny)).toThrow(/^E143: (Input|Output) zero point of (model|layer) '.*' must be 0 to be compiled, not -?\d+/);
    const cifar = zoo('cifar10-cnn-random-int8.sfm');
    const avg = { ...cifar, layers: cifar.layers.map((l) => (l.name === 'pool3' ? { kind: 'avgpool' as const, name: 'pool3', k: 2, stride: 2, countIncludePad: false } : l)) };
    expect(() => compile(avg, tiny)).toThrow(/^E143: Layer 'pool3' must be conv2d, fc, flatten or a fused 2×2 maxpool to be compiled, not avgpool/);
  });
});
