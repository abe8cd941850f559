// Named parts (fpga/parts.ts) and the fit of a synthesized netlist (fpga/fit.ts): how cells are counted
// against each data sheet, and the diagnostics of --part.
import { describe, expect, it } from 'vitest';
import { countResources } from '../../fpga/cells.js';
import { overflowText, partFit, partUsage } from '../../fpga/fit.js';
import { parsePart, PARTS, partsOf } from '../../fpga/parts.js';
import type { SynthResult } from '../../fpga/synth.js';
import type { SynthTarget } from '../../fpga/targets.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';

/** A synthesis result made from a cell table, as fpga/synth.ts makes it from `stat -json`. */
function resultOf(target: SynthTarget, cells: Record<string, number>): SynthResult {
  return { target, top: 'top', ...countResources(target, cells), cells, yosys: 'Yosys test' };
}

function codesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.map((d) => d.code);
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('part table', () => {
  it('has the Artix-7, iCE40 and ECP5 parts of issue 14 with their data-sheet capacities', () => {
    expect(partsOf('xc7').map((p) => [p.name, p.lut, p.ff, p.dsp, p.bram])).toEqual([
      ['xc7a35t', 20_800, 41_600, 90, 50],
      ['xc7a100t', 63_400, 126_800, 240, 135],
      ['xc7a200t', 134_600, 269_200, 740, 365],
    ]);
    expect(partsOf('ice40').map((p) => p.name)).toEqual(['iCE40UP5K', 'iCE40HX8K', 'iCE40HX1K']);
    expect(partsOf('ecp5').map((p) => [p.name, p.lut, p.dsp, p.bram])).toEqual([
      ['LFE5U-25F', 24_288, 28, 56],
      ['LFE5U-45F', 43_848, 72, 108],
      ['LFE5U-85F', 83_640, 156, 208],
    ]);
    // Every part names its source, and the names and aliases are unambiguous.
    for (const p of PARTS) expect(p.source).toMatch(/DS/);
    for (const key of PARTS.flatMap((p) => [p.name, ...p.aliases])) {
      expect(PARTS.filter((p) => p.name.toLowerCase() === key.toLowerCase() || p.aliases.includes(key.toLowerCase()))).toHaveLength(1);
    }
  });

  it('finds parts by device name or alias, in any case', () => {
    expect(parsePart('UP5K').name).toBe('iCE40UP5K');
    expect(parsePart('ice40hx8k', 'ice40').name).toBe('iCE40HX8K');
    expect(parsePart('xc7a35t', 'xc7').dsp).toBe(90);
    expect(parsePart('lfe5u-85f').target).toBe('ecp5');
  });

  it('E128: an unknown part names the closest; E129: a part of another target', () => {
    expect(codesOf(() => parsePart('up6k'))).toEqual(['E128']);
    const err = (() => {
      try {
        parsePart('xc7a36t', 'xc7');
      } catch (e) {
        return e as DiagnosticError;
      }
    })();
    expect(err?.message).toMatch(/^E128: FPGA part must be one of xc7a35t, xc7a100t, xc7a200t, not 'xc7a36t'\. Hint: the closest name is 'xc7a35t'/);
    expect(codesOf(() => parsePart('up5k', 'xc7'))).toEqual(['E129']);
    expect(codesOf(() => parsePart('up5k', 'gowin'))).toEqual(['E129']);
  });
});

describe('fit of a netlist to a part', () => {
  it('xc7: LUT-RAM and INV occupy slice LUTs, a RAMB18E1 is half a 36 Kb block', () => {
    const r = resultOf('xc7', { LUT6: 100, RAM64M: 2, SRLC32E: 3, INV: 5, FDRE: 50, DSP48E1: 4, RAMB18E1: 3, RAMB36E1: 1, MUXF7: 9 });
    expect(partUsage(r, parsePart('xc7a35t'))).toEqual({ LUT: 100 + 8 + 3 + 5, FF: 50, DSP: 4, BRAM: 2.5, SPRAM: 0 });
    const fit = partFit(r, parsePart('xc7a35t'));
    expect(fit.fits).toBe(true);
    expect(fit.rows.find((x) => x.resource === 'BRAM')).toEqual({ resource: 'BRAM', used: 2.5, available: 50, percent: 5 });
  });

  it('ecp5: a CCU2C is two LUT4s, a distributed RAM six, a MULT9X9D half a multiplier', () => {
    const r = resultOf('ecp5', { LUT4: 10, CCU2C: 5, TRELLIS_DPR16X4: 1, TRELLIS_FF: 7, MULT18X18D: 2, MULT9X9D: 1, DP16KD: 3, PFUMX: 4 });
    expect(partUsage(r, parsePart('25k'))).toEqual({ LUT: 10 + 10 + 6, FF: 7, DSP: 2.5, BRAM: 3, SPRAM: 0 });
  });

  it('ice40: a design that needs more block RAM than a UP5K has does not fit, and says by how much', () => {
    const r = resultOf('ice40', { SB_LUT4: 3846, SB_DFF: 2794, SB_MAC16: 20, SB_RAM40_4K: 131 });
    const fit = partFit(r, parsePart('up5k'));
    expect(fit.fits).toBe(false);
    expect(fit.rows.map((x) => x.resource)).toEqual(['LUT', 'FF', 'DSP', 'BRAM', 'SPRAM']);
    expect(overflowText(fit)).toBe('DSP 20 of 8 (250%), BRAM 131 of 30 (436.7%)');
    // A part without DSPs: any DSP use is an infinite percentage and no fit.
    const hx = partFit(resultOf('ice40', { SB_MAC16: 1 }), parsePart('hx8k'));
    expect(hx.fits).toBe(false);
    expect(overflowText(hx)).toBe('DSP 1 of 0');
  });
});
