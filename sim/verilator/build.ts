// Building and running Verilated simulators, cached by content (PyMTL3 style): a build lives in
// <cacheDir>/<sha256 of (Verilog sources, harness, flags, Verilator version)>/ and is reused by any
// later request with the same inputs, in this process or another. Builds happen in a private
// temporary directory that is renamed into place when complete, so concurrent test workers never see
// half a build. Verilator gets the default warnings, which are fatal: emitted Verilog must be clean.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { harnessCpp, parseHarnessTiming, type HarnessSpec } from './harness.js';
import { buildJobs, defaultToolchain, type Toolchain } from './locate.js';
import { runProgram, tail, type RunResult } from './run.js';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';

/** The build tool a failed step lacked: the program itself not found (make), or the compiler make could not start. */
function missingCompiler(file: string, r: RunResult): string | null {
  if (r.spawnError?.code === 'ENOENT') return path.basename(file);
  const m = /(?:^|[\s:])((?:[\w.+-]*-)?(?:g\+\+|c\+\+|clang\+\+|ccache|cc|gcc))(?::\s*(?:command not found|No such file or directory|not found)|: Command not found)/m.exec(`${r.stderr}\n${r.stdout}`);
  return m ? m[1]! : null;
}

export interface VerilogSource {
  readonly fileName: string;
  readonly text: string;
}

export interface BuildRequest {
  /** Every Verilog file of the model, the top module included. */
  readonly sources: readonly VerilogSource[];
  /** The harness's view of the top module (its name picks the Verilog top). */
  readonly harness: HarnessSpec;
  /**
   * A C++ main() to compile instead of the generated file-driven harness (e.g. a benchmark that makes
   * its own stimulus); runModel() then does not apply, run `binary` directly.
   */
  readonly mainCpp?: string;
  /** Compile VCD tracing in (`--trace`); the run then accepts a trace file. */
  readonly trace?: boolean;
  readonly toolchain?: Toolchain;
  /** Default: $SPLITFUSE_CACHE_DIR/verilator, else <repo>/.cache/verilator. */
  readonly cacheDir?: string;
  /** Parallel C++ compile jobs (default: number of cores). Not part of the hash. */
  readonly jobs?: number;
  /** C++ optimisation for the model's hot code (make's OPT_FAST; Verilator's default is -Os). */
  readonly cxxOptimize?: string;
  /** Progress messages. */
  readonly log?: (line: string) => void;
}

export interface Build {
  readonly hash: string;
  /** The cache entry: sources, harness.cpp, build.log, build.json and the simulator `sim`. */
  readonly dir: string;
  readonly binary: string;
  readonly harness: HarnessSpec;
  readonly toolchain: Toolchain;
  /** Verilator arguments (without the source files, -j and the output directory). */
  readonly flags: readonly string[];
  readonly trace: boolean;
  /** Wall time of the Verilator + C++ build that produced this entry (also when reused). */
  readonly buildSeconds: number;
  /** True when the entry already existed. */
  readonly cached: boolean;
}

/** A failed Verilator or C++ build; `files` are the Verilog files its diagnostics name. */
export class VerilatorBuildError extends Error {
  readonly files: readonly string[];
  constructor(
    message: string,
    readonly log: string,
    /** The kept build directory (sources and build.log). */
    readonly dir: string,
  ) {
    super(message);
    this.name = 'VerilatorBuildError';
    const files = new Set<string>();
    for (const m of log.matchAll(/^%(?:Error|Warning)[^:]*: ([^\s:]+\.s?v):\d+/gm)) files.add(m[1]!);
    this.files = [...files];
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function defaultCacheDir(): string {
  const env = process.env.SPLITFUSE_CACHE_DIR;
  return env ? path.resolve(env, 'verilator') : path.join(repoRoot, '.cache', 'verilator');
}

/**
 * The Verilator arguments of a build. --x-assign/--x-initial 0 make every X a 0, matching the 2-state
 * TypeScript simulators; -O3 is Verilator's full optimisation; the model is single-threaded (the default).
 * UNSIGNED and CMPCONST are not fatal here: they flag comparisons that Verilator's own constant folding
 * makes constant (e.g. `x < (x ^ x)` in a random design), which are legal and simulate exactly; the
 * emitted Verilog is held to `--lint-only -Wall` separately (test/hdl/verilog.test.ts).
 */
export function verilatorFlags(top: string, options: { trace: boolean; cxxOptimize?: string }): string[] {
  const flags = ['--cc', '--exe', '--build', '-O3', '--x-assign', '0', '--x-initial', '0', '-Wno-UNSIGNED', '-Wno-CMPCONST', '--top-module', top];
  if (options.trace) flags.push('--trace');
  if (options.cxxOptimize) flags.push('-MAKEFLAGS', optFlags(options.cxxOptimize).join(' '));
  return flags;
}

/** make variables that compile the model's fast and slow code and Verilator's runtime at one level. */
function optFlags(level: string): string[] {
  return [`OPT_FAST=${level}`, `OPT_SLOW=${level}`, `OPT_GLOBAL=${level}`];
}

function hashOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const inFlight = new Map<string, Promise<Build>>();

/** Build (or reuse from the cache) the simulator for `request`. */
export async function buildModel(request: BuildRequest): Promise<Build> {
  const toolchain = request.toolchain ?? (await defaultToolchain());
  const trace = request.trace ?? false;
  const flags = verilatorFlags(request.harness.topModule, { trace, ...(request.cxxOptimize ? { cxxOptimize: request.cxxOptimize } : {}) });
  const harnessText = request.mainCpp ?? harnessCpp(request.harness);
  const sources = [...request.sources].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  const names = new Set<string>();
  for (const s of sources) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\.s?v$/.test(s.fileName) || names.has(s.fileName)) {
      throw new Error(`Verilog file name must be a unique plain name ending in .v, not '${s.fileName}'`);
    }
    names.add(s.fileName);
  }
  const hash = hashOf({ format: 1, versionLine: toolchain.versionLine, kind: toolchain.kind, flags, harness: harnessText, sources });
  const cacheDir = path.resolve(request.cacheDir ?? defaultCacheDir());
  const dir = path.join(cacheDir, hash);
  const base = { hash, dir, binary: path.join(dir, 'sim'), harness: request.harness, toolchain, flags, trace };

