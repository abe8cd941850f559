// `splitfuse sim`: elaborate a registered block, drive it with the seeded random stimulus of
// co-simulation (sim/verilator/stimulus.ts), run the compiled simulator, optionally dump a VCD of
// every port and register, and report the final outputs and the simulation speed.
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { topModule } from '../hdl/ir/index.js';
import { compile, type SignalHandle } from '../sim/compile/index.js';
import { traceVcd } from '../sim/vcd.js';
import { randomInputStream } from '../sim/verilator/stimulus.js';
import type { BlockParams } from './blocks.js';
import type { CliIO } from './main.js';
import { elaborateBlock } from './generate.js';

/** Cycles simulated between two progress reports (and stimulus rows generated ahead of the simulator). */
const CHUNK_CYCLES = 8192;
/** The longest run `sim` and `cosim` accept: 10^9 cycles. */
export const MAX_CYCLES = 1_000_000_000;

/**
 * An integer option of a command checked against [min, max]; `value` is the command-line text or a
 * number from a library caller. Throws DiagnosticError E102 naming the option and the command.
 */
export function integerOption(command: string, option: string, value: string | number, min: number, max: number): number {
  const text = String(value).trim();
  const n = typeof value === 'number' ? value : /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const found = typeof value === 'number' ? String(value) : `'${value}'`;
  throw new DiagnosticError([
    msg.usage(`Option '${option}' of 'splitfuse ${command}'`, `an integer in ${min}..${max}`, found, `e.g. ${option} ${Math.max(min, Math.min(max, 1000))}`),
  ]);
}

export interface SimBlockOptions {
  /** Name of a block in cli/blocks.ts. */
  readonly block: string;
  /** `key=value` strings, as given to --set. */
  readonly set?: readonly string[];
  /** Clock edges to simulate (default 1000). */
  readonly cycles?: number;
  /** Seed of the random stimulus (default 1). */
  readonly seed?: number;
  /** Write a VCD of every port and register here (GTKWave-compatible, sim/vcd.ts). */
  readonly vcdFile?: string;
  /** Called after every chunk of cycles with the cycles done so far (for a progress bar). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SimBlockResult {
  readonly block: string;
  /** Top module of the elaborated design. */
  readonly top: string;
  readonly params: BlockParams;
  readonly cycles: number;
  readonly seed: number;
  /**
   * Every top-level output after the last edge, with the inputs of the last cycle still applied
   * (so combinational outputs reflect them), read with the port's signedness.
   */
  readonly outputs: Readonly<Record<string, bigint>>;
  /** Seconds spent in the simulator (stimulus generation excluded; VCD writing included). */
  readonly seconds: number;
  /** cycles / seconds. */
  readonly cyclesPerSec: number;
  /** The VCD file written, or null. */
  readonly vcd: string | null;
}

/**
 * Simulate a block for `cycles` edges. Cycle t: the inputs of row t of randomInputs(design, cycles,
 * seed) are applied (reset high in cycle 0 and about one cycle in 16), then one rising edge. The
 * stimulus is generated CHUNK_CYCLES rows at a time, so any length runs in constant memory.
 */
export function simBlock(options: SimBlockOptions): SimBlockResult {
  const cycles = integerOption('sim', '--cycles', options.cycles ?? 1000, 1, MAX_CYCLES);
  const seed = integerOption('sim', '--seed', options.seed ?? 1, 0, Number.MAX_SAFE_INTEGER);
  const { block, params, design } = elaborateBlock(options.block, options.set ?? []);
  const sim = compile(design);
  const outputNames = topModule(design).ports.filter((p) => p.dir === 'out').map((p) => p.name);

  let vcdFd: number | null = null;
  let vcd = null;
  // The dump is written in blocks of about 1 MB: one write per sampled cycle would dominate the run.
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = (): void => {
    if (vcdFd !== null && pending.length > 0) fs.writeSync(vcdFd, pending.join(''));
    pending = [];
    pendingLength = 0;
  };
  if (options.vcdFile !== undefined) {
    vcdFd = openForWriting('VCD file', options.vcdFile);
    // Ports and registers, not internal wires: what a waveform of a block is read for.
    const ports = new Set(['clk', 'rst', ...topModule(design).ports.map((p) => p.name)]);
    const signals = [...new Set([...sim.signalNames().filter((n) => ports.has(n)), ...sim.registerNames()])];
    vcd = traceVcd(sim, {
      signals,
      date: `splitfuse sim ${block.name}, seed ${seed}, ${cycles} cycles`,
      sink: (chunk) => {
        pending.push(chunk);
        pendingLength += chunk.length;
        if (pendingLength >= 1 << 20) flush();
      },
    });
  }

  const nextRow = randomInputStream(design, seed);
  let handles: { name: string; handle: SignalHandle }[] | null = null;
  let seconds = 0;
  try {
    for (let done = 0; done < cycles; ) {
      const n = Math.min(CHUNK_CYCLES, cycles - done);
      const rows: Record<string, bigint>[] = [];
      for (let i = 0; i < n; i++) rows.push(nextRow());
      handles ??= Object.keys(rows[0]!).map((name) => ({ name, handle: sim.handle(name) }));
      const started = performance.now();
      for (const row of rows) {
        for (const h of handles) h.handle.setBig(row[h.name]!);
        sim.step();
      }
      seconds += (performance.now() - started) / 1000;
      done += n;
      options.onProgress?.(done, cycles);
    }
    vcd?.close();
    flush();
  } finally {
    if (vcdFd !== null) fs.closeSync(vcdFd);
  }
  const outputs: Record<string, bigint> = {};
  for (const name of outputNames) outputs[name] = sim.peek(name);
  return {
    block: block.name,
    top: design.top,
    params,
    cycles,
    seed,
    outputs,
    seconds,
    cyclesPerSec: seconds > 0 ? cycles / seconds : Number.POSITIVE_INFINITY,
    vcd: options.vcdFile ?? null,
  };
}

