// accel/run.ts: one model inference on the RTL (compiled simulator), with per-layer cycle charges.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../accel/config.js';
import { compile, inputToDram } from '../../accel/compiler.js';
import { runGolden } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModel } from '../../accel/model.js';
import { runModelImage, runOnRtl } from '../../accel/run.js';

const model = readModel(readFileSync(new URL('../../models/lenet5-mnist-int8.sfm', import.meta.url)), 'models/lenet5-mnist-int8.sfm');

describe('runModelImage', () => {
  it('returns the golden logits and class, and layer charges that partition the run', () => {
    const config = PRESETS.tiny!;
    const compiled = compile(model, config);
    for (const { image } of testImages(2)) {
      const run = runModelImage(config, compiled, image);
      const golden = runGolden(model, image);
      expect(run.done).toBe(true);
      expect(run.fault).toBe(false);
      expect(Array.from(run.logits)).toEqual(Array.from(golden.logits));
      expect(run.predicted).toBe(golden.predicted);
      expect(run.layerCycles).toHaveLength(compiled.layers.length);
      expect(run.layerCycles.reduce((a, b) => a + b, 0)).toBe(run.cycles);
      for (const c of run.layerCycles) expect(c).toBeGreaterThan(0);
      // The same program through the generic runner takes the same cycles and counts the same events.
      const plain = runOnRtl(config, compiled.sizes, { ...compiled, dram: inputToDram(compiled, image) }, { maxCycles: 1_000_000 });
      expect(plain.cycles).toBe(run.cycles);
      expect(plain.counters).toEqual(run.counters);
    }
  }, 120_000);

  it('stops at maxCycles without done', () => {
    const config = PRESETS.tiny!;
    const compiled = compile(model, config);
    const run = runModelImage(config, compiled, testImages(1)[0]!.image, { maxCycles: 500 });
    expect(run.done).toBe(false);
    expect(run.cycles).toBe(500);
    expect(run.layerCycles.reduce((a, b) => a + b, 0)).toBe(500);
  });
});
