// The accelerator's instruction set: the contract between the compiler (accel/compiler.ts), which
// writes programs, and the controller (gen/accel/controller.ts), which executes them. Both use the
// field table below; nothing else knows the bit layout.
//
// A program is a list of 96-bit instructions in the instruction memory plus three tables, all loaded
// by $readmemh / pokeMem before reset is released:
//   pixmem  16-bit entries: the base address, in the source activation buffer, of one GEMM output
//           pixel (conv: oy*stride*W + ox*stride; fc: 0). The compiler orders the pixels (for a 2×2
//           pool, the four pixels of a window are consecutive).
//   offmem  17-bit entries, one per reduction index k: bit 16 = valid, bits 15..0 = the offset added
//           to the pixel base (conv: ci*H*W + ky*W + kx; fc: k). Invalid entries (K padded up to a
//           multiple of R) feed a zero activation. A machine whose activation buffers have more than
//           2^16 elements (A = ceil(log2(abuf elements)) > 16 address bits) has wider tables: pixmem
//           entries of A bits, offmem entries of A + 1 bits whose offset bits above 15 sit above the
//           valid bit (bits A..17 = offset bits A-1..16: encodeOffset, decodeOffset), so small machines
//           and their programs are unchanged.
//   pmem    69-bit entries (72 with a dup/tmr correction unit, 79 with a split one), one per (physical) output channel of each layer: bias (bits 68..37, int32),
//           dyadic multiplier b (bits 36..6, uint31), shift c (bits 5..0) — see accel/quant.ts — and for
//           the correction unit the channel's LCU code (bits 71..69: accel/model.ts LCU) and split bound
//           byte (bits 78..72: e and the one-sided flag, accel/protect/lcu.ts); then, on every machine since issue
//           12, the layer's output zero point z_out (int8, 8 bits right above those: bits 76..69 without a
//           correction unit, 79..72 with dup/tmr, 86..79 with split; isa.ts zeroPointLo, encodeZeroPoint).
//
// Engines. The controller issues instructions in order; LOAD/STORE go to the DMA engine, GEMM to the
// GEMM engine, POST to the post-processing engine. An instruction waits until its engine is idle, then
// starts it and the controller moves on, so engines overlap. WAIT blocks until every engine in its
// mask is idle (the GEMM engine accepts the next GEMM while the previous one still drains: WAIT can name an
// accumulator bank); HALT waits for all engines and raises `done`. Data hazards between engines are the
// compiler's business: it places WAITs.
//
// Semantics (R×C array, B = DRAM bytes per word; all addresses are word/byte indices, not bytes of a
// packed image unless stated):
//   LOAD  buf, dram, addr, count   DRAM → buffer. buf = WBUF: `count` weight rows, row r (C int8, one per
//                                  array column) taken from DRAM words dram + r*ceil(C/B) ..., byte j of
//                                  the row at byte j mod B of word j div B; written to wbuf row addr + r.
//                                  buf = ABUF0/ABUF1: `count` bytes packed B per word from word `dram`,
//                                  written to bytes addr .. addr+count-1 of that activation buffer.
//   STORE buf, dram, addr, count, fill   ABUF0/ABUF1 bytes addr .. addr+count-1 → DRAM, packed B per word
//                                  from word `dram`, the last word's remaining lanes holding `fill` (int8,
//                                  sign-extended; 0 when absent): a feature map's padding value (its zero point).
//   GEMM  src, bank, mCount, kTiles, wRow, pixAddr, offAddr, acc
//         for m < mCount, j < C:  acc[bank][m][j] = (acc ? acc[bank][m][j] : 0) + Σ_{k < kTiles·R} a(m, k) · wbuf[wRow + k][j]
//         (acc = 1 continues a sum an earlier GEMM on the same bank and rows began: a reduction split
//         over several GEMMs, when its input channels or weight rows do not fit the buffers at once)
//         a(m, k) = offmem[offAddr+k].valid ? abuf[src][pixmem[pixAddr+m] + offmem[offAddr+k].off] : 0
//         (operands signed, sums wrapping at the accumulator width).
//         gemv = 1 (GEMV, machines with weightLoad 'tile' only; issue 14): every vector reads the same input vector,
//         K tile t at pixel pixmem[pixAddr + t] with the offsets of the first K tile, and vector m has its own
//         weight tile in each K tile t:
//           acc[bank][m][j] = (acc ? … : 0) + Σ_{k < kTiles·R} g(t, k mod R) · wbuf[wRow + (t·mCount + m)·R + k mod R][j],  t = k div R
//           g(t, i) = offmem[offAddr+i].valid ? abuf[src][pixmem[pixAddr+t] + offmem[offAddr+i].off] : 0
//         i.e. an fc layer's N tiles m side by side (the tiles of K tile t at consecutive R-row slots), one
//         GEMM for the whole layer. On a tile-loading machine wRow is a multiple of R (gemv or not).
//   POST  bank, mCount, nValid, chan, dst, dstBase, plane, pool, relu, interval, lcu, window, cpool
//         for j < nValid: {bias, b, c} = pmem[chan + j];
//         v(m, j) = requantize(a(m, j) + bias, {b, c}, relu) (accel/quant.ts), a(m, j) = acc[bank][m][j];
//         pool = 0: abuf[dst][dstBase + j*plane + m] = v(m, j)
//         pool = 1: abuf[dst][dstBase + j*plane + q] = max(v(Gq..Gq+G-1, j))   G = 4·2^window rows per
//                   window (window = 0: 4, the 2×2 pool), mCount a multiple of G
//         pool = 1, cpool != 0 (column pooling; issue 14): a window's E = 4·2^window elements are Gr = E/P
//                   consecutive rows × P = 2^cpool adjacent columns; for output g < nValid ({bias, b, c} = pmem[chan + g]):
//                   abuf[dst][dstBase + g·plane + q] = max(v(Gr·q .. Gr·q+Gr-1, g·P .. g·P+P-1))
//                   (P <= E, P·nValid <= C, mCount a multiple of Gr; lcu = 1 with cpool != 0 is not allowed;
//                   cpool != 0 requires pool = 1). A packed conv's N tile puts P output pixels of each pool
//                   window × C/P channels in its columns: column g·P + p is channel g, pixel p.
//         pool = 0, window != 0 (row-major, for a GEMV's rows; issue 14): row q's column j is output q·nValid + j:
//                   {bias, b, c} = pmem[chan + q·nValid + j], written to abuf[dst][dstBase + q·nValid + j·plane]
//                   (plane = 1: the outputs of all rows consecutive)
//         requantize(z, {b, c}, zp) = clamp(round_half_up(z·b/2^c) + zp), ReLU max(·, zp) (zp = pmem[chan+j]'s
//         zero point; accel/golden.ts requantizeInt8)
//         lcu = 1 (a machine with a correction unit, config protection != none; accel/protect/lcu.ts): the
//         codes of pmem[chan + j] group the columns; a head column j of the machine's scheme takes
//         a(m, j) = lcuCombine(code, acc[m][j], acc[m][j+1], acc[m][j+2], bound), copy columns are skipped
//         and the others keep their order: j above becomes the column's index among non-copies (its
//         logical channel). A group must end below nValid. The unit loads the C codes before the rows
//         (nValid + 2 cycles), unless the previous lcu POST had the same chan. lcu = 0: as above.
//         `interval` is the number of cycles between two accumulator rows entering the lanes, chosen
//         by the compiler so that the activation buffer's write port keeps up (>= 1).
//         ring = 1 (a machine with ring addressing, config ringAddressing; issue 13): every activation
//         address wraps inside ring register ringSel {base, size} as the GEMM issues it:
//         a = pixmem[pixAddr+m] + off;  a(m, k) reads abuf[src][a >= base + size ? a - size : a]
//         (a line-buffer ring of `size` elements at `base`: a window that runs past the ring's end reads on
//         at its start; the compiler keeps a < base + 2·size).
//   RING  reg, base, size          ring register reg (0..3) = {base, size} (activation-buffer addresses);
//                                  issues at once (a GEMM takes the registers' values when it issues, so a
//                                  RING after a GEMM does not affect it). Only on a machine with ring
//                                  addressing; registers are 0 after reset.
//   WAIT  mask                     blocks until every resource of the mask is idle: bit 0 DMA, bit 1 GEMM (the
//                                  engine fully idle, its last accumulator write done), bit 2 POST, bit 3 acc
//                                  bank 0 (no GEMM on bank 0 issued and not yet drained), bit 4 acc bank 1.
//                                  (issue 14: a GEMM issues as soon as the previous one's last vector has entered
//                                  the array, so GEMMs overlap their drains; a POST of a bank waits for that bank.)
//   HALT
//
// Precisions and corner cases (settled with the hardware of gen/accel/, issue 5; the interpreter
// accel/interpret.ts implements exactly this and throws where the hardware would compute garbage):
//   Elements. "Byte" above means one operand element: int8 → P = B elements per DRAM word, int16 →
//           P = floor(B/2). Element e of a word occupies bits [e·bits, (e+1)·bits) (little-endian
//           lanes); buffers hold signed elements.
//   pixmem  entries are activation-buffer addresses, so the RTL memory is ceil(log2(abuf elements))
//           bits wide; a(m, k) reads abuf[src][(pix + off) mod 2^that width].
//   GEMM    mCount >= 1 and kTiles >= 1 (either 0: no effect); mCount <= accumulator rows per bank.
//   POST    nValid <= C; requantize(z, {b, c}) with z = acc + bias exact (no wrap), c >= 1 as in
//           accel/quant.ts, c = 0 meaning no rounding term (floor(z·b), clamped, ReLU). With pool the
//           RTL takes the max of the four accumulators (+bias) and requantizes once: identical,
//           because requantization is non-decreasing in z. The destinations of the channels must not
//           overlap (plane >= mCount, or mCount/4 with pool, when nValid > 1): the RTL writes
//           group-major. `interval` is only a minimum spacing of accumulator rows (0 acts as 1); the
//           engine paces itself to the write port (one element per cycle; a row per cycle for an unpooled
//           POST on a machine with row lanes, config postLanes, whose plane puts a row's outputs in distinct
//           banks: config.ts postUsesRowLanes), so 1 is always right.
//   Faults. The controller refuses (output `fault`, no `done`) an unknown opcode (RING on a machine
//           without ring addressing, whose GEMM ring/ringSel bits are reserved bits), nonzero bits above
//           the op's last field, a field whose value needs more bits than the memory it addresses
//           (wRow/addr vs wbuf or abuf, pixAddr, offAddr, chan, dstBase, plane, RING base/size vs abuf), LOAD buf 3,
//           STORE from WBUF, GEMM gemv = 1 on a machine without tile loading, and a GEMM wRow that is not a
//           multiple of R on one with it.
//   Hazards (the compiler's WAITs; the hardware does not check). Engines run concurrently; an
//           instruction must wait (WAIT on the other engine) when another engine's outstanding
//           instruction writes what it reads or writes, or reads what it writes. Resources: wbuf,
//           abuf0, abuf1, acc bank 0, acc bank 1, DRAM. GEMM reads wbuf and abuf[src], writes
//           acc[bank]; POST reads acc[bank], writes abuf[dst]; LOAD writes its buffer (reads DRAM);
//           STORE reads its buffer (writes DRAM). The accumulator banks are separately waitable (WAIT
//           bits 3, 4): an instruction that reads or writes acc[b] while a GEMM on bank b is outstanding waits
//           on bit 3 + b (the other engine's reads/writes of wbuf and abuf[src] still wait on the GEMM bit 1,
//           the whole engine). Consecutive GEMMs need no WAIT between them, on the same bank too (an acc = 1
//           continuation or an overwrite): the engine keeps their order, vector by vector, and a row's
//           read-modify-write of the next GEMM comes at least M + R >= 2 cycles after that of the previous one.
//           In particular a LOAD into ABUFx must not overlap a POST into ABUFx: they share the buffer's write
//           port and POST wins (on a banked machine, where LOAD and POST may write several consecutive elements
//           per cycle, POST wins each bank both write).
//           (test/support/accel-programs.ts ProgramBuilder inserts exactly these WAITs.)
//   Timing of each engine: docs/accelerator.md.

