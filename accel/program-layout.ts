// Program-building helpers shared by the compiler (accel/compiler.ts) and the tests: DRAM packing of
// elements and weight rows in the LOAD layout of gen/accel/isa.ts; an instruction list that inserts
// the hazard WAITs of the isa.ts rule (HazardProgram), optionally at the granularity of wbuf rows and
// activation-buffer elements, with an estimate of when each instruction issues; and the interleaving
// of a compute stream (GEMM/POST) with a DMA stream (LOADs) into one in-order program.
// test/support/accel-programs.ts re-exports the packing helpers and HazardProgram for the tests.
import { postUsesRowLanes, type AccelGeometry } from '../gen/accel/config.js';
import { gemmBusyCycles, gemmSeqCycles } from '../gen/accel/gemm-engine.js';
import { decodeOffset, FIELDS, OFF_VALID, WAIT_MASK, type Instruction } from '../gen/accel/isa.js';

/** Pack signed elements P per DRAM word (element e in lane e mod P, little-endian lanes). */
export function packElements(values: ArrayLike<number>, g: AccelGeometry): bigint[] {
  const words: bigint[] = new Array<bigint>(Math.ceil(values.length / g.elemsPerWord)).fill(0n);
  const mask = (1n << BigInt(g.bits)) - 1n;
  for (let e = 0; e < values.length; e++) {
    const w = Math.floor(e / g.elemsPerWord);
    words[w] = words[w]! | ((BigInt(values[e]!) & mask) << BigInt((e % g.elemsPerWord) * g.bits));
  }
  return words;
}

/** Weight rows (C elements each) in the LOAD WBUF layout: ceil(C/P) words per row, zero-padded. */
export function packWeightRows(rows: readonly (readonly number[])[], g: AccelGeometry): bigint[] {
  return rows.flatMap((row) => {
    const words = packElements(row, g);
    while (words.length < g.wordsPerWeightRow) words.push(0n);
    return words;
  });
}

/** Unpack `count` signed elements from DRAM words starting at word `word` (inverse of packElements). */
export function unpackElements(dram: readonly bigint[], word: number, count: number, g: AccelGeometry): number[] {
  const mask = (1n << BigInt(g.bits)) - 1n;
  return Array.from({ length: count }, (_, e) => Number(BigInt.asIntN(g.bits, ((dram[word + Math.floor(e / g.elemsPerWord)] ?? 0n) >> BigInt((e % g.elemsPerWord) * g.bits)) & mask)));
}


/**
 * What the hazard rule tracks: the weight buffer (rows), each activation buffer (elements) and its
 * single write port (shared by LOAD and POST: isa.ts "Hazards"), each accumulator bank, and DRAM.
 */
type Space = 'wbuf' | 'abuf0' | 'abuf1' | 'port0' | 'port1' | 'acc0' | 'acc1' | 'dram';
type Engine = 'dma' | 'gemm' | 'post';
/**
 * What a WAIT can wait for (isa.ts WAIT): the engines, and the GEMM engine's writes of accumulator bank 0 / 1
 * (a GEMM's reads of wbuf and abuf end when its last vector enters the array, and the next GEMM issues only then;
 * its bank writes go on while later GEMMs run, so they are waited for separately).
 */
type Waitable = Engine | 'acc0' | 'acc1';
const WAITABLES: readonly Waitable[] = ['dma', 'gemm', 'post', 'acc0', 'acc1'];
const WAIT_BIT: Record<Waitable, number> = { dma: WAIT_MASK.DMA, gemm: WAIT_MASK.GEMM, post: WAIT_MASK.POST, acc0: WAIT_MASK.ACC0, acc1: WAIT_MASK.ACC1 };
/** The engine a waitable belongs to (an engine runs its own instructions in order: no WAIT within it). */
const ENGINE_OF: Record<Waitable, Engine> = { dma: 'dma', gemm: 'gemm', post: 'post', acc0: 'gemm', acc1: 'gemm' };
/** What a WAIT on it also makes idle (the GEMM engine idle: its banks drained). */
const CLEARS: Record<Waitable, readonly Waitable[]> = { dma: ['dma'], gemm: ['gemm', 'acc0', 'acc1'], post: ['post'], acc0: ['acc0'], acc1: ['acc1'] };

