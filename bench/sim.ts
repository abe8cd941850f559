// Simulator benchmark (DESIGN.md §12): cycles per second of the compiled TypeScript simulator and of
// Verilator (-O3, one thread) on the same design and the same stimulus, side by side with the ratio.
//
//   npm run bench:sim -- [--cycles N] [--seed S] [--repeat K] [--rows R --cols C] [--chunk-size N] [--json]
//
// Design: the weight-stationary INT8 systolic array of gen/array.ts, 16×16 by default, built in the
// DSL and emitted to Verilog for Verilator. Stimulus: bench/stimulus.ts (xorshift32, generated on the
// fly on both sides: weight tiles reloaded every 256 cycles, fresh random activations every cycle).
// Agreement: both sides fold every output after every rising edge into one running checksum; the
// run fails (exit status 1) when the two differ. Only the simulation loops are timed: the TS loop
// here, and the C++ loop inside the Verilated harness (its own clock), not builds or start-up.
// With --repeat K (default 3) both run K times, alternating, and the fastest run of each counts:
// the minimum is the least disturbed by other load on the machine.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { arrayPorts, systolicArray, resolveArrayOptions, type ArrayConfig } from '../gen/array.js';
import { build } from '../hdl/dsl/index.js';
import type { Design } from '../hdl/ir/index.js';
import { emitVerilog } from '../hdl/verilog.js';
import { compile, type CompileOptions } from '../sim/compile/index.js';
import { buildBench, runBench, type BenchRun } from './verilator.js';
import { CHECKSUM_BASIS, checkSeed, checksumStep, PERIOD, xorshift32 } from './stimulus.js';

interface BenchArgs {
  cycles: number;
  seed: number;
  repeat: number;
  rows: number;
  cols: number;
  /** Passed to compile() when given (statements per generated function), for tuning experiments. */
  chunkSize: number | undefined;
  json: boolean;
}

function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      cycles: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      repeat: { type: 'string', default: '3' },
      rows: { type: 'string', default: '16' },
      cols: { type: 'string', default: '16' },
      'chunk-size': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, not '${text}'`);
    return n;
  };
  return {
    cycles: int('cycles', values.cycles, 1),
    seed: checkSeed(int('seed', values.seed, 1)),
    repeat: int('repeat', values.repeat, 1),
    rows: int('rows', values.rows, 1),
    cols: int('cols', values.cols, 1),
    chunkSize: values['chunk-size'] === undefined ? undefined : int('chunk-size', values['chunk-size'], 1),
    json: values.json,
  };
}

export interface TsRun {
  readonly seconds: number;
  readonly checksum: number;
}

/** The TypeScript side: the stimulus and checksum of bench/stimulus.ts on the compiled simulator. */
export function runTs(design: Design, config: ArrayConfig, cycles: number, seed: number, options: CompileOptions = {}): TsRun {
  const { rows, cols } = config;
  const sim = compile(design, options);
  const rst = sim.handle('rst');
  const loadWeight = sim.handle(arrayPorts.loadWeight);
  const act = Array.from({ length: rows }, (_, i) => sim.handle(arrayPorts.act(i)));
  const weight = Array.from({ length: cols }, (_, j) => sim.handle(arrayPorts.weight(j)));
  const out = Array.from({ length: cols }, (_, j) => sim.handle(arrayPorts.out(j)));

  rst.set(1);
  sim.step();
  rst.set(0);

  let s = seed >>> 0;
  let h = CHECKSUM_BASIS;
  let r = 0;
  const started = performance.now();
  for (let c = 0; c < cycles; c++) {
    const load = c % PERIOD < rows ? 1 : 0;
    loadWeight.set(load);
    if (load) {
      for (let j = 0; j < cols; j++) {
        if ((j & 3) === 0) r = s = xorshift32(s);
        weight[j]!.set((r >>> ((j & 3) << 3)) & 255);
      }
    }
    for (let i = 0; i < rows; i++) {
      if ((i & 3) === 0) r = s = xorshift32(s);
      act[i]!.set((r >>> ((i & 3) << 3)) & 255);
    }
    sim.step();
    for (let j = 0; j < cols; j++) h = checksumStep(h, out[j]!.get());
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, checksum: h };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!args.json) console.log(line);
    else console.error(line);
  };
  const config = resolveArrayOptions({ rows: args.rows, cols: args.cols, width: 8 });
  if (config.accWidth > 32) throw new RangeError('the benchmark checksums 32-bit outputs; use accWidth <= 32');
  const design = build(systolicArray(config));
  log(`design: ${design.top} (${args.rows * args.cols} PEs), ${args.cycles} cycles, seed ${args.seed}`);

  const verilatorBuild = await buildBench(emitVerilog(design), { topModule: design.top, rows: config.rows, cols: config.cols }, log);
  const tsRuns: TsRun[] = [];
  const vRuns: BenchRun[] = [];
  for (let k = 0; k < args.repeat; k++) {
    tsRuns.push(runTs(design, config, args.cycles, args.seed, args.chunkSize === undefined ? {} : { chunkSize: args.chunkSize }));
    vRuns.push(await runBench(verilatorBuild, args.cycles, args.seed));
    log(`run ${k + 1}/${args.repeat}: TS ${tsRuns[k]!.seconds.toFixed(3)} s, Verilator ${vRuns[k]!.seconds.toFixed(3)} s`);
  }
  const fastest = <T extends { seconds: number }>(runs: T[]): T => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const ts = fastest(tsRuns);
  const v = fastest(vRuns);
  // Every run of one side must give the same checksum (same seed); any disagreement fails the run.
  const consistent = tsRuns.every((x) => x.checksum === ts.checksum) && vRuns.every((x) => x.checksum === v.checksum);

  const tsCyclesPerSec = args.cycles / ts.seconds;
  const verilatorCyclesPerSec = v.cycles / v.seconds;
  const result = {
    tsCyclesPerSec: Math.round(tsCyclesPerSec),
    verilatorCyclesPerSec: Math.round(verilatorCyclesPerSec),
    ratio: Number((tsCyclesPerSec / verilatorCyclesPerSec).toFixed(3)),
    cycles: args.cycles,
    checksumsEqual: consistent && ts.checksum === v.checksum,
    design: design.top,
    verilator: `${verilatorBuild.toolchain.versionLine} (${verilatorBuild.toolchain.kind}; ${verilatorBuild.flags.join(' ')})`,
    seed: args.seed,
    repeat: args.repeat,
    chunkSize: args.chunkSize ?? null,
    tsSeconds: Number(ts.seconds.toFixed(3)),
    verilatorSeconds: Number(v.seconds.toFixed(3)),
    tsChecksum: ts.checksum,
    verilatorChecksum: v.checksum,
    node: process.version,
  };
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    const rate = (x: number): string => `${(x / 1e6).toFixed(3)} M cycles/s`;
    console.log(`TS compiled simulator: ${rate(tsCyclesPerSec)}  (${ts.seconds.toFixed(2)} s)`);
    console.log(`Verilator:             ${rate(verilatorCyclesPerSec)}  (${v.seconds.toFixed(2)} s; ${result.verilator})`);
    console.log(`ratio TS / Verilator:  ${result.ratio.toFixed(3)}  (target >= 0.5)`);
    console.log(`checksums:             ${ts.checksum.toString(16)} / ${v.checksum.toString(16)} ${result.checksumsEqual ? 'equal' : 'DIFFER'}`);
  }
  if (!result.checksumsEqual) process.exitCode = 1;
}

// Run only as a program (npm run bench:sim), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  });
}
