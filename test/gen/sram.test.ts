// The SRAM buffer (gen/sram.ts) against sramReference: registered, read-first reads, enables, and
// out-of-range addresses for non-power-of-two depths, single and simple dual port, in the compiled
// simulator; Verilator agrees cycle for cycle; -Wall lint clean; the memory is emitted in the plain
// `reg [w-1:0] mem [0:d-1]` + clocked write/read style that synthesis maps to block RAM.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SRAM_READ_LATENCY, sram, sramReference, type SramCycle, type SramOptions } from '../../gen/sram.js';
import { build } from '../../hdl/dsl/index.js';
import { addrWidth } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { compile } from '../../sim/compile/index.js';
import type { Stimulus } from '../../sim/verilator/index.js';
import { tempDir } from '../support/tools.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, seededInts } from './blocks-support.js';

/** Random cycles over a few hot addresses (so reads hit written words) plus the whole address range. */
function cyclesOf(options: SramOptions, count: number, seed: number): SramCycle[] {
  const next = seededInts(seed);
  const top = BigInt(2 ** addrWidth(options.depth) - 1);
  const addr = (): number => Number(next(0n, 1n) === 0n ? next(0n, BigInt(Math.min(3, options.depth - 1))) : next(0n, top));
  const word = (): bigint => (next(0n, 3n) === 0n ? (1n << BigInt(options.width)) - 1n : next(0n, (1n << BigInt(options.width)) - 1n));
  return Array.from({ length: count }, () => {
    const a = addr();
    return {
      addr: a,
      en: next(0n, 3n) !== 0n,
      waddr: addr(),
      raddr: next(0n, 2n) === 0n ? a : addr(),
      re: next(0n, 3n) !== 0n,
      we: next(0n, 1n) === 0n,
      wdata: word(),
    };
  });
}

function stimulusOf(options: SramOptions, cycles: readonly SramCycle[]): Stimulus {
  return cycles.map((c): Record<string, bigint | number> =>
    options.ports === 'single'
      ? { addr: c.addr!, en: c.en ? 1 : 0, we: c.we ? 1 : 0, wdata: c.wdata }
      : { waddr: c.waddr!, we: c.we ? 1 : 0, wdata: c.wdata, raddr: c.raddr!, re: c.re ? 1 : 0 },
  );
}

const sramOptions = fc.record({
  depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(16, 64, 1000)),
  width: fc.constantFrom(1, 7, 8, 32, 33, 64, 72, 128),
  ports: fc.constantFrom('single' as const, 'dual' as const),
});

describe('SRAM buffer', () => {
  it('reads the word written earlier one cycle after the address, read-first, in both port styles', () => {
    expect(SRAM_READ_LATENCY).toBe(1);
    fc.assert(
      fc.property(sramOptions, fc.integer({ min: 1, max: 1 << 30 }), (options, seed) => {
        const sim = compile(build(sram(options)));
        const cycles = cyclesOf(options, 120, seed);
        const got = [sim.peek('rdata')];
        for (const row of stimulusOf(options, cycles)) {
          for (const [name, v] of Object.entries(row)) sim.poke(name, v);
          sim.step();
          got.push(sim.peek('rdata'));
        }
        expect(got).toEqual(sramReference(cycles, options));
      }),
      { seed: 0x5a4d, numRuns: 40 },
    );
  });

  it('returns the old word when reading and writing one address in the same cycle', () => {
    const options: SramOptions = { depth: 4, width: 8, ports: 'single' };
    const cycles: SramCycle[] = [
      { addr: 2, en: true, we: true, wdata: 7n },
      { addr: 2, en: true, we: true, wdata: 9n },
      { addr: 2, en: true, we: false, wdata: 0n },
      { addr: 2, en: false, we: true, wdata: 1n }, // en low: no write, rdata holds
      { addr: 2, en: true, we: false, wdata: 0n },
    ];
    expect(sramReference(cycles, options)).toEqual([0n, 0n, 7n, 9n, 9n, 9n]);
  });

  it('agrees with Verilator cycle for cycle at several parameter points', { timeout: COSIM_TIMEOUT }, async () => {
    const points: SramOptions[] = [
      { depth: 1, width: 1, ports: 'single' },
      { depth: 1024, width: 32, ports: 'dual' },
      { depth: 100, width: 72, ports: 'dual' },
      { depth: 37, width: 128, ports: 'single' },
    ];
    await expectCosimAgrees(points.map((o, i) => ({ design: build(sram(o)), stimulus: stimulusOf(o, cyclesOf(o, 300, 30 + i)) })));
  });

  it.each([
    { depth: 1, width: 1, ports: 'single' as const },
    { depth: 1024, width: 32, ports: 'dual' as const },
    { depth: 1000, width: 128, ports: 'dual' as const },
    { depth: 2 ** 16, width: 8, ports: 'single' as const },
  ])('lints clean: %o', (options) => expectLintClean(sram(options)));

  it('emits a plain reg array with one clocked write and one clocked read (block-RAM inference style)', () => {
    const files = writeVerilog(build(sram({ depth: 1024, width: 32, ports: 'dual' })), tempDir());
    const text = readFileSync(files[0]!, 'utf8');
    expect(text).toMatch(/reg \[31:0\] mem \[0:1023\];/);
    expect(text).toMatch(/always @\(posedge clk\) begin\s+if \(we\) mem\[waddr\] <= wdata;/);
    expect(text).toMatch(/always @\(posedge clk\)\s+if \(re\) rdata_q <= mem\[raddr\];/);
  });
});
