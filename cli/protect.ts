// `splitfuse protect` and `splitfuse compare` (issue 11): a thin layer over accel/protect/transform.ts
// (protectModel) and accel/protect/compare.ts (compareSchemes). Options are checked before any long work
// (the NVF analysis, the campaign), nothing is written when anything fails, and an existing --out file is
// never overwritten without --force.
import fs from 'node:fs';
import path from 'node:path';
import { compile } from '../accel/compiler.js';
import { resolveConfig, type AccelConfig } from '../accel/config.js';
import { runGolden } from '../accel/golden.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile, writeModel, type Model } from '../accel/model.js';
import { compareSchemes, VARIANT_SCHEMES, type CompareReport, type VariantDesign, type VariantResources, type VariantScheme } from '../accel/protect/compare.js';
import { compareHtml, compareMarkdown, compareText } from '../accel/protect/compare-report.js';
import { computeNvf, type NvfReport } from '../accel/protect/nvf.js';
import { protectModel, SCHEMES, type ProtectResult, type Scheme } from '../accel/protect/transform.js';
import { FAULT_MODELS, type FaultModel } from '../accel/fault/types.js';
import { synthesize } from '../fpga/synth.js';
import { resolveEngine } from '../fpga/yosys.js';
import { encode } from '../gen/accel/isa.js';
import { accelTop } from '../gen/accel/top.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { build } from '../hdl/dsl/index.js';
import type { CliIO } from './main.js';
import { TEST_DIGITS } from './run.js';
import { progressBar } from './progress.js';
import { integerOption } from './sim.js';

const protectBad = (option: string, expected: string, found: string, hint: string): DiagnosticError => new DiagnosticError([msg.protectOption(option, expected, found, hint)]);
const compareBad = (option: string, expected: string, found: string, hint: string): DiagnosticError => new DiagnosticError([msg.compareOption(option, expected, found, hint)]);

/** A fraction option in (0, 1]. */
function fraction(option: string, text: string | number, fail: typeof protectBad): number {
  const v = typeof text === 'number' ? text : /^\s*\d*\.?\d+(e-?\d+)?\s*$/i.test(text) ? Number(text) : Number.NaN;
  if (!(v > 0 && v <= 1)) throw fail(option, 'a fraction in (0, 1]', `'${String(text)}'`, 'e.g. 0.1 for the 10% most vulnerable neurons of each layer');
  return v;
}

/** An output path that may be written: not an existing file (unless forced), not a directory, parent exists. */
function checkOut(file: string, force: boolean, inputs: readonly string[]): void {
  if (file.trim() === '') throw protectBad('--out', 'a file path', "''", 'e.g. --out out/lenet5-split.sfm');
  const abs = path.resolve(file);
  if (inputs.some((i) => path.resolve(i) === abs)) throw protectBad('--out', 'another file than an input', `'${file}'`, 'write the protected model to a new file');
  if (fs.existsSync(abs)) {
    if (fs.statSync(abs).isDirectory()) throw protectBad('--out', 'a file path', `the directory '${file}'`, 'name a file inside it');
    if (!force) throw protectBad('--out', 'a new file', `the existing file '${file}'`, 'choose another path, or add --force to replace it');
  }
  const dir = path.dirname(abs);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new DiagnosticError([msg.unwritableFile('Directory of --out', dir, 'ENOENT')]);
}

/** Write through a temporary file in the same directory and rename it: a failure leaves nothing behind. */
function writeAtomically(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new DiagnosticError([msg.unwritableFile('Output file', file, (e as NodeJS.ErrnoException).code ?? String(e))]);
  }
}

/** Read the ranking from `splitfuse nvf --json` output, or compute it. */
function nvfOf(model: Model, opts: { nvf?: string; nvfImages?: string | number; seed?: string | number }, accWidth: number, progress?: NodeJS.WriteStream): NvfReport {
  if (opts.nvf !== undefined) {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(opts.nvf, 'utf8'));
    } catch (e) {
      throw protectBad('--nvf', 'a readable JSON file written by splitfuse nvf --json', `'${opts.nvf}' (${e instanceof Error ? e.message : String(e)})`, 'run splitfuse nvf --model F --json > nvf.json');
    }
    const report = (data as { nvf?: NvfReport }).nvf;
    if (!report || !Array.isArray(report.ranking) || report.model !== model.name) {
      throw protectBad('--nvf', `the NVF report of model '${model.name}'`, report ? `a report of '${String(report.model)}'` : 'another JSON document', 'run splitfuse nvf on the same model');
    }
    return report;
  }
  const images = integerOption('protect', '--nvf-images', opts.nvfImages ?? 100, 1, TEST_DIGITS);
  const seed = integerOption('protect', '--seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const bar = progressBar(progress, 'nvf');
  try {
    return computeNvf(model, testImages(images), { seed, accWidth, onProgress: bar.update });
  } finally {
    bar.stop();
  }
}

