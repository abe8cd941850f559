// `splitfuse cosim accel` (DESIGN.md §4, §5): whole inferences of a compiled model co-simulated in
// Verilator and the compiled TypeScript simulator, cycle by cycle.
//
// Per test digit: the program, tables and DRAM image (digit in the input slot) become power-on contents
// of the simulation top (gen/accel/simtop.ts `init` → Verilog `initial` blocks), so the design needs
// no stimulus but reset: one reset cycle, then the run until `done`, then a few cycles more. Both
// simulators run exactly that through sim/verilator cosimBatch, which compares every output (done,
// fault, pc, the busy flags and the whole DRAM traffic) every cycle, and on request every register.
// Hence, when nothing differs, Verilator wrote the same logits to DRAM (they leave through
// dram_wr_data) and raised `done` in the same cycle. The TypeScript run also has to match the golden
// model (accel/export.ts referenceRun). Each digit is its own Verilator build (its DRAM image is part
// of the Verilog), cached by content in sim/verilator's cache like every other co-simulation build.
import { build } from '../hdl/dsl/index.js';
import { encode } from '../gen/accel/isa.js';
import { accelSimTop } from '../gen/accel/simtop.js';
import { cosimBatch, cosimPassed, type CosimResult } from '../sim/verilator/cosim.js';
import { defaultToolchain, type Toolchain } from '../sim/verilator/locate.js';
import { compile } from './compiler.js';
import type { AccelConfig } from './config.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { modelInput, referenceRun, TEST_DIGITS } from './export.js';
import type { Model } from './model.js';

/** Cycles compared after the one the TypeScript simulator saw `done` in (done must stay high). */
const CYCLES_AFTER_DONE = 3;

export interface AccelCosimOptions {
  readonly model: Model;
  readonly config: AccelConfig;
  /** Inputs 0 .. images-1: test digits of accel/mnist.ts, or seeded random inputs for other input shapes (export.ts modelInput; default 1). */
  readonly images?: number;
  /** Also compare every register every cycle (Verilator's VCD trace; slow for whole inferences). */
  readonly registers?: boolean;
  readonly toolchain?: Toolchain;
  /** Default: sim/verilator's defaultCacheDir(). */
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

/** One digit's co-simulation. */
export interface AccelImageCosim {
  /** Index in the test split. */
  readonly index: number;
  readonly label: number;
  /** Class predicted by the RTL (argmax of its logits, lowest index on ties). */
  readonly predicted: number;
  readonly logits: readonly number[];
  /** The RTL's logits equal the golden model's (always true: referenceRun checks it). */
  readonly logitsMatchGolden: boolean;
  /** Cycles of the inference: clock edges after the reset edge until done (runModelImage). */
  readonly cycles: number;
  readonly result: CosimResult;
}

/**
 * Structurally a cli/cosim.ts CosimReport (target, top, params, cycles, seed, result) plus the
 * accelerator's own fields. `result` merges the digits: mismatches and cycles summed, the first
 * mismatch of the first digit that has one (its cycle counted within that digit's run).
 */
export interface AccelCosimReport {
  readonly target: 'accel';
  readonly top: string;
  /** The configuration's fields. */
  readonly params: Readonly<Record<string, string | number | boolean>>;
  /** Cycles compared over all digits (reset cycle and the cycles after done included). */
  readonly cycles: number;
  /** No random stimulus is involved; always 0. */
  readonly seed: number;
  readonly result: CosimResult;
  /** Cycles of one inference (the schedule is static, so every digit takes the same; the mean if not). */
  readonly cyclesPerImage: number;
  readonly model: string;
  readonly images: readonly AccelImageCosim[];
}

/** Co-simulate `images` inferences of `model` on `config` (see the header). */
export async function cosimAccel(options: AccelCosimOptions): Promise<AccelCosimReport> {
  const { model, config } = options;
  const count = options.images ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > TEST_DIGITS) throw new DiagnosticError([msg.testImage('Number of test images', `an integer in 1..${TEST_DIGITS}`, String(count))]);
  const compiled = compile(model, config);
  const toolchain = options.toolchain ?? (await defaultToolchain());
  const digits = Array.from({ length: count }, (_, i) => modelInput(model, i));
  const runs = digits.map((d) => referenceRun(model, config, d.image, compiled));
  const cases = runs.map((r) => {
    const init = { imem: compiled.program.map(encode), pixmem: compiled.pixmem, offmem: compiled.offmem, pmem: compiled.pmem, dram: r.dram };
    const cycles = 1 + r.run.cycles + CYCLES_AFTER_DONE;
    return { design: build(accelSimTop(config, compiled.sizes, init)), cycles, stimulus: [{ rst: 1 }, ...Array.from({ length: cycles - 1 }, () => ({ rst: 0 }))] };
  });
  // One build per digit: a build is cached by its sources, and the digit is part of them.
  const results = await cosimBatch(cases, {
    toolchain,
    designsPerBuild: 1,
    compareRegisters: options.registers ?? false,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const images: AccelImageCosim[] = digits.map((d, i) => ({
    index: d.index,
    label: d.label,
    predicted: runs[i]!.run.predicted,
    logits: Array.from(runs[i]!.run.logits),
    logitsMatchGolden: runs[i]!.golden.every((v, k) => v === runs[i]!.run.logits[k]),
    cycles: runs[i]!.run.cycles,
    result: results[i]!,
  }));
  const first = results.find((r) => !cosimPassed(r)) ?? results[0]!;
  const result: CosimResult = {
    ...first,
    cycles: results.reduce((s, r) => s + r.cycles, 0),
    mismatches: results.reduce((s, r) => s + r.mismatches, 0),
    buildSeconds: results.reduce((s, r) => s + r.buildSeconds, 0),
    cached: results.every((r) => r.cached),
    missingRegisters: [...new Set(results.flatMap((r) => r.missingRegisters))],
  };
  return {
    target: 'accel',
    top: cases[0]!.design.top,
    params: { ...config },
    cycles: result.cycles,
    seed: 0,
    result,
    cyclesPerImage: images.reduce((s, im) => s + im.cycles, 0) / images.length,
    model: model.name,
    images,
  };
}
