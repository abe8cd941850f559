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
//   valid                    in   this cycle's x is a real vector (travels with it to out_valid)
//   weight_0 .. weight_{C-1} in   one row of W entering the top of the columns
//   loadWeight               in   shift the weights down the columns at this edge
//   swap                     in   doubleBuffer only: this cycle's x is the first to use the new weights
//   out_0 .. out_{C-1}       out  y = x·W (partial-sum shape), all C elements of one vector together
//   out_valid                out  high exactly in the cycles out_* holds the result of a valid x
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
//   out_valid is `valid` delayed by L registers (a shift register beside the data path with the
//   same latency), so it is high after the edge ending cycle t+L-1 exactly when valid was high in
//   cycle t: drivers collect results by watching it.
//   Registers: R(R-1)/2 skew (operand width) + C(C-1)/2 de-skew (partial-sum width) + L valid
//   + 3 per PE (doubleBuffer: 5 per PE instead of 3, plus C(C-1)/2 weight skew, C-1 load skew
//   and R-1 swap skew).
//
// Weight loading
//   While loadWeight is high, every PE's weight register takes the one above it (row 0 takes
//   weight_j), so loading is a shift down the columns: present the rows of W bottom row first,
//   W[R-1] in the first loading cycle and W[0] in the R-th, and after those R edges PE (i, j)
//   holds W[i][j]. The weights are not double-buffered: vector t uses the weight in PE (i, j)
//   during cycle t+i+j, so loading must not overlap vectors still in flight: if the last vector
//   of the old weights is poked in cycle t, the first loading cycle may be t+R+C-2 (PE (R-1, C-1)
//   computes with its old weight in that cycle, the loading edge at its end changes it), and the
//   first vector of the new weights follows R cycles later.
//
// Double-buffered weights (doubleBuffer: true; Gemmini's WS double buffering)
//   Every PE has a shadow weight register; loadWeight and weight_j shift the shadow registers
//   down the columns exactly as above, but skewed: column j shifts at the edge ending cycle s+j
//   for loadWeight poked in cycle s (weight_j and loadWeight are delayed by j registers). The
//   active weights are untouched by loading. A vector poked in cycle t with swap high is the
//   first to use the new weights: swap travels with the activations (skewed by row, one register
//   per PE along the row), reaches PE (i, j) in cycle t+i+j together with x[i], and there both
//   computes with the shadow weight and copies it into the active register. So every vector
//   computes with one consistent weight set, and loading tile n+1 overlaps streaming tile n.
//   Rules, for a tile loaded in cycles s .. s+R-1 (bottom row first) and swapped in by the
//   vector of cycle t:
//     t >= s + R          the shadows of column j are complete after the edge ending s+R-1+j;
//     s_next >= t + R - 1 the next load's first edge into column j ends cycle s_next+j, and
//                         must not precede PE (R-1, j) reading its shadow in cycle t+R-1+j.
//   Hence swaps may be max(M, 2R-1) cycles apart for tiles of M vectors: loading each tile in
//   the R cycles just before its first vector streams tiles back to back once M >= 2R-1.
//   The latency L is unchanged.
//
// Row-addressed loading (rowLoad: true, with doubleBuffer; issue 14)
//   The shift chain makes a tile's first loading edge move every shadow of the column, so it must
//   wait for the previous swap to pass the bottom row: R - 1 idle cycles per tile, which bound an
//   fc layer (M = 1) to 1/(2R-1) of the array. With rowLoad, weight_j is broadcast down column j
//   (skewed by j as above) and only row loadRow's shadow takes it: loadWeight and loadRow poked in
//   cycle s write PE (loadRow, j)'s shadow at the edge ending s+j; no other shadow changes. A
//   row's shadow is then free as soon as the swap has passed that row, so the rules are per row:
//   for a tile whose swap vector is poked in cycle t, after a previous tile swapped in cycle
//   t_prev, row i's load must be poked in a cycle in [t_prev + i, t + i - 1] (its write, at the edge
//   ending that cycle + j, must not precede PE (i, j) copying the old shadow in cycle t_prev+i+j,
//   and must precede the swap reading it in cycle t+i+j). Loading TOP ROW FIRST, row i in cycle
//   s + i, satisfies them for any t_prev <= s < t; the weight buffer's bandwidth (one row per
//   cycle) then lets swaps follow every max(M, R) cycles. Extra port: loadRow (UInt of
//   ceil(log2 R) bits); registers: C-1 row-index skew stages.
//
// Whole-tile loading (tileLoad: true, with doubleBuffer; issue 14)
//   Every PE (i, j) has its own weight input tileWeight_i_j (no weight_j ports). loadWeight poked in
//   cycle s writes PE (i, j)'s shadow with tileWeight_i_j at the edge ending cycle s+i+j: the strobe
//   is skewed by one delay line of R+C-2 stages (tap i+j), and the driver presents tileWeight_i_j in
//   cycle s+i+j (the accelerator reads weight bank (i, j) with its address delayed by i+j: R+C-1
//   address registers instead of R·C skewed weight registers). That is when the swap vector of cycle
//   s+1 reaches the PE, so a tile may be loaded every cycle: for a tile loaded in cycle s whose swap
//   vector is poked in cycle t, s < t <= s_next (the next load writes at the edge ending s_next+i+j,
//   no earlier than the copy of this one at t+i+j). One tile per vector (every vector with swap) is
//   the GEMV of gen/accel/gemm-engine.ts. Registers: R+C-2 strobe skew stages.
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
//   out_valid                out  high exactly in the R cycles out_* holds a row of a result
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
//   out_valid: a valid bit rides the output chain beside every injected sum (gen/pe.ts), and
//   column 0's is de-skewed with it, so out_valid is high exactly when a row is on out_*: the R
//   rows of a tile come out on R consecutive cycles, y_{R-1} first, y_0 last.
//   Registers: R(R-1)/2 act skew + C(C-1)/2 weight skew + R-1 last skew + C(C-1)/2 de-skew
//   + C-1 valid de-skew + 9 per PE (2 of them valid bits, used only in column 0).
//
// Partial sums wrap modulo 2^accWidth; with the defaults (32 bits for INT8, 48 for INT16) no sum
// of up to 2^(accWidth-2*width-1) products can overflow (e.g. 2^15 rows of INT8), so y is exact.
import { Bool, defineModule, UInt, type ModuleBuilder, type ModuleDef, type Value, type ValueLike } from '../hdl/dsl/index.js';
import type { ParamValue } from '../hdl/ir/index.js';
import { chain, InstanceGrid, type ChainLink } from './chain.js';
import { operandTag, pe, peShapes, resolvePeOptions, type PeConfig, type PeOptions } from './pe.js';

