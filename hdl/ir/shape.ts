// THE table of result shapes. Every consumer (DSL, validation, Verilog emitter, interpreter,
// compiled simulator) takes operator result widths and signedness from here and nowhere else.
// The rules follow Amaranth's `shape()`: results are wide enough never to overflow, except
// where an operator is defined to keep its operand's width (right shifts, dynamic left shift).
import type { BinaryOp, Shape, ShiftOp, UnaryOp } from './types.js';

export const UInt = (width: number): Shape => ({ width, signed: false });
export const SInt = (width: number): Shape => ({ width, signed: true });
export const Bool: Shape = UInt(1);

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.width === b.width && a.signed === b.signed;
}

export function shapeText(s: Shape): string {
  return `${s.signed ? 'SInt' : 'UInt'}(${s.width})`;
}

/**
 * The common shape two operands are brought to before a bitwise operator or a mux:
 * same signedness → max width; mixed → signed, with one extra bit for the unsigned operand.
 */
export function unify(a: Shape, b: Shape): Shape {
  if (a.signed === b.signed) return { width: Math.max(a.width, b.width), signed: a.signed };
  const wa = a.signed ? a.width : a.width + 1;
  const wb = b.signed ? b.width : b.width + 1;
  return SInt(Math.max(wa, wb));
}

export function unaryShape(op: UnaryOp, a: Shape): Shape {
  switch (op) {
    case 'not':
      return a;
    case 'neg':
      return SInt(a.width + 1);
    case 'andr':
    case 'orr':
    case 'xorr':
      return Bool;
  }
}

export function binaryShape(op: BinaryOp, a: Shape, b: Shape): Shape {
  switch (op) {
    case 'add':
    case 'sub': {
      const u = unify(a, b);
      return { width: u.width + 1, signed: u.signed };
    }
    case 'mul': {
      if (a.signed === b.signed) return { width: a.width + b.width, signed: a.signed };
      const wa = a.signed ? a.width : a.width + 1;
      const wb = b.signed ? b.width : b.width + 1;
      return SInt(wa + wb);
    }
    case 'and':
    case 'or':
    case 'xor':
      return unify(a, b);
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return Bool;
    case 'shl':
    case 'shr':
    case 'sra':
      // Shift by a signal keeps the operand's shape; the amount is read as unsigned.
      return a;
  }
}

/** Shift by a constant: shl widens by the amount (lossless); right shifts keep the width. */
export function shiftConstShape(op: ShiftOp, a: Shape, amount: number): Shape {
  return op === 'shl' ? { width: a.width + amount, signed: a.signed } : a;
}

export const muxShape = unify;

export function concatShape(parts: readonly Shape[]): Shape {
  return UInt(parts.reduce((w, p) => w + p.width, 0));
}

export function sliceShape(width: number): Shape {
  return UInt(width);
}

export function extendShape(mode: 'zero' | 'sign', width: number): Shape {
  return { width, signed: mode === 'sign' };
}

export function truncShape(a: Shape, width: number): Shape {
  return { width, signed: a.signed };
}

export function castShape(a: Shape, signed: boolean): Shape {
  return { width: a.width, signed };
}