/** Rows (wbuf) or elements lo .. hi − 1 of a space. */
interface Span {
  readonly space: Space;
  readonly lo: number;
  readonly hi: number;
}

interface Effects {
  readonly engine: Engine;
  readonly reads: readonly Span[];
  readonly writes: readonly Span[];
}

const wholeOf = (space: Space): Span => ({ space, lo: 0, hi: Infinity });
const overlaps = (a: readonly Span[], b: readonly Span[]): boolean => a.some((x) => b.some((y) => x.space === y.space && x.lo < y.hi && y.lo < x.hi));

/**
 * What lets HazardProgram track parts of buffers instead of whole buffers, and estimate issue cycles:
 * the instance's geometry and the GEMM tables. Fill the tables first and do not change them while the
 * detail is in use: what an instruction touches is memoized per detail object (share one detail
 * between the programs of one compilation) and per instruction object (do not mutate pushed ones).
 */
export interface HazardDetail {
  readonly geometry: AccelGeometry;
  readonly pixmem: readonly number[];
  readonly offmem: readonly number[];
}

/**
 * The engine of an instruction and what it reads and writes (isa.ts "Hazards"). Without `detail`
 * every access is to a whole buffer. With it: LOAD WBUF writes rows addr .. addr+count−1; GEMM reads
 * rows wRow .. wRow+kTiles·R−1 and, of abuf[src], min pixel + o .. max pixel + o for every valid
 * offset o (a superset of the a(m, k) addresses); POST writes dstBase + j·plane .. + groups−1 of
 * abuf[dst] for each channel j < nValid; LOAD/STORE ABUF touch addr .. addr+count−1; acc banks are
 * whole. A range that would reach past its buffer (where the RTL wraps addresses) or index past a
 * table counts as the whole buffer, and an instruction that moves no data touches nothing. The write
 * port of abuf x is written by every LOAD into x and every POST into x that writes at all, whatever
 * the addresses.
 */
function effects(ins: Instruction, detail?: HazardDetail, ring?: Ring): Effects | null {
  const g = detail?.geometry;
  const abuf = (b: number): Space => (b === 0 ? 'abuf0' : 'abuf1');
  const port = (b: number): Space => (b === 0 ? 'port0' : 'port1');
  /** lo .. lo+count−1 of a space of `depth` entries: whole without detail or past the end, none when empty. */
  const part = (space: Space, lo: number, count: number, depth: number | undefined): Span[] => {
    if (!g || depth === undefined) return [wholeOf(space)];
    if (count <= 0) return [];
    return lo + count <= depth ? [{ space, lo, hi: lo + count }] : [wholeOf(space)];
  };
  switch (ins.op) {
    case 'LOAD': {
      if (ins.buf === 0) return { engine: 'dma', reads: [wholeOf('dram')], writes: part('wbuf', ins.addr, ins.count, g?.wbufDepth) };
      const b = ins.buf - 1;
      const data = part(abuf(b), ins.addr, ins.count, g?.abufDepth);
      return { engine: 'dma', reads: [wholeOf('dram')], writes: data.length ? [...data, wholeOf(port(b))] : [] };
    }
    case 'STORE':
      return { engine: 'dma', reads: part(abuf(ins.buf - 1), ins.addr, ins.count, g?.abufDepth), writes: [wholeOf('dram')] };
    case 'GEMM': {
      const acc: Space = ins.bank ? 'acc1' : 'acc0';
      if (!detail || !g) return { engine: 'gemm', reads: [wholeOf('wbuf'), wholeOf(abuf(ins.src))], writes: [wholeOf(acc)] };
      if (ins.mCount === 0 || ins.kTiles === 0) return { engine: 'gemm', reads: [], writes: [] };
      const K = ins.kTiles * g.rows;
      // A GEMV (isa.ts gemv) reads mCount weight tiles per K tile, and pixel t plus the first R offsets per K tile t.
      const rows = ins.gemv ? K * ins.mCount : K;
      const act = ins.gemv ? gemmActivations({ ...ins, mCount: ins.kTiles }, g.rows, detail) : gemmActivations(ins, K, detail);
      return { engine: 'gemm', reads: [...part('wbuf', ins.wRow, rows, g.wbufDepth), ...(ins.ring && ring ? wrapped(act, ring) : act)], writes: [wholeOf(acc)] };
    }
    case 'POST': {
      const groups = ins.pool ? Math.floor(ins.mCount / postGroupRows(ins)) : ins.mCount;
      const data = g ? postDestinations(abuf(ins.dst), ins, groups, g.abufDepth) : [wholeOf(abuf(ins.dst))];
      return { engine: 'post', reads: [wholeOf(ins.bank ? 'acc1' : 'acc0')], writes: data.length ? [...data, wholeOf(port(ins.dst))] : [] };
    }
    default:
      return null;
  }
}

