// The simulation-only DRAM model (gen/dram.ts) against dramReference: burst reads with fixed latency
// and one beat per cycle, rd_ready back-pressure, posted writes and their ordering against reads, in
// the compiled simulator over depths, beat widths and latencies; Verilator agrees cycle for cycle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dram, dramReference, type DramCycle, type DramOptions, type DramOutputs } from '../../gen/dram.js';
import { build } from '../../hdl/dsl/index.js';
import { addrWidth } from '../../hdl/ir/index.js';
import { compile } from '../../sim/compile/index.js';
import type { Stimulus } from '../../sim/verilator/index.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, seededInts } from './blocks-support.js';

function wordsOf(options: DramOptions, seed: number): bigint[] {
  const next = seededInts(seed);
  return Array.from({ length: options.depth }, () => next(0n, (1n << BigInt(8 * options.bytesPerBeat)) - 1n));
}

function cyclesOf(options: DramOptions, count: number, seed: number): DramCycle[] {
  const next = seededInts(seed);
  const top = BigInt(2 ** addrWidth(options.depth) - 1);
  return Array.from({ length: count }, () => ({
    rdReq: next(0n, 2n) === 0n,
    rdAddr: Number(next(0n, top)),
    rdLen: Number(next(0n, 5n) === 0n ? 0n : next(1n, 6n)),
    wrEn: next(0n, 2n) === 0n,
    wrAddr: Number(next(0n, top)),
    wrData: next(0n, (1n << BigInt(8 * options.bytesPerBeat)) - 1n),
  }));
}

function stimulusOf(cycles: readonly DramCycle[]): Stimulus {
  return cycles.map((c, t) => ({
    rst: t === 0 ? 1 : 0,
    rd_req: c.rdReq ? 1 : 0,
    rd_addr: c.rdAddr,
    rd_len: c.rdLen,
    wr_en: c.wrEn ? 1 : 0,
    wr_addr: c.wrAddr,
    wr_data: c.wrData,
  }));
}

/** Run the model (memory loaded with `words` through pokeMem); outputs in cycles 1..cycles.length. */
function runDram(options: DramOptions, words: readonly bigint[], cycles: readonly DramCycle[]): DramOutputs[] {
  const sim = compile(build(dram(options)));
  words.forEach((w, a) => sim.pokeMem('mem', a, w));
  const out: DramOutputs[] = [];
  for (const row of stimulusOf(cycles)) {
    for (const [name, v] of Object.entries(row)) sim.poke(name, v);
    sim.step();
    const valid = sim.peek('rd_valid') === 1n;
    out.push({ ready: sim.peek('rd_ready') === 1n, valid, data: valid ? sim.peek('rd_data') : null });
  }
  return out;
}

const dramOptions = fc.record({
  depth: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(16, 64)),
  bytesPerBeat: fc.constantFrom(1, 2, 4, 8, 16),
  latency: fc.integer({ min: 1, max: 12 }),
});

describe('DRAM model', () => {
  it('delivers bursts after L cycles, one beat per cycle, and orders writes as documented', () => {
    fc.assert(
      fc.property(dramOptions, fc.integer({ min: 1, max: 1 << 30 }), (options, seed) => {
        const words = wordsOf(options, seed);
        // Cycle 0 is the reset cycle: no request in it.
        const cycles = cyclesOf(options, 150, seed + 1).map((c, t) => (t === 0 ? { ...c, rdReq: false, wrEn: false } : c));
        expect(runDram(options, words, cycles)).toEqual(dramReference(cycles, words, options).slice(1));
      }),
      { seed: 0xd7a, numRuns: 40 },
    );
  });

  it('streams two back-to-back bursts without a gap', () => {
    const options: DramOptions = { depth: 16, bytesPerBeat: 1, latency: 3 };
    const words = Array.from({ length: 16 }, (_, a) => BigInt(100 + a));
    const idle: DramCycle = { rdReq: false, rdAddr: 0, rdLen: 0, wrEn: false, wrAddr: 0, wrData: 0n };
    const cycles: DramCycle[] = [idle, { ...idle, rdReq: true, rdAddr: 14, rdLen: 3 }, { ...idle, rdReq: true, rdAddr: 5, rdLen: 2 }, { ...idle, rdReq: true, rdAddr: 5, rdLen: 2 }];
    cycles.push({ ...idle, rdReq: true, rdAddr: 5, rdLen: 2 }, ...Array.from({ length: 8 }, () => idle));
    const out = runDram(options, words, cycles);
    // Accepted in cycles 1 and 4 (ready low in 2 and 3); beats in cycles 4..6 (14, 15, wrap to 0) and 7..8.
    expect(out.map((o) => o.ready)).toEqual([true, false, false, true, false, true, true, true, true, true, true, true, true]);
    expect(out.map((o, t) => (o.valid ? `${t + 1}:${o.data}` : '')).filter(Boolean)).toEqual(['4:114', '5:115', '6:100', '7:105', '8:106']);
  });

  it('agrees with Verilator cycle for cycle at several parameter points', { timeout: COSIM_TIMEOUT }, async () => {
    const points: DramOptions[] = [
      { depth: 1, bytesPerBeat: 1, latency: 1 },
      { depth: 64, bytesPerBeat: 8, latency: 20 },
      { depth: 100, bytesPerBeat: 16, latency: 5 },
      { depth: 37, bytesPerBeat: 4, latency: 2 },
    ];
    await expectCosimAgrees(
      points.map((o, i) => ({ design: build(dram({ ...o, init: wordsOf(o, 90 + i) })), stimulus: stimulusOf(cyclesOf(o, 300, 40 + i)) })),
    );
  });

  it.each([
    { depth: 1, bytesPerBeat: 1, latency: 1 },
    { depth: 4096, bytesPerBeat: 8, latency: 20 },
    { depth: 1000, bytesPerBeat: 16, latency: 64 },
  ])('lints clean: %o', (options) => expectLintClean(dram(options)));
});
