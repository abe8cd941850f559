// A processing element of the systolic array (gen/array.ts): the MAC datapath of one grid cell
// plus the registers that pass operands on to its neighbours. Gemmini's layering (MacUnit → PE →
// Tile → Mesh), with the "tile" level folded into gen/chain.ts, which wires a grid of these.
//
// Weight-stationary (dataflow 'ws'; Kung & Leiserson's systolic product with the weights held in
// place, as in the TPU v1 matrix unit). The PE holds one weight; activations pass right, partial
// sums pass down:
//
//                weightIn          psumIn
//                   │                 │
//   loadWeight ─▶[weight_q]───┐       │           weight_q <= weightIn   when loadWeight
//                   │         ▼       ▼           act_q    <= actIn
//   actIn ──┬───────┼──────▶ (×) ─▶ (+)           psum_q   <= psumIn + actIn * weight_q
//        [act_q]    │                 │
//           ▼       ▼             [psum_q]
//        actOut  weightOut            ▼
//                                  psumOut
//
// Double-buffered weight-stationary (dataflow 'ws', doubleBuffer; Gemmini's two weight registers
// with a `propagate` bit, here a `swap` bit that travels right with the activations): the column
// shift chain loads a shadow register while the active weight keeps computing; a vector that
// arrives with swapIn high is the first to use the shadow weight, which it also copies into the
// active register:
//
//   shadow_q <= weightIn                    when loadWeight      (weightOut = shadow_q)
//   active    = swapIn ? shadow_q : weight_q
//   weight_q <= shadow_q                    when swapIn
//   psum_q   <= psumIn + actIn * active;    act_q <= actIn; swap_q <= swapIn (swapOut = swap_q)
//
// Output-stationary (dataflow 'os'): both operands stream through, activations right and weights
// down, and the PE accumulates its own output element; a `last` flag travels right with the
// activations and marks the final product of an output (Gemmini's OS mode, without its double
// buffer: finished outputs leave through a two-register-per-PE shift chain instead):
//
//   fresh_q  <= lastIn                 (power-on/reset 1: the next product starts a new sum)
//   sum       = (fresh_q ? 0 : acc_q) + actIn * weightIn
//   acc_q    <= sum
//   out_q    <= lastIn ? sum : psumIn  (inject the finished sum, else shift the chain down)
//   outHold_q <= out_q;  psumOut = outHold_q
//   outValid_q <= lastIn | psumValidIn; outValidHold_q <= outValid_q; psumValidOut = outValidHold_q
//                                      (a valid bit rides the output chain next to each sum)
//   act_q <= actIn; weight_q <= weightIn; last_q <= lastIn
//
// Why two chain registers per PE: the PEs of a column finish one row per cycle from the top down,
// the same speed a one-register chain moves, so every injection would land on its upper
// neighbour's result. At half a row per cycle the finished sums queue up behind each other.
//
// Every output is a register in both dataflows, so there is no combinational path between cells.
import { Bool, defineModule, mux, SInt, UInt, type ModuleDef, type Value } from '../hdl/dsl/index.js';
import type { Shape } from '../hdl/ir/index.js';
import { wrappingAdd } from './arith.js';
import { defaultAccWidth } from './mac.js';

/** Weight-stationary or output-stationary (see the header). */
export type Dataflow = 'ws' | 'os';

export interface PeOptions {
  /** Operand width in bits (INT8 or INT16 quantized networks). */
  width: 8 | 16;
  /** Two's-complement operands and partial sums (default true). */
  signed?: boolean;
  /**
   * Width of the partial sum / accumulator, at least 2*width+1 and at most 128 (default 32 for
   * INT8, 48 for INT16, DESIGN.md §5). Sums wrap modulo 2^accWidth like integer accumulators do.
   */
  accWidth?: number;
  /** Weight-stationary (default) or output-stationary. */
  dataflow?: Dataflow;
  /**
   * 'ws' only: a shadow weight register per PE, loaded while the active weights compute and
   * swapped in by the `swap` bit that travels with the activations (default false).
   */
  doubleBuffer?: boolean;
}

