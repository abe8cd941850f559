// Output directories of `gen`, `gen accel` and `demo`: checked (and created) before anything is built,
// so that a path onto a file, '', or an unwritable or read-only place is E104 and never an internal error.
import fs from 'node:fs';
import path from 'node:path';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';

/**
 * Create `dir` when missing and check that files can be written in it; E104 otherwise. Returns the undo:
 * it removes the directories this call created (with what a failed command wrote into them).
 */
export function prepareOutDir(what: string, dir: string): () => void {
  if (dir.trim() === '') throw new DiagnosticError([msg.unwritableFile(what, dir, 'ENOENT (an empty path)')]);
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = null;
  }
  if (stat && !stat.isDirectory()) throw new DiagnosticError([msg.unwritableFile(what, dir, 'ENOTDIR (an existing file, not a directory)')]);
  // One level at a time from the nearest existing ancestor: Node's recursive mkdir loops forever below a
  // file or on a pseudo file system such as /proc.
  const missing: string[] = [];
  let up = path.resolve(dir);
  while (!fs.existsSync(up) && path.dirname(up) !== up) {
    missing.unshift(up);
    up = path.dirname(up);
  }
  if (!fs.statSync(up).isDirectory()) throw new DiagnosticError([msg.unwritableFile(what, dir, `ENOTDIR ('${up}' is a file)`)]);
  const undo = (): void => {
    if (missing[0] !== undefined) fs.rmSync(missing[0], { recursive: true, force: true });
  };
  try {
    for (const d of missing) fs.mkdirSync(d);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    undo();
    throw new DiagnosticError([msg.unwritableFile(what, dir, codeOf(err))]);
  }
  return undo;
}

/**
 * Run `write` (file writes into an output directory), turning a file-system failure into E104; on any
 * failure `undo` (from prepareOutDir) removes the directories the command created.
 */
export function writingInto<T>(what: string, dir: string, write: () => T, undo?: () => void): T {
  try {
    return write();
  } catch (err) {
    undo?.();
    if (err instanceof DiagnosticError || !(err as NodeJS.ErrnoException).code) throw err;
    throw new DiagnosticError([msg.unwritableFile(what, dir, codeOf(err))]);
  }
}