export const INSTRUCTION_BITS = 96;
export const PIX_BITS = 16;
export const OFF_BITS = 17;
export const OFF_VALID = 1 << 16;
/** pmem width without a correction unit: bias, b, c. */
export const PARAM_BITS = 69;
/** pmem width with a split correction unit: also the LCU code and split bound (dup/tmr: the code only, 72). */
export const PARAM_BITS_LCU = 79;
/** Lowest bit of the output zero point (int8, 8 bits) of a machine's pmem words: right above its other fields. */
export const zeroPointLo = (protection: string): number => (protection === 'none' ? PARAM_BITS : protection === 'split' ? PARAM_BITS_LCU : PARAM_BITS + 3);
/** The pmem width of a machine: the LCU fields exist only where the unit does, the bound only for split; then the zero point. */
export const paramBits = (protection: string): number => zeroPointLo(protection) + 8;

export const OP = { HALT: 0, LOAD: 1, STORE: 2, GEMM: 3, POST: 4, WAIT: 5, RING: 6 } as const;
export type OpName = keyof typeof OP;

export const BUF = { WBUF: 0, ABUF0: 1, ABUF1: 2 } as const;
export const WAIT_MASK = { DMA: 1, GEMM: 2, POST: 4, ACC0: 8, ACC1: 16 } as const;

