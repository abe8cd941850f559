// accel/fuse/: fused groups compile to programs whose logits equal the golden model's (interpreter on random v2
// models with every run of window layers fused, the RTL on the zoo CNN and on the ONNX CNN, Verilator cycle for
// cycle on one small fused program); intermediate maps never go to DRAM; the planner's choices and diagnostics.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, inputToDram, readOutput, type CompiledModel } from '../../../accel/compiler.js';
import { planStages } from '../../../accel/compiler/stages.js';
import { PRESETS, type AccelConfig } from '../../../accel/config.js';
import { cosimAccel } from '../../../accel/cosim-accel.js';
import type { FuseTarget } from '../../../accel/fuse/compile.js';
import { fuseGroups, planFusion, programBytes } from '../../../accel/fuse/plan.js';
import type { FuseGroup } from '../../../accel/fuse/program.js';
import { runGolden } from '../../../accel/golden.js';
import { randomInputs } from '../../../accel/inputs.js';
import { interpret } from '../../../accel/interpret.js';
import { readModel, type Model } from '../../../accel/model.js';
import { importOnnxFile } from '../../../accel/onnx/import.js';
import { runModelImage } from '../../../accel/run.js';
import { accelGeometry, type AccelHardwareConfig } from '../../../gen/accel/config.js';
import { renderDiagnostic, DiagnosticError } from '../../../hdl/diagnostics.js';
import { arbModelPlanV2, buildModelV2 } from '../random-model-v2.js';

const zoo = (file: string): Model => readModel(readFileSync(new URL(`../../../models/${file}`, import.meta.url)), `models/${file}`);
const geometryOf = (c: AccelHardwareConfig) => accelGeometry(c, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
const withFuse = (c: AccelConfig, fuse: FuseGroup[]): AccelConfig & FuseTarget => ({ ...c, fuse });

/** Every maximal run of >= 2 window stages as one group of tiles of `tileRows` rows. */
function allRuns(model: Model, tileRows: number): FuseGroup[] {
  const stages = planStages(model);
  const groups: FuseGroup[] = [];
  for (let i = 0; i < stages.length; ) {
    let j = i;
    while (j < stages.length && stages[j]!.layer.kind === 'conv2d') j++;
    if (j - i >= 2) groups.push({ first: i, last: j - 1, tileRows });
    i = Math.max(j, i + 1);
  }
  return groups;
}

const diagnosticOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.map(renderDiagnostic).join('\n');
    throw e;
  }
  return 'no diagnostic';
};

/** Random v2 models with every run of window layers fused on `base` (tiles of 1–3 rows): interpreter = golden. */
function expectFusedRandomModels(base: AccelConfig, check?: (compiled: CompiledModel) => void): void {
  let fused = 0;
  fc.assert(
    fc.property(arbModelPlanV2, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1000 }), (plan, tileRows, seed) => {
      const model = buildModelV2(plan);
      const groups = allRuns(model, tileRows);
      if (groups.length === 0) return;
      const config = withFuse(base, groups);
      const c = compile(model, config);
      check?.(c);
      fused++;
      for (const { image } of randomInputs(model, 1, seed)) {
        expect(Array.from(readOutput(c, interpret(config, { ...c, dram: inputToDram(c, image) }).dram))).toEqual(Array.from(runGolden(model, image, { accWidth: config.accWidth }).logits));
      }
    }),
    { numRuns: 60, seed: 13 },
  );
  expect(fused).toBeGreaterThan(10);
}

