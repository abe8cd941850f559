// The activation buffers' read and write ports, in both layouts (config activationLayout; issue 14).
//
//   copies (abufBanks = 1)  R identical read copies abuf<b>_<i> of abufDepth elements: array row i reads copy i,
//                           every write goes to all copies, STORE reads copy 0. R·abufDepth elements per buffer.
//   banked (abufBanks = NB) NB banks abuf<b>_bank<k> of ceil(abufDepth / NB) elements: element a lives in bank
//                           a mod NB at row a / NB, so the buffer holds each element once. NB = the power of two
//                           >= 2R: a K tile's R offsets are spread over twice as many banks as rows, so the
//                           compiler's reorder (accel/compiler/banks.ts) rarely needs an extra tile.
//
// GEMM reads (stage 1 of gen/accel/gemm-engine.ts): one address per array row, a_i = pix + off_i, valid_i. Bank k
// reads at the row address of the valid row whose a_i mod NB = k (a one-hot OR: the compiler guarantees at most
// one, accel/interpret.ts refuses a program where two collide); the bank index of every row is registered with
// the read, and in the next cycle row i takes the output of bank (a_i mod NB). The data arrive in the same cycle
// as a copy's would, so the pipeline and every cycle count are those of the copies.
// Writes (DMA LOAD, POST: one element per cycle; or several lanes, abufBankWrites) enable the one bank a mod NB. A bank has one read port (so it
// maps to one block RAM: one write and one read port), shared by the GEMM and the DMA's STORE: a bank of buffer b
// reads at the GEMM's row address while a GEMM vector reads b (stage 1), else at the STORE's address / NB; the
// STORE takes bank (address mod NB) a cycle later, and waits (stalls) in the cycles a GEMM vector reads its
// buffer. A wide STORE (P <= NB lanes, issue 14) reads P consecutive elements at once: bank k at the row of element
// addr + ((k − addr) mod NB), lane e from bank (addr + e) mod NB. With read copies the STORE keeps its own read port
// on copy 0, one element per cycle, and never waits.
// Writes with lanes of their own addresses (a planar POST row through the row lanes, addr + e·plane): each bank takes
// the lane whose address falls in it (abufBankWrites).
import { Bool, mux, UInt, SInt, type MemoryHandle, type ModuleBuilder, type Signal, type Value } from '../../hdl/dsl/index.js';
import { addrBits, fitU, type AccelGeometry } from './config.js';

/** The memories of one activation buffer: R copies (banks = 1) or NB banks. */
export interface AbufMemories {
  readonly mems: MemoryHandle[];
  /** 1: mems are read copies; NB > 1: mems are banks. */
  readonly banks: number;
}

/** Memory names of activation buffer `buffer`: read copy i (copies) or bank k (banked). */
export const abufMemoryName = (buffer: number, index: number, banked: boolean): string => (banked ? `abuf${buffer}_bank${index}` : `abuf${buffer}_${index}`);

/** Elements per memory of an activation buffer: abufDepth (copies) or ceil(abufDepth / NB) (banked). */
export const abufMemoryDepth = (g: Pick<AccelGeometry, 'abufDepth' | 'abufBanks'>): number => Math.ceil(g.abufDepth / g.abufBanks);

/** Memories per activation buffer: R copies or NB banks. */
export const abufMemoryCount = (g: Pick<AccelGeometry, 'rows' | 'abufBanks'>): number => (g.abufBanks > 1 ? g.abufBanks : g.rows);

/** Declare activation buffers 0 and 1. */
export function declareAbufs(m: ModuleBuilder, g: AccelGeometry): AbufMemories[] {
  const banked = g.abufBanks > 1;
  return [0, 1].map((b) => ({
    banks: g.abufBanks,
    mems: Array.from({ length: abufMemoryCount(g) }, (_, i) => m.memory(abufMemoryName(b, i, banked), { shape: SInt(g.bits), depth: abufMemoryDepth(g) })),
  }));
}

