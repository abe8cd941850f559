// JavaScript text for every IR operator, exact at every width (DESIGN.md §2, hdl/ir/shape.ts).
//
// Representation: a value is held as the mathematical integer it stands for (its bit pattern read
// with its own signedness), so sign/zero extension to a wider shape of the same signedness, and the
// operand unification of bitwise operators and muxes, cost nothing.
//   width <= 53  'num':  a JS number. Every value is an exact integer; widths <= 32 stay int32/uint32
//                        so V8 keeps them in registers. Because the shape table makes add/mul/neg and
//                        signed sub results wide enough never to overflow, a result of <= 53 bits is
//                        exact with plain `+ - *` (no wrap at all; only an unsigned difference wraps);
//                        patterns are taken with `& mask` / `>>> 0`.
//   width  > 53  'big':  a BigInt. Also used for the few operators on 33..53-bit operands that
//                        would need two-word number code (bitwise, dynamic shifts, xor-reduce).
// Every helper takes operand texts that are atoms (identifiers or literals): they may be repeated.
import type { BinaryOp, Shape, UnaryOp } from '../../hdl/ir/index.js';
import { fromBits } from '../../hdl/ir/index.js';
import type { FNode } from './flatten.js';

export const NUM_MAX_WIDTH = 53;
export type Repr = 'num' | 'big';
export const reprOf = (width: number): Repr => (width <= NUM_MAX_WIDTH ? 'num' : 'big');

/** An operand: the text of an atom holding its value, and its shape. */
export interface Operand {
  readonly code: string;
  readonly shape: Shape;
}
/** Emits `const <name> = <code>;` before the current statement and returns the name. */
export type TempFn = (code: string) => string;

/** Functions the generated code calls (defined once at its top). */
export const PRELUDE = `function par32(x) { x ^= x >>> 16; x ^= x >>> 8; x ^= x >>> 4; x ^= x >>> 2; x ^= x >>> 1; return x & 1; }
function pop32(x) { x = x - ((x >>> 1) & 0x55555555); x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24; }
function popBig(x) { let c = 0; while (x !== 0n) { c += pop32(Number(x & 0xffffffffn)); x >>= 32n; } return c; }
function parBig(x) { return popBig(x) & 1; }
function wrapU(x, p) { return x - Math.floor(x / p) * p; }
function wrapS(x, p, h) { const u = x - Math.floor(x / p) * p; return u >= h ? u - p : u; }
`;

const pow2 = (k: number): string => (2n ** BigInt(k)).toString();
const maskNum = (w: number): string => (2n ** BigInt(w) - 1n).toString();
const maskBig = (w: number): string => `${(1n << BigInt(w)) - 1n}n`;

export function numLit(v: bigint): string {
  return v < 0n ? `(${v})` : `${v}`;
}
export function bigLit(v: bigint): string {
  return v < 0n ? `(${v}n)` : `${v}n`;
}
/** The value of a constant node (bit pattern) as a literal of its representation. */
export function constCode(value: bigint, shape: Shape): string {
  const v = fromBits(value, shape.width, shape.signed);
  return reprOf(shape.width) === 'num' ? numLit(v) : bigLit(v);
}

// ---- number helpers (width <= 53) ----

/** Unsigned bit pattern of a number value. */
export function pat(a: string, s: Shape): string {
  if (!s.signed) return a;
  if (s.width === 32) return `(${a} >>> 0)`;
  if (s.width < 32) return `(${a} & ${maskNum(s.width)})`;
  return `(${a} < 0 ? ${a} + ${pow2(s.width)} : ${a})`;
}

/** Signed reading of a w-bit pattern (for w <= 32 only its low w bits matter). */
export function sext(p: string, w: number): string {
  if (w === 32) return `(${p} | 0)`;
  if (w < 32) return `((${p} << ${32 - w}) >> ${32 - w})`;
  return `(${p} >= ${pow2(w - 1)} ? ${p} - ${pow2(w)} : ${p})`;
}

/** The value of shape r whose bit pattern is the low r.width bits of the exact integer x. */
export function wrap(x: string, r: Shape): string {
  const w = r.width;
  if (w <= 32) {
    if (r.signed) return sext(x, w);
    return w === 32 ? `(${x} >>> 0)` : `(${x} & ${maskNum(w)})`;
  }
  return r.signed ? `wrapS(${x}, ${pow2(w)}, ${pow2(w - 1)})` : `wrapU(${x}, ${pow2(w)})`;
}

// ---- BigInt helpers ----