/** PE options with every default filled in and checked. */
export interface PeConfig {
  readonly width: 8 | 16;
  readonly signed: boolean;
  readonly accWidth: number;
  readonly dataflow: Dataflow;
  readonly doubleBuffer: boolean;
}

/** Fill in the defaults and check the options; throws a RangeError naming the bad option. */
export function resolvePeOptions(options: PeOptions): PeConfig {
  const { width } = options;
  if (width !== 8 && width !== 16) throw new RangeError(`PE width must be 8 or 16, not ${String(width)}`);
  const signed = options.signed ?? true;
  const accWidth = options.accWidth ?? defaultAccWidth(width);
  const least = 2 * width + 1;
  if (!Number.isInteger(accWidth) || accWidth < least || accWidth > 128) {
    throw new RangeError(`PE accWidth must be an integer in ${least}..128 for ${width}-bit operands, not ${accWidth}`);
  }
  const dataflow = options.dataflow ?? 'ws';
  if (dataflow !== 'ws' && dataflow !== 'os') throw new RangeError(`PE dataflow must be 'ws' or 'os', not '${String(dataflow)}'`);
  const doubleBuffer = options.doubleBuffer ?? false;
  if (typeof doubleBuffer !== 'boolean') throw new RangeError(`PE doubleBuffer must be true or false, not ${String(doubleBuffer)}`);
  if (doubleBuffer && dataflow !== 'ws') throw new RangeError(`PE doubleBuffer must be false for dataflow 'os', not true (only weight-stationary PEs hold weights)`);
  return { width, signed, accWidth, dataflow, doubleBuffer };
}

/** Shape of one operand and of one partial sum. */
export function peShapes(config: PeConfig): { operand: Shape; psum: Shape } {
  const make = config.signed ? SInt : UInt;
  return { operand: make(config.width), psum: make(config.accWidth) };
}

/** `i8`/`u8`/`i16`/`u16`: the operand type as it appears in module names. */
export function operandTag(config: PeConfig): string {
  return `${config.signed ? 'i' : 'u'}${config.width}`;
}

/**
 * A PE. Module name `pe_<ws|os>_<i|u><width>_acc<accWidth>[_db]`, e.g. `pe_ws_i8_acc32`.
 * Ports (both dataflows): actIn/actOut, weightIn/weightOut (operand shape), psumIn/psumOut
 * (partial-sum shape); 'ws' adds loadWeight (and swapIn/swapOut with doubleBuffer), 'os' adds
 * lastIn/lastOut and psumValidIn/psumValidOut.
 */
export function pe(options: PeOptions): ModuleDef {
  const config = resolvePeOptions(options);
  if (config.dataflow === 'os') return outputStationaryPe(config);
  return config.doubleBuffer ? doubleBufferedPe(config) : weightStationaryPe(config);
}

function peName(config: PeConfig): string {
  return `pe_${config.dataflow}_${operandTag(config)}_acc${config.accWidth}${config.doubleBuffer ? '_db' : ''}`;
}

function params(config: PeConfig): Record<string, string | number | boolean> {
  const base = { width: config.width, signed: config.signed, accWidth: config.accWidth, dataflow: config.dataflow };
  return config.doubleBuffer ? { ...base, doubleBuffer: true } : base;
}

/** The product actIn * weight extended to the partial-sum width and added to psumIn, modulo 2^accWidth. */
function macStep(config: PeConfig, base: Value, actIn: Value, weight: Value): Value {
  const product = actIn.mul(weight);
  const addend = config.signed ? product.sext(config.accWidth) : product.zext(config.accWidth);
  return wrappingAdd(base, addend);
}

