// Expressions → Verilog with every width and signedness explicit.
//
// Each operator node (arithmetic, bitwise, comparison, reduction, dynamic shift, right shift by a
// constant, mux) becomes one temporary wire `_t<N>`, numbered in post-order so that operands are
// declared before their users. Its operands are primaries of exactly the operation width (./pieces.ts),
// extended by their own IR signedness, so Verilog's context-determined sizing never changes a result.
// Wiring nodes (concat, slice, trunc, extend, cast, shift left by a constant) become no logic at all:
// they rearrange the pieces of their operands. An Expr object used twice (the IR is a DAG) gets one temp.
//
// Bit demand: many results are only read in part (`acc.add(x).trunc(32)`). For operators whose low
// result bits depend only on the low bits of their operands (add, sub, mul, neg, not, and, or, xor,
// shift left, mux) the temp is declared at the number of low bits its readers need, which is exact
// modulo 2^width and leaves no unread temp bits behind (Verilator's UNUSEDSIGNAL). Comparisons,
// reductions and right shifts need their whole operands and are always computed at full width.
//
// Signedness only matters where Verilog's result depends on it: ordering comparisons (both operands
// extended to a common width and compared as $signed when either is signed), `>>>` (always on a
// $signed operand, as the IR's sra fills with the MSB), and extension (done here, bit by bit).
// Arithmetic is written with the result's signedness ($signed operands for SInt results) so that
// Yosys sees signed multipliers with sign-extended inputs and narrows them back to their real widths.
//
// Two foldings keep `verilator -Wall` quiet on legitimate designs: an ordering comparison with a
// literal that the other operand's range decides (`u.lt(0)`) is written as its constant, and a
// constant shift amount is clamped to the width (Verilator rejects constant amounts >= 2^32).
import type { BinaryExpr, Expr, Shape } from '../ir/index.js';
import { children, fromBits, range, unify } from '../ir/index.js';
import type { Bits, ReadRecorder } from './pieces.js';
import { bitsWidth, concat, constBits, extend, isWholeSignal, literal, render, renderAs, restrict, signalBits } from './pieces.js';

/** A temporary wire: `wire signed [width-1:0] name = text;`. */
export interface TempDef {
  readonly name: string;
  readonly width: number;
  readonly signed: boolean;
  readonly text: string;
}

type Form = 'leaf' | 'wiring' | 'narrowable' | 'fixed';

function formOf(e: Expr): Form {
  switch (e.kind) {
    case 'const':
    case 'ref':
      return 'leaf';
    case 'concat':
    case 'slice':
    case 'trunc':
    case 'extend':
    case 'cast':
      return 'wiring';
    case 'shiftc':
      return e.op === 'shl' || e.amount === 0 ? 'wiring' : 'fixed';
    case 'unary':
      return e.op === 'not' || e.op === 'neg' ? 'narrowable' : 'fixed';
    case 'binary':
      switch (e.op) {
        case 'add':
        case 'sub':
        case 'mul':
        case 'and':
        case 'or':
        case 'xor':
        case 'shl':
          return 'narrowable';
        default:
          return 'fixed';
      }
    case 'mux':
      return 'narrowable';
  }
}

/** Nodes that become a temporary wire (when some reader needs them). */
function isOperator(e: Expr): boolean {
  const f = formOf(e);
  return f === 'narrowable' || f === 'fixed';
}

/** Every node reachable from the roots, each once, operands before their readers (iteratively: no recursion limit). */
function postOrder(roots: readonly Expr[]): Expr[] {
  const order: Expr[] = [];
  const seen = new Set<Expr>();
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    const stack: { e: Expr; next: number }[] = [{ e: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const kids = children(top.e);
      if (top.next < kids.length) {
        const c = kids[top.next++]!;
        if (!seen.has(c)) {
          seen.add(c);
          stack.push({ e: c, next: 0 });
        }
      } else {
        order.push(top.e);
        stack.pop();
      }
    }
  }
  return order;
}

const clamp = (n: number, hi: number): number => Math.max(0, Math.min(n, hi));

