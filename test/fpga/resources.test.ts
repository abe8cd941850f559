// scripts/resources.ts: the table of docs/fpga.md, on one block and one target (the fastest pair).
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROWS, resourceMarkdown, resourceTable } from '../../scripts/resources.js';

describe('resource table', () => {
  it('synthesizes the rows and prints one markdown table per target', async () => {
    const rows = DEFAULT_ROWS.filter((r) => r.label === 'mac');
    const entries = await resourceTable(rows, ['ecp5']);
    expect(entries).toHaveLength(1);
    const r = entries[0]!.result;
    expect(r.dsp).toBe(1);
    const text = resourceMarkdown(entries, ['xc7', 'ecp5']).split('\n');
    // No heading for a target without results.
    expect(text[0]).toBe('#### ecp5 (Lattice ECP5)');
    expect(text).toContain(`| mac | \`mac_s8_acc32\` | ${r.lut} | ${r.ff} | 1 | ${r.bram} | ${r.lutram} | ${r.carry} | ${r.mux} |`);
  }, 90_000);

  it('lists the default blocks of issue 4, arrays at 4×4 and 8×8', () => {
    expect(DEFAULT_ROWS.map((r) => r.label)).toEqual(['mac', 'pe', 'array 4×4', 'array 8×8', 'requant', 'pool', 'linebuf', 'sram']);
    expect(DEFAULT_ROWS.find((r) => r.label === 'array 8×8')?.set).toEqual(['rows=8', 'cols=8']);
  });
});
