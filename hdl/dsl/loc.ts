// Source locations of DSL calls: the first stack frame outside the DSL itself.
import path from 'node:path';
import type { SourceLoc } from '../ir/index.js';

const DSL_DIR = path.dirname(new URL(import.meta.url).pathname);
const UNKNOWN: SourceLoc = { file: '<unknown>', line: 0, col: 0 };
const FRAME = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/;

export function captureLoc(): SourceLoc {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = new URL(file).pathname;
    if (file.startsWith('node:') || file.includes('/node_modules/')) continue;
    if (path.dirname(file) === DSL_DIR) continue;
    const rel = path.isAbsolute(file) ? path.relative(process.cwd(), file) : file;
    return { file: rel.split(path.sep).join('/'), line: Number(m[2]), col: Number(m[3]) };
  }
  return UNKNOWN;
}