export interface ProtectCommandOptions {
  readonly model: string;
  readonly scheme: string;
  readonly ratio?: string | number;
  readonly top?: string | number;
  readonly layers?: string;
  readonly nvf?: string;
  readonly nvfImages?: string | number;
  readonly seed?: string | number;
  readonly config?: string;
  readonly set?: readonly string[];
  readonly verify?: string | number;
  readonly out: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

export interface ProtectCommandReport {
  readonly model: string;
  readonly protectedModel: string;
  readonly scheme: Scheme;
  readonly out: string;
  readonly selected: ProtectResult['selected'];
  readonly addedChannels: number;
  readonly candidateNeurons: number;
  readonly config: string;
  /** Digits whose fault-free logits were compared with the unprotected model's, and how many were identical. */
  readonly verified: { readonly images: number; readonly identical: number };
}

/** `splitfuse protect` as a library call (tests call this). */
export function protectCommandReport(opts: ProtectCommandOptions, progress?: NodeJS.WriteStream): ProtectCommandReport {
  if (!SCHEMES.includes(opts.scheme as Scheme)) throw protectBad('--scheme', `one of ${SCHEMES.join(', ')}`, `'${opts.scheme}'`, 'split (neuron splitting), dup (duplication with min-select) or tmr (triple modular redundancy)');
  const scheme = opts.scheme as Scheme;
  if ((opts.ratio === undefined) === (opts.top === undefined)) throw protectBad('--ratio or --top', 'exactly one of them', opts.ratio === undefined ? 'neither' : 'both', 'e.g. --ratio 0.1');
  const ratio = opts.ratio !== undefined ? fraction('--ratio', opts.ratio, protectBad) : undefined;
  const top = opts.top !== undefined ? integerOption('protect', '--top', opts.top, 1, 1 << 20) : undefined;
  const verify = integerOption('protect', '--verify', opts.verify ?? TEST_DIGITS, 0, TEST_DIGITS);
  checkOut(opts.out, opts.force ?? false, [opts.model, ...(opts.nvf ? [opts.nvf] : [])]);
  const base = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const model = readModelFile(opts.model);
  const protectedLayers = model.layers.filter((l) => (l.kind === 'conv2d' || l.kind === 'fc') && l.protection).map((l) => l.name);
  if (protectedLayers.length) throw new DiagnosticError([msg.alreadyProtected(model.name, protectedLayers.join(', '))]);
  const layers = opts.layers?.split(',').map((s) => s.trim());
  const nvf = nvfOf(model, opts, base.accWidth, progress);
  const result = protectModel(model, { scheme, ...(ratio !== undefined ? { ratio } : { top: top! }), ...(layers ? { layers } : {}), ranking: nvf.ranking });
  const config: AccelConfig = { ...base, protection: scheme };
  try {
    compile(result.model, config);
  } catch (e) {
    if (e instanceof DiagnosticError && e.diagnostics[0]?.code === 'E142') throw new DiagnosticError([msg.protectedTooBig(result.model.name, config.name, `too big: ${e.diagnostics[0].message.replace(/^./, (c) => c.toLowerCase())}`)]);
    throw e;
  }
  let identical = 0;
  for (const d of testImages(verify)) {
    const want = runGolden(model, d.image, { accWidth: config.accWidth }).logits;
    const got = runGolden(result.model, d.image, { accWidth: config.accWidth }).logits;
    if (got.every((v, i) => v === want[i])) identical++;
  }
  if (identical !== verify) throw new Error(`protected model differs from the original on ${verify - identical} of ${verify} digits (a bug in protectModel)`);
  writeAtomically(opts.out, writeModel(result.model));
  return { model: model.name, protectedModel: result.model.name, scheme, out: opts.out, selected: result.selected, addedChannels: result.addedChannels, candidateNeurons: result.candidateNeurons, config: config.name, verified: { images: verify, identical } };
}

export function protectReportText(r: ProtectCommandReport): string {
  const n = r.selected.reduce((s, x) => s + x.channels.length, 0);
  const lines = [
    `${r.model} -> ${r.protectedModel} (${r.scheme}): ${n} of ${r.candidateNeurons} neurons protected, ${r.addedChannels} physical channels added`,
    ...r.selected.map((s) => `  ${s.layer.padEnd(6)} ${String(s.channels.length).padStart(3)} neurons: ${s.channels.join(', ') || '-'}`),
    `  fits '${r.config}' with protection=${r.scheme} (run it with --config ${r.config} --set protection=${r.scheme})`,
    `  fault-free logits identical to ${r.model} on ${r.verified.identical}/${r.verified.images} test digits`,
    `  wrote ${r.out}`,
    '',
  ];
  return lines.join('\n');
}

export function protectCommand(opts: ProtectCommandOptions, io: CliIO): void {
  const r = protectCommandReport(opts, opts.json ? undefined : io.progressStream);
  io.stdout(opts.json ? `${JSON.stringify(r, null, 2)}\n` : protectReportText(r));
}

export interface CompareCommandOptions {
  readonly model: string;
  readonly config?: string;
  readonly set?: readonly string[];
  readonly schemes?: string;
  readonly ratios?: string;
  readonly layers?: string;
  readonly sites?: string;
  readonly fault?: string;
  readonly samples?: string | number;
  readonly images?: string | number;
  readonly seed?: string | number;
  readonly nvf?: string;
  readonly nvfImages?: string | number;
  /** A configuration to synthesize each variant's accelerator with Yosys (xc7), or absent. */
  readonly synth?: string;
  readonly reportHtml?: string;
  readonly reportMd?: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

/** Synthesize a variant's accelerator for Xilinx 7-series (the program in its ROMs, as `synth accel`). */
async function synthVariant(v: VariantDesign): Promise<VariantResources> {
  const c = v.compiled;
  const design = build(accelTop(v.config, c.sizes, { imem: c.program.map(encode), pixmem: c.pixmem, offmem: c.offmem, pmem: c.pmem }));
  const r = await synthesize(design, { target: 'xc7', engine: resolveEngine('auto') });
  return { lut: r.lut, ff: r.ff, dsp: r.dsp, bram: r.bram, config: v.config.name };
}

/** `splitfuse compare` as a library call (tests call this). */
export async function compareCommandReport(opts: CompareCommandOptions, progress?: NodeJS.WriteStream, lines?: (text: string) => void): Promise<CompareReport> {
  const schemes = (opts.schemes ?? 'none,dup,tmr,split').split(',').map((s) => s.trim()) as VariantScheme[];
  for (const s of schemes) if (!VARIANT_SCHEMES.includes(s)) throw compareBad('--schemes', `a list of ${VARIANT_SCHEMES.join(', ')}`, `'${s}'`, 'e.g. --schemes none,dup,tmr,split');
  const ratios = (opts.ratios ?? '0.05,0.1,0.2').split(',').map((r) => fraction('--ratios', r.trim(), compareBad));
  const fault = (opts.fault ?? 'seu') as FaultModel;
  if (!FAULT_MODELS.includes(fault)) throw compareBad('--fault', `one of ${FAULT_MODELS.join(', ')}`, `'${opts.fault}'`, 'seu (a bit flip), stuck0 or stuck1');
  const samples = integerOption('compare', '--samples', opts.samples ?? 1000, 1, 10_000_000);
  const images = integerOption('compare', '--images', opts.images ?? 20, 1, TEST_DIGITS);
  const seed = integerOption('compare', '--seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  for (const [flag, file] of [['--report-html', opts.reportHtml], ['--report-md', opts.reportMd]] as const) {
    if (file !== undefined) {
      try {
        checkOut(file, opts.force ?? false, [opts.model, ...(opts.nvf ? [opts.nvf] : [])]);
      } catch (e) {
        if (e instanceof DiagnosticError) throw compareBad(flag, 'a new file in an existing directory', `'${file}'`, e.diagnostics[0]?.hint ?? 'choose another path');
        throw e;
      }
    }
  }
  const config = resolveConfig({ config: opts.config ?? 'default', set: opts.set ?? [] });
  const synthConfig = opts.synth !== undefined ? resolveConfig({ config: opts.synth, set: [] }) : undefined;
  const model = readModelFile(opts.model);
  const nvf = nvfOf(model, opts, config.accWidth, progress);
  const layers = opts.layers?.split(',').map((s) => s.trim());
  const bar = progressBar(progress, 'compare', lines);
  let report: CompareReport;
  try {
    report = await compareSchemes({
      model,
      config,
      schemes,
      ratios,
      sites: opts.sites ?? 'neurons',
      fault,
      samples,
      seed,
      digits: testImages(images),
      nvf,
      ...(layers ? { layers } : {}),
      ...(synthConfig ? { synthesize: synthVariant, synthConfig } : {}),
      onProgress: bar.update,
    });
  } finally {
    bar.stop();
  }
  const command = `splitfuse compare --model ${opts.model} --config ${config.name} --schemes ${schemes.join(',')} --ratios ${ratios.join(',')}${layers ? ` --layers ${layers.join(',')}` : ''} --sites '${opts.sites ?? 'neurons'}' --fault ${fault} --samples ${samples} --images ${images} --seed ${seed}${synthConfig ? ` --synth ${synthConfig.name}` : ''}`;
  if (opts.reportHtml) writeAtomically(opts.reportHtml, compareHtml(report, command));
  if (opts.reportMd) writeAtomically(opts.reportMd, compareMarkdown(report, command));
  return report;
}

export async function compareCommand(opts: CompareCommandOptions, io: CliIO): Promise<void> {
  const r = await compareCommandReport(opts, opts.json ? undefined : io.progressStream, io.progressStream ? undefined : io.stderr);
  io.stdout(opts.json ? `${JSON.stringify(r, null, 2)}\n` : compareText(r));
}