const bankBits = (banks: number): number => Math.log2(banks);

/** Bank (low bits) and row address (the rest) of an element address. */
function split(m: ModuleBuilder, addr: Value, banks: number, rowBits: number): { bank: Value; row: Value } {
  const lg = bankBits(banks);
  return { bank: fitU(addr, Math.max(addr.width, lg)).slice(0, lg), row: addr.width > lg ? fitU(addr.shr(lg), rowBits) : m.constant(0, UInt(rowBits)) };
}

/** Write `data` at element `addr` of the buffer when `en` (every copy, or the one bank). */
export function abufWrite(m: ModuleBuilder, buf: AbufMemories, addr: Value, data: Value, en: Value): void {
  if (buf.banks === 1) {
    for (const copy of buf.mems) copy.write(addr, data, en);
    return;
  }
  const { bank, row: rowAddr } = split(m, addr, buf.banks, addrBits(buf.mems[0]!.depth));
  buf.mems.forEach((mem, k) => mem.write(rowAddr, data, en.and(bank.eq(k))));
}

/**
 * Consecutive elements addr, addr + 1, … over NB banks: bank k holds element addr + d, d = (k − addr) mod NB, at row
 * (addr + d) / NB (a rotation of the lanes by the address's bank; wide writes and the wide STORE read).
 */
function rotatedLane(m: ModuleBuilder, addr: Value, k: number, banks: number, rowBits: number): { d: Value; row: Value } {
  const lg = bankBits(banks);
  const w = Math.max(addr.width, lg) + 1;
  const wideAddr = fitU(addr, w);
  const d = m.constant(k + banks, UInt(lg + 1)).sub(wideAddr.slice(0, lg).zext(lg + 1)).trunc(lg).asUnsigned();
  return { d, row: fitU(wideAddr.add(d.zext(w)).trunc(w).shr(lg), rowBits) };
}

/** One bank's write this cycle: `data` at row `row` when `en`. */
export interface BankWrite {
  readonly en: Value;
  readonly row: Value;
  readonly data: Value;
}

/**
 * A write of several elements into a banked buffer, per bank: lane e (en, data) writes element addr + e, or its own
 * addr when lanes carry one.
 * With L <= NB lanes the L addresses fall in distinct banks: bank k takes lane d = (k − addr) mod NB
 * (when d < L) at row (addr + d) / NB — a rotation of the lanes by the address's bank. Lanes past the buffer (an
 * invalid program: the interpreter refuses it) write garbage rows.
 */
export function abufBankWrites(m: ModuleBuilder, buf: AbufMemories, name: string, addr: Value, lanes: readonly { readonly en: Value; readonly data: Value; readonly addr?: Value }[]): BankWrite[] {
  const NB = buf.banks;
  const lg = bankBits(NB);
  const rowBits = addrBits(buf.mems[0]!.depth);
  if (lanes.length > NB) throw new RangeError(`abufBankWrites: ${lanes.length} lanes need at least as many banks, not ${NB}`);
  if (lanes.length === 1) {
    const { bank, row } = split(m, addr, NB, rowBits);
    return buf.mems.map((_, k) => ({ en: lanes[0]!.en.and(bank.eq(k)), row, data: lanes[0]!.data }));
  }
  if (lanes.some((l, e) => e > 0 && l.addr)) {
    // Lanes with addresses of their own (a planar POST row, addr + e·plane): bank k takes the lane whose address is in
    // it (a one-hot choice: the POST engine uses its lanes only where the addresses hit distinct banks).
    const parts = lanes.map((l, e) => split(m, e === 0 ? addr : l.addr!, NB, rowBits));
    return buf.mems.map((_, k) => {
      let en: Value = m.constant(0, Bool);
      let row: Value = parts[0]!.row;
      let data: Value = lanes[0]!.data;
      lanes.forEach((l, e) => {
        const hit = l.en.and(parts[e]!.bank.eq(k));
        en = en.or(hit);
        if (e > 0) {
          row = mux(hit, parts[e]!.row, row);
          data = mux(hit, l.data, data);
        }
      });
      return { en: m.wire(`${name}_bank${k}_we`, en), row, data };
    });
  }
  return buf.mems.map((_, k) => {
    const { d, row } = rotatedLane(m, addr, k, NB, rowBits);
    let en: Value = lanes[0]!.en;
    let data: Value = lanes[0]!.data;
    for (let e = 1; e < lanes.length; e++) {
      en = mux(d.eq(e), lanes[e]!.en, en);
      data = mux(d.eq(e), lanes[e]!.data, data);
    }
    const here = lanes.length === NB ? en : d.lt(lanes.length).and(en);
    return { en: m.wire(`${name}_bank${k}_we`, here), row, data };
  });
}

