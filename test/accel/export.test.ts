// `splitfuse gen accel` (accel/export.ts): the exported directory is self-contained (relative names
// only, Verilog without memory contents, hex files as deep and wide as the memories), the design and
// testbench lint clean under Verilator -Wall, and the testbench PASSes in Icarus and in Verilator
// with the class of the golden model and the cycle count of the TypeScript simulation — both computed
// here independently of the exporter. A tampered expectation must FAIL with exit status 1.
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../hdl/dsl/index.js';
import { emitVerilog } from '../../hdl/verilog.js';
import { accelSimTop } from '../../gen/accel/simtop.js';
import { compile } from '../../accel/compiler.js';
import { PRESETS } from '../../accel/config.js';
import { exportAccelerator, runExportedTestbench, testbenchTail, testDigit, type AccelExportManifest } from '../../accel/export.js';
import { runGolden } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModelFile } from '../../accel/model.js';
import { runModelImage } from '../../accel/run.js';
import { defaultCacheDir } from '../../sim/verilator/build.js';
import { runTool, tempDir } from '../support/tools.js';

const TOOL_TIMEOUT = 600_000;
const MODEL_FILE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../models/lenet5-mnist-int8.sfm');
const model = readModelFile(MODEL_FILE);
const tiny = PRESETS.tiny!;
const IMAGE = 1;

