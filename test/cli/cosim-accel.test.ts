// `splitfuse cosim accel` and the accelerator options of `gen` and `cosim` through main(argv, io):
// one whole LeNet-5 inference on `tiny` in Verilator and the compiled simulator (every output, every
// cycle; the Verilator build is cached by content), its JSON checked against the golden model and a
// runModelImage of the same digit computed here; and the E146/E147 usage diagnostics.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../accel/compiler.js';
import { PRESETS } from '../../accel/config.js';
import { runGolden } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModelFile } from '../../accel/model.js';
import { runModelImage } from '../../accel/run.js';
import { main, type CliIO } from '../../cli/main.js';
import { defaultToolchain } from '../../sim/verilator/locate.js';

const BUILD_TIMEOUT = 600_000;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'models', 'lenet5-mnist-int8.sfm');

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('splitfuse cosim accel', () => {
  it(
    '--config tiny --images 1 --json: no mismatch, cyclesPerImage = runModelImage cycles, logits and class of the golden model',
    async () => {
      const toolchain = await defaultToolchain();
      const model = readModelFile(MODEL);
      const tiny = PRESETS.tiny!;
      const digit = testImages(1)[0]!;
      const ts = runModelImage(tiny, compile(model, tiny), digit.image);
      const golden = runGolden(model, digit.image, { accWidth: tiny.accWidth });
      expect(ts.done).toBe(true);

      const r = await run(['cosim', 'accel', '--model', MODEL, '--config', 'tiny', '--images', '1', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      console.log(`cosim accel tiny: ${String(json.cyclesPerImage)} cycles per image, build ${Number(json.buildSeconds).toFixed(1)} s${json.cached ? ' (cached)' : ''}`);
      expect(json).toMatchObject({
        block: 'accel',
        params: { ...tiny },
        // One reset cycle, the inference, three cycles with done high.
        cycles: ts.cycles + 4,
        mismatches: 0,
        simulator: toolchain.version,
        firstMismatch: null,
        registersCompared: 0,
        missingRegisters: [],
        cyclesPerImage: ts.cycles,
        model: model.name,
        images: [{ index: 0, label: digit.label, predicted: golden.predicted, logits: Array.from(golden.logits), logitsMatchGolden: true, cycles: ts.cycles, mismatches: 0 }],
      });
      expect(String(json.top)).toMatch(/^accel_sim_r4c4_/);

      // The text report of the same run (the build comes from the cache).
      const t = await run(['cosim', 'accel', '--model', MODEL, '--config', 'tiny']);
      expect(t.code).toBe(0);
      expect(t.stdout).toContain(`${toolchain.version} and the compiled TypeScript simulator agree on ${ts.cycles + 4} cycles`);
      expect(t.stdout).toContain(`image 0 (label ${digit.label}): class ${golden.predicted}, logits equal the golden model's, ${ts.cycles} cycles to done in both simulators`);
    },
    BUILD_TIMEOUT,
  );

  it('rejects options of the wrong target (E146), a missing model or configuration (E146) and bad digit numbers (E147)', async () => {
    const cases: [string[], string][] = [
      [['cosim', 'accel', '--config', 'tiny'], "E146: Option '--model' of 'splitfuse cosim accel' must be given, not left out. Hint: e.g. splitfuse cosim accel --model models/lenet5-mnist-int8.sfm --config tiny."],
      [['cosim', 'accel', '--model', MODEL, '--config', 'tiny', '--cycles', '10'], "E146: Option '--cycles' of 'splitfuse cosim accel' must be left out (it applies to 'splitfuse cosim <block>' only), not given."],
      [['cosim', 'counter', '--images', '2'], "E146: Option '--images' of 'splitfuse cosim counter' must be left out (it applies to 'splitfuse cosim accel' only), not given."],
      [['gen', 'mac', '--model', MODEL, '--out', 'unused'], "E146: Option '--model' of 'splitfuse gen mac' must be left out (it applies to 'splitfuse gen accel' only), not given."],
      [['gen', 'accel', '--model', MODEL, '--out', 'unused'], "E146: Option '--config' of 'splitfuse gen accel' must be given, not left out."],
      [['cosim', 'accel', '--model', MODEL, '--config', 'tiny', '--images', '0'], "E147: Option '--images' of 'splitfuse cosim accel' must be an integer in 1..2004, not '0'."],
      [['gen', 'accel', '--model', MODEL, '--config', 'tiny', '--image', '2004', '--out', 'unused'], "E147: Option '--image' of 'splitfuse gen accel' must be an integer in 0..2003, not '2004'."],
      [['gen', 'accel', '--model', MODEL, '--config', 'tiny', '--image', 'x', '--out', 'unused'], "E147: Option '--image' of 'splitfuse gen accel' must be an integer in 0..2003, not 'x'."],
    ];
    for (const [argv, first] of cases) {
      const r = await run(argv);
      expect({ argv, code: r.code, stdout: r.stdout }).toEqual({ argv, code: 2, stdout: '' });
      expect(r.stderr.startsWith(first), `${argv.join(' ')}\n${r.stderr}`).toBe(true);
    }
  });
});
