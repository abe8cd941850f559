// The FPGA families `synthesize` maps to, each with the Yosys synthesis command that does it.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { closeMatches } from '../sim/suggest.js';

export const SYNTH_TARGETS = ['xc7', 'ice40', 'ecp5', 'gowin'] as const;

/** xc7: Xilinx 7-series; ice40: Lattice iCE40 (UltraPlus for DSPs); ecp5: Lattice ECP5; gowin: Gowin GW1N. */
export type SynthTarget = (typeof SYNTH_TARGETS)[number];

/** Human names, for tables. */
export const TARGET_NAMES: Readonly<Record<SynthTarget, string>> = {
  xc7: 'Xilinx 7-series',
  ice40: 'Lattice iCE40 UP',
  ecp5: 'Lattice ECP5',
  gowin: 'Gowin GW1N',
};

/** `target` as a SynthTarget, or a DiagnosticError (E121) listing the valid targets. */
export function parseTarget(target: string): SynthTarget {
  if ((SYNTH_TARGETS as readonly string[]).includes(target)) return target as SynthTarget;
  throw new DiagnosticError([msg.unknownTarget(target, SYNTH_TARGETS, closeMatches(target, SYNTH_TARGETS, 1)[0] ?? null)]);
}

/**
 * The Yosys command that synthesizes module `top` (flattened, out of context: no I/O or clock
 * buffers, so a block's numbers are its own) for `target`:
 *   xc7    synth_xilinx -family xc7: DSP48E1 inference (multipliers with their pre-adders,
 *          accumulators and pipeline registers) and RAMB18E1/RAMB36E1 inference are on by default.
 *   ice40  synth_ice40 -dsp: SB_MAC16 inference (iCE40 UltraPlus); SB_RAM40_4K by default. Without
 *          `dsp` (a part without SB_MAC16, like the LP/HX parts) multipliers become LUTs and carries.
 *   ecp5   synth_ecp5: MULT18X18D inference and DP16KD inference by default.
 *   gowin  synth_gowin: block and distributed RAM inference; Yosys 0.55 infers no Gowin DSPs, so
 *          multipliers become LUTs and carry chains there.
 */
export function targetSynthCommand(target: SynthTarget, top: string, options: { readonly dsp?: boolean } = {}): string {
  switch (target) {
    case 'xc7':
      return `synth_xilinx -family xc7 -top ${top} -flatten -noiopad -noclkbuf`;
    case 'ice40':
      return options.dsp === false ? `synth_ice40 -top ${top}` : `synth_ice40 -top ${top} -dsp`;
    case 'ecp5':
      return `synth_ecp5 -top ${top}`;
    case 'gowin':
      return `synth_gowin -top ${top} -noiopads`;
  }
}
