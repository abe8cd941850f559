// Banked activation buffers (issue 14 item 3): what the conflict-free K-tile order (accel/compiler/banks.ts)
// costs. For each model and preset, the K tiles every layer's GEMMs stream (the sum of kTiles over its GEMM
// instructions) with R read copies (activationLayout 'copies': ceil(K/R) per reduction) and banked (the presets),
// and the on-chip memory bits of both accelerators (accel/report.ts onChipBits). Compile-only: no simulation.
//
// With --fuse auto the conv layers go through the fused-layer compiler (accel/fuse/, `splitfuse run --fuse auto`).
//
//   npm run bench:banks -- [--configs tiny,default,large] [--models models/lenet5-mnist-int8.sfm,...] [--fuse auto] [--json]
import { parseArgs } from 'node:util';
import { resolveConfig, type AccelConfig } from '../accel/config.js';
import { compile, type CompiledModel } from '../accel/compiler.js';
import { readModelFile } from '../accel/model.js';
import { onChipBits } from '../accel/report.js';
import { planFusion } from '../accel/fuse/plan.js';
import { accelGeometry } from '../gen/accel/config.js';

/** The configuration with the fusion groups of --fuse (accel/fuse/plan.ts), planned on its own geometry. */
function withFusion(model: ReturnType<typeof readModelFile>, config: AccelConfig): AccelConfig {
  if (values.fuse === 'none') return config;
  const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  return { ...config, fuse: planFusion(model, g, { fuse: values.fuse! }).groups } as AccelConfig;
}

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'tiny,default,large' },
    models: { type: 'string', default: 'models/lenet5-mnist-int8.sfm,models/cifar10-cnn-random-int8.sfm' },
    fuse: { type: 'string', default: 'none' },
    json: { type: 'boolean', default: false },
  },
});

/** K tiles streamed per compiled layer: the sum of kTiles over the layer's GEMMs. */
function kTilesPerLayer(c: CompiledModel): Record<string, number> {
  return Object.fromEntries(
    c.layers.map((l) => [l.name, c.program.slice(l.firstInstr, l.lastInstr + 1).reduce((s, i) => s + (i.op === 'GEMM' ? i.kTiles : 0), 0)]),
  );
}

const rows: { model: string; config: string; layers: Record<string, [number, number]>; bits: [number, number] }[] = [];
for (const file of values.models!.split(',')) {
  const model = readModelFile(file);
  for (const name of values.configs!.split(',')) {
    const banked = withFusion(model, { ...resolveConfig({ config: name, set: [] }), activationLayout: 'banked' });
    const copies = withFusion(model, { ...banked, activationLayout: 'copies' });
    const [cb, cc] = [compile(model, banked), compile(model, copies)];
    const [kb, kc] = [kTilesPerLayer(cb), kTilesPerLayer(cc)];
    rows.push({
      model: model.name,
      config: name,
      layers: Object.fromEntries(Object.keys(kc).map((l) => [l, [kc[l]!, kb[l]!]])),
      bits: [onChipBits(copies, cc.sizes).total, onChipBits(banked, cb.sizes).total],
    });
  }
}

if (values.json) console.log(JSON.stringify(rows, null, 1));
else {
  const int = (n: number): string => n.toLocaleString('en-US');
  console.log('K tiles per layer (sum of GEMM kTiles), read copies -> banked; on-chip bits copies -> banked');
  for (const r of rows) {
    const layers = Object.entries(r.layers).map(([l, [c, b]]) => `${l} ${int(c)}${b === c ? '' : ` -> ${int(b)}`}`);
    const grown = Object.values(r.layers).filter(([c, b]) => b > c).length;
    console.log(`${r.model} on ${r.config}: ${layers.join(', ')}; ${grown === 0 ? 'no layer grows' : `${grown} layer(s) grow`}; bits ${int(r.bits[0])} -> ${int(r.bits[1])} (${((100 * r.bits[1]) / r.bits[0]).toFixed(1)}%)`);
  }
}
