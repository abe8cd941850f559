// Running external programs: always child_process.spawn with an argument array (never a shell
// string), output collected, and a result instead of an exception so that callers can word the error.
import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when the program was killed by a signal or could not be started. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be started at all (ENOENT: not on PATH). */
  readonly spawnError?: NodeJS.ErrnoException;
  readonly seconds: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the program after this many milliseconds (default: no limit). */
  readonly timeoutMs?: number;
}

/** Run `file args...` and collect its output; never throws. */
export function runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: Omit<RunResult, 'seconds' | 'stdout' | 'stderr'>) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ ...r, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    };
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\n(killed after ${options.timeoutMs} ms)`;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => done({ code: null, spawnError: err }));
    child.on('close', (code) => done({ code }));
  });
}

/** The last `lines` lines of a tool's output, for error messages. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['...', ...all.slice(-lines)] : all).join('\n');
}
