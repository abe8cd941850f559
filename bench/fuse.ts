// Fused-layer benchmark (issue 13 item 4; docs/fusion.md): Alwani et al. (MICRO 2016) on the VGG-16 prefix at
// 224×224 — off-chip feature-map bytes per image layer by layer and fused, for their on-chip budget (362 KB) and
// a sweep — and LeNet-5 / the zoo CIFAR CNN fused vs layer by layer on the RTL.
//
// VGG: the planner compiles every candidate group (accel/fuse/plan.ts) with the activation-buffer limits lifted
// (--no-machine-limits: a fused VGG group's line buffers need more than `large`'s activation buffers; bench/fuse-vgg.ts
// runs them on the RTL of a larger one), so its bytes are the LOAD/STORE sizes of the compiled fused program; the layer-by-layer
// figures are those of the streaming compiler's program on `large` (what bench:vgg runs on the RTL) and the ideal
// (every map read and written exactly once). LeNet-5 and the CIFAR CNN run on the RTL both ways, bit-exact.
//
//   npm run bench:fuse -- [--json] [--skip-rtl]
import { parseArgs } from 'node:util';
import { PRESETS } from '../accel/config.js';
import { planStages } from '../accel/compiler/stages.js';
import { exploreFusion } from '../accel/fuse/explore.js';
import { runFused } from '../accel/fuse/run.js';
import { randomInputs } from '../accel/inputs.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';
import { accelGeometry } from '../gen/accel/config.js';

const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, 'skip-rtl': { type: 'boolean', default: false } } });
const KB = 1000;
/** Alwani et al.'s on-chip storage for the fused VGGNet-E prefix, and their traffic (32-bit floats). */
const ALWANI = { onChipBytes: 362 * KB, layerByLayerMB: 77, fusedMB: 3.6 };

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = (x: number): string => `${(x / 1e6).toFixed(2)} MB`;
const log = (s: string): void => {
  if (!values.json) console.log(s);
};

// ---- VGG-16 prefix ----
const vgg = readModelFile('models/vgg16-prefix224-random-int8.sfm');
const large = PRESETS.large!;
const g = accelGeometry(large, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
const stages = planStages(vgg);
// Ideal layer by layer: every stage reads its input map and writes its output map once (int8: one byte per element).
const idealRead = stages.reduce((s, st) => s + st.inS.c * st.inS.h * st.inS.w, 0);
const idealWritten = stages.reduce((s, st) => s + st.outS.c * st.outS.h * st.outS.w, 0);
const t0 = performance.now();
const budgets = [16 * 1024, 32 * 1024, 64 * 1024, 90_500, 128 * 1024, 256 * 1024, ALWANI.onChipBytes, 512 * 1024, 1024 * 1024];
const sweep = exploreFusion({ model: vgg, geometry: g, configName: large.name, budgets, machine: false });
const vggSeconds = (performance.now() - t0) / 1000;
const fm = (t: { fmRead: number; fmWritten: number }): number => t.fmRead + t.fmWritten;
const alwaniPoint = sweep.points.find((p) => p.budget === ALWANI.onChipBytes)!;
log(`VGG-16 prefix (${stages.map((s) => (s.fused ? `${s.name}+${s.fused}` : s.name)).join(', ')}) at 224×224, int8, planner on '${large.name}' without activation-buffer limits (${vggSeconds.toFixed(1)} s)`);
log(`  layer by layer, ideal (each map read and written once): ${mb(idealRead + idealWritten)} (${mb(idealRead)} read, ${mb(idealWritten)} written)`);
log(`  layer by layer, streaming compiler on '${large.name}': feature maps ${mb(fm(sweep.layerByLayer))} (${mb(sweep.layerByLayer.fmRead)} read, ${mb(sweep.layerByLayer.fmWritten)} written), weights ${mb(sweep.layerByLayer.weightRead)}`);
log('  budget        on-chip B   feature maps      weights   groups (T = tile rows of the last layer)');
for (const p of sweep.points)
  log(`  ${int(p.budget ?? 0).padStart(9)}  ${int(p.onChipBytes).padStart(11)}  ${mb(fm(p.traffic)).padStart(13)}  ${mb(p.traffic.weightRead).padStart(11)}   ${p.groups.map((q) => `${q.name} T=${q.tileRows}`).join(', ') || 'none'}`);
// The same sweep for the machine with ring addressing (no mirror rows: smaller rings, the input read once).
const ringSweep = exploreFusion({ model: vgg, geometry: accelGeometry({ ...large, ringAddressing: true }, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 }), configName: `${large.name}+ring`, budgets, machine: false });
log('  with ring addressing (ringAddressing=true):');
for (const p of ringSweep.points)
  log(`  ${int(p.budget ?? 0).padStart(9)}  ${int(p.onChipBytes).padStart(11)}  ${mb(fm(p.traffic)).padStart(13)}  ${mb(p.traffic.weightRead).padStart(11)}   ${p.groups.map((q) => `${q.name} T=${q.tileRows}`).join(', ') || 'none'}`);
