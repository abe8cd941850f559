// `splitfuse gen accel` (DESIGN.md §11): the accelerator for people who do not run splitfuse. Writes
//   - the Verilog of the simulation top (gen/accel/simtop.ts: accelerator + DRAM model), one file per
//     module as cli/generate.ts does, WITHOUT power-on contents (the memories are zeroed at time 0);
//   - one $readmemh file per loaded memory, words as wide as the memory, every word listed:
//       imem.hex, pixmem.hex, offmem.hex, pmem.hex (the compiled program and tables) and dram.hex
//       (the DRAM image: weights, plus the chosen test digit already in the input slot);
//   - tb_<top>.v, a self-checking testbench: $readmemh into the hierarchical memories one time unit
//     after time 0 (after the design's zeroing `initial` blocks), one reset edge, then clock edges until
//     `done` or `fault` (or a cycle limit); it reads the logits from the DRAM model's output slot,
//     takes their argmax (lowest index on ties, as accel/golden.ts argmaxLowest) and compares logits,
//     class and cycle count with constants from splitfuse's golden model and its TypeScript simulation
//     of the same RTL. It prints `PASS class=<k> cycles=<n>`, or `FAIL ...` and stops with $fatal
//     (exit status 1), so that CI can use the exit status;
//   - manifest.json (files, tops, configuration, model, digit, expectations, the exact commands),
//     README.txt and run-icarus.sh / run-verilator.sh with the same commands.
// Nothing depends on an absolute path: run the commands from the output directory.
//
// Cycle count (what runModelImage counts): clock edges after the one reset edge up to the first
// sample of `done` = 1. The testbench samples at the falling edge, so the count is the same.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { build } from '../hdl/dsl/index.js';
import type { Design, Memory, Module } from '../hdl/ir/index.js';
import { addrWidth, topModule } from '../hdl/ir/index.js';
import { writeVerilog } from '../hdl/verilog.js';
import { SPLITFUSE_VERSION } from '../hdl/version.js';
import { memoryNames } from '../gen/accel/buffers.js';
import { encode } from '../gen/accel/isa.js';
import { accelSimTop, ACCEL_INSTANCE, DRAM_MEMORY } from '../gen/accel/simtop.js';
import { runProgram, tail } from '../sim/verilator/run.js';
import { compile, inputToDram, type CompiledModel } from './compiler.js';
import { mapIndex } from './compiler/stream.js';
import { randomInputs } from './inputs.js';
import type { AccelConfig } from './config.js';
import { runGolden } from './golden.js';
import { testImages } from './mnist.js';
import type { Model } from './model.js';
import { cycleBudget, runModelImage, type ImageRun } from './run.js';

/** Held-out MNIST test digits (accel/mnist.ts testImages). */
export const TEST_DIGITS = 2004;

/** An input digit and where it came from. */
export interface ExportDigit {
  readonly image: Int8Array;
  readonly label: number;
  /** Index in the test split (accel/mnist.ts testImages). */
  readonly index: number;
}

/**
 * Test digit `index` of accel/mnist.ts; E147 when there is no such digit. `what` names the value in
 * the message and `given` is the text it came from (a command-line option), if any.
 */
export function testDigit(index: number, what = 'Test image index', given?: string): ExportDigit {
  if (!Number.isInteger(index) || index < 0 || index >= TEST_DIGITS) {
    throw new DiagnosticError([msg.testImage(what, `an integer in 0..${TEST_DIGITS - 1}`, given !== undefined ? `'${given}'` : String(index))]);
  }
  const digit = testImages(index + 1)[index]!;
  return { ...digit, index };
}

/** The shape of the MNIST test digits (accel/mnist.ts). */
const MNIST_SHAPE = [1, 28, 28];

/**
 * Input `index` of a model: test digit `index` for a model of MNIST's 1×28×28 input, else seeded random input
 * `index` of accel/inputs.ts (seed 1, label UNLABELLED = −1; the zoo's CIFAR-sized CNN, VGG-16 prefix).
 */
