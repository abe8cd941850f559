// The streaming compiler (issue 12): any sequential int8 CNN of conv2d (any kernel, stride, zero padding),
// a 2×2/2 maxpool fused after a conv, flatten and fc, on any configuration, with every feature map in DRAM.
// accel/compiler.ts uses it for every model its on-chip schedule (LeNet-5's, everything in the buffers)
// cannot map. Layer by layer:
//
// DRAM feature maps (MapLayout). Each layer's output is a DRAM map laid out for its consumer: per channel
//   pt + H + pb rows of `pitch` elements (a multiple of P, the elements per DRAM word), element x of a row
//   at `lead` + x, lead = pl rounded up to a multiple of P. Pad rows and pad columns are zero in the
//   compiled DRAM image and nothing ever writes them, so a padded conv reads its zero padding from DRAM;
//   every row's data starts at a word boundary, so a producer STOREs each output row (count W) straight
//   into place (the zero padding of a STORE's last word falls on pad or tail columns). The model input
//   uses the layout of the first layer (CompiledModel.inputLayout), the output that of an unpadded
//   consumer (outputLayout; compact when W is a multiple of P, as for every fc output).
// conv2d. Output rows in units of U rows (pooled rows with a fused pool): the unit's input band is
//   BR = (conv rows − 1)·s + k padded rows of each input channel, one LOAD per channel (a contiguous run of
//   the DRAM map) into one of two halves of abuf0, so the next band loads while this one is computed.
//   When the band of all input channels does not fit a half, the channels go in groups: one GEMM per
//   group and N tile, the later groups with GEMM acc = 1 (the sum continues in the bank), the band of
//   each group reloaded for every N tile (the bank holds one N tile). K = g·k² rows (offsets
//   ci·BR·pitch + ky·pitch + kx), M = the unit's output pixels (pixel oy·s·pitch + ox·s; pool-window-major
//   with a fused pool), N = output channels in tiles of C (a protected group never straddles two:
//   compiler.ts nTiles). POST writes channel o of the unit to o·plane of one of two halves of abuf1
//   (plane = the unit's output pixels), then one STORE per channel and output row.
// fc. The input vector is the previous map as stored (flattened index c·H·W + y·W + x at
//   (c·H + y)·pitch + x): loaded whole into abuf0 when it fits, else in address-range groups (acc = 1).
// Weights. Per layer, every (group, N tile) block of kTiles·R rows. When the layer's blocks fit the wbuf
//   they are LOADed once per layer; otherwise each block is LOADed before its GEMM into one of two
//   halves of the wbuf.
// Hazards: HazardProgram (program-layout.ts) places the WAITs (element ranges of the buffers, wbuf rows).
// Not mapped (E143): a maxpool other than 2×2 stride 2 unpadded after a conv, average pooling, activation
// zero points other than 0 — they need hardware the accelerator does not have yet (docs/accelerator.md).
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelGeometry } from '../../gen/accel/config.js';
import { encodeOffset, encodeParam, type Instruction } from '../../gen/accel/isa.js';
import { LCU, layerShapes, logicalChannels, paddingOf, type ActivationShape, type Conv2dLayer, type FcLayer, type Model } from '../model.js';
import { HazardProgram, packWeightRows } from '../program-layout.js';
import { nTiles, type NTile } from './ntiles.js';

/** Where an activation map lives in DRAM (see the header). */
export interface MapLayout {
  /** First DRAM word. */
  readonly word: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** Zero rows above and below each channel's rows. */
  readonly pt: number;
  readonly pb: number;
  /** Position of column 0 in a row (a multiple of P) and the row pitch in elements (a multiple of P). */
  readonly lead: number;
  readonly pitch: number;
}

/** Element index (from word·P) of (c, y, x) in a map; y may be negative down to −pt. */
export const mapIndex = (m: MapLayout, c: number, y: number, x: number): number => (c * (m.pt + m.h + m.pb) + m.pt + y) * m.pitch + m.lead + x;
/** DRAM words of a map. */
export const mapWords = (m: MapLayout, P: number): number => (m.c * (m.pt + m.h + m.pb) * m.pitch) / P;