/** A field: lowest bit and width. */
export interface Field {
  readonly lo: number;
  readonly width: number;
}

const f = (lo: number, width: number): Field => ({ lo, width });

/** The bit layout of every instruction (op is bits 3..0 in all of them). */
export const FIELDS = {
  op: f(0, 4),
  LOAD: { buf: f(4, 2), dram: f(6, 26), addr: f(32, 24), count: f(56, 24) },
  STORE: { buf: f(4, 2), dram: f(6, 26), addr: f(32, 24), count: f(56, 24), fill: f(80, 8) },
  GEMM: { src: f(4, 1), bank: f(5, 1), mCount: f(6, 16), kTiles: f(22, 12), wRow: f(34, 24), pixAddr: f(58, 16), offAddr: f(74, 16), acc: f(90, 1), ring: f(91, 1), ringSel: f(92, 2), gemv: f(94, 1) },
  POST: {
    bank: f(4, 1),
    pool: f(5, 1),
    relu: f(6, 1),
    nValid: f(7, 8),
    chan: f(15, 12),
    dst: f(27, 1),
    dstBase: f(28, 24),
    plane: f(52, 16),
    mCount: f(68, 16),
    interval: f(84, 5),
    cpool: f(89, 3),
    lcu: f(92, 1),
    window: f(93, 3),
  },
  WAIT: { mask: f(4, 5) },
  HALT: {},
  RING: { reg: f(4, 2), base: f(6, 24), size: f(30, 24) },
} as const;

