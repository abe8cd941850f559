import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, layerShapes, modelFormatVersion, MODEL_PREAMBLE_BYTES, readModel, readModelFile, validateModel, writeModel, type Model } from '../../accel/model.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { arbModelPlan, buildModel } from './random-model.js';
import { arbModelPlanV2, buildModelV2 } from './random-model-v2.js';

const MODEL_PATH = 'models/lenet5-mnist-int8.sfm';

const small = (): Model =>
  buildModel({ inC: 1, side: 8, spatial: [{ kind: 'conv2d', k: 3, stride: 1, outC: 2, relu: true }, { kind: 'maxpool', k: 2, stride: 2, outC: 1, relu: false }], fcOuts: [{ out: 4, relu: true }, { out: 3, relu: false }], seed: 3, cMin: 20, cMax: 10, biasMax: 1000 });

/** The diagnostic thrown by f (fails the test when f returns or throws anything else). */
function diagnosticOf(f: () => unknown): DiagnosticError {
  try {
    f();
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw new Error(`expected a DiagnosticError, got ${String(e)}`);
  }
  throw new Error('expected a DiagnosticError, got none');
}

function expectCode(f: () => unknown, code: string, ...parts: string[]): void {
  const e = diagnosticOf(f);
  expect(e.diagnostics[0]!.code).toBe(code);
  for (const p of parts) expect(e.message).toContain(p);
  expect(e.message).toContain('Hint:');
}

