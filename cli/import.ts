// `splitfuse import onnx FILE --out F.sfm`: import a statically quantized ONNX model in QDQ form
// (accel/onnx/import.ts) and write it as a splitfuse model file (accel/model.ts). Nothing is written unless the
// whole import succeeds; every problem is a diagnostic E190–E196 (docs/onnx.md).
import { writeFileSync } from 'node:fs';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { modelFormatVersion, writeModel } from '../accel/model.js';
import { modelMacs } from '../accel/golden.js';
import { importOnnxFile, type ImportResult } from '../accel/onnx/import.js';
import type { CliIO } from './main.js';

export interface ImportCommandOptions {
  readonly out: string;
  readonly name?: string;
  readonly json?: boolean;
}

export interface ImportReport {
  readonly file: string;
  readonly out: string;
  readonly model: string;
  readonly formatVersion: number;
  readonly bytes: number;
  readonly macs: number;
  readonly activationType: ImportResult['activationType'];
  readonly weightGranularity: ImportResult['weightGranularity'];
  readonly producer: string;
  readonly opset: number;
  readonly layers: readonly { readonly name: string; readonly kind: string; readonly onnxNodes: readonly string[] }[];
}

/** Import FILE and write the model to opts.out; returns what was written. */
export function importOnnxCommandReport(format: string, file: string, opts: ImportCommandOptions): ImportReport {
  if (format !== 'onnx') throw new DiagnosticError([msg.usage('The import format', "'onnx'", `'${format}'`, 'splitfuse import onnx FILE --out F.sfm')]);
  const result = importOnnxFile(file, opts.name ? { name: opts.name } : {});
  const bytes = writeModel(result.model);
  try {
    writeFileSync(opts.out, bytes);
  } catch (e) {
    throw new DiagnosticError([msg.unwritableFile('Model file', opts.out, (e as NodeJS.ErrnoException).code ?? String(e))]);
  }
  return {
    file,
    out: opts.out,
    model: result.model.name,
    formatVersion: modelFormatVersion(result.model),
    bytes: bytes.length,
    macs: modelMacs(result.model),
    activationType: result.activationType,
    weightGranularity: result.weightGranularity,
    producer: result.producer,
    opset: result.opset,
    layers: result.layers.map((l) => ({ name: l.name, kind: l.kind, onnxNodes: l.nodes })),
  };
}

export function importCommand(format: string, file: string, opts: ImportCommandOptions, io: CliIO): void {
  const r = importOnnxCommandReport(format, file, opts);
  if (opts.json) {
    io.stdout(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  io.stdout(`${file} (${r.producer}, opset ${r.opset}): ${r.activationType} activations, int8 ${r.weightGranularity} weights\n`);
  const width = Math.max(...r.layers.map((l) => l.name.length));
  for (const l of r.layers) io.stdout(`  ${l.name.padEnd(width)}  ${l.kind.padEnd(7)}  ← ${l.onnxNodes.join(', ')}\n`);
  io.stdout(`wrote ${r.out}: model '${r.model}', format version ${r.formatVersion}, ${r.bytes.toLocaleString('en-US')} bytes, ${r.macs.toLocaleString('en-US')} MACs per inference\n`);
}