export type Instruction =
  | { op: 'HALT' }
  | { op: 'WAIT'; mask: number }
  | { op: 'RING'; reg: number; base: number; size: number }
  | { op: 'LOAD'; buf: number; dram: number; addr: number; count: number }
  | {
      op: 'STORE';
      buf: number;
      dram: number;
      addr: number;
      count: number;
      /** The element the last word's lanes beyond `count` hold (int8 two's complement bits, sign-extended; optional, 0). */
      fill?: number;
    }
  | {
      op: 'GEMM';
      src: number;
      bank: number;
      mCount: number;
      kTiles: number;
      wRow: number;
      pixAddr: number;
      offAddr: number;
      /** 1: add to the bank's rows instead of overwriting them (K split over GEMMs; optional, 0 when absent). */
      acc?: number;
      /** 1: activation addresses wrap inside ring register ringSel (ring-addressing machines; optional, 0). */
      ring?: number;
      ringSel?: number;
      /** 1: GEMV, one weight tile per vector (tile-loading machines only; optional, 0 when absent). */
      gemv?: number;
    }
  | {
      op: 'POST';
      bank: number;
      pool: number;
      relu: number;
      nValid: number;
      chan: number;
      dst: number;
      dstBase: number;
      plane: number;
      mCount: number;
      interval: number;
      /** 1: the correction unit groups the columns (optional when encoding; 0 when absent). */
      lcu?: number;
      /** With pool = 1: the window is 4·2^window consecutive rows (optional; 0 = the 2×2 window of 4 rows). */
      window?: number;
      /** With pool = 1: log2 of the columns P pooled together per output (optional; 0 = one column per output). */
      cpool?: number;
    };

/** Fields that may be left out (0); decode leaves them out when 0, so decode(encode(ins)) equals ins. */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['lcu', 'acc', 'fill', 'window', 'cpool', 'ring', 'ringSel', 'gemv']);

