// Named FPGA parts and their capacities, so a synthesis result can be reported as a percentage of a real
// device and checked for fit (fpga/fit.ts), and so place and route (fpga/pnr.ts) knows which device and
// package to give nextpnr.
//
// Sources of the capacities (each a vendor data sheet, table "family selection guide"/"device summary"):
//   Artix-7   AMD/Xilinx DS180 "7 Series FPGAs Data Sheet: Overview" v2.6.1, Table 3 (Artix-7): slices
//             (4 LUT6 and 8 flip-flops each), CLB flip-flops, DSP48E1 slices, block RAM in 36 Kb blocks.
//   iCE40 UP  Lattice FPGA-DS-02008 "iCE40 UltraPlus Family Data Sheet" v2.x, Table 1.1: logic cells
//             (one LUT4 and one flip-flop each), EBR (4 Kbit SB_RAM40_4K), SPRAM (256 Kbit), DSP (SB_MAC16);
//             Table 1.1 packages: SG48 has 39 user I/Os.
//   iCE40 HX  Lattice FPGA-DS-02029 "iCE40 LP/HX Family Data Sheet" v4.x, Table 1.1: logic cells, EBR,
//             no DSP; CT256 (HX8K) 206 user I/Os, TQ144 (HX1K) 95.
//   ECP5      Lattice FPGA-DS-02012 "ECP5 and ECP5-5G Family Data Sheet" v2.x, Table 1.1: LUTs (in
//             thousands; the exact counts are those of nextpnr-ecp5's device database, 2 LUT4 + 2 FF per
//             slice), sysMEM blocks (18 Kbit DP16KD), 18 × 18 multipliers (MULT18X18D).
// The iCE40 counts are also checked against nextpnr-ice40's own device database by test/fpga/pnr.test.ts.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { closeMatches } from '../sim/suggest.js';
import type { SynthTarget } from './targets.js';

/** Capacities as a data sheet counts them; see fpga/fit.ts for how a netlist's cells are counted against each. */
export interface FpgaPart {
  /** The vendor's device name, e.g. 'xc7a35t', 'iCE40UP5K', 'LFE5U-25F'. */
  readonly name: string;
  /** Short names accepted by --part (lower case), e.g. 'up5k'. */
  readonly aliases: readonly string[];
  readonly target: SynthTarget;
  /** LUTs (xc7: LUT6 in slices; ice40: logic cells; ecp5: LUT4). */
  readonly lut: number;
  /** Flip-flops. */
  readonly ff: number;
  /** DSP blocks: DSP48E1 (xc7), SB_MAC16 (ice40), 18 × 18 multipliers (ecp5). */
  readonly dsp: number;
  /** Block RAMs: 36 Kb blocks (xc7), 4 Kbit EBR (ice40), 18 Kbit EBR (ecp5). */
  readonly bram: number;
  /** What one `bram` is, for reports. */
  readonly bramKind: string;
  /** iCE40 UltraPlus single-port RAM blocks (256 Kbit each); 0 elsewhere. */
  readonly spram: number;
  /** User I/Os of `package`. */
  readonly io: number;
  readonly package: string;
  /** The data sheet the numbers come from. */
  readonly source: string;
  /** nextpnr's device option and package name, for parts splitfuse can place and route. */
  readonly nextpnr?: { readonly tool: 'nextpnr-ice40'; readonly device: string; readonly package: string };
}

const DS180 = 'AMD/Xilinx DS180 v2.6.1, Table 3';
const UP_DS = 'Lattice FPGA-DS-02008, Table 1.1';
const HX_DS = 'Lattice FPGA-DS-02029, Table 1.1';
const ECP5_DS = 'Lattice FPGA-DS-02012, Table 1.1';

