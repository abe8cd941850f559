// The compiled cycle-accurate simulator (DESIGN.md §3): flatten → levelize → generate JavaScript →
// run it over typed arrays. `compile(design)` is the entry point; see ./simulator.ts for the API.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Design } from '../../hdl/ir/index.js';
import { generate } from './codegen.js';
import { flatten, type Force } from './flatten.js';
import { levelize } from './levelize.js';
import { CompiledSim } from './simulator.js';

export { CompiledSim } from './simulator.js';
export type { ActivityCounters, MemWords, SignalHandle, Snapshot, Tracer } from './simulator.js';
export type { Force } from './flatten.js';

export interface CompileOptions {
  /**
   * Stuck-at faults compiled into this variant: each forces one bit of a net to 0 or 1 while
   * from <= cycle < to, right where the net is computed, so every reader sees it. A design compiled
   * without forces contains no force code at all.
   */
  readonly forces?: readonly Force[];
  /** Count register writes/toggles and memory reads/writes (sim.counters()); default false. */
  readonly counters?: boolean;
  /** Statements per generated function (V8 does not optimize huge functions); default 1000. */
  readonly chunkSize?: number;
  /** Directory to write the generated source to; default $SPLITFUSE_SIM_DUMP (unset: no dump). */
  readonly dumpDir?: string;
}

/** Compile a validated design into a simulator. */
export function compile(design: Design, options: CompileOptions = {}): CompiledSim {
  const flat = flatten(design, options.forces ?? []);
  const levels = levelize(flat);
  const counters = options.counters ?? false;
  const { source, layout } = generate(flat, levels, { counters, chunkSize: options.chunkSize ?? 1000 });
  const dumpDir = options.dumpDir ?? process.env.SPLITFUSE_SIM_DUMP;
  if (dumpDir) dumpSource(dumpDir, design.top, source);
  return new CompiledSim({ design, flat, levels, layout, source, counters });
}

/** Write `<top>-<hash>.js` (hash of the source, so variants sit side by side); returns the path. */
export function dumpSource(dir: string, top: string, source: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${top}-${hash}.js`);
  writeFileSync(file, source);
  return file;
}
