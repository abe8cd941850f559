// Running Yosys: the system `yosys` when it is on PATH (native, faster), else the WebAssembly build
// from the npm package @yowasp/yosys, in-process, so synthesis works on every machine with Node.
//
// Both engines see the same thing: the input files by base name in the working directory, the
// script given with `-p`, and every file the script writes (e.g. `tee -o stat.json stat -json`)
// returned by name. A failed run is a DiagnosticError: E120 with the log lines around the first
// ERROR, or E122 when the top module is not among the files (Yosys's `hierarchy -top` failure).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Exit, runYosys as runYowasp } from '@yowasp/yosys';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';

/** Which Yosys runs a script: 'auto' picks the system one when on PATH, else the WebAssembly one. */
export type YosysEngine = 'auto' | 'system' | 'wasm';

/** A file handed to Yosys: its base name in Yosys's working directory and its text. */
export interface YosysFile {
  readonly name: string;
  readonly text: string;
}

export interface YosysOptions {
  /** Verilog (or other) input files: paths on disk, or names with their text. Base names must differ. */
  readonly files: readonly (string | YosysFile)[];
  /** A Yosys script (commands separated by `;` or newlines), run with `yosys -p`. */
  readonly script: string;
  readonly engine?: YosysEngine;
  /** Pass `-q`: the log then holds only warnings and errors. Default false (the full log). */
  readonly quiet?: boolean;
  /** Name of the top module, so that a missing top is reported as E122 rather than E120. */
  readonly top?: string;
  /** Time limit of a system Yosys run in ms (default 10 minutes); the WebAssembly run has none. */
  readonly timeoutMs?: number;
}

export interface YosysRun {
  /** 'system' or 'wasm': the engine that ran. */
  readonly engine: 'system' | 'wasm';
  /** stdout and stderr, interleaved as Yosys wrote them (the wasm build) or stdout then stderr (system). */
  readonly log: string;
  /** Text of the files the script wrote (by name; input files are not included unless rewritten). */
  readonly outputs: Readonly<Record<string, string>>;
}

const DEFAULT_TIMEOUT_MS = 600_000;

let systemYosysCache: string | null | undefined;

/** The version line of the system `yosys` (e.g. "Yosys 0.55 (git sha1 ...)"), or null when it is not on PATH. */
export function systemYosysVersion(): string | null {
  if (systemYosysCache !== undefined) return systemYosysCache;
  const r = spawnSync('yosys', ['-V'], { encoding: 'utf8', timeout: 30_000 });
  systemYosysCache = r.error || r.status !== 0 ? null : r.stdout.trim();
  return systemYosysCache;
}

let wasmVersionCache: Promise<string> | undefined;

/** The version line of the WebAssembly Yosys, e.g. "Yosys 0.55 (git sha1 60f126cd0, ...)". */
export function wasmYosysVersion(): Promise<string> {
  wasmVersionCache ??= runWasm([], ['-V']).then((r) => r.log.trim());
  return wasmVersionCache;
}

/** The engine `engine` resolves to; 'system' without a system Yosys is a DiagnosticError (E103). */
export function resolveEngine(engine: YosysEngine = 'auto'): 'system' | 'wasm' {
  if (engine === 'wasm') return 'wasm';
  const system = systemYosysVersion() !== null;
  if (engine === 'system' && !system) {
    throw new DiagnosticError([
      msg.missingTool('Yosys', "on PATH for engine 'system'", 'missing', "install Yosys (apt-get install -y yosys) or use engine 'auto' to run the WebAssembly build from @yowasp/yosys"),
    ]);
  }
  return system ? 'system' : 'wasm';
}

/** The version line of the Yosys `engine` resolves to. */
export async function yosysVersion(engine: YosysEngine = 'auto'): Promise<string> {
  return resolveEngine(engine) === 'system' ? systemYosysVersion()! : wasmYosysVersion();
}

/**
 * Run `yosys [-q] -p <script>` on the files. Resolves with the log and the files the script wrote;
 * rejects with a DiagnosticError when Yosys exits with a nonzero status (E120/E122) or the inputs
 * are unusable (E123: two files with one base name, a path that cannot be read).
 */
export async function runYosys(options: YosysOptions): Promise<YosysRun> {
  const inputs = loadInputs(options.files);
  const engine = resolveEngine(options.engine);
  const args = [...(options.quiet ? ['-q'] : []), '-p', options.script];
  const run = engine === 'system' ? await runSystem(inputs, args, options.timeoutMs ?? DEFAULT_TIMEOUT_MS) : await runWasm(inputs, args);
  if (run.status !== 0) throw new DiagnosticError([failureDiagnostic(run.log, run.status, options.top)]);
  return { engine, log: run.log, outputs: run.outputs };
}