export const PARTS: readonly FpgaPart[] = [
  { name: 'xc7a35t', aliases: ['xc7a35t', 'a35t'], target: 'xc7', lut: 20_800, ff: 41_600, dsp: 90, bram: 50, bramKind: 'RAMB36 (36 Kb)', spram: 0, io: 210, package: 'csg324', source: DS180 },
  { name: 'xc7a100t', aliases: ['xc7a100t', 'a100t'], target: 'xc7', lut: 63_400, ff: 126_800, dsp: 240, bram: 135, bramKind: 'RAMB36 (36 Kb)', spram: 0, io: 210, package: 'csg324', source: DS180 },
  { name: 'xc7a200t', aliases: ['xc7a200t', 'a200t'], target: 'xc7', lut: 134_600, ff: 269_200, dsp: 740, bram: 365, bramKind: 'RAMB36 (36 Kb)', spram: 0, io: 400, package: 'fbg676', source: DS180 },
  {
    name: 'iCE40UP5K', aliases: ['up5k', 'ice40up5k'], target: 'ice40', lut: 5_280, ff: 5_280, dsp: 8, bram: 30, bramKind: 'EBR (4 Kbit)', spram: 4, io: 39, package: 'sg48', source: UP_DS,
    nextpnr: { tool: 'nextpnr-ice40', device: '--up5k', package: 'sg48' },
  },
  {
    name: 'iCE40HX8K', aliases: ['hx8k', 'ice40hx8k'], target: 'ice40', lut: 7_680, ff: 7_680, dsp: 0, bram: 32, bramKind: 'EBR (4 Kbit)', spram: 0, io: 206, package: 'ct256', source: HX_DS,
    nextpnr: { tool: 'nextpnr-ice40', device: '--hx8k', package: 'ct256' },
  },
  {
    name: 'iCE40HX1K', aliases: ['hx1k', 'ice40hx1k'], target: 'ice40', lut: 1_280, ff: 1_280, dsp: 0, bram: 16, bramKind: 'EBR (4 Kbit)', spram: 0, io: 95, package: 'tq144', source: HX_DS,
    nextpnr: { tool: 'nextpnr-ice40', device: '--hx1k', package: 'tq144' },
  },
  { name: 'LFE5U-25F', aliases: ['lfe5u-25f', '25k', 'ecp5-25'], target: 'ecp5', lut: 24_288, ff: 24_288, dsp: 28, bram: 56, bramKind: 'EBR (18 Kbit)', spram: 0, io: 197, package: 'CABGA381', source: ECP5_DS },
  { name: 'LFE5U-45F', aliases: ['lfe5u-45f', '45k', 'ecp5-45'], target: 'ecp5', lut: 43_848, ff: 43_848, dsp: 72, bram: 108, bramKind: 'EBR (18 Kbit)', spram: 0, io: 203, package: 'CABGA381', source: ECP5_DS },
  { name: 'LFE5U-85F', aliases: ['lfe5u-85f', '85k', 'ecp5-85'], target: 'ecp5', lut: 83_640, ff: 83_640, dsp: 156, bram: 208, bramKind: 'EBR (18 Kbit)', spram: 0, io: 205, package: 'CABGA381', source: ECP5_DS },
];

/** Every name --part accepts: the device names and their aliases. */
export const PART_NAMES: readonly string[] = PARTS.flatMap((p) => [p.name, ...p.aliases.filter((a) => a !== p.name.toLowerCase())]);

/** The parts of one target, smallest first (the table's order). */
export function partsOf(target: SynthTarget): FpgaPart[] {
  return PARTS.filter((p) => p.target === target);
}

/**
 * The part named `name` (case-insensitive, device name or alias). An unknown name is E128 with the
 * closest name; with `target`, a part of another family is E129.
 */
export function parsePart(name: string, target?: SynthTarget): FpgaPart {
  const key = name.toLowerCase();
  const part = PARTS.find((p) => p.name.toLowerCase() === key || p.aliases.includes(key));
  if (!part) {
    const names = target ? partsOf(target).map((p) => p.aliases[0]!) : PART_NAMES;
    const closest = closeMatches(key, PART_NAMES.map((n) => n.toLowerCase()), 1)[0] ?? null;
    throw new DiagnosticError([msg.unknownPart(name, names, closest)]);
  }
  if (target !== undefined && part.target !== target) {
    throw new DiagnosticError([msg.partTarget(part.name, part.target, target, partsOf(target).map((p) => p.aliases[0]!))]);
  }
  return part;
}
