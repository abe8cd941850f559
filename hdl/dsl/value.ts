// Values of the embedded DSL: thin wrappers over IR expressions that know their module,
// so that every operator records its source location and reports misuse as a diagnostic.
import type { BinaryOp, Expr, Shape, ShiftOp, SourceLoc, UnaryOp } from '../ir/index.js';
import {
  binaryShape,
  castShape,
  concatShape,
  extendShape,
  MAX_WIDTH,
  minWidth,
  muxShape,
  shiftConstShape,
  sliceShape,
  toBits,
  truncShape,
  unaryShape,
} from '../ir/index.js';
import { msg } from '../diagnostics.js';
import { captureLoc } from './loc.js';
import type { ModuleBuilder } from './module.js';

export type ValueLike = Value | number | bigint | boolean;

export class Value {
  constructor(
    readonly expr: Expr,
    readonly owner: ModuleBuilder,
  ) {}

  get shape(): Shape {
    return this.expr.shape;
  }
  get width(): number {
    return this.expr.shape.width;
  }
  get signed(): boolean {
    return this.expr.shape.signed;
  }

  // Arithmetic: results are wide enough never to overflow (hdl/ir/shape.ts).
  add(b: ValueLike): Value {
    return this.binary('add', b);
  }
  sub(b: ValueLike): Value {
    return this.binary('sub', b);
  }
  /** Full-width product. */
  mul(b: ValueLike): Value {
    return this.binary('mul', b);
  }
  neg(): Value {
    return this.unary('neg');
  }
  // Bitwise.
  and(b: ValueLike): Value {
    return this.binary('and', b);
  }
  or(b: ValueLike): Value {
    return this.binary('or', b);
  }
  xor(b: ValueLike): Value {
    return this.binary('xor', b);
  }
  not(): Value {
    return this.unary('not');
  }
  // Reductions.
  andR(): Value {
    return this.unary('andr');
  }
  orR(): Value {
    return this.unary('orr');
  }
  xorR(): Value {
    return this.unary('xorr');
  }
  // Comparisons compare the integers the operands stand for (signed or unsigned each).
  eq(b: ValueLike): Value {
    return this.binary('eq', b);
  }
  ne(b: ValueLike): Value {
    return this.binary('ne', b);
  }
  lt(b: ValueLike): Value {
    return this.binary('lt', b);
  }
  le(b: ValueLike): Value {
    return this.binary('le', b);
  }
  gt(b: ValueLike): Value {
    return this.binary('gt', b);
  }
  ge(b: ValueLike): Value {
    return this.binary('ge', b);
  }
  /** Shift left. By a constant the result widens by the amount; by a signal it keeps this width. */
  shl(amount: number | Value): Value {
    return this.shift('shl', amount);
  }
  /** Logical shift right (fills zeros); keeps the width. */
  shr(amount: number | Value): Value {
    return this.shift('shr', amount);
  }
  /** Arithmetic shift right (fills copies of the most significant bit); keeps the width. */
  sra(amount: number | Value): Value {
    return this.shift('sra', amount);
  }

  /** Bits [lo, lo+width) as an unsigned value. */
  slice(lo: number, width: number): Value {
    const loc = captureLoc();
    if (!Number.isInteger(lo) || !Number.isInteger(width) || lo < 0 || width < 1 || lo + width > this.width) {
      this.owner.report(
        msg.bitRange('Slice', `within bits [0, ${this.width}) of the operand (${this.width} bits)`, `[${lo}, ${lo + width})`, loc),
      );
      return this.owner.constant(0n, sliceShape(Math.max(1, Math.min(MAX_WIDTH, Math.floor(width) || 1))), loc);
    }
    return this.make({ kind: 'slice', arg: this.expr, lo, width, shape: sliceShape(width), loc });
  }
  /** Bits [lo, hi] inclusive, Verilog style. */
  bits(hi: number, lo: number): Value {
    return this.slice(lo, hi - lo + 1);
  }
  bit(i: number): Value {
    return this.slice(i, 1);
  }
  /** Zero-extend to `width` bits: the result is unsigned. */
  zext(width: number): Value {
    return this.extend('zero', width);
  }
  /** Sign-extend to `width` bits: the result is signed. */
  sext(width: number): Value {
    return this.extend('sign', width);
  }
  /** Keep the low `width` bits; signedness is kept. */
  trunc(width: number): Value {
    const loc = captureLoc();
    if (!Number.isInteger(width) || width < 1 || width > this.width) {
      this.owner.report(msg.bitRange('Truncation width', `in 1..${this.width}`, String(width), loc));
      return this;
    }
    if (width === this.width) return this;
    return this.make({ kind: 'trunc', arg: this.expr, width, shape: truncShape(this.shape, width), loc });
  }
  /** Truncate or extend (by this value's signedness) to `width` bits. */
  resize(width: number): Value {
    if (width <= this.width) return this.trunc(width);
    return this.extend(this.signed ? 'sign' : 'zero', width);
  }
  asSigned(): Value {
    return this.cast(true);
  }
  asUnsigned(): Value {
    return this.cast(false);
  }