export function toBig(a: Operand): string {
  return reprOf(a.shape.width) === 'big' ? a.code : `BigInt(${a.code})`;
}
function bpat(a: string, s: Shape): string {
  return s.signed ? `BigInt.asUintN(${s.width}, ${a})` : a;
}
function bwrap(x: string, r: Shape): string {
  return `BigInt.as${r.signed ? 'Int' : 'Uint'}N(${r.width}, ${x})`;
}
/** A BigInt text converted to the representation of shape r. */
function fromBigTo(x: string, r: Shape): string {
  return reprOf(r.width) === 'num' ? `Number(${x})` : x;
}
/** A value of shape `s` (in its representation) converted to the representation of width `w`. */
function reprAs(a: Operand, w: number): string {
  return reprOf(w) === 'big' ? toBig(a) : a.code;
}

// ---- operators ----

function unaryCode(op: UnaryOp, a: Operand, r: Shape, t: TempFn): string {
  const s = a.shape;
  const w = s.width;
  const num = reprOf(w) === 'num';
  switch (op) {
    case 'not':
      if (!num) return s.signed ? `(~${a.code})` : `(${a.code} ^ ${maskBig(w)})`;
      if (s.signed) return w <= 32 ? `(~${a.code})` : `(-1 - ${a.code})`;
      if (w < 32) return `(${a.code} ^ ${maskNum(w)})`;
      return w === 32 ? `(~${a.code} >>> 0)` : `(${maskNum(w)} - ${a.code})`;
    case 'neg':
      return reprOf(r.width) === 'num' ? `(0 - ${a.code})` : `(-${toBig(a)})`;
    case 'andr':
      if (num) return `(${a.code} === ${s.signed ? '-1' : maskNum(w)} ? 1 : 0)`;
      return `(${a.code} === ${s.signed ? '-1n' : maskBig(w)} ? 1 : 0)`;
    case 'orr':
      return `(${a.code} !== ${num ? '0' : '0n'} ? 1 : 0)`;
    case 'xorr':
      if (w <= 32) return `par32(${pat(a.code, s)})`;
      return `parBig(${bpat(num ? t(`BigInt(${a.code})`) : a.code, s)})`;
  }
}

/** A shift amount read as unsigned and clamped to `w` (so any amount >= w means "all out"). */
function amountCode(b: Operand, w: number, t: TempFn): string {
  if (reprOf(b.shape.width) === 'big') return t(`(${b.code} < 0n || ${b.code} >= ${w}n) ? ${w} : Number(${b.code})`);
  const p = b.shape.signed ? t(pat(b.code, b.shape)) : b.code;
  if (b.shape.width < 31 && 2 ** b.shape.width <= w) return p; // can never reach w
  return t(`${p} >= ${w} ? ${w} : ${p}`);
}

function dynShiftCode(op: 'shl' | 'shr' | 'sra', a: Operand, b: Operand, t: TempFn): string {
  const r = a.shape;
  const w = r.width;
  const n = amountCode(b, w, t);
  if (w <= 32) {
    switch (op) {
      case 'shl':
        return `(${n} >= ${w} ? 0 : ${wrap(`(${a.code} << ${n})`, r)})`;
      case 'shr': {
        const shifted = `(${pat(a.code, r)} >>> ${n})`;
        return `(${n} >= ${w} ? 0 : ${r.signed ? sext(shifted, w) : shifted})`;
      }
      case 'sra': {
        const sx = r.signed ? a.code : sext(a.code, w);
        const v = `(${sx} >> (${n} >= ${w} ? ${w - 1} : ${n}))`;
        return r.signed ? v : wrap(v, r);
      }
    }
  }
  const A = reprOf(w) === 'big' ? a.code : t(`BigInt(${a.code})`);
  let v: string;
  switch (op) {
    case 'shl':
      v = `(${n} >= ${w} ? 0n : ${bwrap(`(${A} << BigInt(${n}))`, r)})`;
      break;
    case 'shr': {
      const shifted = `(${bpat(A, r)} >> BigInt(${n}))`;
      v = `(${n} >= ${w} ? 0n : ${r.signed ? bwrap(shifted, r) : shifted})`;
      break;
    }
    case 'sra': {
      const sx = r.signed ? A : `BigInt.asIntN(${w}, ${A})`;
      const s = `(${sx} >> BigInt(${n} >= ${w} ? ${w - 1} : ${n}))`;
      v = r.signed ? s : `BigInt.asUintN(${w}, ${s})`;
      break;
    }
  }
  return fromBigTo(v, r);
}

