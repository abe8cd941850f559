// The tools around a compiled model work for streamed models too (accel/compiler/stream.ts: feature maps in DRAM,
// zero points, pools of their own): a whole inference co-simulated in Verilator cycle for cycle, the exported
// self-checking testbench in Icarus (an output map with row padding, a non-MNIST input), and fault injection
// (golden runs read the logits from the output map).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../accel/compiler.js';
import { PRESETS } from '../../accel/config.js';
import { cosimAccel } from '../../accel/cosim-accel.js';
import { exportAccelerator, modelInput, modelInputs, runExportedTestbench } from '../../accel/export.js';
import { createInjector } from '../../accel/fault/inject.js';
import { runGolden } from '../../accel/golden.js';
import { readModelFile, type Model } from '../../accel/model.js';
import { importOnnxFile } from '../../accel/onnx/import.js';

const tiny = PRESETS.tiny!;
const smallcnn = (): Model => importOnnxFile('test/fixtures/onnx/smallcnn-random-qdq-s8.onnx').model;

/** The small ONNX CNN cut after its average pool: the output is a 6×4×4 map with row padding in DRAM. */
const pooledMap = (): Model => {
  const m = smallcnn();
  return { ...m, name: 'smallcnn-to-pool2', layers: m.layers.slice(0, 4) };
};

describe('streamed models in the tools', () => {
  it('co-simulates a whole inference of the small ONNX CNN (zero points, padding, stride 2, average pool) on tiny in Verilator: 0 mismatches', { timeout: 600_000 }, async () => {
    const report = await cosimAccel({ model: smallcnn(), config: tiny, images: 1 });
    expect(report.result.mismatches).toBe(0);
    expect(report.images[0]!.logitsMatchGolden).toBe(true);
    expect(report.cyclesPerImage).toBeGreaterThan(1000);
  });

  it('exports a self-checking testbench that PASSes in Icarus for a model whose output is a padded map and for a non-MNIST input', { timeout: 600_000 }, async () => {
    const model = pooledMap();
    const config = PRESETS.default!;
    const compiled = compile(model, config);
    expect(compiled.outputLayout!.pitch).toBeGreaterThan(compiled.outputLayout!.w); // rows padded to whole words
    const dir = mkdtempSync(path.join(tmpdir(), 'splitfuse-stream-export-'));
    const manifest = exportAccelerator({ model, config, outDir: dir });
    expect(manifest.expected.logits).toEqual(Array.from(runGolden(model, modelInput(model, 0).image).logits));
    const run = await runExportedTestbench({ dir, simulator: 'icarus' });
    expect(run.output).toContain(`PASS class=${manifest.expected.class} cycles=${manifest.expected.cycles}`);
    expect(run.passed).toBe(true);
    // The CIFAR-sized zoo CNN takes seeded random inputs (accel/inputs.ts, seed 1) instead of MNIST digits.
    const cifar = readModelFile('models/cifar10-cnn-random-int8.sfm');
    const input = modelInput(cifar, 3);
    expect([input.index, input.label, input.image.length]).toEqual([3, -1, 3 * 32 * 32]);
    expect(Array.from(modelInputs(cifar, 4)[3]!.image)).toEqual(Array.from(input.image));
  });

  it('fault injection: golden runs of a streamed model read its logits from the output map, equal to the golden model', () => {
    const model = pooledMap();
    const images = modelInputs(model, 2);
    const injector = createInjector({ model, config: tiny, images, snapshotInterval: 0 });
    images.forEach((im, i) => expect(Array.from(injector.golden(i).logits)).toEqual(Array.from(runGolden(model, im.image).logits)));
  });
});
