// accel/onnx/ owns reading (and, for tests and the fixture script, writing) ONNX models and importing statically
// quantized QDQ models into the splitfuse model format (docs/onnx.md). This file: the Protocol Buffers wire format
// (https://protobuf.dev/programming-guides/encoding/) — varints, 64-bit and 32-bit fixed fields, length-delimited
// fields — decoded into a flat field list and encoded from one. It knows no message schema (accel/onnx/proto.ts
// does). Every malformed input is a WireError with the byte offset; the importer turns it into diagnostic E190.

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** One field of a message, in file order. Varints are kept as BigInt (int64 fields may use all 64 bits). */
export type WireField =
  | { readonly num: number; readonly wire: 0; readonly value: bigint }
  | { readonly num: number; readonly wire: 1; readonly value: Uint8Array }
  | { readonly num: number; readonly wire: 2; readonly value: Uint8Array }
  | { readonly num: number; readonly wire: 5; readonly value: Uint8Array };

export class WireError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${reason} at byte ${offset}`);
    this.name = 'WireError';
  }
}

/** Decode a varint at `pos`; returns the value (unsigned, up to 64 bits) and the next position. */
export function readVarint(bytes: Uint8Array, pos: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) throw new WireError(pos, 'truncated varint');
    const b = bytes[pos + i]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value: BigInt.asUintN(64, value), next: pos + i + 1 };
    shift += 7n;
  }
  throw new WireError(pos, 'varint longer than 10 bytes');
}

/** Split a message's bytes into its fields. */
export function decodeFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const key = readVarint(bytes, pos);
    pos = key.next;
    const num = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    if (num === 0) throw new WireError(start, 'field number 0');
    if (wire === WIRE.varint) {
      const v = readVarint(bytes, pos);
      fields.push({ num, wire: 0, value: v.value });
      pos = v.next;
    } else if (wire === WIRE.fixed64 || wire === WIRE.fixed32) {
      const n = wire === WIRE.fixed64 ? 8 : 4;
      if (pos + n > bytes.length) throw new WireError(pos, `truncated ${n * 8}-bit field ${num}`);
      fields.push({ num, wire, value: bytes.subarray(pos, pos + n) } as WireField);
      pos += n;
    } else if (wire === WIRE.bytes) {
      const len = readVarint(bytes, pos);
      pos = len.next;
      if (len.value > BigInt(bytes.length - pos)) throw new WireError(pos, `length ${len.value} of field ${num} past the end (${bytes.length - pos} bytes left)`);
      const n = Number(len.value);
      fields.push({ num, wire: 2, value: bytes.subarray(pos, pos + n) });
      pos += n;
    } else {
      throw new WireError(start, `unsupported wire type ${wire} of field ${num}`);
    }
  }
  return fields;
}

/** A signed int64 varint as a JS number (exact up to 2^53; ONNX dims and attributes stay far below). */
export const int64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

/** Packed repeated varints (proto3 default for int64/int32) or one unpacked element. */
export function varints(field: WireField): number[] {
  if (field.wire === 0) return [int64(field.value)];
  if (field.wire !== 2) throw new WireError(0, `field ${field.num} must be a varint or packed varints`);
  const out: number[] = [];
  for (let pos = 0; pos < field.value.length; ) {
    const v = readVarint(field.value, pos);
    out.push(int64(v.value));
    pos = v.next;
  }
  return out;
}

/** Packed repeated float32 or one unpacked fixed32 element. */
export function floats(field: WireField): number[] {
  if (field.wire !== 2 && field.wire !== 5) throw new WireError(0, `field ${field.num} must be float32 values`);
  if (field.value.length % 4 !== 0) throw new WireError(0, `packed floats of field ${field.num} are ${field.value.length} bytes, not a multiple of 4`);
  const view = new DataView(field.value.buffer, field.value.byteOffset, field.value.byteLength);
  return Array.from({ length: field.value.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

export const utf8 = (field: WireField): string => {
  if (field.wire !== 2) throw new WireError(0, `field ${field.num} must be a string`);
  return new TextDecoder('utf-8', { fatal: false }).decode(field.value);
};

/** Builds one message's bytes field by field (tests and scripts/make-onnx-fixtures.ts write ONNX files with it). */
export class WireWriter {
  private readonly parts: Uint8Array[] = [];

  private varintBytes(v: bigint): Uint8Array {
    let x = BigInt.asUintN(64, v);
    const out: number[] = [];
    do {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      out.push(x === 0n ? b : b | 0x80);
    } while (x !== 0n);
    return Uint8Array.from(out);
  }

  private key(num: number, wire: number): void {
    this.parts.push(this.varintBytes(BigInt(num * 8 + wire)));
  }

  int(num: number, value: number | bigint): this {
    this.key(num, WIRE.varint);
    this.parts.push(this.varintBytes(BigInt(value)));
    return this;
  }

  bytes(num: number, value: Uint8Array): this {
    this.key(num, WIRE.bytes);
    this.parts.push(this.varintBytes(BigInt(value.length)), value);
    return this;
  }

  string(num: number, value: string): this {
    return this.bytes(num, new TextEncoder().encode(value));
  }

  message(num: number, value: WireWriter): this {
    return this.bytes(num, value.finish());
  }

  float(num: number, value: number): this {
    this.key(num, WIRE.fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.parts.push(b);
    return this;
  }

  packedInts(num: number, values: readonly number[]): this {
    const w = new WireWriter();
    for (const v of values) w.parts.push(w.varintBytes(BigInt(v)));
    return this.bytes(num, w.finish());
  }

  packedFloats(num: number, values: readonly number[]): this {
    const b = new Uint8Array(4 * values.length);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return this.bytes(num, b);
  }

  finish(): Uint8Array {
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
