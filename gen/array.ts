// An R×C systolic array of gen/pe.ts PEs (Kung & Leiserson 1978; the TPU v1 matrix unit, Jouppi et
// al. ISCA 2017; Gemmini's Mesh), weight-stationary by default, output-stationary as an option.
// Both compute y = x·W for activation vectors x against a weight matrix W with K rows and C
// columns; they differ in what stays in the PEs. The grid is wired by gen/chain.ts; every skew and
// de-skew is a chain of registers in this module (delayLine).
//
// ── Weight-stationary (dataflow 'ws', the default) ─────────────────────────────────────────────────
// PE (i, j) holds W[i][j] (K = R); x[i] moves right along row i, the partial sum of y[j] moves down
// column j; one vector x per cycle.
//
// Ports
//   act_0 .. act_{R-1}       in   activation vector x (operand shape), one new vector per cycle
//   weight_0 .. weight_{C-1} in   one row of W entering the top of the columns
//   loadWeight               in   shift the weights down the columns at this edge
//   out_0 .. out_{C-1}       out  y = x·W (partial-sum shape), all C elements of one vector together
//
// Timing (exact; checked against the RTL by test/gen/array.test.ts)
//   Latency L = R + C - 1 cycles (arrayLatency()): if x is on act_* during cycle t, i.e. poked
//   before the rising edge that ends cycle t, then y = x·W is on out_* after the edge that ends
//   cycle t+L-1 (poke x, step() L times, peek y). A new vector may enter every cycle; vector t's
//   result appears in cycle t+L. Examples: 1×1 → 1, 4×4 → 7, 5×7 → 11, 16×16 → 31.
//   Why: input skew delays row i by i cycles, so x[i] reaches PE (i, j) in cycle t+i+j (j act_q
//   registers along the row), exactly when the partial sum of rows 0..i-1 arrives from above
//   (one psum_q per row). Column j's sum leaves PE (R-1, j) after the edge ending cycle t+R-1+j;
//   the output de-skew delays column j by C-1-j more cycles, so every column lands at t+R+C-2's
//   edge, the first edge after which all C outputs are valid together.
//   Registers: R(R-1)/2 skew (operand width) + C(C-1)/2 de-skew (partial-sum width) + 3 per PE.
//
// Weight loading
//   While loadWeight is high, every PE's weight register takes the one above it (row 0 takes
//   weight_j), so loading is a shift down the columns: present the rows of W bottom row first,
//   W[R-1] in the first loading cycle and W[0] in the R-th, and after those R edges PE (i, j)
//   holds W[i][j]. The weights are not double-buffered: vector t uses the weight in PE (i, j)
//   during cycle t+i+j, so loading must not overlap vectors still in flight (from t to t+L-1).
//
// ── Output-stationary (dataflow 'os') ──────────────────────────────────────────────────────────────
// PE (i, j) accumulates y_i[j] for R vectors x_0 .. x_{R-1} at once, over any K: in cycle k of a
// tile, act_i carries x_i[k] and weight_j carries W[k][j]; `last` marks the tile's final k.
//
// Ports
//   act_0 .. act_{R-1}       in   element k of each of the R activation vectors
//   weight_0 .. weight_{C-1} in   row k of W
//   last                     in   this cycle's k is the last of the tile; the next cycle starts a new tile
//   out_0 .. out_{C-1}       out  one row y_i of the tile's R×C result at a time
//
// Timing (exact; checked by test/gen/array.test.ts)
//   If the tile's last k is poked in cycle t (before the edge ending cycle t), y_i (all C columns
//   together) is on out_* after osOutputDelay(i) = 2R + C - 1 - i steps: the bottom row y_{R-1}
//   first after R + C steps, then one row per cycle up to y_0 after 2R + C - 1 steps.
//   Why: act_i and last are skewed by i, weight_j by j, so PE (i, j) takes x_i[k]·W[k][j] in
//   cycle t_k+i+j and injects its finished sum into its column's output chain at the edge ending
//   t+i+j. The chain has two registers per PE (gen/pe.ts says why), so sum i needs 2(R-i)-1 more
//   edges to reach the bottom: t+j+2R-1-i; the de-skew adds C-1-j.
//   Tiles may follow back to back (every cycle is some tile's k), idle cycles (zero operands,
//   last low) may separate them, and K is free, as long as two `last`s are at least R cycles
//   apart: otherwise a tile's sums enter the output chain before the previous tile's rows have
//   passed. Pad a tile with K < R to K = R with zero operands (a zero product changes no sum).
//   After reset every PE starts a fresh sum.
//   Registers: R(R-1)/2 act skew + C(C-1)/2 weight skew + R-1 last skew + C(C-1)/2 de-skew + 7 per PE.
//
// Partial sums wrap modulo 2^accWidth; with the defaults (32 bits for INT8, 48 for INT16) no sum
// of up to 2^(accWidth-2*width-1) products can overflow (e.g. 2^15 rows of INT8), so y is exact.
import { Bool, defineModule, type ModuleBuilder, type ModuleDef, type Value, type ValueLike } from '../hdl/dsl/index.js';
import type { ParamValue } from '../hdl/ir/index.js';
import { chain, InstanceGrid } from './chain.js';
import { operandTag, pe, peShapes, resolvePeOptions, type PeConfig, type PeOptions } from './pe.js';