  // ---- construction helpers ----

  private make(e: Expr): Value {
    return new Value(e, this.owner);
  }

  /** Null when the result shape is legal; else reports E001 and gives a stand-in 0 of the widest legal shape. */
  private illegal(shape: Shape, what: string, loc: SourceLoc): Value | null {
    if (shape.width <= MAX_WIDTH) return null;
    this.owner.report(msg.illegalWidth(what, shape.width, loc, MAX_WIDTH));
    return this.owner.constant(0n, { width: MAX_WIDTH, signed: shape.signed }, loc);
  }

  private unary(op: UnaryOp): Value {
    const loc = captureLoc();
    const shape = unaryShape(op, this.shape);
    const bad = this.illegal(shape, `result of ${op}`, loc);
    if (bad) return bad;
    return this.make({ kind: 'unary', op, arg: this.expr, shape, loc });
  }

  private binary(op: BinaryOp, other: ValueLike): Value {
    const loc = captureLoc();
    const b = this.owner.lift(other, loc);
    const shape = binaryShape(op, this.shape, b.shape);
    const bad = this.illegal(shape, `result of ${op}`, loc);
    if (bad) return bad;
    return this.make({ kind: 'binary', op, lhs: this.expr, rhs: b.expr, shape, loc });
  }

  private shift(op: ShiftOp, amount: number | Value): Value {
    const loc = captureLoc();
    if (typeof amount === 'number') {
      if (!Number.isInteger(amount) || amount < 0) {
        this.owner.report(msg.shiftAmount(amount, loc));
        return this;
      }
      const shape = shiftConstShape(op, this.shape, amount);
      const bad = this.illegal(shape, `result of ${op}`, loc);
      if (bad) return bad;
      return this.make({ kind: 'shiftc', op, arg: this.expr, amount, shape, loc });
    }
    const b = this.owner.lift(amount, loc);
    return this.make({ kind: 'binary', op, lhs: this.expr, rhs: b.expr, shape: binaryShape(op, this.shape, b.shape), loc });
  }

  private extend(mode: 'zero' | 'sign', width: number): Value {
    const loc = captureLoc();
    if (!Number.isInteger(width) || width < this.width || width > MAX_WIDTH) {
      this.owner.report(
        msg.bitRange(`${mode === 'zero' ? 'Zero' : 'Sign'}-extension width`, `in ${this.width}..${MAX_WIDTH}`, String(width), loc),
      );
      return this;
    }
    return this.make({ kind: 'extend', mode, arg: this.expr, width, shape: extendShape(mode, width), loc });
  }

  private cast(signed: boolean): Value {
    if (this.signed === signed) return this;
    const loc = captureLoc();
    return this.make({ kind: 'cast', arg: this.expr, signed, shape: castShape(this.shape, signed), loc });
  }
}

/** Expression of a plain number: the smallest shape that holds it (signed when negative). */
export function constShapeFor(value: bigint): Shape {
  const signed = value < 0n;
  return { width: minWidth(value, signed), signed };
}

export function constExpr(value: bigint, shape: Shape, loc: SourceLoc): Expr {
  return { kind: 'const', value: toBits(value, shape.width), shape, loc };
}

/** mux(sel, whenTrue, whenFalse): both values are brought to a common shape (hdl/ir/shape.ts). */
export function muxValues(sel: Value, whenTrue: ValueLike, whenFalse: ValueLike, loc: SourceLoc): Value {
  const owner = sel.owner;
  const t = owner.lift(whenTrue, loc);
  const f = owner.lift(whenFalse, loc);
  owner.checkCondition(sel, 'Mux select', loc);
  return new Value({ kind: 'mux', sel: sel.expr, whenTrue: t.expr, whenFalse: f.expr, shape: muxShape(t.shape, f.shape), loc }, owner);
}

export function concatValues(parts: Value[], loc: SourceLoc): Value {
  const owner = parts[0]!.owner;
  const shape = concatShape(parts.map((p) => p.shape));
  if (shape.width > MAX_WIDTH) {
    owner.report(msg.illegalWidth('concatenation', shape.width, loc, MAX_WIDTH));
    return owner.constant(0n, { width: MAX_WIDTH, signed: false }, loc);
  }
  return new Value({ kind: 'concat', parts: parts.map((p) => p.expr), shape, loc }, owner);
}