export interface ArrayOptions extends PeOptions {
  /**
   * Number of PE rows R. 'ws': the length of an activation vector (the reduction dimension);
   * 'os': the number of activation vectors a tile processes at once.
   */
  rows: number;
  /** Number of PE columns C: the length of an output vector. */
  cols: number;
  /** 'ws' with doubleBuffer: load one addressed row's shadows per cycle instead of shifting (header, "Row-addressed loading"). */
  rowLoad?: boolean;
  /** 'ws' with doubleBuffer: load a whole tile per cycle through R·C skewed ports (header, "Whole-tile loading"). */
  tileLoad?: boolean;
}

export interface ArrayConfig extends PeConfig {
  readonly rows: number;
  readonly cols: number;
  readonly rowLoad: boolean;
  readonly tileLoad: boolean;
}

/** Fill in the defaults and check the options; throws a RangeError naming the bad option. */
export function resolveArrayOptions(options: ArrayOptions): ArrayConfig {
  const { rows, cols } = options;
  for (const [what, n] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Array ${what} must be an integer >= 1, not ${n}`);
  }
  const pe = resolvePeOptions(options);
  const rowLoad = options.rowLoad ?? false;
  if (rowLoad && !pe.doubleBuffer) throw new RangeError('Array rowLoad must be false without doubleBuffer, not true (row-addressed loading writes the shadow weights)');
  const tileLoad = options.tileLoad ?? false;
  if (tileLoad && !pe.doubleBuffer) throw new RangeError('Array tileLoad must be false without doubleBuffer, not true (tile loading writes the shadow weights)');
  if (tileLoad && rowLoad) throw new RangeError('Array tileLoad must be false with rowLoad, not true (one loading mode)');
  return { ...pe, rows, cols, rowLoad, tileLoad };
}

/** Bits of the loadRow port of a rowLoad array: ceil(log2 R), at least 1. */
export function loadRowBits(rows: number): number {
  return Math.max(1, Math.ceil(Math.log2(rows)));
}

/** 'ws': cycles from an activation vector on act_* to its result on out_*: R + C - 1 (see the header). */
export function arrayLatency(options: { rows: number; cols: number }): number {
  return options.rows + options.cols - 1;
}

/** 'os': steps from poking a tile's last k until row `row` of its result is on out_*: 2R + C - 1 - row. */
export function osOutputDelay(options: { rows: number; cols: number }, row: number): number {
  return 2 * options.rows + options.cols - 1 - row;
}

/** `array_ws_r<R>c<C>_<i|u><width>_acc<accWidth>[_db]`, e.g. `array_ws_r16c16_i8_acc32`. */
export function arrayModuleName(options: ArrayOptions): string {
  const c = resolveArrayOptions(options);
  return `array_${c.dataflow}_r${c.rows}c${c.cols}_${operandTag(c)}_acc${c.accWidth}${c.doubleBuffer ? '_db' : ''}${c.rowLoad ? '_rl' : ''}${c.tileLoad ? '_tl' : ''}`;
}

/** Port names, for drivers and tests. */
export const arrayPorts = {
  act: (row: number): string => `act_${row}`,
  weight: (col: number): string => `weight_${col}`,
  /** 'ws' with tileLoad only: PE (row, col)'s shadow weight, sampled row+col cycles after loadWeight. */
  tileWeight: (row: number, col: number): string => `tileWeight_${row}_${col}`,
  /** 'ws' only. */
  loadWeight: 'loadWeight',
  /** 'ws' only. */
  valid: 'valid',
  /** 'ws' with doubleBuffer only. */
  swap: 'swap',
  /** 'ws' with rowLoad only: the row whose shadows loadWeight writes. */
  loadRow: 'loadRow',
  /** 'os' only. */
  last: 'last',
  out: (col: number): string => `out_${col}`,
  outValid: 'out_valid',
} as const;

/** The systolic array described in this file's header. */
export function systolicArray(options: ArrayOptions): ModuleDef {
  const config = resolveArrayOptions(options);
  const { rows, cols, dataflow } = config;
  const peDef = pe(config);
  const name = arrayModuleName(config);
  const params: Record<string, ParamValue> = { ...peDef.module.params, rows, cols, ...(config.rowLoad ? { rowLoad: true } : {}), ...(config.tileLoad ? { tileLoad: true } : {}) };
  if (dataflow === 'ws') params.latency = arrayLatency(config);
  else params.firstRowDelay = osOutputDelay(config, rows - 1);
  return defineModule({ name, generator: 'array', params }, (m) => {
    const { operand } = peShapes(config);
    const act = Array.from({ length: rows }, (_, i) => m.input(arrayPorts.act(i), operand));
    const weight = config.tileLoad ? [] : Array.from({ length: cols }, (_, j) => m.input(arrayPorts.weight(j), operand));
    // Input skew: row i enters i cycles late, so that it meets the partial sums coming down.
    const skewedAct = act.map((x, i) => delayLine(m, `actSkew_${i}`, x, i));
    if (dataflow === 'ws') weightStationaryGrid(m, config, skewedAct, weight, peDef);
    else outputStationaryGrid(m, config, skewedAct, weight, peDef);
  });
}

function weightStationaryGrid(m: ModuleBuilder, config: ArrayConfig, skewedAct: Value[], weight: Value[], peDef: ModuleDef): void {
  const { rows, cols, doubleBuffer } = config;
  const valid = m.input(arrayPorts.valid, Bool);
  const loadWeight = m.input(arrayPorts.loadWeight, Bool);
  // Double buffering skews loading by column (tap j of one delay line) so that a column's shadows
  // change no earlier than its last reader needs them; without it loadWeight is broadcast.
  const loadTaps = [loadWeight];
  let columnWeight = weight;
  const actLinks: ChainLink[] = [{ from: 'actOut', to: 'actIn', edge: (i) => skewedAct[i]! }];
  if (doubleBuffer) {
    delayLine(m, 'loadSkew', loadWeight, config.tileLoad ? rows + cols - 2 : cols - 1, (stage) => loadTaps.push(stage));
    columnWeight = weight.map((w, j) => delayLine(m, `weightSkew_${j}`, w, j));
    const swap = m.input(arrayPorts.swap, Bool);
    const swapTaps = [swap];
    delayLine(m, 'swapSkew', swap, rows - 1, (stage) => swapTaps.push(stage));
    actLinks.push({ from: 'swapOut', to: 'swapIn', edge: (i) => swapTaps[i]! });
  }
  // Row-addressed loading: the row index is skewed like loadWeight, and PE (i, j) loads when its
  // column's tap says row i; the column's weight is broadcast instead of shifted.
  const rowTaps: Value[] = [];
  if (config.rowLoad) {
    const loadRow = m.input(arrayPorts.loadRow, UInt(loadRowBits(rows)));
    rowTaps.push(loadRow);
    delayLine(m, 'rowSkew', loadRow, cols - 1, (stage) => rowTaps.push(stage));
  }
  const pes = new InstanceGrid(m, {
    rows,
    cols,
    module: () => peDef,
    name: (i, j) => `pe_${i}_${j}`,
    inputs: (i, j): Record<string, ValueLike> =>
      config.tileLoad
        ? { loadWeight: loadTaps[i + j]!, weightIn: m.input(arrayPorts.tileWeight(i, j), peShapes(config).operand) }
        : config.rowLoad
        ? { loadWeight: m.wire(`loadRow_${i}_${j}`, loadTaps[j]!.and(rowTaps[j]!.eq(i))), weightIn: columnWeight[j]! }
        : { loadWeight: doubleBuffer ? loadTaps[j]! : loadWeight },
  });
  chain(pes, 'right', ...actLinks);
  if (config.rowLoad || config.tileLoad) chain(pes, 'down', topPsum(m, config));
  else chain(pes, 'down', topPsum(m, config), { from: 'weightOut', to: 'weightIn', edge: (j) => columnWeight[j]! });
  pes.instantiate();
  deskewOutputs(m, pes, 'psumOut', (y, j) => m.output(arrayPorts.out(j), y));
  // The valid bit takes exactly the latency of the data (header, "Timing").
  m.output(arrayPorts.outValid, delayLine(m, 'validPipe', valid, arrayLatency(config)));
}

function outputStationaryGrid(m: ModuleBuilder, config: ArrayConfig, skewedAct: Value[], weight: Value[], peDef: ModuleDef): void {
  const { rows, cols } = config;
  // The weights stream too, column j skewed by j; `last` travels with the activations.
  const last = m.input(arrayPorts.last, Bool);
  const skewedWeight = weight.map((w, j) => delayLine(m, `weightSkew_${j}`, w, j));
  // One delay line serves every row: row i taps it after i stages.
  const lastTaps = [last];
  delayLine(m, 'lastSkew', last, rows - 1, (stage) => lastTaps.push(stage));
  const pes = new InstanceGrid(m, { rows, cols, module: () => peDef, name: (i, j) => `pe_${i}_${j}` });
  chain(
    pes,
    'right',
    { from: 'actOut', to: 'actIn', edge: (i) => skewedAct[i]! },
    { from: 'lastOut', to: 'lastIn', edge: (i) => lastTaps[i]! },
  );
  chain(pes, 'down', topPsum(m, config), { from: 'weightOut', to: 'weightIn', edge: (j) => skewedWeight[j]! }, {
    from: 'psumValidOut',
    to: 'psumValidIn',
    edge: () => m.constant(0, Bool),
  });
  pes.instantiate();
  deskewOutputs(m, pes, 'psumOut', (y, j) => m.output(arrayPorts.out(j), y));
  // Column 0's valid bit left the array with column 0's sum; it takes column 0's de-skew.
  m.output(arrayPorts.outValid, delayLine(m, 'validDeskew', pes.exits('down', 'psumValidOut')[0]!, cols - 1));
}

/** Partial sums enter the top of every column as zero. */
function topPsum(m: ModuleBuilder, config: ArrayConfig): ChainLink {
  return { from: 'psumOut', to: 'psumIn', edge: () => m.constant(0, peShapes(config).psum) };
}

/** Output de-skew: column j finishes j cycles after column 0, so delay it by C-1-j. */
function deskewOutputs(m: ModuleBuilder, pes: InstanceGrid, port: string, emit: (y: Value, col: number) => void): void {
  pes.exits('down', port).forEach((y, j) => emit(delayLine(m, `outDeskew_${j}`, y, pes.cols - 1 - j), j));
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
