// Exact-width Verilog primaries built from bit pieces.
//
// The emitter never lets Verilog size an expression from its context. Wiring nodes of the IR
// (concatenation, slice, truncation, extension, cast, shift left by a constant) become lists of
// pieces whose widths are known exactly: sized constants, part-selects of named signals and
// replications of one bit. A list renders as one self-determined primary (`a`, `a[7:4]`, `8'd5`,
// `{{3{a[7]}}, a}`), so every operand the emitter writes has exactly the width it computed.

/** A sized constant (its bit pattern). */
export interface ConstPiece {
  readonly kind: 'const';
  readonly value: bigint;
  readonly width: number;
}

/** Bits [lo, lo+width) of a declared signal (port, wire, register, read port or temporary). */
export interface SelPiece {
  readonly kind: 'sel';
  readonly name: string;
  readonly declWidth: number;
  readonly declSigned: boolean;
  readonly lo: number;
  readonly width: number;
}

/** `count` copies of bit `index` of a declared signal: sign extension. */
export interface RepPiece {
  readonly kind: 'rep';
  readonly name: string;
  readonly declWidth: number;
  readonly index: number;
  readonly count: number;
}

export type Piece = ConstPiece | SelPiece | RepPiece;

/** Pieces, most significant first (Verilog concatenation order). */
export type Bits = readonly Piece[];

/** Called for every bit range an emitted text reads, so partially read temporaries can be found. */
export type ReadRecorder = (name: string, lo: number, width: number) => void;

const mask = (width: number): bigint => (1n << BigInt(width)) - 1n;

export function pieceWidth(p: Piece): number {
  return p.kind === 'rep' ? p.count : p.width;
}

export function bitsWidth(bits: Bits): number {
  return bits.reduce((w, p) => w + pieceWidth(p), 0);
}

export function constBits(value: bigint, width: number): Bits {
  return [{ kind: 'const', value: value & mask(width), width }];
}

export function signalBits(name: string, width: number, signed: boolean): Bits {
  return [{ kind: 'sel', name, declWidth: width, declSigned: signed, lo: 0, width }];
}

/** Bits [lo, lo+width) of `bits`. */
export function restrict(bits: Bits, lo: number, width: number): Bits {
  const total = bitsWidth(bits);
  if (lo === 0 && width === total) return bits;
  if (lo < 0 || width < 1 || lo + width > total) throw new Error(`internal: bits [${lo}, ${lo + width}) of a ${total}-bit value`);
  const out: Piece[] = [];
  let offset = 0; // bit position of the current piece's least significant bit
  for (let i = bits.length - 1; i >= 0; i--) {
    const p = bits[i]!;
    const w = pieceWidth(p);
    const from = Math.max(lo, offset) - offset;
    const to = Math.min(lo + width, offset + w) - offset;
    offset += w;
    if (from >= to) continue;
    const n = to - from;
    if (p.kind === 'const') out.push({ kind: 'const', value: (p.value >> BigInt(from)) & mask(n), width: n });
    else if (p.kind === 'sel') out.push({ ...p, lo: p.lo + from, width: n });
    else out.push({ ...p, count: n });
  }
  return normalize(out.reverse());
}

/** The most significant bit as a one-bit piece. */
function msbPiece(bits: Bits): ConstPiece | SelPiece {
  const top = bits[0]!;
  if (top.kind === 'const') return { kind: 'const', value: (top.value >> BigInt(top.width - 1)) & 1n, width: 1 };
  if (top.kind === 'sel') return { ...top, lo: top.lo + top.width - 1, width: 1 };
  return { kind: 'sel', name: top.name, declWidth: top.declWidth, declSigned: false, lo: top.index, width: 1 };
}

/** Extend to `width` bits with zeros or with copies of the most significant bit. */
export function extend(bits: Bits, width: number, signed: boolean): Bits {
  const have = bitsWidth(bits);
  if (width < have) throw new Error(`internal: extending ${have} bits to ${width}`);
  if (width === have) return bits;
  const k = width - have;
  if (!signed) return normalize([{ kind: 'const', value: 0n, width: k }, ...bits]);
  const msb = msbPiece(bits);
  const fill: Piece =
    msb.kind === 'const'
      ? { kind: 'const', value: msb.value === 1n ? mask(k) : 0n, width: k }
      : { kind: 'rep', name: msb.name, declWidth: msb.declWidth, index: msb.lo, count: k };
  return normalize([fill, ...bits]);
}

/** Concatenate, most significant first. */
export function concat(parts: readonly Bits[]): Bits {
  return normalize(parts.flat());
}

/** Merge neighbouring constants, contiguous selects of one signal and replications of one bit. */
function normalize(bits: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of bits) {
    const prev = out[out.length - 1];
    if (prev && prev.kind === 'const' && p.kind === 'const') {
      out[out.length - 1] = { kind: 'const', value: (prev.value << BigInt(p.width)) | p.value, width: prev.width + p.width };
    } else if (prev && prev.kind === 'sel' && p.kind === 'sel' && prev.name === p.name && prev.lo === p.lo + p.width) {
      out[out.length - 1] = { ...p, width: prev.width + p.width };
    } else if (prev && prev.kind === 'rep' && p.kind === 'rep' && prev.name === p.name && prev.index === p.index) {
      out[out.length - 1] = { ...prev, count: prev.count + p.count };
    } else {
      out.push(p);
    }
  }
  return out;
}

/** A sized literal: `1'b0`, `8'd200`, `32'hdeadbeef` (hexadecimal from 2^16 on). */
export function literal(value: bigint, width: number): string {
  if (width === 1) return `1'b${value}`;
  return value < 0x10000n ? `${width}'d${value}` : `${width}'h${value.toString(16)}`;
}

function selText(name: string, declWidth: number, lo: number, width: number): string {
  if (lo === 0 && width === declWidth) return name;
  return width === 1 ? `${name}[${lo}]` : `${name}[${lo + width - 1}:${lo}]`;
}

function pieceText(p: Piece, read: ReadRecorder): string {
  switch (p.kind) {
    case 'const':
      return literal(p.value, p.width);
    case 'sel':
      read(p.name, p.lo, p.width);
      return selText(p.name, p.declWidth, p.lo, p.width);
    case 'rep': {
      read(p.name, p.index, 1);
      const bit = selText(p.name, p.declWidth, p.index, 1);
      return p.count === 1 ? bit : `{${p.count}{${bit}}}`;
    }
  }
}

/** One self-determined primary of exactly bitsWidth(bits) bits. */
export function render(bits: Bits, read: ReadRecorder): string {
  if (bits.length === 1) return pieceText(bits[0]!, read);
  return `{${bits.map((p) => pieceText(p, read)).join(', ')}}`;
}

/** Whether render() gives a signed primary (only a whole signal declared signed does). */
export function rendersSigned(bits: Bits): boolean {
  const p = bits[0]!;
  return bits.length === 1 && p.kind === 'sel' && p.declSigned && p.lo === 0 && p.width === p.declWidth;
}

/** render(), with $signed()/$unsigned() where the primary's signedness differs from `signed`. */
export function renderAs(bits: Bits, signed: boolean, read: ReadRecorder): string {
  const text = render(bits, read);
  if (rendersSigned(bits) === signed) return text;
  return signed ? `$signed(${text})` : `$unsigned(${text})`;
}

/** A plain identifier (a whole declared signal), as instance connections want. */
export function isWholeSignal(bits: Bits): boolean {
  const p = bits[0]!;
  return bits.length === 1 && p.kind === 'sel' && p.lo === 0 && p.width === p.declWidth;
}
