// The streaming compiler (issue 12): any sequential int8 CNN — conv2d (any kernel, stride, padding), max and
// average pooling of any window, stride and padding, flatten, fc, activation zero points — on any configuration,
// with every feature map in DRAM. accel/compiler.ts uses it for every model its on-chip schedule (LeNet-5's,
// everything in the buffers) cannot map. accel/compiler/stages.ts turns the layers into stages: a GEMM over a
// window of the input map (a conv's weights, or generated identity weights for a pool), an optional max over
// windows of G rows in POST, requantization classes (pmem entries) and zero points. Stage by stage:
//
// DRAM feature maps (MapLayout). Each stage's output is a DRAM map laid out for its consumer: per channel
//   pt + H + pb rows of `pitch` elements (a multiple of P, the elements per DRAM word), element x of a row
//   at `lead` + x, lead = pl rounded up to a multiple of P. Every element outside the data holds the map's
//   zero point (`fill`: pad rows and columns in the compiled DRAM image, and the tail of a STORE's last word
//   via the STORE's fill field), so a padded conv or average pool reads its padding (the real value 0) from
//   DRAM; every row's data starts at a word boundary, so a producer STOREs each output row (count W) straight
//   into place. The model input uses the layout of the first stage (CompiledModel.inputLayout), the output
//   that of an unpadded consumer (outputLayout; compact when W is a multiple of P, as for every fc output).
// Window stages (conv, pools). Output rows in units of U rows: the unit's input band is the padded input rows
//   its GEMM rows read (conv rows (clamped to the conv output) of the unit's pool windows), one LOAD per
//   channel into one of two halves of abuf0, so the next band loads while this one is computed. When the band
//   of all input channels does not fit a half, the channels go in groups: one GEMM per group and N tile, the
//   later groups with GEMM acc = 1 (the sum continues in the bank); a band stays in its half while it is
//   needed again (one group: every N tile reuses it). K = g·k² rows (offsets ci·BR·pitch + ky·pitch + kx),
//   M = the unit's GEMM rows (one per output pixel, or G per pooled output: its window's conv pixels, padded
//   to G with copies of one of them), N = output channels in tiles of C (a protected group never straddles
//   two: compiler.ts nTiles); a depthwise stage (pools) reduces over the tile's own channels only. A unit's
//   outputs go in segments of equal requantization class (average pooling with varying n), one GEMM + POST
//   each. POST writes channel o of the unit to o·plane of one of two halves of abuf1 (plane = the unit's
//   output pixels), then one STORE per channel and output row.
// fc. The input vector is the previous map as stored (flattened index c·H·W + y·W + x at
//   (c·H + y)·pitch + x): loaded whole into abuf0 when it fits, else in address-range groups (acc = 1).
// Weights. Per stage, every (N tile, group) block of kTiles·R rows. When the stage's blocks fit the wbuf
//   they are LOADed once per stage; otherwise each block is LOADed before its GEMM into one of two
//   halves of the wbuf.
// Hazards: HazardProgram (program-layout.ts) places the WAITs (element ranges of the buffers, wbuf rows).
// Not mapped (E143, stages.ts): a protected layer behind a nonzero zero point, a maxpool window over 512.
import { balancedSpacing, reductionTiles, tiledReduction } from './banks.js';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelGeometry } from '../../gen/accel/config.js';
import { encodeOffset, encodeParam, encodeZeroPoint, type Instruction } from '../../gen/accel/isa.js';
import { LCU, paddingOf, type Model } from '../model.js';
import { HazardProgram, packWeightRows } from '../program-layout.js';
import { nTiles, type NTile } from './ntiles.js';
import { planStages, type Chw, type Stage } from './stages.js';

/** Where an activation map lives in DRAM (see the header). */
export interface MapLayout {
  /** First DRAM word. */
  readonly word: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** Padding rows above and below each channel's rows. */
  readonly pt: number;
  readonly pb: number;
  /** Position of column 0 in a row (a multiple of P) and the row pitch in elements (a multiple of P). */
  readonly lead: number;
  readonly pitch: number;
  /** The value of every element outside the data (padding): the map's zero point (absent: 0). */
  readonly fill?: number;
}

