// `splitfuse run`: the JSON and text report, exit codes (0 bit-exact, 1 a golden mismatch, 2 a
// diagnostic) and coded diagnostics for bad flags. In-process through main(); 23 digits in all,
// 20 of them in the CI run that must stay free of golden mismatches.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOROWITZ_45NM } from '../../accel/energy.js';
import { goldenAccuracy } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModelFile } from '../../accel/model.js';
import { ROOT, runCli } from '../support/cli.js';
import { runCommand, type RunReport } from '../../cli/run.js';
import { tempDir } from '../support/tools.js';

const MODEL = path.join(ROOT, 'models', 'lenet5-mnist-int8.sfm');

const run = runCli;

describe('splitfuse run', () => {
  it('tiny, 20 digits, --json: zero golden mismatches, accuracy equal to the golden model, the documented shape', async () => {
    const r = await run(['run', '--model', MODEL, '--config', 'tiny', '--images', '20', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.goldenMismatches).toBe(0);
    expect(report.firstMismatch).toBeNull();
    expect(report.images).toBe(20);
    expect(report.offset).toBe(0);
    expect(report.config).toBe('tiny');
    const golden = goldenAccuracy(readModelFile(MODEL), testImages(20));
    expect(report.accuracy).toBe(golden.accuracy);
    expect(report.correct).toBe(golden.correct);
    for (const key of ['images', 'accuracy', 'cyclesPerImage', 'layers', 'dramBytes', 'energyPJ', 'goldenMismatches', 'utilization', 'timeUsPerImage', 'energy', 'counters']) {
      expect(report, key).toHaveProperty(key);
    }
    expect(report.layers).toHaveLength(5);
    for (const l of report.layers) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(['name', 'cycles', 'utilization', 'macs', 'idealCycles']));
      expect(l.utilization).toBeGreaterThan(0);
      expect(l.utilization).toBeLessThanOrEqual(1);
    }
    expect(report.layers.reduce((s, l) => s + l.cycles, 0)).toBeLessThanOrEqual(report.cyclesPerImage);
    expect(report.dramBytes.read).toBe(report.counters.cnt_dram_rd * 8); // tiny: 8-byte DRAM words
    expect(report.dramBytes.written).toBe(report.counters.cnt_dram_wr * 8);
    expect(report.energyPJ).toBeGreaterThan(0);
    expect(report.energy.estimate).toBe(true);
  });

  it('prints the layer table, accuracy, golden check, cycles, DRAM and energy lines (digits from --offset)', async () => {
    const r = await run(['run', '--model', MODEL, '--config', 'default', '--images', '2', '--offset', '5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^lenet5-mnist-int8 on 'default' \(8×8 PEs, 200 MHz\): 2 test digits 5\.\.6/);
    expect(r.stdout).toMatch(/^\s+layer\s+MACs\s+cycles\s+ideal\s+util\s+GEMM busy\s+DMA busy\s+DRAM rd B\s+DRAM wr B\s+µJ \(est\.\)$/m);
    expect(r.stdout).toMatch(/^\s+conv1\+pool1\s+86,400\s+[\d,]+\s+1,350\s+\d+\.\d%/m);
    expect(r.stdout).toMatch(/^\s+fc3\s+840\s/m);
    expect(r.stdout).toMatch(/^\s+total\s+281,640\s/m);
    expect(r.stdout).toMatch(/accuracy: +\d+\.\d% \(\d\/2\)/);
    expect(r.stdout).toContain('bit-exact vs golden: 2/2 images\n');
    expect(r.stdout).toMatch(/cycles\/image: +[\d,]+ = \d+\.\d µs at 200 MHz/);
    expect(r.stdout).toMatch(/DRAM bytes\/image: +[\d,]+ read, [\d,]+ written/);
    expect(r.stdout).toMatch(/energy\/image: +\d+\.\d{3} µJ \(estimate, 45 nm Horowitz table\)/);
  });

  it('--random-inputs N --seed S: a model without a data set (the CIFAR zoo CNN, streamed through DRAM), golden-checked, no accuracy', async () => {
    const args = ['run', '--model', 'models/cifar10-cnn-random-int8.sfm', '--config', 'tiny', '--random-inputs', '2', '--seed', '5'];
    const r = await run(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cifar10-cnn-random-int8 on 'tiny' \(4×4 PEs, 100 MHz\): 2 random inputs \(seed 5\)/);
    expect(r.stdout).toContain('accuracy:            none (random inputs have no labels)');
    expect(r.stdout).toContain('bit-exact vs golden: 2/2 images\n');
    expect(r.stdout).toMatch(/^\s+conv2\+pool2\s+1,179,648\s+[\d,]+\s+[\d,]+\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%\s+[1-9][\d,]*\s+[1-9][\d,]*\s+\d+\.\d{3}$/m);
    // The same seed gives the same inputs, so the same JSON figures.
    const a = JSON.parse((await run([...args, '--json'])).stdout);
    expect(a.seed).toBe(5);
    expect(a.labelled).toBe(false);
    expect(a.layers.reduce((s: number, l: { dramBytes: { read: number } }) => s + l.dramBytes.read, 0)).toBe(a.dramBytes.read);
    const bad = await run(['run', '--model', 'models/cifar10-cnn-random-int8.sfm', '--random-inputs', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--random-inputs/);
  });

  it('exit code 1 and the first mismatch when the RTL differs from the golden model (a stuck-at fault)', () => {
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => {} };
    const code = runCommand({ model: MODEL, config: 'tiny', images: 1, offset: 3 }, io, { forces: [{ signal: 'accel.array.pe_0_0.psum_q', bit: 20, value: 1 }] });
    expect(code).toBe(1);
    expect(out).toMatch(/bit-exact vs golden: 0\/1 images; first: test digit 3, output \d: RTL -?\d+, golden -?\d+/);
  });

  it.each([
    [['--images', '0'], /^E102: Option '--images' of 'splitfuse run' must be an integer in 1\.\.2004, not '0'/],
    [['--images', 'many'], /^E102: Option '--images' of 'splitfuse run' must be an integer in 1\.\.2004, not 'many'/],
    [['--offset', '2004'], /^E102: Option '--offset' of 'splitfuse run' must be an integer in 0\.\.2003, not '2004'/],
    [['--offset', '2000', '--images', '10'], /^E102: Option '--images' of 'splitfuse run' with --offset 2000 must be an integer in 1\.\.4, not 10/],
    [['--config', 'huge'], /^E141: Configuration must be a preset \(tiny, default, large\) or the path of a JSON file, not 'huge'/],
    [['--set', 'rows=0'], /^E140: Configuration field 'rows' must be >= 1, not 0 \(--set rows=0\)/],
    [['--set', 'rowz=4'], /^E140: Configuration field 'rowz' must be one of .*Hint: did you mean 'rows'\?/s],
    [['--energy-table', '/nonexistent/table.json'], /^E141: Configuration must be a readable JSON energy table at '\/nonexistent\/table\.json'/],
  ])('%j is a coded diagnostic with exit code 2', async (flags, expected) => {
    const r = await run(['run', '--model', MODEL, ...flags]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
  });

  it('model and energy-table file problems are coded diagnostics too', async () => {
    const dir = tempDir('splitfuse-run-');
    const missing = await run(['run', '--model', path.join(dir, 'none.sfm')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^E110: /);
    const notModel = path.join(dir, 'not-a-model.sfm');
    fs.writeFileSync(notModel, 'hello, this is not a model file');
    const wrongMagic = await run(['run', '--model', notModel]);
    expect(wrongMagic.code).toBe(2);
    expect(wrongMagic.stderr).toMatch(/^E11\d: /);
    const table = path.join(dir, 'table.json');
    fs.writeFileSync(table, JSON.stringify({ ...HOROWITZ_45NM, dramAccess64PJ: -1 }));
    const badTable = await run(['run', '--model', MODEL, '--energy-table', table]);
    expect(badTable.code).toBe(2);
    expect(badTable.stderr).toMatch(/^E140: Configuration field 'dramAccess64PJ'/);
    const noModel = await run(['run', '--config', 'tiny']);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/^E102: Option '--model <file>' of 'splitfuse run' must be given, not left out/);
  });

  it('--help shows the options and examples', async () => {
    const r = await run(['run', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--config', '--set', '--images', '--offset', '--energy-table', '--json']) expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain('splitfuse run --model models/lenet5-mnist-int8.sfm --config default --images 100');
  });
});
