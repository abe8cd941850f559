// Protection-comparison benchmark (issue 11): the comparison of 4 schemes × 3 ratios × 1,000 SEUs on LeNet-5 /
// default must finish in under 15 minutes on a 2-core machine. Prints the measured wall-clock time of each
// phase (NVF analysis, the comparison), injections per second, and the time side by side with the target
// and the ratio. The comparison's own table follows (the numbers docs/protection.md quotes).
//
//   npm run bench:protect -- [--config default] [--samples 1000] [--ratios 0.05,0.1,0.2] [--sites neurons] [--fault seu] [--images 20] [--seed 1] [--json]
import { parseArgs } from 'node:util';
import { resolveConfig } from '../accel/config.js';
import { FAULT_MODELS, type FaultModel } from '../accel/fault/types.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';
import { compareSchemes } from '../accel/protect/compare.js';
import { compareText } from '../accel/protect/compare-report.js';
import { computeNvf } from '../accel/protect/nvf.js';

const TARGET_SECONDS = 15 * 60;

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'default' },
    samples: { type: 'string', default: '1000' },
    ratios: { type: 'string', default: '0.05,0.1,0.2' },
    sites: { type: 'string', default: 'neurons' },
    fault: { type: 'string', default: 'seu' },
    images: { type: 'string', default: '20' },
    'nvf-images': { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const fault = values.fault as FaultModel;
if (!FAULT_MODELS.includes(fault)) throw new Error(`--fault must be one of ${FAULT_MODELS.join(', ')}, not ${values.fault}`);
const model = readModelFile('models/lenet5-mnist-int8.sfm');
const config = resolveConfig({ config: values.config! });
const seed = Number(values.seed);

let t = performance.now();
const nvf = computeNvf(model, testImages(Number(values['nvf-images'])), { seed, accWidth: config.accWidth });
const nvfSeconds = (performance.now() - t) / 1000;
t = performance.now();
const report = await compareSchemes({
  model,
  config,
  schemes: ['none', 'dup', 'tmr', 'split'],
  ratios: values.ratios!.split(',').map(Number),
  sites: values.sites!,
  fault,
  samples: Number(values.samples),
  seed,
  digits: testImages(Number(values.images)),
  nvf,
});
const compareSeconds = (performance.now() - t) / 1000;
const total = nvfSeconds + compareSeconds;
const injections = report.samples * report.variants.length;
if (values.json) {
  console.log(JSON.stringify({ nvfSeconds, compareSeconds, totalSeconds: total, targetSeconds: TARGET_SECONDS, ratio: total / TARGET_SECONDS, injections, injectionsPerSecond: injections / compareSeconds, report }, null, 2));
} else {
  console.log(`protect benchmark: LeNet-5 on '${config.name}', ${report.variants.length} variants × ${report.samples} ${fault} faults (${values.sites}), ${report.images} digits`);
  console.log(`  NVF analysis (${values['nvf-images']} digits)  ${nvfSeconds.toFixed(1)} s`);
  console.log(`  comparison                 ${compareSeconds.toFixed(1)} s  (${injections.toLocaleString('en-US')} injections, ${(injections / compareSeconds).toFixed(1)}/s, fault-free runs and golden snapshots included)`);
  console.log(`  total                      ${total.toFixed(1)} s   target < ${TARGET_SECONDS} s   ratio ${(total / TARGET_SECONDS).toFixed(3)} of the target`);
  console.log();
  console.log(compareText(report));
}
