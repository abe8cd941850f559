// The compiler of one fusion group (accel/fuse/schedule.ts) to the accelerator's ISA (gen/accel/isa.ts): the
// group's input map comes from DRAM, its output map goes to DRAM (both MapLayouts of accel/compiler/stream.ts),
// and every intermediate feature map stays in the activation buffers as a ring of line buffers.
//
// Buffers. Stage l reads its ring in abuf[l mod 2] and writes the next stage's ring in abuf[(l + 1) mod 2] (the last
//   stage: a staging area of two rows, STOREd to DRAM row by row while the next row is computed). A ring holds, per
//   channel, N + k − 1 rows of pitch pl + W + pr elements: padded input row i in ring row i mod N, rows 0 .. k − 2
//   mirrored in rows N .. N + k − 2 (written twice: a second POST, or LOAD), so every window's k rows are
//   consecutive in the buffer and the GEMM's pixmem/offmem addressing (base + ky·pitch + kx) needs no wrap-around.
//   On a machine with ring addressing (g.ring; gen/accel/ring.ts) there are no mirror rows: ring row r holds every
//   channel's line (channel c at ring base + r·C_in·pitch + c·pitch), so a ring is one contiguous region of
//   N·C_in·pitch elements, the GEMMs of the stage set ring = 1 on a ring register that holds it (RING, register
//   l mod 4), and a window running past the last ring row wraps to the first (its addresses stay below base + 2·size
//   because N >= k). POSTs and LOADs write one ring row at a time, so they never cross the ring's end.
//   Each ring is first filled with its map's zero point (one LOAD of a constant block in DRAM): the padding columns
//   are never written again and the top padding rows hold it; bottom padding rows are filled when reached.
// GEMMs. One output row (or a chunk of it: at most accRows GEMM rows, one requantization class) per GEMM, in N tiles
//   of C columns and, when a tile's k²·inC weight rows exceed half the wbuf, in channel groups (GEMM acc = 1).
//   Weights of the group's stages stay resident in the wbuf when they fit (one LOAD per stage and image), the
//   largest stages streamed otherwise: one LOAD per tile and step (per row and group when grouped).
// Hazards: HazardProgram (accel/program-layout.ts) places the WAITs, element ranges of the buffers.
import { balancedSpacing, reductionTiles, tiledReduction } from '../compiler/banks.js';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelGeometry } from '../../gen/accel/config.js';
import { addrBits } from '../../gen/accel/config.js';
import { encodeOffset, encodeParam, encodeZeroPoint, MAX_ABUF_BITS, type Instruction } from '../../gen/accel/isa.js';
import { RING_REGISTERS } from '../../gen/accel/ring.js';
import { nTiles, type NTile } from '../compiler/ntiles.js';
import type { Stage } from '../compiler/stages.js';
import { mapIndex, tableInterner, type MapLayout } from '../compiler/stream.js';
import { LCU } from '../model.js';
import { HazardProgram, packWeightRows } from '../program-layout.js';
import { convRows, scheduleGroup, windowGeom, type GroupSchedule, type WindowGeom } from './schedule.js';

/** DRAM bytes a group's program moves per image, by what they are. */
export interface GroupTraffic {
  /** The group's input map rows (mirror rows included) read, and its output map written. */
  readonly fmRead: number;
  readonly fmWritten: number;
  readonly weightRead: number;
}

/** The on-chip buffers of a group (elements = bytes for int8). */
export interface GroupBuffers {
  /** Per stage: ring rows N, mirror rows, pitch, channels, elements. */
  readonly rings: readonly { readonly stage: string; readonly rows: number; readonly mirror: number; readonly pitch: number; readonly channels: number; readonly elements: number }[];
  /** The last stage's two-row output staging area. */
  readonly staging: number;
  /** Elements used in abuf0 and abuf1. */
  readonly abuf: readonly [number, number];
  /** Weight rows resident in the wbuf and rows of its two streaming halves. */
  readonly wbufRows: number;
}

