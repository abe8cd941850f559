// The VGG-16 prefix fused ON THE RTL (issue 13; docs/fusion.md "VGG-16 prefix on the RTL"): one seeded random
// 224×224 image through models/vgg16-prefix224-random-int8.sfm on `large` with activation buffers big enough for the
// fused line buffers (default 512 KiB, 2^18 elements per buffer: wide GEMM tables, isa.ts) and ring addressing, in
// the compiled RTL simulator, three ways, each checked bit for bit against the golden model:
//   fused, ring addressing   the planner's groups for Alwani et al.'s on-chip budget (362 KB), no mirror rows;
//   fused, mirror rows       the same budget planned for the machine without rings (ringAddressing=false);
//   layer by layer           every map through DRAM (accel/compiler/stream.ts) on the same machine.
// Reports per image: feature-map DRAM bytes (read / written), weight bytes, on-chip line-buffer bytes, cycles and
// energy (the RTL's counters: accel/report.ts), and the RTL's DRAM counters against the programs' LOAD/STORE sizes.
// Several minutes per run (tens of millions of cycles): a benchmark, not a test.
//
//   npm run bench:fuse-vgg -- [--budget 362000|none] [--abuf-bytes 524288] [--seed 1] [--skip-mirror] [--skip-layer-by-layer] [--json]
//   (--budget none: the planner's best groups for the machine, e.g. with --abuf-bytes 1048576 one four-layer group)
import { parseArgs } from 'node:util';
import { PRESETS, type AccelConfig } from '../accel/config.js';
import { compile } from '../accel/compiler.js';
import { fuseGroups, planFusion, programBytes, type FusePlan } from '../accel/fuse/plan.js';
import { randomInputs } from '../accel/inputs.js';
import { readModelFile } from '../accel/model.js';
import { runModel } from '../accel/report.js';
import { accelGeometry } from '../gen/accel/config.js';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '362000' },
    'abuf-bytes': { type: 'string', default: String(512 * 1024) },
    seed: { type: 'string', default: '1' },
    'skip-layer-by-layer': { type: 'boolean', default: false },
    'skip-mirror': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const budget = values.budget === 'none' ? undefined : Number(values.budget);
const model = readModelFile('models/vgg16-prefix224-random-int8.sfm');
const images = randomInputs(model, 1, Number(values.seed));
const base: AccelConfig = { ...PRESETS.large!, name: 'large-fused', activationBufferBytes: Number(values['abuf-bytes']) };
const ALWANI = { onChipBytes: 362_000, layerByLayerMB: 77, fusedMB: 3.6 };
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const log = (s: string): void => {
  if (!values.json) console.log(s);
};

interface Row {
  readonly mode: string;
  readonly groups: string;
  readonly onChipBytes: number;
  readonly fmRead: number;
  readonly fmWritten: number;
  readonly weightBytes: number;
  readonly cycles: number;
  readonly energyUJ: number;
  readonly bitExact: boolean;
  readonly countersMatchProgram: boolean;
  readonly seconds: number;
}

function run(mode: string, config: AccelConfig, plan: FusePlan | null): Row {
  const target = { ...config, fuse: plan ? fuseGroups(plan) : [] };
  const t = performance.now();
  const compiled = compile(model, target);
  const bytes = programBytes(compiled.program, compiled.geometry);
  const report = runModel({ model, config: target, images, profile: false });
  const seconds = (performance.now() - t) / 1000;
  const B = compiled.geometry.wordBits / 8;
  const counters = { rd: report.counters.cnt_dram_rd, wr: report.counters.cnt_dram_wr };
  const row: Row = {
    mode,
    groups: plan ? plan.groups.map((p) => `${p.name} (T=${p.tileRows})`).join(', ') : 'none',
    onChipBytes: plan ? Math.max(0, ...plan.groups.map((p) => p.onChipBytes)) : 0,
    fmRead: bytes.read,
    fmWritten: bytes.written,
    weightBytes: bytes.weights,
    cycles: report.cyclesPerImage,
    energyUJ: report.energyPJ / 1e6,
    bitExact: report.goldenMismatches === 0,
    countersMatchProgram: counters.rd * B === bytes.read + bytes.weights && counters.wr * B === bytes.written,
    seconds,
  };
  log(`  ${mode}: ${row.groups}; ${int(row.cycles)} cycles in ${seconds.toFixed(0)} s; bit-exact ${row.bitExact ? 'yes' : 'NO'}; RTL DRAM counters = program ${row.countersMatchProgram ? 'yes' : 'NO'}`);
  return row;
}

const probe = (c: AccelConfig) => accelGeometry(c, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
const ringConfig: AccelConfig = { ...base, ringAddressing: true };
log(`VGG-16 prefix at 224×224 on '${base.name}' (large, ${int(base.activationBufferBytes)} B activation buffers), one random image (seed ${values.seed}), RTL in the compiled simulator; budget ${budget === undefined ? 'none' : `${int(budget)} B`}`);
const rows: Row[] = [];
const within = budget === undefined ? {} : { bufferBytes: budget };
rows.push(run('fused, ring addressing', ringConfig, planFusion(model, probe(ringConfig), { fuse: 'auto', ...within })));
if (!values['skip-mirror']) rows.push(run('fused, mirror rows', base, planFusion(model, probe(base), { fuse: 'auto', ...within })));
if (!values['skip-layer-by-layer']) rows.push(run('layer by layer', base, null));

const mb = (x: number): string => (x / 1e6).toFixed(2);
log('');
log('| per image | groups (T) | on chip B | feature maps DRAM MB (read / written) | weights MB | cycles | energy µJ | bit-exact |');
log('| --- | --- | --- | --- | --- | --- | --- | --- |');
log(`| Alwani et al., layer by layer (fp32) | — | — | ${ALWANI.layerByLayerMB} | — | — | — | — |`);
log(`| Alwani et al., fused (fp32) | — | ${int(ALWANI.onChipBytes)} | ${ALWANI.fusedMB} | — | — | — | — |`);
for (const r of rows) log(`| ${r.mode} | ${r.groups} | ${int(r.onChipBytes)} | ${mb(r.fmRead + r.fmWritten)} (${mb(r.fmRead)} / ${mb(r.fmWritten)}) | ${mb(r.weightBytes)} | ${int(r.cycles)} | ${r.energyUJ.toFixed(1)} | ${r.bitExact ? 'yes' : 'NO'} |`);
if (values.json) console.log(JSON.stringify({ config: base, budget, alwani: ALWANI, rows }, null, 2));
process.exitCode = rows.every((r) => r.bitExact && r.countersMatchProgram) ? 0 : 1;