/** A STORE read of banked buffers waiting for abufRowReads to give it the bank ports (see the header). */
interface StoreRequest {
  readonly name: string;
  readonly addr: Value;
  /** Which buffer (0: abuf0, 1: abuf1). */
  readonly sel: Value;
  /** Per buffer, lane e: element addr + e (lanes consecutive elements, distinct banks). */
  readonly q: readonly [Signal[], Signal[]];
  readonly stall: Signal;
}

/** One pending STORE request per accelerator's buffers (the DMA is built before the GEMM engine). */
const storeRequests = new WeakMap<readonly AbufMemories[], StoreRequest>();

/**
 * The DMA's STORE read of buffer `sel` at element `addr`: `elems[e]` is element addr + e one cycle after a cycle
 * without `stall` (null: never stalls). Copies: copy 0's own read port (`<name>_q0`, `<name>_q1`), one lane. Banked: the
 * banks' shared ports, driven by abufRowReads, which must be called for the same buffers; `lanes` <= NB consecutive
 * elements lie in distinct banks, so a wide STORE (issue 14) reads them in one cycle: bank k reads element addr + d,
 * d = (k − addr) mod NB, and lane e takes bank (addr + e) mod NB a cycle later.
 */
export function abufStoreRead(m: ModuleBuilder, bufs: readonly AbufMemories[], name: string, sel: Value, addr: Value, lanes = 1): { elems: Value[]; stall: Value | null } {
  if (bufs[0]!.banks === 1) {
    if (lanes !== 1) throw new RangeError('abufStoreRead: several lanes need banked activation buffers');
    const q0 = bufs[0]!.mems[0]!.read(`${name}_q0`, addr);
    const q1 = bufs[1]!.mems[0]!.read(`${name}_q1`, addr);
    return { elems: [mux(sel, q1, q0)], stall: null };
  }
  if (lanes > bufs[0]!.banks) throw new RangeError(`abufStoreRead: ${lanes} lanes need at least as many banks, not ${bufs[0]!.banks}`);
  const shape = bufs[0]!.mems[0]!.shape;
  const wires = (b: number): Signal[] => Array.from({ length: lanes }, (_, e) => m.wire(e === 0 ? `${name}_q${b}` : `${name}_q${b}_${e}`, shape));
  const q: [Signal[], Signal[]] = [wires(0), wires(1)];
  const stall = m.wire(`${name}_storeStall`, Bool);
  storeRequests.set(bufs, { name, addr, sel, q, stall });
  return { elems: q[0].map((q0, e) => mux(sel, q[1][e]!, q0)), stall };
}

/** One array row's activation read: its element address and whether it reads at all (a valid offset). */
export interface RowRead {
  readonly addr: Value;
  readonly valid: Value;
}

/**
 * The R reads of one GEMM vector from both buffers: row i's element of buffer 0 and 1, one cycle after `rows`
 * (copies: copy i at a_i; banked: see the header). Rows whose address shares a bank with another valid row read
 * garbage: the compiler never issues such a K tile. `use` says when the GEMM reads which buffer (a vector in this
 * stage, from buffer `src`): the other cycles and the other buffer's banks serve a pending STORE (abufStoreRead).
 */
