// The arithmetic oracle: every IR operator as a pure function on bit patterns and shapes.
// Values are bigint bit patterns, 0 <= v < 2^width. Result shapes come from hdl/ir/shape.ts (the
// caller passes the node's shape, which the DSL and validation took from that table); these
// functions only decide the bits. Written for obviousness, not speed: the reference interpreter
// and tests use them to check the compiled simulator and the Verilog emitter.
//
// Rules (DESIGN.md §2, hdl/ir/shape.ts):
// - add/sub/mul/neg compute on the mathematical integers the operands stand for (each read with its
//   own signedness) and wrap to the result width, which the shape table makes wide enough never to
//   overflow; this equals extending both operands to the result shape first.
// - and/or/xor/not work on the operands extended (by their own signedness) to the result shape.
// - Comparisons compare the mathematical integers, mixed signedness included.
// - Shifts by a signal keep the width and read the amount as unsigned: amount >= width gives 0 for
//   shl/shr and copies of the MSB for sra (sra always fills with the MSB, whatever the signedness).
// - Shift left by a constant widens by the amount; right shifts by a constant keep the width.
// - slice is unsigned; zero-extend gives UInt, sign-extend gives SInt; trunc keeps signedness;
//   cast reinterprets the same bits.
import type { BinaryOp, Expr, Shape, ShiftOp, UnaryOp } from '../hdl/ir/index.js';
import { fromBits, mask, toBits } from '../hdl/ir/index.js';

/** A bit pattern together with its shape. */
export interface Bits {
  readonly value: bigint;
  readonly shape: Shape;
}

/** The integer a bit pattern stands for. */
export function intOf(a: Bits): bigint {
  return fromBits(a.value, a.shape.width, a.shape.signed);
}

/** The bit pattern of `a` extended (by its own signedness) or wrapped to `width` bits. */
export function extendTo(a: Bits, width: number): bigint {
  return toBits(intOf(a), width);
}

function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x !== 0n; x >>= 1n) if (x & 1n) n++;
  return n;
}

export function evalUnary(op: UnaryOp, a: Bits, result: Shape): bigint {
  switch (op) {
    case 'not':
      return extendTo(a, result.width) ^ mask(result.width);
    case 'neg':
      return toBits(-intOf(a), result.width);
    case 'andr':
      return a.value === mask(a.shape.width) ? 1n : 0n;
    case 'orr':
      return a.value !== 0n ? 1n : 0n;
    case 'xorr':
      return BigInt(popcount(a.value) & 1);
  }
}

/** Shift amounts are clamped to the width before shifting, so huge amounts never reach BigInt. */
function clampAmount(amount: bigint, width: number): number {
  return amount >= BigInt(width) ? width : Number(amount);
}

/** Shift of a `width`-bit pattern by `amount` (unsigned), keeping the width. */
export function shiftBits(op: ShiftOp, value: bigint, width: number, amount: bigint): bigint {
  const n = clampAmount(amount, width);
  switch (op) {
    case 'shl':
      return toBits(value << BigInt(n), width);
    case 'shr':
      return value >> BigInt(n);
    case 'sra':
      return toBits(fromBits(value, width, true) >> BigInt(n), width);
  }
}

export function evalBinary(op: BinaryOp, a: Bits, b: Bits, result: Shape): bigint {
  const w = result.width;
  switch (op) {
    case 'add':
      return toBits(intOf(a) + intOf(b), w);
    case 'sub':
      return toBits(intOf(a) - intOf(b), w);
    case 'mul':
      return toBits(intOf(a) * intOf(b), w);
    case 'and':
      return extendTo(a, w) & extendTo(b, w);
    case 'or':
      return extendTo(a, w) | extendTo(b, w);
    case 'xor':
      return extendTo(a, w) ^ extendTo(b, w);
    case 'eq':
      return intOf(a) === intOf(b) ? 1n : 0n;
    case 'ne':
      return intOf(a) !== intOf(b) ? 1n : 0n;
    case 'lt':
      return intOf(a) < intOf(b) ? 1n : 0n;
    case 'le':
      return intOf(a) <= intOf(b) ? 1n : 0n;
    case 'gt':
      return intOf(a) > intOf(b) ? 1n : 0n;
    case 'ge':
      return intOf(a) >= intOf(b) ? 1n : 0n;
    case 'shl':
    case 'shr':
    case 'sra':
      // The shape table keeps the operand's shape; the amount's bit pattern is read as unsigned.
      return shiftBits(op, a.value, a.shape.width, b.value);
  }
}

export function evalShiftConst(op: ShiftOp, a: Bits, amount: number, result: Shape): bigint {
  if (op === 'shl') return toBits(a.value << BigInt(amount), result.width);
  return shiftBits(op, a.value, a.shape.width, BigInt(amount));
}

/** The chosen operand extended (by its own signedness) to the mux's shape. */
export function evalMux(sel: bigint, whenTrue: Bits, whenFalse: Bits, result: Shape): bigint {
  return extendTo(sel !== 0n ? whenTrue : whenFalse, result.width);
}

/** parts[0] is the most significant part. */
export function evalConcat(parts: readonly Bits[]): bigint {
  let v = 0n;
  for (const p of parts) v = (v << BigInt(p.shape.width)) | p.value;
  return v;
}

export function evalSlice(a: Bits, lo: number, width: number): bigint {
  return (a.value >> BigInt(lo)) & mask(width);
}

export function evalExtend(mode: 'zero' | 'sign', a: Bits, width: number): bigint {
  return mode === 'zero' ? a.value : toBits(fromBits(a.value, a.shape.width, true), width);
}

export function evalTrunc(a: Bits, width: number): bigint {
  return a.value & mask(width);
}

/** A cast keeps the bits; only the shape (and so the reading) changes. */
export function evalCast(a: Bits): bigint {
  return a.value;
}

/**
 * Evaluate an expression tree; `ref` gives the bit pattern of a named signal. Shared nodes are
 * evaluated once per `memo` (pass the same map for every root of one module in one cycle).
 */
export function evalExpr(e: Expr, ref: (name: string) => bigint, memo: Map<Expr, bigint> = new Map()): bigint {
  const known = memo.get(e);
  if (known !== undefined) return known;
  const sub = (x: Expr): Bits => ({ value: evalExpr(x, ref, memo), shape: x.shape });
  let v: bigint;
  switch (e.kind) {
    case 'const':
      v = e.value;
      break;
    case 'ref':
      v = ref(e.name);
      break;
    case 'unary':
      v = evalUnary(e.op, sub(e.arg), e.shape);
      break;
    case 'binary':
      v = evalBinary(e.op, sub(e.lhs), sub(e.rhs), e.shape);
      break;
    case 'shiftc':
      v = evalShiftConst(e.op, sub(e.arg), e.amount, e.shape);
      break;
    case 'mux':
      // Both arms are evaluated: 2-state logic has no side effects, and it keeps the memo simple.
      v = evalMux(sub(e.sel).value, sub(e.whenTrue), sub(e.whenFalse), e.shape);
      break;
    case 'concat':
      v = evalConcat(e.parts.map(sub));
      break;
    case 'slice':
      v = evalSlice(sub(e.arg), e.lo, e.width);
      break;
    case 'extend':
      v = evalExtend(e.mode, sub(e.arg), e.width);
      break;
    case 'trunc':
      v = evalTrunc(sub(e.arg), e.width);
      break;
    case 'cast':
      v = evalCast(sub(e.arg));
      break;
  }
  memo.set(e, v);
  return v;
}
