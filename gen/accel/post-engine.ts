// The POST engine: accumulator bank → bias, dyadic requantization, output zero point, ReLU, optional max-pool
// over windows of G = 4·2^window rows → activation buffer (gen/accel/isa.ts, POST).
//
// Structure
//   Rows of accbuf[bank] are read a whole row (C columns) at a time in GROUPS: one row per group
//   without pooling, the G rows of a pool window with it. C comparators keep the running maximum
//   of each column over the group (in accumulator precision), so pooling happens BEFORE
//   requantization: requantize(· + bias) is non-decreasing in the accumulator (b >= 0, rounding,
//   clamping and ReLU are monotone), hence max over the window of requantized values equals the
//   requantized maximum — bit for bit, with one requantization per output instead of four.
//   A finished group's vector is handed to a serializer that sends its nValid columns one per cycle
//   through ONE requantization lane and the buffer's single write port.
// Timing
//   The lane requantizes to int16; the channel's zero point zp (pmem, isa.ts zeroPointLo) is added after it,
//   the sum clamped to the element width, ReLU max(·, zp) — accel/golden.ts requantizeInt8 (clamping to int16
//   first changes nothing, |zp| <= 128); zp travels two registers alongside the lane.
//   Groups start every P = max(rowsPerGroup · interval, nValid) cycles (at least 1); the rows of a
//   group are read `interval` cycles apart. P >= nValid keeps the serializer (nValid cycles per
//   group) from falling behind, so the engine never stalls: a POST takes about
//   groups · P + 6 cycles. Element j of a group: select (pmem[chan + j] read, column mux) in cycle u,
//   the requantization lane of gen/requant.ts (instance `requant`, REQUANT_LATENCY = 2 stages) takes
//   it in u+1, and its q is written to abuf[dst][dstBase + j·plane + g] at the edge ending u+3.
//   The compiler's `interval` is thus a minimum row spacing; 1 runs as fast as the write port allows.
// Column pooling (pool = 1, cpool != 0; isa.ts; issue 14): a window's 4·2^window elements are Gr = 2^(window+2−cpool)
//   rows × P = 2^cpool adjacent columns. The running maximum covers the Gr rows as above; a tree of pairwise column
//   maxima (log2 C levels, level cpool selected) sits between the handed-off vector and the serializer's column
//   mux, whose element g is then max(columns g·P .. g·P+P−1). Groups start every max(Gr · interval, nValid) cycles.
// Row-major outputs (pool = 0, window != 0; isa.ts; issue 14): the rows of a GEMV are N tiles, so row q's
//   column j is output q·nValid + j: its parameters come from pmem[chan + q·nValid + j] and it goes to
//   dstBase + q·nValid + j·plane. One register (rowBase, + nValid per group) replaces the group index.
// Row lanes (g.postLanes = C, config postLanes 'columns' on a banked machine with C <= NB and no correction unit;
//   issue 14): an unpooled POST whose plane puts a row's outputs in distinct banks (config.ts postUsesRowLanes: plane
//   = 2^v·odd, v <= log2 NB − ceil(log2 C); every plane = 1) writes a row's nValid outputs base + j·plane in ONE
//   cycle — a row-major POST's row q at dstBase + q·nValid + j·plane, a planar POST's row g at dstBase + g + j·plane
//   (an fc layer's batch of images: channel-major outputs) — : the serializer runs for one cycle per row, lane 0 is
//   the lane above and lanes j = 1..C−1 (instances requant_<j>, each with a pmem read port of its own at
//   serChan + j) take column j in the same cycles; lane j's address is lane 0's plus j·plane (registers
//   post_laneOff_<j>, set by shift-and-add at the start); the write goes out as one wide write (buffers.ts
//   AbufWrite.more, each bank takes the lane addressing it). Groups then start every max(1, interval) cycles:
//   (groups − 1)·max(1, interval) + 7 cycles instead of groups·max(interval, nValid) + 6. Every other POST (pooled,
//   a plane that puts two outputs of a row in one bank, one-lane machines) keeps the one-lane path and its timing.
// Correction unit (config protection != none; gen/protect/lcu.ts, issue 11)
//   Between the accumulator read and the running maximum: each row's C accumulators pass through the unit,
//   which combines a protected neuron's copies into its head column before pooling (pooling a sum of
//   halves is not the sum of pooled halves). A POST with its lcu bit set first loads the unit's per-column
//   codes from pmem[chan + j], j < nValid (one read per cycle, nValid + 1 cycles; skipped when the previous
//   lcu POST had the same chan: the M tiles of one N tile share it), then reads its rows. The serializer
//   skips copy columns (a cycle each, no write) and advances the destination only on kept columns, so
//   logical channel i lands at dstBase + i·plane. cnt_lcu counts rows in which a head saw its copies disagree.
import { Bool, mux, UInt, SInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';
import { requant, REQUANT_BIAS_BITS, REQUANT_SHIFT_BITS } from '../requant.js';
import { fitU, postLanePlaneMask, type AccelGeometry } from './config.js';
import { lcu as correctionUnit, LCU_BOUND_BITS, LCU_CODE_BITS } from '../protect/lcu.js';
import { PARAM_BITS, zeroPointLo } from './isa.js';
import { accAddress, type AbufWrite, type Buffers } from './buffers.js';
import type { Controller } from './controller.js';
import type { Counters } from './counters.js';

export interface PostEngine {
  readonly busy: Value;
  readonly abufWrite: AbufWrite;
}

const PERIOD_BITS = 18;
/** Rows of a pool window: 4·2^window (isa.ts POST), at most 512. */
const WINDOW_ROW_BITS = 9;

/** Build the POST engine. */
export function buildPostEngine(m: ModuleBuilder, g: AccelGeometry, bufs: Buffers, ctl: Controller, counters: Counters): PostEngine {
  const { cols: C } = g;
  const dec = ctl.decoder;
  const start = ctl.startPost;
  const awA = bufs.aw.abuf;

  const active = m.reg('post_active', Bool, { reset: 0 });
  const bank = m.reg('post_bank', Bool, { reset: 0 });
  const relu = m.reg('post_relu', Bool, { reset: 0 });
  const nValid = m.reg('post_nValid', UInt(8), { reset: 0 });
  const chan = m.reg('post_chan', UInt(bufs.aw.pmem), { reset: 0 });
  const dst = m.reg('post_dst', Bool, { reset: 0 });
  const dstBase = m.reg('post_dstBase', UInt(awA), { reset: 0 });
  const plane = m.reg('post_plane', UInt(awA), { reset: 0 });
  const groups = m.reg('post_groups', UInt(16), { reset: 0 });
  const interval = m.reg('post_interval', UInt(8), { reset: 0 });
  const period = m.reg('post_period', UInt(PERIOD_BITS), { reset: 0 });

  const fPool = dec.field('POST', 'pool');
  const fM = dec.field('POST', 'mCount');
  const fN = dec.field('POST', 'nValid');
  const fI = dec.field('POST', 'interval');
  const ivl = mux(fI.eq(0), 1, fI).zext(PERIOD_BITS);
  // A pool window is 4·2^window elements: log2 of it is window + 2; with column pooling (cpool) its rows are
  // 2^(window + 2 − cpool) (isa.ts; cpool > window + 2 is refused by the interpreter, garbage here).
  const fCpool = dec.field('POST', 'cpool');
  const winLog = dec.field('POST', 'window').zext(4).add(2).sub(fCpool.zext(4)).asUnsigned().trunc(4);
  const span = mux(fPool, ivl.shl(winLog), ivl).trunc(PERIOD_BITS);
  const winLast = m.reg('post_winLast', UInt(WINDOW_ROW_BITS), { reset: 0 });
  const n = fN.zext(PERIOD_BITS);
  const rowMajor = m.reg('post_rowMajor', Bool, { reset: 0 });
  // Row lanes (g.postLanes = C; issue 14): an unpooled POST whose plane spreads a row over distinct banks writes
  // each row's nValid outputs in one cycle through C requantization lanes, so a group takes `span`
  // cycles instead of max(span, nValid).
  const lanesC = g.postLanes;
  const wide = lanesC > 1 ? m.reg('post_wide', Bool, { reset: 0 }) : null;
  const laneMaskBits = Math.log2(postLanePlaneMask(g) + 1);
  const wideNow = lanesC > 1 ? m.wire('post_wideNow', fPool.not().and(dec.field('POST', 'plane').slice(0, laneMaskBits).orR())) : null;
  // Lane j writes at the row's base + j·plane: the offsets j·plane, fixed for the POST (shift-and-add, no multiplier).
  const planeField = dec.fit('POST', 'plane', awA);
  const laneOff = Array.from({ length: lanesC }, (_, j) => (j === 0 ? null : m.reg(`post_laneOff_${j}`, UInt(awA), { reset: 0 })));
  m.when(start, () => {
    active.set(1);
    bank.set(dec.field('POST', 'bank'));
    relu.set(dec.field('POST', 'relu'));
    nValid.set(fN);
    chan.set(dec.fit('POST', 'chan', bufs.aw.pmem));
    dst.set(dec.field('POST', 'dst'));
    dstBase.set(dec.fit('POST', 'dstBase', awA));
    plane.set(dec.fit('POST', 'plane', awA));
    groups.set(mux(fPool, fM.shr(winLog), fM));
    winLast.set(mux(fPool, m.constant(1, UInt(WINDOW_ROW_BITS + 1)).shl(winLog).sub(1).trunc(WINDOW_ROW_BITS).asUnsigned(), 0));
    interval.set(ivl.trunc(8));
    period.set(wideNow ? mux(wideNow, span, mux(span.gt(n), span, n)) : mux(span.gt(n), span, n));
    rowMajor.set(fPool.not().and(dec.field('POST', 'window').orR()));
    wide?.set(wideNow!);
    laneOff.forEach((r, j) => {
      if (!r) return;
      let sum: Value | null = null;
      for (let bit = 0; 1 << bit <= j; bit++) if (j & (1 << bit)) sum = sum ? sum.add(planeField.shl(bit)) : planeField.shl(bit);
      r.set(fitU(sum!, awA));
    });
  });

  // ---- row reads: group gRead, row rdRow of it, every `interval` cycles ----
  const gRead = m.reg('post_group', UInt(16), { reset: 0 });
  const slot = m.reg('post_slot', UInt(PERIOD_BITS), { reset: 0 });
  const rdOn = m.reg('post_rdOn', Bool, { reset: 0 });
  const rdRow = m.reg('post_rdRow', UInt(WINDOW_ROW_BITS), { reset: 0 });
  const gap = m.reg('post_gap', UInt(8), { reset: 0 });
  const rowPtr = m.reg('post_row', UInt(16), { reset: 0 });
  // ---- correction unit: loading its column codes (only on a machine with one) ----
  const withLcu = g.protection !== 'none';
  let loading: Value = m.constant(0, Bool);
  let loadQ: Value = m.constant(0, Bool);
  let loadIdx: Value | null = null;
  let loadIdxQ: Value | null = null;
  let lcuOn: Value | null = null;
  let lcuClear: Value = m.constant(0, Bool);
  if (withLcu) {
    const fLcu = dec.field('POST', 'lcu');
    const chanField = dec.fit('POST', 'chan', bufs.aw.pmem);
    const on = m.reg('post_lcu', Bool, { reset: 0 });
    const lcuChan = m.reg('post_lcuChan', UInt(bufs.aw.pmem), { reset: 0 });
    const lcuValid = m.reg('post_lcuValid', Bool, { reset: 0 });
    const ld = m.reg('post_lcuLoading', Bool, { reset: 0 });
    const idx = m.reg('post_lcuIdx', UInt(8), { reset: 0 });
    const need = m.wire('post_lcuNeed', start.and(fLcu).and(fN.ne(0)).and(lcuValid.and(lcuChan.eq(chanField)).not()));
    m.when(start, () => {
      on.set(fLcu);
      m.when(fLcu, () => {
        lcuChan.set(chanField);
        lcuValid.set(1);
      });
      ld.set(need);
      idx.set(0);
    }).elseWhen(ld, () => {
      idx.set(idx.add(1).trunc(8));
      m.when(idx.add(1).eq(nValid), () => ld.set(0));
    });
    const ldQ = m.reg('post_lcuLoadQ', Bool, { reset: 0 });
    ldQ.set(ld);
    const idxQ = m.reg('post_lcuIdxQ', UInt(Math.max(1, Math.ceil(Math.log2(C)))), { reset: 0 });
    idxQ.set(fitU(idx, idxQ.width));
    loading = ld;
    loadQ = ldQ;
    loadIdx = idx;
    loadIdxQ = idxQ;
    lcuOn = on;
    lcuClear = need;
  }
  const inRows = active.and(gRead.lt(groups)).and(loading.not());
  const readNow = m.wire('post_readNow', inRows.and(rdOn).and(gap.eq(0)));
  const groupLastRow = rdRow.eq(winLast);
  const groupEnd = inRows.and(slot.add(1).eq(period));
  m.when(start, () => {
    gRead.set(0);
    slot.set(0);
    rdOn.set(1);
    rdRow.set(0);
    gap.set(0);
    rowPtr.set(0);
  }).elseWhen(inRows, () => {
    m.when(readNow, () => {
      rowPtr.set(rowPtr.add(1).trunc(16));
      rdRow.set(rdRow.add(1).trunc(WINDOW_ROW_BITS));
      gap.set(interval.sub(1).asUnsigned().trunc(8));
      m.when(groupLastRow, () => rdOn.set(0));
    }).elseWhen(gap.ne(0), () => gap.set(gap.sub(1).asUnsigned().trunc(8)));
    slot.set(slot.add(1).trunc(PERIOD_BITS));
    m.when(groupEnd, () => {
      slot.set(0);
      gRead.set(gRead.add(1).trunc(16));
      rdOn.set(1);
      rdRow.set(0);
      gap.set(0);
    });
  });
  const raw = bufs.accbuf.map((col, j) => col.read(`post_accq_${j}`, accAddress(m, g, bufs, bank, rowPtr)));
  // The pmem read port: the unit's codes while loading, else the serializer's column parameters (below).
  const paramAddr = m.wire('post_paramAddr', UInt(bufs.aw.pmem));
  const param = bufs.pmem.read('post_param', paramAddr);
  let dq: Value[] = raw;
  let copies: Value | null = null;
  let lcuFlag: Value | null = null;
  if (withLcu) {
    const unit = m.instance('lcu', correctionUnit({ scheme: g.protection as 'split' | 'dup' | 'tmr', cols: C, accWidth: g.accWidth }), {
      ...Object.fromEntries(raw.map((d, j) => [`acc_${j}`, d])),
      enable: lcuOn!,
      clear: lcuClear,
      load: loadQ,
      load_idx: loadIdxQ!,
      load_code: param.slice(PARAM_BITS, LCU_CODE_BITS),
      ...(g.protection === 'split' ? { load_bound: param.slice(PARAM_BITS + LCU_CODE_BITS, LCU_BOUND_BITS) } : {}),
    });
    dq = raw.map((_, j) => unit.out(`out_${j}`));
    copies = unit.out('copies');
    lcuFlag = unit.out('flag');
  }
  const rd1 = m.reg('post_rd1', Bool, { reset: 0 });
  rd1.set(readNow);
  if (lcuFlag) counters.add('cnt_lcu', rd1.and(lcuFlag));
  const first1 = m.reg('post_first1', Bool, { reset: 0 });
  first1.set(rdRow.eq(0));
  const last1 = m.reg('post_last1', Bool, { reset: 0 });
  last1.set(groupLastRow);

  // ---- running maximum over the group; hand-off to the serializer ----
  const transfer = m.wire('post_transfer', rd1.and(last1));
  const outVec = dq.map((d, j) => {
    const maxReg = m.reg(`post_max_${j}`, SInt(g.accWidth), { reset: 0 });
    const grp = mux(first1.or(d.gt(maxReg)), d, maxReg);
    m.when(rd1, () => maxReg.set(grp));
    const out = m.reg(`post_vec_${j}`, SInt(g.accWidth), { reset: 0 });
    m.when(transfer, () => out.set(grp));
    return out;
  });

  // ---- serializer: column serJ of the handed-off vector, one per cycle ----
  const serOn = m.reg('post_serOn', Bool, { reset: 0 });
  const serJ = m.reg('post_serJ', UInt(8), { reset: 0 });
  const serAddr = m.reg('post_serAddr', UInt(awA), { reset: 0 });
  const outGroup = m.reg('post_outGroup', UInt(16), { reset: 0 });
  const rowBase = m.reg('post_rowBase', UInt(16), { reset: 0 });
  const serBase = m.reg('post_serBase', UInt(bufs.aw.pmem), { reset: 0 });
  m.when(start, () => {
    outGroup.set(0);
    rowBase.set(0);
  });
  // A copy column (correction unit) is skipped: no write, and the destination does not advance.
  const skip = copies ? m.wire('post_skip', copies.shr(serJ.zext(Math.max(8, copies.width))).slice(0, 1)) : m.constant(0, Bool);
  m.when(serOn, () => {
    serJ.set(serJ.add(1).trunc(8));
    m.when(skip.not(), () => serAddr.set(serAddr.add(plane).trunc(awA)));
    m.when(wide ? serJ.add(1).eq(nValid).or(wide) : serJ.add(1).eq(nValid), () => serOn.set(0));
  });
  m.when(transfer, () => {
    serOn.set(nValid.ne(0));
    serJ.set(0);
    serAddr.set(dstBase.add(fitU(mux(rowMajor, rowBase, outGroup), awA)).trunc(awA));
    outGroup.set(outGroup.add(1).trunc(16));
    serBase.set(mux(rowMajor, fitU(rowBase, bufs.aw.pmem), 0));
    rowBase.set(rowBase.add(nValid).trunc(16));
  });
  const serChan = chan.add(serBase).trunc(bufs.aw.pmem);
  paramAddr.set(loadIdx ? mux(loading, chan.add(fitU(loadIdx, bufs.aw.pmem)), serChan.add(fitU(serJ, bufs.aw.pmem))).trunc(bufs.aw.pmem) : serChan.add(fitU(serJ, bufs.aw.pmem)).trunc(bufs.aw.pmem));
  // Column pooling (cpool != 0): output g is the max of columns g·P .. g·P+P−1, P = 2^cpool — a tree of
  // pairwise maxima over the handed-off vector, level cpool selected (exact before requantization: one channel).
  const levels: Value[][] = [outVec];
  while (levels.length < 8 && levels.at(-1)!.length >= 2) {
    const prev = levels.at(-1)!;
    levels.push(Array.from({ length: prev.length >> 1 }, (_, i) => mux(prev[2 * i + 1]!.gt(prev[2 * i]!), prev[2 * i + 1]!, prev[2 * i]!)));
  }
  let reduced: Value[] = outVec;
  if (levels.length > 1) {
    const cpool = m.reg('post_cpool', UInt(3), { reset: 0 });
    m.when(start, () => cpool.set(mux(fPool, fCpool, 0)));
    reduced = outVec.map((v, j) => levels.reduce<Value>((acc, level, l) => (l > 0 && j < level.length ? mux(cpool.eq(l), level[j]!, acc) : acc), v));
  }
  let selected: Value = reduced[0]!;
  for (let j = 1; j < C; j++) selected = mux(serJ.eq(j), reduced[j]!, selected);
  const z1 = m.reg('post_z1', SInt(g.accWidth), { reset: 0 });
  z1.set(selected);
  const v1 = m.reg('post_v1', Bool, { reset: 0 });
  v1.set(serOn.and(skip.not()));
  const wa1 = m.reg('post_wa1', UInt(awA), { reset: 0 });
  wa1.set(serAddr);

  // ---- requantization lane (gen/requant.ts, REQUANT_LATENCY = 2): q = requantize(z + bias, {b, c}) to int16,
  // then + the output zero point zp, clamped to the element width, ReLU at zp (accel/golden.ts requantizeInt8:
  // clamping to int16 first changes nothing, |zp| <= 128). The zero point travels alongside the lane. ----
  const lane = m.instance('requant', requant({ accWidth: g.accWidth, outBits: 16 }), {
    acc: z1,
    bias: param.slice(37, REQUANT_BIAS_BITS).asSigned(),
    mult: param.slice(6, 31),
    shift: param.slice(0, REQUANT_SHIFT_BITS),
    relu: m.constant(0, Bool),
    valid_in: v1,
  });
  const zp2 = m.reg('post_zp2', SInt(8), { reset: 0 });
  zp2.set(param.slice(zeroPointLo(g.protection), 8).asSigned());
  const zp3 = m.reg('post_zp3', SInt(8), { reset: 0 });
  zp3.set(zp2);
  const v2 = m.reg('post_v2', Bool, { reset: 0 });
  v2.set(v1);
  const wa2 = m.reg('post_wa2', UInt(awA), { reset: 0 });
  wa2.set(wa1);
  const wa3 = m.reg('post_wa3', UInt(awA), { reset: 0 });
  wa3.set(wa2);
  const v3 = lane.out('valid_out');
  /** A lane's int16 q plus the zero point, clamped to the element width, ReLU at the zero point. */
  const outputOf = (q16: Value, zp: Value, sum?: string): Value => {
    const shifted = sum ? m.wire(sum, q16.add(zp)) : q16.add(zp);
    const hi = m.constant(2 ** (g.bits - 1) - 1, SInt(g.bits));
    const lo = m.constant(-(2 ** (g.bits - 1)), SInt(g.bits));
    const clamped = mux(shifted.gt(hi), hi, mux(shifted.lt(lo), lo, shifted.trunc(g.bits)));
    const zpOut = zp.resize(g.bits);
    return mux(relu.and(clamped.lt(zpOut)), zpOut, clamped);
  };
  const q = m.wire('post_q', outputOf(lane.out('q'), zp3, 'post_zpSum'));

  // ---- the other row lanes: column j of the row handed off in the serializer's one cycle, its parameters from a
  // pmem read port of its own at serChan + j, written at wa3 + j·plane ----
  const more: { en: Value; data: Value; addr: Value }[] = [];
  for (let j = 1; j < lanesC; j++) {
    const zj = m.reg(`post_z1_${j}`, SInt(g.accWidth), { reset: 0 });
    zj.set(outVec[j]!);
    const vj = m.reg(`post_v1_${j}`, Bool, { reset: 0 });
    vj.set(serOn.and(wide!).and(nValid.gt(j)));
    const pj = bufs.pmem.read(`post_param_${j}`, serChan.add(j).trunc(bufs.aw.pmem));
    const lj = m.instance(`requant_${j}`, requant({ accWidth: g.accWidth, outBits: 16 }), {
      acc: zj,
      bias: pj.slice(37, REQUANT_BIAS_BITS).asSigned(),
      mult: pj.slice(6, 31),
      shift: pj.slice(0, REQUANT_SHIFT_BITS),
      relu: m.constant(0, Bool),
      valid_in: vj,
    });
    const zpj2 = m.reg(`post_zp2_${j}`, SInt(8), { reset: 0 });
    zpj2.set(pj.slice(zeroPointLo(g.protection), 8).asSigned());
    const zpj3 = m.reg(`post_zp3_${j}`, SInt(8), { reset: 0 });
    zpj3.set(zpj2);
    more.push({ en: lj.out('valid_out'), data: m.wire(`post_q_${j}`, outputOf(lj.out('q'), zpj3)), addr: m.wire(`post_wa_${j}`, wa3.add(laneOff[j]!).trunc(awA)) });
  }

  const finished = gRead.eq(groups).and(loading.not()).and(loadQ.not()).and(rd1.not()).and(serOn.not()).and(v1.not()).and(v2.not()).and(v3.not());
  m.when(active.and(finished).and(start.not()), () => active.set(0));

  counters.add('cnt_acc_rd', readNow);
  counters.add('cnt_requant', v3);
  counters.add('cnt_abuf_wr', v3);
  for (const l of more) {
    counters.add('cnt_requant', l.en);
    counters.add('cnt_abuf_wr', l.en);
  }
  return { busy: active, abufWrite: { en: v3, sel: dst, addr: wa3, data: q, ...(more.length ? { more } : {}) } };
}