describe('fused-layer compiler', () => {
  it('runs random v2 models with every run of window layers fused bit-exactly on the interpreter (padding, strides, zero points, max/avg pools, tiles of 1–3 rows)', () => {
    expectFusedRandomModels(PRESETS.tiny!);
  });

  it('runs the same random v2 models fused with ring addressing (no mirror rows, ring sizes multiples of 2·R) bit-exactly on the interpreter', () => {
    expectFusedRandomModels({ ...PRESETS.tiny!, ringAddressing: true }, (c) => {
      // Every fused GEMM that reads a line buffer wraps in a ring; no ring of the plan has mirror rows.
      expect(c.program.some((ins) => ins.op === 'RING')).toBe(true);
      // Ring sizes are multiples of 2·R = 8: a wrapped address keeps its residue modulo 8 (bank interleaving).
      for (const ins of c.program) if (ins.op === 'RING') expect(ins.size % 8).toBe(0);
    });
  });

  it('keeps the zoo CNN\'s intermediate maps on chip: bit-exact on the default RTL (DRAM counters = the program LOAD/STORE sizes), DRAM feature-map bytes = input + output of the group', () => {
    const model = zoo('cifar10-cnn-random-int8.sfm');
    const g = geometryOf(PRESETS.default!);
    const plan = planFusion(model, g, { fuse: 'conv1-pool3' });
    expect(plan.groups.map((p) => p.name)).toEqual(['conv1+pool1+conv2+pool2+conv3+pool3']);
    const config = withFuse(PRESETS.default!, fuseGroups(plan));
    const c = compile(model, config);
    const group = c.layers[0]!;
    expect(group.name).toBe('conv1+pool1+conv2+pool2+conv3+pool3');
    // The group's STOREs write the 64×4×4 pooled map only; its ABUF LOADs read the 3×32×32 input (+ k − 1 mirrored rows per ring pass) only: padding is filled on chip.
    const bytes = programBytes(c.program.slice(group.firstInstr, group.lastInstr + 1), c.geometry);
    expect(bytes.written).toBe(64 * 4 * 8);
    expect(bytes.read).toBe(plan.groups[0]!.traffic.fmRead);
    expect(plan.groups[0]!.traffic.fmRead).toBeLessThan(3 * 32 * 32 * 1.2);
    expect(plan.fused.fmRead + plan.fused.fmWritten).toBeLessThan((plan.layerByLayer.fmRead + plan.layerByLayer.fmWritten) / 3);
    // Overlapped GEMMs (issue 14): a chunk's POST goes in behind the next chunk's GEMM (other bank), and waits for
    // its own bank only, not for the GEMM engine.
    const body = c.program.slice(group.firstInstr, group.lastInstr + 1);
    const compute = body.filter((i) => i.op === 'GEMM' || i.op === 'POST');
    const behind = compute.filter((ins, i) => ins.op === 'POST' && compute[i - 1]?.op === 'GEMM' && compute[i - 1]!.bank !== ins.bank).length;
    expect(behind).toBeGreaterThan(compute.filter((i) => i.op === 'POST').length / 3); // 93 of 231 (mirror-row and padding POSTs follow their own)
    for (const [i, ins] of body.entries()) if (ins.op === 'WAIT' && body[i + 1]?.op === 'POST') expect(ins.mask & 2).toBe(0);
    for (const { image } of randomInputs(model, 1, 7)) {
      const want = Array.from(runGolden(model, image, { accWidth: 32 }).logits);
      const run = runModelImage(config, c, image);
      expect([run.done, run.fault]).toEqual([true, false]);
      expect(Array.from(run.logits)).toEqual(want);
      // The RTL's DRAM counters equal the program's LOAD/STORE sizes.
      const all = programBytes(c.program, c.geometry);
      expect(run.counters.cnt_dram_rd * 8).toBe(all.read + all.weights);
      expect(run.counters.cnt_dram_wr * 8).toBe(all.written);
    }
  });

  it('with ring addressing the zoo CNN\'s fused group is bit-exact on the default RTL with fewer on-chip bytes, input LOAD bytes and POSTs than with mirror rows', () => {
    const model = zoo('cifar10-cnn-random-int8.sfm');
    const groups = [{ first: 0, last: 2, tileRows: 2 }];
    const mirror = compile(model, withFuse(PRESETS.default!, groups));
    const config = withFuse({ ...PRESETS.default!, ringAddressing: true }, groups);
    const ring = compile(model, config);
    const [fm, fr] = [mirror, ring].map((c) => (c as unknown as { fused: { compiled: { traffic: { fmRead: number }; buffers: { rings: { elements: number; mirror: number }[] } } }[] }).fused[0]!.compiled);
    expect(fr!.buffers.rings.every((r) => r.mirror === 0)).toBe(true);
    expect(fm!.buffers.rings.every((r) => r.mirror === 2)).toBe(true);
    const sum = (c: typeof fm) => c!.buffers.rings.reduce((a, r) => a + r.elements, 0);
    expect(sum(fr)).toBeLessThan(sum(fm));
    expect(fr!.traffic.fmRead).toBe(3 * 32 * 32); // the input once: no mirrored rows re-read
    expect(fm!.traffic.fmRead).toBeGreaterThan(3 * 32 * 32);
    const posts = (c: typeof mirror) => c.program.filter((i) => i.op === 'POST').length;
    expect(posts(ring)).toBeLessThan(posts(mirror));
    for (const { image } of randomInputs(model, 1, 7)) {
      const run = runModelImage(config, ring, image);
      expect([run.done, run.fault]).toEqual([true, false]);
      expect(Array.from(run.logits)).toEqual(Array.from(runGolden(model, image, { accWidth: 32 }).logits));
      const all = programBytes(ring.program, ring.geometry);
      expect(run.counters.cnt_dram_rd * 8).toBe(all.read + all.weights);
    }
  });

  it('runs a fused group between layer-by-layer segments (ONNX CNN: zero points, padding, stride 2, average pool) bit-exactly on the tiny RTL and in Verilator cycle for cycle', { timeout: 600_000 }, async () => {
    const model = importOnnxFile('test/fixtures/onnx/smallcnn-random-qdq-s8.onnx').model;
    const stages = planStages(model);
    const windows = stages.filter((s) => s.layer.kind === 'conv2d').length;
    expect(windows).toBeGreaterThanOrEqual(3);
    const config = withFuse(PRESETS.tiny!, [{ first: 1, last: windows - 1, tileRows: 1 }]);
    const c = compile(model, config);
    expect(c.layers.some((l) => l.name.includes('+'))).toBe(true);
    for (const { image } of randomInputs(model, 1, 3)) {
      const run = runModelImage(config, c, image);
      expect(Array.from(run.logits)).toEqual(Array.from(runGolden(model, image, { accWidth: 32 }).logits));
    }
    const report = await cosimAccel({ model, config, images: 1 });
    expect(report.result.mismatches).toBe(0);
    expect(report.images[0]!.logitsMatchGolden).toBe(true);
    // The same group with ring addressing (RING, wrapping GEMM reads): RTL and Verilator cycle for cycle.
    const ringConfig = { ...config, ringAddressing: true };
    const rc = compile(model, ringConfig);
    expect(rc.program.some((ins) => ins.op === 'GEMM' && ins.ring === 1)).toBe(true);
    const ringReport = await cosimAccel({ model, config: ringConfig, images: 1 });
    expect(ringReport.result.mismatches).toBe(0);
    expect(ringReport.images[0]!.logitsMatchGolden).toBe(true);
  });
});