/** How many low bits of each child (in children() order) node `e` reads when `d` of its bits are needed. */
function childDemands(e: Expr, d: number): number[] {
  const full = children(e).map((c) => c.shape.width);
  if (e.kind === 'binary' && decidedComparison(e) !== null) return full.map(() => 0);
  switch (formOf(e)) {
    case 'leaf':
    case 'fixed':
      return full;
    case 'narrowable':
      // Operands are brought to d bits: truncated, or (when narrower) extended, which reads all of them.
      if (e.kind === 'binary' && e.op === 'shl') return [Math.min(d, full[0]!), full[1]!];
      if (e.kind === 'mux') return [full[0]!, Math.min(d, full[1]!), Math.min(d, full[2]!)];
      return full.map((w) => Math.min(d, w));
    case 'wiring':
      switch (e.kind) {
        case 'concat': {
          let offset = e.shape.width;
          return e.parts.map((p) => {
            offset -= p.shape.width;
            return clamp(d - offset, p.shape.width);
          });
        }
        case 'slice':
          return [d > 0 ? e.lo + Math.min(d, e.width) : 0];
        case 'shiftc':
          return [e.op === 'shl' ? clamp(d - e.amount, e.arg.shape.width) : d];
        case 'trunc':
        case 'extend':
        case 'cast':
          return [Math.min(d, e.arg.shape.width)];
        default:
          return full;
      }
  }
}

export class ExprEmitter {
  private readonly demand = new Map<Expr, number>();
  private readonly temps = new Map<Expr, string>();
  private readonly defs: TempDef[] = [];
  private counter = 0;

  /** `roots`: every expression of the module, each read at its full width. */
  constructor(
    roots: readonly Expr[],
    private readonly read: ReadRecorder,
  ) {
    const order = postOrder(roots);
    for (const r of roots) this.need(r, r.shape.width);
    // Reverse post-order visits every node after all of its readers, so its demand is final
    // by the time it is passed on to its operands.
    for (let i = order.length - 1; i >= 0; i--) {
      const e = order[i]!;
      const d = this.demand.get(e) ?? 0;
      if (d === 0) continue;
      const kids = children(e);
      childDemands(e, d).forEach((n, k) => this.need(kids[k]!, n));
    }
    // Temporaries in post-order: operands first, so numbering is stable and rendering an operator
    // only recurses through wiring nodes (long operator chains do not grow the call stack).
    for (const e of order) if ((this.demand.get(e) ?? 0) > 0 && isOperator(e)) this.bits(e);
  }

  /** Temporaries in declaration order (operands before users). */
  get temporaries(): readonly TempDef[] {
    return this.defs;
  }

  /** The whole value of a root expression as one primary. */
  text(e: Expr): string {
    return render(this.bits(e), this.read);
  }

  /** The value of a root expression, made a plain identifier or constant (a temporary when needed). */
  simpleText(e: Expr): string {
    const bits = this.bits(e);
    const simple = isWholeSignal(bits) || (bits.length === 1 && bits[0]!.kind === 'const');
    return simple ? render(bits, this.read) : this.newTemp(e.shape.width, e.shape.signed, render(bits, this.read));
  }

  /** A root expression as an unsigned primary (memory addresses: a signed index could be negative). */
  unsignedText(e: Expr): string {
    return renderAs(this.bits(e), false, this.read);
  }

  /** The bit pattern of a root expression that is emitted as one literal (a constant after wiring), else null. */
  constantValue(e: Expr): bigint | null {
    const bits = this.bits(e);
    const p = bits[0]!;
    return bits.length === 1 && p.kind === 'const' ? p.value : null;
  }

  private need(e: Expr, bits: number): void {
    if (bits > (this.demand.get(e) ?? 0)) this.demand.set(e, bits);
  }

  /** The number of low bits of `e` that are emitted. */
  private emittedWidth(e: Expr): number {
    const f = formOf(e);
    if (f === 'leaf' || f === 'fixed') return e.shape.width;
    const d = this.demand.get(e);
    if (d === undefined || d === 0) throw new Error(`internal: ${e.kind} node emitted without demand`);
    return d;
  }

