// `npm run demo`: the project's main job, end to end. Generate the Verilog of the default accelerator
// (sized for LeNet-5's program), lint it with Verilator when it is installed, then run the committed
// LeNet-5 model on test digits on that accelerator's RTL in the compiled simulator, checking every
// output bit for bit against the golden model, and print a short summary. `splitfuse run` prints the
// full report (per-layer table, DRAM traffic, energy components); both use accel/report.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../accel/config.js';
import { compile } from '../accel/compiler.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';
import { runModel, type ModelReport } from '../accel/report.js';
import { build } from '../hdl/dsl/index.js';
import { writeVerilog } from '../hdl/verilog.js';
import { SPLITFUSE_VERSION } from '../hdl/version.js';
import { accelTop } from '../gen/accel/top.js';
import { manifestText, topPorts, type Manifest } from './generate.js';
import { TEST_DIGITS } from './run.js';
import { integerOption } from './sim.js';
import { prepareOutDir, writingInto } from './outdir.js';

/** The committed model, resolved from the package root (not the working directory). */
export const DEMO_MODEL = fileURLToPath(new URL('../models/lenet5-mnist-int8.sfm', import.meta.url));
export const DEMO_CONFIG = 'default';
export const DEMO_IMAGES = 32;

export interface DemoOptions {
  /** The Verilog files and manifest.json are written here (created when missing). */
  readonly outDir: string;
  readonly log: (line: string) => void;
  /** Test digits to run (default 32). */
  readonly images?: number | string;
}

export type LintResult = 'clean' | 'skipped (verilator not on PATH)';

export interface DemoResult {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly lint: LintResult;
  readonly report: ModelReport;
}

export function runDemo(options: DemoOptions): DemoResult {
  const { outDir, log } = options;
  const images = integerOption('demo', '--images', options.images ?? DEMO_IMAGES, 1, TEST_DIGITS);
  const config = PRESETS[DEMO_CONFIG]!;
  const model = readModelFile(DEMO_MODEL);
  prepareOutDir('Output directory', outDir); // before anything is built or printed
  log(`splitfuse ${SPLITFUSE_VERSION} demo: ${model.name} on the '${config.name}' accelerator (${config.rows}×${config.cols} PEs, ${config.clockMHz} MHz) -> ${outDir}`);

  // The instance's program tables are sized for this model's program (as `splitfuse run` builds it).
  const { sizes } = compile(model, config);
  const design = build(accelTop(config, sizes));
  const files = writingInto('Output directory', outDir, () => writeVerilog(design, outDir)).map((f) => path.basename(f));
  const { name: _name, ...fields } = config;
  const manifest: Manifest = { top: design.top, files, ports: topPorts(design), params: { config: config.name, ...fields, ...sizes }, generator: 'accel', version: SPLITFUSE_VERSION };
  writingInto('Output directory', outDir, () => fs.writeFileSync(path.join(outDir, 'manifest.json'), manifestText(manifest)));
  log(`  Verilog     ${manifest.top} and ${files.length - 1} submodules: ${files.join(', ')}`);
  const lint = lintWithVerilator(outDir, manifest);
  log(`  verilator --lint-only -Wall: ${lint}`);

  const report = runModel({ model, config, images: testImages(images) });
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  log(`  ran         ${report.images} test digits on the RTL (compiled simulator, ${Math.round(report.simulator.cyclesPerSecond).toLocaleString('en-US')} cycles/s)`);
  log(`  bit-exact vs golden: ${report.images - report.goldenMismatches}/${report.images} images`);
  log(`  accuracy    ${pct(report.accuracy)} (${report.correct}/${report.images})`);
  log(`  cycles      ${report.cyclesPerImage.toLocaleString('en-US')} per image = ${report.timeUsPerImage.toFixed(1)} µs at ${report.clockMHz} MHz`);
  log(`  utilisation ${pct(report.utilization)} of ${report.pes} PEs overall, ${report.convUtilization === null ? 'no conv layers' : `${pct(report.convUtilization)} in conv layers`}`);
  log(`  energy      ${(report.energyPJ / 1e6).toFixed(3)} µJ per image (estimate, 45 nm Horowitz table); DRAM ${report.dramBytes.total.toLocaleString('en-US')} bytes per image`);
  log(`done: the per-layer report is 'splitfuse run --model models/lenet5-mnist-int8.sfm --images ${images}'`);
  return { dir: outDir, manifest, lint, report };
}

/** Lint the generated files; a warning is a bug in the emitter, so it fails the demo. */
function lintWithVerilator(dir: string, manifest: Manifest): LintResult {
  const probe = spawnSync('verilator', ['--version'], { encoding: 'utf8' });
  if (probe.error) return 'skipped (verilator not on PATH)';
  const files = manifest.files.map((f) => path.join(dir, f));
  const run = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', manifest.top, ...files], { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`verilator --lint-only -Wall reported problems in ${dir}:\n${run.stdout}${run.stderr}`);
  }
  return 'clean';
}