export interface CompiledGroup {
  readonly program: Instruction[];
  readonly pixmem: number[];
  readonly offmem: number[];
  readonly pmem: bigint[];
  /** The group's own DRAM words (weights, zero-point blocks), from privateBase. */
  readonly privateWords: bigint[];
  readonly posts: { layer: string; instr: number; bank: number; m0: number; mCount: number; channel0: number; nValid: number; pool: boolean }[];
  readonly traffic: GroupTraffic;
  readonly buffers: GroupBuffers;
  readonly schedule: GroupSchedule;
}

export interface GroupInput {
  readonly stages: readonly Stage[];
  readonly g: AccelGeometry;
  /** Output rows of the last stage per tile. */
  readonly tileRows: number;
  readonly input: MapLayout;
  readonly output: MapLayout;
  /** First DRAM word of the group's weights and constants. */
  readonly privateBase: number;
  /** Check the activation-buffer limits (default true; false: the planner's machine-independent figures). */
  readonly check?: boolean;
}

/** The group does not fit the machine (E179). */
function noFit(group: string, what: string): never {
  throw new DiagnosticError([msg.fuseMachine(group, what)]);
}

/** The weights of one stage: blocks (tile, channel group) of whole K tiles. */
interface StageWeights {
  readonly tiles: NTile[];
  readonly groups: { channels: number[]; k: (number | null)[] }[][];
  readonly rows: number[][];
  readonly word: number[][];
  readonly total: number;
}

/** The buffer layout and weights of a group: what both its compilation and the planner need. */
export interface GroupLayout {
  readonly geoms: WindowGeom[];
  readonly schedule: GroupSchedule;
  readonly ringBase: number[];
  readonly chanStride: number[];
  /** Elements from one ring row to the next: the pitch, or with ring addressing channels·pitch (rows interleave channels). */
  readonly rowStride: number[];
  readonly stagingBase: number;
  /** Rows of each staging half (a tile: T rows of the last stage). */
  readonly stagingRows: number;
  readonly buffers: GroupBuffers;
}

/** Window offsets of a stage whose channel ci starts at ci·chan and row ky at ky·row (compileGroup's reductionOf). */
function windowOffsets(geo: WindowGeom, chan: number, row: number): number[] {
  const offs: number[] = [];
  for (let ci = 0; ci < geo.inC; ci++) for (let ky = 0; ky < geo.k; ky++) for (let kx = 0; kx < geo.k; kx++) offs.push(ci * chan + ky * row + kx);
  return offs;
}

