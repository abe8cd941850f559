// The accelerator with each correction unit: lint-clean under verilator -Wall, and a whole protected LeNet-5
// inference on `tiny` in Verilator equal to the compiled simulator on every output in every cycle (the logits
// equal the golden model's: cosimAccel's reference run checks them).
import { describe, expect, it } from 'vitest';
import { compile } from '../../../accel/compiler.js';
import { resolveConfig } from '../../../accel/config.js';
import { cosimAccel } from '../../../accel/cosim-accel.js';
import { logicalChannels, readModelFile, type Model } from '../../../accel/model.js';
import { protectModel, SCHEMES, type RankedNeuron } from '../../../accel/protect/transform.js';
import { accelTop } from '../../../gen/accel/top.js';
import { expectLintClean } from '../../gen/blocks-support.js';

const base = readModelFile('models/lenet5-mnist-int8.sfm');
const BUILD_TIMEOUT = 900_000;

function ranking(m: Model): RankedNeuron[] {
  return m.layers.flatMap((l) => (l.kind === 'conv2d' || l.kind === 'fc' ? Array.from({ length: logicalChannels(l) }, (_, channel) => ({ layer: l.name, channel, nvf: ((channel * 7919 + 3 * l.name.length) % 101) / 101 })) : []));
}

describe('accelerator with a correction unit', () => {
  it.each(SCHEMES)('%s: the accelerator top lints clean', (scheme) => {
    const { model } = protectModel(base, { scheme, ratio: 0.1, ranking: ranking(base) });
    const config = resolveConfig({ config: 'default', set: [`protection=${scheme}`] });
    const compiled = compile(model, config);
    expectLintClean(accelTop(config, compiled.sizes));
  });

  it.each(SCHEMES)('%s: a protected inference on tiny agrees with Verilator in every cycle', { timeout: BUILD_TIMEOUT }, async (scheme) => {
    const { model } = protectModel(base, { scheme, ratio: 0.15, ranking: ranking(base) });
    const config = resolveConfig({ config: 'tiny', set: [`protection=${scheme}`] });
    const report = await cosimAccel({ model, config, images: 1 });
    expect(report.result.mismatches).toBe(0);
    expect(report.images[0]!.logitsMatchGolden).toBe(true);
    expect(report.top).toContain(`_${scheme}`);
  });
});
