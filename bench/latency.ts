// Latency benchmark (issue 14): LeNet-5 on each preset, run on the RTL in the compiled simulator and
// checked bit for bit against the golden model. Prints, per configuration, measured figures beside the
// issue's targets:
//   batch 1     cycles per image of the single-image program from power-on (cold: weights LOADed every run),
//               and of the steady batch-1 stream (warm: weights resident on chip, each image's input prefetched
//               during the previous one: `splitfuse run --batch 1`; and with `--no-prefetch`, each run LOADing its
//               own input first) vs ideal = ceil(MACs / (R·C)); target on default: <= 5,500 (checked on the
//               prefetching stream)
//   batch B     the steady state of `splitfuse run --images 3B --batch B` (B = 8, or the largest batch whose maps
//               fit the activation buffers): cycles per image of the third batch (resident weights, inputs
//               prefetched during the second) vs ideal; target: within 15% of ideal
//   DRAM        bytes per image, batch 1 (cold) vs the steady batch; target: >= 10× fewer
//   on-chip     memory bits of the generated accelerator (accel/report.ts onChipBits), the activation
//               buffers' share; target (issue 14 item 3): half the bits of the R-copy design
//
//   npm run bench:latency -- [--configs tiny,default,large] [--batch 8] [--json]
import { parseArgs } from 'node:util';
import { resolveConfig } from '../accel/config.js';
import { compile } from '../accel/compiler.js';
import { modelMacs } from '../accel/golden.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';
import { onChipBits, runModel, type ModelReport } from '../accel/report.js';
import { DiagnosticError } from '../hdl/diagnostics.js';

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'tiny,default,large' },
    batch: { type: 'string', default: '8' },
    model: { type: 'string', default: 'models/lenet5-mnist-int8.sfm' },
    json: { type: 'boolean', default: false },
  },
});

const TARGETS = { batch1Default: 5_500, batchOverIdeal: 0.15, dramReduction: 10, onChipFraction: 0.5 } as const;
const model = readModelFile(values.model!);
const wantBatch = Number(values.batch);

interface Row {
  readonly config: string;
  readonly ideal: number;
  readonly batch1: { cycles: number; dramBytes: number; bitExact: boolean; steady: number | null; steadyNoPrefetch: number | null; prefetch: boolean };
  readonly batched: { batch: number; cycles: number; dramBytes: number; residentWeights: boolean; bitExact: boolean } | null;
  readonly onChip: ReturnType<typeof onChipBits>;
  /** The same configuration with R read copies of each activation buffer (activationLayout 'copies'): the target's base. */
  readonly onChipCopies: ReturnType<typeof onChipBits>;
  readonly seconds: number;
}

/** The largest batch <= want that compiles on this configuration (the activation buffers bound it). */
function largestBatch(config: ReturnType<typeof resolveConfig>, want: number): number {
  for (let b = want; b > 1; b--) {
    try {
      compile(model, config, { batch: b });
      return b;
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
    }
  }
  return 1;
}