/** Encode an instruction; throws a RangeError naming the field when a value does not fit. */
export function encode(ins: Instruction): bigint {
  let word = BigInt(OP[ins.op]);
  const fields = FIELDS[ins.op] as Record<string, Field>;
  for (const [name, field] of Object.entries(fields)) {
    const value = (ins as unknown as Record<string, number>)[name] ?? (OPTIONAL_FIELDS.has(name) ? 0 : undefined);
    if (value === undefined || !Number.isInteger(value) || value < 0 || value >= 2 ** field.width) {
      throw new RangeError(`${ins.op}.${name} must be an integer in 0..${2 ** field.width - 1}, not ${String(value)}`);
    }
    word |= BigInt(value) << BigInt(field.lo);
  }
  return word;
}

/** Decode an instruction word (the inverse of encode). */
export function decode(word: bigint): Instruction {
  const get = (field: Field): number => Number((word >> BigInt(field.lo)) & ((1n << BigInt(field.width)) - 1n));
  const code = get(FIELDS.op);
  const op = (Object.keys(OP) as OpName[]).find((name) => OP[name] === code);
  if (!op) throw new RangeError(`opcode ${code} is not one of ${Object.values(OP).join(', ')}`);
  const out: Record<string, number | string> = { op };
  for (const [name, field] of Object.entries(FIELDS[op] as Record<string, Field>)) {
    const value = get(field);
    if (value !== 0 || !OPTIONAL_FIELDS.has(name)) out[name] = value;
  }
  return out as unknown as Instruction;
}

/** A pmem entry: bias (int32), b (uint31), c (uint6), and for the correction unit an LCU code (uint3) and split bound (uint7). */
export function encodeParam(bias: number, b: number, c: number, lcu = 0, bound = 0): bigint {
  if (!Number.isInteger(bias) || bias < -(2 ** 31) || bias >= 2 ** 31) throw new RangeError(`bias must be an int32, not ${bias}`);
  if (!Number.isInteger(b) || b < 0 || b >= 2 ** 31) throw new RangeError(`b must be a uint31, not ${b}`);
  if (!Number.isInteger(c) || c < 0 || c >= 64) throw new RangeError(`c must be in 0..63, not ${c}`);
  if (!Number.isInteger(lcu) || lcu < 0 || lcu >= 8) throw new RangeError(`lcu code must be in 0..7, not ${lcu}`);
  if (!Number.isInteger(bound) || bound < 0 || bound >= 128) throw new RangeError(`bound must be in 0..127, not ${bound}`);
  return (BigInt(bound) << 72n) | (BigInt(lcu) << 69n) | (BigInt.asUintN(32, BigInt(bias)) << 37n) | (BigInt(b) << 6n) | BigInt(c);
}

/** Widest activation-buffer address (the 24-bit abuf address fields of LOAD/STORE/POST/RING). */
export const MAX_ABUF_BITS = 24;

/** An offmem entry: a valid offset, or the invalid (zero-activation) entry; offset bits above 15 go above the valid bit. */
export function encodeOffset(offset: number | null): number {
  if (offset === null) return 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= 2 ** MAX_ABUF_BITS) throw new RangeError(`offset must be in 0..${2 ** MAX_ABUF_BITS - 1}, not ${offset}`);
  return OFF_VALID + (offset % 2 ** 16) + Math.floor(offset / 2 ** 16) * 2 ** 17;
}

/** The offset of a valid offmem entry (the inverse of encodeOffset; check `entry & OFF_VALID` first). */
export function decodeOffset(entry: number): number {
  return (entry % 2 ** 16) + Math.floor(entry / 2 ** 17) * 2 ** 16;
}

/** Bits of a pixmem entry of a machine whose activation buffers have `abufBits` address bits (min 16 before issue 13's widening: equal there). */
export const pixBits = (abufBits: number): number => abufBits;
/** Bits of an offmem entry: 17, or abufBits + 1 for activation buffers beyond 2^16 elements. */
export const offBits = (abufBits: number): number => Math.max(OFF_BITS, abufBits + 1);

/**
 * The output zero point field of a pmem entry on a machine with this protection (OR it into encodeParam's word):
 * added after requantization, ReLU clamps at it (accel/golden.ts requantizeInt8).
 */
export function encodeZeroPoint(zeroPoint: number, protection: string): bigint {
  if (!Number.isInteger(zeroPoint) || zeroPoint < -128 || zeroPoint > 127) throw new RangeError(`zero point must be an int8, not ${zeroPoint}`);
  return BigInt.asUintN(8, BigInt(zeroPoint)) << BigInt(zeroPointLo(protection));
}
