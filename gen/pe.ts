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
//   act_q <= actIn; weight_q <= weightIn; last_q <= lastIn
//
// Why two chain registers per PE: the PEs of a column finish one row per cycle from the top down,
// the same speed a one-register chain moves, so every injection would land on its upper
// neighbour's result. At half a row per cycle the finished sums queue up behind each other.
//
// Every output is a register in both dataflows, so there is no combinational path between cells.
import { Bool, defineModule, mux, SInt, UInt, type ModuleDef } from '../hdl/dsl/index.js';
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
}

/** PE options with every default filled in and checked. */
export interface PeConfig {
  readonly width: 8 | 16;
  readonly signed: boolean;
  readonly accWidth: number;
  readonly dataflow: Dataflow;
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
  return { width, signed, accWidth, dataflow };
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
 * A PE. Module name `pe_<ws|os>_<i|u><width>_acc<accWidth>`, e.g. `pe_ws_i8_acc32`.
 * Ports (both dataflows): actIn/actOut, weightIn/weightOut (operand shape), psumIn/psumOut
 * (partial-sum shape); 'ws' adds loadWeight, 'os' adds lastIn/lastOut.
 */
export function pe(options: PeOptions): ModuleDef {
  const config = resolvePeOptions(options);
  return config.dataflow === 'ws' ? weightStationaryPe(config) : outputStationaryPe(config);
}

function peName(config: PeConfig): string {
  return `pe_${config.dataflow}_${operandTag(config)}_acc${config.accWidth}`;
}

function params(config: PeConfig): Record<string, string | number | boolean> {
  return { width: config.width, signed: config.signed, accWidth: config.accWidth, dataflow: config.dataflow };
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
    const product = actIn.mul(weightReg);
    const addend = config.signed ? product.sext(config.accWidth) : product.zext(config.accWidth);
    const psumReg = m.reg('psum_q', psum, { reset: 0 });
    psumReg.set(wrappingAdd(psumIn, addend));

    m.output('actOut', actReg);
    m.output('weightOut', weightReg);
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
    const product = actIn.mul(weightIn);
    const addend = config.signed ? product.sext(config.accWidth) : product.zext(config.accWidth);
    const base = mux(freshReg, m.constant(0, psum), accReg);
    const sum = m.wire('sum', wrappingAdd(base, addend));
    accReg.set(sum);

    const outReg = m.reg('out_q', psum, { reset: 0 });
    outReg.set(mux(lastIn, sum, psumIn));
    const outHoldReg = m.reg('outHold_q', psum, { reset: 0 });
    outHoldReg.set(outReg);

    for (const [name, input] of [['act', actIn], ['weight', weightIn], ['last', lastIn]] as const) {
      const passReg = m.reg(`${name}_q`, input.shape, { reset: 0 });
      passReg.set(input);
      m.output(`${name}Out`, passReg);
    }
    m.output('psumOut', outHoldReg);
  });
}
