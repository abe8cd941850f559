// Value Change Dump (IEEE 1364-2005 §18) of a compiled simulation, readable by GTKWave.
//
// Time: cycle c occupies [c·period, (c+1)·period). The values of cycle c (registers after the
// edge that started it, inputs as poked for it) are dumped at #c·period, together with a rising
// `clk`; clk falls at half period. So in the viewer, registers change at each rising clock edge,
// as in RTL simulation. Signals are sampled just before each edge (CompiledSim.trace), and once
// more by close() for the cycle in progress.
//
// Scopes: one `$scope module` per instance along the hierarchical names ('u0.sub.acc' is variable
// 'acc' in scope top → u0 → sub). Value changes are written only when a value changes.
import type { Shape } from '../hdl/ir/index.js';
import type { CompiledSim, SignalHandle, Tracer } from './compile/index.js';

export interface VcdOptions {
  /**
   * Glob patterns over hierarchical names selecting the signals to dump: `*` matches within one
   * level (no '.'), `**` across levels, `?` one character. Default: every signal.
   */
  readonly signals?: readonly string[];
  /** Default '1ns'. */
  readonly timescale?: string;
  /** Time units per clock cycle (even, default 10: a 100 MHz clock at 1ns). */
  readonly period?: number;
  /** Receives the dump piece by piece (e.g. a file stream's write); default: kept for text(). */
  readonly sink?: (chunk: string) => void;
  /** Text of the $date section; default the current date. */
  readonly date?: string;
}

/** A regular expression for a glob over hierarchical names (see VcdOptions.signals). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^.]*';
    else if (c === '?') re += '[^.]';
    else re += c.replace(/[\\^$.|+(){}[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The names matching any of the patterns, in the order of `names`. */
export function matchNames(names: readonly string[], patterns: readonly string[]): string[] {
  const res = patterns.map(globToRegExp);
  return names.filter((n) => res.some((r) => r.test(n)));
}

/** Short identifier codes from the printable ASCII range '!'..'~' (base 94). */
function idCode(i: number): string {
  let s = '';
  let n = i;
  do {
    s += String.fromCharCode(33 + (n % 94));
    n = Math.floor(n / 94);
  } while (n > 0);
  return s;
}

interface Traced {
  readonly name: string;
  readonly id: string;
  readonly shape: Shape;
  readonly handle: SignalHandle;
  readonly wide: boolean;
  last: number | bigint | null;
}

interface ScopeNode {
  readonly vars: { leaf: string; t: Traced | null; width: number; id: string }[];
  readonly children: Map<string, ScopeNode>;
}

export class VcdWriter implements Tracer {
  private readonly traced: Traced[] = [];
  private readonly clockId: string | null;
  private readonly period: number;
  private readonly chunks: string[] = [];
  private readonly sink: (chunk: string) => void;
  private lastCycle = -1;
  private closed = false;
  private detach: (() => void) | null = null;

  constructor(
    private readonly sim: CompiledSim,
    options: VcdOptions = {},
  ) {
    this.period = options.period ?? 10;
    if (!Number.isInteger(this.period) || this.period < 2 || this.period % 2 !== 0) {
      throw new Error(`VCD period must be an even integer >= 2, not ${this.period}`);
    }
    this.sink = options.sink ?? ((c) => this.chunks.push(c));
    const all = sim.signalNames();
    const names = options.signals ? matchNames(all, options.signals) : all;
    if (options.signals && names.length === 0) {
      throw new Error(`VCD signal patterns ${options.signals.map((p) => `'${p}'`).join(', ')} must match some signal of '${sim.design.top}'`);
    }
    let next = 0;
    this.clockId = names.includes('clk') ? idCode(next++) : null;
    for (const name of names) {
      if (name === 'clk') continue;
      const shape = sim.shapeOf(name);
      this.traced.push({ name, id: idCode(next++), shape, handle: sim.handle(name), wide: shape.width > 53, last: null });
    }
    this.header(options);
  }

  /** Attach to the simulator: sample before every edge until close(). */
  attach(): this {
    if (!this.detach) this.detach = this.sim.trace(this);
    return this;
  }

  sample(sim: CompiledSim): void {
    if (this.closed) return;
    const cycle = sim.cycle;
    if (cycle <= this.lastCycle) return; // a restore() to an earlier cycle cannot go back in time
    const first = this.lastCycle < 0;
    const lines: string[] = [`#${cycle * this.period}`];
    if (first) lines.push('$dumpvars');
    if (this.clockId) lines.push(`1${this.clockId}`);
    for (const t of this.traced) {
      const v = t.wide ? t.handle.getBig() : t.handle.get();
      if (!first && v === t.last) continue;
      t.last = v;
      lines.push(valueText(v, t.shape, t.id));
    }
    if (first) lines.push('$end');
    if (this.clockId) lines.push(`#${cycle * this.period + this.period / 2}`, `0${this.clockId}`);
    this.lastCycle = cycle;
    this.sink(lines.join('\n') + '\n');
  }

  /** Sample the cycle in progress, end the dump and detach; returns the text (when kept). */
  close(): string {
    if (!this.closed) {
      this.sample(this.sim);
      this.sink(`#${(this.sim.cycle + 1) * this.period}\n`);
      this.closed = true;
      this.detach?.();
      this.detach = null;
    }
    return this.text();
  }

  /** The dump so far (empty when a sink was given). */
  text(): string {
    return this.chunks.join('');
  }

  private header(options: VcdOptions): void {
    const root: ScopeNode = { vars: [], children: new Map() };
    const scopeOf = (path: readonly string[]): ScopeNode => {
      let node = root;
      for (const p of path) {
        let child = node.children.get(p);
        if (!child) {
          child = { vars: [], children: new Map() };
          node.children.set(p, child);
        }
        node = child;
      }
      return node;
    };
    if (this.clockId) root.vars.push({ leaf: 'clk', t: null, width: 1, id: this.clockId });
    for (const t of this.traced) {
      const parts = t.name.split('.');
      scopeOf(parts.slice(0, -1)).vars.push({ leaf: parts[parts.length - 1]!, t, width: t.shape.width, id: t.id });
    }
    const lines = [
      '$date',
      `  ${options.date ?? new Date().toUTCString()}`,
      '$end',
      '$version',
      '  splitfuse compiled simulator',
      '$end',
      `$timescale ${options.timescale ?? '1ns'} $end`,
    ];
    const emit = (name: string, node: ScopeNode): void => {
      lines.push(`$scope module ${name} $end`);
      for (const v of node.vars) lines.push(`$var wire ${v.width} ${v.id} ${v.leaf} $end`);
      for (const [child, sub] of node.children) emit(child, sub);
      lines.push('$upscope $end');
    };
    emit(this.sim.design.top, root);
    lines.push('$enddefinitions $end');
    this.sink(lines.join('\n') + '\n');
  }
}

/** `0!`/`1!` for one bit, `b1010 !` for vectors (the bit pattern, leading zeros dropped). */
function valueText(v: number | bigint, s: Shape, id: string): string {
  let bits: string;
  if (typeof v === 'number') bits = (v < 0 ? v + 2 ** s.width : v).toString(2);
  else bits = BigInt.asUintN(s.width, v).toString(2);
  return s.width === 1 ? `${bits}${id}` : `b${bits} ${id}`;
}

/** Start dumping a simulation: sample before every edge until writer.close(). */
export function traceVcd(sim: CompiledSim, options: VcdOptions = {}): VcdWriter {
  return new VcdWriter(sim, options).attach();
}