/** Ring sizes and their places in the two activation buffers; E179 when they do not fit. */
export function layoutGroup(stages: readonly Stage[], g: AccelGeometry, tileRows: number, check = true): GroupLayout {
  const name = stages.flatMap((s) => (s.fused ? [s.name, s.fused] : [s.name])).join('+');
  // Ring addressing (g.ring): a ring row holds every channel's line and GEMM reads wrap, so no mirror rows.
  const plain = stages.map((st) => windowGeom(st) ?? noFit(name, `stage '${st.name}' must be a conv or pool, not an fc`));
  const planned = scheduleGroup(plain, tileRows);
  // A ring's size N·C_in·pitch is a multiple of 2·R rounded up to a power of two (`align`), so a wrapped address
  // keeps its low bits (any interleaving of the activation buffer over that many banks sees the same bank before
  // and after the wrap). The pitch grows by right padding columns (filled with the zero point, never read) and the
  // ring by whole rows (N is a least count: more rows are always right) until it is one; of the pitches
  // pitch .. pitch + align − 1, the one whose window offsets need the fewest K tiles on the banks
  // (compiler/banks.ts), then the smallest ring.
  const align = 2 ** Math.ceil(Math.log2(2 * g.rows));
  const ringRows = [...planned.ringRows];
  const geoms = plain.map((geo, l) => {
    if (!g.ring) return geo;
    let best: { pitch: number; rows: number; tiles: number; size: number } | null = null;
    for (let pitch = geo.pitch; pitch < geo.pitch + align; pitch++) {
      const row = geo.inC * pitch;
      const rows = Math.ceil(ringRows[l]! / (align / Math.min(align, row & -row))) * (align / Math.min(align, row & -row));
      const tiles = reductionTiles(windowOffsets(geo, pitch, row), g.rows, g.abufBanks);
      const size = rows * row;
      if (!best || tiles < best.tiles || (tiles === best.tiles && size < best.size)) best = { pitch, rows, tiles, size };
    }
    const extra = best!.pitch - geo.pitch;
    ringRows[l] = best!.rows;
    return { ...geo, mirror: 0, pitch: best!.pitch, pad: [geo.pad[0], geo.pad[1], geo.pad[2], geo.pad[3] + extra] as const };
  });
  const schedule: GroupSchedule = { ...planned, ringRows };
  const used: [number, number] = [0, 0];
  const ringBase: number[] = [];
  const chanStride: number[] = [];
  const rowStride: number[] = [];
  const rings = geoms.map((geo, l) => {
    const rows = schedule.ringRows[l]!;
    // Mirror rows: one channel's ring after the other, spaced (up to NB − 1 elements apart) so that the window
    // offsets need the fewest K tiles on a banked buffer (compiler/banks.ts balancedSpacing).
    const spacing = g.ring ? geo.pitch : balancedSpacing((rows + geo.mirror) * geo.pitch, g.abufBanks, (chan) => reductionTiles(windowOffsets(geo, chan, geo.pitch), g.rows, g.abufBanks));
    chanStride.push(spacing);
    rowStride.push(g.ring ? geo.inC * geo.pitch : geo.pitch);
    const elements = g.ring ? geo.inC * rows * geo.pitch : geo.inC * spacing;
    ringBase.push(used[l % 2]!);
    used[l % 2]! += elements;
    return { stage: geo.name, rows, mirror: geo.mirror, pitch: geo.pitch, channels: geo.inC, elements };
  });
  const last = geoms.at(-1)!;
  const batch = Math.min(tileRows, last.outH);
  const staging = 2 * batch * last.outC * last.outW;
  const stagingBase = used[geoms.length % 2]!;
  used[geoms.length % 2]! += staging;
  // GEMM addresses (pixmem entries, offmem offsets) are as wide as an activation-buffer address (isa.ts).
  const limit = g.abufDepth;
  if (check)
    for (const b of [0, 1])
      if (used[b]! > limit) noFit(name, `Line buffers and staging in abuf${b} for tiles of ${tileRows} rows must fit its ${limit} addressable elements, not need ${used[b]}`);
  return { geoms, schedule, ringBase, chanStride, rowStride, stagingBase, stagingRows: batch, buffers: { rings, staging, abuf: used, wbufRows: 0 } };
}

/** One DRAM word of P copies of `fill`. */
function fillWord(fill: number, g: AccelGeometry): bigint {
  let word = 0n;
  for (let k = 0; k < g.elemsPerWord; k++) word |= BigInt.asUintN(g.bits, BigInt(fill)) << BigInt(k * g.bits);
  return word;
}

