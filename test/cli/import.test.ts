// `splitfuse import onnx`: writes a model that reads back and runs; bad input exits 2 with a code and writes nothing.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGolden } from '../../accel/golden.js';
import { readModelFile } from '../../accel/model.js';
import { runCli } from '../support/cli.js';

const LENET = 'test/fixtures/onnx/lenet5-qdq-u8.onnx';

describe('splitfuse import onnx', () => {
  it('writes a version-2 model file that reads back and runs as onnxruntime does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-'));
    const out = join(dir, 'lenet.sfm');
    const r = await runCli(['import', 'onnx', LENET, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('uint8 activations, int8 per-channel weights');
    expect(r.stdout).toContain('281,640 MACs');
    const model = readModelFile(out);
    const ref = JSON.parse(readFileSync('test/fixtures/onnx/lenet5-qdq-u8.reference.json', 'utf8')) as { cases: { input: string; output: number[] }[] };
    const c = ref.cases[0]!;
    const logits = runGolden(model, Int8Array.from(Buffer.from(c.input, 'base64'), (b) => b - 128)).logits;
    expect(Array.from(logits)).toEqual(c.output.map((v) => v - 128));
  });

  it('--json and --name', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'import-')), 'm.sfm');
    const r = await runCli(['import', 'onnx', 'test/fixtures/onnx/smallcnn-random-qdq-s8.onnx', '--out', out, '--name', 'tiny-cnn', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { model: string; formatVersion: number; layers: { kind: string }[]; weightGranularity: string };
    expect(j.model).toBe('tiny-cnn');
    expect(j.formatVersion).toBe(2);
    expect(j.weightGranularity).toBe('per-tensor');
    expect(j.layers.map((l) => l.kind)).toEqual(['conv2d', 'maxpool', 'conv2d', 'avgpool', 'flatten', 'fc']);
    expect(readModelFile(out).name).toBe('tiny-cnn');
  });

  it('bad input exits 2 with a diagnostic and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-'));
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    const cases: [string[], string][] = [
      [['import', 'onnx', junk], 'E190'],
      [['import', 'onnx', join(dir, 'missing.onnx')], 'E190'],
      [['import', 'tflite', LENET], 'E102'],
    ];
    for (const [args, code] of cases) {
      const out = join(dir, `${code}-${args[1]}.sfm`);
      const r = await runCli([...args, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${code}:`);
      expect(existsSync(out)).toBe(false);
    }
  });
});
