// Shared by the CLI and library tests: run `splitfuse` in-process with captured output, the repository
// root, and the first diagnostic of a call that must throw one.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { main } from '../../cli/main.js';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Run the CLI on `args` (no node/script) with stdout and stderr captured; resolves to the exit code and both texts. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** The code and message of the DiagnosticError `fn` throws (fails when it throws something else or nothing). */
export function diagnosticOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof DiagnosticError) return { code: err.diagnostics[0]!.code, message: err.message };
    throw err;
  }
  throw new Error('expected a DiagnosticError');
}