/** One stage of the stream: a conv (maybe with a fused pool) or an fc, with its input and output maps. */
interface Stage {
  readonly layer: Conv2dLayer | FcLayer;
  readonly fused?: string;
  readonly pool: boolean;
  readonly inS: { c: number; h: number; w: number };
  /** Output (after a fused pool): channels, rows, columns (fc: out, 1, 1). */
  readonly outS: { c: number; h: number; w: number };
  /** The output as a DRAM map (fc: one row of `out` elements). */
  readonly mapS: { c: number; h: number; w: number };
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

/** The model cannot be mapped: E143 (a layer feature without hardware) or E142 (does not fit). */
function unsupported(what: string): never {
  throw new DiagnosticError([msg.unmappedLayer(what)]);
}
function tooBig(what: string): never {
  throw new DiagnosticError([msg.unsupportedModel(what, 'use a larger preset (--config large) or raise the buffer sizes with --set; docs/accelerator.md lists what the compiler maps')]);
}

/** The stages of a model, or E143 for what the hardware cannot run. */
function planStages(model: Model): Stage[] {
  if ((model.input.zeroPoint ?? 0) !== 0) unsupported(`Input zero point of model '${model.name}' must be 0 to be compiled, not ${model.input.zeroPoint}`);
  const shapes = layerShapes(model);
  const [c0, h0, w0] = model.input.shape;
  let inS: ActivationShape = { kind: 'chw', c: c0, h: h0, w: w0 };
  const stages: Stage[] = [];
  const chw = (s: ActivationShape): { c: number; h: number; w: number } => (s.kind === 'chw' ? s : { c: s.n, h: 1, w: 1 });
  for (let i = 0; i < model.layers.length; i++) {
    const layer = model.layers[i]!;
    if (layer.kind === 'conv2d' || layer.kind === 'fc') {
      if ((layer.outZeroPoint ?? 0) !== 0) unsupported(`Output zero point of layer '${layer.name}' must be 0 to be compiled, not ${layer.outZeroPoint}`);
      const next = model.layers[i + 1];
      const pool = layer.kind === 'conv2d' && next?.kind === 'maxpool' && next.k === 2 && next.stride === 2 && paddingOf(next).every((p) => p === 0);
      const outS = shapes[pool ? i + 1 : i]!;
      const logical = logicalChannels(layer);
      const o = chw(outS);
      stages.push({ layer, fused: pool ? next!.name : undefined, pool, inS: chw(inS), outS: { c: logical, h: o.h, w: o.w }, mapS: layer.kind === 'fc' ? { c: 1, h: 1, w: logical } : { c: logical, h: o.h, w: o.w } });
      if (pool) i++;
      inS = outS;
    } else if (layer.kind === 'flatten') {
      inS = shapes[i]!;
    } else if (layer.kind === 'maxpool') {
      unsupported(`Layer '${layer.name}' (maxpool k=${layer.k} s=${layer.stride}${paddingOf(layer).some((p) => p) ? ' padded' : ''}) must be 2×2 stride 2 unpadded directly after a conv2d to be compiled (fused into POST), not on its own`);
    } else {
      unsupported(`Layer '${layer.name}' must be conv2d, fc, flatten or a fused 2×2 maxpool to be compiled, not avgpool`);
    }
  }
  return stages;
}

/** The layout a stage wants its input in (padding of a conv; none for an fc). */
function inputLayoutFor(stage: Stage | undefined, shape: { c: number; h: number; w: number }, word: number, P: number): MapLayout {
  const [pt, pl, pb, pr] = stage && stage.layer.kind === 'conv2d' ? paddingOf(stage.layer) : [0, 0, 0, 0];
  const lead = P * Math.ceil(pl / P);
  return { word, c: shape.c, h: shape.h, w: shape.w, pt, pb, lead, pitch: P * Math.ceil((lead + shape.w + pr) / P) };
}

/** Compile `model` with every feature map in DRAM (see the header). `g` is the instance geometry. */
export function compileStreamed(model: Model, g: AccelGeometry): StreamedProgram {
  const { rows: R, cols: C, elemsPerWord: P, abufDepth: A, wbufDepth, accRows, wordsPerWeightRow: WR } = g;
  const stages = planStages(model);
  const half = Math.floor(A / 2);
  const pixmem: number[] = [];
  const offmem: number[] = [];
  const pmem: bigint[] = [];
  const weightWords: bigint[] = [];

  // DRAM: the input map, then each stage's output map, then the weights (appended as planned).
  const [c0, h0, w0] = model.input.shape;
  const maps: MapLayout[] = [];
  let word = 0;
  let shape = { c: c0, h: h0, w: w0 };
  for (let s = 0; s <= stages.length; s++) {
    const m = inputLayoutFor(stages[s], shape, word, P);
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

  stages.forEach((st, si) => {
    const inMap = maps[si]!;
    const outMap = maps[si + 1]!;
    const L = st.layer;
    const first = program.length;
    const physN = L.kind === 'conv2d' ? L.outC : L.out;
    const tiles: NTile[] = nTiles({ layer: L, physN }, C, tooBig);
    const chan = pmem.length;
    for (let o = 0; o < physN; o++) pmem.push(encodeParam(L.bias[o]!, L.requantB[o]!, L.requantC[o]!, L.protection?.lcu[o] ?? LCU.plain, L.protection?.bound[o] ?? 0));
    const relu = L.relu ? 1 : 0;
    const pool = st.pool ? 1 : 0;

    // ---- geometry of the stage: groups of reduction indices, each with its band LOADs ----
    let unitRows: number; // output rows per unit (conv) / 1 (fc)
    let M: number; // pixels per full unit
    let groups: { k: number[]; offsets: number[]; loads: (half: number, unit: number) => Instruction[] }[];
    let pixelsOf: (half: number, rows: number) => number[];
    const outRowPix = st.pool ? 4 * st.outS.w : st.outS.w;
    if (L.kind === 'conv2d') {
      const { k, stride: s } = L;
      const Hp = inMap.pt + inMap.h + inMap.pb;
      const convRows = (u: number): number => (st.pool ? 2 * u : u);
      const bandRows = (u: number): number => (convRows(u) - 1) * s + k;
      // The largest unit whose output pixels fit a bank, band of one channel fits a half, staging fits a half.
      let U = Math.max(1, Math.min(st.outS.h, Math.floor(accRows / outRowPix)));
      while (U > 1 && (bandRows(U) * inMap.pitch > half || st.outS.c * U * st.outS.w > half)) U--;
      if (outRowPix > accRows) tooBig(`Output pixels of one row of layer '${L.name}' must fit an accumulator bank (${accRows} rows), not ${outRowPix}`);
      if (bandRows(U) * inMap.pitch > half) tooBig(`One input channel's band (${bandRows(U)} rows of ${inMap.pitch}) of layer '${L.name}' must fit half an activation buffer (${half} elements), not ${bandRows(U) * inMap.pitch}`);
      if (st.outS.c * U * st.outS.w > half) tooBig(`One output row of layer '${L.name}' (${st.outS.c}×${st.outS.w}) must fit half an activation buffer (${half} elements), not ${st.outS.c * st.outS.w}`);
      unitRows = U;
      M = U * outRowPix;
      const BR = bandRows(U);
      const chanPitch = BR * inMap.pitch;
      const perGroup = Math.max(1, Math.min(L.inC, Math.floor(half / chanPitch), Math.floor((wbufDepth / 2 - R) / (k * k))));
      groups = [];
      for (let c = 0; c < L.inC; c += perGroup) {
        const cs = Array.from({ length: Math.min(perGroup, L.inC - c) }, (_, i) => c + i);
        const kIdx: number[] = [];
        const offsets: number[] = [];
        cs.forEach((ci, li) => {
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
            kIdx.push((ci * k + ky) * k + kx);
            offsets.push(li * chanPitch + ky * inMap.pitch + kx);
          }
        });
        groups.push({
          k: kIdx,
          offsets,
          loads: (h, unit) => {
            const y0 = convRows(unit * U) * s - inMap.pt; // first band row, in input rows (negative: pad rows)
            const rows = Math.min(BR, Hp - (y0 + inMap.pt));
            return cs.map((ci, li) => ({ op: 'LOAD', buf: 1, dram: inMap.word + mapIndex(inMap, ci, y0, -inMap.lead) / P, addr: h * half + li * chanPitch, count: rows * inMap.pitch }));
          },
        });
      }
      const OWc = st.pool ? 2 * st.outS.w : st.outS.w; // conv columns computed
      pixelsOf = (h, rows) => {
        const px: number[] = [];
        const at = (cy: number, cx: number): number => h * half + cy * s * inMap.pitch + inMap.lead - paddingOf(L)[1] + cx * s;
        for (let r = 0; r < rows; r++) {
          if (st.pool) {
            for (let px2 = 0; px2 < st.outS.w; px2++) for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) px.push(at(2 * r + dy, 2 * px2 + dx));
          } else for (let cx = 0; cx < OWc; cx++) px.push(at(r, cx));
        }
        return px;
      };
    } else {
      // fc: flattened index i → its place in the input map; groups of whole address ranges of at most half.
      const { c, h, w } = inMap;
      unitRows = 1;
      M = 1;
      const addrOf = (i: number): number => mapIndex(inMap, Math.floor(i / (h * w)), Math.floor((i % (h * w)) / w), i % w) - mapIndex(inMap, 0, 0, -inMap.lead);
      const total = c * (inMap.pt + h + inMap.pb) * inMap.pitch;
      const span = Math.max(P, P * Math.floor(Math.min(half, wbufDepth / 2 - R) / P));
      groups = [];
      for (let a0 = 0, i = 0; a0 < total && i < L.in; a0 += span) {
        const kIdx: number[] = [];
        const offsets: number[] = [];
        while (i < L.in && addrOf(i) < a0 + span) {
          kIdx.push(i);
          offsets.push(addrOf(i) - a0);
          i++;
        }
        if (kIdx.length === 0) continue;
        const start = a0;
        const count = Math.min(span, total - a0);
        groups.push({ k: kIdx, offsets, loads: (hh) => [{ op: 'LOAD', buf: 1, dram: inMap.word + start / P, addr: hh * half, count }] });
      }
      pixelsOf = (hh) => [hh * half];
    }
    const pixAddr = [0, 1].map((h) => pixmem.push(...pixelsOf(h, unitRows)) - M);
    const offAddr = groups.map((gr) => {
      const K = R * Math.ceil(gr.offsets.length / R);
      return offmem.push(...Array.from({ length: K }, (_, i) => encodeOffset(i < gr.offsets.length ? gr.offsets[i]! : null))) - K;
    });

    // ---- weights: block (group, tile) of kTiles·R rows ----
    const Kreal = L.kind === 'fc' ? L.in : L.inC * L.k * L.k;
    const blockRows = groups.map((gr) => R * Math.ceil(gr.k.length / R));
    const blockWord: number[][] = [];
    for (const [gi, gr] of groups.entries()) {
      blockWord.push([]);
      for (const t of tiles) {
        blockWord[gi]!.push(weightBase + weightWords.length);
        const rows = Array.from({ length: blockRows[gi]! }, (_, r) => Array.from({ length: C }, (_, j) => (r < gr.k.length && j < t.count ? L.weights[(t.start + j) * Kreal + gr.k[r]!]! : 0)));
        weightWords.push(...packWeightRows(rows, g));
      }
    }
    const totalRows = blockRows.reduce((a, b) => a + b, 0) * tiles.length;
    const resident = totalRows <= wbufDepth;
    if (!resident && Math.max(...blockRows) > Math.floor(wbufDepth / 2)) tooBig(`Weight rows of one block of layer '${L.name}' must fit half the wbuf (${Math.floor(wbufDepth / 2)} rows), not ${Math.max(...blockRows)}`);
    const blockRow: number[][] = [];
    if (resident) {
      let r = 0;
      for (const [gi] of groups.entries()) blockRow.push(tiles.map(() => ((r += blockRows[gi]!), r - blockRows[gi]!)));
      // One LOAD per layer: the blocks are consecutive in DRAM in (group, tile) order, as in the wbuf.
      program.push({ op: 'LOAD', buf: 0, dram: blockWord[0]![0]!, addr: 0, count: totalRows });
    }

    // ---- the units ----
    const units = Math.ceil(st.outS.h / unitRows);
    let aHalf = 0;
    let sHalf = 0;
    for (let u = 0; u < units; u++) {
      const rowsHere = Math.min(unitRows, st.outS.h - u * unitRows);
      const mCount = L.kind === 'fc' ? 1 : rowsHere * outRowPix;
      const plane = rowsHere * st.outS.w;
      const stage0 = sHalf * half;
      const oneGroup = groups.length === 1;
      let bandHalf = -1;
      for (const [ti, t] of tiles.entries()) {
        for (const [gi, gr] of groups.entries()) {
          if (!(oneGroup && ti > 0)) {
            // Reload the band (every tile when the channels go in groups; once per unit otherwise).
            bandHalf = aHalf;
            for (const ld of gr.loads(aHalf, u)) program.push(ld);
            aHalf = 1 - aHalf;
          }
          let wRow: number;
          if (resident) wRow = blockRow[gi]![ti]!;
          else {
            wRow = wHalf * Math.floor(wbufDepth / 2);
            program.push({ op: 'LOAD', buf: 0, dram: blockWord[gi]![ti]!, addr: wRow, count: blockRows[gi]! });
            wHalf = 1 - wHalf;
          }
          const ins: Instruction = { op: 'GEMM', src: 0, bank, mCount, kTiles: blockRows[gi]! / R, wRow, pixAddr: pixAddr[bandHalf]!, offAddr: offAddr[gi]!, ...(gi > 0 ? { acc: 1 } : {}) };
          program.push(ins);
        }
        posts.push({ layer: L.name, instr: program.length, bank, m0: u * unitRows * outRowPix, mCount, channel0: t.start, nValid: t.count, pool: st.pool });
        program.push({ op: 'POST', bank, pool, relu, nValid: t.count, chan: chan + t.start, dst: 1, dstBase: stage0 + t.logical0 * plane, plane, mCount, interval: 1, ...(t.lcu ? { lcu: 1 } : {}) });
        // POST's instruction index: a WAIT may have gone in front of it.
        const last = posts.at(-1)!;
        if (program.program[last.instr]!.op !== 'POST') posts[posts.length - 1] = { ...last, instr: last.instr + 1 };
        bank = 1 - bank;
      }
      // STORE the unit's rows: channel o, row r → the consumer's layout.
      if (L.kind === 'fc') program.push({ op: 'STORE', buf: 2, dram: outMap.word, addr: stage0, count: st.outS.c });
      else for (let o = 0; o < st.outS.c; o++) {
        for (let r = 0; r < rowsHere; r++) {
          const y = u * unitRows + r;
          program.push({ op: 'STORE', buf: 2, dram: outMap.word + mapIndex(outMap, o, y, 0) / P, addr: stage0 + o * plane + r * st.outS.w, count: st.outS.w });
        }
      }
      sHalf = 1 - sHalf;
    }
    layerRanges.push({ name: L.name, ...(st.fused ? { fused: st.fused } : {}), firstInstr: first, lastInstr: program.length - 1 });
  });
  program.push({ op: 'HALT' });
  if (layerRanges.length) layerRanges[layerRanges.length - 1] = { ...layerRanges.at(-1)!, lastInstr: program.length - 1 };
  if (pixmem.length > 1 << 16) tooBig(`pixmem must have at most 65536 entries, not ${pixmem.length}`);
  if (offmem.length > 1 << 16) tooBig(`offmem must have at most 65536 entries, not ${offmem.length}`);
  if (pmem.length > 1 << 12) tooBig(`pmem must have at most 4096 entries, not ${pmem.length}`);
  const dram = [...new Array<bigint>(weightBase).fill(0n), ...weightWords];
  return { program: program.program, pixmem, offmem, pmem, dram, input: maps[0]!, output: maps.at(-1)!, layers: layerRanges, posts };
}