  /** `e` as pieces of exactly emittedWidth(e) bits. */
  private bits(e: Expr): Bits {
    const d = this.emittedWidth(e);
    switch (e.kind) {
      case 'const':
        return constBits(e.value, e.shape.width);
      case 'ref':
        return signalBits(e.name, e.shape.width, e.shape.signed);
      case 'concat': {
        let offset = e.shape.width;
        const parts: Bits[] = [];
        for (const p of e.parts) {
          offset -= p.shape.width;
          const n = clamp(d - offset, p.shape.width);
          if (n > 0) parts.push(this.low(p, n));
        }
        return concat(parts);
      }
      case 'slice':
        return restrict(this.bits(e.arg), e.lo, d);
      case 'trunc':
      case 'cast':
        return this.low(e.arg, d);
      case 'extend':
        // By the node's mode, not the operand's signedness: zext of a signed value fills zeros.
        return d <= e.arg.shape.width ? this.low(e.arg, d) : extend(this.bits(e.arg), d, e.mode === 'sign');
      case 'shiftc':
        if (e.amount === 0) return this.low(e.arg, d);
        if (e.op !== 'shl') return this.temp(e);
        if (d <= e.amount) return constBits(0n, d);
        return concat([this.low(e.arg, d - e.amount), constBits(0n, e.amount)]);
      case 'binary': {
        const decided = decidedComparison(e);
        return decided === null ? this.temp(e) : constBits(decided ? 1n : 0n, 1);
      }
      default:
        return this.temp(e);
    }
  }

  /** The low n bits of e (n <= emittedWidth(e)). */
  private low(e: Expr, n: number): Bits {
    return restrict(this.bits(e), 0, n);
  }

  /** e brought to exactly `width` bits: its low bits, or all of it extended by its own signedness. */
  private operand(e: Expr, width: number): Bits {
    const bits = this.bits(e);
    const have = bitsWidth(bits);
    if (width <= have) return restrict(bits, 0, width);
    if (have !== e.shape.width) throw new Error(`internal: extending a ${e.kind} node emitted at ${have} of ${e.shape.width} bits`);
    return extend(bits, width, e.shape.signed);
  }

  private temp(e: Expr): Bits {
    const width = this.emittedWidth(e);
    let name = this.temps.get(e);
    if (name === undefined) {
      name = this.newTemp(width, e.shape.signed, this.operatorText(e, width));
      this.temps.set(e, name);
    }
    return signalBits(name, width, e.shape.signed);
  }

  private newTemp(width: number, signed: boolean, text: string): string {
    const name = `_t${++this.counter}`;
    this.defs.push({ name, width, signed, text });
    return name;
  }

