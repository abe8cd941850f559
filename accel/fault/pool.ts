// Worker threads that run the TypeScript sources as they are (no build step), for fault campaigns and
// sweeps on every core. A worker is started from a tiny evaluated ES-module bootstrap that registers
// tsx's loader in that thread (the same loader bin/splitfuse.js registers) and then imports
// accel/fault/worker.ts; this works from the CLI, from vitest and from plain `tsx` scripts alike,
// whatever the working directory, because every path is resolved from this file.
//
// Protocol (structured-cloned messages): the worker posts {type:'ready', info} once it has built its
// task handler from workerData, then answers each {type:'run', task} with {type:'done', result}; a
// failure is {type:'error', error} where coded diagnostics travel as data and are rethrown in the
// parent as a DiagnosticError.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DiagnosticError, type Diagnostic } from '../../hdl/diagnostics.js';

/** What crosses the thread boundary for an error. */
export interface SerializedError {
  readonly message: string;
  readonly stack?: string;
  readonly diagnostics?: readonly Diagnostic[];
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof DiagnosticError) return { message: err.message, diagnostics: err.diagnostics };
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.diagnostics) return new DiagnosticError(e.diagnostics);
  const err = new Error(`fault worker: ${e.message}`);
  if (e.stack) err.stack = `${err.message}\n  worker stack: ${e.stack}`;
  return err;
}

export type WorkerMessage<Info, Result> =
  | { readonly type: 'ready'; readonly info: Info }
  | { readonly type: 'done'; readonly result: Result }
  | { readonly type: 'error'; readonly error: SerializedError };

/** One task handler: built from plain data, runs tasks one at a time (in a worker or in this thread). */
export interface TaskHandler<Info, Task, Result> {
  readonly info: Info;
  run(task: Task): Result;
}

/** A running task handler: a worker thread, or the handler itself in this thread. */
export interface TaskRunner<Info, Task, Result> {
  readonly ready: Promise<Info>;
  run(task: Task): Promise<Result>;
  close(): Promise<void>;
}

/** The number of workers "all cores" means here. */
export function defaultWorkerCount(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

const WORKER_ENTRY = new URL('./worker.ts', import.meta.url);
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/** The ES-module build of tsx's register API, found through tsx's own package.json exports. */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import?: { default?: string } } | string> };
  const entry = pkg.exports['./esm/api'];
  const rel = typeof entry === 'object' ? entry.import?.default : undefined;
  if (!rel) throw new Error(`tsx ${pkgFile} has no ES-module "./esm/api" export`);
  return pathToFileURL(path.join(path.dirname(pkgFile), rel)).href;
}

/** Start a worker thread running accel/fault/worker.ts with `data` as workerData. */
export function workerRunner<Info, Task, Result>(data: unknown): TaskRunner<Info, Task, Result> {
  const bootstrap = [
    `const { register } = await import(${JSON.stringify(tsxApiUrl())});`,
    `register({ tsconfig: ${JSON.stringify(TSCONFIG)} });`,
    `await import(${JSON.stringify(WORKER_ENTRY.href)});`,
  ].join('\n');
  // An ES-module eval worker (Node >= 20: a data: URL keeps the bootstrap's top-level await).
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData: data });
  let pending: { resolve: (r: Result) => void; reject: (e: Error) => void } | null = null;
  let readyResolve!: (info: Info) => void;
  let readyReject!: (e: Error) => void;
  let failure: Error | null = null;
  const ready = new Promise<Info>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => {}); // observed by run(); a worker that never gets a task must not crash the process
  const fail = (err: Error): void => {
    failure ??= err;
    readyReject(err);
    pending?.reject(err);
    pending = null;
  };
  worker.on('message', (m: WorkerMessage<Info, Result>) => {
    if (m.type === 'ready') readyResolve(m.info);
    else if (m.type === 'done') {
      const p = pending;
      pending = null;
      p?.resolve(m.result);
    } else {
      const err = deserializeError(m.error);
      if (pending) {
        const p = pending;
        pending = null;
        p.reject(err);
      } else fail(err);
    }
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`fault worker exited with code ${code}`)));
  return {
    ready,
    run: async (task) => {
      await ready;
      if (failure) throw failure;
      return new Promise<Result>((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage({ type: 'run', task });
      });
    },
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** Run a handler in this thread; each task yields to the event loop first, so timers (progress bars) still fire. */
export function inThreadRunner<Info, Task, Result>(create: () => TaskHandler<Info, Task, Result>): TaskRunner<Info, Task, Result> {
  let handler: TaskHandler<Info, Task, Result> | null = null;
  const ready = Promise.resolve().then(() => {
    handler = create();
    return handler.info;
  });
  ready.catch(() => {});
  return {
    ready,
    run: async (task) => {
      await ready;
      await new Promise((resolve) => setImmediate(resolve));
      return handler!.run(task);
    },
    close: async () => {},
  };
}

/**
 * Feed `tasks` to `runners`, each runner taking the next task as soon as it is free; `onResult` sees
 * every result as it arrives (in completion order). The first failure stops handing out tasks and is
 * rethrown once the running tasks have ended.
 */
export async function runTasks<Task, Result>(
  runners: readonly TaskRunner<unknown, Task, Result>[],
  tasks: readonly Task[],
  onResult: (task: Task, result: Result) => void,
): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const lane = async (runner: TaskRunner<unknown, Task, Result>): Promise<void> => {
    while (failure === null && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        const result = await runner.run(task);
        if (failure === null) onResult(task, result);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(runners.map(lane));
  if (failure !== null) throw failure;
}
