// accel/report.ts: the inference report of `splitfuse run` — LeNet-5 on the accelerator RTL, checked
// bit for bit against the golden model, with cycles, utilisation, DRAM traffic and energy derived from
// the simulator's counters exactly as documented. 8 digits in all (CI budget).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../accel/config.js';
import { compile } from '../../accel/compiler.js';
import { estimateEnergy, HOROWITZ_45NM, type EnergyTable } from '../../accel/energy.js';
import { goldenAccuracy, modelMacs } from '../../accel/golden.js';
import { testImages } from '../../accel/mnist.js';
import { readModel } from '../../accel/model.js';
import { energyEvents, profileLayers, runModel } from '../../accel/report.js';
import { runModelImage } from '../../accel/run.js';
import { COUNTER_NAMES } from '../../gen/accel/top.js';

const model = readModel(readFileSync(new URL('../../models/lenet5-mnist-int8.sfm', import.meta.url)), 'models/lenet5-mnist-int8.sfm');

describe('runModel', () => {
  it('tiny, 4 digits: RTL accuracy equals the golden accuracy, no mismatch, figures derived from the counters', () => {
    const config = PRESETS.tiny!;
    const digits = testImages(4);
    const seen: number[] = [];
    const r = runModel({ model, config, images: digits, onImage: (i, run) => seen.push(i, run.cycles) });
    const golden = goldenAccuracy(model, digits);
    expect(r.images).toBe(4);
    expect(r.correct).toBe(golden.correct);
    expect(r.accuracy).toBe(golden.accuracy);
    expect(r.goldenMismatches).toBe(0);
    expect(r.firstMismatch).toBeNull();
    expect(seen).toEqual([0, r.cyclesPerImage, 1, r.cyclesPerImage, 2, r.cyclesPerImage, 3, r.cyclesPerImage]);

    // Cycles: data-independent schedule; layer charges partition the run.
    expect(r.cyclesMin).toBe(r.cyclesMax);
    expect(r.cyclesPerImage).toBe(r.cyclesMin);
    expect(r.totalCycles).toBe(4 * r.cyclesPerImage);
    expect(r.timeUsPerImage).toBeCloseTo(r.cyclesPerImage / config.clockMHz, 9);
    expect(r.layers.reduce((s, l) => s + l.cycles, 0)).toBe(r.cyclesPerImage);
    expect(r.layers.map((l) => [l.name, l.fused])).toEqual([
      ['conv1', 'pool1'],
      ['conv2', 'pool2'],
      ['fc1', undefined],
      ['fc2', undefined],
      ['fc3', undefined],
    ]);

    // Utilisation against ceil(MACs / PEs).
    expect(r.pes).toBe(16);
    expect(r.macs).toBe(modelMacs(model));
    expect(r.layers.reduce((s, l) => s + l.macs, 0)).toBe(r.macs);
    for (const l of r.layers) {
      expect(l.idealCycles).toBe(Math.ceil(l.macs / 16));
      expect(l.utilization).toBeCloseTo(l.idealCycles / l.cycles, 12);
      expect(l.utilization).toBeGreaterThan(0);
      expect(l.utilization).toBeLessThanOrEqual(1);
    }
    expect(r.utilization).toBeCloseTo(r.macs / (16 * r.cyclesPerImage), 12);
    expect(r.utilization).toBeGreaterThan(0);
    expect(r.utilization).toBeLessThanOrEqual(1);
    const conv = r.layers.slice(0, 2);
    expect(r.convUtilization).toBeCloseTo((conv[0]!.macs + conv[1]!.macs) / (16 * (conv[0]!.cycles + conv[1]!.cycles)), 12);
    expect(r.convUtilization!).toBeGreaterThan(r.utilization);

    // Counters: the per-image counters of a direct run; per-layer deltas sum to them.
    const direct = runModelImage(config, compile(model, config), digits[0]!.image);
    expect(r.counters).toEqual(direct.counters);
    expect(r.arrayMacs).toBe(direct.counters.cnt_macs);
    expect(r.arrayMacs).toBeGreaterThanOrEqual(r.macs); // padded rows and columns count too
    for (const c of COUNTER_NAMES) expect(r.layers.reduce((s, l) => s + l.counters[c], 0), c).toBe(direct.counters[c]);
    for (const l of r.layers) {
      for (const b of [l.busy.dma, l.busy.gemm, l.busy.post]) expect(b).toBeLessThanOrEqual(l.cycles);
      expect(l.busy.gemm).toBeGreaterThan(0);
    }

    // DRAM bytes = words × bytes per DRAM word; energy = estimateEnergy of the counters.
    expect(r.dramBytes).toEqual({ read: direct.counters.cnt_dram_rd * 8, written: direct.counters.cnt_dram_wr * 8, total: (direct.counters.cnt_dram_rd + direct.counters.cnt_dram_wr) * 8 });
    const energy = estimateEnergy(energyEvents(config, direct.counters));
    expect(r.energyPJ).toBeCloseTo(energy.totalPJ, 6);
    for (const [k, v] of Object.entries(energy.components)) expect(r.energy.components[k], k).toBeCloseTo(v, 6);
    expect(Object.keys(r.energy.components).sort()).toEqual(['abuf', 'acc', 'dram', 'mac', 'requant', 'wbuf']);
    expect(r.energy.estimate).toBe(true);
    expect(r.energy.estimates).toEqual(HOROWITZ_45NM.estimates);
    expect(r.energy.table).toBe(HOROWITZ_45NM.name);
    expect(r.simulator.cyclesPerSecond).toBeGreaterThan(0);
  });

  it('energyEvents counts a wbuf row as C operands, an abuf element (in one bank when banked), an accumulator row as C accWidth words', () => {
    const counters = Object.fromEntries(COUNTER_NAMES.map((n, i) => [n, 10 * (i + 1)])) as Parameters<typeof energyEvents>[1];
    const e = energyEvents(PRESETS.default!, counters);
    expect(e.macs).toBe(counters.cnt_macs);
    expect(e.requants).toBe(counters.cnt_requant);
    expect(e.dramBytes).toBe((counters.cnt_dram_rd + counters.cnt_dram_wr) * 8);
    expect(e.buffers).toEqual([
      { name: 'wbuf', bytes: 64 * 1024, wordBits: 64, reads: counters.cnt_wbuf_rd, writes: counters.cnt_wbuf_wr },
      // default's activation buffers are banked: an access hits one of 16 banks of 1 KiB (read copies: the 16 KiB buffer).
      { name: 'abuf', bytes: 1024, wordBits: 8, reads: counters.cnt_abuf_rd, writes: counters.cnt_abuf_wr },
      { name: 'acc', bytes: 16 * 1024, wordBits: 256, reads: counters.cnt_acc_rd, writes: counters.cnt_acc_wr },
    ]);
    expect(energyEvents({ ...PRESETS.default!, activationLayout: 'copies' }, counters).buffers[1]!.bytes).toBe(16 * 1024);
  });

  it('default, 3 digits from an offset, a user energy table: DRAM-only costs give bytes/8 × the access cost', () => {
    const config = PRESETS.default!;
    const table: EnergyTable = { ...HOROWITZ_45NM, name: 'dram only', mulPJ: { int8: 0, int16: 0, int32: 0 }, addPJ: { int8: 0, int16: 0, int32: 0, int48: 0 }, sramRead64PJ: [[1024, 0]], estimates: ['all'] };
    const r = runModel({ model, config, images: testImages(8).slice(5), energyTable: table });
    expect(r.goldenMismatches).toBe(0);
    expect(r.pes).toBe(64);
    expect(r.layers.reduce((s, l) => s + l.cycles, 0)).toBe(r.cyclesPerImage);
    expect(r.energyPJ).toBeCloseTo((r.dramBytes.total / 8) * HOROWITZ_45NM.dramAccess64PJ, 6);
    expect(r.energy.table).toBe('dram only');
    expect(r.energy.estimates).toEqual(['all']);
    // The profile charges cycles exactly like runModelImage.
    const compiled = compile(model, config);
    const profile = profileLayers(config, compiled, testImages(1)[0]!.image, { maxCycles: 1_000_000 });
    expect(profile.cycles).toEqual(r.layers.map((l) => l.cycles));
  });

  it('a stuck-at fault in a PE is a golden mismatch naming the image and the output', () => {
    const config = PRESETS.tiny!;
    // Bit 20 of PE (0,0)'s partial sum stuck at 1: conv1's sums are far smaller, so outputs change.
    const r = runModel({ model, config, images: testImages(1), forces: [{ signal: 'accel.array.pe_0_0.psum_q', bit: 20, value: 1 }] });
    expect(r.goldenMismatches).toBe(1);
    const m = r.firstMismatch!;
    expect(m.image).toBe(0);
    expect(m.reason).toBe('logits');
    if (m.reason === 'logits') {
      expect(m.output).toBeGreaterThanOrEqual(0);
      expect(m.output).toBeLessThan(10);
      expect(m.rtl).not.toBe(m.golden);
    }
  });

  it('needs at least one image', () => {
    expect(() => runModel({ model, config: PRESETS.tiny!, images: [] })).toThrow(/at least one image/);
  });
});
