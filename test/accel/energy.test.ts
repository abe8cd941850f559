// The energy model: published 45 nm figures at the published points, documented interpolation in
// between, Σ events × cost, and user tables validated.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOROWITZ_45NM, estimateEnergy, loadEnergyTable, sramRead64 } from '../../accel/energy.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';

describe('energy model', () => {
  it('uses the published SRAM figures at 8 KB, 32 KB and 1 MB and log-interpolates between', () => {
    expect(sramRead64(HOROWITZ_45NM, 8 * 1024)).toBe(10);
    expect(sramRead64(HOROWITZ_45NM, 32 * 1024)).toBe(20);
    expect(sramRead64(HOROWITZ_45NM, 1024 * 1024)).toBe(100);
    expect(sramRead64(HOROWITZ_45NM, 16 * 1024)).toBeCloseTo(15, 10); // halfway in log2 between 8 and 32 KB
    expect(sramRead64(HOROWITZ_45NM, 1024)).toBe(10); // clamped below the smallest point
  });

  it('sums events times costs per component', () => {
    const r = estimateEnergy({
      macs: 1000,
      dtype: 'int8',
      accWidth: 32,
      requants: 10,
      dramBytes: 64,
      buffers: [{ name: 'wbuf', bytes: 32 * 1024, wordBits: 64, reads: 5, writes: 2 }],
    });
    expect(r.components.mac).toBeCloseTo(1000 * (0.2 + 0.1), 9);
    expect(r.components.requant).toBeCloseTo(10 * (3.1 + 0.2), 9);
    expect(r.components.wbuf).toBeCloseTo(7 * 20, 9);
    expect(r.components.dram).toBeCloseTo(8 * 2000, 9);
    expect(r.totalPJ).toBeCloseTo(300 + 33 + 140 + 16000, 6);
    expect(r.estimates.length).toBeGreaterThan(0);
  });

  it('scales a buffer access by its word width and picks the accumulator add by width', () => {
    const base = { macs: 10, dtype: 'int16' as const, requants: 0, dramBytes: 0 };
    const r = estimateEnergy({ ...base, accWidth: 48, buffers: [{ name: 'abuf', bytes: 8 * 1024, wordBits: 8, reads: 8, writes: 0 }] });
    expect(r.components.abuf).toBeCloseTo(10, 9); // 8 byte reads = one 64-bit read's worth
    expect(r.components.mac).toBeCloseTo(10 * (0.8 + 0.15), 9);
  });

  it('loads a user table and rejects a malformed one with a coded diagnostic', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'splitfuse-energy-'));
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ ...HOROWITZ_45NM, name: 'mine', dramAccess64PJ: 1300 }));
    expect(loadEnergyTable(good).dramAccess64PJ).toBe(1300);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...HOROWITZ_45NM, mulPJ: { int8: -1, int16: 1, int32: 1 } }));
    expect(() => loadEnergyTable(bad)).toThrow(DiagnosticError);
    try {
      loadEnergyTable(bad);
    } catch (e) {
      expect((e as DiagnosticError).message).toMatch(/^E140: Configuration field 'mulPJ.int8'/);
    }
    expect(() => loadEnergyTable(path.join(dir, 'none.json'))).toThrow(/E141/);
  });
});