const rows: Row[] = [];
for (const name of values.configs!.split(',')) {
  const started = performance.now();
  const config = resolveConfig({ config: name, set: [] });
  const ideal = Math.ceil(modelMacs(model) / (config.rows * config.cols));
  const one: ModelReport = runModel({ model, config, images: testImages(2), profile: false });
  // The batch-1 stream: after the first run the weights stay resident where the wbuf holds them all.
  const stream = runModel({ model, config, images: testImages(3), batch: 1 });
  const steady = stream.batch?.residentWeights && stream.goldenMismatches === 0 ? stream.batch.steady.cyclesPerImage : null;
  const plain = runModel({ model, config, images: testImages(3), batch: 1, prefetch: false });
  const steadyNoPrefetch = plain.batch?.residentWeights && plain.goldenMismatches === 0 ? plain.batch.steady.cyclesPerImage : null;
  const B = largestBatch(config, wantBatch);
  let batched: Row['batched'] = null;
  if (B > 1) {
    // Three batches: cold, then the first warm one (LOADs its own inputs), then the steady stream (inputs prefetched
    // by its predecessor; `splitfuse run --images 3B --batch B`), as for batch 1.
    const r = runModel({ model, config, images: testImages(3 * B), batch: B });
    batched = { batch: B, cycles: r.batch!.steady.cyclesPerImage, dramBytes: r.batch!.steady.dramBytes.read + r.batch!.steady.dramBytes.written, residentWeights: r.batch!.residentWeights, bitExact: r.goldenMismatches === 0 };
  }
  const compiled = compile(model, config);
  rows.push({
    config: name,
    ideal,
    batch1: { cycles: one.cyclesPerImage, dramBytes: one.dramBytes.total, bitExact: one.goldenMismatches === 0 && stream.goldenMismatches === 0 && plain.goldenMismatches === 0, steady, steadyNoPrefetch, prefetch: stream.batch?.prefetch === true },
    batched,
    onChip: onChipBits(config, compiled.sizes),
    onChipCopies: onChipBits({ ...config, activationLayout: 'copies' }, compile(model, { ...config, activationLayout: 'copies' }).sizes),
    seconds: (performance.now() - started) / 1000,
  });
  if (!values.json) console.error(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (values.json) console.log(JSON.stringify({ targets: TARGETS, rows }, null, 2));
else {
  const int = (x: number): string => Math.round(x).toLocaleString('en-US');
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log(`${model.name}: cycles per image, DRAM bytes per image and on-chip bits (RTL in the compiled simulator, bit-exact vs golden)`);
  for (const r of rows) {
    console.log(`\n${r.config} (ideal ${int(r.ideal)} cycles/image)`);
    const b1 = r.batch1.steady ?? r.batch1.cycles;
    const b1Target = r.config === 'default' ? `; target <= ${int(TARGETS.batch1Default)}: ${mark(b1 <= TARGETS.batch1Default)}` : '';
    const noPrefetch = r.batch1.steadyNoPrefetch === null ? '' : `, ${int(r.batch1.steadyNoPrefetch)} when each run LOADs its own input`;
    const stream =
      r.batch1.steady === null
        ? 'weights do not stay resident'
        : `steady stream (weights resident${r.batch1.prefetch ? ', inputs prefetched' : ''}) ${int(r.batch1.steady)} (${(r.batch1.steady / r.ideal).toFixed(2)}× ideal)${noPrefetch}`;
    console.log(`  batch 1:      ${int(r.batch1.cycles)} cycles/image cold (${(r.batch1.cycles / r.ideal).toFixed(2)}× ideal), ${stream}${b1Target}; bit-exact ${r.batch1.bitExact ? 'yes' : 'NO'}`);
    if (r.batched) {
      const over = r.batched.cycles / r.ideal - 1;
      const bTarget = r.config === 'default' ? `; target <= ${pct(TARGETS.batchOverIdeal)}: ${mark(over <= TARGETS.batchOverIdeal)}` : '';
      console.log(`  ${`batch ${r.batched.batch}:`.padEnd(13)} ${int(r.batched.cycles)} cycles/image (${pct(over)} over ideal${bTarget}); weights ${r.batched.residentWeights ? 'resident' : 'reloaded each batch'}; bit-exact ${r.batched.bitExact ? 'yes' : 'NO'}`);
      const factor = r.batch1.dramBytes / r.batched.dramBytes;
      console.log(`  DRAM:         ${int(r.batch1.dramBytes)} B/image at batch 1, ${int(r.batched.dramBytes)} B/image at batch ${r.batched.batch}: ${factor.toFixed(1)}× fewer (target >= ${TARGETS.dramReduction}×: ${mark(factor >= TARGETS.dramReduction)})`);
    } else console.log('  batch > 1:    does not fit the activation buffers');
    const o = r.onChip;
    const base = r.onChipCopies.total;
    const layout = resolveConfig({ config: r.config, set: [] }).activationLayout === 'banked' ? 'banked' : 'read copies';
    console.log(
      `  on-chip bits: ${int(o.total)} (wbuf ${int(o.wbuf)}, abuf ${int(o.abuf)} = ${pct(o.abuf / o.total)} ${layout}, accbuf ${int(o.accbuf)}, tables ${int(o.tables)}); target <= ${int(TARGETS.onChipFraction * base)} (half the R-copy design's ${int(base)}): ${mark(o.total <= TARGETS.onChipFraction * base)}`,
    );
  }
}