/** Spans [lo + o, hi + o) for ascending offsets o, merged where they touch or overlap. */
function shifted(space: Space, lo: number, hi: number, offsets: readonly number[]): Span[] {
  const out: { space: Space; lo: number; hi: number }[] = [];
  for (const o of offsets) {
    const last = out.at(-1);
    if (last && lo + o <= last.hi) last.hi = Math.max(last.hi, hi + o);
    else out.push({ space, lo: lo + o, hi: hi + o });
  }
  return out;
}

/** A ring register (isa.ts RING): GEMMs with ring = 1 read a >= base + size at a − size. */
interface Ring {
  readonly base: number;
  readonly size: number;
}

/** Spans of unwrapped addresses as the ring reads them: the part at or past base + size moves down by size. */
function wrapped(spans: readonly Span[], ring: Ring): Span[] {
  const end = ring.base + ring.size;
  return spans.flatMap((s) => {
    if (s.hi <= end) return [s];
    if (s.hi === Infinity) return [s];
    const out: Span[] = [];
    if (s.lo < end) out.push({ space: s.space, lo: s.lo, hi: end });
    out.push({ space: s.space, lo: Math.max(s.lo, end) - ring.size, hi: s.hi - ring.size });
    return out;
  });
}

/** The valid offsets of offmem[offAddr .. offAddr+K−1], ascending and distinct (memoized per HazardDetail). */
const validOffsets = new WeakMap<HazardDetail, Map<string, number[]>>();
function offsetsOf(detail: HazardDetail, offAddr: number, K: number): number[] {
  const { offmem } = detail;
  let memo = validOffsets.get(detail);
  if (!memo) validOffsets.set(detail, (memo = new Map()));
  const key = `${offAddr},${K}`;
  let offs = memo.get(key);
  if (!offs) {
    const set = new Set<number>();
    for (let k = 0; k < K; k++) {
      const e = offmem[offAddr + k]!;
      if (e & OFF_VALID) set.add(decodeOffset(e));
    }
    memo.set(key, (offs = [...set].sort((a, b) => a - b)));
  }
  return offs;
}

/**
 * The activation-buffer elements a GEMM reads (see effects): for every valid offset o the span
 * [min pixel + o, max pixel + o], merged — a superset of {pixmem[m] + offset k}, e.g. one span per
 * input channel of a conv.
 */
function gemmActivations(ins: Extract<Instruction, { op: 'GEMM' }>, K: number, detail: HazardDetail): Span[] {
  const space: Space = ins.src === 0 ? 'abuf0' : 'abuf1';
  const { pixmem, offmem, geometry } = detail;
  if (ins.pixAddr + ins.mCount > pixmem.length || ins.offAddr + K > offmem.length) return [wholeOf(space)];
  let minPix = Infinity;
  let maxPix = -Infinity;
  for (let m = 0; m < ins.mCount; m++) {
    const p = pixmem[ins.pixAddr + m]!;
    minPix = Math.min(minPix, p);
    maxPix = Math.max(maxPix, p);
  }
  const offs = offsetsOf(detail, ins.offAddr, K);
  if (offs.length === 0) return []; // every offset invalid: zero activations, nothing read
  if (maxPix + offs.at(-1)! >= geometry.abufDepth) return [wholeOf(space)];
  return shifted(space, minPix, maxPix + 1, offs);
}

