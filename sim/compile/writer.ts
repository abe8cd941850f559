// The writer of one phase of generated code: expression trees become `const tN = ...;` lines,
// values of nets are loaded once per function, and the phase is cut into functions ("chunks") of
// bounded size, because V8 does not optimize functions with huge bytecode and a flat 16×16 array
// is thousands of statements.
import type { Shape } from '../../hdl/ir/index.js';
import type { FlatDesign, FNode, Force } from './flatten.js';
import { constCode, forceCode, imulLowCode, NUM_MAX_WIDTH, opCode, type Operand } from './ops.js';

export type SlotClass = 'i32' | 'f64' | 'big';
export interface Slot {
  readonly cls: SlotClass;
  readonly index: number;
}

export const slotClassOf = (width: number): SlotClass => (width <= 32 ? 'i32' : width <= NUM_MAX_WIDTH ? 'f64' : 'big');

const ARRAY: Record<SlotClass, string> = { i32: 's32', f64: 'f64', big: 'big' };

export function slotText(slot: Slot): string {
  return `${ARRAY[slot.cls]}[${slot.index}]`;
}

/** Text reading a slot as the value of shape s (a uint32 is stored wrapped in an Int32Array). */
export function loadText(slot: Slot, s: Shape): string {
  const t = slotText(slot);
  return slot.cls === 'i32' && !s.signed && s.width === 32 ? `(${t} >>> 0)` : t;
}

/** An identifier or a literal: safe to repeat, nothing to compute. */
const ATOM = /^(?:[A-Za-z_$][\w$]*|\d+n?|\(-\d+n?\))$/;

export interface WriterContext {
  readonly flat: FlatDesign;
  readonly netSlots: readonly Slot[];
  readonly chunkSize: number;
}

export class PhaseWriter {
  readonly functions: string[] = [];
  private readonly names: string[] = [];
  private lines: string[] = [];
  /** Net id (or -1 for the cycle counter) → local holding its value in the current chunk. */
  private locals = new Map<number, string>();
  private indent = '  ';
  private depth = 0;
  private tmp = 0;

  constructor(
    private readonly phase: string,
    private readonly ctx: WriterContext,
  ) {}

  temp = (code: string): string => {
    const name = `t${this.tmp++}`;
    this.lines.push(`${this.indent}const ${name} = ${code};`);
    return name;
  };

  line(text: string): void {
    this.lines.push(`${this.indent}${text}`);
  }

  /** Lines emitted by `body` run only when `cond` holds; locals made inside stay inside. */
  block(cond: string, body: () => void): void {
    const saved = new Map(this.locals);
    this.line(`if (${cond}) {`);
    this.indent += '  ';
    this.depth++;
    body();
    this.depth--;
    this.indent = this.indent.slice(2);
    this.line('}');
    this.locals = saved;
  }

  /** Start a new chunk when the current one is full (call between statement groups only). */
  boundary(): void {
    if (this.depth === 0 && this.lines.length >= this.ctx.chunkSize) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    const name = `${this.phase}_${this.names.length}`;
    this.functions.push(`function ${name}() {\n${this.lines.join('\n')}\n}`);
    this.names.push(name);
    this.lines = [];
    this.locals = new Map();
  }

  /** Close the phase: its chunks and one function calling them in order. */
  finish(): string[] {
    this.flush();
    return [...this.functions, `function ${this.phase}() {${this.names.map((n) => ` ${n}();`).join('')} }`];
  }

  /** The value of a net as an atom (loaded once per chunk). */
  net(id: number): Operand {
    const net = this.ctx.flat.nets[id]!;
    const known = this.locals.get(id);
    if (known) return { code: known, shape: net.shape };
    const code = this.temp(loadText(this.ctx.netSlots[id]!, net.shape));
    this.locals.set(id, code);
    return { code, shape: net.shape };
  }

  /** The cycle counter, loaded once per chunk. */
  cycle(): string {
    const known = this.locals.get(-1);
    if (known) return known;
    const code = this.temp('meta[0]');
    this.locals.set(-1, code);
    return code;
  }

  setLocal(id: number, code: string): void {
    this.locals.set(id, code);
  }

  /** Emit an expression tree; returns the atom holding its value. */
  expr(n: FNode): Operand {
    switch (n.kind) {
      case 'const':
        return { code: constCode(n.value, n.shape), shape: n.shape };
      case 'net':
        return this.net(n.net);
      case 'trunc':
      case 'slice': {
        // Low bits of a product too wide for doubles: Math.imul is exact for the low 32 bits.
        const arg = n.args[0]!;
        const low = n.kind === 'trunc' || n.lo === 0;
        if (low && n.shape.width <= 32 && arg.kind === 'binary' && arg.op === 'mul' && arg.shape.width > NUM_MAX_WIDTH) {
          const [a, b] = arg.args.map((x) => this.expr(x)) as [Operand, Operand];
          if (a.shape.width <= 32 && b.shape.width <= 32) return { code: this.temp(imulLowCode(a, b, n.shape)), shape: n.shape };
        }
        break;
      }
      default:
        break;
    }
    const args = n.args.map((x) => this.expr(x));
    const code = opCode(n, args, this.temp);
    // Operators that keep the value (extension, unification) return an operand as it is.
    return { code: ATOM.test(code) ? code : this.temp(code), shape: n.shape };
  }

  /** A value with the net's forces applied (only variants compiled with forces get here). */
  forced(value: string, s: Shape, forces: readonly Force[]): string {
    // Forces with the same cycle range are applied together, in the order given (later wins).
    const groups = new Map<string, { from: number; to: number; set: bigint; clear: bigint }>();
    for (const f of forces) {
      const from = f.from ?? 0;
      const to = f.to ?? Infinity;
      const key = `${from}:${to}`;
      const g = groups.get(key) ?? { from, to, set: 0n, clear: 0n };
      const bit = 1n << BigInt(f.bit);
      if (f.value === 1) {
        g.set |= bit;
        g.clear &= ~bit;
      } else {
        g.clear |= bit;
        g.set &= ~bit;
      }
      groups.set(key, g);
    }
    let v = value;
    for (const g of groups.values()) {
      const f = forceCode(v, s, g.set, g.clear);
      const conds: string[] = [];
      if (g.from > 0) conds.push(`${this.cycle()} >= ${g.from}`);
      if (g.to !== Infinity) conds.push(`${this.cycle()} < ${g.to}`);
      v = this.temp(conds.length === 0 ? `/*force*/ ${f}` : `/*force*/ (${conds.join(' && ')}) ? ${f} : ${v}`);
    }
    return v;
  }
}