export function modelInput(model: Model, index: number, what = 'Test image index', given?: string): ExportDigit {
  if (model.input.shape.every((d, i) => d === MNIST_SHAPE[i])) return testDigit(index, what, given);
  if (!Number.isInteger(index) || index < 0 || index >= TEST_DIGITS) {
    throw new DiagnosticError([msg.testImage(what, `an integer in 0..${TEST_DIGITS - 1}`, given !== undefined ? `'${given}'` : String(index))]);
  }
  return { ...randomInputs(model, index + 1, 1)[index]!, index };
}

/** What input `image` of a manifest is, for people: a labelled test digit or a seeded random input. */
function inputText(image: { readonly index: number; readonly label: number }): string {
  return image.label < 0 ? `seeded random input ${image.index} (accel/inputs.ts, seed 1)` : `test digit ${image.index} (label ${image.label})`;
}

/** Inputs 0 .. count−1 of a model (modelInput): MNIST test digits with labels, or seeded random inputs (label −1). */
export function modelInputs(model: Model, count: number): { image: Int8Array; label: number }[] {
  return model.input.shape.every((d, i) => d === MNIST_SHAPE[i]) ? testImages(count) : randomInputs(model, count, 1);
}

/** One inference of a compiled model in the TypeScript simulator, checked against the golden model. */
export interface ReferenceRun {
  readonly compiled: CompiledModel;
  readonly run: ImageRun;
  readonly golden: Int8Array;
  /** argmax of the golden logits, lowest index on ties. */
  readonly goldenClass: number;
  /** The DRAM image with the input in its slot. */
  readonly dram: bigint[];
}

/**
 * Compile `model` for `config` and run `image` on the RTL in the TypeScript simulator. Throws E148
 * when the run faults or exceeds the cycle budget, and an internal error if its logits differ from
 * the golden model's (the RTL is bit-exact by design; a difference is a bug in splitfuse).
 */
export function referenceRun(model: Model, config: AccelConfig, image: Int8Array, compiled: CompiledModel = compile(model, config)): ReferenceRun {
  const run = runModelImage(config, compiled, image);
  if (!run.done) {
    const found = run.fault ? `a fault after ${run.cycles} cycles` : `still running after ${run.cycles} cycles (the budget)`;
    throw new DiagnosticError([msg.accelRun(model.name, config.name, found)]);
  }
  const golden = runGolden(model, image, { accWidth: config.accWidth });
  if (golden.logits.some((v, i) => v !== run.logits[i])) {
    throw new Error(`RTL logits [${run.logits.join(', ')}] must equal the golden model's [${golden.logits.join(', ')}] (model '${model.name}', config '${config.name}')`);
  }
  return { compiled, run, golden: golden.logits, goldenClass: golden.predicted, dram: inputToDram(compiled, image) };
}

/** A $readmemh file and the memory it loads. */
export interface HexFile {
  readonly file: string;
  /** Hierarchical name inside the simulation top (the testbench prefixes the DUT instance). */
  readonly memory: string;
  readonly words: number;
  readonly width: number;
}

/** The commands of the testbench, each an argument vector to run in the output directory. */
export interface TestbenchCommands {
  readonly icarus: readonly (readonly string[])[];
  readonly verilator: readonly (readonly string[])[];
  /** `verilator --lint-only -Wall` of the design and the testbench together. */
  readonly lint: readonly (readonly string[])[];
}

