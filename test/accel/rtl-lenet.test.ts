// End to end on the RTL: the committed LeNet-5 model, compiled for a preset, runs on the generated
// accelerator (gen/accel, compiled cycle-accurate simulator) and leaves in DRAM exactly the logits the
// bit-exact golden model computes, digit by digit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../accel/config.js';
import { compile, inputToDram, readOutput } from '../../accel/compiler.js';
import { runGolden } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModel } from '../../accel/model.js';
import { runOnRtl } from '../support/accel-programs.js';

const model = readModel(readFileSync(new URL('../../models/lenet5-mnist-int8.sfm', import.meta.url)), 'models/lenet5-mnist-int8.sfm');

describe('LeNet-5 on the accelerator RTL', () => {
  it.each(['tiny', 'default'])('%s: the RTL logits equal the golden model on 3 test digits', (preset) => {
    const config = PRESETS[preset]!;
    const compiled = compile(model, config);
    const cycles = new Set<number>();
    for (const { image } of testImages(3)) {
      const run = runOnRtl(config, compiled.sizes, { ...compiled, dram: inputToDram(compiled, image) }, { maxCycles: 1_000_000 });
      expect(run.fault).toBe(false);
      expect(run.done).toBe(true);
      expect(Array.from(readOutput(compiled, run.dram))).toEqual(Array.from(runGolden(model, image).logits));
      expect(run.counters.cnt_macs).toBeGreaterThanOrEqual(281_640); // padded rows and columns count too
      cycles.add(run.cycles);
    }
    // The schedule does not depend on the data.
    expect(cycles.size).toBe(1);
  }, 120_000);
});
