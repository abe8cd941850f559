// End to end on the RTL: the committed LeNet-5 model, compiled for a preset, runs on the generated
// accelerator (gen/accel, compiled cycle-accurate simulator, accel/run.ts runModelImage) and leaves in
// DRAM exactly the logits the bit-exact golden model computes, digit by digit — with the v2 schedule
// (weight prefetch, fine-grained hazards), whose cycle counts are checked against bounds measured on
// the RTL and against the compiler's own estimate.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../accel/config.js';
import { compile } from '../../accel/compiler.js';
import { runGolden } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModel } from '../../accel/model.js';
import { runBatch, runModelImage } from '../../accel/run.js';
import { onChipBits } from '../../accel/report.js';
import { accelGeometry } from '../../gen/accel/config.js';
import { INSTRUCTION_BITS, OFF_BITS, paramBits, PIX_BITS } from '../../gen/accel/isa.js';

const model = readModel(readFileSync(new URL('../../models/lenet5-mnist-int8.sfm', import.meta.url)), 'models/lenet5-mnist-int8.sfm');

// Cycles per image (one cold run: weights loaded from DRAM) of the v2 schedule on the presets' whole-tile weight
// loading with GEMV fc layers (issue 14), measured on the RTL (deterministic): tiny 29,868, default 7,891, large
// 5,087 (row loading: 29,980, 11,497, 6,304; shift loading: 37,414, 15,952, 8,807; the v1 schedule, whole-buffer
// WAITs and no prefetch: 51,754, 22,513, 13,073). Overlapped GEMMs (issue 14): tiny 29,619 (default and large
// unchanged cold: their M tiles wait on weight LOADs; the resident stream gains, test below and docs).
// The bounds leave 0.5% for harmless schedule changes; a regression beyond that should be looked at.
// Cold, one image (issue 14 wide writes: LOAD ABUF a word per cycle, row-major POSTs a row per cycle; before: 29,868 / 7,891 / 5,087).
// With packed conv1 (column pooling) and overlapped GEMMs too; default's cold run is DMA-bound and packing adds a weight block (6,866 before it).
// Wide STOREs (a DRAM word per cycle; before: 27,736 / 7,008 / 4,136).
const MEASURED: Record<string, number> = { tiny: 27_728, default: 7_000, large: 4_118 };