function weightStationaryPe(config: PeConfig): ModuleDef {
  const { operand, psum } = peShapes(config);
  return defineModule({ name: peName(config), generator: 'pe', params: params(config) }, (m) => {
    const actIn = m.input('actIn', operand);
    const weightIn = m.input('weightIn', operand);
    const loadWeight = m.input('loadWeight', Bool);
    const psumIn = m.input('psumIn', psum);

    // The stationary operand: loaded from the PE above while loadWeight is high, so a column of
    // R PEs is a shift register that takes R cycles to fill (gen/array.ts).
    const weightReg = m.reg('weight_q', operand, { reset: 0, enable: loadWeight });
    weightReg.set(weightIn);

    const actReg = m.reg('act_q', operand, { reset: 0 });
    actReg.set(actIn);

    // The product is exact (2*width bits); extend it to the partial-sum width, add and wrap
    // (wrappingAdd keeps within the 128-bit width limit at accWidth 128).
    const psumReg = m.reg('psum_q', psum, { reset: 0 });
    psumReg.set(macStep(config, psumIn, actIn, weightReg));

    m.output('actOut', actReg);
    m.output('weightOut', weightReg);
    m.output('psumOut', psumReg);
  });
}

function doubleBufferedPe(config: PeConfig): ModuleDef {
  const { operand, psum } = peShapes(config);
  return defineModule({ name: peName(config), generator: 'pe', params: params(config) }, (m) => {
    const actIn = m.input('actIn', operand);
    const weightIn = m.input('weightIn', operand);
    const loadWeight = m.input('loadWeight', Bool);
    const swapIn = m.input('swapIn', Bool);
    const psumIn = m.input('psumIn', psum);

    // The shadow weights of a column form the loading shift register; the active weight is
    // untouched until the vector carrying swap passes, so loading overlaps computing.
    const shadowReg = m.reg('shadow_q', operand, { reset: 0, enable: loadWeight });
    shadowReg.set(weightIn);
    const weightReg = m.reg('weight_q', operand, { reset: 0, enable: swapIn });
    weightReg.set(shadowReg);
    // The swapping vector itself already computes with the new weight.
    const active = m.wire('activeWeight', mux(swapIn, shadowReg, weightReg));

    const actReg = m.reg('act_q', operand, { reset: 0 });
    actReg.set(actIn);
    const swapReg = m.reg('swap_q', Bool, { reset: 0 });
    swapReg.set(swapIn);
    const psumReg = m.reg('psum_q', psum, { reset: 0 });
    psumReg.set(macStep(config, psumIn, actIn, active));

    m.output('actOut', actReg);
    m.output('swapOut', swapReg);
    m.output('weightOut', shadowReg);
    m.output('psumOut', psumReg);
  });
}

function outputStationaryPe(config: PeConfig): ModuleDef {
  const { operand, psum } = peShapes(config);
  return defineModule({ name: peName(config), generator: 'pe', params: params(config) }, (m) => {
    const actIn = m.input('actIn', operand);
    const weightIn = m.input('weightIn', operand);
    const lastIn = m.input('lastIn', Bool);
    const psumIn = m.input('psumIn', psum);

    const freshReg = m.reg('fresh_q', Bool, { reset: 1 });
    freshReg.set(lastIn);
    const accReg = m.reg('acc_q', psum, { reset: 0 });
    const base = mux(freshReg, m.constant(0, psum), accReg);
    const sum = m.wire('sum', macStep(config, base, actIn, weightIn));
    accReg.set(sum);

    const outReg = m.reg('out_q', psum, { reset: 0 });
    outReg.set(mux(lastIn, sum, psumIn));
    const outHoldReg = m.reg('outHold_q', psum, { reset: 0 });
    outHoldReg.set(outReg);
    // The valid bit moves in lockstep with the sum it marks, so out_valid needs no formula.
    const psumValidIn = m.input('psumValidIn', Bool);
    const outValidReg = m.reg('outValid_q', Bool, { reset: 0 });
    outValidReg.set(lastIn.or(psumValidIn));
    const outValidHoldReg = m.reg('outValidHold_q', Bool, { reset: 0 });
    outValidHoldReg.set(outValidReg);
    m.output('psumValidOut', outValidHoldReg);

    for (const [name, input] of [['act', actIn], ['weight', weightIn], ['last', lastIn]] as const) {
      const passReg = m.reg(`${name}_q`, input.shape, { reset: 0 });
      passReg.set(input);
      m.output(`${name}Out`, passReg);
    }
    m.output('psumOut', outHoldReg);
  });
}