/** fs.openSync(file, 'w'), or DiagnosticError E104 with the system's reason. */
function openForWriting(what: string, file: string): number {
  try {
    return fs.openSync(file, 'w');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code ? `${e.code} (${e.message.replace(/^[A-Z]+: /, '').replace(/, open .*$/, '')})` : e.message;
    throw new DiagnosticError([msg.unwritableFile(what, file, reason)]);
  }
}

/** The human summary: parameters, cycles, time, speed, each output. */
export function simSummaryText(r: SimBlockResult): string {
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  const lines = [
    `${r.block} (${params}) -> ${r.top}: ${r.cycles} cycles, seed ${r.seed}, random stimulus`,
    `  simulated in ${r.seconds.toFixed(3)} s: ${Math.round(r.cyclesPerSec).toLocaleString('en-US')} cycles/s (compiled simulator)`,
    '  outputs after the last cycle:',
    ...Object.entries(r.outputs).map(([name, v]) => `    ${name} = ${v}`),
  ];
  if (r.vcd !== null) lines.push(`  wrote ${r.vcd}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The JSON of `splitfuse sim --json`: {block, top, params, cycles, seed, outputs, seconds, cyclesPerSec,
 * vcd}. Output values are decimal strings (they may exceed 2^53).
 */
export function simJson(r: SimBlockResult): string {
  const outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.toString()]));
  const json = { block: r.block, top: r.top, params: r.params, cycles: r.cycles, seed: r.seed, outputs, seconds: r.seconds, cyclesPerSec: r.cyclesPerSec, vcd: r.vcd };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * A cli-progress bar of simulated cycles on `stream` (a terminal), shown only once a run has lasted
 * half a second, so short runs print nothing. Call stop() when the run ends.
 */
export function cycleProgressBar(stream: NodeJS.WriteStream): { onProgress: (done: number, total: number) => void; stop: () => void } {
  const started = performance.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    onProgress: (done, total) => {
      if (!bar && performance.now() - started < 500) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream, format: 'sim |{bar}| {percentage}% {value}/{total} cycles, ETA {eta}s', hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(total, done);
      } else bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/** The options of `splitfuse sim <block>` as commander parses them. */
export interface SimCommandOptions {
  readonly set: string[];
  readonly cycles?: string;
  readonly seed?: string;
  readonly vcd?: string;
  readonly json?: boolean;
}

/** Run `splitfuse sim <block>`: validate the options (E102), simulate, print the summary or the JSON. */
export function simCommand(block: string, opts: SimCommandOptions, io: CliIO): void {
  const bar = io.progressStream && !opts.json ? cycleProgressBar(io.progressStream) : null;
  let result: SimBlockResult;
  try {
    result = simBlock({
      block,
      set: opts.set,
      ...(opts.cycles !== undefined ? { cycles: integerOption('sim', '--cycles', opts.cycles, 1, MAX_CYCLES) } : {}),
      ...(opts.seed !== undefined ? { seed: integerOption('sim', '--seed', opts.seed, 0, Number.MAX_SAFE_INTEGER) } : {}),
      ...(opts.vcd !== undefined ? { vcdFile: opts.vcd } : {}),
      ...(bar ? { onProgress: bar.onProgress } : {}),
    });
  } finally {
    bar?.stop();
  }
  io.stdout(opts.json ? simJson(result) : simSummaryText(result));
}
