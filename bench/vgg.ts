// VGG-16 prefix benchmark (issue 12 item 5): the first five layers of VGG-16 at 224×224 (conv1_1, conv1_2, pool1,
// conv2_1, conv2_2; Alwani et al., MICRO 2016) with random int8 weights, compiled by the streaming compiler
// (accel/compiler/stream.ts) and run on the RTL of `large` in the compiled simulator, one seeded random input,
// checked bit for bit against the golden model. Target: under 10 minutes on this machine. Prints the wall-clock
// time, cycles, cycles/s, and per layer the cycles, utilisation and DRAM bytes read/written per image (the
// layer-by-layer baseline the fused-layer dataflow is compared against).
//
// Two DRAM figures per layer: `program` counts the words each LOAD/STORE of the compiled program moves
// (exact for the whole model without running it) and `RTL` the cnt_dram_rd/cnt_dram_wr counters of the run;
// they must agree in total over the layers that ran (per layer the counters follow run.ts's charging rule).
//
//   npm run bench:vgg -- [--config large] [--layers 5] [--seed 1] [--json]
//   --layers N runs the model's first N layers only (a quicker measurement; the DRAM table covers all).
import { parseArgs } from 'node:util';
import { resolveConfig } from '../accel/config.js';
import { compile, type CompiledModel } from '../accel/compiler.js';
import { randomInputs } from '../accel/inputs.js';
import { readModelFile, type Model } from '../accel/model.js';
import { runModel } from '../accel/report.js';

const TARGET_SECONDS = 10 * 60;

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'large' },
    model: { type: 'string', default: 'models/vgg16-prefix224-random-int8.sfm' },
    layers: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});

/** DRAM words read and written by each compiled layer's LOADs and STOREs (isa.ts: WBUF rows of ceil(C/P) words, ABUF ceil(count/P)). */
function programDram(c: CompiledModel): { name: string; read: number; written: number }[] {
  const P = c.geometry.elemsPerWord;
  return c.layers.map((l) => {
    let read = 0;
    let written = 0;
    for (const ins of c.program.slice(l.firstInstr, l.lastInstr + 1)) {
      if (ins.op === 'LOAD') read += ins.buf === 0 ? ins.count * c.geometry.wordsPerWeightRow : Math.ceil(ins.count / P);
      else if (ins.op === 'STORE') written += Math.ceil(ins.count / P);
    }
    const bytes = c.geometry.wordBits / 8;
    return { name: l.name, read: read * bytes, written: written * bytes };
  });
}

const config = resolveConfig({ config: values.config!, set: [] });
const full = readModelFile(values.model!);
const nLayers = values.layers !== undefined ? Number(values.layers) : full.layers.length;
if (!Number.isInteger(nLayers) || nLayers < 1 || nLayers > full.layers.length) throw new Error(`--layers must be an integer in 1..${full.layers.length}, not ${values.layers}`);
const model: Model = { ...full, layers: full.layers.slice(0, nLayers) };
const seed = Number(values.seed);

const t0 = performance.now();
const compiledFull = compile(full, config);
const compileSeconds = (performance.now() - t0) / 1000;
const staticDram = programDram(compiledFull);
const [input] = randomInputs(model, 1, seed);
const t1 = performance.now();
if (!values.json) console.error(`running ${nLayers} layer(s) of ${model.name} on '${config.name}' (${compiledFull.program.length.toLocaleString('en-US')} instructions for the whole model)...`);
const report = runModel({ model, config, images: [input!], profile: false });
const seconds = (performance.now() - t1) / 1000;
const runStatic = programDram(compile(model, config));

const rows = report.layers.map((l, i) => ({
  layer: l.fused ? `${l.name}+${l.fused}` : l.name,
  macs: l.macs,
  cycles: l.cycles,
  utilization: l.utilization,
  dramRead: l.dramBytes.read,
  dramWritten: l.dramBytes.written,
  programRead: runStatic[i]!.read,
  programWritten: runStatic[i]!.written,
}));
// Per layer the RTL counters follow the charging rule (accel/run.ts: a layer's last STOREs draining after the
// next layer's first issue count for the next layer), so the program's words and the counters agree in total.
const sum = (f: (r: (typeof rows)[number]) => number): number => rows.reduce((t, r) => t + f(r), 0);
const agree = sum((r) => r.dramRead) === sum((r) => r.programRead) && sum((r) => r.dramWritten) === sum((r) => r.programWritten);
const result = {
  model: model.name,
  layers: nLayers,
  config: config.name,
  seconds,
  compileSeconds,
  targetSeconds: TARGET_SECONDS,
  cycles: report.cyclesPerImage,
  cyclesPerSecond: report.simulator.cyclesPerSecond,
  bitExact: report.goldenMismatches === 0,
  utilization: report.utilization,
  rows,
  dramCountersMatchProgram: agree,
  fullModelDram: staticDram,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  const int = (x: number): string => Math.round(x).toLocaleString('en-US');
  console.log(`${model.name} (first ${nLayers} of ${full.layers.length} layers) on '${config.name}', 1 random input (seed ${seed}), RTL in the compiled simulator`);
  console.log(`  wall clock ${seconds.toFixed(1)} s (target ${TARGET_SECONDS} s, ratio ${(seconds / TARGET_SECONDS).toFixed(2)}); compile ${compileSeconds.toFixed(1)} s`);
  console.log(`  cycles ${int(report.cyclesPerImage)}, ${int(report.simulator.cyclesPerSecond)} cycles/s, utilisation ${(100 * report.utilization).toFixed(1)}%, bit-exact vs golden: ${report.goldenMismatches === 0 ? 'yes' : 'NO'}`);
  console.log('  layer            cycles        util   DRAM read B   DRAM written B');
  for (const r of rows) console.log(`  ${r.layer.padEnd(14)} ${int(r.cycles).padStart(12)} ${(100 * r.utilization).toFixed(1).padStart(8)}% ${int(r.dramRead).padStart(13)} ${int(r.dramWritten).padStart(16)}`);
  console.log(`  RTL DRAM counters equal the program's LOAD/STORE words (total over the layers run): ${agree ? 'yes' : 'NO'}`);
  console.log('  DRAM bytes per image, whole model, from the compiled program (layer-by-layer baseline):');
  for (const r of staticDram) console.log(`  ${r.name.padEnd(14)} read ${int(r.read).padStart(13)}  written ${int(r.written).padStart(12)}`);
  const total = staticDram.reduce((s, r) => s + r.read + r.written, 0);
  console.log(`  total          ${int(total)} bytes`);
}
process.exitCode = report.goldenMismatches === 0 && agree ? 0 : 1;