log(`  at Alwani's ${int(ALWANI.onChipBytes)} B: feature maps ${mb(fm(alwaniPoint.traffic))} vs ideal layer by layer ${mb(idealRead + idealWritten)} (${(100 * (fm(alwaniPoint.traffic) / (idealRead + idealWritten) - 1)).toFixed(1)}%); Alwani et al. (fp32, + conv3_1): ${ALWANI.layerByLayerMB} MB → ${ALWANI.fusedMB} MB (−95%)`);

// ---- LeNet-5 and the CIFAR CNN on the RTL ----
const rtl: Record<string, unknown>[] = [];
if (!values['skip-rtl']) {
  const lenet = readModelFile('models/lenet5-mnist-int8.sfm');
  const cifar = readModelFile('models/cifar10-cnn-random-int8.sfm');
  for (const [model, preset, images] of [
    [lenet, 'tiny', testImages(4)],
    [lenet, 'default', testImages(4)],
    [cifar, 'default', randomInputs(cifar, 2, 1)],
  ] as const)
  for (const ring of [false, true]) {
    // ring: the machine with ring addressing (config ringAddressing): line buffers wrap in place, no mirror rows.
    const config = { ...PRESETS[preset]!, ...(ring ? { ringAddressing: true } : {}) };
    const t1 = performance.now();
    const r = runFused({ model, config, images, fuse: 'auto' });
    const seconds = (performance.now() - t1) / 1000;
    const row = {
      model: model.name,
      config: preset,
      ringAddressing: ring,
      images: images.length,
      groups: r.plan.groups.map((p) => ({ name: p.name, tileRows: p.tileRows, onChipBytes: p.onChipBytes })),
      bitExact: r.fused.goldenMismatches === 0 && r.layerByLayer.goldenMismatches === 0,
      fused: { fmBytes: fm(r.fused.traffic), weightBytes: r.fused.traffic.weightRead, cycles: r.fused.cyclesPerImage, energyUJ: r.fused.energyPJ / 1e6 },
      layerByLayer: { fmBytes: fm(r.layerByLayer.traffic), weightBytes: r.layerByLayer.traffic.weightRead, cycles: r.layerByLayer.cyclesPerImage, energyUJ: r.layerByLayer.energyPJ / 1e6 },
      seconds,
    };
    rtl.push(row);
    log(`${model.name} on '${preset}'${ring ? ' with ring addressing' : ''} (${images.length} images, RTL, ${seconds.toFixed(1)} s): ${row.groups.map((q) => `${q.name} T=${q.tileRows} (${int(q.onChipBytes)} B on chip)`).join(', ') || 'no group'}; bit-exact both ways: ${row.bitExact ? 'yes' : 'NO'}`);
    log(`  feature maps ${int(row.fused.fmBytes)} B fused vs ${int(row.layerByLayer.fmBytes)} B layer by layer; weights ${int(row.fused.weightBytes)} vs ${int(row.layerByLayer.weightBytes)} B; cycles ${int(row.fused.cycles)} vs ${int(row.layerByLayer.cycles)}; energy ${row.fused.energyUJ.toFixed(3)} vs ${row.layerByLayer.energyUJ.toFixed(3)} µJ`);
  }
}
if (values.json) console.log(JSON.stringify({ vgg: { seconds: vggSeconds, idealRead, idealWritten, alwani: ALWANI, sweep, ringSweep }, rtl }, null, 2));
process.exitCode = rtl.every((r) => r.bitExact) ? 0 : 1;