/** The elements a POST writes: dstBase + j·plane + q for j < nValid, q < groups (merged per channel). */
function postDestinations(space: Space, ins: Extract<Instruction, { op: 'POST' }>, groups: number, depth: number): Span[] {
  if (ins.nValid === 0 || groups === 0) return [];
  if (!ins.pool && ins.window) {
    // Row-major (isa.ts): dstBase + q·nValid + j·plane, one span over all of them.
    const end = ins.dstBase + (groups - 1) * ins.nValid + (ins.nValid - 1) * ins.plane + 1;
    return end > depth ? [wholeOf(space)] : [{ space, lo: ins.dstBase, hi: end }];
  }
  if (ins.dstBase + (ins.nValid - 1) * ins.plane + groups > depth) return [wholeOf(space)];
  return shifted(space, ins.dstBase, ins.dstBase + groups, Array.from({ length: ins.nValid }, (_, j) => j * ins.plane));
}

/** Accumulator rows per pooled output of a POST with pool = 1: 4·2^window elements over 2^cpool columns (isa.ts), at least 1. */
export function postGroupRows(ins: Extract<Instruction, { op: 'POST' }>): number {
  return Math.max(1, (4 << (ins.window ?? 0)) >> (ins.cpool ?? 0));
}

/**
 * Estimated cycles an engine stays busy after issuing `ins` (docs/accelerator.md, the engines): GEMM is
 * gen/accel/gemm-engine.ts gemmBusyCycles (tested equal to the RTL); LOAD WBUF count·ceil(C/P) + L + 1;
 * LOAD ABUF about count + L + 1 (one element per cycle through the write port), ceil(count/P) + L + 1 on a
 * machine that writes a word's P elements at once (g.loadLanes = P); STORE count + 2 (1 for count 0), ceil(count/P) + 2 where it
 * reads a word's P elements at once (g.loadLanes = P; plus stalls while a GEMM reads its buffer); POST
 * (groups − 1) · max(Gr · interval, nValid) + (Gr − 1) · interval + nValid + 6 (Gr rows per group: postGroupRows),
 * (groups − 1) · max(1, interval) + 7 for an unpooled POST through the row lanes (gen/accel/config.ts
 * postUsesRowLanes: a machine with g.postLanes > 1, a plane that puts a row's outputs in distinct banks). Only used to choose an order; the RTL decides (test/gen/accel/widewrite.test.ts and
 * cpool.test.ts check them against it).
 */
export function busyEstimate(ins: Instruction, g: AccelGeometry): number {
  switch (ins.op) {
    case 'LOAD':
      if (ins.count === 0) return 1;
      return (ins.buf === 0 ? ins.count * g.wordsPerWeightRow : g.loadLanes > 1 ? Math.ceil(ins.count / g.loadLanes) : ins.count) + g.dramLatency + 1;
    case 'STORE':
      if (ins.count === 0) return 1;
      return (g.loadLanes > 1 ? Math.ceil(ins.count / g.loadLanes) : ins.count) + 2;
    case 'GEMM':
      return gemmBusyCycles(g, ins.mCount, ins.kTiles, ins.gemv === 1);
    case 'POST': {
      const span = ins.pool ? postGroupRows(ins) : 1;
      const groups = Math.floor(ins.mCount / span);
      const rowLanes = postUsesRowLanes(g, ins);
      if (rowLanes) return groups === 0 ? 1 : (groups - 1) * Math.max(1, ins.interval) + 7;
      // lcu: the correction unit loads its codes first (nValid + 1 cycles; none when reused).
      // Groups start every period = max(Gr · interval, nValid) cycles; the last one's rows end (Gr − 1) · interval + 1
      // cycles after its start, then its nValid outputs leave the serializer and the 3-stage lane (measured equal to
      // the RTL's busy_post: test/gen/accel/cpool.test.ts).
      const ivl = Math.max(1, ins.interval);
      const period = Math.max(1, span * ivl, ins.nValid);
      return (groups === 0 ? 1 : (groups - 1) * period + (span - 1) * ivl + ins.nValid + 6) + (ins.lcu ? ins.nValid + 1 : 0);
    }
    default:
      return 0;
  }
}

const effectsMemo = new WeakMap<HazardDetail, Map<string, Effects | null>>();

