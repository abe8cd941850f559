// The splitfuse hardware IR. This folder is the center of the project: it imports nothing.
//
// A Design is a list of Modules (dependencies first, top last). A Module holds declarations
// (ports, wires, registers, memories, instances) and the drivers of its signals. Expressions are
// trees (DAGs when a value is reused) of immutable nodes; every node carries its result Shape
// (decided by ONE table, ./shape.ts) and the source location of the DSL call that made it.
// Values are 2-state bit patterns; a bigint constant is stored as its bit pattern, 0 <= v < 2^width.

export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface Shape {
  readonly width: number;
  readonly signed: boolean;
}

export type UnaryOp = 'not' | 'neg' | 'andr' | 'orr' | 'xorr';
export type ArithOp = 'add' | 'sub' | 'mul';
export type BitwiseOp = 'and' | 'or' | 'xor';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** shl: shift left; shr: logical shift right (fills 0); sra: arithmetic shift right (fills the MSB). */
export type ShiftOp = 'shl' | 'shr' | 'sra';
export type BinaryOp = ArithOp | BitwiseOp | CompareOp | ShiftOp;

interface ExprBase {
  readonly shape: Shape;
  readonly loc: SourceLoc;
}

export interface ConstExpr extends ExprBase { readonly kind: 'const'; readonly value: bigint }
/** A reference to a named signal of the enclosing module: port, wire, register, memory read port, instance output. */
export interface RefExpr extends ExprBase { readonly kind: 'ref'; readonly name: string }
export interface UnaryExpr extends ExprBase { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
/** Binary operators. For shl/shr/sra, rhs is the shift amount, read as an unsigned number. */
export interface BinaryExpr extends ExprBase {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
}
/** Shift by a constant amount (>= 0). */
export interface ShiftConstExpr extends ExprBase {
  readonly kind: 'shiftc';
  readonly op: ShiftOp;
  readonly arg: Expr;
  readonly amount: number;
}
export interface MuxExpr extends ExprBase {
  readonly kind: 'mux';
  readonly sel: Expr;
  readonly whenTrue: Expr;
  readonly whenFalse: Expr;
}
/** parts[0] is the most significant part (Verilog order). */
export interface ConcatExpr extends ExprBase { readonly kind: 'concat'; readonly parts: readonly Expr[] }
/** Bits [lo, lo+width) of arg; always unsigned. */
export interface SliceExpr extends ExprBase {
  readonly kind: 'slice';
  readonly arg: Expr;
  readonly lo: number;
  readonly width: number;
}
/** zero: UInt(width) with zeros above; sign: SInt(width) with copies of arg's MSB above. */
export interface ExtendExpr extends ExprBase {
  readonly kind: 'extend';
  readonly mode: 'zero' | 'sign';
  readonly arg: Expr;
  readonly width: number;
}
/** The low `width` bits of arg, keeping arg's signedness. */
export interface TruncExpr extends ExprBase { readonly kind: 'trunc'; readonly arg: Expr; readonly width: number }
/** Same bits, reinterpreted as signed or unsigned. */
export interface CastExpr extends ExprBase { readonly kind: 'cast'; readonly arg: Expr; readonly signed: boolean }

export type Expr =
  | ConstExpr
  | RefExpr
  | UnaryExpr
  | BinaryExpr
  | ShiftConstExpr
  | MuxExpr
  | ConcatExpr
  | SliceExpr
  | ExtendExpr
  | TruncExpr
  | CastExpr;

export type ExprKind = Expr['kind'];

export interface Port {
  readonly name: string;
  readonly dir: 'in' | 'out';
  readonly shape: Shape;
  readonly loc: SourceLoc;
}

export interface Wire {
  readonly name: string;
  readonly shape: Shape;
  readonly loc: SourceLoc;
}

/**
 * A register clocked by the module's single clock `clk`. At each rising edge:
 *   if (reset !== null && rst) value <= reset; else if (enable === null || enable) value <= next.
 * Its power-on value is `init` (the reset value unless the DSL said otherwise).
 */
export interface Reg {
  readonly name: string;
  readonly shape: Shape;
  readonly reset: bigint | null;
  readonly init: bigint;
  readonly next: Expr | null;
  readonly enable: Expr | null;
  readonly loc: SourceLoc;
  /** Location of the (first) assignment of `next`, for diagnostics. */
  readonly nextLoc: SourceLoc | null;
}

/** Synchronous write: at a rising edge, if enable, mem[addr] <= data. Ports are applied in order (last wins). */
export interface MemWritePort {
  readonly addr: Expr;
  readonly data: Expr;
  readonly enable: Expr;
  readonly loc: SourceLoc;
}

/**
 * Synchronous read (read-first): at a rising edge, if enable (or always when enable is null),
 * the signal `name` takes mem[addr] as it was before this edge's writes. Its power-on value is 0.
 */
export interface MemReadPort {
  readonly name: string;
  readonly addr: Expr;
  readonly enable: Expr | null;
  readonly loc: SourceLoc;
}

export interface Memory {
  readonly name: string;
  /** Shape of one word. */
  readonly shape: Shape;
  readonly depth: number;
  /** Power-on contents (bit patterns); missing words are 0. */
  readonly init: readonly bigint[] | null;
  readonly writePorts: readonly MemWritePort[];
  readonly readPorts: readonly MemReadPort[];
  readonly loc: SourceLoc;
}

export interface Connection {
  readonly port: string;
  readonly loc: SourceLoc;
}
/** An input port driven by an expression of the parent. */
export interface InputConnection extends Connection { readonly dir: 'in'; readonly value: Expr }
/** An output port read through a wire of the parent (declared in Module.wires). */
export interface OutputConnection extends Connection { readonly dir: 'out'; readonly wire: string }

export interface Instance {
  readonly name: string;
  /** Name of the instantiated module (a Module of the same Design). */
  readonly module: string;
  readonly connections: readonly (InputConnection | OutputConnection)[];
  readonly loc: SourceLoc;
}

/** Continuous assignment driving an output port or a wire. */
export interface Assign {
  readonly target: string;
  readonly value: Expr;
  readonly loc: SourceLoc;
}

export type ParamValue = string | number | boolean | null;

export interface Module {
  readonly name: string;
  /** The generator that produced the module and the parameters it was given (for the Verilog header). */
  readonly generator: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly ports: readonly Port[];
  readonly wires: readonly Wire[];
  readonly regs: readonly Reg[];
  readonly mems: readonly Memory[];
  readonly instances: readonly Instance[];
  readonly assigns: readonly Assign[];
  readonly loc: SourceLoc;
}

export interface Design {
  /** Name of the top module. */
  readonly top: string;
  /** Every module reachable from the top, each once, dependencies before their users; the top is last. */
  readonly modules: readonly Module[];
}

/** Widths every operator and declaration must stay within. */
export const MIN_WIDTH = 1;
export const MAX_WIDTH = 128;