export function abufRowReads(m: ModuleBuilder, prefix: string, bufs: readonly AbufMemories[], rows: readonly RowRead[], use: { readonly src: Value; readonly valid: Value }): { q0: Value; q1: Value }[] {
  const banks = bufs[0]!.banks;
  if (banks === 1) return rows.map(({ addr }, i) => ({ q0: bufs[0]!.mems[i]!.read(`${prefix}_a0_${i}`, addr), q1: bufs[1]!.mems[i]!.read(`${prefix}_a1_${i}`, addr) }));
  const lg = bankBits(banks);
  const rowBits = addrBits(bufs[0]!.mems[0]!.depth);
  const parts = rows.map(({ addr }) => split(m, addr, banks, rowBits));
  const bankOf = parts.map((p) => p.bank);
  // Bank k's row address: the one-hot OR over the rows that read it.
  const bankAddr = Array.from({ length: banks }, (_, k) => {
    let a: Value = m.constant(0, UInt(rowBits));
    rows.forEach(({ valid }, i) => {
      a = a.or(mux(valid.and(bankOf[i]!.eq(k)), parts[i]!.row, 0));
    });
    return m.wire(`${prefix}_bankAddr_${k}`, a);
  });
  const store = storeRequests.get(bufs);
  storeRequests.delete(bufs);
  let q: Value[][];
  if (store) {
    // One read port per bank: the GEMM's address while a vector reads this buffer, else the STORE's (bank k: element
    // addr + d, d = (k − addr) mod NB, the lane a wide STORE puts there; with one lane, addr's row).
    const L = store.q[0].length;
    const { bank: storeBank, row: storeRow } = split(m, store.addr, banks, rowBits);
    const storeRows = Array.from({ length: banks }, (_, k) => (L === 1 ? storeRow : rotatedLane(m, store.addr, k, banks, rowBits).row));
    const gemmHere = [m.wire(`${prefix}_reads0`, use.valid.and(use.src.not())), m.wire(`${prefix}_reads1`, use.valid.and(use.src))];
    q = [0, 1].map((b) => bankAddr.map((a, k) => bufs[b]!.mems[k]!.read(`${prefix}_a${b}_bank${k}`, mux(gemmHere[b]!, a, storeRows[k]!))));
    const storeSel = m.reg(`${store.name}_bankSel`, UInt(lg), { reset: 0 });
    storeSel.set(storeBank);
    store.q.forEach((wires, b) => wires.forEach((wire, e) => wire.set(selectBank(q[b]!, e === 0 ? storeSel : storeSel.add(e).trunc(lg)))));
    store.stall.set(mux(store.sel, gemmHere[1]!, gemmHere[0]!));
  } else q = [0, 1].map((b) => bankAddr.map((a, k) => bufs[b]!.mems[k]!.read(`${prefix}_a${b}_bank${k}`, a)));
  return bankOf.map((bank, i) => {
    const sel = m.reg(`${prefix}_bankSel_${i}`, UInt(lg), { reset: 0 });
    sel.set(bank);
    return { q0: selectBank(q[0]!, sel), q1: selectBank(q[1]!, sel) };
  });
}

/** qs[sel] as a balanced mux tree on the bits of sel (NB is a power of two). */
function selectBank(qs: readonly Value[], sel: Value): Value {
  let level = [...qs];
  for (let bit = 0; level.length > 1; bit++) {
    const s = sel.bit(bit);
    level = Array.from({ length: level.length / 2 }, (_, j) => mux(s, level[2 * j + 1]!, level[2 * j]!));
  }
  return level[0]!;
}



/** Where element `addr` of an activation buffer lives: memory index (copy 0 or bank) and word (for peek/poke). */
export function abufLocation(g: Pick<AccelGeometry, 'abufBanks'>, addr: number): { index: number; word: number } {
  return g.abufBanks > 1 ? { index: addr % g.abufBanks, word: Math.floor(addr / g.abufBanks) } : { index: 0, word: addr };
}