describe('fusion planner', () => {
  const model = zoo('cifar10-cnn-random-int8.sfm');
  const g = geometryOf(PRESETS.default!);

  it('auto fuses the conv layers within the budget and leaves the fc layer by layer; a smaller budget fuses less, none fuses nothing', () => {
    const auto = planFusion(model, g, { fuse: 'auto' });
    expect(auto.groups.length).toBeGreaterThan(0);
    expect(auto.groups.every((p) => p.last < 3)).toBe(true);
    expect(auto.fused.total).toBeLessThan(auto.layerByLayer.total);
    const small = planFusion(model, g, { fuse: 'auto', bufferBytes: Math.floor(auto.onChipBytes / 2) });
    expect(small.onChipBytes).toBeLessThanOrEqual(Math.floor(auto.onChipBytes / 2));
    expect(small.fused.total).toBeGreaterThanOrEqual(auto.fused.total);
    const none = planFusion(model, g, { fuse: 'none' });
    expect(none.groups).toEqual([]);
    expect(none.fused.total).toBe(none.layerByLayer.total);
    // Alwani's pyramid: the first stage's ring holds the rows its window overlap and the new rows of a step need.
    expect(auto.groups[0]!.pyramid[0]!.overlapRows).toBe(2);
  });

  it('reports bad groups with coded diagnostics (E175–E179)', () => {
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'conv1-' }))).toMatch(/^E175: Fusion group 'conv1-' must be/);
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'auto', bufferBytes: 0 }))).toMatch(/^E175: Option '--fuse-buffer-bytes' must be/);
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'conv1+conv3' }))).toMatch(/^E176: Layers of fusion group 'conv1\+conv3' must be consecutive layers of the model, not conv1\+pool1 followed by conv3\+pool3/);
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'conv3-conv1' }))).toMatch(/^E176: .* must be in model order/);
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'conv9-conv2' }))).toMatch(/^E176: .* not 'conv9'/);
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'conv3-fc' }))).toMatch(/^E177: Layers of fusion group 'conv3-fc' must be conv and pool layers, not the fc layer 'fc'/);
    expect(diagnosticOf(() => planFusion(model, g, { fuse: 'conv1-conv2', bufferBytes: 100 }))).toMatch(/^E178: On-chip bytes of fusion group 'conv1\+pool1\+conv2\+pool2' must be at most the buffer budget 100, not \d+/);
    expect(diagnosticOf(() => planFusion(model, geometryOf({ ...PRESETS.tiny!, activationBufferBytes: 2048 }), { fuse: 'conv1-conv3' }))).toMatch(/^E179: Line buffers and staging in abuf\d .* must fit its 1024 addressable elements, not need \d+/);
  });
});