function binaryCode(op: BinaryOp, a: Operand, b: Operand, r: Shape, t: TempFn): string {
  const numResult = reprOf(r.width) === 'num';
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul': {
      const sym = op === 'add' ? '+' : op === 'sub' ? '-' : '*';
      // The shape table makes these results wide enough for the exact value, so <= 53 bits is exact
      // in doubles, except an unsigned difference, which is negative when b > a and wraps.
      const wraps = op === 'sub' && !r.signed;
      if (numResult) return wraps ? wrap(`(${a.code} - ${b.code})`, r) : `(${a.code} ${sym} ${b.code})`;
      const v = `(${toBig(a)} ${sym} ${toBig(b)})`;
      return wraps ? bwrap(v, r) : v;
    }
    case 'and':
    case 'or':
    case 'xor': {
      const sym = op === 'and' ? '&' : op === 'or' ? '|' : '^';
      if (r.width <= 32) {
        const v = `(${a.code} ${sym} ${b.code})`;
        return !r.signed && r.width === 32 ? `(${v} >>> 0)` : v;
      }
      return fromBigTo(`(${toBig(a)} ${sym} ${toBig(b)})`, r);
    }
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const sym = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' }[op];
      const bothNum = reprOf(a.shape.width) === 'num' && reprOf(b.shape.width) === 'num';
      if (bothNum) return `(${a.code} ${sym} ${b.code} ? 1 : 0)`;
      return `(${toBig(a)} ${sym} ${toBig(b)} ? 1 : 0)`;
    }
    case 'shl':
    case 'shr':
    case 'sra':
      return dynShiftCode(op, a, b, t);
  }
}

function constShiftCode(op: 'shl' | 'shr' | 'sra', a: Operand, k: number, r: Shape): string {
  const s = a.shape;
  const w = s.width;
  if (op === 'shl') {
    if (reprOf(r.width) === 'num') return k === 0 ? a.code : `(${a.code} * ${pow2(k)})`;
    return k === 0 ? toBig(a) : `(${toBig(a)} << ${k}n)`;
  }
  const num = reprOf(w) === 'num';
  if (k === 0) return a.code;
  if (k >= w) {
    if (op === 'shr') return num ? '0' : '0n';
    // Copies of the MSB fill every bit.
    if (num) return s.signed ? `(${a.code} < 0 ? -1 : 0)` : `(${a.code} >= ${pow2(w - 1)} ? ${maskNum(w)} : 0)`;
    return s.signed ? `(${a.code} < 0n ? -1n : 0n)` : `(${a.code} >= ${pow2(w - 1)}n ? ${maskBig(w)} : 0n)`;
  }
  if (w <= 32) {
    // k > 0: a logical right shift clears the MSB, so the result reads the same signed or not.
    if (op === 'shr') return `(${pat(a.code, s)} >>> ${k})`;
    return s.signed ? `(${a.code} >> ${k})` : wrap(`(${sext(a.code, w)} >> ${k})`, r);
  }
  if (num) {
    if (op === 'shr') return `Math.floor(${pat(a.code, s)} / ${pow2(k)})`;
    return s.signed ? `Math.floor(${a.code} / ${pow2(k)})` : wrap(`Math.floor(${sext(a.code, w)} / ${pow2(k)})`, r);
  }
  if (op === 'shr') return `(${bpat(a.code, s)} >> ${k}n)`;
  return s.signed ? `(${a.code} >> ${k}n)` : `BigInt.asUintN(${w}, BigInt.asIntN(${w}, ${a.code}) >> ${k}n)`;
}

function concatCode(parts: readonly Operand[], r: Shape): string {
  const W = r.width;
  let shift = W;
  const placed = parts.map((p) => {
    shift -= p.shape.width;
    return { p, shift };
  });
  if (W <= 32) {
    const terms = placed.map(({ p, shift: s }) => (s === 0 ? pat(p.code, p.shape) : `(${pat(p.code, p.shape)} << ${s})`));
    const v = `(${terms.join(' | ')})`;
    return W === 32 ? `(${v} >>> 0)` : v;
  }
  if (W <= NUM_MAX_WIDTH) {
    // Disjoint bit fields: adding them is or-ing them, and stays exact below 2^53.
    return `(${placed.map(({ p, shift: s }) => (s === 0 ? pat(p.code, p.shape) : `${pat(p.code, p.shape)} * ${pow2(s)}`)).join(' + ')})`;
  }
  const terms = placed.map(({ p, shift: s }) => {
    const b = reprOf(p.shape.width) === 'num' ? `BigInt(${pat(p.code, p.shape)})` : bpat(p.code, p.shape);
    return s === 0 ? b : `(${b} << ${s}n)`;
  });
  return `(${terms.join(' | ')})`;
}