export interface ArrayOptions extends PeOptions {
  /**
   * Number of PE rows R. 'ws': the length of an activation vector (the reduction dimension);
   * 'os': the number of activation vectors a tile processes at once.
   */
  rows: number;
  /** Number of PE columns C: the length of an output vector. */
  cols: number;
}

export interface ArrayConfig extends PeConfig {
  readonly rows: number;
  readonly cols: number;
}

/** Fill in the defaults and check the options; throws a RangeError naming the bad option. */
export function resolveArrayOptions(options: ArrayOptions): ArrayConfig {
  const { rows, cols } = options;
  for (const [what, n] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Array ${what} must be an integer >= 1, not ${n}`);
  }
  return { ...resolvePeOptions(options), rows, cols };
}

/** 'ws': cycles from an activation vector on act_* to its result on out_*: R + C - 1 (see the header). */
export function arrayLatency(options: { rows: number; cols: number }): number {
  return options.rows + options.cols - 1;
}

/** 'os': steps from poking a tile's last k until row `row` of its result is on out_*: 2R + C - 1 - row. */
export function osOutputDelay(options: { rows: number; cols: number }, row: number): number {
  return 2 * options.rows + options.cols - 1 - row;
}

/** `array_ws_r<R>c<C>_<i|u><width>_acc<accWidth>`, e.g. `array_ws_r16c16_i8_acc32`. */
export function arrayModuleName(options: ArrayOptions): string {
  const c = resolveArrayOptions(options);
  return `array_${c.dataflow}_r${c.rows}c${c.cols}_${operandTag(c)}_acc${c.accWidth}`;
}

/** Port names, for drivers and tests. */
export const arrayPorts = {
  act: (row: number): string => `act_${row}`,
  weight: (col: number): string => `weight_${col}`,
  /** 'ws' only. */
  loadWeight: 'loadWeight',
  /** 'os' only. */
  last: 'last',
  out: (col: number): string => `out_${col}`,
} as const;

/** The systolic array described in this file's header. */
export function systolicArray(options: ArrayOptions): ModuleDef {
  const config = resolveArrayOptions(options);
  const { rows, cols, dataflow } = config;
  const { operand, psum } = peShapes(config);
  const peDef = pe(config);
  const name = arrayModuleName(config);
  const params: Record<string, ParamValue> = { ...peDef.module.params, rows, cols };
  if (dataflow === 'ws') params.latency = arrayLatency(config);
  else params.firstRowDelay = osOutputDelay(config, rows - 1);
  return defineModule({ name, generator: 'array', params }, (m) => {
    const act = Array.from({ length: rows }, (_, i) => m.input(arrayPorts.act(i), operand));
    const weight = Array.from({ length: cols }, (_, j) => m.input(arrayPorts.weight(j), operand));
    // Input skew: row i enters i cycles late, so that it meets the partial sums coming down.
    const skewedAct = act.map((x, i) => delayLine(m, `actSkew_${i}`, x, i));
    // The weight-loading control is broadcast to every PE ('ws'); 'os' streams a `last` flag instead.
    const loadWeight = dataflow === 'ws' ? m.input(arrayPorts.loadWeight, Bool) : null;
    const pes = new InstanceGrid(m, {
      rows,
      cols,
      module: () => peDef,
      name: (i, j) => `pe_${i}_${j}`,
      inputs: (): Record<string, ValueLike> => (loadWeight ? { loadWeight } : {}),
    });
    const topPsum = { from: 'psumOut', to: 'psumIn', edge: () => m.constant(0, psum) };

    if (dataflow === 'ws') {
      chain(pes, 'right', { from: 'actOut', to: 'actIn', edge: (i) => skewedAct[i]! });
      chain(pes, 'down', topPsum, { from: 'weightOut', to: 'weightIn', edge: (j) => weight[j]! });
    } else {
      // The weights stream too, column j skewed by j; `last` travels with the activations.
      const last = m.input(arrayPorts.last, Bool);
      const skewedWeight = weight.map((w, j) => delayLine(m, `weightSkew_${j}`, w, j));
      // One delay line serves every row: row i taps it after i stages.
      const lastTaps = [last];
      delayLine(m, 'lastSkew', last, rows - 1, (stage) => lastTaps.push(stage));
      chain(
        pes,
        'right',
        { from: 'actOut', to: 'actIn', edge: (i) => skewedAct[i]! },
        { from: 'lastOut', to: 'lastIn', edge: (i) => lastTaps[i]! },
      );
      chain(pes, 'down', topPsum, { from: 'weightOut', to: 'weightIn', edge: (j) => skewedWeight[j]! });
    }
    pes.instantiate();

    // Output de-skew: column j finishes j cycles after column 0, so delay it by C-1-j.
    pes.exits('down', 'psumOut').forEach((y, j) => {
      m.output(arrayPorts.out(j), delayLine(m, `outDeskew_${j}`, y, cols - 1 - j));
    });
  });
}

/**
 * `value` delayed by `cycles` registers named `<name>_0` (first) .. `<name>_<cycles-1>` (last);
 * `tap` sees each stage in order.
 */
function delayLine(m: ModuleBuilder, name: string, value: Value, cycles: number, tap?: (stage: Value) => void): Value {
  let out = value;
  for (let k = 0; k < cycles; k++) {
    const stage = m.reg(`${name}_${k}`, value.shape, { reset: 0 });
    stage.set(out);
    tap?.(stage);
    out = stage;
  }
  return out;
}
