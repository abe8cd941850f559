// The GEMM engine: drives the R×C weight-stationary array (gen/array.ts, instance `array`) through
// kTiles K tiles of one GEMM instruction and accumulates its results into an accumulator bank.
//
// Schedule (cycles counted at the issue stage; every path to the array is two stages long, so the
// array sees each event exactly two cycles later and gen/array.ts's rules apply unchanged)
//   Tile t is LOADED in R consecutive cycles s_t .. s_t+R-1: wbuf row wRow + t·R + i and offmem entry
//   offAddr + t·R + i for i = R-1 down to 0 (bottom row first, as the array wants); the weights go to
//   the array's shadow registers, the offsets to R shadow offset registers.
//   Tile t STREAMS mCount vectors in the cycles e_t .. e_t+M-1, e_t = s_t + R: vector m reads
//   pixmem[pixAddr + m]; the first carries `swap`, which makes the new weights and offsets active.
//   The next tile loads from s_{t+1} = e_t + d with
//     d = max(1, max(R-1, M-R))        double-buffered array: tiles stream back to back once
//                                      M >= 2R-1 (period max(M, 2R-1), gen/array.ts's rule);
//     d = M + R + C - 3                single-buffered: loading waits until the last vector has
//                                      passed PE (R-1, C-1).
//   Row-addressed loading (config weightLoad 'row', gen/array.ts rowLoad; issue 14): tile t is LOADED
//   top row first (row i in cycle s_t + i) and the next tile may start loading at the swap of this
//   one: d = max(0, M-R) (at least 2-R, so that a row's read-modify-write below is 2 cycles apart
//   on a 1-row array); d = 0 loads tiles back to back (period R, one wbuf row per cycle), else
//   period max(M, R). An fc layer (M = 1) then runs at 1/R of the array instead of 1/(2R-1).
//   So a GEMM keeps busy_gemm high for R + (kTiles-1)·(d + R) + M + (R + C - 1) + 3 cycles (load of
//   tile 0, streaming, two issue stages, the array latency, read-modify-write): gemmBusyCycles().
//   E.g. M = 64, kTiles = 19 on 8×8 double-buffered: 1242 cycles for 64·19 = 1216 vectors (97.9%).
//   Whole-tile loading (config weightLoad 'tile', gen/array.ts tileLoad; issue 14): the same schedule (the
//   offsets still load one per cycle), but a K tile's weights are read from the R·C weight banks in ONE
//   cycle, the last of its load window (bank (i, j) reads the tile address delayed by i+j+1 cycles, so its
//   word meets the array's skewed strobe). GEMV (instruction field gemv): every vector also strobes a tile of
//   its own in the cycle before it issues (vector m of K tile t: tile t·mCount + m after wRow), carries swap,
//   and reads pixmem[pixAddr + t]. Only the first K tile loads offsets (R cycles); the later ones keep them
//   (the pixel steps instead) and load in one cycle, the strobe of their first vector, so the next K tile
//   follows the last vector at once: d = max(M-1, 1), period max(M, 2). A GEMV of an fc layer (mCount = N
//   tiles) streams one vector per cycle: R + (kTiles-1)·max(M, 2) + M + (R+C-1) + 3 (gemmBusyCycles gemv).
//   Consecutive GEMMs overlap (issue 14): the sequencer (gemm_active) is free once the last vector has issued
//   and a tail of max(0, d - M - 1) cycles has passed (gemmSeqCycles), and the controller issues the next GEMM
//   then; its first tile loads while this one's last vectors stream and drain, as a next K tile would. Each
//   vector's accumulator address, first-tile and last-vector flags and bank travel beside it (gemm_tag*, R + C + 1
//   stages to out_valid; src to stage 2), so the drain writes this GEMM's bank whatever the next one latched.
//   busy_gemm = sequencer busy or a bank with outstanding writes (gemm_pending_b: GEMMs issued on bank b and
//   not yet at their last write); WAIT bits 3/4 wait for a bank (isa.ts).
// Pipeline of one vector
//   T    pixmem read;                 wbuf/offmem read (loading)
//   T+1  R abuf reads at pix + off_i (copy i of abuf[src], or its bank; an invalid offset feeds 0)
//   T+2  act_i, valid, swap on the array;   weight_j, loadWeight on the array
//   T+2+L out_valid (L = R + C - 1): read accbuf[bank][m] (tiles after the first; bank, m from the vector's tag)
//   T+3+L write accbuf[bank][m] = (first tile and not acc ? 0 : old) + out, wrapping at accWidth (a row's next
//         read comes at least d + R >= 2 cycles after, or M + R >= 2 in the next GEMM, so it always sees this write).
import { Bool, cat, mux, UInt, SInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';
import { arrayPorts, systolicArray } from '../array.js';
import { wrappingAdd } from '../arith.js';
import { addrBits, fitU, tileAddress, type AccelGeometry } from './config.js';
import { accAddress, type Buffers } from './buffers.js';
import { abufRowReads } from './abuf-banks.js';
import type { Controller } from './controller.js';
import type { Counters } from './counters.js';
import { OFF_BITS } from './isa.js';
import { buildRingUnit } from './ring.js';

export interface GemmEngine {
  /** busy_gemm: a GEMM is loading, streaming or draining (its last accumulator write not done). */
  readonly busy: Value;
  /** The load/stream sequencer is busy: the next GEMM may issue only when this is low. */
  readonly seqBusy: Value;
  /** Accumulator bank b has outstanding GEMM writes (a GEMM on it issued, its last write not done). */
  readonly bankBusy: readonly [Value, Value];
}

const PHASE_BITS = 18;

/** Build the GEMM engine and the array it drives. */
export function buildGemmEngine(m: ModuleBuilder, g: AccelGeometry, bufs: Buffers, ctl: Controller, counters: Counters): GemmEngine {
  const { rows: R, cols: C } = g;
  const dec = ctl.decoder;
  const start = ctl.startGemm;
  const fM = dec.field('GEMM', 'mCount');
  const fK = dec.field('GEMM', 'kTiles');

  // Instruction fields, latched at the start edge.
  const src = m.reg('gemm_src', Bool, { reset: 0 });
  const bank = m.reg('gemm_bank', Bool, { reset: 0 });
  const accumulate = m.reg('gemm_acc', Bool, { reset: 0 });
  const mCount = m.reg('gemm_mCount', UInt(16), { reset: 0 });
  const kTiles = m.reg('gemm_kTiles', UInt(12), { reset: 0 });
  const pixBase = m.reg('gemm_pixAddr', UInt(bufs.aw.pix), { reset: 0 });
  const dMinus1 = m.reg('gemm_loadDelay', UInt(PHASE_BITS), { reset: 0 });
  const active = m.reg('gemm_active', Bool, { reset: 0 });
  // d - 1 from the mCount field (see the header).
  const fMw = fM.zext(PHASE_BITS);
  const d = g.doubleBuffer ? mux(fMw.ge(2 * R - 1), fMw.sub(R), R - 1) : fMw.add(R + C).sub(3);
  // Row loading: d = max(M - R, 2 - R, 0); d = 0 is continuous loading (contLoad), else as above.
  const dRow = mux(fMw.ge(R + 1), fMw.sub(R), Math.max(0, 2 - R));
  const rowLike = g.rowLoad || g.tileLoad; // tile loading keeps the row schedule (offsets one per cycle)
  const dClamped = rowLike ? mux(dRow.lt(1), 1, dRow) : mux(d.lt(1), 1, d);
  const contLoad = m.reg('gemm_contLoad', Bool, { reset: 0 });
  m.when(start, () => {
    src.set(dec.field('GEMM', 'src'));
    bank.set(dec.field('GEMM', 'bank'));
    accumulate.set(dec.field('GEMM', 'acc'));
    mCount.set(fM);
    kTiles.set(fK);
    pixBase.set(dec.fit('GEMM', 'pixAddr', bufs.aw.pix));
    dMinus1.set(dClamped.sub(1).asUnsigned().trunc(PHASE_BITS));
    contLoad.set(rowLike ? dRow.eq(0) : m.constant(0, Bool));
  });
  // GEMV (tile loading only; elsewhere the controller refuses it) and the R-aligned wRow of tile loading.
  let gemv: Value = m.constant(0, Bool);
  const rBits = Math.log2(R);
  if (g.tileLoad) {
    const gemvReg = m.reg('gemm_gemv', Bool, { reset: 0 });
    m.when(start, () => gemvReg.set(dec.field('GEMM', 'gemv')));
    gemv = gemvReg;
    // A GEMV's K tiles after the first load no offsets (they keep the first tile's; the pixel steps instead):
    // one load cycle, so the next tile may follow the last vector at once: d = max(M − 1, 1), period max(M, 2).
    m.when(start.and(dec.field('GEMM', 'gemv')), () => {
      dMinus1.set(mux(fMw.ge(3), fMw.sub(2), 0).asUnsigned().trunc(PHASE_BITS));
      contLoad.set(0);
    });
    if (rBits > 0) dec.forbid('GEMM', dec.field('GEMM', 'wRow').slice(0, rBits).orR());
  } else {
    dec.forbid('GEMM', dec.field('GEMM', 'gemv'));
  }

  // ---- load sequencer ----
  const kBits = Math.max(1, Math.ceil(Math.log2(R)));
  const ldOn = m.reg('gemm_ldOn', Bool, { reset: 0 });
  const ldK = m.reg('gemm_ldK', UInt(kBits), { reset: 0 });
  const ldTile = m.reg('gemm_ldTile', UInt(12), { reset: 0 });
  const ldW = m.reg('gemm_ldWRow', UInt(bufs.aw.wbuf), { reset: 0 });
  const ldO = m.reg('gemm_ldOff', UInt(bufs.aw.off), { reset: 0 });
  const stOn = m.reg('gemm_stOn', Bool, { reset: 0 });
  const p = m.reg('gemm_phase', UInt(PHASE_BITS), { reset: 0 });
  const stTile = m.reg('gemm_stTile', UInt(12), { reset: 0 });
  // Bottom row first for the shift chain; top row first for row loading (gen/array.ts).
  const rowIdx = R === 1 ? m.constant(0, UInt(kBits)) : rowLike ? ldK : m.constant(R - 1, UInt(kBits)).sub(ldK).asUnsigned().trunc(kBits);
  const gemvLater = gemv.and(ldTile.ne(0)); // a GEMV K tile after the first: a one-cycle load, no offsets
  const ldLast = R === 1 ? ldOn : ldOn.and(ldK.eq(R - 1).or(gemvLater));
  const loadNext = stOn.and(p.eq(dMinus1)).and(ldTile.lt(kTiles)).and(contLoad.not());
  const lastVector = stOn.and(stTile.add(1).eq(kTiles)).and(p.add(1).eq(mCount));
  // The sequencer stays busy `tail` = max(0, d - M - 1) cycles after the last vector, so that the next GEMM's first
  // tile loads no earlier than a next K tile of this GEMM would (shift loading with M < R - 2, single-buffered arrays).
  const tail = m.reg('gemm_tail', UInt(PHASE_BITS), { reset: 0 });
  const mW = mCount.zext(PHASE_BITS);
  m.when(lastVector, () => tail.set(mux(dMinus1.gt(mW), dMinus1.sub(mW), 0).asUnsigned().trunc(PHASE_BITS))).elseWhen(tail.ne(0), () =>
    tail.set(tail.sub(1).asUnsigned().trunc(PHASE_BITS)),
  );
  m.when(start, () => {
    const go = fM.ne(0).and(fK.ne(0));
    active.set(go);
    ldOn.set(go);
    ldK.set(0);
    ldTile.set(0);
    ldW.set(dec.fit('GEMM', 'wRow', bufs.aw.wbuf));
    ldO.set(dec.fit('GEMM', 'offAddr', bufs.aw.off));
    stOn.set(0);
  })
    .elseWhen(ldLast, () => {
      // Continuous loading: the next tile's rows follow at once (its swap comes R cycles later).
      ldOn.set(contLoad.and(ldTile.add(1).lt(kTiles)));
      ldK.set(0);
      ldTile.set(ldTile.add(1).trunc(12));
      ldW.set(ldW.add(R).trunc(bufs.aw.wbuf));
      ldO.set(ldO.add(R).trunc(bufs.aw.off));
      stOn.set(1);
      p.set(0);
      stTile.set(ldTile);
    })
    .otherwise(() => {
      if (R > 1) m.when(ldOn, () => ldK.set(ldK.add(1).trunc(kBits)));
      m.when(loadNext, () => ldOn.set(1));
      m.when(stOn, () => p.set(p.add(1).trunc(PHASE_BITS)));
      m.when(lastVector, () => {
        stOn.set(0);
        active.set(0);
      });
    });

  // ---- stage 0: table and buffer reads ----
  const vecIssue = m.wire('gemm_vecIssue', stOn.and(p.lt(mCount.zext(PHASE_BITS))));
  const swapIssue = stOn.and(p.eq(0));
  const wRead = ldW.add(fitU(rowIdx, bufs.aw.wbuf)).trunc(bufs.aw.wbuf);
  const oRead = ldO.add(fitU(rowIdx, bufs.aw.off)).trunc(bufs.aw.off); // a table shallower than R wraps
  const wq = g.tileLoad ? [] : bufs.wbuf.map((bank, j) => bank.read(`gemm_wq_${j}`, wRead));
  const offQ = bufs.offmem.read('gemm_offq', oRead);
  const pixStep = p.trunc(Math.min(PHASE_BITS, bufs.aw.pix));
  // A GEMV's vectors read the pixel of their K tile: pixmem[pixAddr + t].
  const pixQ = bufs.pixmem.read('gemm_pixq', fitU(pixBase.add(g.tileLoad ? mux(gemv, fitU(stTile, pixStep.width), pixStep) : pixStep), bufs.aw.pix));
  const reg1 = <T extends Value>(name: string, v: T, width = 1): Value => {
    const r = m.reg(name, v.signed ? SInt(width) : UInt(width), { reset: 0 });
    r.set(v);
    return r;
  };
  // Tile loading: the strobe (last load cycle of a K tile; with gemv also the cycle before each further vector),
  // a tile counter, and the tile address delayed by i+j+1 for bank (i, j) (see the header).
  let tileQ: Value[] = [];
  let tileLoad2: Value | null = null;
  let tileSwap1: Value | null = null;
  if (g.tileLoad) {
    const strobe = m.wire('gemm_tileStrobe', ldLast.or(gemv.and(stOn).and(p.add(1).trunc(PHASE_BITS).lt(mCount.zext(PHASE_BITS)))));
    const tileAw = addrBits(g.wbufDepth / R);
    const wTile = m.reg('gemm_wTile', UInt(tileAw), { reset: 0 });
    m.when(start, () => wTile.set(tileAddress(m, dec.fit('GEMM', 'wRow', bufs.aw.wbuf), g))).elseWhen(strobe, () => wTile.set(wTile.add(1).trunc(tileAw)));
    // The strobe travels beside the address: a bank reads only for a load (its data register holds otherwise).
    const taps: Value[] = [wTile];
    const enables: Value[] = [strobe];
    for (let k = 1; k <= Math.max(R + C - 1, 2); k++) {
      if (k <= R + C - 1) taps.push(reg1(`gemm_tileAddr_${k}`, taps[k - 1]!, tileAw));
      enables.push(reg1(`gemm_tileRead_${k}`, enables[k - 1]!)); // tap 2: the array's strobe
    }
    tileQ = bufs.wbuf.map((bank, b) => {
      const skew = Math.floor(b / C) + (b % C) + 1;
      return bank.read(`gemm_tq_${Math.floor(b / C)}_${b % C}`, taps[skew]!, { enable: enables[skew]! });
    });
    tileLoad2 = enables[2]!;
    tileSwap1 = reg1('gemm_tileSwap1', vecIssue.and(swapIssue.or(gemv)));
    counters.add('cnt_wbuf_rd', mux(strobe, m.constant(R, UInt(Math.ceil(Math.log2(R + 1)))), 0));
  }
  const ld1 = reg1('gemm_ld1', g.tileLoad ? ldOn.and(gemvLater.not()) : ldOn);
  const row1 = reg1('gemm_row1', rowIdx, kBits);
  const vec1 = reg1('gemm_vec1', vecIssue);
  const swap1 = reg1('gemm_swap1', swapIssue.and(vecIssue));

  // ---- stage 1: offsets, activation reads, weight register ----
  const offW = bufs.offmem.shape.width;
  const shadow = Array.from({ length: R }, (_, i) => {
    const r = m.reg(`gemm_offShadow_${i}`, UInt(offW), { reset: 0 });
    m.when(ld1.and(row1.eq(i)), () => r.set(offQ));
    return r;
  });
  const activeOff = shadow.map((s, i) => {
    const r = m.reg(`gemm_offActive_${i}`, UInt(offW), { reset: 0 });
    m.when(swap1, () => r.set(s));
    return r;
  });
  const off1 = shadow.map((s, i) => mux(swap1, s, activeOff[i]!));
  // Offset bits above 15 sit above the valid bit (isa.ts encodeOffset); ring machines wrap each row's address
  // (gen/accel/ring.ts), then one read of both buffers per row (copies or banks: gen/accel/abuf-banks.ts).
  const offOf = (off: Value): Value => (offW > OFF_BITS ? cat(off.slice(OFF_BITS, offW - OFF_BITS), off.slice(0, 16)) : off.slice(0, 16));
  const ring = g.ring ? buildRingUnit(m, bufs, ctl) : null;
  const rowReads = off1.map((off, i) => {
    const sum = pixQ.add(offOf(off));
    return { addr: ring ? ring.wrap(`gemm_aaddr_${i}`, sum) : fitU(sum, bufs.aw.abuf), valid: off.bit(16) };
  });
  const actQ = abufRowReads(m, 'gemm', bufs.abuf, rowReads, { src, valid: vec1 });
  const offValid2 = off1.map((off, i) => reg1(`gemm_offValid2_${i}`, off.bit(16)));
  const vec2 = reg1('gemm_vec2', vec1);
  const swap2 = g.doubleBuffer ? reg1('gemm_swap2', tileSwap1 ?? swap1) : null;
  const ld2 = g.tileLoad ? null : reg1('gemm_ld2', ld1); // tile loading strobes the array itself (tileLoad2)
  const row2 = g.rowLoad ? reg1('gemm_row2', row1, kBits) : null;
  const weight2 = wq.map((q, j) => reg1(`gemm_w2_${j}`, q, g.bits));

  // ---- stage 2: the array ----
  const zero = m.constant(0, SInt(g.bits));
  const inputs: Record<string, Value> = {
    [arrayPorts.valid]: vec2,
    [arrayPorts.loadWeight]: (tileLoad2 ?? ld2)!,
  };
  // The next GEMM may latch its src while this one's last vector is in stage 2: src travels with the vector.
  const src2 = reg1('gemm_src2', reg1('gemm_src1', src));
  actQ.forEach(({ q0, q1 }, i) => {
    inputs[arrayPorts.act(i)] = mux(vec2.and(offValid2[i]!), mux(src2, q1, q0), zero);
  });
  weight2.forEach((w, j) => (inputs[arrayPorts.weight(j)] = w));
  tileQ.forEach((w, b) => (inputs[arrayPorts.tileWeight(Math.floor(b / C), b % C)] = w));
  if (swap2) inputs[arrayPorts.swap] = swap2; // single-buffered arrays: swap only switches the offsets
  if (row2) inputs[arrayPorts.loadRow] = row2;
  const array = m.instance('array', systolicArray({ rows: R, cols: C, width: g.bits, signed: true, accWidth: g.accWidth, dataflow: 'ws', doubleBuffer: g.doubleBuffer, rowLoad: g.rowLoad, tileLoad: g.tileLoad }), inputs);

  // ---- results: accumulate into accbuf[bank] ----
  // Each vector's accumulator address, first-tile flag (overwrite instead of add) and last-vector flag travel with
  // it through the two issue stages and the array latency (L = R + C - 1), so that this GEMM drains into its bank
  // while the next one loads and streams.
  const outValid = array.out(arrayPorts.outValid);
  const tag0 = {
    addr: accAddress(m, g, bufs, bank, p.trunc(Math.min(16, PHASE_BITS))),
    first: stTile.eq(0).and(accumulate.not()),
    last: lastVector,
    bank: bank as Value,
  };
  let tag = tag0;
  for (let k = 1; k <= R + C + 1; k++) {
    tag = {
      addr: reg1(`gemm_tagAddr_${k}`, tag.addr, bufs.aw.acc),
      first: reg1(`gemm_tagFirst_${k}`, tag.first),
      last: reg1(`gemm_tagLast_${k}`, tag.last),
      bank: reg1(`gemm_tagBank_${k}`, tag.bank),
    };
  }
  const addrA = tag.addr;
  const rd = bufs.accbuf.map((col, j) => col.read(`gemm_accq_${j}`, addrA));
  const aValid = reg1('gemm_accValid', outValid);
  const aFirst = reg1('gemm_accFirst', tag.first);
  const aLast = reg1('gemm_accLast', outValid.and(tag.last));
  const aBank = reg1('gemm_accBank', tag.bank);
  const aAddr = reg1('gemm_accAddr', addrA, bufs.aw.acc);
  const aOut = Array.from({ length: C }, (_, j) => reg1(`gemm_accOut_${j}`, array.out(arrayPorts.out(j)), g.accWidth));
  // No forwarding is needed: results for one row come from consecutive tiles, at least period = d + R >= 2 cycles
  // apart, or from consecutive GEMMs, at least M + R >= 2 cycles apart; so a row's read follows its previous write's edge.
  const zeroAcc = m.constant(0, SInt(g.accWidth));
  aOut.forEach((out, j) => {
    const sum = m.wire(`gemm_sum_${j}`, wrappingAdd(mux(aFirst, zeroAcc, rd[j]!), out));
    bufs.accbuf[j]!.write(aAddr, sum, aValid);
  });
  // GEMMs per bank between their issue and their last write (at most one every R + 1 cycles, each in flight for
  // fewer than R + M + L + 4 + tail cycles after its sequencer frees: a few bits suffice).
  const pendBits = Math.ceil(Math.log2(2 * (R + C) + 8)) + 1;
  const bankBusy = [0, 1].map((b) => {
    const pend = m.reg(`gemm_pending_${b}`, UInt(pendBits), { reset: 0 });
    const inc = start.and(fM.ne(0)).and(fK.ne(0)).and(b === 0 ? dec.field('GEMM', 'bank').not() : dec.field('GEMM', 'bank'));
    const decr = aValid.and(aLast).and(b === 0 ? aBank.not() : aBank);
    m.when(inc.and(decr.not()), () => pend.set(pend.add(1).trunc(pendBits))).elseWhen(decr.and(inc.not()), () => pend.set(pend.sub(1).asUnsigned().trunc(pendBits)));
    return m.wire(`gemm_bankBusy_${b}`, pend.ne(0));
  }) as unknown as [Value, Value];
  const seqBusy = m.wire('gemm_seqBusy', active.or(tail.ne(0)));
  const busy = m.wire('gemm_busy', seqBusy.or(bankBusy[0]).or(bankBusy[1]));

  counters.add('cnt_macs', mux(vec2, m.constant(R * C, UInt(Math.ceil(Math.log2(R * C + 1)))), 0));
  if (!g.tileLoad) counters.add('cnt_wbuf_rd', ldOn);
  counters.add('cnt_abuf_rd', mux(vec1, m.constant(R, UInt(Math.ceil(Math.log2(R + 1)))), 0));
  counters.add('cnt_acc_rd', outValid.and(tag.first.not()));
  counters.add('cnt_acc_wr', aValid);
  return { busy, seqBusy, bankBusy };
}

/**
 * Cycles a GEMM instruction keeps busy_gemm high (from the cycle after it issues to the last
 * accumulator write, inclusive), as the schedule in the header gives it; the RTL is tested equal:
 *   R + (kTiles - 1)·period + mCount + (R + C - 1) + 3,
 *   period = max(R + 1, 2R - 1, mCount) double-buffered, mCount + 2R + C - 3 (at least R + 1) otherwise;
 *   with row loading (g.rowLoad) R + max(mCount - R, 2 - R, 0) = max(R, mCount, 2); so with tile loading, except
 *   a GEMV (gemv, tile loading only), whose K tiles after the first follow every max(mCount, 2) cycles.
 * 0 for mCount = 0 or kTiles = 0 (no work).
 */
export function gemmBusyCycles(g: Pick<AccelGeometry, 'rows' | 'cols' | 'doubleBuffer'> & { readonly rowLoad?: boolean; readonly tileLoad?: boolean; readonly weightLoad?: 'shift' | 'row' | 'tile' }, mCount: number, kTiles: number, gemv = false): number {
  if (mCount === 0 || kTiles === 0) return 0;
  const { rows: R, cols: C } = g;
  // A GEMV (tile loading only; see the header): later K tiles load in one cycle.
  if (gemv) return R + (kTiles - 1) * Math.max(mCount, 2) + mCount + (R + C - 1) + 3;
  // A geometry says rowLoad, a configuration weightLoad.
  // Tile loading (gemv or not) keeps the row schedule.
  if ((g.rowLoad || g.tileLoad || (g.rowLoad === undefined && (g.weightLoad === 'row' || g.weightLoad === 'tile'))) && g.doubleBuffer) return R + (kTiles - 1) * (R + Math.max(mCount - R, 2 - R, 0)) + mCount + (R + C - 1) + 3;
  const d = g.doubleBuffer ? Math.max(R - 1, mCount - R) : mCount + R + C - 3;
  const period = Math.max(1, d) + R;
  return R + (kTiles - 1) * period + mCount + (R + C - 1) + 3;
}

/**
 * Cycles a GEMM instruction keeps the GEMM engine's load/stream sequencer busy (from the cycle after it issues to
 * the cycle its last vector issues, plus the tail that keeps the next GEMM's first tile from loading earlier than a
 * next K tile of this one could): the next GEMM issues in the cycle after. The RTL is tested equal:
 *   gemmBusyCycles − (R + C − 1) − 3 + max(0, d − mCount − 1),
 * d the load delay of the header (max(1, R − 1, mCount − R) double-buffered with shift loading, mCount + R + C − 3
 * single-buffered; with row or tile loading and for a GEMV the tail is 0). The GEMM's accumulator bank is busy for
 * gemmBusyCycles (the drain: two issue stages, the array latency, the read-modify-write).
 */
export function gemmSeqCycles(g: Parameters<typeof gemmBusyCycles>[0], mCount: number, kTiles: number, gemv = false): number {
  if (mCount === 0 || kTiles === 0) return 0;
  const { rows: R, cols: C } = g;
  const stream = gemmBusyCycles(g, mCount, kTiles, gemv) - (R + C - 1) - 3;
  const rowLike = g.rowLoad || g.tileLoad || (g.rowLoad === undefined && (g.weightLoad === 'row' || g.weightLoad === 'tile'));
  if (gemv || (rowLike && g.doubleBuffer)) return stream;
  const d = Math.max(1, g.doubleBuffer ? Math.max(R - 1, mCount - R) : mCount + R + C - 3);
  return stream + Math.max(0, d - mCount - 1);
}
