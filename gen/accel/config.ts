// The accelerator's structural configuration as the hardware sees it, and the geometry derived from
// it (memory depths, address widths, DRAM word layout). gen/ must not import accel/, so this is a
// small structural interface: accel/config.ts's AccelConfig satisfies it as it is (extra fields are
// ignored), and so does any object with these fields.
import { cat, UInt, SInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';

/** The fields of accel/config.ts's AccelConfig the hardware needs. */
export interface AccelHardwareConfig {
  /** Array rows R: the reduction slice of one K tile. */
  readonly rows: number;
  /** Array columns C: output channels computed at once. */
  readonly cols: number;
  /** Operand type: activations and weights are signed `bits`-bit elements. */
  readonly dtype: 'int8' | 'int16';
  /** Accumulator width (partial sums wrap modulo 2^accWidth). */
  readonly accWidth: number;
  /** Double-buffered PE weights (gen/array.ts): tile t+1 loads while tile t streams. */
  readonly doubleBuffer: boolean;
  /**
   * How a K tile's weight rows enter the array (issue 14): 'shift' (absent) down the columns, a tile every
   * max(M, 2R-1) cycles; 'row' into one addressed row per cycle, every max(M, R) (double-buffered arrays; a
   * single-buffered array shifts either way); 'tile' a whole R×C tile per cycle from R·C weight banks, same
   * timing as 'row' plus the GEMV path (isa.ts GEMM gemv; R a power of two, other R load by row).
   */
  readonly weightLoad?: 'shift' | 'row' | 'tile';
  /**
   * Activation buffers (issue 14): 'copies' (absent) keeps R identical read copies of each; 'banked' one copy in
   * abufBanks address-interleaved banks (gen/accel/abuf-banks.ts).
   */
  readonly activationLayout?: 'copies' | 'banked';
  /**
   * Requantization lanes of the POST engine (issue 14): 'one' (absent) serializes every output through one lane;
   * 'columns' adds a lane per array column, used by row-major POSTs with plane = 1 (a GEMV's rows) to write a row's
   * nValid consecutive outputs in one cycle. Only on banked machines with C <= NB (a row's outputs in distinct banks)
   * and without a correction unit (its POSTs group columns; protected fc layers are not GEMVs); elsewhere it is 'one'.
   * Costs C − 1 requantizers (DSPs) and C − 1 more pmem read ports.
   */
  readonly postLanes?: 'one' | 'columns';
  readonly weightBufferBytes: number;
  readonly activationBufferBytes: number;
  readonly accumulatorBufferBytes: number;
  /** Cycles from a DRAM read request to its data. */
  readonly dramLatency: number;
  /** Bytes per DRAM word (one word per cycle): B. */
  readonly dramBytesPerCycle: number;
  /** Correction unit in the POST path (gen/protect/lcu.ts) for protected models; absent or 'none': no unit. */
  readonly protection?: 'none' | 'split' | 'dup' | 'tmr';
  /** Ring (modulo) addressing of GEMM activation reads: the RING instruction and GEMM ring fields (issue 13; absent: off). */
  readonly ringAddressing?: boolean;
}

/** Depths of the program tables and of the simulated DRAM (parameters of the instance, not of the config). */
export interface AccelSizes {
  /** Instructions (96-bit words). */
  readonly imemDepth: number;
  /** pixmem entries (16 bits). */
  readonly pixDepth: number;
  /** offmem entries (17 bits). */
  readonly offDepth: number;
  /** pmem entries (69 bits; 72 or 79 with a correction unit). */
  readonly pmemDepth: number;
  /** DRAM words of the simulation top's DRAM model (accelSimTop only). */
  readonly dramWords: number;
}

/** Everything the generators derive from a configuration and sizes. */
export interface AccelGeometry {
  readonly rows: number;
  readonly cols: number;
  /** Operand width (8 or 16). */
  readonly bits: 8 | 16;
  readonly accWidth: number;
  readonly doubleBuffer: boolean;
  /** Row-addressed weight loading (config weightLoad 'row'; gen/array.ts rowLoad). */
  readonly rowLoad: boolean;
  /** Ring addressing (config ringAddressing): ring registers and the GEMM's address wrap (gen/accel/ring.ts). */
  readonly ring: boolean;
  /**
   * Whole-tile weight loading (config weightLoad 'tile'; gen/array.ts tileLoad): the wbuf is R·C banks, row r of
   * column j in bank (r mod R, j) at r div R (R a power of two), so an R-aligned tile is read in one cycle.
   */
  readonly tileLoad: boolean;
  /** The correction unit's scheme, 'none' without one. */
  readonly protection: 'none' | 'split' | 'dup' | 'tmr';
  readonly dramLatency: number;
  /** Bits of one DRAM word: 8·B. */
  readonly wordBits: number;
  /** Elements per DRAM word: P = floor(B / bytes per element) (B for int8). */
  readonly elemsPerWord: number;
  /** DRAM words per weight row: ceil(C / P). */
  readonly wordsPerWeightRow: number;
  /** Rows of the weight buffer: weightBufferBytes / (C · bytes per element). */
  readonly wbufDepth: number;
  /** Elements of each activation buffer (abuf0, abuf1): activationBufferBytes / 2 / bytes per element. */
  readonly abufDepth: number;
  /**
   * Banks of each activation buffer: 1 = R read copies (activationLayout 'copies'); banked, NB = the power of two
   * >= 2R (element a in bank a mod NB at row a / NB; two rows of one K tile must read different banks).
   */
  readonly abufBanks: number;
  /**
   * Elements a LOAD ABUF writes per cycle: P (a whole DRAM word) on a banked machine with 1 < P <= NB (P consecutive
   * addresses hit P distinct banks), else 1 (gen/accel/dma.ts).
   */
  readonly loadLanes: number;
  /** Requantization lanes of the POST engine: C with config postLanes 'columns' on a banked machine with C <= NB and protection none, else 1. */
  readonly postLanes: number;
  /** Rows of each accumulator bank: accumulatorBufferBytes / (2 · C · ceil(accWidth / 8)). */
  readonly accRows: number;
  readonly sizes: AccelSizes;
}

/** Width of a DRAM word address (the ISA's `dram` field). */
export const DRAM_ADDR_BITS = 26;

/** Derive the geometry; throws a RangeError naming the field when the configuration cannot be built. */
export function accelGeometry(config: AccelHardwareConfig, sizes: AccelSizes): AccelGeometry {
  const bits = config.dtype === 'int16' ? 16 : 8;
  const elemBytes = bits / 8;
  const { rows, cols } = config;
  const wordBits = 8 * config.dramBytesPerCycle;
  const elemsPerWord = Math.floor(config.dramBytesPerCycle / elemBytes);
  const check = (what: string, ok: boolean, expected: string, found: unknown): void => {
    if (!ok) throw new RangeError(`${what} must be ${expected}, not ${String(found)}`);
  };
  check('Array rows', Number.isInteger(rows) && rows >= 1 && rows <= 64, 'an integer in 1..64', rows);
  check('Array cols', Number.isInteger(cols) && cols >= 1 && cols <= 64, 'an integer in 1..64', cols);
  check('dramBytesPerCycle', wordBits <= 128 && elemsPerWord >= 1, `in ${elemBytes}..16 (a DRAM word is at most 128 bits)`, config.dramBytesPerCycle);
  check('accWidth', config.accWidth >= 2 * bits + 1 && config.accWidth <= 64, `in ${2 * bits + 1}..64`, config.accWidth);
  check('dramLatency', Number.isInteger(config.dramLatency) && config.dramLatency >= 1, 'an integer >= 1', config.dramLatency);
  // Row loading writes the shadow weights: a single-buffered array shifts whatever weightLoad says.
  // Tile loading banks the wbuf by the low bits of the row: R a power of two; other R load by row.
  const pow2 = (rows & (rows - 1)) === 0;
  const tileLoad = config.weightLoad === 'tile' && config.doubleBuffer && pow2;
  const rowLoad = (config.weightLoad === 'row' || (config.weightLoad === 'tile' && !pow2)) && config.doubleBuffer;
  // Tile loading: whole tiles of R rows per bank address (the same total bits, rounded down to a multiple of R).
  const rowsOfBuffer = Math.floor(config.weightBufferBytes / (cols * elemBytes));
  const wbufDepth = tileLoad ? rows * Math.floor(rowsOfBuffer / rows) : rowsOfBuffer;
  const abufDepth = Math.floor(config.activationBufferBytes / 2 / elemBytes);
  const accRows = Math.floor(config.accumulatorBufferBytes / (2 * cols * Math.ceil(config.accWidth / 8)));
  check('weightBufferBytes', wbufDepth >= rows, `at least R·C elements (${rows * cols * elemBytes} bytes)`, config.weightBufferBytes);
  check('activationBufferBytes', abufDepth >= 2, 'at least 4 elements', config.activationBufferBytes);
  check('accumulatorBufferBytes', accRows >= 4, `at least 4 rows per bank (${8 * cols * Math.ceil(config.accWidth / 8)} bytes)`, config.accumulatorBufferBytes);
  const abufBanks = config.activationLayout === 'banked' ? abufBankCount(rows) : 1;
  for (const [k, v] of Object.entries(sizes)) check(`Size ${k}`, Number.isInteger(v) && v >= 1 && v <= 1 << DRAM_ADDR_BITS, `an integer in 1..2^${DRAM_ADDR_BITS}`, v);
  check('Size pixDepth', sizes.pixDepth <= 1 << 16, 'at most 65536 (pixAddr is 16 bits)', sizes.pixDepth);
  check('Size offDepth', sizes.offDepth <= 1 << 16, 'at most 65536 (offAddr is 16 bits)', sizes.offDepth);
  check('Size pmemDepth', sizes.pmemDepth <= 1 << 12, 'at most 4096 (chan is 12 bits)', sizes.pmemDepth);
  return {
    rows,
    cols,
    bits,
    accWidth: config.accWidth,
    doubleBuffer: config.doubleBuffer,
    rowLoad,
    ring: config.ringAddressing === true,
    tileLoad,
    protection: config.protection ?? 'none',
    dramLatency: config.dramLatency,
    wordBits,
    elemsPerWord,
    wordsPerWeightRow: Math.ceil(cols / elemsPerWord),
    wbufDepth,
    abufDepth,
    abufBanks,
    loadLanes: abufBanks > 1 && elemsPerWord > 1 && elemsPerWord <= abufBanks ? elemsPerWord : 1,
    postLanes: abufBanks > 1 && config.postLanes === 'columns' && cols > 1 && cols <= abufBanks && (config.protection ?? 'none') === 'none' ? cols : 1,
    accRows,
    sizes,
  };
}

/** Banks of a banked activation buffer for an array of R rows: the power of two >= 2R. */
export function abufBankCount(rows: number): number {
  return 1 << Math.ceil(Math.log2(2 * rows));
}

/** ceil(log2(depth)), at least 1: the address width of a memory of this depth (hdl/ir addrWidth). */
export function addrBits(depth: number): number {
  return Math.max(1, Math.ceil(Math.log2(depth)));
}

/** An unsigned constant of exactly `width` bits. */
export function uconst(m: ModuleBuilder, value: number, width: number): Value {
  return m.constant(value, UInt(width));
}

/** `v` (unsigned) brought to exactly `width` bits: truncated or zero-extended. */
export function fitU(v: Value, width: number): Value {
  return v.width >= width ? v.asUnsigned().trunc(width) : v.asUnsigned().zext(width);
}

/** A wbuf row index → the address of its tile in the weight banks of a tile-loading machine: row div R (R a power of two). */
export function tileAddress(m: ModuleBuilder, row: Value, g: AccelGeometry): Value {
  const rBits = Math.log2(g.rows);
  const width = addrBits(g.wbufDepth / g.rows);
  return row.width > rBits ? fitU(row.slice(rBits, row.width - rBits), width) : m.constant(0, UInt(width));
}

/** The signed operand shape. */
export const operandShape = (g: AccelGeometry) => SInt(g.bits);

/**
 * `v` as named 32-bit wires `<name>_w<k>` (the last one narrower when the width is not a multiple of
 * 32). Wide values (a 96-bit instruction, a 64-bit DRAM word) are then sliced from 32-bit pieces, so
 * the compiled simulator takes its fast integer path instead of BigInt arithmetic in every cycle.
 */
export function splitWords(m: ModuleBuilder, name: string, v: Value): Value[] {
  const words: Value[] = [];
  for (let lo = 0, k = 0; lo < v.width; lo += 32, k++) words.push(m.wire(`${name}_w${k}`, v.slice(lo, Math.min(32, v.width - lo))));
  return words;
}

/** Bits [lo, lo + width) of the value split by splitWords. */
export function sliceWords(words: readonly Value[], lo: number, width: number): Value {
  const parts: Value[] = [];
  for (let bit = lo; bit < lo + width; ) {
    const k = Math.floor(bit / 32);
    const off = bit - 32 * k;
    const n = Math.min(32 - off, lo + width - bit, words[k]!.width - off);
    parts.unshift(words[k]!.slice(off, n));
    bit += n;
  }
  return parts.length === 1 ? parts[0]! : cat(...parts);
}

/** Whether any of bits [lo, lo + width) of a split value is set (without assembling them). */
export function anyBits(words: readonly Value[], lo: number, width: number): Value {
  let any: Value | null = null;
  for (let bit = lo; bit < lo + width; ) {
    const k = Math.floor(bit / 32);
    const off = bit - 32 * k;
    const n = Math.min(32 - off, lo + width - bit, words[k]!.width - off);
    const part = words[k]!.slice(off, n).orR();
    any = any ? any.or(part) : part;
    bit += n;
  }
  return any!;
}

/**
 * Low bits of a POST's plane that tell whether its row lanes apply (issue 14): the nValid <= C outputs of a row,
 * base + j·plane, lie in distinct banks of NB iff plane = 2^v·odd with v <= log2(NB) − ceil(log2 C), i.e. iff
 * plane mod 2^(log2(NB) − ceil(log2 C) + 1) != 0. The mask 2^(…) − 1; 0 on a machine without row lanes.
 */
export function postLanePlaneMask(g: Pick<AccelGeometry, 'postLanes' | 'abufBanks' | 'cols'>): number {
  if (g.postLanes <= 1) return 0;
  return (1 << (Math.log2(g.abufBanks) - Math.ceil(Math.log2(g.cols)) + 1)) - 1;
}

/**
 * Whether a POST writes each row's outputs in one cycle through the row lanes (g.postLanes = C; issue 14): an unpooled
 * POST (row-major or planar) whose plane spreads a row's outputs base + j·plane over distinct banks (postLanePlaneMask).
 */
export function postUsesRowLanes(g: Pick<AccelGeometry, 'postLanes' | 'abufBanks' | 'cols'>, ins: { readonly pool: number; readonly plane: number }): boolean {
  return g.postLanes > 1 && !ins.pool && (ins.plane & postLanePlaneMask(g)) !== 0;
}