  const reuse = async (): Promise<Build | null> => {
    if (!existsSync(path.join(dir, 'build.json')) || !existsSync(base.binary)) return null;
    const meta = JSON.parse(await readFile(path.join(dir, 'build.json'), 'utf8')) as { buildSeconds?: number };
    return { ...base, buildSeconds: meta.buildSeconds ?? 0, cached: true };
  };
  const known = await reuse();
  if (known) return known;
  const pending = inFlight.get(dir);
  if (pending) return { ...(await pending), cached: true };

  const job = (async (): Promise<Build> => {
    await mkdir(cacheDir, { recursive: true });
    const work = await mkdtemp(path.join(cacheDir, `${hash.slice(0, 16)}.tmp-${process.pid}-`));
    try {
      for (const s of sources) await writeFile(path.join(work, s.fileName), s.text);
      await writeFile(path.join(work, 'harness.cpp'), harnessText);
      // Verilate, then compile with make (what --build does), reusing the Verilator runtime objects.
      const argv = ['verilator', ...flags.filter((f) => f !== '--build'), '--Mdir', 'obj_dir', '-o', 'sim', ...sources.map((s) => s.fileName), 'harness.cpp'];
      request.log?.(`verilator: building ${request.harness.topModule} (${sources.length} files) in ${work}`);
      const started = performance.now();
      const logText: string[] = [];
      const step = async (stepArgv: string[]): Promise<void> => {
        const cmd = toolchain.invocation(stepArgv, work, []);
        const r = await runProgram(cmd.file, cmd.args, { cwd: work, timeoutMs: 60 * 60 * 1000 });
        logText.push(`$ ${stepArgv.join(' ')}`, r.stdout, r.stderr);
        await writeFile(path.join(work, 'build.log'), logText.join('\n'));
        if (r.code === 0) return;
        const missing = missingCompiler(cmd.file, r);
        if (missing) throw new DiagnosticError([msg.missingTool(missing, 'installed on PATH to compile the Verilated model', 'missing', 'install a C++ toolchain: apt-get install make g++ (Debian/Ubuntu), xcode-select --install (macOS); or start Docker to build in the image from docker/Dockerfile')]);
        const kept = path.join(cacheDir, `failed-${hash.slice(0, 16)}`);
        await rm(kept, { recursive: true, force: true });
        await rename(work, kept).catch(() => {});
        throw new VerilatorBuildError(
          `Verilator build of '${request.harness.topModule}' must succeed (warnings are errors), not exit with ${r.code ?? 'a signal'}. ` +
            `Sources and log: ${kept}\n${tail(r.stderr || r.stdout)}`,
          `${r.stdout}\n${r.stderr}`,
          kept,
        );
      };
      await step(argv);
      const runtime = runtimeDir(cacheDir, toolchain, trace, request.cxxOptimize);
      const reused = await restoreRuntime(runtime, path.join(work, 'obj_dir'));
      const jobs = String(request.jobs ?? buildJobs());
      await step(['make', '-C', 'obj_dir', '-f', `V${request.harness.topModule}.mk`, '-j', jobs, ...(request.cxxOptimize ? optFlags(request.cxxOptimize) : [])]);
      if (!reused) await saveRuntime(runtime, path.join(work, 'obj_dir'));
      const buildSeconds = (performance.now() - started) / 1000;
      await rename(path.join(work, 'obj_dir', 'sim'), path.join(work, 'sim'));
      await rm(path.join(work, 'obj_dir'), { recursive: true, force: true });
      await writeFile(
        path.join(work, 'build.json'),
        JSON.stringify({ hash, version: toolchain.versionLine, kind: toolchain.kind, flags, buildSeconds, builtAt: new Date().toISOString() }, null, 2),
      );
      try {
        await rename(work, dir);
      } catch {
        // Another process finished the same build first: use its entry.
        await rm(work, { recursive: true, force: true });
        const other = await reuse();
        if (other) return other;
        throw new Error(`Verilator cache entry ${dir} must be complete, not partial: delete it and retry`);
      }
      request.log?.(`verilator: built ${request.harness.topModule} in ${buildSeconds.toFixed(1)} s`);
      return { ...base, buildSeconds, cached: false };
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  })();
  inFlight.set(dir, job);
  try {
    return await job;
  } finally {
    inFlight.delete(dir);
  }
}

export interface RunRequest {
  /** Stimulus file contents (harness.ts encodeStimulus). */
  readonly stimulus: Buffer;
  /** Write a VCD trace (the build must have trace: true); its path is returned and removed by cleanup(). */
  readonly trace?: boolean;
}

export interface ModelRun {
  /** Output file contents (harness.ts decodeOutputs). */
  readonly outputs: Buffer;
  /** Path of the VCD trace when requested; valid until cleanup(). */
  readonly vcdPath: string | null;
  /** Seconds the model spent simulating (the harness's own measurement, without file I/O and start-up). */
  readonly simSeconds: number;
  /** Wall time of the whole run, process start-up included. */
  readonly wallSeconds: number;
  cleanup(): Promise<void>;
}

/** Run a built simulator on one stimulus. */
export async function runModel(build: Build, request: RunRequest): Promise<ModelRun> {
  if (request.trace && !build.trace) throw new Error('A VCD trace needs a build with trace: true');
  const work = await mkdtemp(path.join(os.tmpdir(), `splitfuse-verilator-${randomBytes(3).toString('hex')}-`));
  const cleanup = () => rm(work, { recursive: true, force: true });
  try {
    const stimulusPath = path.join(work, 'stimulus.bin');
    const outputsPath = path.join(work, 'outputs.bin');
    const vcdPath = request.trace ? path.join(work, 'trace.vcd') : null;
    await writeFile(stimulusPath, request.stimulus);
    const argv = [build.binary, stimulusPath, outputsPath, ...(vcdPath ? [vcdPath] : [])];
    const cmd = build.toolchain.invocation(argv, work, [build.dir]);
    const r = await runProgram(cmd.file, cmd.args, { cwd: work });
    if (r.code !== 0) {
      throw new Error(`Verilated simulator ${build.binary} must run to the end, not exit with ${r.code ?? 'a signal'}:\n${tail(r.stderr + r.stdout)}`);
    }
    const timing = parseHarnessTiming(r.stderr);
    return { outputs: await readFile(outputsPath), vcdPath, simSeconds: timing?.seconds ?? r.seconds, wallSeconds: r.seconds, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

// ---- the Verilator runtime library ----
// verilated.cpp, verilated_threads.cpp and verilated_vcd_c.cpp take ~17 s of C++ compilation that
// does not depend on the design; their objects are kept per (Verilator, trace, C++ options) and
// copied into each new build before make runs (they are then newer than the generated makefile,
// so make keeps them).

function runtimeDir(cacheDir: string, toolchain: Toolchain, trace: boolean, cxxOptimize: string | undefined): string {
  const key = hashOf({ versionLine: toolchain.versionLine, kind: toolchain.kind, image: toolchain.image ?? null, trace, cxxOptimize: cxxOptimize ?? null, cxx: process.env.CXX ?? null });
  return path.join(cacheDir, `runtime-${key.slice(0, 24)}`);
}

const isRuntimeObject = (name: string): boolean => /^verilated[a-z_]*\.o$/.test(name);

async function restoreRuntime(runtime: string, objDir: string): Promise<boolean> {
  if (!existsSync(path.join(runtime, 'complete'))) return false;
  const names = (await readdir(runtime)).filter(isRuntimeObject);
  for (const n of names) await copyFile(path.join(runtime, n), path.join(objDir, n));
  return names.length > 0;
}

async function saveRuntime(runtime: string, objDir: string): Promise<void> {
  const names = (await readdir(objDir)).filter(isRuntimeObject);
  if (names.length === 0 || existsSync(runtime)) return;
  const tmp = `${runtime}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    await mkdir(tmp, { recursive: true });
    for (const n of names) await copyFile(path.join(objDir, n), path.join(tmp, n));
    await writeFile(path.join(tmp, 'complete'), names.join('\n'));
    await rename(tmp, runtime);
  } catch {
    // Another process saved it first, or the cache is read-only: the next build compiles the runtime again.
    await rm(tmp, { recursive: true, force: true });
  }
}