/** Re-assemble a file around an edited JSON header (fresh length and CRC), keeping the data section. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const hLen = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MODEL_PREAMBLE_BYTES, MODEL_PREAMBLE_BYTES + hLen)));
  const data = bytes.subarray((MODEL_PREAMBLE_BYTES + hLen + 3) & ~3, bytes.length - 4);
  edit(header);
  return assemble(bytes.subarray(0, 8), new TextEncoder().encode(JSON.stringify(header)), data);
}

function assemble(first8: Uint8Array, json: Uint8Array, data: Uint8Array): Uint8Array {
  const start = (MODEL_PREAMBLE_BYTES + json.length + 3) & ~3;
  const out = new Uint8Array(start + data.length + 4);
  out.set(first8, 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, MODEL_PREAMBLE_BYTES);
  out.set(data, start);
  return resealed(out);
}

/** Recompute the trailing CRC-32 so a deliberate edit reaches the checks behind the checksum. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('model file format', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips random models exactly, with deterministic bytes', () => {
    fc.assert(
      fc.property(arbModelPlan, (plan) => {
        const model = buildModel(plan);
        const bytes = writeModel(model);
        expect(writeModel(buildModel(plan))).toEqual(bytes);
        const back = readModel(bytes, 'random.sfm');
        expect(back).toEqual(model);
        expect(writeModel(back)).toEqual(bytes);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('round-trips random format-version-2 models exactly; writes version 1 whenever the model needs nothing newer', () => {
    let v2 = 0;
    fc.assert(
      fc.property(arbModelPlanV2, (plan) => {
        const model = buildModelV2(plan);
        const bytes = writeModel(model);
        const version = new DataView(bytes.buffer).getUint16(4, true);
        expect(version).toBe(modelFormatVersion(model));
        if (version === 2) v2++;
        const back = readModel(bytes, 'random-v2.sfm');
        expect(back).toEqual(model);
        expect(writeModel(back)).toEqual(bytes);
      }),
      { seed: 12, numRuns: 200 },
    );
    expect(v2).toBeGreaterThan(150);
  });

  it('version 2 fields are E114 in a version-1 file, and checked for range', () => {
    const model = buildModelV2({ inC: 1, side: 6, inZeroPoint: -3, spatial: [{ kind: 'conv2d', k: 3, stride: 1, pad: [1, 1, 1, 1], outC: 2, relu: true, countIncludePad: false, outZeroPoint: -128 }, { kind: 'avgpool', k: 2, stride: 2, pad: [0, 0, 1, 1], outC: 1, relu: false, countIncludePad: true, outZeroPoint: 0 }], fcOuts: [{ out: 3, relu: false, outZeroPoint: 5 }], seed: 4, cMin: 20, cMax: 10, biasMax: 100 });
    const bytes = writeModel(model);
    expect(new DataView(bytes.buffer).getUint16(4, true)).toBe(2);
    const asV1 = (edit: (h: Record<string, any>) => void) => {
      const b = withHeader(bytes, edit);
      new DataView(b.buffer).setUint16(4, 1, true);
      return resealed(b);
    };
    expectCode(() => readModel(asV1(() => {}), 'v1.sfm'), 'E114', "'input.zeroPoint'", 'not -3');
    expectCode(() => readModel(asV1((h) => (h['input'].zeroPoint = 0)), 'v1.sfm'), 'E114', "'layers[0].pad'", 'format version 1 has no such field');
    expectCode(() => readModel(asV1((h) => { h['input'].zeroPoint = 0; delete h['layers'][0].pad; }), 'v1.sfm'), 'E114', "'layers[0].outZeroPoint'");
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].pad = [3, 0, 0, 0])), 'p.sfm'), 'E117', "'layers[0].pad[0]'", 'in [0, 2]');
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].outZeroPoint = 128)), 'z.sfm'), 'E114', "'layers[0].outZeroPoint'", 'not 128');
    expectCode(() => readModel(withHeader(bytes, (h) => delete h['layers'][1].countIncludePad), 'c.sfm'), 'E114', "'layers[1].countIncludePad'");
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][1].pad = [1, 2])), 'q.sfm'), 'E114', "'layers[1].pad'", '[top, left, bottom, right]');
  });

  it('round-trips the committed LeNet-5 and lays it out as DESIGN §6', () => {
    const bytes = readFileSync(MODEL_PATH);
    const model = readModel(bytes, MODEL_PATH);
    expect(Buffer.from(writeModel(model)).equals(bytes)).toBe(true);
    expect(model.layers.map((l) => l.kind)).toEqual(['conv2d', 'maxpool', 'conv2d', 'maxpool', 'flatten', 'fc', 'fc', 'fc']);
    expect(layerShapes(model).map((s) => (s.kind === 'chw' ? [s.c, s.h, s.w] : [s.n]))).toEqual([[6, 24, 24], [6, 12, 12], [16, 8, 8], [16, 4, 4], [256], [120], [84], [10]]);
    const last = model.layers.at(-1)!;
    expect(last.kind === 'fc' && !last.relu).toBe(true);
  });

  it('E110: truncated files, bad lengths, unreadable paths', () => {
    const bytes = writeModel(small());
    expectCode(() => readModel(bytes.subarray(0, 10), 'short.sfm'), 'E110', "'short.sfm'", 'at least 16 bytes', 'not 10 bytes');
    expectCode(() => readModel(resealed(bytes.subarray(0, bytes.length - 9)), 'cut.sfm'), 'E110', "'dataLength'");
    const huge = Uint8Array.from(bytes);
    new DataView(huge.buffer).setUint32(8, 1 << 30, true);
    expectCode(() => readModel(huge, 'h.sfm'), 'E110', "'headerLength'", `not ${1 << 30}`);
    const dir = mkdtempSync(join(tmpdir(), 'sfm-'));
    expectCode(() => readModelFile(join(dir, 'missing.sfm')), 'E110', 'missing.sfm', 'ENOENT');
  });

  it('E111 wrong magic, E112 unsupported version, E113 bad checksum', () => {
    const bytes = writeModel(small());
    const magic = Uint8Array.from(bytes);
    magic.set(new TextEncoder().encode('PK\x03\x04'), 0);
    expectCode(() => readModel(magic, 'zip.sfm'), 'E111', "'magic'", "'SFQM'", "'PK??'");
    const version = Uint8Array.from(bytes);
    new DataView(version.buffer).setUint16(4, 3, true);
    expectCode(() => readModel(resealed(version), 'v3.sfm'), 'E112', "'version'", 'must be 1 or 2, not 3');
    new DataView(version.buffer).setUint16(4, 0, true);
    expectCode(() => readModel(resealed(version), 'v0.sfm'), 'E112', "'version'", 'not 0');
    const flipped = Uint8Array.from(bytes);
    flipped[bytes.length - 10]! ^= 0x40;
    expectCode(() => readModel(flipped, 'flip.sfm'), 'E113', "'checksum'", 'CRC-32');
  });

  it('E114: malformed header JSON and fields', () => {
    const bytes = writeModel(small());
    const data = bytes.subarray(0, 0);
    expectCode(() => readModel(assemble(bytes.subarray(0, 8), new TextEncoder().encode('{"name": '), data), 'j.sfm'), 'E114', "'header'", 'UTF-8 JSON');
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].k = 'five')), 'k.sfm'), 'E114', "'layers[0].k'", "not 'five'");
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][1].kind = 'avgpool')), 'p.sfm'), 'E114', "'layers[1].kind'", "not 'avgpool'");
    expectCode(() => readModel(withHeader(bytes, (h) => delete h['input']), 'i.sfm'), 'E114', "'input'", 'not missing');
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'] = [])), 'l.sfm'), 'E114', "'layers'");
  });

  it('E115: bad tensor references', () => {
    const bytes = writeModel(small());
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].tensors.bias.offset = 1 << 20)), 'o.sfm'), 'E115', "'layers[0].tensors.bias.offset'", 'dataLength');
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].tensors.weights.dtype = 'float32')), 'd.sfm'), 'E115', "'layers[0].tensors.weights.dtype'", "'int8'", "not 'float32'");
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].tensors.bias.length = 3)), 'n.sfm'), 'E115', "'layers[0].tensors.bias.length'", '8 bytes');
  });

  it('E116: inconsistent shapes (conv channels, tensor shapes, fc input, flatten)', () => {
    const bytes = writeModel(small());
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][0].tensors.weights.shape = [2, 1, 3, 4])), 's.sfm'), 'E116', "'layers[0].tensors.weights.shape'", '[2, 1, 3, 3]');
    const m = small();
    const conv = m.layers[0]!;
    if (conv.kind !== 'conv2d') throw new Error('conv expected');
    // Conv declaring 2 input channels on a 1-channel image: tensors sized consistently, shape check fails.
    const twoIn = { ...m, layers: [{ ...conv, inC: 2, weights: new Int8Array(2 * 2 * 9) }, ...m.layers.slice(1)] };
    expectCode(() => validateModel(twoIn, 'c.sfm'), 'E116', "'layers[0].inC'", 'must be 1', 'not 2');
    const fcBad = { ...m, layers: m.layers.map((l) => (l.kind === 'fc' && l.name === 'fc0' ? { ...l, in: 17, weights: new Int8Array(4 * 17) } : l)) };
    expectCode(() => writeModel(fcBad), 'E116', "'layers[3].in'", 'must be 18', 'not 17');
    const noFlatten = { ...m, layers: m.layers.filter((l) => l.kind !== 'flatten') };
    expectCode(() => validateModel(noFlatten), 'E116', "'layers[2].kind'", 'flatten');
    expectCode(() => validateModel({ ...m, layers: [...m.layers, { kind: 'flatten', name: 'f2' }] }), 'E116', "'layers[5].kind'");
    const weightsShort = { ...m, layers: [{ ...conv, weights: new Int8Array(5) }, ...m.layers.slice(1)] };
    expectCode(() => writeModel(weightsShort), 'E116', "'layers[0].tensors.weights'", '18 values', 'not 5');
  });

  it('E186: two layers of one name (the writer refuses the model, the reader the file)', () => {
    const m = small();
    const renamed = { ...m, layers: m.layers.map((l, k) => (k === m.layers.length - 1 ? { ...l, name: m.layers[0]!.name } : l)) };
    expectCode(() => writeModel(renamed), 'E186', 'must be unique', `'${m.layers[0]!.name}' for layers 0 and ${m.layers.length - 1}`);
    const bytes = writeModel(m);
    const last = m.layers.length - 1;
    expectCode(() => readModel(withHeader(bytes, (h) => (h['layers'][last].name = h['layers'][0].name)), 'n.sfm'), 'E186', "model 'n.sfm'");
  });

  it('E117: requantization parameters out of range', () => {
    const m = small();
    const conv = m.layers[0]!;
    if (conv.kind !== 'conv2d') throw new Error('conv expected');
    expectCode(() => writeModel({ ...m, layers: [{ ...conv, requantB: Int32Array.of(5, 2 ** 30) }, ...m.layers.slice(1)] }), 'E117', "'layers[0].requantB[0]'", 'not 5');
    expectCode(() => writeModel({ ...m, layers: [{ ...conv, requantC: Uint8Array.of(20, 64) }, ...m.layers.slice(1)] }), 'E117', "'layers[0].requantC[1]'", 'not 64');
    // The reader applies the same checks to the tensors it loads.
    const bytes = writeModel(m);
    const view = new DataView(bytes.buffer);
    const hLen = view.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hLen)));
    const at = ((12 + hLen + 3) & ~3) + header.layers[0].tensors.requantB.offset;
    const bad = Uint8Array.from(bytes);
    new DataView(bad.buffer).setInt32(at, -1, true);
    expectCode(() => readModel(resealed(bad), 'b.sfm'), 'E117', "'layers[0].requantB[0]'", 'not -1');
  });

  it('random corruption or truncation only ever raises a DiagnosticError', () => {
    const bytes = writeModel(small());
    const hLen = new DataView(bytes.buffer).getUint32(8, true);
    const codes = new Set<string>();
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(bytes.length - 1), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        fc.option(fc.nat(bytes.length - 1)),
        fc.boolean(),
        fc.boolean(),
        (edits, cut, reseal, headerOnly) => {
          let b: Uint8Array = Uint8Array.from(bytes);
          // headerOnly aims every edit at the preamble and JSON header, where the parser does the most work.
          for (const e of edits) b[headerOnly ? e.at % (12 + hLen) : e.at] = e.value;
          if (cut !== null) b = b.subarray(0, cut);
          if (reseal && b.length >= 4) b = resealed(b);
          try {
            readModel(b, 'fuzz.sfm');
          } catch (e) {
            if (!(e instanceof DiagnosticError)) throw e;
            expect(e.diagnostics[0]!.code).toMatch(/^E11[0-7]$/);
            codes.add(e.diagnostics[0]!.code);
          }
        },
      ),
      { seed: 7, numRuns: 3000 },
    );
    // The fuzzing reaches the checks behind the checksum, not only E110/E113.
    for (const code of ['E110', 'E111', 'E112', 'E113', 'E114']) expect(codes).toContain(code);
  });

  it('JSON-structure fuzzing: any value in any header field only ever raises a DiagnosticError', () => {
    const bytes = writeModel(small());
    const values = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 1 << 20 }), fc.double(), fc.string(), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant([1, 2, 3]));
    const paths: ((h: Record<string, any>, v: unknown) => void)[] = [
      (h, v) => (h['name'] = v),
      (h, v) => (h['dataLength'] = v),
      (h, v) => (h['input'] = v),
      (h, v) => (h['input'].shape = v),
      (h, v) => (h['input'].scale = v),
      (h, v) => (h['layers'] = v),
      (h, v) => (h['layers'][0] = v),
      (h, v) => (h['layers'][0].inC = v),
      (h, v) => (h['layers'][0].stride = v),
      (h, v) => (h['layers'][0].tensors = v),
      (h, v) => (h['layers'][0].tensors.weights = v),
      (h, v) => (h['layers'][0].tensors.weights.shape = v),
      (h, v) => (h['layers'][1].k = v),
      (h, v) => (h['layers'][3].out = v),
      (h, v) => (h['layers'][3].relu = v),
      (h, v) => (h['metadata'] = v),
    ];
    fc.assert(
      fc.property(fc.nat(paths.length - 1), values, (p, v) => {
        try {
          readModel(withHeader(bytes, (h) => paths[p]!(h, v)), 'json.sfm');
        } catch (e) {
          if (!(e instanceof DiagnosticError)) throw e;
        }
      }),
      { seed: 9, numRuns: 1500 },
    );
  });
});
