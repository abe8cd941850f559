// The accelerator's on-chip memories (all synchronous-read, read-first DSL memories, so they map to
// block RAM and behave identically in the TS simulator, Verilator and Icarus). Names are stable: the
// runner loads the program tables with pokeMem('accel.<name>', …) and a Verilog testbench with
// $readmemh into `<top>.accel.<name>`.
//
//   imem            UInt(96)  × imemDepth       instructions (gen/accel/isa.ts)
//   pixmem          UInt(abuf address bits) × pixDepth   GEMM pixel bases (an entry is an
//                                               activation-buffer address, so it is as wide as one)
//   offmem          UInt(max(17, abuf address bits + 1)) × offDepth   GEMM reduction offsets (bit 16 =
//                                               valid; offset bits above 15 above it: isa.ts encodeOffset)
//   pmem            UInt(69)  × pmemDepth       POST parameters {bias, b, c} (UInt(72/79) with a correction
//                                               unit: + LCU code and split bound, gen/accel/isa.ts)
//   wbuf_<j>        SInt(bits) × wbufDepth      weight bank of array column j (j < C): wbuf row r = wbuf_*[r]
//   wbuf_<i>_<j>    SInt(bits) × wbufDepth/R    instead, with tile loading (weightLoad 'tile'): bank (i, j) holds
//                                               column j of the rows r with r mod R = i, at r div R
//   abuf<b>_<i>     SInt(bits) × abufDepth      activation buffer b (0/1), read copy i (i < R): array row i
//                                               reads copy i; all copies of a buffer hold the same bytes
//                                               (one write port, shared); STORE reads copy 0.
//   abuf<b>_bank<k> SInt(bits) × ceil(abufDepth/NB)   instead, with activationLayout 'banked': bank k (k < NB)
//                                               of activation buffer b holds elements a ≡ k mod NB at a / NB
//                                               (gen/accel/abuf-banks.ts).
//   accbuf_<j>      SInt(accWidth) × 2·accRows  accumulator column j; bank k occupies rows k·accRows ..
import { Bool, mux, UInt, SInt, type MemoryHandle, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';
import { offBits, paramBits, pixBits, INSTRUCTION_BITS } from './isa.js';
import { addrBits, type AccelGeometry } from './config.js';
import { abufBankWrites, abufMemoryName, abufWrite, declareAbufs, type AbufMemories } from './abuf-banks.js';

/** Power-on contents of the program tables (e.g. for a self-contained Verilator/Icarus run). */
export interface ProgramInit {
  readonly imem?: readonly bigint[];
  readonly pixmem?: readonly (number | bigint)[];
  readonly offmem?: readonly (number | bigint)[];
  readonly pmem?: readonly bigint[];
}

export interface Buffers {
  readonly imem: MemoryHandle;
  readonly pixmem: MemoryHandle;
  readonly offmem: MemoryHandle;
  readonly pmem: MemoryHandle;
  /** wbuf[j]: the bank of array column j; with tile loading wbuf[i·C + j]: bank (i, j) (memoryNames.wbufBank). */
  readonly wbuf: MemoryHandle[];
  /** abuf[b]: activation buffer b, R read copies or NB banks (gen/accel/abuf-banks.ts). */
  readonly abuf: AbufMemories[];
  /** accbuf[j]: accumulator column j, both banks. */
  readonly accbuf: MemoryHandle[];
  /** Address widths. */
  readonly aw: { readonly imem: number; readonly pix: number; readonly off: number; readonly pmem: number; readonly wbuf: number; readonly abuf: number; readonly acc: number };
}

/** Memory names, for the runner and testbenches. */
export const memoryNames = {
  imem: 'imem',
  pixmem: 'pixmem',
  offmem: 'offmem',
  pmem: 'pmem',
  wbuf: (col: number): string => `wbuf_${col}`,
  wbufBank: (row: number, col: number): string => `wbuf_${row}_${col}`,
  abuf: (buffer: number, copy: number): string => abufMemoryName(buffer, copy, false),
  abufBank: (buffer: number, bank: number): string => abufMemoryName(buffer, bank, true),
  accbuf: (col: number): string => `accbuf_${col}`,
} as const;

/** Where wbuf row `row`, column `col` lives: the memory (memoryNames) and its address (a bank of a tile-loading machine: row div R). */
export function wbufCell(g: Pick<AccelGeometry, 'rows' | 'tileLoad'>, row: number, col: number): { readonly mem: string; readonly addr: number } {
  return g.tileLoad ? { mem: memoryNames.wbufBank(row % g.rows, col), addr: Math.floor(row / g.rows) } : { mem: memoryNames.wbuf(col), addr: row };
}

/** Declare every memory of the accelerator top. */
export function declareBuffers(m: ModuleBuilder, g: AccelGeometry, init: ProgramInit = {}): Buffers {
  const { sizes } = g;
  const imem = m.memory(memoryNames.imem, { shape: UInt(INSTRUCTION_BITS), depth: sizes.imemDepth, init: init.imem });
  const pixmem = m.memory(memoryNames.pixmem, { shape: UInt(pixBits(addrBits(g.abufDepth))), depth: sizes.pixDepth, init: init.pixmem });
  const offmem = m.memory(memoryNames.offmem, { shape: UInt(offBits(addrBits(g.abufDepth))), depth: sizes.offDepth, init: init.offmem });
  const pmem = m.memory(memoryNames.pmem, { shape: UInt(paramBits(g.protection)), depth: sizes.pmemDepth, init: init.pmem });
  const wbuf = g.tileLoad
    ? Array.from({ length: g.rows * g.cols }, (_, b) => m.memory(memoryNames.wbufBank(Math.floor(b / g.cols), b % g.cols), { shape: SInt(g.bits), depth: g.wbufDepth / g.rows }))
    : Array.from({ length: g.cols }, (_, j) => m.memory(memoryNames.wbuf(j), { shape: SInt(g.bits), depth: g.wbufDepth }));
  const abuf = declareAbufs(m, g);
  const accbuf = Array.from({ length: g.cols }, (_, j) => m.memory(memoryNames.accbuf(j), { shape: SInt(g.accWidth), depth: 2 * g.accRows }));
  return {
    imem,
    pixmem,
    offmem,
    pmem,
    wbuf,
    abuf,
    accbuf,
    aw: {
      imem: addrBits(sizes.imemDepth),
      pix: addrBits(sizes.pixDepth),
      off: addrBits(sizes.offDepth),
      pmem: addrBits(sizes.pmemDepth),
      wbuf: addrBits(g.wbufDepth),
      abuf: addrBits(g.abufDepth),
      acc: addrBits(2 * g.accRows),
    },
  };
}

/**
 * One writer of an activation buffer: this cycle it writes `data` at `addr` of abuf[sel] when `en`, and on a banked
 * machine lane e of `more` writes its data at addr + 1 + e, or at its own addr, when its en (distinct banks: a LOAD's
 * DRAM word, a row of an unpooled POST through the row lanes; issue 14).
 */
export interface AbufWrite {
  readonly en: Value;
  /** 0: abuf0, 1: abuf1. */
  readonly sel: Value;
  readonly addr: Value;
  readonly data: Value;
  /** Lane e's address: addr + 1 + e when absent (consecutive), else its own (a planar POST row: addr + (e+1)·plane). */
  readonly more?: readonly { readonly en: Value; readonly data: Value; readonly addr?: Value }[];
}

/**
 * The single write port of each activation buffer, shared by the DMA (LOAD) and POST. When both
 * write the same buffer in one cycle POST wins and the DMA's byte is lost: the compiler must not let
 * a LOAD into ABUFx overlap a POST into ABUFx (isa.ts, "Hazards"). All R copies take the same write. Banked: each
 * bank takes the element of its address, POST's where both write the bank (gen/accel/abuf-banks.ts abufBankWrites).
 */
export function abufWritePorts(m: ModuleBuilder, bufs: Buffers, dma: AbufWrite, post: AbufWrite): void {
  [0, 1].forEach((b) => {
    const postHere = post.en.and(post.sel.eq(b));
    const dmaHere = dma.en.and(dma.sel.eq(b));
    const en = m.wire(`abuf${b}_we`, Bool);
    const buf = bufs.abuf[b]!;
    if (buf.banks === 1) {
      if (dma.more?.length || post.more?.length) throw new Error('abufWritePorts: several lanes need a banked activation buffer');
      en.set(postHere.or(dmaHere));
      const addr = mux(postHere, post.addr, dma.addr);
      const data = mux(postHere, post.data, dma.data);
      abufWrite(m, buf, addr, data, en);
      return;
    }
    const lanes = (w: AbufWrite, here: Value) => [{ en: here, data: w.data }, ...(w.more ?? []).map((l) => ({ en: l.en.and(w.sel.eq(b)), data: l.data, ...(l.addr ? { addr: l.addr } : {}) }))];
    const fromPost = abufBankWrites(m, buf, `abuf${b}_post`, post.addr, lanes(post, postHere));
    const fromDma = abufBankWrites(m, buf, `abuf${b}_dma`, dma.addr, lanes(dma, dmaHere));
    // abuf<b>_we: some bank writes (a named signal, a fault site of accel/fault/sites.ts); every bank's enable goes through it.
    let any: Value = m.constant(0, Bool);
    for (let k = 0; k < buf.banks; k++) any = any.or(fromPost[k]!.en.or(fromDma[k]!.en));
    en.set(any);
    buf.mems.forEach((mem, k) => {
      const p = fromPost[k]!;
      const d = fromDma[k]!;
      mem.write(mux(p.en, p.row, d.row), mux(p.en, p.data, d.data), en.and(p.en.or(d.en)));
    });
  });
}

/** Row `row` of accumulator bank `bank` as an accbuf address (bank·accRows + row, wrapping at the address width). */
export function accAddress(m: ModuleBuilder, g: AccelGeometry, bufs: Buffers, bank: Value, row: Value): Value {
  const w = bufs.aw.acc;
  const base = mux(bank, m.constant(g.accRows, UInt(w)), m.constant(0, UInt(w)));
  return base.add(row.width >= w ? row.trunc(w) : row.zext(w)).trunc(w);
}
