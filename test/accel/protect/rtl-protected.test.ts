// Protected LeNet-5 models on the accelerator RTL with its correction unit: logits bit-identical to the golden
// model (and so to the unprotected model) on held-out digits for every scheme; the compiled program equals the
// interpreter; a protected model on a machine without the matching unit is E163.
import { describe, expect, it } from 'vitest';
import { compile, inputToDram, readOutput } from '../../../accel/compiler.js';
import { resolveConfig } from '../../../accel/config.js';
import { runGolden } from '../../../accel/golden.js';
import { interpret } from '../../../accel/interpret.js';
import { testImages } from '../../../accel/mnist.js';
import { logicalChannels, readModelFile, type Model } from '../../../accel/model.js';
import { protectModel, SCHEMES, type RankedNeuron } from '../../../accel/protect/transform.js';
import { runModelImage } from '../../../accel/run.js';
import { DiagnosticError } from '../../../hdl/diagnostics.js';

const base = readModelFile('models/lenet5-mnist-int8.sfm');

function ranking(m: Model): RankedNeuron[] {
  return m.layers.flatMap((l) => (l.kind === 'conv2d' || l.kind === 'fc' ? Array.from({ length: logicalChannels(l) }, (_, channel) => ({ layer: l.name, channel, nvf: ((channel * 40503 + l.name.length) % 257) / 257 })) : []));
}

describe('protected models on the RTL', () => {
  const digits = testImages(6);
  it.each(SCHEMES.flatMap((scheme) => ['tiny', 'default'].map((preset) => ({ scheme, preset }))))('$scheme on $preset: RTL logits equal the golden model', ({ scheme, preset }) => {
    const { model } = protectModel(base, { scheme, ratio: 0.2, ranking: ranking(base) });
    const config = resolveConfig({ config: preset, set: [`protection=${scheme}`] });
    const compiled = compile(model, config);
    expect(compiled.program.some((i) => i.op === 'POST' && i.lcu === 1)).toBe(true);
    for (const d of digits.slice(0, preset === 'tiny' ? 2 : 4)) {
      const want = runGolden(base, d.image).logits;
      expect(Array.from(runGolden(model, d.image).logits)).toEqual(Array.from(want));
      const interp = interpret(config, { ...compiled, dram: inputToDram(compiled, d.image) });
      expect(Array.from(readOutput(compiled, interp.dram))).toEqual(Array.from(want));
      const run = runModelImage(config, compiled, d.image);
      expect(run.done).toBe(true);
      expect(Array.from(run.logits)).toEqual(Array.from(want));
      expect(run.lcuEvents).toBe(0);
    }
  });

  it('a protected model needs a machine with its correction unit (E163)', () => {
    const { model } = protectModel(base, { scheme: 'tmr', ratio: 0.1, ranking: ranking(base) });
    for (const set of [[], ['protection=split']]) {
      let code = 'none';
      try {
        compile(model, resolveConfig({ config: 'tiny', set }));
      } catch (e) {
        code = e instanceof DiagnosticError ? e.diagnostics[0]!.code : String(e);
      }
      expect(code).toBe('E163');
    }
  });
});
