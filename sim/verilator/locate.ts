// Finding Verilator (DESIGN.md §4): `verilator` 5.x on PATH; otherwise, when a Docker engine answers,
// the image built from docker/Dockerfile (built on first use, tagged with a hash of the Dockerfile);
// otherwise an E103 error that says how to install either. Every program is spawned with an argument
// array, never through a shell.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { runProgram, tail } from './run.js';

/** Where and how Verilator (and the simulators it builds) run. */
export interface Toolchain {
  readonly kind: 'native' | 'docker';
  /** Short version, e.g. "Verilator 5.006": part of every build hash and of every co-simulation report. */
  readonly version: string;
  /** The full first line of `verilator --version`. */
  readonly versionLine: string;
  /** The Docker image (kind 'docker' only). */
  readonly image?: string;
  /**
   * The program and arguments that run `argv` in `cwd`. argv[0] is 'verilator' or the absolute path of
   * a simulator it built; `mounts` are absolute directories the command reads or writes (for Docker they
   * are mounted at the same path, so file names mean the same inside and outside the container).
   */
  invocation(argv: readonly string[], cwd: string, mounts: readonly string[]): { file: string; args: string[] };
}

export interface LocateOptions {
  /** The Verilator program to try first (default 'verilator', looked up on PATH). */
  readonly verilator?: string;
  /** The Docker client (default 'docker'). */
  readonly docker?: string;
  /** Environment for the look-up (default process.env); tests pass a PATH without the tools. */
  readonly env?: NodeJS.ProcessEnv;
  /** Skip the local Verilator and use Docker. */
  readonly preferDocker?: boolean;
  /** Progress messages (the Docker image build takes minutes). */
  readonly log?: (line: string) => void;
}

const REQUIRED_MAJOR = 5;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DOCKERFILE = path.join(repoRoot, 'docker', 'Dockerfile');

export const INSTALL_HINT =
  "install Verilator 5 with 'apt-get install -y verilator' (Debian bookworm / Ubuntu 23.04 or newer) or " +
  "'brew install verilator' (macOS), or install and start Docker to use the image from docker/Dockerfile";

/** "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)" → { version: "Verilator 5.006", major: 5 }. */
export function parseVersion(line: string): { version: string; major: number } | null {
  const m = /Verilator\s+(\d+)\.(\d+)/.exec(line);
  if (!m) return null;
  return { version: `Verilator ${m[1]}.${m[2]}`, major: Number(m[1]) };
}

/** Tag of the image built from the Dockerfile: changes whenever the Dockerfile does. */
export function dockerImageTag(dockerfileText: string): string {
  return `splitfuse-verilator:${createHash('sha256').update(dockerfileText).digest('hex').slice(0, 12)}`;
}

function nativeToolchain(program: string, versionLine: string, version: string): Toolchain {
  return {
    kind: 'native',
    version,
    versionLine,
    invocation: (argv) => ({ file: argv[0] === 'verilator' ? program : argv[0]!, args: argv.slice(1) }),
  };
}

/** docker run arguments that execute argv inside the image, as the calling user, with mounts at the same paths. */
export function dockerRunArgs(image: string, argv: readonly string[], cwd: string, mounts: readonly string[]): string[] {
  const args = ['run', '--rm', '--network', 'none'];
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  const gid = typeof process.getgid === 'function' ? process.getgid() : null;
  if (uid !== null && gid !== null) args.push('--user', `${uid}:${gid}`);
  for (const dir of new Set([cwd, ...mounts])) args.push('--volume', `${dir}:${dir}`);
  args.push('--workdir', cwd, image, ...argv);
  return args;
}

async function tryNative(program: string, env: NodeJS.ProcessEnv): Promise<{ toolchain: Toolchain | null; found: string }> {
  const r = await runProgram(program, ['--version'], { env, timeoutMs: 30_000 });
  if (r.spawnError || r.code !== 0) return { toolchain: null, found: r.spawnError ? 'missing from PATH' : `'${program} --version' failing` };
  const line = r.stdout.trim().split('\n')[0] ?? '';
  const v = parseVersion(line);
  if (!v) return { toolchain: null, found: `an unrecognised version '${line}'` };
  if (v.major < REQUIRED_MAJOR) return { toolchain: null, found: `${v.version}, which is too old` };
  return { toolchain: nativeToolchain(program, line, v.version), found: v.version };
}

async function tryDocker(docker: string, env: NodeJS.ProcessEnv, log: (s: string) => void): Promise<{ toolchain: Toolchain | null; found: string }> {
  const info = await runProgram(docker, ['info', '--format', '{{.ServerVersion}}'], { env, timeoutMs: 30_000 });
  if (info.spawnError) return { toolchain: null, found: 'no Docker client' };
  if (info.code !== 0) return { toolchain: null, found: 'no running Docker engine' };
  const text = readFileSync(DOCKERFILE, 'utf8');
  const image = dockerImageTag(text);
  const inspect = await runProgram(docker, ['image', 'inspect', '--format', '{{.Id}}', image], { env, timeoutMs: 60_000 });
  if (inspect.code !== 0) {
    log(`building Docker image ${image} from ${DOCKERFILE} (first use; takes a few minutes)`);
    const build = await runProgram(docker, ['build', '--tag', image, '--file', DOCKERFILE, path.dirname(DOCKERFILE)], { env });
    if (build.code !== 0) {
      throw new Error(`Docker image ${image} must build from ${DOCKERFILE}, not fail:\n${tail(build.stdout + build.stderr)}`);
    }
  }
  const ver = await runProgram(docker, ['run', '--rm', image, 'verilator', '--version'], { env, timeoutMs: 120_000 });
  const line = ver.stdout.trim().split('\n')[0] ?? '';
  const v = parseVersion(line);
  if (ver.code !== 0 || !v || v.major < REQUIRED_MAJOR) {
    throw new Error(`Image ${image} must provide Verilator ${REQUIRED_MAJOR}.x, not '${line || tail(ver.stderr, 5)}'`);
  }
  return {
    found: `${v.version} in Docker`,
    toolchain: {
      kind: 'docker',
      version: v.version,
      versionLine: line,
      image,
      invocation: (argv, cwd, mounts) => ({ file: docker, args: dockerRunArgs(image, argv, cwd, mounts) }),
    },
  };
}

/** Find a Verilator 5 toolchain, or throw a DiagnosticError with code E103 and installation instructions. */
export async function locateVerilator(options: LocateOptions = {}): Promise<Toolchain> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const found: string[] = [];
  if (!options.preferDocker) {
    const native = await tryNative(options.verilator ?? 'verilator', env);
    if (native.toolchain) return native.toolchain;
    found.push(`verilator ${native.found}`);
  }
  const docker = await tryDocker(options.docker ?? 'docker', env, log);
  if (docker.toolchain) return docker.toolchain;
  found.push(docker.found);
  throw new DiagnosticError([msg.missingTool('Verilator', `version ${REQUIRED_MAJOR}.x on PATH or a running Docker engine`, found.join(' and '), INSTALL_HINT)]);
}

let cached: Promise<Toolchain> | null = null;

/** locateVerilator() with the default options, looked up once per process. */
export function defaultToolchain(): Promise<Toolchain> {
  cached ??= locateVerilator().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

/** Parallel make jobs for C++ compilation: one per core. */
export function buildJobs(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
