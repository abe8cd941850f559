// The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto, IR version 3–10) that a
// sequential quantized CNN uses: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto
// with tensor types and shapes. decodeOnnx turns file bytes into plain objects (unknown fields are skipped, as
// protobuf requires); encodeOnnx writes them back (tests build malformed and unsupported models with it, and
// scripts/make-onnx-fixtures.ts writes the fixtures). Wire-level problems are WireErrors (accel/onnx/protobuf.ts).
import { decodeFields, floats, int64, utf8, varints, WireError, WireWriter, type WireField } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
export const DT_NAME: Readonly<Record<number, string>> = { 1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 16: 'bfloat16' };
/** AttributeProto.AttributeType values. */
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  /** Element values as numbers (int64 as exact-enough numbers); null for data types this reader does not decode. */
  readonly values: readonly number[] | null;
  /** Stored outside the file (TensorProto.data_location = EXTERNAL). */
  readonly external: boolean;
}

export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: string;
  readonly t?: OnnxTensor;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

/** A dimension: a number (dim_value), a string (dim_param, symbolic) or null (neither: unknown). */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  readonly name: string;
  /** Element type of a tensor type; null when the value is not a tensor or has no type. */
  readonly elemType: number | null;
  /** null when the type has no shape at all (unknown rank). */
  readonly shape: readonly OnnxDim[] | null;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly valueInfo: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: OnnxGraph | null;
}

const group = (fields: WireField[]) => {
  const by = new Map<number, WireField[]>();
  for (const f of fields) by.set(f.num, [...(by.get(f.num) ?? []), f]);
  return {
    all: (n: number) => by.get(n) ?? [],
    last: (n: number) => by.get(n)?.at(-1),
  };
};

const str = (f: WireField | undefined): string => (f ? utf8(f) : '');
const num = (f: WireField | undefined): number => {
  if (!f) return 0;
  if (f.wire !== 0) throw new WireError(0, `field ${f.num} must be a varint`);
  return int64(f.value);
};
const sub = (f: WireField): WireField[] => {
  if (f.wire !== 2) throw new WireError(0, `field ${f.num} must be a message`);
  return decodeFields(f.value);
};

function rawValues(raw: Uint8Array, dataType: number): number[] | null {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const size: Record<number, number> = { [DT.FLOAT]: 4, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.INT32]: 4, [DT.INT64]: 8, [DT.DOUBLE]: 8 };
  const n = size[dataType];
  if (n === undefined) return null;
  if (raw.length % n !== 0) throw new WireError(0, `raw_data of ${raw.length} bytes is not a whole number of ${DT_NAME[dataType]} values`);
  return Array.from({ length: raw.length / n }, (_, i) => {
    switch (dataType) {
      case DT.FLOAT:
        return view.getFloat32(4 * i, true);
      case DT.UINT8:
        return view.getUint8(i);
      case DT.INT8:
        return view.getInt8(i);
      case DT.INT32:
        return view.getInt32(4 * i, true);
      case DT.INT64:
        return Number(view.getBigInt64(8 * i, true));
      default:
        return view.getFloat64(8 * i, true);
    }
  });
}

export function decodeTensor(fields: WireField[]): OnnxTensor {
  const g = group(fields);
  const dims = g.all(1).flatMap(varints);
  const dataType = num(g.last(2));
  const raw = g.last(9);
  let values: number[] | null;
  if (raw) values = rawValues(raw.wire === 2 ? raw.value : new Uint8Array(), dataType);
  else if (dataType === DT.FLOAT) values = g.all(4).flatMap(floats);
  else if (dataType === DT.INT64) values = g.all(7).flatMap(varints);
  else if (dataType === DT.DOUBLE) values = null;
  // int32_data holds int32, int8, uint8 (and int16/uint16/bool) element values.
  else if (dataType === DT.INT32 || dataType === DT.INT8 || dataType === DT.UINT8) values = g.all(5).flatMap(varints).map((v) => (dataType === DT.INT32 ? v | 0 : dataType === DT.INT8 ? ((v << 24) >> 24) : v & 0xff));
  else values = null;
  return { name: str(g.last(8)), dims, dataType, values, external: num(g.last(14)) === 1 };
}

function decodeAttribute(fields: WireField[]): OnnxAttribute {
  const g = group(fields);
  const f = g.last(2);
  const t = g.last(5);
  return {
    name: str(g.last(1)),
    type: num(g.last(20)),
    ...(f ? { f: floats(f)[0]! } : {}),
    ...(g.last(3) ? { i: num(g.last(3)) } : {}),
    ...(g.last(4) ? { s: str(g.last(4)) } : {}),
    ...(t ? { t: decodeTensor(sub(t)) } : {}),
    ...(g.all(7).length ? { floats: g.all(7).flatMap(floats) } : {}),
    ...(g.all(8).length ? { ints: g.all(8).flatMap(varints) } : {}),
  };
}