/** Element index (from word·P) of (c, y, x) in a map; y may be negative down to −pt. */
export const mapIndex = (m: MapLayout, c: number, y: number, x: number): number => (c * (m.pt + m.h + m.pb) + m.pt + y) * m.pitch + m.lead + x;
/** DRAM words of a map. */
export const mapWords = (m: MapLayout, P: number): number => (m.c * (m.pt + m.h + m.pb) * m.pitch) / P;

/** Append `entries` to a table (pixmem, offmem) once: identical lists (units, tiles) share their entries. */
export function tableInterner(): (table: number[], tag: string, entries: number[]) => number {
  const tablePos = new Map<string, number>();
  return (table, tag, entries) => {
    const key = `${tag}:${entries.join(',')}`;
    let at = tablePos.get(key);
    if (at === undefined) {
      at = table.push(...entries) - entries.length;
      tablePos.set(key, at);
    }
    return at;
  };
}

export interface StreamedProgram {
  readonly program: Instruction[];
  readonly pixmem: number[];
  readonly offmem: number[];
  readonly pmem: bigint[];
  readonly dram: bigint[];
  readonly input: MapLayout;
  readonly output: MapLayout;
  readonly layers: { name: string; fused?: string; firstInstr: number; lastInstr: number }[];
  readonly posts: { layer: string; instr: number; bank: number; m0: number; mCount: number; channel0: number; nValid: number; pool: boolean }[];
}

function tooBig(what: string): never {
  throw new DiagnosticError([msg.unsupportedModel(what, 'use a larger preset (--config large) or raise the buffer sizes with --set; docs/accelerator.md lists what the compiler maps')]);
}

/** The layout a stage wants its input in (padding of its window GEMM; none for an fc), holding `fill` outside the data. */
function inputLayoutFor(stage: Stage | undefined, shape: Chw, word: number, P: number, fill: number): MapLayout {
  const [pt, pl, pb, pr] = stage && stage.layer.kind === 'conv2d' ? paddingOf(stage.layer) : [0, 0, 0, 0];
  const lead = P * Math.ceil(pl / P);
  return { word, c: shape.c, h: shape.h, w: shape.w, pt, pb, lead, pitch: P * Math.ceil((lead + shape.w + pr) / P), ...(fill !== 0 ? { fill } : {}) };
}

/** One DRAM word of P copies of `fill`. */
function fillWord(fill: number, g: AccelGeometry): bigint {
  let word = 0n;
  for (let k = 0; k < g.elemsPerWord; k++) word |= BigInt.asUintN(g.bits, BigInt(fill)) << BigInt(k * g.bits);
  return word;
}

/** A run of outputs of one unit with one requantization class: output pixels q0 .. q0 + count − 1 of the unit. */
interface Segment {
  readonly q0: number;
  readonly count: number;
  readonly cls: number;
}

/** A reduction group: input channels whose band is loaded together, and their offmem rows. */
interface Group {
  readonly channels: number[];
  /** Reduction index of each weight row / offmem slot, whole K tiles (null: padding); compiler/banks.ts. */
  readonly k: (number | null)[];
  readonly offAddr: number;
  readonly key: string;
}

