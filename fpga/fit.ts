// Does a synthesized netlist fit a named part (fpga/parts.ts)? Count the cells the way the part's data
// sheet counts its resources, divide, and compare.
//
// How cells become data-sheet resources, per family:
//   xc7    LUT = LUT1..LUT6 plus the LUTs that LUT-RAM and shift registers occupy (RAM64M and RAM32M
//          take 4 LUTs of a SLICEM, RAM*X1D 2, RAM*X1S and SRL16E/SRLC32E 1, RAM128X1D 4, RAM256X1S 4;
//          UG474 "7 Series FPGAs CLB User Guide", Table 2-4 and 2-5) plus INV (a LUT1 after
//          implementation); FF = flip-flops; DSP = DSP48E1;
//          BRAM = RAMB36E1 + RAMB18E1 / 2 (a RAMB36 site holds two RAMB18; DS180 counts 36 Kb blocks).
//   ice40  LUT and FF are each counted against the logic cells (one LUT4 and one flip-flop per cell,
//          FPGA-DS-02008 §2.2): a necessary condition; how many cells packing really takes is what
//          nextpnr reports (fpga/pnr.ts). DSP = SB_MAC16, BRAM = SB_RAM40_4K*, SPRAM = SB_SPRAM256KA.
//   ecp5   LUT = LUT4 + 2 per CCU2C (a carry cell is the two LUT4s of a slice in ripple mode) + 6 per
//          TRELLIS_DPR16X4 (distributed RAM takes slices 0 and 1 of a PFU for the RAM and slice 2 for its
//          write port, FPGA-DS-02012 §2.2.1); FF = TRELLIS_FF; DSP = 18 × 18 multipliers (MULT18X18D,
//          a MULT9X9D is half of one); BRAM = DP16KD + PDPW16KD.
// Wide muxes (MUXF7/8, PFUMX, L6MUX21) sit beside the LUTs in a slice and cost none (docs/fpga.md).
import type { SynthResult } from './synth.js';
import type { FpgaPart } from './parts.js';

export type FitResource = 'LUT' | 'FF' | 'DSP' | 'BRAM' | 'SPRAM';

export interface FitRow {
  readonly resource: FitResource;
  /** Used, in the part's units (may be fractional: half a RAMB36). */
  readonly used: number;
  readonly available: number;
  /** 100 · used / available, rounded to 0.1 (Infinity when the part has none and the design uses some). */
  readonly percent: number;
}

export interface PartFit {
  readonly part: string;
  readonly rows: readonly FitRow[];
  /** Every row at most 100%. */
  readonly fits: boolean;
}

/**
 * LUT sites a Xilinx cell occupies besides LUT1..LUT6: LUT-RAM and shift registers (UG474 Tables 2-4,
 * 2-5), and INV, which implementation maps to a LUT1.
 */
const XC7_EXTRA_LUTS: readonly (readonly [RegExp, number])[] = [
  [/^INV$/, 1],
  [/^RAM(32M|64M)$/, 4],
  [/^RAM(128X1D|256X1S)$/, 4],
  [/^RAM(32X1D|64X1D|128X1S)$/, 2],
  [/^RAM(32X1S|64X1S)$|^SRLC?(16|32)E$/, 1],
];

const sumOf = (cells: Readonly<Record<string, number>>, pattern: RegExp): number =>
  Object.entries(cells).reduce((a, [type, n]) => a + (pattern.test(type) ? n : 0), 0);

/** The design's use of each resource the part's data sheet counts, in the part's units. */
export function partUsage(result: SynthResult, part: FpgaPart): Record<FitResource, number> {
  const c = result.cells;
  switch (part.target) {
    case 'xc7': {
      let extra = 0;
      for (const [type, n] of Object.entries(c)) extra += n * (XC7_EXTRA_LUTS.find(([p]) => p.test(type))?.[1] ?? 0);
      return { LUT: result.lut + extra, FF: result.ff, DSP: sumOf(c, /^DSP48E1$/), BRAM: sumOf(c, /^RAMB36E1$/) + sumOf(c, /^RAMB18E1$/) / 2, SPRAM: 0 };
    }
    case 'ice40':
      return { LUT: result.lut, FF: result.ff, DSP: sumOf(c, /^SB_MAC16$/), BRAM: sumOf(c, /^SB_RAM40_4K/), SPRAM: sumOf(c, /^SB_SPRAM256KA$/) };
    case 'ecp5':
      return {
        LUT: result.lut + 2 * sumOf(c, /^CCU2C$/) + 6 * sumOf(c, /^TRELLIS_DPR16X4$/),
        FF: result.ff,
        DSP: sumOf(c, /^MULT18X18D$/) + sumOf(c, /^MULT9X9D$/) / 2,
        BRAM: sumOf(c, /^(DP16KD|PDPW16KD)$/),
        SPRAM: 0,
      };
    case 'gowin':
      // No Gowin part is in the table (fpga/parts.ts); parsePart never returns one.
      return { LUT: result.lut, FF: result.ff, DSP: result.dsp, BRAM: result.bram, SPRAM: 0 };
  }
}

const percentOf = (used: number, available: number): number =>
  available === 0 ? (used === 0 ? 0 : Infinity) : Math.round((1000 * used) / available) / 10;

/** Utilisation of `part` by `result` (synthesized for the part's target) and whether it fits. */
export function partFit(result: SynthResult, part: FpgaPart): PartFit {
  const used = partUsage(result, part);
  const available: Record<FitResource, number> = { LUT: part.lut, FF: part.ff, DSP: part.dsp, BRAM: part.bram, SPRAM: part.spram };
  const resources: FitResource[] = part.spram > 0 || used.SPRAM > 0 ? ['LUT', 'FF', 'DSP', 'BRAM', 'SPRAM'] : ['LUT', 'FF', 'DSP', 'BRAM'];
  const rows = resources.map((resource) => ({ resource, used: used[resource], available: available[resource], percent: percentOf(used[resource], available[resource]) }));
  return { part: part.name, rows, fits: rows.every((r) => r.used <= r.available) };
}

/** The rows of `fit` that do not fit, as "LUT 6,120 of 5,280 (115.9%), BRAM 131 of 30". */
export function overflowText(fit: PartFit): string {
  return fit.rows
    .filter((r) => r.used > r.available)
    .map((r) => `${r.resource} ${r.used.toLocaleString('en-US')} of ${r.available.toLocaleString('en-US')}${Number.isFinite(r.percent) ? ` (${r.percent}%)` : ''}`)
    .join(', ');
}