function decodeNode(fields: WireField[]): OnnxNode {
  const g = group(fields);
  return {
    name: str(g.last(3)),
    opType: str(g.last(4)),
    domain: str(g.last(7)),
    inputs: g.all(1).map(utf8),
    outputs: g.all(2).map(utf8),
    attributes: g.all(5).map((a) => decodeAttribute(sub(a))),
  };
}

function decodeValueInfo(fields: WireField[]): OnnxValueInfo {
  const g = group(fields);
  const type = g.last(2);
  let elemType: number | null = null;
  let shape: OnnxDim[] | null = null;
  if (type) {
    const tensorType = group(sub(type)).last(1);
    if (tensorType) {
      const tt = group(sub(tensorType));
      elemType = num(tt.last(1));
      const shapeField = tt.last(2);
      if (shapeField) {
        shape = group(sub(shapeField)).all(1).map((d) => {
          const dim = group(sub(d));
          if (dim.last(1)) return num(dim.last(1));
          if (dim.last(2)) return str(dim.last(2));
          return null;
        });
      }
    }
  }
  return { name: str(g.last(1)), elemType, shape };
}

function decodeGraph(fields: WireField[]): OnnxGraph {
  const g = group(fields);
  return {
    name: str(g.last(2)),
    nodes: g.all(1).map((n) => decodeNode(sub(n))),
    initializers: g.all(5).map((t) => decodeTensor(sub(t))),
    inputs: g.all(11).map((v) => decodeValueInfo(sub(v))),
    outputs: g.all(12).map((v) => decodeValueInfo(sub(v))),
    valueInfo: g.all(13).map((v) => decodeValueInfo(sub(v))),
  };
}

/** Decode ModelProto bytes; throws WireError on malformed protobuf. */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  const g = group(decodeFields(bytes));
  const graph = g.last(7);
  return {
    irVersion: num(g.last(1)),
    opsets: g.all(8).map((o) => {
      const og = group(sub(o));
      return { domain: str(og.last(1)), version: num(og.last(2)) };
    }),
    producerName: str(g.last(2)),
    producerVersion: str(g.last(3)),
    graph: graph ? decodeGraph(sub(graph)) : null,
  };
}

// ---- encoding ----

export function encodeTensor(t: OnnxTensor): WireWriter {
  const w = new WireWriter().packedInts(1, t.dims).int(2, t.dataType).string(8, t.name);
  const v = t.values ?? [];
  const raw = new Uint8Array(v.length * ({ [DT.FLOAT]: 4, [DT.INT32]: 4, [DT.INT64]: 8 }[t.dataType] ?? 1));
  const view = new DataView(raw.buffer);
  v.forEach((x, i) => {
    if (t.dataType === DT.FLOAT) view.setFloat32(4 * i, x, true);
    else if (t.dataType === DT.INT32) view.setInt32(4 * i, x, true);
    else if (t.dataType === DT.INT64) view.setBigInt64(8 * i, BigInt(x), true);
    else view.setUint8(i, x & 0xff);
  });
  return w.bytes(9, raw);
}

function encodeAttribute(a: OnnxAttribute): WireWriter {
  const w = new WireWriter().string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int(3, a.i);
  if (a.s !== undefined) w.string(4, a.s);
  if (a.t !== undefined) w.message(5, encodeTensor(a.t));
  if (a.floats !== undefined) for (const f of a.floats) w.float(7, f);
  if (a.ints !== undefined) for (const i of a.ints) w.int(8, i);
  return w.int(20, a.type);
}

function encodeValueInfo(v: OnnxValueInfo): WireWriter {
  const tensorType = new WireWriter();
  if (v.elemType !== null) tensorType.int(1, v.elemType);
  if (v.shape !== null) {
    const shape = new WireWriter();
    for (const d of v.shape) {
      const dim = new WireWriter();
      if (typeof d === 'number') dim.int(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  return new WireWriter().string(1, v.name).message(2, new WireWriter().message(1, tensorType));
}

/** Encode a model as ModelProto bytes (field order as onnx.proto numbers them). */
export function encodeOnnx(m: OnnxModel): Uint8Array {
  const w = new WireWriter().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  if (m.graph) {
    const g = new WireWriter();
    for (const n of m.graph.nodes) {
      const nw = new WireWriter();
      for (const i of n.inputs) nw.string(1, i);
      for (const o of n.outputs) nw.string(2, o);
      nw.string(3, n.name).string(4, n.opType);
      for (const a of n.attributes) nw.message(5, encodeAttribute(a));
      if (n.domain) nw.string(7, n.domain);
      g.message(1, nw);
    }
    g.string(2, m.graph.name);
    for (const t of m.graph.initializers) g.message(5, encodeTensor(t));
    for (const v of m.graph.inputs) g.message(11, encodeValueInfo(v));
    for (const v of m.graph.outputs) g.message(12, encodeValueInfo(v));
    for (const v of m.graph.valueInfo) g.message(13, encodeValueInfo(v));
    w.message(7, g);
  }
  for (const o of m.opsets) w.message(8, new WireWriter().string(1, o.domain).int(2, o.version));
  return w.finish();
}