function loadInputs(files: readonly (string | YosysFile)[]): YosysFile[] {
  const seen = new Map<string, string>();
  return files.map((f) => {
    const origin = typeof f === 'string' ? f : `the in-memory file '${f.name}'`;
    const name = typeof f === 'string' ? path.basename(f) : f.name;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new DiagnosticError([msg.yosysInput(`file names that differ after removing directories`, `'${name}' twice (${earlier} and ${origin})`, 'rename one of the files; Yosys sees them by base name in one directory')]);
    }
    seen.set(name, origin);
    if (typeof f !== 'string') return f;
    try {
      return { name, text: readFileSync(f, 'utf8') };
    } catch (e) {
      throw new DiagnosticError([msg.yosysInput('readable files', `'${f}' (${(e as Error).message})`, 'check the path; generate Verilog with "splitfuse gen"')]);
    }
  });
}

interface RawRun {
  readonly status: number;
  readonly log: string;
  readonly outputs: Record<string, string>;
}

async function runWasm(inputs: readonly YosysFile[], args: string[]): Promise<RawRun> {
  const tree: Record<string, string> = {};
  for (const f of inputs) tree[f.name] = f.text;
  const decoder = new TextDecoder();
  let log = '';
  const collect = (bytes: Uint8Array | null): void => {
    if (bytes) log += decoder.decode(bytes, { stream: true });
  };
  let files: unknown;
  let status = 0;
  try {
    files = await runYowasp(args, tree, { stdout: collect, stderr: collect });
  } catch (e) {
    // A design too big for WebAssembly's 32-bit address space ends in a RangeError or a trap
    // (measured: the `default` accelerator on xc7, after 25 minutes) rather than an ERROR line.
    if (e instanceof RangeError || e instanceof WebAssembly.RuntimeError) throw new DiagnosticError([msg.yosysWasmMemory(`${e.name}: ${e.message}`)]);
    if (!(e instanceof Exit)) throw e;
    status = e.code;
    files = e.files;
  }
  const outputs: Record<string, string> = {};
  for (const [name, value] of Object.entries((files ?? {}) as Record<string, unknown>)) {
    const text = typeof value === 'string' ? value : value instanceof Uint8Array ? new TextDecoder().decode(value) : null;
    // Inputs come back too; keep only what the script wrote or rewrote.
    if (text !== null && tree[name] !== text) outputs[name] = text;
  }
  return { status, log, outputs };
}

async function runSystem(inputs: readonly YosysFile[], args: string[], timeoutMs: number): Promise<RawRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-yosys-'));
  try {
    for (const f of inputs) writeFileSync(path.join(dir, f.name), f.text);
    const before = new Map(inputs.map((f) => [f.name, f.text]));
    const { status, log } = await new Promise<{ status: number; log: string }>((resolve, reject) => {
      // An argument array, never a shell string: the script reaches Yosys verbatim.
      const child = spawn('yosys', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ status: code ?? 1, log: `${out}${err}${signal ? `\n(killed by ${signal})` : ''}` }));
    });
    const outputs: Record<string, string> = {};
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (!statSync(file).isFile()) continue;
      const text = readFileSync(file, 'utf8');
      if (before.get(name) !== text) outputs[name] = text;
    }
    return { status, log, outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Yosys error lines: `ERROR: ...`, or `file.v:2: ERROR: ...` from the Verilog frontend. */
const ERROR_LINE = /(^|: )ERROR: /;

/** How many log lines before the first ERROR line a diagnostic quotes. */
const CONTEXT_LINES = 6;

/** The lines of a Yosys log that explain a failure: a few lines of context, then the ERROR and what follows it. */
export function relevantLogLines(log: string, context = CONTEXT_LINES): string[] {
  // Blank lines and the banner box (lines starting with |, / or \) say nothing about the failure.
  const lines = log
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^\s*[|/\\]/.test(l));
  const at = lines.findIndex((l) => ERROR_LINE.test(l));
  if (at < 0) return lines.slice(-context);
  return lines.slice(Math.max(0, at - context), at + 3);
}

function failureDiagnostic(log: string, status: number, top: string | undefined) {
  const lines = relevantLogLines(log);
  const error = lines.find((l) => ERROR_LINE.test(l))?.trim();
  // `hierarchy -top x` / `synth_* -top x` on a design without module x.
  if (top !== undefined && error && /Module `\\?[^']*' not found|top module .* not found/i.test(error) && error.includes(top)) {
    return msg.yosysTop(top, error);
  }
  return msg.yosysFailed(status, error ?? 'no ERROR line', lines);
}