/**
 * An instruction list that inserts exactly the WAITs the isa.ts hazard rule requires: before an
 * instruction, a WAIT on every other engine whose outstanding (last issued) instruction writes
 * something this one reads or writes, or reads something this one writes. An engine runs its
 * instructions in order and the controller issues in order, so only the last instruction per engine
 * can still be running — except the GEMM engine's accumulator writes: every GEMM since the last WAIT on
 * its bank may still drain, so the banks are waited for separately (WAIT bits 3, 4; a GEMM's wbuf/abuf reads
 * on bit 1). HALT waits for every engine by itself.
 *
 * Without `detail` buffers are tracked whole. With it, parts of buffers (see effects) — still
 * exactly the rule, since two accesses to disjoint rows or elements of a buffer do not interact
 * (every buffer is a synchronous-read memory with separate read and write ports; the one shared
 * write port of an activation buffer is tracked as its own resource) — and `estimate` gives the
 * cycle at which the next instruction would issue (controller timing of docs/accelerator.md with
 * busyEstimate per engine).
 */
export class HazardProgram {
  readonly program: Instruction[] = [];
  private readonly outstanding = new Map<Waitable, Effects>();
  /**
   * Estimated issue model: the first cycle the next instruction may issue, when each waitable is idle (gemm: the
   * engine with its drains), and when the GEMM engine's sequencer is free (the next GEMM may issue).
   */
  private nextSlot = 1;
  private readonly idleAt: Record<Waitable, number> = { dma: 0, gemm: 0, post: 0, acc0: 0, acc1: 0 };
  private gemmSeqFree = 0;
  private readonly byObject = new WeakMap<Instruction, Effects | null>();
  /** Ring registers as the RINGs pushed so far set them (a GEMM's reads depend on them). */
  private readonly rings: Ring[] = Array.from({ length: 4 }, () => ({ base: 0, size: 0 }));

  constructor(private readonly detail?: HazardDetail) {}

  /**
   * effects(), memoized per instruction object and, across programs built on one HazardDetail (a
   * compiler tries many schedules), by the instruction's fields.
   */
  private effectsOf(ins: Instruction): Effects | null {
    const ring = ins.op === 'GEMM' && ins.ring ? this.rings[ins.ringSel ?? 0]! : undefined;
    const known = ring ? undefined : this.byObject.get(ins);
    if (known !== undefined) return known;
    let fx: Effects | null;
    if (this.detail) {
      let memo = effectsMemo.get(this.detail);
      if (!memo) effectsMemo.set(this.detail, (memo = new Map()));
      const key = [ins.op, ...Object.keys(FIELDS[ins.op]).map((f) => (ins as unknown as Record<string, number>)[f]), ...(ring ? [ring.base, ring.size] : [])].join();
      const cached = memo.get(key);
      if (cached === undefined) memo.set(key, (fx = effects(ins, this.detail, ring)));
      else fx = cached;
    } else fx = effects(ins);
    if (!ring) this.byObject.set(ins, fx);
    return fx;
  }

  /** Index the next pushed instruction (or its WAIT) will get. */
  get length(): number {
    return this.program.length;
  }

  /** Estimated cycle count of the program so far if a HALT were issued next (needs `detail`). */
  get estimatedCycles(): number {
    return this.estimate({ op: 'HALT' }) + 1;
  }

  /** The WAIT mask `ins` needs now (0: none). */
  private waitMask(fx: Effects): number {
    let mask = 0;
    for (const [w, o] of this.outstanding) {
      if (ENGINE_OF[w] === fx.engine) continue;
      if (overlaps(fx.writes, o.reads) || overlaps(fx.writes, o.writes) || overlaps(fx.reads, o.writes)) mask |= WAIT_BIT[w];
    }
    return mask;
  }

  private engineOf(ins: Instruction): Engine | null {
    return ins.op === 'LOAD' || ins.op === 'STORE' ? 'dma' : ins.op === 'GEMM' ? 'gemm' : ins.op === 'POST' ? 'post' : null;
  }

  /** Issue cycle of an instruction at the current point of the model (WAIT and HALT: when their engines are idle). */
  private issueAt(ins: Instruction, from: number): number {
    const engine = this.engineOf(ins);
    if (engine) return Math.max(from, engine === 'gemm' ? this.gemmSeqFree : this.idleAt[engine]);
    const mask = ins.op === 'WAIT' ? ins.mask : ins.op === 'HALT' ? 31 : 0;
    return Math.max(from, ...WAITABLES.filter((w) => mask & WAIT_BIT[w]).map((w) => this.idleAt[w]));
  }

