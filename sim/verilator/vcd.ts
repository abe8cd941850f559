// Reading register values back from a Verilator VCD trace with vcd-stream (its WebAssembly parser,
// which also reports the scope hierarchy; the native build of vcd-stream 1.5 reports value changes
// only). The harness dumps at time 2t the state before rising edge t, so the value of a signal at
// cycle t is its last change at or before time 2t.
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';

interface VcdScope {
  readonly kind: 'scope';
  readonly name: string;
  readonly body: readonly (VcdScope | VcdVar)[];
}
interface VcdVar {
  readonly kind: 'var';
  readonly name: string;
  readonly size: number;
  /** The VCD identifier code of the variable. */
  readonly link: string;
}
type ChangeHandler = (id: string, time: bigint, cmd: number, value?: bigint, mask?: bigint) => void;
interface VcdParser extends NodeJS.WritableStream {
  readonly info: { readonly wires: VcdScope };
  readonly change: { any(fn: ChangeHandler): void };
}
interface VcdStream {
  createVCD(): Promise<unknown>;
  webVcdParser(wasm: unknown): Promise<VcdParser>;
}

const require = createRequire(import.meta.url);
const vcdStream = require('vcd-stream') as VcdStream;

// vcd-stream change commands: scalar '0' and '1', and a binary vector 'b...'.
const SCALAR_0 = 14;
const SCALAR_1 = 15;
const VECTOR_B = 30;

/** One signal to read: its full scope path from the VCD root, ending with the signal name. */
export interface VcdRequest {
  readonly path: readonly string[];
  readonly width: number;
}

export interface VcdSamples {
  /** values[i][t]: bit pattern of request i at cycle t; null for a request not found in the trace. */
  readonly values: (bigint[] | null)[];
}

function findVar(root: VcdScope, path: readonly string[]): VcdVar | null {
  let scope: VcdScope = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next = scope.body.find((b): b is VcdScope => b.kind === 'scope' && b.name === path[i]);
    if (!next) return null;
    scope = next;
  }
  const leaf = path[path.length - 1];
  return scope.body.find((b): b is VcdVar => b.kind === 'var' && b.name === leaf) ?? null;
}

/** Sample the requested signals at times 0, 2, 4, ... (cycles 0..cycles-1) of a VCD file. */
export async function sampleVcd(file: string, requests: readonly VcdRequest[], cycles: number): Promise<VcdSamples> {
  const parser = await vcdStream.webVcdParser(await vcdStream.createVCD());
  // Changes per identifier code, in time order; decided after the header (scopes) is known.
  const changes = new Map<string, { time: bigint; value: bigint }[]>();
  let bad: string | null = null;
  parser.change.any((id, time, cmd, value, mask) => {
    let list = changes.get(id);
    if (!list) changes.set(id, (list = []));
    if (cmd === SCALAR_0 || cmd === SCALAR_1) list.push({ time, value: cmd === SCALAR_1 ? 1n : 0n });
    else if (cmd === VECTOR_B && (mask ?? 0n) === 0n) list.push({ time, value: value ?? 0n });
    else bad ??= `signal code '${id}' at time ${time} has an X or Z value (command ${cmd})`;
  });
  await new Promise<void>((resolve, reject) => {
    const input = createReadStream(file);
    input.on('error', reject);
    parser.on('error', reject);
    parser.on('finish', () => resolve());
    input.pipe(parser);
  });
  if (bad) throw new Error(`Verilator VCD ${file} must be 2-state, not: ${bad}`);

  const values = requests.map((req) => {
    const v = findVar(parser.info.wires, req.path);
    if (!v) return null;
    if (v.size !== req.width) throw new Error(`VCD signal ${req.path.join('.')} must be ${req.width} bits wide, not ${v.size}`);
    const list = changes.get(v.link) ?? [];
    const samples: bigint[] = [];
    let k = 0;
    let current = 0n;
    for (let t = 0; t < cycles; t++) {
      const time = BigInt(2 * t);
      while (k < list.length && list[k]!.time <= time) current = list[k++]!.value;
      samples.push(current);
    }
    return samples;
  });
  return { values };
}
