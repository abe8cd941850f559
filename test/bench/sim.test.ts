// The simulator benchmark's two halves agree: the TypeScript stimulus/checksum (bench/stimulus.ts,
// bench/sim.ts) and the C++ ones written into the Verilator harness (bench/verilator.ts).
import { describe, expect, it } from 'vitest';
import { resolveArrayOptions, systolicArray } from '../../gen/array.js';
import { build } from '../../hdl/dsl/index.js';
import { emitVerilog } from '../../hdl/verilog.js';
import { runTs } from '../../bench/sim.js';
import { checksumStep, checkSeed, xorshift32 } from '../../bench/stimulus.js';
import { benchHarnessCpp, buildBench, runBench } from '../../bench/verilator.js';

describe('bench stimulus', () => {
  it('xorshift32 follows Marsaglia (13, 17, 5) from seed 1', () => {
    const seq: number[] = [];
    let s = 1;
    for (let k = 0; k < 3; k++) seq.push((s = xorshift32(s)));
    expect(seq).toEqual([270369, 67634689, 2647435461]);
  });

  it('the checksum step is FNV-1 style over 32-bit patterns, signed or not', () => {
    expect(checksumStep(2166136261, 0)).toBe(Math.imul(2166136261, 16777619) >>> 0);
    expect(checksumStep(1, -1)).toBe(checksumStep(1, 0xffffffff));
  });

  it('rejects seed 0 (xorshift32 would stay at 0)', () => {
    expect(() => checkSeed(0)).toThrow(/--seed must be an integer in 1\.\.4294967295, not 0/);
  });

  it('the C++ harness pokes every input and folds every output', () => {
    const cpp = benchHarnessCpp({ topModule: 'array_ws_r3c5_i8_acc32', rows: 3, cols: 5 });
    for (const port of ['act_0', 'act_2', 'weight_0', 'weight_4', 'loadWeight']) expect(cpp).toContain(`top->${port} =`);
    for (let j = 0; j < 5; j++) expect(cpp).toContain(`top->out_${j})`);
    expect(cpp).not.toContain('act_3');
  });
});

describe('bench halves agree', () => {
  it('TS compiled simulator and Verilator give the same checksum on a 3×5 array (weight reloads included)', async () => {
    const config = resolveArrayOptions({ rows: 3, cols: 5, width: 8 });
    const design = build(systolicArray(config));
    const verilated = await buildBench(emitVerilog(design), { topModule: design.top, rows: 3, cols: 5 }, () => {});
    const cycles = 1000; // > 3 weight-loading periods of 256 cycles
    const v = await runBench(verilated, cycles, 12345);
    const ts = runTs(design, config, cycles, 12345);
    expect(v.cycles).toBe(cycles);
    expect(ts.checksum).toBe(v.checksum);
  });
});
