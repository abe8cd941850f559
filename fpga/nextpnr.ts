// Running nextpnr-ice40 and icepack: the WebAssembly builds of the npm package @yowasp/nextpnr-ice40,
// in-process like @yowasp/yosys (fpga/yosys.ts), so place and route works on every machine with Node.
//
// Both tools see their input files by name in a virtual working directory and return every file they
// wrote. A failure is a DiagnosticError (E200) quoting the log around the first ERROR. nextpnr's
// WebAssembly build does not always exit after an ERROR: it may abort with a WebAssembly trap, which is
// reported the same way (the log holds the reason).
import { Exit, runIcepack as runIcepackWasm, runNextpnrIce40, version } from '@yowasp/nextpnr-ice40';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { relevantLogLines } from './yosys.js';

/** The version of @yowasp/nextpnr-ice40 (its nextpnr and icestorm builds), e.g. "0.8.621". */
export const NEXTPNR_VERSION: string = version;

export interface ToolRun {
  readonly log: string;
  /** Files the tool wrote (by name; inputs are not included unless rewritten). */
  readonly outputs: Readonly<Record<string, string | Uint8Array>>;
}

type Command = typeof runNextpnrIce40;

async function runTool(tool: string, command: Command, args: string[], inputs: Readonly<Record<string, string>>): Promise<ToolRun> {
  const decoder = new TextDecoder();
  let log = '';
  const collect = (bytes: Uint8Array | null): void => {
    if (bytes) log += decoder.decode(bytes, { stream: true });
  };
  let files: unknown;
  try {
    files = await command(args, { ...inputs }, { stdout: collect, stderr: collect });
  } catch (e) {
    if (e instanceof Exit) throw failure(tool, `${e.code}`, log);
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) throw failure(tool, `a WebAssembly abort (${e.message})`, log);
    throw e;
  }
  const outputs: Record<string, string | Uint8Array> = {};
  for (const [name, value] of Object.entries((files ?? {}) as Record<string, unknown>)) {
    if ((typeof value === 'string' || value instanceof Uint8Array) && inputs[name] !== value) outputs[name] = value;
  }
  return { log, outputs };
}

function failure(tool: string, status: string, log: string): DiagnosticError {
  const lines = relevantLogLines(log);
  const error = lines.find((l) => /(^|: )ERROR: /.test(l))?.trim() ?? 'no ERROR line';
  return new DiagnosticError([msg.nextpnrFailed(tool, status, error, lines)]);
}

/** Run `nextpnr-ice40 <args>` with the named input files. */
export function runNextpnr(args: string[], inputs: Readonly<Record<string, string>>): Promise<ToolRun> {
  return runTool('nextpnr-ice40', runNextpnrIce40, args, inputs);
}

/** Run `icepack <asc> <bin>`: the bitstream of a placed and routed design. */
export function runIcepack(args: string[], inputs: Readonly<Record<string, string>>): Promise<ToolRun> {
  return runTool('icepack', runIcepackWasm, args, inputs);
}
