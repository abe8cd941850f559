// Helpers that run the external Verilog tools on files, for tests.
//
// Every helper takes argument arrays (never a shell string), returns { ok, output } with stdout and
// stderr together, and throws when the tool is not installed, saying how to install it: tests that
// need Verilator or Icarus fail on a machine without them rather than skipping (CI installs them).
// Yosys runs in-process from the npm package @yowasp/yosys, so it is always present.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runYosys } from '@yowasp/yosys';

export interface ToolResult {
  /** The tool exited with status 0. */
  readonly ok: boolean;
  /** stdout followed by stderr. */
  readonly output: string;
}

export const INSTALL_HINT = 'install the Verilog tools with: apt-get install -y verilator iverilog';

/** Default time limit of one tool run (a Verilator lint of a big design takes seconds, not minutes). */
const TIMEOUT_MS = 300_000;

/** Run `command args` without a shell. Throws when the command is not on PATH. */
export function runTool(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): ToolResult {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`'${command}' was not found on PATH; ${INSTALL_HINT}`);
    throw new Error(`'${command} ${args.join(' ')}' failed to run: ${r.error.message}`);
  }
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.signal) return { ok: false, output: `${output}\n(killed by ${r.signal})` };
  return { ok: r.status === 0, output };
}

/** A fresh temporary directory (left for the OS to clean, so failures can be inspected). */
export function tempDir(prefix = 'splitfuse-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * `verilator --lint-only -Wall --top-module <top> <files>`. ok is true only when Verilator exits 0;
 * with -Wall every warning is an error, so ok also means "no warnings".
 */
export function lintVerilator(files: readonly string[], top: string, extraArgs: readonly string[] = []): ToolResult {
  return runTool('verilator', ['--lint-only', '-Wall', '--top-module', top, ...extraArgs, ...files]);
}

/**
 * `iverilog -g2005 -Wall -s <top> -o <outPath> <files>`: compile for simulation with vvp. ok means it
 * compiled; warnings (e.g. a testbench's timescale) appear in output without making ok false.
 */
export function compileIcarus(files: readonly string[], top: string, outPath: string, extraArgs: readonly string[] = []): ToolResult {
  return runTool('iverilog', ['-g2005', '-Wall', '-s', top, '-o', outPath, ...extraArgs, ...files]);
}

/** Run a compiled Icarus simulation (`vvp -n <compiled>`); the testbench's $display output is in output. */
export function runIcarus(compiledPath: string, plusargs: readonly string[] = []): ToolResult {
  return runTool('vvp', ['-n', compiledPath, ...plusargs]);
}

export interface YosysResult extends ToolResult {
  /** Text files in Yosys's virtual file system after the run (inputs and whatever the script wrote). */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Run a Yosys script in-process (@yowasp/yosys) on the given files, which are placed by base name in
 * Yosys's virtual file system (so the script names them without a directory; files it writes, e.g.
 * `write_verilog out.v`, come back in `files`). With `-q`, the output holds only warnings and errors.
 */
export async function runYosysScript(files: readonly string[], script: string): Promise<YosysResult> {
  const tree: Record<string, string> = {};
  for (const f of files) {
    const name = path.basename(f);
    if (name in tree) throw new Error(`two files named '${name}' given to Yosys`);
    tree[name] = readFileSync(f, 'utf8');
  }
  const decoder = new TextDecoder();
  let output = '';
  const collect = (bytes: Uint8Array | null): void => {
    if (bytes) output += decoder.decode(bytes, { stream: true });
  };
  try {
    const result = await runYosys(['-q', '-p', script], tree, { stdout: collect, stderr: collect });
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(result ?? {})) {
      if (typeof value === 'string') out[name] = value;
      else if (value instanceof Uint8Array) out[name] = new TextDecoder().decode(value);
    }
    return { ok: true, output, files: out };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'number') throw e;
    return { ok: false, output: `${output}\n(yosys exited with status ${code})`, files: {} };
  }
}

/**
 * Parse the files with Yosys `read_verilog`, elaborate from `top` and run the structural checks:
 * `hierarchy -check -top <top>; proc; check -assert` (check fails on, e.g., multiple drivers,
 * undriven wires used as inputs and combinational loops). Warnings make ok false too.
 */
export async function yosysParse(files: readonly string[], top: string): Promise<ToolResult> {
  const reads = files.map((f) => `read_verilog ${path.basename(f)}`).join('; ');
  const r = await runYosysScript(files, `${reads}; hierarchy -check -top ${top}; proc; check -assert`);
  return { ok: r.ok && !/warning/i.test(r.output), output: r.output };
}