/** Compile one group (see the header). */
export function compileGroup(input: GroupInput): CompiledGroup {
  const { stages, g, tileRows, privateBase } = input;
  const { rows: R, cols: C, elemsPerWord: P, wbufDepth, accRows } = g;
  const name = stages.flatMap((s) => (s.fused ? [s.name, s.fused] : [s.name])).join('+');
  const check = input.check ?? true;
  const lay = layoutGroup(stages, g, tileRows, check);
  const { geoms, schedule, ringBase, chanStride, rowStride, stagingBase } = lay;
  const n = stages.length;
  const pixmem: number[] = [];
  const offmem: number[] = [];
  const pmem: bigint[] = [];
  const priv: bigint[] = [];
  const intern = tableInterner();
  const traffic = { fmRead: 0, fmWritten: 0, weightRead: 0 };
  const words = (count: number): number => Math.ceil(count / P);
  const B = g.wordBits / 8;

  // ---- the reduction of channels of stage l: offsets and weight rows in one order (compiler/banks.ts) ----
  const reductions = new Map<string, { k: (number | null)[]; offsets: (number | null)[] }>();
  const reductionOf = (l: number, channels: number[]): { k: (number | null)[]; offsets: (number | null)[] } => {
    const key = `${l}:${channels[0]}:${channels.length}`;
    let red = reductions.get(key);
    if (!red) {
      const geo = geoms[l]!;
      const k2 = geo.k * geo.k;
      const kIdx: number[] = [];
      const offs: number[] = [];
      channels.forEach((ci) => {
        for (let ky = 0; ky < geo.k; ky++)
          for (let kx = 0; kx < geo.k; kx++) {
            kIdx.push(ci * k2 + ky * geo.k + kx);
            offs.push((ci - channels[0]!) * chanStride[l]! + ky * rowStride[l]! + kx);
          }
      });
      red = tiledReduction(kIdx, offs, R, g.abufBanks);
      reductions.set(key, red);
    }
    return red;
  };

  // ---- weights: per stage, blocks (tile, channel group) ----
  const weights: StageWeights[] = stages.map((st, l) => {
    const L = st.layer;
    if (L.kind !== 'conv2d') return noFit(name, `stage '${st.name}' must be a conv or pool, not an fc`);
    const geo = geoms[l]!;
    const k2 = geo.k * geo.k;
    const tiles = nTiles({ layer: L, physN: L.outC }, C, (what) => noFit(name, what));
    const perGroup = Math.max(1, Math.min(L.inC, Math.floor((wbufDepth / 2 - R) / k2)));
    const Kreal = L.inC * k2;
    const groups: StageWeights['groups'] = [];
    const rows: number[][] = [];
    const word: number[][] = [];
    let total = 0;
    for (const t of tiles) {
      const lo = st.depthwise ? t.start : 0;
      const hi = st.depthwise ? t.start + t.count : L.inC;
      groups.push([]);
      rows.push([]);
      word.push([]);
      for (let c = lo; c < hi; c += perGroup) {
        const channels = Array.from({ length: Math.min(perGroup, hi - c) }, (_, i) => c + i);
        const { k } = reductionOf(l, channels);
        const nRows = k.length;
        groups.at(-1)!.push({ channels, k });
        rows.at(-1)!.push(nRows);
        word.at(-1)!.push(privateBase + priv.length);
        total += nRows;
        const wr = Array.from({ length: nRows }, (_, r) => Array.from({ length: C }, (_, j) => (k[r] !== null && j < t.count ? L.weights[(t.start + j) * Kreal + k[r]!]! : 0)));
        for (const w of packWeightRows(wr, g)) priv.push(w);
      }
    }
    return { tiles, groups, rows, word, total };
  });
  // Residency: all stages when they fit; else the largest stages stream through two halves of their largest block.
  const resident = stages.map(() => true);
  const streamHalf = (): number => Math.max(0, ...weights.flatMap((w, l) => (resident[l] ? [] : w.rows.flat())));
  const residentRows = (): number => weights.reduce((s, w, l) => s + (resident[l] ? w.total : 0), 0);
  while (residentRows() + 2 * streamHalf() > wbufDepth) {
    const order = weights.map((w, l) => ({ w, l })).filter(({ l }) => resident[l]).sort((a, b) => b.w.total - a.w.total);
    if (order.length === 0) noFit(name, `Weight rows of the largest block must fit half the wbuf (${Math.floor(wbufDepth / 2)} rows), not ${streamHalf()}`);
    resident[order[0]!.l] = false;
  }
  const residentRow: number[] = [];
  {
    let r = 0;
    for (const [l, w] of weights.entries()) {
      residentRow.push(r);
      if (resident[l]) r += w.total;
    }
  }
  const streamBase = residentRows();
  const half = streamHalf();
  let wHalf = 0;

  const program = new HazardProgram({ geometry: g, pixmem, offmem });
  const posts: CompiledGroup['posts'] = [];
  const load = (ins: Instruction & { op: 'LOAD' }, kind: 'fm' | 'weight'): void => {
    program.push(ins);
    if (kind === 'weight') traffic.weightRead += ins.count * g.wordsPerWeightRow * B;
    else traffic.fmRead += words(ins.count) * B;
  };

  // ring row of padded row i of stage l's input, and its mirror (or null)
  const ringRow = (l: number, i: number): [number, number | null] => {
    const N = schedule.ringRows[l]!;
    const p = i % N;
    return [p, p < geoms[l]!.mirror ? N + p : null];
  };
  // Ring addressing: stage l's GEMMs wrap in ring register l mod 4, set (again) when another stage held it.
  const held: number[] = new Array<number>(RING_REGISTERS).fill(-1);
  const useRing = (l: number): { ring?: number; ringSel?: number } => {
    if (!g.ring) return {};
    const reg = l % RING_REGISTERS;
    if (held[reg] !== l) program.push({ op: 'RING', reg, base: ringBase[l]!, size: schedule.ringRows[l]! * rowStride[l]! });
    held[reg] = l;
    return { ring: 1, ...(reg ? { ringSel: reg } : {}) };
  };
  // ---- start: resident weights ----
  weights.forEach((w, l) => {
    if (resident[l]) load({ op: 'LOAD', buf: 0, dram: w.word[0]![0]!, addr: residentRow[l]!, count: w.total }, 'weight');
  });

  const chanOf = stages.map((st) =>
    st.params.map((ps) => {
      const L = st.layer;
      const at = pmem.length;
      const physN = L.kind === 'conv2d' ? L.outC : L.out;
      for (let o = 0; o < physN; o++) pmem.push(encodeParam(ps.bias[o]!, ps.b[o]!, ps.c[o]!, L.protection?.lcu[o] ?? LCU.plain, L.protection?.bound[o] ?? 0) | encodeZeroPoint(st.postZeroPoint, g.protection));
      return at;
    }),
  );
  let bank = 0;
  let sHalf = 0;
  /** The POSTs of the last GEMM chunk, not yet in the program (flushPosts). */
  let pendingPosts: (() => void) | null = null;
  const flushPosts = (): void => {
    const f = pendingPosts;
    pendingPosts = null;
    f?.();
  };
  const last = geoms.at(-1)!;
  const stage0 = (): number => stagingBase + sHalf * lay.stagingRows * last.outC * last.outW;
  const inMap = input.input;
  const outMap = input.output;

  /** Column chunks of output row oy of stage l: at most accRows GEMM rows, one requantization class each. */
  const chunks = (l: number, oy: number): { x0: number; x1: number; cls: number }[] => {
    const geo = geoms[l]!;
    const G = geo.pool.g;
    const max = Math.floor(accRows / G);
    if (max < 1) noFit(name, `Accumulator rows per bank must hold one pool window of stage '${geo.name}' (${G} rows), not ${accRows}`);
    const out: { x0: number; x1: number; cls: number }[] = [];
    for (let x = 0; x < geo.outW; x++) {
      const cls = stages[l]!.classOf(oy, x);
      const lastChunk = out.at(-1);
      if (lastChunk && lastChunk.cls === cls && lastChunk.x1 - lastChunk.x0 < max) lastChunk.x1++;
      else out.push({ x0: x, x1: x + 1, cls });
    }
    return out;
  };
  /** GEMM pixel addresses of output columns x0..x1−1 of row oy of stage l, channels from c0. */
  const pixels = (l: number, oy: number, x0: number, x1: number, c0: number): number[] => {
    const geo = geoms[l]!;
    const N = schedule.ringRows[l]!;
    const [cyLo, cyHi] = convRows(geo, oy);
    const px: number[] = [];
    for (let ox = x0; ox < x1; ox++) {
      const win: number[] = [];
      for (let cy = cyLo; cy <= cyHi; cy++)
        for (let dx = 0; dx < geo.pool.k; dx++) {
          const cx = ox * geo.pool.stride - geo.pool.pad[1] + dx;
          if (cx >= 0 && cx < geo.convW) win.push(ringBase[l]! + c0 * chanStride[l]! + ((cy * geo.s) % N) * rowStride[l]! + cx * geo.s);
        }
      while (win.length < geo.pool.g) win.push(win[0]!);
      px.push(...win);
    }
    return px;
  };
  const offsetsOf = new Map<string, number>();
  const offAddrOf = (l: number, channels: number[]): number => {
    const key = `${l}:${channels[0]}:${channels.length}`;
    let at = offsetsOf.get(key);
    if (at === undefined) {
      const geo = geoms[l]!;
      const offs = reductionOf(l, channels).offsets;
      const top = Math.max(...offs.map((o) => o ?? 0));
      const offLimit = 2 ** Math.max(16, addrBits(g.abufDepth));
      if (check && top >= offLimit) noFit(name, `GEMM offsets of stage '${geo.name}' must be below ${offLimit} (an activation-buffer address), not ${top}`);
      at = intern(offmem, 'off', offs.map((o) => encodeOffset(o === null ? null : o % 2 ** MAX_ABUF_BITS)));
      offsetsOf.set(key, at);
    }
    return at;
  };

  /** GEMMs and POSTs of output row oy of stage l for tile ti (weights loaded by the caller when `wRowOf` says so). */
  const computeRow = (l: number, oy: number, r: number, ti: number, wRowOf: (gi: number) => number): void => {
    const geo = geoms[l]!;
    const st = stages[l]!;
    const w = weights[l]!;
    const t = w.tiles[ti]!;
    const G = geo.pool.g;
    const windowField = G > 1 ? Math.log2(G) - 2 : 0;
    for (const ch of chunks(l, oy)) {
      const mCount = (ch.x1 - ch.x0) * G;
      const chunkBank = bank; // this chunk's bank (its POSTs may go in after the next chunk's first GEMM)
      w.groups[ti]!.forEach((gr, gi) => {
        const pixAddr = intern(pixmem, 'pix', pixels(l, oy, ch.x0, ch.x1, gr.channels[0]!));
        const wRow = wRowOf(gi);
        const ring = useRing(l);
        program.push({ op: 'GEMM', src: l % 2, bank: chunkBank, mCount, kTiles: w.rows[ti]![gi]! / R, wRow, pixAddr, offAddr: offAddrOf(l, gr.channels), ...(gi > 0 ? { acc: 1 } : {}), ...ring });
        if (gi === 0) flushPosts();
      });
      const post = (dst: number, dstBase: number, plane: number): void => {
        posts.push({ layer: st.name, instr: program.length, bank: chunkBank, m0: (oy * geo.outW + ch.x0) * G, mCount, channel0: t.start, nValid: t.count, pool: G > 1 });
        program.push({ op: 'POST', bank: chunkBank, pool: G > 1 ? 1 : 0, relu: st.relu ? 1 : 0, nValid: t.count, chan: chanOf[l]![ch.cls]! + t.start, dst, dstBase, plane, mCount, interval: 1, ...(t.lcu ? { lcu: 1 } : {}), ...(windowField ? { window: windowField } : {}) });
        const last = posts.at(-1)!;
        if (program.program[last.instr]!.op !== 'POST') posts[posts.length - 1] = { ...last, instr: last.instr + 1 };
      };
      // The POSTs go in behind the next GEMM of this stage (the GEMM engine takes it while this one drains, issue 14):
      // they write the next stage's ring (the other buffer), which this stage's GEMMs do not read.
      pendingPosts = (): void => {
        if (l + 1 < n) {
          const next = geoms[l + 1]!;
          const [p, mirror] = ringRow(l + 1, oy + next.pad[0]);
          const at = (row: number): number => ringBase[l + 1]! + t.logical0 * chanStride[l + 1]! + row * rowStride[l + 1]! + next.pad[1] + ch.x0;
          post((l + 1) % 2, at(p), chanStride[l + 1]!);
          if (mirror !== null) post((l + 1) % 2, at(mirror), chanStride[l + 1]!);
        } else post(n % 2, stage0() + t.logical0 * lay.stagingRows * geo.outW + r * geo.outW + ch.x0, lay.stagingRows * geo.outW);
      };
      bank = 1 - bank;
    }
  };

  // ---- zero-point fills, on chip: a GEMM over invalid offsets zeroes a bank; POSTs of it with bias 0, b 0 and the
  // map's zero point as output zero point write z (pmem: C such entries per distinct z) — no DRAM traffic ----
  const fillChan = new Map<number, number>();
  const fillChanOf = (z: number): number => {
    let at = fillChan.get(z);
    if (at === undefined) {
      at = pmem.length;
      for (let j = 0; j < C; j++) pmem.push(encodeParam(0, 0, 1) | encodeZeroPoint(z, g.protection));
      fillChan.set(z, at);
    }
    return at;
  };
  const zeroBank = (): number => {
    const zb = bank;
    program.push({ op: 'GEMM', src: 0, bank: zb, mCount: accRows, kTiles: 1, wRow: 0, pixAddr: intern(pixmem, 'pix', new Array<number>(accRows).fill(0)), offAddr: intern(offmem, 'off', new Array<number>(R).fill(0)) });
    bank = 1 - bank;
    return zb;
  };
  /** z into nValid runs of `count` elements of abuf[dst], run j at dstBase + j·plane (POSTs of at most accRows rows). */
  const fillRuns = (zb: number, dst: number, dstBase: number, plane: number, nValid: number, count: number, z: number): void => {
    for (let q = 0; q < count; q += accRows) program.push({ op: 'POST', bank: zb, pool: 0, relu: 0, nValid, chan: fillChanOf(z), dst, dstBase: dstBase + q, plane, mCount: Math.min(accRows, count - q), interval: 1 });
  };
  /** Padded rows `rows` (ring rows) of every channel of ring l set to its zero point. */
  const fillRows = (zb: number, l: number, row: number, rows: number): void => {
    const geo = geoms[l]!;
    if (g.ring) {
      // Ring rows are consecutive lines of `pitch` elements, channels interleaved.
      const lines = rows * geo.inC;
      for (let c = 0; c < lines; c += C) fillRuns(zb, l % 2, ringBase[l]! + (row * geo.inC + c) * geo.pitch, geo.pitch, Math.min(C, lines - c), geo.pitch, stages[l]!.zIn);
      return;
    }
    for (let c = 0; c < geo.inC; c += C) fillRuns(zb, l % 2, ringBase[l]! + c * chanStride[l]! + row * geo.pitch, chanStride[l]!, Math.min(C, geo.inC - c), rows * geo.pitch, stages[l]!.zIn);
  };
  // Start: what windows read outside the data in every padded ring — the padding columns (the right ones of a ring
  // row and the left ones of the next are one run: C rows per POST, plane = pitch) and the top padding rows with
  // their mirrors. Unpadded windows never read outside the data.
  if (geoms.some((geo) => geo.pad.some((p) => p > 0))) {
    const zb = zeroBank();
    geoms.forEach((geo, l) => {
      const [pt, pl, , pr] = geo.pad;
      const z = stages[l]!.zIn;
      // The lines of all channels are one run of lines unless the channels' rings are spaced apart (mirror rows on
      // a banked buffer, layoutGroup): then one run per channel.
      const lines = schedule.ringRows[l]! + geo.mirror;
      const runs: [number, number][] = g.ring || chanStride[l] === lines * geo.pitch ? [[ringBase[l]!, geo.inC * lines]] : Array.from({ length: geo.inC }, (_, c) => [ringBase[l]! + c * chanStride[l]!, lines]);
      for (const [base, total] of runs) {
        if (pl > 0) fillRuns(zb, l % 2, base, geo.pitch, 1, pl, z);
        if (pr > 0) fillRuns(zb, l % 2, base + total * geo.pitch - pr, geo.pitch, 1, pr, z);
        if (pl + pr > 0) for (let r = 1; r < total; r += C) fillRuns(zb, l % 2, base + r * geo.pitch - pr, geo.pitch, Math.min(C, total - r), pl + pr, z);
      }
      if (pt > 0) {
        fillRows(zb, l, 0, pt);
        const mirrored = Math.min(pt, geo.mirror);
        if (mirrored > 0) fillRows(zb, l, schedule.ringRows[l]!, mirrored);
      }
    });
  }

  for (const ev of schedule.events) {
    flushPosts(); // an event of another kind or stage may read what they write
    if (ev.kind === 'load') {
      const geo = geoms[0]!;
      for (let y = ev.lo; y <= ev.hi; y++) {
        const [p, mirror] = ringRow(0, y + geo.pad[0]);
        for (let c = 0; c < geo.inC; c++)
          for (const row of mirror === null ? [p] : [p, mirror])
            load({ op: 'LOAD', buf: 1, dram: inMap.word + mapIndex(inMap, c, y, 0) / P, addr: ringBase[0]! + c * chanStride[0]! + row * rowStride[0]! + geo.pad[1], count: geo.inW }, 'fm');
      }
    } else if (ev.kind === 'fill') {
      const [p, mirror] = ringRow(ev.stage, ev.row);
      const zb = zeroBank();
      for (const row of mirror === null ? [p] : [p, mirror]) fillRows(zb, ev.stage, row, 1);
    } else {
      const l = ev.stage;
      const w = weights[l]!;
      const geo = geoms[l]!;
      // Rows outer when a tile has channel groups (its partial sums cannot wait in a bank for the next row).
      const rowsOuter = w.groups.some((gs) => gs.length > 1);
      const streamLoad = (ti: number, gi: number): number => {
        const wRow = streamBase + wHalf * half;
        load({ op: 'LOAD', buf: 0, dram: w.word[ti]![gi]!, addr: wRow, count: w.rows[ti]![gi]! }, 'weight');
        wHalf = 1 - wHalf;
        return wRow;
      };
      const residentRowOf = (ti: number, gi: number): number => residentRow[l]! + w.rows.slice(0, ti).flat().reduce((a, b) => a + b, 0) + w.rows[ti]!.slice(0, gi).reduce((a, b) => a + b, 0);
      if (rowsOuter) {
        for (let oy = ev.lo; oy <= ev.hi; oy++)
          for (let ti = 0; ti < w.tiles.length; ti++) computeRow(l, oy, oy - ev.lo, ti, (gi) => (resident[l] ? residentRowOf(ti, gi) : streamLoad(ti, gi)));
      } else {
        // One block per tile: loaded (when streamed) once for the batch of rows.
        for (let ti = 0; ti < w.tiles.length; ti++) {
          const wRow = resident[l] ? residentRowOf(ti, 0) : streamLoad(ti, 0);
          for (let oy = ev.lo; oy <= ev.hi; oy++) computeRow(l, oy, oy - ev.lo, ti, () => wRow);
        }
      }
      flushPosts();
      if (l + 1 === n) {
        // The tile's rows from the staging half to the output map, row by row (the last word's tail holds the fill).
        const fill = outMap.fill ? { fill: outMap.fill & 0xff } : {};
        for (let o = 0; o < geo.outC; o++)
          for (let oy = ev.lo; oy <= ev.hi; oy++) {
            program.push({ op: 'STORE', buf: 1 + (n % 2), dram: outMap.word + mapIndex(outMap, o, oy, 0) / P, addr: stage0() + (o * lay.stagingRows + oy - ev.lo) * geo.outW, count: geo.outW, ...fill });
            traffic.fmWritten += words(geo.outW) * B;
          }
        sHalf = 1 - sHalf;
      }
    }
  }
  flushPosts();
  const buffers: GroupBuffers = { ...lay.buffers, wbufRows: streamBase + 2 * half };
  return { program: program.program, pixmem, offmem, pmem, privateWords: priv, posts, traffic, buffers, schedule };
}
