// The accelerator as a target of `splitfuse gen` and `splitfuse cosim`: `accel` is not a block of
// cli/blocks.ts (it needs a model and a configuration, not block parameters), so these commands
// branch on it. This file checks which options go with which target (E146), reads the model and the
// configuration, and runs `gen accel` (accel/export.ts); `cosim accel` is in cli/cosim.ts.
import path from 'node:path';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { resolveConfig, type AccelConfig } from '../accel/config.js';
import { exportAccelerator, modelInput, TEST_DIGITS, type AccelExportManifest } from '../accel/export.js';
import type { Model } from '../accel/model.js';
import type { CliIO } from './main.js';
import { prepareOutDir, writingInto } from './outdir.js';
import { loadModelFile } from './model-file.js';

/** The target name of the accelerator in `gen` and `cosim`. */
export const ACCEL_TARGET = 'accel';

const EXAMPLE = '--model models/lenet5-mnist-int8.sfm --config tiny';

/**
 * E146 for each flag of `given` (flag → whether it was given) that `splitfuse <command> <target>`
 * does not take: it applies to `appliesTo` only ("'splitfuse gen accel'").
 */
export function rejectOptions(command: string, target: string, given: Readonly<Record<string, boolean>>, appliesTo: string, hint: string): void {
  const wrong = Object.entries(given).filter(([, g]) => g).map(([flag]) => flag);
  if (wrong.length === 0) return;
  throw new DiagnosticError(wrong.map((flag) => msg.accelOption(flag, `splitfuse ${command} ${target}`, `left out (it applies to ${appliesTo} only)`, 'given', hint)));
}

/** The model and configuration of `splitfuse <command> accel` (E146 when either is missing). */
export function accelInputs(command: string, opts: { model?: string; config?: string; set?: readonly string[] }): { model: Model; modelFile: string; config: AccelConfig } {
  const missing = (['--model', '--config'] as const).filter((flag) => (flag === '--model' ? opts.model : opts.config) === undefined);
  if (missing.length > 0) {
    throw new DiagnosticError(missing.map((flag) => msg.accelOption(flag, `splitfuse ${command} accel`, 'given', 'left out', `e.g. splitfuse ${command} accel ${EXAMPLE}`)));
  }
  const config = resolveConfig({ config: opts.config!, set: opts.set ?? [] });
  return { model: loadModelFile(opts.model!), modelFile: opts.model!, config };
}

/** A count or index option: decimal digits only; anything else becomes NaN (rejected with E147). */
export function digitsOption(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  return /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
}

/** `--images N` of `splitfuse cosim accel`: 1..TEST_DIGITS (E147). */
export function imagesOption(value: string | undefined): number {
  const n = digitsOption(value, 1);
  if (Number.isInteger(n) && n >= 1 && n <= TEST_DIGITS) return n;
  throw new DiagnosticError([msg.testImage(`Option '--images' of 'splitfuse cosim accel'`, `an integer in 1..${TEST_DIGITS}`, `'${value ?? ''}'`)]);
}

/** The options of `splitfuse gen` as commander parses them. */
export interface GenCommandOptions {
  readonly set: string[];
  readonly out: string;
  readonly json?: boolean;
  readonly model?: string;
  readonly config?: string;
  readonly image?: string;
}

/** Write the accelerator of `--model` on `--config` with test digit `--image` into `--out` (accel/export.ts). */
export function genAccel(opts: GenCommandOptions): AccelExportManifest {
  const { model, modelFile, config } = accelInputs('gen', opts);
  const index = digitsOption(opts.image, 0);
  const image = modelInput(model, index, `Option '--image' of 'splitfuse gen accel'`, opts.image);
  const undo = prepareOutDir('Output directory', opts.out);
  return writingInto('Output directory', opts.out, () => exportAccelerator({ model, modelFile, config, outDir: opts.out, image }), undo);
}

/** `splitfuse gen accel`: export, then print the manifest (--json) or a summary with the commands. */
export function genAccelCommand(opts: GenCommandOptions, io: CliIO): void {
  const m = genAccel(opts);
  if (opts.json) {
    io.stdout(`${JSON.stringify(m, null, 2)}\n`);
    return;
  }
  const c = m.config;
  io.stdout(
    `accel (config ${c.name}: ${c.rows}x${c.cols} ${c.dataflow} ${c.dtype}; model ${m.model.name}; test digit ${m.image.index}, label ${m.image.label}) ` +
      `-> top module ${m.top}, testbench ${m.testbenchTop}\n`,
  );
  io.stdout(`  expected: class ${m.expected.class}, logits [${m.expected.logits.join(', ')}], ${m.expected.cycles} cycles\n`);
  for (const f of [...m.files, ...m.hex.map((h) => h.file), m.testbench, 'manifest.json', 'README.txt', 'run-icarus.sh', 'run-verilator.sh']) io.stdout(`  wrote ${path.join(opts.out, f)}\n`);
  io.stdout(`  run the testbench: sh ${path.join(opts.out, 'run-icarus.sh')}   or   sh ${path.join(opts.out, 'run-verilator.sh')}\n`);
}
