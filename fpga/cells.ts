// Which FPGA primitive is which resource: the cell types the Yosys synthesis scripts of each target
// (fpga/synth.ts) leave in a netlist, sorted into the resources an FPGA data sheet counts.
//
// Every resource counts cells (primitive instances), not sites or tiles:
//   lut    logic LUTs: LUT1..LUT6 (xc7), SB_LUT4 (ice40), LUT4 (ecp5), LUT1..LUT4 (gowin).
//   ff     flip-flops: FD* (xc7), SB_DFF* (ice40), TRELLIS_FF (ecp5), DFF* (gowin).
//   dsp    hard multiplier/DSP blocks: DSP48E1 (xc7), SB_MAC16 (ice40), MULT18X18D/MULT9X9D/ALU54B
//          (ecp5), MULT9X9/MULT18X18/MULT36X36/MULTALU*/MULTADDALU*/ALU54D/PADD* (gowin).
//   bram   block RAMs: RAMB18E1/RAMB36E1 (xc7; a RAMB18E1 is half a Vivado "Block RAM tile" but one
//          cell here), SB_RAM40_4K* and SB_SPRAM256KA (ice40), DP16KD/PDPW16KD (ecp5),
//          DP/DPB/DPX9B/SDP/SDPB/SDPX9B/SP/SPX9/pROM/pROMX9 (gowin).
//   lutram LUTs used as memory or shift registers: RAM32M/RAM64M/RAM*X1*/SRL16E/SRLC32E (xc7),
//          TRELLIS_DPR16X4 (ecp5), RAM16S*/RAM16SDP* (gowin). Vivado's "Slice LUTs" is lut + lutram.
//   carry  carry-chain cells: CARRY4 (xc7), SB_CARRY (ice40), CCU2C (ecp5), ALU (gowin).
//   mux    wide-function muxes that combine LUT outputs: MUXF7/MUXF8 (xc7), PFUMX/L6MUX21 (ecp5),
//          MUX2_LUT5..MUX2_LUT8 (gowin). They are not LUTs: they sit next to the LUTs in a slice and
//          cost no LUT, so counting them as LUTs would overstate LUT use.
//   io     I/O and clock buffers (none by default: the scripts synthesize blocks out of context).
//   other  constants (VCC/GND), GSR and anything unknown; listed in `cells` so nothing is hidden.
import type { SynthTarget } from './targets.js';

export type Resource = 'lut' | 'ff' | 'dsp' | 'bram' | 'lutram' | 'carry' | 'mux' | 'io' | 'other';

export const RESOURCES: readonly Resource[] = ['lut', 'ff', 'dsp', 'bram', 'lutram', 'carry', 'mux', 'io', 'other'];

type Rule = readonly [RegExp, Resource];

const IO: Rule = [/^(I|O|IO|T)BUF|^BUFG|^IBUFG|^OBUFT|^SB_IO|^SB_GB|^TRELLIS_IO|^(IB|OB|BB)$|^ELVDS|^TLVDS/, 'io'];

/** Per target, the first matching rule classifies a cell type (anchored regular expressions). */
const RULES: Readonly<Record<SynthTarget, readonly Rule[]>> = {
  xc7: [
    [/^LUT[1-6]$/, 'lut'],
    [/^FD(RE|SE|CE|PE)(_1)?$|^LD(CE|PE)$/, 'ff'],
    [/^DSP48E1$/, 'dsp'],
    [/^RAMB(18|36)E1$/, 'bram'],
    [/^RAM(32M|64M|32X1[DS]|64X1[DS]|128X1[DS]|256X1S)|^SRLC?(16|32)E$/, 'lutram'],
    [/^CARRY4$/, 'carry'],
    [/^MUXF[5-8]$/, 'mux'],
    IO,
  ],
  ice40: [
    [/^SB_LUT4$/, 'lut'],
    [/^SB_DFF/, 'ff'],
    [/^SB_MAC16$/, 'dsp'],
    [/^SB_RAM40_4K|^SB_SPRAM256KA$/, 'bram'],
    [/^SB_CARRY$/, 'carry'],
    IO,
  ],
  ecp5: [
    [/^LUT4$/, 'lut'],
    [/^TRELLIS_FF$/, 'ff'],
    [/^(MULT18X18D|MULT9X9D|ALU54B|ALU24B)$/, 'dsp'],
    [/^(DP16KD|PDPW16KD)$/, 'bram'],
    [/^TRELLIS_DPR16X4$/, 'lutram'],
    [/^CCU2C$/, 'carry'],
    [/^(PFUMX|L6MUX21)$/, 'mux'],
    IO,
  ],
  gowin: [
    [/^LUT[1-4]$/, 'lut'],
    [/^DFF/, 'ff'],
    [/^(MULT9X9|MULT18X18|MULT36X36|MULTALU\w*|MULTADDALU\w*|ALU54D|PADD\d+)$/, 'dsp'],
    [/^(DP|DPB|DPX9|DPX9B|SDP|SDPB|SDPX9|SDPX9B|SP|SPX9|pROM|pROMX9)$/, 'bram'],
    [/^RAM16S/, 'lutram'],
    [/^ALU$/, 'carry'],
    [/^MUX2_LUT[5-8]$/, 'mux'],
    IO,
  ],
};

/** The resource a cell type of `target` uses; 'other' for constants and unknown types. */
export function classifyCell(target: SynthTarget, cellType: string): Resource {
  // Yosys writes cell types with a leading backslash in some outputs ("\\LUT4"); ignore it.
  const type = cellType.replace(/^\\/, '');
  for (const [pattern, resource] of RULES[target]) if (pattern.test(type)) return resource;
  return 'other';
}

/** Sum the cell counts into resources; every resource is present (0 when unused). */
export function countResources(target: SynthTarget, cells: Readonly<Record<string, number>>): Record<Resource, number> {
  const counts = Object.fromEntries(RESOURCES.map((r) => [r, 0])) as Record<Resource, number>;
  for (const [type, n] of Object.entries(cells)) counts[classifyCell(target, type)] += n;
  return counts;
}