describe('gen accel (tiny, test digit 1)', () => {
  const dir = tempDir('splitfuse-export-');
  let manifest: AccelExportManifest;
  let want: { class: number; logits: number[]; cycles: number };

  beforeAll(() => {
    manifest = exportAccelerator({ model, modelFile: 'models/lenet5-mnist-int8.sfm', config: tiny, outDir: dir, image: testDigit(IMAGE) });
    // The expectations, computed without the exporter: golden model and TypeScript RTL run.
    const digit = testImages(IMAGE + 1)[IMAGE]!;
    const golden = runGolden(model, digit.image, { accWidth: tiny.accWidth });
    const run = runModelImage(tiny, compile(model, tiny), digit.image);
    expect(run.done).toBe(true);
    want = { class: golden.predicted, logits: Array.from(golden.logits), cycles: run.cycles };
  });

  it('writes a self-contained directory: manifest, Verilog without contents, full-depth hex files, relative names only', () => {
    const digit = testImages(IMAGE + 1)[IMAGE]!;
    expect(manifest).toMatchObject({
      generator: 'accel',
      testbenchTop: `tb_${manifest.top}`,
      testbench: `tb_${manifest.top}.v`,
      config: tiny,
      model: { name: model.name, file: 'models/lenet5-mnist-int8.sfm' },
      image: { index: IMAGE, label: digit.label },
      expected: want,
    });
    const compiled = compile(model, tiny);
    // The Verilog is exactly the emitted simulation top without power-on contents.
    const emitted = emitVerilog(build(accelSimTop(tiny, compiled.sizes)));
    expect(manifest.files).toEqual(emitted.map((f) => f.fileName));
    for (const f of emitted) expect(readFileSync(path.join(dir, f.fileName), 'utf8'), f.fileName).toBe(f.text);
    expect(manifest.hex.map((h) => [h.file, h.memory])).toEqual([
      ['imem.hex', 'accel.imem'],
      ['pixmem.hex', 'accel.pixmem'],
      ['offmem.hex', 'accel.offmem'],
      ['pmem.hex', 'accel.pmem'],
      ['dram.hex', 'dram.mem'],
    ]);
    const depths = { 'imem.hex': compiled.sizes.imemDepth, 'pixmem.hex': compiled.sizes.pixDepth, 'offmem.hex': compiled.sizes.offDepth, 'pmem.hex': compiled.sizes.pmemDepth, 'dram.hex': compiled.sizes.dramWords };
    for (const h of manifest.hex) {
      const lines = readFileSync(path.join(dir, h.file), 'utf8').trimEnd().split('\n');
      expect(lines[0]).toMatch(/^\/\/ /);
      const words = lines.slice(1);
      expect(words.length, h.file).toBe(depths[h.file as keyof typeof depths]);
      expect(h.words).toBe(words.length);
      for (const w of words) expect(w).toMatch(new RegExp(`^[0-9a-f]{${Math.ceil(h.width / 4)}}$`));
    }
    expect(manifest.hex.map((h) => h.width)).toEqual([96, 12, 17, 77, 64]); // pmem: bias, b, c, the output zero point
    // dram.hex holds the digit in the input slot (8 int8 pixels per word, little-endian lanes).
    const dram = readFileSync(path.join(dir, 'dram.hex'), 'utf8').trimEnd().split('\n').slice(1).map((w) => BigInt(`0x${w}`));
    const pixels = Array.from({ length: 784 }, (_, e) => Number(BigInt.asIntN(8, dram[compiled.inputWord + Math.floor(e / 8)]! >> BigInt(8 * (e % 8)))));
    expect(pixels).toEqual(Array.from(digit.image));
    // Nothing refers to where the files were written.
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f), 'utf8').includes(dir), f).toBe(false);
    const readme = readFileSync(path.join(dir, 'README.txt'), 'utf8');
    expect(readme).toContain(`iverilog -g2012 -Wall -s tb_${manifest.top}`);
    expect(readme).toContain(`PASS class=${want.class} cycles=${want.cycles}`);
  });

  it('lints clean: verilator --lint-only -Wall --timing on the design and the testbench', () => {
    const [lint] = manifest.commands.lint;
    const r = runTool(lint![0]!, lint!.slice(1), { cwd: dir });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  it(
    'PASSes in Icarus with the golden class and the TypeScript cycle count; a wrong expectation FAILs with exit status 1',
    async () => {
      const r = await runExportedTestbench({ dir, simulator: 'icarus' });
      console.log(`Icarus (tiny): build ${r.buildSeconds.toFixed(1)} s, run ${r.runSeconds.toFixed(1)} s`);
      expect(r.passed, testbenchTail(r)).toBe(true);
      expect(r.exitCode).toBe(0);
      expect({ predicted: r.predicted, cycles: r.cycles }).toEqual({ predicted: want.class, cycles: want.cycles });
      expect(r.output).toContain(`logits ${want.logits.join(' ')}`);

      // The same directory with a wrong expected logit and cycle count.
      const bad = tempDir('splitfuse-export-bad-');
      cpSync(dir, bad, { recursive: true });
      const tb = path.join(bad, manifest.testbench);
      const hex8 = (v: number): string => `8'sh${BigInt.asUintN(8, BigInt(v)).toString(16)}`;
      const lines = readFileSync(tb, 'utf8').split('\n');
      const at = lines.findIndex((l) => l.includes(`if (logit[4'd0] !== ${hex8(want.logits[0]!)})`));
      expect(at).toBeGreaterThan(0);
      // The comparison and its message both name the expected value.
      for (const k of [at, at + 1]) lines[k] = lines[k]!.replace(hex8(want.logits[0]!), hex8(want.logits[0]! + 1));
      writeFileSync(tb, lines.join('\n').replace(`EXPECTED_CYCLES = ${want.cycles};`, `EXPECTED_CYCLES = ${want.cycles + 1};`));
      const f = await runExportedTestbench({ dir: bad, simulator: 'icarus' });
      expect([f.passed, f.exitCode]).toEqual([false, 1]);
      expect(f.output).toContain(`logit 0 is ${want.logits[0]}, expected ${want.logits[0]! + 1}`);
      expect(f.output).toContain(`cycle count ${want.cycles}, expected ${want.cycles + 1}`);
      expect(f.output).toContain(`FAIL class=${want.class} expected_class=${want.class} cycles=${want.cycles} expected_cycles=${want.cycles + 1} wrong_logits=1`);
      expect(f.output).not.toMatch(/^PASS/m);
    },
    TOOL_TIMEOUT,
  );

  it(
    'PASSes in Verilator (--binary; the build is cached by content)',
    async () => {
      const r = await runExportedTestbench({ dir, simulator: 'verilator', cacheDir: defaultCacheDir() });
      console.log(`Verilator (tiny): build ${r.cached ? 'cached' : `${r.buildSeconds.toFixed(1)} s`}, run ${r.runSeconds.toFixed(1)} s`);
      expect(r.passed, testbenchTail(r)).toBe(true);
      expect({ predicted: r.predicted, cycles: r.cycles }).toEqual({ predicted: want.class, cycles: want.cycles });
      expect(existsSync(path.join(dir, 'obj_dir', manifest.testbenchTop))).toBe(true);
    },
    TOOL_TIMEOUT,
  );
});