/** Compile `model` with every feature map in DRAM (see the header). `g` is the instance geometry. */
export function compileStreamed(model: Model, g: AccelGeometry): StreamedProgram {
  const { rows: R, cols: C, elemsPerWord: P, abufDepth: A, wbufDepth, accRows } = g;
  const stages = planStages(model);
  const half = Math.floor(A / 2);
  const pixmem: number[] = [];
  const offmem: number[] = [];
  const pmem: bigint[] = [];
  const weightWords: bigint[] = [];
  const intern = tableInterner();

  // DRAM: the input map, then each stage's output map, then the weights (appended as planned).
  const [c0, h0, w0] = model.input.shape;
  const maps: MapLayout[] = [];
  let word = 0;
  let shape: Chw = { c: c0, h: h0, w: w0 };
  for (let s = 0; s <= stages.length; s++) {
    const fill = s < stages.length ? stages[s]!.zIn : stages.at(-1)?.zOut ?? (model.input.zeroPoint ?? 0);
    const m = inputLayoutFor(stages[s], shape, word, P, fill);
    maps.push(m);
    word += mapWords(m, P);
    if (s < stages.length) shape = stages[s]!.mapS;
  }
  const weightBase = word;
  const program = new HazardProgram({ geometry: g, pixmem, offmem });
  const layerRanges: StreamedProgram['layers'] = [];
  const posts: StreamedProgram['posts'] = [];
  let bank = 0;
  let wHalf = 0;
  let aHalf = 0;

  stages.forEach((st, si) => {
    const inMap = maps[si]!;
    const outMap = maps[si + 1]!;
    const L = st.layer;
    const fillByte = (outMap.fill ?? 0) & 0xff;
    const first = program.length;
    const physN = L.kind === 'conv2d' ? L.outC : L.out;
    const tiles: NTile[] = nTiles({ layer: L, physN }, C, tooBig);
    const chanOf = st.params.map((ps) => {
      const at = pmem.length;
      for (let o = 0; o < physN; o++) pmem.push(encodeParam(ps.bias[o]!, ps.b[o]!, ps.c[o]!, L.protection?.lcu[o] ?? LCU.plain, L.protection?.bound[o] ?? 0) | encodeZeroPoint(st.postZeroPoint, g.protection));
      return at;
    });
    const relu = st.relu ? 1 : 0;
    const G = st.pool?.g ?? 1;
    const windowField = G > 1 ? Math.log2(G) - 2 : 0;

    // ---- geometry: units of output rows, their GEMM pixels and band LOADs; reduction groups per N tile ----
    let unitRows: number;
    let outRowPix: number; // GEMM rows per output row
    let groupsOf: (t: NTile) => Group[];
    let loadsOf: (gr: Group, half: number, unit: number) => Instruction[];
    let pixelsOf: (half: number, unit: number, rows: number) => number[];
    let segmentsOf: (unit: number, rows: number) => Segment[];
    if (L.kind === 'conv2d') {
      const { k, stride: s } = L;
      const [, plc] = paddingOf(L);
      const Hp = inMap.pt + inMap.h + inMap.pb;
      const convH = Math.floor((Hp - k) / s) + 1;
      const convW = Math.floor((inMap.w + plc + paddingOf(L)[3] - k) / s) + 1;
      const pool = st.pool ?? { k: 1, stride: 1, pad: [0, 0, 0, 0] as const, g: 1 };
      const [ptp, plp] = pool.pad;
      outRowPix = st.outS.w * G;
      // Conv rows a unit of output rows oy0 .. oy0 + rows − 1 needs, inside the conv output.
      const convRange = (oy0: number, rows: number): [number, number] => [Math.max(0, oy0 * pool.stride - ptp), Math.min(convH - 1, (oy0 + rows - 1) * pool.stride - ptp + pool.k - 1)];
      const bandRowsMax = (u: number): number => ((u - 1) * pool.stride + pool.k - 1) * s + k;
      let U = Math.max(1, Math.min(st.outS.h, Math.floor(accRows / outRowPix)));
      while (U > 1 && (bandRowsMax(U) * inMap.pitch > half || st.outS.c * U * st.outS.w > half)) U--;
      if (outRowPix > accRows) tooBig(`GEMM rows of one output row of layer '${st.name}' must fit an accumulator bank (${accRows} rows), not ${outRowPix}`);
      if (bandRowsMax(U) * inMap.pitch > half) tooBig(`One input channel's band (${bandRowsMax(U)} rows of ${inMap.pitch}) of layer '${st.name}' must fit half an activation buffer (${half} elements), not ${bandRowsMax(U) * inMap.pitch}`);
      if (st.outS.c * U * st.outS.w > half) tooBig(`One output row of layer '${st.name}' (${st.outS.c}×${st.outS.w}) must fit half an activation buffer (${half} elements), not ${st.outS.c * st.outS.w}`);
      unitRows = U;
      const BR = bandRowsMax(U);
      const groupOf = (pitch: number): number => Math.max(1, Math.min(L.inC, Math.floor(half / pitch), Math.floor((wbufDepth / 2 - R) / (k * k))));
      const groupOffsets = (pitch: number, n: number): number[] => Array.from({ length: n * k * k }, (_, e) => Math.floor(e / (k * k)) * pitch + Math.floor((e % (k * k)) / k) * inMap.pitch + (e % k));
      // Banked activation buffers: channel bands up to NB − 1 elements further apart when that spreads the offsets
      // over the banks (fewer K tiles over the layer's channel groups, compiler/banks.ts balancedSpacing).
      const chanPitch = balancedSpacing(BR * inMap.pitch, g.abufBanks, (pitch) => {
        const pg = groupOf(pitch);
        let tiles = 0;
        for (let c = 0; c < L.inC; c += pg) tiles += reductionTiles(groupOffsets(pitch, Math.min(pg, L.inC - c)), R, g.abufBanks);
        return tiles;
      });
      const perGroup = groupOf(chanPitch);
      const groupCache = new Map<string, Group[]>();
      groupsOf = (t) => {
        const lo = st.depthwise ? t.start : 0;
        const hi = st.depthwise ? t.start + t.count : L.inC;
        const key = `${lo}:${hi}`;
        let gs = groupCache.get(key);
        if (!gs) {
          gs = [];
          for (let c = lo; c < hi; c += perGroup) {
            const channels = Array.from({ length: Math.min(perGroup, hi - c) }, (_, i) => c + i);
            const kIdx: number[] = [];
            const offsets: number[] = [];
            channels.forEach((ci, li) => {
              for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
                kIdx.push((ci * k + ky) * k + kx);
                offsets.push(li * chanPitch + ky * inMap.pitch + kx);
              }
            });
            const tiled = tiledReduction(kIdx, offsets, R, g.abufBanks);
            const offAddr = intern(offmem, 'off', tiled.offsets.map(encodeOffset));
            gs.push({ channels, k: tiled.k, offAddr, key: `${c}:${channels.length}` });
          }
          groupCache.set(key, gs);
        }
        return gs;
      };
      loadsOf = (gr, h, unit) => {
        const [crLo, crHi] = convRange(unit * U, Math.min(U, st.outS.h - unit * U));
        const y0 = crLo * s - inMap.pt; // first band row, in input rows (negative: pad rows)
        const rows = (crHi - crLo) * s + k;
        return gr.channels.map((ci, li) => ({ op: 'LOAD', buf: 1, dram: inMap.word + mapIndex(inMap, ci, y0, -inMap.lead) / P, addr: h * half + li * chanPitch, count: rows * inMap.pitch }));
      };
      pixelsOf = (h, unit, rows) => {
        const oy0 = unit * U;
        const [crLo] = convRange(oy0, rows);
        const at = (cy: number, cx: number): number => h * half + (cy - crLo) * s * inMap.pitch + inMap.lead - plc + cx * s;
        const px: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let ox = 0; ox < st.outS.w; ox++) {
            // The window's conv pixels inside the conv output, padded to G with copies of the first (max unchanged).
            const win: number[] = [];
            for (let dy = 0; dy < pool.k; dy++) {
              const cy = (oy0 + r) * pool.stride - ptp + dy;
              if (cy < 0 || cy >= convH) continue;
              for (let dx = 0; dx < pool.k; dx++) {
                const cx = ox * pool.stride - plp + dx;
                if (cx >= 0 && cx < convW) win.push(at(cy, cx));
              }
            }
            while (win.length < G) win.push(win[0]!);
            px.push(...win);
          }
        }
        return px;
      };
      segmentsOf = (unit, rows) => {
        const segs: Segment[] = [];
        for (let q = 0; q < rows * st.outS.w; q++) {
          const cls = st.classOf(unit * U + Math.floor(q / st.outS.w), q % st.outS.w);
          const last = segs.at(-1);
          if (last && last.cls === cls) segs[segs.length - 1] = { ...last, count: last.count + 1 };
          else segs.push({ q0: q, count: 1, cls });
        }
        return segs;
      };
    } else {
      // fc: flattened index i → its place in the input map; groups of whole address ranges of at most half.
      const { c, h, w } = inMap;
      unitRows = 1;
      outRowPix = 1;
      const addrOf = (i: number): number => mapIndex(inMap, Math.floor(i / (h * w)), Math.floor((i % (h * w)) / w), i % w) - mapIndex(inMap, 0, 0, -inMap.lead);
      const total = c * (inMap.pt + h + inMap.pb) * inMap.pitch;
      const span = Math.max(P, P * Math.floor(Math.min(half, wbufDepth / 2 - R) / P));
      const groups: Group[] = [];
      const ranges: { start: number; count: number }[] = [];
      for (let a0 = 0, i = 0; a0 < total && i < L.in; a0 += span) {
        const kIdx: number[] = [];
        const offsets: number[] = [];
        while (i < L.in && addrOf(i) < a0 + span) {
          kIdx.push(i);
          offsets.push(addrOf(i) - a0);
          i++;
        }
        if (kIdx.length === 0) continue;
        const tiled = tiledReduction(kIdx, offsets, R, g.abufBanks);
        const offAddr = intern(offmem, 'off', tiled.offsets.map(encodeOffset));
        groups.push({ channels: [groups.length], k: tiled.k, offAddr, key: `fc${groups.length}` });
        ranges.push({ start: a0, count: Math.min(span, total - a0) });
      }
      groupsOf = () => groups;
      loadsOf = (gr, hh) => [{ op: 'LOAD', buf: 1, dram: inMap.word + ranges[gr.channels[0]!]!.start / P, addr: hh * half, count: ranges[gr.channels[0]!]!.count }];
      pixelsOf = (hh) => [hh * half];
      segmentsOf = () => [{ q0: 0, count: 1, cls: 0 }];
    }

    // ---- weights: block (tile, group) of kTiles·R rows ----
    const Kreal = L.kind === 'fc' ? L.in : L.inC * L.k * L.k;
    const blockRows: number[][] = [];
    const blockWord: number[][] = [];
    for (const t of tiles) {
      blockRows.push([]);
      blockWord.push([]);
      for (const gr of groupsOf(t)) {
        const n = gr.k.length;
        blockRows.at(-1)!.push(n);
        blockWord.at(-1)!.push(weightBase + weightWords.length);
        const rows = Array.from({ length: n }, (_, r) => Array.from({ length: C }, (_, j) => (gr.k[r] !== null && j < t.count ? L.weights[(t.start + j) * Kreal + gr.k[r]!]! : 0)));
        weightWords.push(...packWeightRows(rows, g));
      }
    }
    const allRows = blockRows.flat();
    const totalRows = allRows.reduce((a, b) => a + b, 0);
    const resident = totalRows <= wbufDepth;
    if (!resident && Math.max(...allRows) > Math.floor(wbufDepth / 2)) tooBig(`Weight rows of one block of layer '${st.name}' must fit half the wbuf (${Math.floor(wbufDepth / 2)} rows), not ${Math.max(...allRows)}`);
    const blockRow: number[][] = [];
    if (resident) {
      let r = 0;
      for (const rowsOfTile of blockRows) blockRow.push(rowsOfTile.map((n) => ((r += n), r - n)));
      // One LOAD per layer: the blocks are consecutive in DRAM in (tile, group) order, as in the wbuf.
      program.push({ op: 'LOAD', buf: 0, dram: blockWord[0]![0]!, addr: 0, count: totalRows });
    }

    // ---- the units ----
    const units = Math.ceil(st.outS.h / unitRows);
    /** The last segment's POST, not yet in the program (flushPost puts it in, after the next segment's first GEMM). */
    let pendingPost: { post: (typeof posts)[number]; ins: Instruction } | null = null;
    const flushPost = (): void => {
      if (!pendingPost) return;
      program.push(pendingPost.ins);
      posts.push({ ...pendingPost.post, instr: program.length - 1 }); // after its WAIT, if it got one
      pendingPost = null;
    };
    let sHalf = 0;
    const bandIn: (string | null)[] = [null, null];
    for (let u = 0; u < units; u++) {
      const rowsHere = Math.min(unitRows, st.outS.h - u * unitRows);
      const plane = rowsHere * st.outS.w;
      const stage0 = sHalf * half;
      const pixAddr = [0, 1].map((h) => intern(pixmem, 'pix', pixelsOf(h, u, rowsHere)));
      const segments = segmentsOf(u, rowsHere);
      for (const [ti, t] of tiles.entries()) {
        const groups = groupsOf(t);
        for (const seg of segments) {
          for (const [gi, gr] of groups.entries()) {
            // The band of this group and unit: reuse it where a half still holds it, else LOAD it into the other.
            const key = `${u}/${gr.key}`;
            let bandHalf = bandIn.indexOf(key);
            if (bandHalf < 0) {
              bandHalf = aHalf;
              for (const ld of loadsOf(gr, aHalf, u)) program.push(ld);
              bandIn[aHalf] = key;
              aHalf = 1 - aHalf;
            }
            let wRow: number;
            if (resident) wRow = blockRow[ti]![gi]!;
            else {
              // A tile-loading machine reads whole tiles at R-aligned rows (isa.ts): the second half starts at one.
              wRow = wHalf * (g.tileLoad ? R * Math.floor(wbufDepth / (2 * R)) : Math.floor(wbufDepth / 2));
              program.push({ op: 'LOAD', buf: 0, dram: blockWord[ti]![gi]!, addr: wRow, count: blockRows[ti]![gi]! });
              wHalf = 1 - wHalf;
            }
            program.push({ op: 'GEMM', src: 0, bank, mCount: seg.count * G, kTiles: blockRows[ti]![gi]! / R, wRow, pixAddr: pixAddr[bandHalf]! + seg.q0 * G, offAddr: gr.offAddr, ...(gi > 0 ? { acc: 1 } : {}) });
            // The previous segment's POST goes behind this segment's first GEMM (the other bank): the GEMM engine
            // takes it while the previous GEMM drains, and the POST's WAIT on its bank no longer holds it up (issue 14).
            if (gi === 0) flushPost();
          }
          pendingPost = {
            post: { layer: st.name, instr: 0, bank, m0: (u * unitRows * st.outS.w + seg.q0) * G, mCount: seg.count * G, channel0: t.start, nValid: t.count, pool: G > 1 },
            ins: { op: 'POST', bank, pool: G > 1 ? 1 : 0, relu, nValid: t.count, chan: chanOf[seg.cls]! + t.start, dst: 1, dstBase: stage0 + t.logical0 * plane + seg.q0, plane, mCount: seg.count * G, interval: 1, ...(t.lcu ? { lcu: 1 } : {}), ...(windowField ? { window: windowField } : {}) },
          };
          bank = 1 - bank;
        }
      }
      flushPost(); // the unit's STOREs read its POSTs' outputs
      // STORE the unit's rows: channel o, row r → the consumer's layout (the last word's tail holds the map's fill).
      const fill = fillByte ? { fill: fillByte } : {};
      if (L.kind === 'fc') program.push({ op: 'STORE', buf: 2, dram: outMap.word, addr: stage0, count: st.outS.c, ...fill });
      else
        for (let o = 0; o < st.outS.c; o++) {
          for (let r = 0; r < rowsHere; r++) {
            const y = u * unitRows + r;
            program.push({ op: 'STORE', buf: 2, dram: outMap.word + mapIndex(outMap, o, y, 0) / P, addr: stage0 + o * plane + r * st.outS.w, count: st.outS.w, ...fill });
          }
        }
      sHalf = 1 - sHalf;
    }
    layerRanges.push({ name: st.name, ...(st.fused ? { fused: st.fused } : {}), firstInstr: first, lastInstr: program.length - 1 });
  });
  program.push({ op: 'HALT' });
  if (layerRanges.length) layerRanges[layerRanges.length - 1] = { ...layerRanges.at(-1)!, lastInstr: program.length - 1 };
  if (pixmem.length > 1 << 16) tooBig(`pixmem must have at most 65536 entries, not ${pixmem.length}`);
  if (offmem.length > 1 << 16) tooBig(`offmem must have at most 65536 entries, not ${offmem.length}`);
  if (pmem.length > 1 << 12) tooBig(`pmem must have at most 4096 entries, not ${pmem.length}`);
  // The maps hold their fill (zero point) outside the data: padding rows and columns, row tails.
  const dram = new Array<bigint>(weightBase).fill(0n);
  for (const m of maps) if (m.fill) dram.fill(fillWord(m.fill, g), m.word, m.word + mapWords(m, P));
  dram.push(...weightWords);
  return { program: program.program, pixmem, offmem, pmem, dram, input: maps[0]!, output: maps.at(-1)!, layers: layerRanges, posts };
}