export interface AccelExportManifest {
  readonly generator: 'accel';
  readonly version: string;
  /** Top module of the design (the simulation top). */
  readonly top: string;
  /** Top module of the testbench: `tb_<top>`. */
  readonly testbenchTop: string;
  /** Verilog files of the design, dependencies first, the top last. */
  readonly files: readonly string[];
  readonly testbench: string;
  readonly hex: readonly HexFile[];
  readonly config: AccelConfig;
  readonly model: { readonly name: string; readonly file: string | null };
  readonly image: { readonly index: number; readonly label: number };
  readonly expected: { readonly class: number; readonly logits: readonly number[]; readonly cycles: number };
  /** The testbench gives up (FAIL) after this many cycles without done. */
  readonly maxCycles: number;
  readonly commands: TestbenchCommands;
}

export interface ExportOptions {
  readonly model: Model;
  /** The model file as the user named it (for the manifest and README). */
  readonly modelFile?: string;
  readonly config: AccelConfig;
  /** Created when missing; existing files of the same names are replaced. */
  readonly outDir: string;
  /** The digit to run; default test digit 0. */
  readonly image?: ExportDigit;
}

const DUT = 'dut';
const VVP = (tb: string): string => `${tb}.vvp`;

/** Write the accelerator, its memory files, the testbench and the manifest into outDir (see the header). */
export function exportAccelerator(options: ExportOptions): AccelExportManifest {
  const { model, config, outDir } = options;
  const digit = options.image ?? modelInput(model, 0);
  const ref = referenceRun(model, config, digit.image);
  const { compiled } = ref;
  const design = build(accelSimTop(config, compiled.sizes));
  const tb = `tb_${design.top}`;

  const contents: { memory: string; file: string; words: readonly (number | bigint)[] }[] = [
    { memory: `${ACCEL_INSTANCE}.${memoryNames.imem}`, file: 'imem.hex', words: compiled.program.map(encode) },
    { memory: `${ACCEL_INSTANCE}.${memoryNames.pixmem}`, file: 'pixmem.hex', words: compiled.pixmem },
    { memory: `${ACCEL_INSTANCE}.${memoryNames.offmem}`, file: 'offmem.hex', words: compiled.offmem },
    { memory: `${ACCEL_INSTANCE}.${memoryNames.pmem}`, file: 'pmem.hex', words: compiled.pmem },
    { memory: DRAM_MEMORY, file: 'dram.hex', words: ref.dram },
  ];
  const hex: (HexFile & { text: string })[] = contents.map((c) => {
    const mem = findMemory(design, c.memory);
    return { file: c.file, memory: c.memory, words: mem.depth, width: mem.shape.width, text: hexText(c.words, mem, `${DUT}.${c.memory}`) };
  });

  let files: string[] = [];
  const write = (file: string, text: string): void => writeFileSync(path.join(outDir, file), text);
  try {
    mkdirSync(outDir, { recursive: true });
    files = writeVerilog(design, outDir).map((f) => path.basename(f));
  } catch (err) {
    throw unwritable(outDir, err);
  }
  const expected = { class: ref.goldenClass, logits: Array.from(ref.golden), cycles: ref.run.cycles };
  const maxCycles = cycleBudget(compiled);
  const commands = testbenchCommands(tb, files);
  const manifest: AccelExportManifest = {
    generator: 'accel',
    version: SPLITFUSE_VERSION,
    top: design.top,
    testbenchTop: tb,
    files,
    testbench: `${tb}.v`,
    hex: hex.map(({ text: _text, ...h }) => h),
    config,
    model: { name: model.name, file: options.modelFile ?? null },
    image: { index: digit.index, label: digit.label },
    expected,
    maxCycles,
    commands,
  };
  try {
    for (const h of hex) write(h.file, h.text);
    write(`${tb}.v`, testbenchText({ design, tb, compiled, manifest }));
    write('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    write('README.txt', readmeText(manifest));
    for (const [file, cmds] of [['run-icarus.sh', commands.icarus], ['run-verilator.sh', commands.verilator]] as const) {
      write(file, scriptText(cmds));
      chmodSync(path.join(outDir, file), 0o755);
    }
  } catch (err) {
    throw unwritable(outDir, err);
  }
  return manifest;
}

function unwritable(outDir: string, err: unknown): DiagnosticError {
  const code = (err as NodeJS.ErrnoException).code;
  if (!code) throw err;
  return new DiagnosticError([msg.unwritableFile('Output directory', outDir, code)]);
}

/** A memory by hierarchical name ('accel.imem', 'dram.mem') below the design's top module. */
function findMemory(design: Design, name: string): Memory {
  const parts = name.split('.');
  let mod: Module = topModule(design);
  for (const inst of parts.slice(0, -1)) {
    const next = mod.instances.find((i) => i.name === inst);
    const child = next && design.modules.find((m) => m.name === next.module);
    if (!child) throw new Error(`instance '${inst}' of '${name}' must exist in module '${mod.name}'`);
    mod = child;
  }
  const mem = mod.mems.find((m) => m.name === parts[parts.length - 1]);
  if (!mem) throw new Error(`memory '${name}' must exist in module '${mod.name}'`);
  return mem;
}

/** Every word of a memory, ceil(width/4) hex digits per line (missing words are 0), after one comment line. */
function hexText(words: readonly (number | bigint)[], mem: Memory, target: string): string {
  if (words.length > mem.depth) throw new Error(`${target} must hold at most ${mem.depth} words, not ${words.length}`);
  const digits = Math.ceil(mem.shape.width / 4);
  const lines = [`// ${target}: ${mem.depth} x ${mem.shape.width}-bit words (splitfuse ${SPLITFUSE_VERSION})`];
  for (let a = 0; a < mem.depth; a++) {
    const v = BigInt(words[a] ?? 0);
    if (v < 0n || v >> BigInt(mem.shape.width) !== 0n) throw new Error(`word ${a} of ${target} must fit ${mem.shape.width} unsigned bits, not ${v}`);
    lines.push(v.toString(16).padStart(digits, '0'));
  }
  return `${lines.join('\n')}\n`;
}

/** The exact commands (argument vectors, run in the output directory). */
function testbenchCommands(tb: string, files: readonly string[]): TestbenchCommands {
  const sources = [...files, `${tb}.v`];
  return {
    icarus: [
      ['iverilog', '-g2012', '-Wall', '-s', tb, '-o', VVP(tb), ...sources],
      ['vvp', '-n', VVP(tb)],
    ],
    verilator: [
      ['verilator', '--binary', '-j', '0', '--top-module', tb, '-Mdir', 'obj_dir', '-o', tb, ...sources],
      [`./obj_dir/${tb}`],
    ],
    lint: [['verilator', '--lint-only', '-Wall', '--timing', '--top-module', tb, ...sources]],
  };
}

/** A Verilog literal of exactly `width` bits (signed values as two's complement, marked signed). */
function sizedLiteral(value: number, width: number, signed: boolean): string {
  const bits = BigInt.asUintN(width, BigInt(value));
  return `${width}'${signed ? 's' : ''}h${bits.toString(16)}`;
}

interface TestbenchInput {
  readonly design: Design;
  readonly tb: string;
  readonly compiled: CompiledModel;
  readonly manifest: AccelExportManifest;
}

/** DRAM element (word·P + lane) of model output i: from outputWord on, or its place in a streamed output map. */
function outputElement(compiled: CompiledModel, i: number): number {
  const P = compiled.geometry.elemsPerWord;
  const m = compiled.outputLayout;
  if (!m) return compiled.outputWord * P + i;
  const plane = m.h * m.w;
  return m.word * P + mapIndex(m, Math.floor(i / plane), Math.floor((i % plane) / m.w), i % m.w);
}

/** The testbench text (see the header); straight-line code with sized constants, so it lints clean under -Wall. */
function testbenchText({ design, tb, compiled, manifest }: TestbenchInput): string {
  const top = topModule(design);
  const g = compiled.geometry;
  const { expected } = manifest;
  const n = compiled.outputCount;
  const bits = g.bits;
  const dram = findMemory(design, DRAM_MEMORY);
  const dramAw = addrWidth(dram.depth);
  const idxW = Math.max(1, Math.ceil(Math.log2(n)));
  const idx = (i: number): string => `${idxW}'d${i}`;
  const I = '  ';
  const I2 = I + I;
  const outputs = top.ports.filter((p) => p.dir === 'out');
  const used = new Set(['done', 'fault', 'pc']);
  for (const name of used) if (!outputs.some((p) => p.name === name)) throw new Error(`simulation top must have an output '${name}'`);
  const decl = (p: { name: string; shape: { width: number } }): string => `${I}wire ${p.shape.width > 1 ? `[${p.shape.width - 1}:0] ` : ''}${p.name};`;

  const lines: string[] = [];
  const header = [
    `Generated by splitfuse ${SPLITFUSE_VERSION}. Do not edit: regenerate with 'splitfuse gen accel'.`,
    '',
    `Self-checking testbench of ${design.top} (configuration '${manifest.config.name}', model '${manifest.model.name}').`,
    `Loads ${manifest.hex.map((h) => h.file).join(', ')} with $readmemh from the working directory, applies`,
    'one reset edge and clocks until done or fault. Then it reads the logits from the DRAM model',
    `(output slot at word ${compiled.outputWord}, ${g.elemsPerWord} elements per word, little-endian lanes), takes`,
    'their argmax (lowest index on ties) and compares logits, class and cycle count with the golden',
    `model and splitfuse's TypeScript simulation of this RTL. Input: ${inputText(manifest.image)}.`,
    'Prints "PASS class=<k> cycles=<n>", or "FAIL ..." followed by $fatal (exit status 1).',
  ];
  lines.push(...header.map((l) => (l === '' ? '//' : `// ${l}`)), '', '`default_nettype none', '', `module ${tb};`);
  lines.push(`${I}localparam integer EXPECTED_CYCLES = ${expected.cycles};`);
  lines.push(`${I}localparam integer EXPECTED_CLASS = ${expected.class};`);
  lines.push(`${I}localparam integer MAX_CYCLES = ${manifest.maxCycles};`, '');
  lines.push(`${I}reg clk;`, `${I}reg rst;`);
  for (const p of outputs.filter((q) => used.has(q.name))) lines.push(decl(p));
  lines.push(`${I}// Outputs the checks do not read (the DRAM model inside the top answers the traffic).`, `${I}/* verilator lint_off UNUSEDSIGNAL */`);
  for (const p of outputs.filter((q) => !used.has(q.name))) lines.push(decl(p));
  lines.push(`${I}/* verilator lint_on UNUSEDSIGNAL */`, '');
  lines.push(`${I}${design.top} ${DUT} (`);
  const conns = ['clk', 'rst', ...outputs.map((p) => p.name)].map((p) => `${I2}.${p}(${p})`);
  lines.push(conns.join(',\n'), `${I});`, '');

  lines.push(`${I}integer cycles;`, `${I}integer predicted;`, `${I}integer wrong;`);
  lines.push(`${I}reg signed [${bits - 1}:0] best;`);
  lines.push(`${I}reg signed [${bits - 1}:0] logit [0:${n - 1}];`, '');
  lines.push(`${I}always #5 clk <= ~clk;`, '');

  lines.push(`${I}initial begin`);
  lines.push(`${I2}clk = 1'b0;`, `${I2}rst = 1'b1;`, `${I2}cycles = 0;`, `${I2}wrong = 0;`);
  lines.push(`${I2}// After time 0, when the design's initial blocks have zeroed every memory.`, `${I2}#1;`);
  for (const h of manifest.hex) lines.push(`${I2}$readmemh("${h.file}", ${DUT}.${h.memory});`);
  lines.push(`${I2}// The rising edge at time 5 is the reset edge; sample and drive at falling edges.`);
  lines.push(`${I2}@(negedge clk);`, `${I2}rst = 1'b0;`);
  lines.push(`${I2}while (done == 1'b0 && fault == 1'b0 && cycles < MAX_CYCLES) begin`);
  lines.push(`${I2}${I}@(negedge clk);`, `${I2}${I}cycles = cycles + 1;`, `${I2}end`);
  lines.push(`${I2}if (fault == 1'b1) begin`);
  lines.push(`${I2}${I}$display("FAIL fault at pc=%0d after %0d cycles", pc, cycles);`);
  lines.push(`${I2}${I}$fatal(1, "accelerator raised fault");`);
  lines.push(`${I2}end else if (done == 1'b0) begin`);
  lines.push(`${I2}${I}$display("FAIL no done within %0d cycles (pc=%0d)", cycles, pc);`);
  lines.push(`${I2}${I}$fatal(1, "accelerator did not finish");`);
  lines.push(`${I2}end else begin`, `${I2}${I}check_results;`, `${I2}end`);
  lines.push(`${I2}$finish;`, `${I}end`, '');

  // Verilator carries on after $finish or $fatal until the process waits, so every outcome is its own branch.
  lines.push(`${I}task check_results;`, `${I}begin`);
  lines.push(
    compiled.outputLayout
      ? `${I2}// Element i of the output: its place in the output map (rows at word boundaries from word ${compiled.outputLayout.word}), lane (element mod ${g.elemsPerWord})*${bits} +: ${bits}.`
      : `${I2}// Element i of the output slot: word ${compiled.outputWord} + i / ${g.elemsPerWord}, bits (i % ${g.elemsPerWord})*${bits} +: ${bits}.`,
  );
  for (let i = 0; i < n; i++) {
    const e = outputElement(compiled, i);
    const word = Math.floor(e / g.elemsPerWord);
    const lo = (e % g.elemsPerWord) * bits;
    lines.push(`${I2}logit[${idx(i)}] = ${DUT}.${DRAM_MEMORY}[${dramAw}'d${word}][${lo + bits - 1}:${lo}];`);
  }
  lines.push(`${I2}// argmax, lowest index on ties (accel/golden.ts argmaxLowest).`, `${I2}predicted = 0;`, `${I2}best = logit[${idx(0)}];`);
  for (let i = 1; i < n; i++) lines.push(`${I2}if (logit[${idx(i)}] > best) begin predicted = ${i}; best = logit[${idx(i)}]; end`);
  lines.push(`${I2}// The golden model's logits.`);
  for (let i = 0; i < n; i++) {
    const want = expected.logits[i]!;
    const lit = sizedLiteral(want, bits, true);
    lines.push(`${I2}if (logit[${idx(i)}] !== ${lit}) begin // ${want}`);
    lines.push(`${I2}${I}$display("logit %0d is %0d, expected %0d", ${i}, logit[${idx(i)}], ${lit});`);
    lines.push(`${I2}${I}wrong = wrong + 1;`, `${I2}end`);
  }
  const fmt = Array.from({ length: n }, () => '%0d').join(' ');
  const args = Array.from({ length: n }, (_, i) => `logit[${idx(i)}]`).join(', ');
  lines.push(`${I2}$display("logits ${fmt}", ${args});`);
  lines.push(`${I2}if (wrong == 0 && predicted == EXPECTED_CLASS && cycles == EXPECTED_CYCLES) begin`);
  lines.push(`${I2}${I}$display("PASS class=%0d cycles=%0d", predicted, cycles);`, `${I2}end else begin`);
  lines.push(`${I2}${I}if (cycles != EXPECTED_CYCLES) $display("cycle count %0d, expected %0d", cycles, EXPECTED_CYCLES);`);
  lines.push(`${I2}${I}$display("FAIL class=%0d expected_class=%0d cycles=%0d expected_cycles=%0d wrong_logits=%0d", predicted, EXPECTED_CLASS, cycles, EXPECTED_CYCLES, wrong);`);
  lines.push(`${I2}${I}$fatal(1, "testbench failed");`, `${I2}end`);
  lines.push(`${I}end`, `${I}endtask`);
  lines.push('endmodule', '', '`default_nettype wire', '');
  return lines.join('\n');
}

const shellWord = (w: string): string => (/^[A-Za-z0-9_./=+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const commandLine = (argv: readonly string[]): string => argv.map(shellWord).join(' ');

function scriptText(cmds: readonly (readonly string[])[]): string {
  return ['#!/bin/sh', '# Generated by splitfuse gen accel: run the self-checking testbench (see README.txt).', 'set -e', 'cd "$(dirname "$0")"', ...cmds.map(commandLine), ''].join('\n');
}

function readmeText(m: AccelExportManifest): string {
  const c = m.config;
  return [
    `${m.top}: the splitfuse accelerator '${c.name}' (${c.rows}x${c.cols} ${c.dataflow.toUpperCase()} ${c.dtype}, accumulator ${c.accWidth} bits)`,
    `with the DRAM model, running model '${m.model.name}'${m.model.file ? ` (${m.model.file})` : ''} on ${inputText(m.image)}.`,
    `Generated by splitfuse ${m.version}.`,
    '',
    'Files',
    `  ${m.files.join(' ')}`,
    '      the design, one module per file, dependencies first (no memory contents inside)',
    ...m.hex.map((h) => `  ${h.file.padEnd(12)} $readmemh contents of ${h.memory} (${h.words} x ${h.width}-bit words)`),
    `  ${m.testbench.padEnd(12)} the self-checking testbench (top module ${m.testbenchTop})`,
    '  manifest.json  all of the above, the expected results and these commands, as JSON',
    '',
    `Expected: class ${m.expected.class}, logits [${m.expected.logits.join(', ')}], ${m.expected.cycles} cycles`,
    '(clock edges after the reset edge until done). The testbench prints',
    `  PASS class=${m.expected.class} cycles=${m.expected.cycles}`,
    'when the logits, the class and the cycle count all match, and otherwise FAIL with the differences',
    'and exits with status 1 ($fatal).',
    '',
    'Run from this directory with Icarus Verilog (sh run-icarus.sh):',
    ...m.commands.icarus.map((a) => `  ${commandLine(a)}`),
    '',
    'or with Verilator 5 (sh run-verilator.sh):',
    ...m.commands.verilator.map((a) => `  ${commandLine(a)}`),
    '',
    'Lint the design and the testbench together (no output means clean):',
    ...m.commands.lint.map((a) => `  ${commandLine(a)}`),
    '',
  ].join('\n');
}

// ---- running the exported testbench (tests, CI) ----

export type TestbenchSimulator = 'icarus' | 'verilator';

export interface TestbenchRun {
  /** The testbench printed PASS and every command exited with status 0. */
  readonly passed: boolean;
  /** Exit status of the simulation run (null when it did not run: the build failed). */
  readonly exitCode: number | null;
  /** From the PASS line. */
  readonly predicted: number | null;
  readonly cycles: number | null;
  /** stdout and stderr of every command. */
  readonly output: string;
  /** Wall time of building (iverilog, or verilator + C++; 0 when the build came from the cache). */
  readonly buildSeconds: number;
  /** Wall time of the simulation run. */
  readonly runSeconds: number;
  readonly cached: boolean;
}

export interface TestbenchRunOptions {
  /** The output directory of exportAccelerator. */
  readonly dir: string;
  readonly simulator: TestbenchSimulator;
  /**
   * Verilator only: keep the built simulator in <cacheDir>/tb-<hash of the commands, the Verilator
   * version and every file the build reads> and reuse it (sim/verilator's defaultCacheDir is a good place).
   */
  readonly cacheDir?: string;
}

/** Run the commands of an exported directory's manifest for one simulator; never throws on FAIL. */
export async function runExportedTestbench(options: TestbenchRunOptions): Promise<TestbenchRun> {
  const { dir, simulator } = options;
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as AccelExportManifest;
  const [buildCmd, runCmd] = manifest.commands[simulator];
  if (!buildCmd || !runCmd) throw new Error(`manifest.json in ${dir} must list a build and a run command for ${simulator}`);
  const output: string[] = [];
  const exec = async (argv: readonly string[]): Promise<{ ok: boolean; code: number | null; seconds: number }> => {
    const r = await runProgram(argv[0]!.startsWith('./') ? path.resolve(dir, argv[0]!) : argv[0]!, argv.slice(1), { cwd: dir, timeoutMs: 30 * 60 * 1000 });
    if (r.spawnError) throw new DiagnosticError([msg.missingTool(argv[0]!, 'on PATH', 'missing', 'install the Verilog tools with: apt-get install -y verilator iverilog')]);
    output.push(`$ ${commandLine(argv)}`, r.stdout, r.stderr);
    return { ok: r.code === 0, code: r.code, seconds: r.seconds };
  };
  const fail = (buildSeconds: number, cached: boolean): TestbenchRun => ({ passed: false, exitCode: null, predicted: null, cycles: null, output: output.join('\n'), buildSeconds, runSeconds: 0, cached });

  let buildSeconds = 0;
  let cached = false;
  const binary = path.resolve(dir, runCmd[0]!);
  const cacheEntry = simulator === 'verilator' && options.cacheDir ? await verilatorCacheEntry(options.cacheDir, dir, manifest, buildCmd) : null;
  if (cacheEntry && existsSync(cacheEntry)) {
    mkdirSync(path.dirname(binary), { recursive: true });
    copyFileSync(cacheEntry, binary);
    chmodSync(binary, 0o755);
    cached = true;
  } else {
    const b = await exec(buildCmd);
    buildSeconds = b.seconds;
    if (!b.ok) return fail(buildSeconds, false);
    if (cacheEntry) {
      mkdirSync(path.dirname(cacheEntry), { recursive: true });
      const tmp = `${cacheEntry}.tmp-${process.pid}`;
      copyFileSync(binary, tmp);
      renameSync(tmp, cacheEntry);
    }
  }
  const r = await exec(runCmd);
  const text = output.join('\n');
  const pass = /^PASS class=(\d+) cycles=(\d+)$/m.exec(text);
  return {
    passed: r.ok && pass !== null,
    exitCode: r.code,
    predicted: pass ? Number(pass[1]) : null,
    cycles: pass ? Number(pass[2]) : null,
    output: text,
    buildSeconds,
    runSeconds: r.seconds,
    cached,
  };
}

/** Cache file of a Verilator testbench build: keyed by the Verilator version, the command and every source and memory file. */
async function verilatorCacheEntry(cacheDir: string, dir: string, manifest: AccelExportManifest, buildCmd: readonly string[]): Promise<string> {
  const version = await runProgram('verilator', ['--version']);
  if (version.spawnError) throw new DiagnosticError([msg.missingTool('verilator', 'on PATH', 'missing', 'install the Verilog tools with: apt-get install -y verilator iverilog')]);
  const h = createHash('sha256').update(JSON.stringify({ version: version.stdout.trim(), buildCmd }));
  // The hex files are read at run time, not built in; the testbench's constants depend on them anyway.
  for (const f of [...manifest.files, manifest.testbench]) h.update(f).update(readFileSync(path.join(dir, f)));
  return path.join(path.resolve(cacheDir), `tb-${h.digest('hex').slice(0, 32)}`, manifest.testbenchTop);
}

/** The last lines of a testbench run, for test failure messages. */
export function testbenchTail(run: TestbenchRun): string {
  return tail(run.output, 30);
}