describe('LeNet-5 on the accelerator RTL', () => {
  it.each(['tiny', 'default', 'large'])('%s: the RTL logits equal the golden model on 3 test digits, within the measured cycles', (preset) => {
    const config = PRESETS[preset]!;
    const compiled = compile(model, config);
    const cycles = new Set<number>();
    for (const { image } of testImages(3)) {
      const run = runModelImage(config, compiled, image);
      expect(run.fault).toBe(false);
      expect(run.done).toBe(true);
      expect(Array.from(run.logits)).toEqual(Array.from(runGolden(model, image).logits));
      expect(run.counters.cnt_macs).toBeGreaterThanOrEqual(281_640); // padded rows and columns count too
      cycles.add(run.cycles);
    }
    // The schedule does not depend on the data.
    expect(cycles.size).toBe(1);
    const [measured] = [...cycles];
    expect(measured).toBeLessThanOrEqual(Math.round(MEASURED[preset]! * 1.005));
    // The compiler chose its M tiles by its own estimate: within 0.5% of the RTL.
    expect(Math.abs(compiled.estimatedCycles! - measured!) / measured!).toBeLessThan(0.005);
  }, 120_000);

  it('default with read copies (activationLayout copies, the old RTL): the same logits; banked is faster only by its wide writes', () => {
    const banked = PRESETS.default!;
    const copies = { ...banked, activationLayout: 'copies' as const };
    const image = testImages(1)[0]!.image;
    const a = runModelImage(banked, compile(model, banked), image);
    const b = runModelImage(copies, compile(model, copies), image);
    expect(Array.from(b.logits)).toEqual(Array.from(runGolden(model, image).logits));
    expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
    // LeNet-5's K tiles need no reordering beyond ceil(K/R) tiles (accel/compiler/banks.ts): with copies (one element
    // written per cycle) the cycles of the banked machine before its wide writes; banked, the input LOADs a word per
    // cycle, the fc POSTs a row per cycle and the STORE reads a word per cycle (gen/accel/dma.ts, post-engine.ts).
    expect([a.cycles, b.cycles]).toEqual([7_000, 7_724]);
  }, 120_000);

  it('default, weights resident (the steady batch-1 stream): conv2 runs at >= 90% utilisation; packed conv1 beats the unpacked padding cap 25/32 · 6/8', () => {
    // A cold run is bound by loading 46 KB of weights at 8 B/cycle (5,770 cycles) since the fc layers run as GEMVs.
    const config = PRESETS.default!;
    const compiled = compile(model, config, { resident: true });
    const image = testImages(1)[0]!.image;
    runBatch(config, compiled, [image]);
    const run = runBatch(config, compiled, [image], { warm: true });
    expect(Array.from(run.logits[0]!)).toEqual(Array.from(runGolden(model, image).logits));
    // Overlapped GEMMs (issue 14): 6,216 cycles (6,375 before), the schedule's estimate within 0.5%.
    expect(run.cycles).toBeLessThanOrEqual(Math.round(6_216 * 1.005));
    expect(Math.abs(compiled.resident!.estimatedCycles - run.cycles) / run.cycles).toBeLessThan(0.005);
    const RC = config.rows * config.cols;
    const layers = compiled.resident!.layers;
    const util = layers.map((l, i) => Math.ceil(l.macs / RC) / run.layerCycles[i]!);
    const by = Object.fromEntries(layers.map((l, i) => [l.name, util[i]!]));
    // Measured: conv1 46.2%, conv2 94.2% (v1: 38.3%, 82.8%). conv1 pays the DMA latency of its first
    // weight and input LOADs before any GEMM can start, on top of the 58.6% padding cap.
    expect(by.conv2).toBeGreaterThanOrEqual(0.9);
    expect(by.conv1).toBeGreaterThanOrEqual(0.45);
    // Packed (column pooling): 1,872 array cycles instead of 2,304, above the unpacked cap.
    expect(by.conv1).toBeGreaterThan((25 / 32) * (6 / 8));
    // fc layers are one GEMV each (tile loading, accel/compiler/gemv.ts): a weight tile per cycle, so fc1 runs
    // far above the 1/R = 1/8 that loading a K tile row by row allows (row loading: 11.4%; shift: 6.4%).
    expect(by.fc1).toBeGreaterThanOrEqual(0.5);
    const rowConfig = { ...config, weightLoad: 'row' as const };
    const rowCompiled = compile(model, rowConfig, { resident: true });
    runBatch(rowConfig, rowCompiled, [image]);
    const rowRun = runBatch(rowConfig, rowCompiled, [image], { warm: true });
    const fcCycles = (layers: typeof compiled.layers, cycles: number[]): number => layers.reduce((s, l, i) => s + (l.name.startsWith('fc') ? cycles[i]! : 0), 0);
    expect(fcCycles(layers, run.layerCycles)).toBeLessThan(fcCycles(rowCompiled.resident!.layers, rowRun.layerCycles) / 2);
  }, 60_000);

  it('onChipBits counts the memories of the generated accelerator; banked activation buffers hold one copy (R read copies were 75% of default)', () => {
    for (const preset of ['tiny', 'default']) {
      for (const layout of ['banked', 'copies'] as const) {
        const config = { ...PRESETS[preset]!, activationLayout: layout };
        const { sizes } = compile(model, config);
        const g = accelGeometry(config, sizes);
        const bits = onChipBits(config, sizes);
        expect(bits.wbuf).toBe(g.wbufDepth * g.cols * 8);
        expect(bits.abuf).toBe(layout === 'banked' ? 2 * g.abufBanks * Math.ceil(g.abufDepth / g.abufBanks) * 8 : 2 * g.rows * g.abufDepth * 8);
        expect(bits.accbuf).toBe(g.cols * 2 * g.accRows * g.accWidth);
        expect(bits.tables).toBe(sizes.imemDepth * INSTRUCTION_BITS + sizes.pixDepth * Math.min(PIX_BITS, Math.ceil(Math.log2(g.abufDepth))) + sizes.offDepth * OFF_BITS + sizes.pmemDepth * paramBits('none'));
        expect(bits.total).toBe(bits.wbuf + bits.abuf + bits.accbuf + bits.tables);
      }
    }
    const copies = onChipBits({ ...PRESETS.default!, activationLayout: 'copies' }, compile(model, { ...PRESETS.default!, activationLayout: 'copies' }).sizes);
    const banked = onChipBits(PRESETS.default!, compile(model, PRESETS.default!).sizes);
    expect(copies.abuf / copies.total).toBeGreaterThan(0.74);
    // Measured: 2,806,226 -> 971,218 bits (issue 14 asks for at least half).
    expect(banked.total).toBeLessThan(copies.total / 2);
    expect(banked.abuf).toBe(copies.abuf / PRESETS.default!.rows);
  }, 60_000);
});