  /** The Verilog text of operator node `e` computed at `w` bits; every operand is a primary. */
  private operatorText(e: Expr, w: number): string {
    const r = this.read;
    const plain = (x: Expr, width: number): string => render(this.operand(x, width), r);
    const as = (x: Expr, width: number, signed: boolean): string => renderAs(this.operand(x, width), signed, r);
    switch (e.kind) {
      case 'unary':
        switch (e.op) {
          case 'not':
            return `~${plain(e.arg, w)}`;
          case 'neg':
            return `-${as(e.arg, w, true)}`;
          case 'andr':
            return `&${plain(e.arg, e.arg.shape.width)}`;
          case 'orr':
            return `|${plain(e.arg, e.arg.shape.width)}`;
          case 'xorr':
            return `^${plain(e.arg, e.arg.shape.width)}`;
        }
        break;
      case 'binary': {
        const { lhs, rhs } = e;
        // Shift amounts are unsigned numbers of any width; Verilog shifts by >= the width give 0
        // (<<, >>) or all copies of the sign bit (>>> of a signed value), as the IR defines.
        // A constant amount is clamped to the width (the same result): Verilator rejects constant
        // shift amounts of 2^32 and more. An amount wider than 32 bits is clamped in the text too,
        // `(|amt[W-1:k]) ? limit : amt[k-1:0]` with 2^k > limit (the same result, since any amount
        // >= limit gives it): Verilator rejects a shift by a wider value that it folds to a constant
        // ("Value too wide for 32-bits expected in this context", "Shifting of by over 32-bit number").
        const amount = (limit: number): string => {
          const bits = this.operand(rhs, rhs.shape.width);
          const p = bits[0]!;
          if (bits.length === 1 && p.kind === 'const') return shiftAmount(p.value < BigInt(limit) ? Number(p.value) : limit);
          if (rhs.shape.width <= 32) return renderAs(bits, false, r);
          const k = Math.max(1, limit.toString(2).length);
          const high = render(restrict(bits, k, rhs.shape.width - k), r);
          return `((|${high}) ? ${shiftAmount(limit)} : ${render(restrict(bits, 0, k), r)})`;
        };
        switch (e.op) {
          case 'add':
            return `${as(lhs, w, e.shape.signed)} + ${as(rhs, w, e.shape.signed)}`;
          case 'sub':
            return `${as(lhs, w, e.shape.signed)} - ${as(rhs, w, e.shape.signed)}`;
          case 'mul':
            return `${as(lhs, w, e.shape.signed)} * ${as(rhs, w, e.shape.signed)}`;
          case 'and':
            return `${plain(lhs, w)} & ${plain(rhs, w)}`;
          case 'or':
            return `${plain(lhs, w)} | ${plain(rhs, w)}`;
          case 'xor':
            return `${plain(lhs, w)} ^ ${plain(rhs, w)}`;
          case 'eq':
          case 'ne': {
            const cw = unify(lhs.shape, rhs.shape).width;
            return `${plain(lhs, cw)} ${e.op === 'eq' ? '==' : '!='} ${plain(rhs, cw)}`;
          }
          case 'lt':
          case 'le':
          case 'gt':
          case 'ge': {
            const common = compareShape(lhs.shape, rhs.shape);
            const op = { lt: '<', le: '<=', gt: '>', ge: '>=' }[e.op];
            return `${as(lhs, common.width, common.signed)} ${op} ${as(rhs, common.width, common.signed)}`;
          }
          case 'shl':
            return `${plain(lhs, w)} << ${amount(w)}`;
          case 'shr':
            return `${plain(lhs, w)} >> ${amount(w)}`;
          case 'sra':
            return `${as(lhs, w, true)} >>> ${amount(w - 1)}`;
        }
        break;
      }
      case 'shiftc':
        return e.op === 'sra'
          ? `${as(e.arg, w, true)} >>> ${shiftAmount(Math.min(e.amount, w - 1))}`
          : `${plain(e.arg, w)} >> ${shiftAmount(Math.min(e.amount, w))}`;
      case 'mux':
        return `${plain(e.sel, 1)} ? ${plain(e.whenTrue, w)} : ${plain(e.whenFalse, w)}`;
      default:
        break;
    }
    throw new Error(`internal: ${e.kind} is not an operator`);
  }
}

/**
 * The value of an ordering comparison with a constant that the other operand's range decides
 * (`u.lt(0)` for unsigned u, `x.le(255)` for 8-bit x), else null. Such comparisons are written as
 * their constant: Verilator -Wall reports them (UNSIGNED, CMPCONST) though generic generators
 * legitimately produce them.
 */
function decidedComparison(e: BinaryExpr): boolean | null {
  const compare = { lt: (a: bigint, b: bigint) => a < b, le: (a: bigint, b: bigint) => a <= b, gt: (a: bigint, b: bigint) => a > b, ge: (a: bigint, b: bigint) => a >= b }[
    e.op as 'lt' | 'le' | 'gt' | 'ge'
  ];
  if (!compare) return null;
  const { lhs, rhs } = e;
  const constOf = (x: Expr): bigint | null => (x.kind === 'const' ? fromBits(x.value, x.shape.width, x.shape.signed) : null);
  const cl = constOf(lhs);
  const cr = constOf(rhs);
  if ((cl === null) === (cr === null)) return null; // both variable, or both constant (nothing to report)
  const other = cl === null ? lhs : rhs;
  const { min, max } = range(other.shape.width, other.shape.signed);
  const at = (x: bigint): boolean => (cl === null ? compare(x, cr!) : compare(cl, x));
  // A comparison with a constant is monotonic in the other operand: equal at both ends means constant.
  return at(min) === at(max) ? at(min) : null;
}

/** A constant shift amount as the smallest sized literal. */
function shiftAmount(n: number): string {
  return literal(BigInt(n), Math.max(1, n.toString(2).length));
}

/**
 * The shape both operands of an ordering comparison are extended to: unsigned at the larger width
 * when both are unsigned, otherwise signed with room for the unsigned operand (like unify()).
 */
function compareShape(a: Shape, b: Shape): Shape {
  if (!a.signed && !b.signed) return { width: Math.max(a.width, b.width), signed: false };
  return unify(a, b);
}