  /** Estimated cycle at which `ins` would issue if pushed now (after its WAIT, if it needs one). */
  estimate(ins: Instruction): number {
    const fx = this.effectsOf(ins);
    const mask = fx ? this.waitMask(fx) : 0;
    const from = mask ? this.issueAt({ op: 'WAIT', mask }, this.nextSlot) + 1 : this.nextSlot;
    return this.issueAt(ins, from);
  }

  /** Append `ins`, preceded by the WAIT its hazards need (if any). */
  push(ins: Instruction): this {
    if (ins.op === 'WAIT') for (const w of WAITABLES) if (ins.mask & WAIT_BIT[w]) for (const c of CLEARS[w]) this.outstanding.delete(c);
    if (ins.op === 'HALT') this.outstanding.clear();
    if (ins.op === 'RING') this.rings[ins.reg] = { base: ins.base, size: ins.size };
    const fx = this.effectsOf(ins);
    if (fx) {
      const mask = this.waitMask(fx);
      if (mask) this.push({ op: 'WAIT', mask });
      if (fx.engine === 'gemm') {
        // The GEMM's reads end when the next GEMM issues; its bank writes stay outstanding until a WAIT on the bank.
        const accWrites = fx.writes.filter((s) => s.space === 'acc0' || s.space === 'acc1');
        this.outstanding.set('gemm', { engine: 'gemm', reads: fx.reads, writes: fx.writes.filter((s) => !accWrites.includes(s)) });
        for (const s of accWrites) this.outstanding.set(s.space as Waitable, { engine: 'gemm', reads: [], writes: [s] });
      } else this.outstanding.set(fx.engine, fx);
    }
    const at = this.issueAt(ins, this.nextSlot);
    this.nextSlot = at + 1;
    const engine = this.engineOf(ins);
    if (engine === 'gemm' && this.detail && ins.op === 'GEMM') {
      // Sequencer free after gemmSeqCycles, the bank drained after gemmBusyCycles (gen/accel/gemm-engine.ts).
      const g = this.detail.geometry;
      this.gemmSeqFree = at + 1 + gemmSeqCycles(g, ins.mCount, ins.kTiles, ins.gemv === 1);
      const drained = at + 1 + gemmBusyCycles(g, ins.mCount, ins.kTiles, ins.gemv === 1);
      this.idleAt.gemm = Math.max(this.idleAt.gemm, drained);
      if (ins.mCount > 0 && ins.kTiles > 0) {
        const bank: Waitable = ins.bank ? 'acc1' : 'acc0';
        this.idleAt[bank] = Math.max(this.idleAt[bank], drained);
      }
    } else if (engine && this.detail) this.idleAt[engine] = at + 1 + busyEstimate(ins, this.detail.geometry);
    this.program.push(ins);
    return this;
  }
}

/** A GEMM or POST of the compute stream; DMA steps [0, dmaBefore) must precede it in the program. */
export interface ComputeStep {
  readonly ins: Instruction;
  readonly dmaBefore: number;
}

/** A LOAD of the DMA stream; compute steps [0, computeBefore) must precede it (e.g. the last reader of the rows it overwrites). */
export interface DmaStep {
  readonly ins: Instruction;
  readonly computeBefore: number;
}

/**
 * Merge a compute stream and a DMA stream, each kept in order, into `program` (which inserts the
 * WAITs): at each step, of the two heads whose ordering constraints allow it, the one estimated to
 * issue first (ties: compute) — so a LOAD goes in as early as it can run without holding up the
 * in-order issue of the GEMMs and POSTs behind it. Returns the program index of each compute step
 * (of its WAIT when it got one). `program` needs a HazardDetail (the estimates).
 */
export function interleave(program: HazardProgram, compute: readonly ComputeStep[], dma: readonly DmaStep[]): number[] {
  const at: number[] = [];
  let c = 0;
  let d = 0;
  while (c < compute.length || d < dma.length) {
    const cReady = c < compute.length && compute[c]!.dmaBefore <= d;
    const dReady = d < dma.length && dma[d]!.computeBefore <= c;
    if (!cReady && !dReady) throw new Error(`interleave: compute step ${c} and DMA step ${d} wait for each other`);
    const takeDma = dReady && (!cReady || program.estimate(dma[d]!.ins) < program.estimate(compute[c]!.ins));
    if (takeDma) program.push(dma[d++]!.ins);
    else {
      at.push(program.length);
      program.push(compute[c++]!.ins);
    }
  }
  return at;
}
