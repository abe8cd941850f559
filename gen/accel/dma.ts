// The DMA engine: LOAD (DRAM → wbuf or an activation buffer) and STORE (activation buffer → DRAM),
// one instruction at a time, over the top's DRAM master interface.
//
// DRAM interface (the simulation top connects gen/dram.ts's model to it with one-word requests)
//   dram_rd_req / dram_rd_addr      a read of one word, issued in this cycle
//   dram_rd_valid / dram_rd_data    the word of a request, dramLatency cycles after it, in request order
//   dram_wr_en / dram_wr_addr / dram_wr_data   a write of one word at this cycle's edge
// Element e of a word (P = elements per word) occupies bits [e·bits, (e+1)·bits): little-endian lanes.
//
// Timing (busy from the cycle after the start edge)
//   LOAD WBUF  requests the count·ceil(C/P) words back to back, one per cycle; every returning word is
//              written straight into its P banks (bank j takes lane j mod P of word j div P of the row),
//              so the transfer takes count·ceil(C/P) + dramLatency + 1 cycles.
//   LOAD ABUF  with read copies (or P > NB banks) the buffer's write port takes one element per cycle, so
//              words are requested one every P cycles and unpacked into P consecutive writes: about
//              count + dramLatency + 1 cycles. On a banked machine with P <= NB (g.loadLanes = P, the presets;
//              issue 14) the words are requested back to back and each word's P lanes are written as it
//              arrives, in one cycle: its P consecutive addresses addr + w·P + e lie in P distinct banks, at
//              any alignment of addr (abuf-banks.ts abufBankWrites rotates the lanes to their banks); lanes
//              past `count` in the last word are not written. ceil(count/P) + dramLatency + 1 cycles, like
//              LOAD WBUF; cnt_abuf_wr still counts elements.
//   STORE      reads one element per cycle from copy 0, packs P per word and writes each full word (the
//              last one padded with the instruction's fill element): count + 2 cycles. On a banked machine with
//              P <= NB (g.loadLanes = P; issue 14) it reads a word's P consecutive elements rdAddr .. rdAddr + P − 1
//              (P distinct banks, any alignment: abuf-banks.ts abufStoreRead) in one cycle and writes the word in
//              the next: ceil(count/P) + 2 cycles. Either way a cycle in which a GEMM vector reads the buffer is a
//              stall (the banks' one read port).
import { Bool, cat, mux, UInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';
import { BUF } from './isa.js';
import { DRAM_ADDR_BITS, fitU, sliceWords, splitWords, tileAddress, type AccelGeometry } from './config.js';
import type { AbufWrite, Buffers } from './buffers.js';
import { abufStoreRead } from './abuf-banks.js';
import type { Controller } from './controller.js';
import type { Counters } from './counters.js';

export interface DramMaster {
  readonly rdReq: Value;
  readonly rdAddr: Value;
  readonly wrEn: Value;
  readonly wrAddr: Value;
  readonly wrData: Value;
}

export interface Dma {
  readonly busy: Value;
  readonly dram: DramMaster;
  readonly abufWrite: AbufWrite;
}

const COUNT_BITS = 24;

/** Build the DMA engine. `rdValid`/`rdData` come from the DRAM. */
export function buildDma(m: ModuleBuilder, g: AccelGeometry, bufs: Buffers, ctl: Controller, rdValid: Value, rdData: Value, counters: Counters): Dma {
  const P = g.elemsPerWord;
  const W = g.wordsPerWeightRow;
  const dec = ctl.decoder;
  // Fields (LOAD and STORE share the layout).
  const fBuf = dec.field('LOAD', 'buf');
  const fDram = dec.field('LOAD', 'dram');
  const fAddr = dec.field('LOAD', 'addr');
  const fCount = dec.field('LOAD', 'count');
  // The addr field must fit the buffer it names: wbuf rows or activation-buffer elements.
  const wide = Math.max(bufs.aw.wbuf, bufs.aw.abuf);
  dec.fit('LOAD', 'addr', wide);
  dec.fit('STORE', 'addr', bufs.aw.abuf);
  // buf 3 does not exist, and STORE reads activation buffers only.
  dec.forbid('LOAD', fBuf.eq(3));
  dec.forbid('STORE', fBuf.eq(3).or(fBuf.eq(BUF.WBUF)));

  const active = m.reg('dma_active', Bool, { reset: 0 });
  const modeW = m.reg('dma_loadW', Bool, { reset: 0 }); // LOAD WBUF
  const modeA = m.reg('dma_loadA', Bool, { reset: 0 }); // LOAD ABUF
  const modeS = m.reg('dma_store', Bool, { reset: 0 }); // STORE
  const sel = m.reg('dma_sel', Bool, { reset: 0 }); // 0 abuf0, 1 abuf1
  const start = ctl.startDma;
  const isW = fBuf.eq(BUF.WBUF);

  // ---- request side: reqLeft words from reqAddr, paced every P cycles for LOAD ABUF ----
  const reqBits = COUNT_BITS + Math.ceil(Math.log2(W + 1));
  const reqLeft = m.reg('dma_reqLeft', UInt(reqBits), { reset: 0 });
  const reqAddr = m.reg('dma_reqAddr', UInt(DRAM_ADDR_BITS), { reset: 0 });
  const paceBits = Math.max(1, Math.ceil(Math.log2(P)));
  const pace = m.reg('dma_pace', UInt(paceBits), { reset: 0 });
  const loading = modeW.or(modeA);
  // A banked machine with P <= NB writes a LOAD ABUF word's P elements in one cycle (g.loadLanes = P): no pacing.
  const wideLoad = g.loadLanes > 1;
  const paced = wideLoad ? m.constant(1, Bool) : modeW.or(pace.eq(0));
  const rdReq = m.wire('dma_rdReq', active.and(loading).and(reqLeft.ne(0)).and(paced));
  // Words of a LOAD: count·W (wbuf) or ceil(count/P) (abuf).
  const countWide = fCount.zext(reqBits);
  const wordsW = W === 1 ? countWide : countWide.mul(W).trunc(reqBits);
  const wordsA = P === 1 ? countWide : countWide.add(P - 1).trunc(reqBits).asUnsigned();
  const wordsAQ = P === 1 ? wordsA : (P & (P - 1)) === 0 ? wordsA.shr(Math.log2(P)) : divConst(wordsA, P);
  m.when(start, () => {
    reqLeft.set(mux(ctl.isStore, 0, mux(isW, wordsW, wordsAQ)).trunc(reqBits));
    reqAddr.set(fDram);
    pace.set(0);
  }).elseWhen(rdReq, () => {
    reqLeft.set(reqLeft.sub(1).trunc(reqBits).asUnsigned());
    reqAddr.set(reqAddr.add(1).trunc(DRAM_ADDR_BITS));
    if (P > 1) pace.set(P - 1);
  }).elseWhen(pace.ne(0), () => pace.set(pace.sub(1).trunc(paceBits).asUnsigned()));

  // ---- LOAD WBUF responses: word `rspWord` of row `rspRow` ----
  const wWordBits = Math.max(1, Math.ceil(Math.log2(W)));
  const rspWord = W > 1 ? m.reg('dma_rspWord', UInt(wWordBits), { reset: 0 }) : null;
  const rspRow = m.reg('dma_rspRow', UInt(bufs.aw.wbuf), { reset: 0 });
  const wordIn = modeW.and(rdValid);
  m.when(start, () => {
    rspWord?.set(0);
    rspRow.set(fitU(fAddr, bufs.aw.wbuf));
  }).elseWhen(wordIn, () => {
    if (rspWord) {
      const last = rspWord.eq(W - 1);
      rspWord.set(mux(last, 0, rspWord.add(1).trunc(wWordBits)));
      m.when(last, () => rspRow.set(rspRow.add(1).trunc(bufs.aw.wbuf)));
    } else {
      rspRow.set(rspRow.add(1).trunc(bufs.aw.wbuf));
    }
  });
  // The DRAM word in 32-bit pieces: lanes never straddle two (32 is a multiple of the element width).
  const rdWords = splitWords(m, 'dma_rd', rdData);
  const lane = (words: readonly Value[], e: number): Value => sliceWords(words, e * g.bits, g.bits).asSigned();
  // Tile loading (R a power of two): row r goes to bank (r mod R, j) at r div R.
  const rBits = Math.log2(g.rows);
  const bankRow = g.tileLoad ? tileAddress(m, rspRow, g) : rspRow;
  bufs.wbuf.forEach((bank, b) => {
    const j = b % g.cols;
    const hit = rspWord ? wordIn.and(rspWord.eq(Math.floor(j / P))) : wordIn;
    const here = g.tileLoad && rBits > 0 ? hit.and(rspRow.slice(0, rBits).eq(Math.floor(b / g.cols))) : hit;
    bank.write(bankRow, lane(rdWords, j % P), here);
  });
  // Responses still expected (LOAD WBUF and LOAD ABUF).
  const rspLeft = m.reg('dma_rspLeft', UInt(reqBits), { reset: 0 });
  m.when(start, () => rspLeft.set(mux(ctl.isStore, 0, mux(isW, wordsW, wordsAQ)).trunc(reqBits))).elseWhen(rdValid.and(loading), () =>
    rspLeft.set(rspLeft.sub(1).trunc(reqBits).asUnsigned()),
  );

  // ---- LOAD ABUF: unpack each word into P element writes (element unpackIdx of the held word), or (wideLoad) write
  // its P lanes at once, as it arrives, at P consecutive addresses (distinct banks; lanes past `count` disabled) ----
  const elemLeft = m.reg('dma_elemLeft', UInt(COUNT_BITS), { reset: 0 });
  const wrAddr = m.reg('dma_wrAddr', UInt(bufs.aw.abuf), { reset: 0 });
  let writeA: Value;
  let unpacked: Value;
  let more: { en: Value; data: Value }[] = [];
  if (wideLoad) {
    const wordA = m.wire('dma_abufWord', modeA.and(rdValid));
    writeA = m.wire('dma_abufWe', wordA.and(elemLeft.ne(0)));
    unpacked = lane(rdWords, 0);
    more = Array.from({ length: P - 1 }, (_, i) => ({ en: m.wire(`dma_abufWe_${i + 1}`, wordA.and(elemLeft.gt(i + 1))), data: lane(rdWords, i + 1) }));
    m.when(start, () => {
      elemLeft.set(mux(ctl.isStore, 0, fCount));
      wrAddr.set(fitU(fAddr, bufs.aw.abuf));
    }).elseWhen(wordA, () => {
      elemLeft.set(mux(elemLeft.gt(P), elemLeft.sub(P).trunc(COUNT_BITS).asUnsigned(), 0));
      wrAddr.set(wrAddr.add(P).trunc(bufs.aw.abuf));
    });
  } else {
    const unpack = rdWords.map((w, k) => m.reg(`dma_unpack_${k}`, UInt(w.width), { reset: 0 }));
    const idxBits = Math.max(1, Math.ceil(Math.log2(P)));
    const unpackIdx = P > 1 ? m.reg('dma_unpackIdx', UInt(idxBits), { reset: 0 }) : null;
    const unpackLeft = m.reg('dma_unpackLeft', UInt(Math.ceil(Math.log2(P + 1))), { reset: 0 });
    writeA = m.wire('dma_abufWe', modeA.and(unpackLeft.ne(0)).and(elemLeft.ne(0)));
    m.when(start, () => unpackLeft.set(0)).elseWhen(modeA.and(rdValid), () => {
      unpack.forEach((r, k) => r.set(rdWords[k]!));
      unpackLeft.set(P);
      unpackIdx?.set(0);
    }).elseWhen(unpackLeft.ne(0), () => {
      if (unpackIdx) unpackIdx.set(unpackIdx.add(1).trunc(idxBits));
      unpackLeft.set(unpackLeft.sub(1).trunc(unpackLeft.width).asUnsigned());
    });
    unpacked = lane(unpack, 0);
    if (unpackIdx) for (let e = 1; e < P; e++) unpacked = mux(unpackIdx.eq(e), lane(unpack, e), unpacked);
    // LOAD ABUF write pointer and element count.
    m.when(start, () => {
      elemLeft.set(mux(ctl.isStore, 0, fCount));
      wrAddr.set(fitU(fAddr, bufs.aw.abuf));
    }).elseWhen(writeA, () => {
      elemLeft.set(elemLeft.sub(1).trunc(COUNT_BITS).asUnsigned());
      wrAddr.set(wrAddr.add(1).trunc(bufs.aw.abuf));
    });
  }

  // ---- STORE: read P elements per cycle (wide, g.loadLanes = P) or one (copy 0 / a bank), pack P per word ----
  const rdLeft = m.reg('dma_rdLeft', UInt(COUNT_BITS), { reset: 0 });
  const rdAddr = m.reg('dma_rdAddr', UInt(bufs.aw.abuf), { reset: 0 });
  const wideStore = g.loadLanes > 1;
  // Banked activation buffers: the STORE shares the banks' read ports with the GEMM and waits while it reads (abuf-banks.ts).
  const store = abufStoreRead(m, bufs.abuf, 'dma', sel, rdAddr, wideStore ? P : 1);
  const readS = m.wire('dma_storeRead', store.stall ? modeS.and(rdLeft.ne(0)).and(store.stall.not()) : modeS.and(rdLeft.ne(0)));
  const got = m.reg('dma_storeGot', Bool, { reset: 0 });
  got.set(readS);
  const gotLast = wideStore ? null : m.reg('dma_storeLast', Bool, { reset: 0 });
  gotLast?.set(readS.and(rdLeft.eq(1)));
  const elem = store.elems[0]!.asUnsigned();
  const laneBits = Math.max(1, Math.ceil(Math.log2(P)));
  const packIdx = P > 1 && !wideStore ? m.reg('dma_packIdx', UInt(laneBits), { reset: 0 }) : null;
  const lanes = P > 1 && !wideStore ? Array.from({ length: P }, (_, k) => m.reg(`dma_pack_${k}`, UInt(g.bits), { reset: 0 })) : [];
  const fillReg = P > 1 ? m.reg('dma_fill', UInt(g.bits), { reset: 0 }) : null;
  // A wide STORE's word: lane e is element rdAddr + e of the read a cycle ago, or the fill element past `count`
  // (dma_storeValid: the lanes that read, registered with the read).
  let laneNow: Value[];
  if (wideStore) {
    const validBits = Math.ceil(Math.log2(P + 1));
    const valid = m.reg('dma_storeValid', UInt(validBits), { reset: 0 });
    valid.set(mux(rdLeft.ge(P), P, fitU(rdLeft, validBits)));
    laneNow = store.elems.map((q, e) => mux(valid.gt(e), q.asUnsigned(), fillReg!));
  } else laneNow = packIdx ? lanes.map((l, k) => mux(packIdx.eq(k), elem, l)) : [elem];
  const wordDone = m.wire('dma_wordDone', packIdx ? got.and(packIdx.eq(P - 1).or(gotLast!)) : got);
  const packedLanes = cat(...[...laneNow].reverse());
  const packed = packedLanes.width < g.wordBits ? packedLanes.zext(g.wordBits) : packedLanes;
  const wrPtr = m.reg('dma_wrPtr', UInt(DRAM_ADDR_BITS), { reset: 0 });
  m.when(start, () => {
    rdLeft.set(mux(ctl.isStore, fCount, 0));
    rdAddr.set(fitU(fAddr, bufs.aw.abuf));
    wrPtr.set(fDram);
    packIdx?.set(0);
  });
  m.when(readS, () => {
    rdLeft.set(wideStore ? mux(rdLeft.ge(P), rdLeft.sub(P).trunc(COUNT_BITS).asUnsigned(), 0) : rdLeft.sub(1).trunc(COUNT_BITS).asUnsigned());
    rdAddr.set(rdAddr.add(wideStore ? P : 1).trunc(bufs.aw.abuf));
  });
  // The lanes of a word start out holding the STORE's fill element (the map's padding value, isa.ts), so the
  // last word's lanes past `count` carry it into DRAM.
  if (fillReg) {
    const fillNow = dec.field('STORE', 'fill').asSigned().resize(g.bits).asUnsigned();
    m.when(start, () => fillReg.set(fillNow));
  }
  if (P > 1 && !wideStore) {
    const fillNow = dec.field('STORE', 'fill').asSigned().resize(g.bits).asUnsigned();
    m.when(start, () => lanes.forEach((l) => l.set(fillNow)));
    m.when(got, () => lanes.forEach((l, k) => l.set(mux(wordDone, fillReg!, laneNow[k]!))));
  }
  m.when(got, () => {
    if (packIdx) packIdx.set(mux(wordDone, 0, packIdx.add(1).trunc(laneBits)));
  });
  m.when(wordDone, () => wrPtr.set(wrPtr.add(1).trunc(DRAM_ADDR_BITS)));

  // ---- engine state ----
  const finished = mux(modeS, rdLeft.eq(0).and(got.not()), mux(modeW, rspLeft.eq(0).and(reqLeft.eq(0)), elemLeft.eq(0).and(reqLeft.eq(0))));
  m.when(start, () => {
    active.set(1);
    modeW.set(ctl.isStore.not().and(isW));
    modeA.set(ctl.isStore.not().and(isW.not()));
    modeS.set(ctl.isStore);
    sel.set(fBuf.eq(BUF.ABUF1));
  }).elseWhen(active.and(finished), () => {
    active.set(0);
    modeW.set(0);
    modeA.set(0);
    modeS.set(0);
  });

  counters.add('cnt_dram_rd', rdReq);
  counters.add('cnt_dram_wr', wordDone);
  counters.add('cnt_wbuf_wr', rspWord ? wordIn.and(rspWord.eq(W - 1)) : wordIn);
  counters.add('cnt_abuf_wr', writeA);
  for (const l of more) counters.add('cnt_abuf_wr', l.en);
  counters.add('cnt_abuf_rd', readS);
  // A wide STORE's read counts its elements (cnt_abuf_rd counts elements, like cnt_abuf_wr).
  if (wideStore) for (let e = 1; e < P; e++) counters.add('cnt_abuf_rd', readS.and(rdLeft.gt(e)));

  return {
    busy: active,
    dram: { rdReq, rdAddr: reqAddr, wrEn: wordDone, wrAddr: wrPtr, wrData: packed },
    abufWrite: { en: writeA, sel, addr: wrAddr, data: unpacked, ...(more.length ? { more } : {}) },
  };
}

/** floor(v / d) for a small constant d, by a constant multiply and shift (exact for v < 2^v.width). */
function divConst(v: Value, d: number): Value {
  // floor(v/d) = floor(v · k / 2^s) with k = ceil(2^s / d), exact when s >= width + log2(d).
  const s = v.width + Math.ceil(Math.log2(d)) + 1;
  const k = (1n << BigInt(s)) / BigInt(d) + 1n;
  return v.mul(v.owner.constant(k)).shr(s).trunc(v.width);
}