function sliceCode(a: Operand, lo: number, r: Shape): string {
  const s = a.shape;
  const w = r.width;
  if (reprOf(s.width) === 'big') return fromBigTo(`BigInt.asUintN(${w}, ${lo === 0 ? a.code : `(${a.code} >> ${lo}n)`})`, r);
  if (s.width <= 32) {
    if (w === 32) return `(${a.code} >>> 0)`;
    return lo === 0 ? `(${a.code} & ${maskNum(w)})` : `((${a.code} >>> ${lo}) & ${maskNum(w)})`;
  }
  // A 33..53-bit number: floor division is an arithmetic shift right of the value.
  const shifted = lo === 0 ? a.code : `Math.floor(${a.code} / ${pow2(lo)})`;
  return wrap(shifted, r);
}

function extendCode(mode: 'zero' | 'sign', a: Operand, r: Shape): string {
  const s = a.shape;
  const wantSigned = mode === 'sign';
  if (s.signed === wantSigned) return reprAs(a, r.width);
  const num = reprOf(s.width) === 'num';
  const v = wantSigned ? (num ? sext(a.code, s.width) : `BigInt.asIntN(${s.width}, ${a.code})`) : num ? pat(a.code, s) : bpat(a.code, s);
  return num && reprOf(r.width) === 'big' ? `BigInt(${v})` : v;
}

function truncCode(a: Operand, r: Shape): string {
  if (reprOf(a.shape.width) === 'num') return wrap(a.code, r);
  return fromBigTo(bwrap(a.code, r), r);
}

function castCode(a: Operand, r: Shape): string {
  const s = a.shape;
  if (s.signed === r.signed) return a.code;
  if (reprOf(s.width) === 'big') return bwrap(a.code, r);
  return r.signed ? sext(a.code, s.width) : pat(a.code, s);
}

function muxCode(sel: Operand, t: Operand, f: Operand, r: Shape): string {
  const cond = reprOf(sel.shape.width) === 'num' ? sel.code : `${sel.code} !== 0n`;
  return `(${cond} ? ${reprAs(t, r.width)} : ${reprAs(f, r.width)})`;
}

/**
 * The text of node `n`'s value (in the representation of its width) from its operands' atoms.
 * Const and net nodes are handled by the caller.
 */
export function opCode(n: FNode, args: readonly Operand[], t: TempFn): string {
  const r = n.shape;
  switch (n.kind) {
    case 'const':
      return constCode(n.value, r);
    case 'net':
      throw new Error('net nodes are loaded by the caller');
    case 'unary':
      return unaryCode(n.op, args[0]!, r, t);
    case 'binary':
      return binaryCode(n.op, args[0]!, args[1]!, r, t);
    case 'shiftc':
      return constShiftCode(n.op, args[0]!, n.amount, r);
    case 'mux':
      return muxCode(args[0]!, args[1]!, args[2]!, r);
    case 'concat':
      return concatCode(args, r);
    case 'slice':
      return sliceCode(args[0]!, n.lo, r);
    case 'extend':
      return extendCode(n.mode, args[0]!, r);
    case 'trunc':
      return truncCode(args[0]!, r);
    case 'cast':
      return castCode(args[0]!, r);
  }
}

/**
 * The low r.width (<= 32) bits of a product of two numbers of <= 32 bits whose full product needs
 * more than 53 bits: Math.imul gives the exact low 32 bits where `a * b` would round.
 */
export function imulLowCode(a: Operand, b: Operand, r: Shape): string {
  return wrap(`Math.imul(${a.code}, ${b.code})`, r);
}

/** A value with some bits of its pattern forced: pattern & ~clear | set, read back in its shape. */
export function forceCode(v: string, s: Shape, set: bigint, clear: bigint): string {
  const keep = ((1n << BigInt(s.width)) - 1n) & ~clear;
  if (s.width <= 32) {
    const keep32 = BigInt.asIntN(32, keep);
    return wrap(`((${pat(v, s)} & ${numLit(keep32)}) | ${numLit(BigInt.asIntN(32, set))})`, s);
  }
  const b = reprOf(s.width) === 'num' ? `BigInt.asUintN(${s.width}, BigInt(${v}))` : bpat(v, s);
  return fromBigTo(bwrap(`((${b} & ${keep}n) | ${set}n)`, s), s);
}

/** Number of set bits of old ^ new for a value of shape s (activity counters). */
export function toggleCode(oldV: string, newV: string, s: Shape): string {
  const w = s.width;
  if (w < 32) return `pop32((${oldV} ^ ${newV}) & ${maskNum(w)})`;
  if (w === 32) return `pop32(${oldV} ^ ${newV})`;
  if (reprOf(w) === 'num') {
    const hi = `((Math.floor(${oldV} / 4294967296) ^ Math.floor(${newV} / 4294967296)) & ${maskNum(w - 32)})`;
    return `(pop32(${oldV} ^ ${newV}) + pop32(${hi}))`;
  }
  return `popBig(BigInt.asUintN(${w}, ${oldV} ^ ${newV}))`;
}
