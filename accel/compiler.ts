// The LeNet-5 compiler (issue 5; v2 schedule): a quantized model (accel/model.ts) → an accelerator
// program (gen/accel/isa.ts) with its tables and DRAM image. accel/interpret.ts runs the result; it
// must equal accel/golden.ts bit for bit.
//
// Mapping
//   conv2d    GEMM via im2col. M = output pixels: pixmem holds oy·s·W + ox·s per pixel, in 2×2
//             pool-window-major order when a maxpool k=2 s=2 follows (the pool is fused into POST;
//             rows/cols left over by the floor of the pool are not computed), raster order otherwise.
//             K = inC·k·k (offmem: ci·H·W + ky·W + kx), padded with invalid entries to kTiles·R (banked
//             activation buffers: ordered so that no K tile reads one bank twice, compiler/banks.ts).
//             N = outC in tiles of C. Output (C,H,W) at address 0 of the other activation buffer:
//             channel o at o·plane, plane = output pixels per channel.
//   Packing   (issue 14; unprotected machines and layers, options.pack) a conv with a fused 2×2 pool may map
//             an N tile with P = 2 or 4 output pixels of each pool window per GEMM vector (P = 2: the two
//             vertically adjacent pixels, two vectors per window; P = 4: the whole window) × C/P channels:
//             column c·P + p is channel c, pixel p; K = the union of the P pixels' receptive fields (inC·(k+1)·k
//             or inC·(k+1)² offsets at stride 1), weight row of union tap o, column (c, p) = W[c] at o minus pixel
//             p's displacement (0 outside the kernel). POST pools across the columns (isa.ts cpool = log2 P) and
//             the Gr = 4/P rows of a window. Each N tile has its own pixmem/offmem ranges, kTiles and weight block;
//             the layer's channels are split into tiles with P ∈ {1, 2, 4} minimizing vectors · kTiles
//             (packedTiles). M tiles stay in pixels (multiples of 4): a packed tile runs m0/P, count/P vectors.
//             LeNet-5 conv1 on 8×8: channels 0..3 at P = 2 (30 taps, 4 K tiles, 288 vectors) and 4..5 at P = 4
//             (36 taps, 5 K tiles, 144 vectors): 1,872 array cycles instead of 576 · 4 = 2,304.
//   flatten   nothing: the (C,H,W) layout is already the vector.
//   fc        M = 1 (one pixmem entry 0 shared by all fc layers), K = in (offmem k → k), N = out.
//   A maxpool not directly after a conv2d is not supported (E142, like every model that does not fit),
//   and neither is an int16 configuration (its POST clamps to int16, the model to int8).
// Buffers. The input image is LOADed into abuf0 at 0; layers ping-pong abuf0 → abuf1 → abuf0 ...,
//   each reading its input at 0 and writing its output at 0. Weight rows of N tile n of a layer:
//   k-major rows, column j = weight of output channel n·C + j (zero padding), kTiles·R rows per
//   tile, tiles consecutive in DRAM. Each N tile is a block LOADed by one instruction into the wbuf,
//   which is a ring: blocks in the order they are read, a block that would run past the end starting
//   again at row 0 (when the whole model fits, as on default and large, nothing is ever overwritten).
// Schedule. Two streams. Compute: per layer, N tiles outside, M tiles inside, a GEMM and the POST of
//   its bank per M tile; consecutive GEMMs alternate accumulator banks, so the GEMM of tile j+1 runs
//   while tile j is POSTed. DMA: the weight blocks and the input image, in the order they are first
//   needed; the input in chunks, each up to the last element the next GEMM of the first layer reads,
//   so conv1 starts on the top rows while the rest of the image streams in. A block's LOAD may not
//   precede the last GEMM of a block it overwrites. program-layout.ts interleave() merges the two
//   streams (a LOAD goes in as soon as it can issue without holding up the compute stream: weight
//   prefetch runs on the otherwise idle DMA engine under the GEMMs of earlier layers), and
//   HazardProgram inserts the WAITs — exactly the isa.ts hazard rule, tracking wbuf rows and
//   activation-buffer elements, not whole buffers.
//   M tiles are at most the accumulator rows of a bank (a multiple of 4 when pooling). Their sizes
//   come from HazardProgram's cycle estimate (within 0.1% of the RTL for LeNet-5): starting from full
//   tiles, each layer in turn (two passes) takes the tiling that minimizes the estimated cycles of
//   the model up to the next layer, among: full tiles or an even split into a few more; a small last
//   tile (the next layer's first GEMM waits for the last POST of the rows it reads); and, for the
//   first layer, a small first tile that doubles (an early start on the top rows of the input).
// DRAM image: [input slot][weights of every layer][output slot]; all word addresses.
// Batch (options.batch = B, issue 14): one program runs B images. Every feature map holds the B
//   images channel-major with the images inside a channel: element (image b, channel c, position p)
//   at c·B·plane + b·plane + p, so a conv's GEMM pixels are the B images' pixels one after the other
//   (M = B·pixels, M tiles may span images) and a POST's q = m (m/4 pooled) runs on contiguously;
//   an fc layer is a GEMM with M = B (pixel b = image b's vector base, offsets k → c·B·plane + p), the
//   reuse a batch brings: each K tile's weights serve B vectors instead of one. The input slot holds
//   the B images word-aligned one after the other (stride S = P·ceil(C·H·W/P) elements, also in abuf),
//   the output slot the last map in the layout above (readOutput(compiled, dram, b)). B = 1 is the
//   single-image program exactly.
// Input prefetch (options.prefetch with resident; issue 14): the batch's inputs move to the top of abuf0
//   (inputBase, a multiple of the banks and of P, above every map abuf0 holds) and two more resident
//   programs end their first layer with a LOAD of the NEXT batch's inputs from a second DRAM slot
//   (nextInputWord) into that place, hidden under the later layers: `first` LOADs its own inputs too (the
//   run after the cold one), `stream` LOADs none (the previous run prefetched them). A stream of batch-1
//   runs thus never waits for its input (accel/run.ts runBatch `next`). The cold program does not
//   prefetch (it is bound by the weight LOADs).
// Resident weights (options.resident): when every weight block fits the wbuf without reuse of a ring
//   row (default, large), `resident` is a second program over the same tables and DRAM layout that
//   LOADs no weights: run after the normal program on the same machine (accel/run.ts runBatch,
//   warm), the wbuf still holds every block at its row, so a batch reads only its inputs from DRAM.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { accelGeometry, type AccelGeometry, type AccelHardwareConfig, type AccelSizes } from '../gen/accel/config.js';
import { encodeOffset, encodeParam, type Instruction } from '../gen/accel/isa.js';
import { layerMacs } from './golden.js';
import { LCU, LCU_GROUP_SIZE, layerShapes, logicalChannels, modelFormatVersion, type ActivationShape, type Conv2dLayer, type FcLayer, type Model } from './model.js';
import { schemeOf } from './protect/transform.js';
import { nTiles, type NTile } from './compiler/ntiles.js';
import { gemvPixels, gemvWeightRows, usesGemv } from './compiler/gemv.js';
import { compiledFromMaps } from './compiler/assemble.js';
import { applyOrder, balancedSpacing, reductionOrder, reductionTiles } from './compiler/banks.js';
import { compileStreamed, mapIndex, type MapLayout } from './compiler/stream.js';
import { compileWithFusion, type FuseTarget } from './fuse/compile.js';
import { busyEstimate, HazardProgram, interleave, packElements, packWeightRows, unpackElements, type ComputeStep, type DmaStep, type HazardDetail } from './program-layout.js';

/** One compiled layer: its instruction range [firstInstr, lastInstr] (WAITs included) and MACs. */
export interface CompiledLayer {
  /** Model layer name (a fused pool is named in `fused`). */
  readonly name: string;
  /** Name of the maxpool layer fused into this conv's POST, if any. */
  readonly fused?: string;
  readonly firstInstr: number;
  readonly lastInstr: number;
  /** Exact (non-padded) multiply-accumulates of the layer (accel/golden.ts layerMacs). */
  readonly macs: number;
}

/**
 * One POST of the program: which output neurons of which layer its accumulator rows hold. Row r of the
 * bank (r < mCount) is GEMM pixel m0 + r of the layer (the layer's pixel order: pool-window-major when
 * a pool is fused), column j (j < nValid) is physical output channel channel0 + j. Fault tools map a
 * neuron to the accumulator word it lives in between its GEMM and this POST (accel/protect/).
 */
export interface PostTile {
  /** CompiledLayer name. */
  readonly layer: string;
  /** Index of the POST instruction in `program`. */
  readonly instr: number;
  readonly bank: number;
  readonly m0: number;
  readonly mCount: number;
  readonly channel0: number;
  readonly nValid: number;
  readonly pool: boolean;
  /**
   * A GEMV's row-major POST (accel/compiler/gemv.ts): bank row r holds channels channel0 + r·rowWidth + j
   * (column j), all of pixel m0; absent: row r is pixel m0 + r, column j channel channel0 + j.
   */
  readonly rowWidth?: number;
  /**
   * A packed tile (column pooling, POST cpool = log2 pack): m0 and mCount stay in the layer's pixels, but bank row r
   * holds vector r (pack = 4: window r; pack = 2: window r div 2, its column dx = r mod 2) and column c·pack + p
   * channel channel0 + c, pixel p of the vector (pack = 4: p = 2·dy + dx; pack = 2: p = dy). packedSite maps them.
   */
  readonly pack?: number;
}

/**
 * The accumulator row and column of the neuron (channel, pixel) of a POST tile (pixel in the layer's pool-window-major
 * order, m0 <= pixel < m0 + mCount; see PostTile).
 */
export function postTileSite(tile: PostTile, channel: number, pixel: number): { row: number; col: number } {
  const c = channel - tile.channel0;
  if (tile.rowWidth) return { row: Math.floor(c / tile.rowWidth), col: c % tile.rowWidth };
  const r = pixel - tile.m0;
  if (!tile.pack || tile.pack === 1) return { row: r, col: c };
  const w = Math.floor(r / 4), dy = (r % 4) >> 1, dx = r % 2;
  return tile.pack === 4 ? { row: w, col: 4 * c + 2 * dy + dx } : { row: 2 * w + dx, col: 2 * c + dy };
}

/** A compiled model: an accel/interpret.ts ProgramImage plus the layout of its DRAM image. */
export interface CompiledModel {
  readonly program: Instruction[];
  readonly pixmem: number[];
  readonly offmem: number[];
  readonly pmem: bigint[];
  /** The DRAM image with the weights in place and zero input/output slots. */
  readonly dram: bigint[];
  /** First DRAM word of the input slot and its element count (C·H·W of the model input). */
  readonly inputWord: number;
  readonly inputCount: number;
  /** First DRAM word of the output slot and its element count (the last layer's outputs). */
  readonly outputWord: number;
  readonly outputCount: number;
  readonly layers: CompiledLayer[];
  /** Every POST, in program order (see PostTile). */
  readonly posts: PostTile[];
  /** Table and DRAM depths of the instance that runs this program (accelSimTop). */
  readonly sizes: AccelSizes;
  readonly geometry: AccelGeometry;
  /** The schedule's own estimate of the run's cycles (program-layout.ts busyEstimate); the RTL decides. */
  readonly estimatedCycles?: number;
  /**
   * Streamed models (accel/compiler/stream.ts): the DRAM layouts of the input and output maps (rows at a word
   * boundary, zero padding around them); absent: both slots are packed compactly from inputWord/outputWord.
   */
  readonly inputLayout?: MapLayout;
  readonly outputLayout?: MapLayout;
  /** DRAM words of the output slot when it is not compact (outputLayout). */
  readonly outputWords?: number;
  /** Images per run (absent: 1). inputToDram/readOutput take image 0; batchToDram/readOutput(…, b) all. */
  readonly batch?: number;
  /** Elements between consecutive images' input slots (a multiple of P; absent for batch 1). */
  readonly inputStride?: number;
  /** Where the last layer's output (image b, channel c, position p) is in the output slot: c·chanPitch + b·imagePitch + p. */
  readonly outputMap?: MapPlace;
  /** The program without weight LOADs (see the header), when the weights fit the wbuf without reuse and options.resident asked for it. */
  readonly resident?: ResidentProgram;
  /**
   * Input prefetch (options.prefetch, see the header): every program takes the batch's inputs at `inputBase`
   * of abuf0; `first` and `stream` (resident programs) LOAD the NEXT batch's inputs from DRAM word
   * `nextInputWord` (a slot like the input slot) there once the first layer has read its own; `first` LOADs
   * its own inputs, `stream` none (the previous run left them on chip). Absent: no prefetch (the model, the
   * buffers or the wbuf do not allow it).
   */
  readonly prefetch?: { readonly inputBase: number; readonly nextInputWord: number; readonly first: ResidentProgram; readonly stream: ResidentProgram };
}

/** A program that expects the wbuf to hold every weight block already (CompiledModel.resident). */
export interface ResidentProgram {
  readonly program: Instruction[];
  readonly layers: CompiledLayer[];
  readonly posts: PostTile[];
  readonly estimatedCycles: number;
}

/** Options of compile(). */
export interface CompileOptions {
  /** Images per run (default 1): see the header. Only the on-chip schedule maps a batch. */
  readonly batch?: number;
  /** Also build the resident-weights program (CompiledModel.resident) when the weights fit. */
  readonly resident?: boolean;
  /**
   * With resident: prefetch the next batch's inputs during this one (CompiledModel.prefetch), where the first
   * layer is a conv (not a GEMV) and abuf0 has room for the inputs above every map it holds.
   */
  readonly prefetch?: boolean;
  /** Packed conv mappings with column pooling (see the header, Packing; default true; only without protection). */
  readonly pack?: boolean;
}

/** Where a feature map's element (image b, channel c, position p) lives: c·chanPitch + b·imagePitch + p (p < hw). */
export interface MapPlace {
  readonly chanPitch: number;
  readonly imagePitch: number;
  readonly hw: number;
}

const sizeOf = (s: ActivationShape): number => (s.kind === 'chw' ? s.c * s.h * s.w : s.n);

/** A GEMM layer in the compiler's terms. */
interface GemmLayer {
  readonly layer: Conv2dLayer | FcLayer;
  readonly fused?: string;
  readonly pool: boolean;
  readonly pixels: number[];
  readonly offsets: (number | null)[];
  /** Reduction index k of each offsets slot (null: padding); accel/compiler/banks.ts reductionOrder. */
  readonly order: (number | null)[];
  /** Output channels the next layer reads (logical; fewer than physical on a protected layer). */
  readonly outN: number;
  /** Output channels the array computes (physical: a protected layer's copies included). */
  readonly physN: number;
  /** Elements per output channel in the destination (plane). */
  readonly plane: number;
  readonly inSize: number;
  /** Where the layer's output elements go (see the header, Batch). */
  readonly outMap: MapPlace;
  /** Packed mappings (P = 2, 4 output pixels of a pool window per vector; see the header, Packing), when allowed. */
  readonly packs?: ConvPack[];
}

/**
 * A packed conv mapping (column pooling, isa.ts POST cpool): each vector is P output pixels of one 2×2 pool window
 * (P = 2: the two vertically adjacent ones; P = 4: all four), an N tile holds C/P channels × P pixels in its
 * columns (column c·P + p: channel c, pixel p), K is the union of the P pixels' receptive fields.
 */
interface ConvPack {
  readonly P: number;
  /** Vector base pixels (pool-window-major; P = 2: the window's left then right column), B images. */
  readonly pixels: number[];
  /** Union offsets in bank order, padded with null to whole K tiles. */
  readonly offsets: (number | null)[];
  /** Slot → union tap index (null: padding). */
  readonly order: (number | null)[];
  /** Union taps: input channel and input row/column relative to the vector's base pixel. */
  readonly taps: { ci: number; oy: number; ox: number }[];
  /** Displacement (input rows, columns) of pixel p of a vector from its base. */
  readonly disp: { dy: number; dx: number }[];
}

/** The model cannot run on this configuration: an E142 diagnostic ("X must be Y, not Z"). */
function fail(what: string): never {
  throw new DiagnosticError([msg.unsupportedModel(what, 'use a larger preset (--config large) or raise the buffer sizes with --set; docs/accelerator.md lists what the compiler maps')]);
}

/** Elements between consecutive images' input slots: C·H·W rounded up to whole DRAM words. */
const inputStrideOf = (model: Model, P: number): number => P * Math.ceil((model.input.shape[0] * model.input.shape[1] * model.input.shape[2]) / P);

/** Plan the GEMM layers (im2col tables) of a model for a batch of B images (see the header). */
function planLayers(model: Model, R: number, B = 1, P = 1, banks = 1, packing = false): GemmLayer[] {
  const shapes = layerShapes(model);
  const [c0, h0, w0] = model.input.shape;
  const out: GemmLayer[] = [];
  let inS: ActivationShape = { kind: 'chw', c: c0, h: h0, w: w0 };
  let inMap: MapPlace = { chanPitch: h0 * w0, imagePitch: inputStrideOf(model, P), hw: h0 * w0 };
  for (let i = 0; i < model.layers.length; i++) {
    const layer = model.layers[i]!;
    const outS = shapes[i]!;
    if (layer.kind === 'conv2d' && inS.kind === 'chw' && outS.kind === 'chw') {
      const next = model.layers[i + 1];
      const pool = next?.kind === 'maxpool' && next.k === 2 && next.stride === 2;
      const { h: OH, w: OW } = outS;
      const s = layer.stride;
      const local: number[] = [];
      if (pool) {
        for (let py = 0; py < Math.floor(OH / 2); py++)
          for (let px = 0; px < Math.floor(OW / 2); px++)
            for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) local.push((2 * py + dy) * s * inS.w + (2 * px + dx) * s);
      } else {
        for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) local.push(oy * s * inS.w + ox * s);
      }
      const src = inS;
      const map = inMap;
      const pixels = Array.from({ length: B }, (_, b) => local.map((p) => b * map.imagePitch + p)).flat();
      const K = layer.inC * layer.k * layer.k;
      const im2col = Array.from({ length: K }, (_, k) => {
        const ci = Math.floor(k / (layer.k * layer.k)), ky = Math.floor((k % (layer.k * layer.k)) / layer.k), kx = k % layer.k;
        return ci * map.chanPitch + ky * src.w + kx;
      });
      const order = reductionOrder(im2col, R, banks);
      const offsets = applyOrder(order, im2col, null);
      const imagePlane = pool ? local.length / 4 : local.length;
      // Banked activation buffers: channels up to NB − 1 elements further apart than B·imagePlane when that
      // spreads the next GEMM layer's offsets over the banks (compiler/banks.ts; B = 8 puts every channel in bank 0).
      const outW = pool ? Math.floor(OW / 2) : OW;
      const reader = model.layers.slice(i + (pool ? 2 : 1)).find((l): l is Conv2dLayer | FcLayer => l.kind === 'fc' || l.kind === 'conv2d');
      const readerOffsets = (p: number): number[] =>
        reader?.kind === 'conv2d'
          ? Array.from({ length: reader.inC * reader.k * reader.k }, (_, k) => Math.floor(k / (reader.k * reader.k)) * p + Math.floor((k % (reader.k * reader.k)) / reader.k) * outW + (k % reader.k))
          : Array.from({ length: reader?.in ?? 0 }, (_, k) => Math.floor(k / imagePlane) * p + (k % imagePlane));
      const plane = reader ? balancedSpacing(B * imagePlane, banks, (p) => reductionTiles(readerOffsets(p), R, banks)) : B * imagePlane;
      inMap = { chanPitch: plane, imagePitch: imagePlane, hw: imagePlane };
      // Packing (column pooling): only for a fused pool on an unprotected layer (the correction unit and the fault
      // tools of protected layers assume one pixel per row).
      const packs = packing && pool && !layer.protection ? [2, 4].map((Pk) => convPack(layer, Pk, src.w, map.chanPitch, OH, OW, B, map.imagePitch, R, banks)) : undefined;
      out.push({ layer, fused: pool ? next.name : undefined, pool, pixels, offsets, order, outN: logicalChannels(layer), physN: layer.outC, plane, inSize: sizeOf(inS), outMap: inMap, ...(packs ? { packs } : {}) });
      if (pool) {
        inS = shapes[i + 1]!;
        i++;
        continue;
      }
    } else if (layer.kind === 'fc') {
      const map = inMap;
      const flat = Array.from({ length: layer.in }, (_, k) => Math.floor(k / map.hw) * map.chanPitch + (k % map.hw));
      const order = reductionOrder(flat, R, banks);
      const offsets = applyOrder(order, flat, null);
      const pixels = Array.from({ length: B }, (_, b) => b * map.imagePitch);
      // Banked activation buffers: an output read by a later layer may space its channels up to NB − 1 elements
      // more than B apart, so that the next fc layer's offsets k·plane spread over the banks (compiler/banks.ts).
      const outN = logicalChannels(layer);
      const readLater = model.layers.slice(i + 1).some((l) => l.kind === 'fc' || l.kind === 'conv2d');
      const plane = readLater ? balancedSpacing(B, banks, (p) => reductionTiles(Array.from({ length: outN }, (_, k) => k * p), R, banks)) : B;
      inMap = { chanPitch: plane, imagePitch: 1, hw: 1 };
      out.push({ layer, pool: false, pixels, offsets, order, outN, physN: layer.out, plane, inSize: layer.in, outMap: inMap });
    } else if (layer.kind === 'maxpool') {
      fail(`Layer '${layer.name}' (maxpool k=${layer.k} s=${layer.stride}) must directly follow a conv2d and be 2×2 stride 2 to be compiled (fused into POST)`);
    }
    inS = outS;
  }
  return out;
}

/** The packed mapping of a conv with P pixels of each 2×2 pool window per vector (see ConvPack). */
function convPack(layer: Conv2dLayer, P: number, inW: number, chanPitch: number, OH: number, OW: number, B: number, imagePitch: number, R: number, banks: number): ConvPack {
  const s = layer.stride;
  const k = layer.k;
  // P = 2: pixel p = dy (the window's column dx is in the vector's base); P = 4: p = 2·dy + dx.
  const disp = P === 2 ? [0, 1].map((dy) => ({ dy: dy * s, dx: 0 })) : [0, 1, 2, 3].map((p) => ({ dy: (p >> 1) * s, dx: (p & 1) * s }));
  const local: number[] = [];
  for (let py = 0; py < Math.floor(OH / 2); py++)
    for (let px = 0; px < Math.floor(OW / 2); px++)
      if (P === 2) for (let dx = 0; dx < 2; dx++) local.push(2 * py * s * inW + (2 * px + dx) * s);
      else local.push(2 * py * s * inW + 2 * px * s);
  const pixels = Array.from({ length: B }, (_, b) => local.map((p) => b * imagePitch + p)).flat();
  const seen = new Set<string>();
  const taps: { ci: number; oy: number; ox: number }[] = [];
  const maxDy = Math.max(...disp.map((d) => d.dy));
  const maxDx = Math.max(...disp.map((d) => d.dx));
  for (let ci = 0; ci < layer.inC; ci++)
    for (let oy = 0; oy < k + maxDy; oy++)
      for (let ox = 0; ox < k + maxDx; ox++)
        if (disp.some((d) => oy - d.dy >= 0 && oy - d.dy < k && ox - d.dx >= 0 && ox - d.dx < k) && !seen.has(`${ci},${oy},${ox}`)) {
          seen.add(`${ci},${oy},${ox}`);
          taps.push({ ci, oy, ox });
        }
  const union = taps.map((t) => t.ci * chanPitch + t.oy * inW + t.ox);
  const order = reductionOrder(union, R, banks);
  return { P, pixels, offsets: applyOrder(order, union, null), order, taps, disp };
}

/** One N tile of a placed layer with its own mapping (packed or not): tables, weight block and reduction. */
interface PlacedTile extends NTile {
  /** Output pixels per GEMM vector (1: unpacked; 2, 4: packed, POST cpool = log2 P). */
  readonly P: number;
  /** Weight rows (kTiles·R) of the tile's block. */
  readonly K: number;
  readonly pixAddr: number;
  readonly offAddr: number;
  readonly weightWord: number;
  /** The vector base pixels and the largest valid offset (input chunk LOADs). */
  readonly pixels: readonly number[];
  readonly maxOff: number;
}

/** A layer placed in the tables and the DRAM image; its schedule is still open (M tiles). */
interface PlacedLayer {
  readonly plan: GemmLayer;
  readonly K: number;
  /** N tiles: physical channels start .. start + count − 1, the first of them logical channel logical0. */
  readonly tiles: NTile[];
  readonly pixAddr: number;
  readonly offAddr: number;
  readonly chan: number;
  /** DRAM word of the layer's weight rows (N tile n at + n·K·ceil(C/P)). */
  readonly weightWord: number;
  readonly src: number;
  /** Largest M tile (accumulator rows per bank, a multiple of 4 when pooling) and the tile unit. */
  readonly maxTile: number;
  readonly unit: number;
  /** One GEMV for the whole layer (accel/compiler/gemv.ts): one block of K·tiles rows, one GEMM, one row-major POST. */
  readonly gemv: boolean;
  /** Per N tile (aligned with tiles, not for a GEMV): its mapping. */
  readonly placed: PlacedTile[];
}

/** The fixed part of a compilation: tables, DRAM image, layers; what schedule() needs besides M tiles. */
interface Placement {
  readonly g: AccelGeometry;
  /** The geometry and tables, one object for every schedule tried (HazardProgram memoizes per detail). */
  readonly detail: HazardDetail;
  readonly layers: PlacedLayer[];
  readonly pixmem: number[];
  readonly offmem: number[];
  readonly inputWord: number;
  readonly inputCount: number;
  /** Input prefetch (CompileOptions.prefetch): where the inputs sit in abuf0 and the DRAM slot of the next batch's. */
  readonly prefetch?: { readonly inputBase: number; readonly nextInputWord: number };
}

/** A schedule: the program (WAITs included), the layer ranges and the estimated cycles. */
interface Schedule {
  readonly program: HazardProgram;
  readonly firstInstr: number[];
  readonly posts: PostTile[];
  readonly estimate: number;
}

/**
 * M tiles of `M` pixels as [start, count] pairs of at most `maxTile` (all multiples of `unit` but the
 * remainder): the first `first` pixels, then doubling up to maxTile (a small first tile lets the
 * first layer's GEMM start on the top rows of the image while the rest streams in), and a last tile
 * of `last` pixels when last > 0 (the next layer waits for the last POST, whose length is
 * proportional to the last tile).
 */
function mTiles(M: number, maxTile: number, first: number, last: number): [number, number][] {
  const tiles: [number, number][] = [];
  let size = Math.min(first, maxTile);
  for (let m0 = 0; m0 < M; ) {
    const rest = M - m0;
    const count = rest <= Math.max(last, 0) ? rest : Math.min(size, maxTile, rest - last);
    tiles.push([m0, count]);
    m0 += count;
    size = Math.min(maxTile, 2 * size);
  }
  return tiles;
}

/**
 * The M tiles (in pixels) of a packed N tile of P pixels per vector: the layer's M tiles, runs of its largest tiles
 * merged while their vectors fit the accumulator rows (a packed tile holds 1/P of the rows per pixel). A small last
 * tile stays alone (it shortens the last POST, which the next layer waits for), and so do the growing first tiles of
 * the first layer's first N tile (its early start on the top rows of the input); other tiles merge their ramp too.
 */
function packedMTiles(tiles: readonly [number, number][], P: number, accRows: number, keepRamp: boolean): [number, number][] {
  const max = Math.max(...tiles.map(([, c]) => c));
  const firstMax = tiles.findIndex(([, c]) => c === max);
  const out: [number, number][] = [];
  let open = false; // the last output tile takes more
  for (const [i, [m0, count]] of tiles.entries()) {
    const mergeable = count === max || (!keepRamp && i < firstMax);
    const last = out.at(-1);
    if (last && open && mergeable && (last[1] + count) / P <= accRows) last[1] += count;
    else out.push([m0, count]);
    open = mergeable;
  }
  return out;
}

/** The candidate tilings of a layer: first-tile and last-tile sizes in powers of two times the unit. */
function tilingCandidates(L: PlacedLayer, ramp: boolean): [number, number][][] {
  const M = L.plan.pixels.length;
  const sizes: number[] = [];
  for (let s = L.unit; s < Math.min(M, L.maxTile); s *= 2) sizes.push(s);
  // Largest tiles: full, or an even split into 1..3 more tiles than full ones need.
  const least = Math.ceil(M / L.maxTile);
  const caps = [0, 1, 2, 3].map((extra) => Math.min(L.maxTile, L.unit * Math.ceil(M / (least + extra) / L.unit)));
  const firsts = ramp ? [L.maxTile, ...sizes] : [L.maxTile];
  const lasts = [0, ...sizes];
  const out = new Map<string, [number, number][]>();
  for (const cap of caps)
    for (const f of firsts)
      for (const l of lasts) {
        const t = mTiles(M, cap, f, l);
        out.set(JSON.stringify(t), t);
      }
  return [...out.values()];
}

/**
 * The N tiles of a layer with packed mappings: consecutive channel ranges, each mapped with P ∈ {1, 2, 4} pixels per
 * vector (C/P channels per tile), chosen to minimize the estimated array cycles Σ vectors · kTiles (dynamic
 * programming over the channels; P = 1 and fewer tiles win ties).
 */
function packedTiles(L: GemmLayer, C: number, R: number): { tile: NTile; pack: ConvPack | null }[] {
  const options = [{ P: 1, pack: null as ConvPack | null, cost: L.pixels.length * (L.offsets.length / R) }, ...L.packs!.filter((p) => p.P <= C).map((p) => ({ P: p.P, pack: p, cost: p.pixels.length * (p.offsets.length / R) }))];
  const N = L.physN;
  const best: { cost: number; tiles: number; take?: [number, number] }[] = new Array(N + 1);
  best[N] = { cost: 0, tiles: 0 };
  for (let o = N - 1; o >= 0; o--) {
    best[o] = { cost: Infinity, tiles: Infinity };
    for (const [i, opt] of options.entries())
      for (let count = 1; count <= Math.min(Math.floor(C / opt.P), N - o); count++) {
        const rest = best[o + count]!;
        const cost = opt.cost + rest.cost;
        if (cost < best[o]!.cost || (cost === best[o]!.cost && rest.tiles + 1 < best[o]!.tiles)) best[o] = { cost, tiles: rest.tiles + 1, take: [i, count] };
      }
  }
  const out: { tile: NTile; pack: ConvPack | null }[] = [];
  for (let o = 0; o < N; ) {
    const [i, count] = best[o]!.take!;
    out.push({ tile: { start: o, count, logical0: o, lcu: false }, pack: options[i]!.pack });
    o += count;
  }
  return out;
}

/** Weight rows of a packed N tile: slot s (union tap order[s]), column c·P + p = W[start + c] at the tap minus pixel p's displacement, or 0. */
function packedWeightRows(lp: Conv2dLayer, t: NTile, pack: ConvPack, C: number): number[][] {
  const k = lp.k;
  const Kreal = lp.inC * k * k;
  return pack.order.map((u) =>
    Array.from({ length: C }, (_, j) => {
      const c = Math.floor(j / pack.P);
      if (u === null || c >= t.count) return 0;
      const tap = pack.taps[u]!;
      const d = pack.disp[j % pack.P]!;
      const ky = tap.oy - d.dy, kx = tap.ox - d.dx;
      return ky >= 0 && ky < k && kx >= 0 && kx < k ? lp.weights[(t.start + c) * Kreal + tap.ci * k * k + ky * k + kx]! : 0;
    }),
  );
}

/** Place the layers: tables (pixmem, offmem, pmem) and the weight rows of every N tile in DRAM order. */
function place(plan: GemmLayer[], g: AccelGeometry, inputCount: number, batch = 1): Placement & { pmem: bigint[]; weightWords: bigint[]; weightBase: number } {
  const { rows: R, cols: C, wbufDepth, abufDepth, accRows, elemsPerWord: P } = g;
  const pixmem: number[] = [];
  const offmem: number[] = [];
  const pmem: bigint[] = [];
  const weightWords: bigint[] = [];
  const weightBase = Math.ceil(inputCount / P);
  const fcPix = batch === 1 && plan.some((l) => l.layer.kind === 'fc') ? pixmem.push(0) - 1 : -1;
  const layers: PlacedLayer[] = [];
  let src = 0;
  for (const L of plan) {
    const packed = L.packs ? packedTiles(L, C, R) : null;
    const tiles = packed ? packed.map((t) => t.tile) : nTiles(L, C, fail);
    const lp = L.layer;
    const Kreal = lp.kind === 'fc' ? lp.in : lp.inC * lp.k * lp.k;
    // A GEMV reads its input in natural order (K tile t at pixel t·R with the offsets 0..R−1, distinct banks), so
    // it takes the reduction unpermuted; the other GEMMs take banks.ts's order (L.order).
    const natural = Array.from({ length: R * Math.ceil(Kreal / R) }, (_, k) => (k < Kreal ? k : null));
    const gemv = L.order.every((k, s) => k === null || L.offsets[s] === k) && usesGemv(lp, tiles, natural, g, batch);
    const offsets = gemv ? natural : L.offsets;
    const K = offsets.length;
    // A GEMV's POST also writes the unused columns of the last N tile (accel/compiler/gemv.ts).
    const outCount = gemv ? tiles.length * C : L.outN * L.plane;
    if (outCount > abufDepth) fail(`Output of layer '${L.layer.name}' must fit one activation buffer (${abufDepth} elements), not ${outCount}`);
    if (K > wbufDepth) fail(`Weight rows of one N tile of layer '${L.layer.name}' must fit the wbuf (${wbufDepth} rows), not ${K}`);
    for (const t of packed ?? []) if (t.pack && t.pack.offsets.length > wbufDepth) fail(`Weight rows of one N tile of layer '${L.layer.name}' must fit the wbuf (${wbufDepth} rows), not ${t.pack.offsets.length}`);
    if (L.pool && accRows < 4) fail(`Accumulator rows per bank must be at least 4 to fuse pool '${L.fused}' (one 2×2 window), not ${accRows}`);
    const pixAddr = gemv ? pixmem.push(...gemvPixels(K, R)) - K / R : L.layer.kind === 'fc' && batch === 1 ? fcPix : pixmem.push(...L.pixels) - L.pixels.length;
    const offAddr = offmem.push(...offsets.map(encodeOffset)) - K;
    const chan = pmem.length;
    const prot = lp.protection;
    for (let o = 0; o < L.physN; o++) pmem.push(encodeParam(lp.bias[o]!, lp.requantB[o]!, lp.requantC[o]!, prot?.lcu[o] ?? LCU.plain, prot?.bound[o] ?? 0));
    if (gemv) while (pmem.length < chan + tiles.length * C) pmem.push(0n);
    // Weight rows: tile n, slot s (reduction index k = order[s]), column j = w[(n·C + j)·Kreal + k]; a GEMV's
    // block K-tile-major in natural order (accel/compiler/gemv.ts).
    const rows: number[][] = gemv ? gemvWeightRows(lp, tiles, K, R, C) : [];
    if (!gemv && !packed)
      for (const t of tiles)
        for (const k of L.order) rows.push(Array.from({ length: C }, (_, j) => (k !== null && j < t.count ? lp.weights[(t.start + j) * Kreal + k]! : 0)));
    const weightWord = weightBase + weightWords.length;
    const maxOff = Math.max(0, ...offsets.map((o) => o ?? 0));
    const placed: PlacedTile[] = [];
    if (!packed) {
      weightWords.push(...packWeightRows(rows, g));
      if (!gemv) tiles.forEach((t, n) => placed.push({ ...t, P: 1, K, pixAddr, offAddr, weightWord: weightWord + n * K * g.wordsPerWeightRow, pixels: L.pixels, maxOff }));
    } else {
      // Packed tiles (see the header, Packing): the tables of each P once per layer, a block per tile.
      const tables = new Map<number, { pixAddr: number; offAddr: number }>([[1, { pixAddr, offAddr }]]);
      for (const { tile: t, pack } of packed) {
        if (pack && !tables.has(pack.P)) tables.set(pack.P, { pixAddr: pixmem.push(...pack.pixels) - pack.pixels.length, offAddr: offmem.push(...pack.offsets.map(encodeOffset)) - pack.offsets.length });
        const word = weightBase + weightWords.length;
        const tileRows = pack ? packedWeightRows(lp as Conv2dLayer, t, pack, C) : L.order.map((k) => Array.from({ length: C }, (_, j) => (k !== null && j < t.count ? lp.weights[(t.start + j) * Kreal + k]! : 0)));
        weightWords.push(...packWeightRows(tileRows, g));
        const P = pack?.P ?? 1;
        const offs = pack ? pack.offsets : offsets;
        placed.push({ ...t, P, K: offs.length, ...tables.get(P)!, weightWord: word, pixels: pack ? pack.pixels : L.pixels, maxOff: Math.max(0, ...offs.map((o) => o ?? 0)) });
      }
    }
    layers.push({ plan: L, K, tiles, pixAddr, offAddr, chan, weightWord, src, maxTile: L.pool ? accRows - (accRows % 4) : accRows, unit: L.pool ? 4 : 1, gemv, placed });
    src = 1 - src;
  }
  if (pixmem.length > 1 << 16) fail(`pixmem must have at most 65536 entries, not ${pixmem.length}`);
  if (offmem.length > 1 << 16) fail(`offmem must have at most 65536 entries, not ${offmem.length}`);
  if (pmem.length > 1 << 12) fail(`pmem must have at most 4096 entries, not ${pmem.length}`);
  return { g, detail: { geometry: g, pixmem, offmem }, layers, pixmem, offmem, pmem, weightWords, weightBase, inputWord: 0, inputCount };
}

/** A LOAD of the DMA stream before its position is known: the compute step that first needs it. */
interface PendingLoad {
  readonly ins: Instruction;
  readonly firstUse: number;
  readonly computeBefore: number;
}

/**
 * Build the program for given M tiles (one list per layer; fewer lists: the program of that prefix of
 * the model): the compute stream, the DMA stream (weight blocks in a wbuf ring, input chunks), their
 * interleaving (see the header), layer ranges, and the estimated cycles.
 */
/** Which input LOADs a program makes (input prefetch, see the header): its own inputs, the next batch's. */
interface InputMode {
  readonly own: boolean;
  readonly next: boolean;
}
const COLD: InputMode = { own: true, next: false };

/**
 * deferPosts: each POST goes behind the next GEMM of its layer (the GEMM engine takes that GEMM while the previous one
 * drains, issue 14), else right behind its own GEMM (better where the next GEMM waits for a weight LOAD).
 */
function schedule(pl: Placement, tilings: readonly (readonly [number, number][])[], resident: boolean, deferPosts: boolean, mode: InputMode = COLD): Schedule {
  const { g, inputCount, inputWord } = pl;
  const inputBase = pl.prefetch?.inputBase ?? 0;
  // A stream program finds its inputs on chip (the previous run LOADed them).
  let inputLoaded = mode.own ? 0 : inputCount;
  const layers = pl.layers.slice(0, tilings.length); // a prefix of the model when tilings is shorter
  const { rows: R, cols: C, wbufDepth, wordsPerWeightRow: WR, elemsPerWord: P } = g;
  const compute: { ins: Instruction; needs: PendingLoad[]; tile?: Omit<PostTile, 'instr'> }[] = [];
  const layerStart: number[] = [];
  const blocks: { wRow: number; rows: number; lastUse: number }[] = [];
  const loads: PendingLoad[] = [];
  const inputLoads: PendingLoad[] = [];
  let ringRow = 0;
  let bank = 0;
  /** The POST of the last GEMM, pushed after the next GEMM of its layer (or at the layer's end). */
  let deferred: (typeof compute)[number] | null = null;
  // Ring allocation of the wbuf: blocks in the order they are read; a block that would run past
  // the end starts again at row 0. Its LOAD must follow the last GEMM of every block it overwrites.
  const weightBlock = (rows: number, dram: number): { wRow: number; block: { wRow: number; rows: number; lastUse: number }; weightNeeds: PendingLoad[] } => {
    if (ringRow + rows > wbufDepth) ringRow = 0;
    const wRow = ringRow;
    ringRow += rows;
    const computeBefore = blocks.filter((b) => b.wRow < wRow + rows && wRow < b.wRow + b.rows).reduce((m, b) => Math.max(m, b.lastUse + 1), 0);
    const block = { wRow, rows, lastUse: compute.length };
    blocks.push(block);
    const load: PendingLoad = { ins: { op: 'LOAD', buf: 0, dram, addr: wRow, count: rows }, firstUse: compute.length, computeBefore };
    if (!resident) loads.push(load);
    return { wRow, block, weightNeeds: resident ? [] : [load] };
  };
  for (const [li, layer] of layers.entries()) {
    const L = layer.plan;
    const { K, src } = layer;
    const dst = 1 - src;
    layerStart.push(compute.length);
    if (layer.gemv) {
      // One GEMV and one row-major POST for the whole layer (accel/compiler/gemv.ts).
      const nT = layer.tiles.length;
      const { wRow, weightNeeds } = weightBlock(K * nT, layer.weightWord);
      if (li === 0 && inputLoaded < inputCount) {
        const chunk: PendingLoad = { ins: { op: 'LOAD', buf: 1, dram: inputWord, addr: inputBase, count: inputCount }, firstUse: compute.length, computeBefore: 0 };
        loads.push(chunk);
        inputLoads.push(chunk);
        inputLoaded = inputCount;
      }
      compute.push({ ins: { op: 'GEMM', src, bank, mCount: nT, kTiles: K / R, wRow, pixAddr: layer.pixAddr, offAddr: layer.offAddr, gemv: 1 }, needs: li === 0 ? [...weightNeeds, ...inputLoads] : weightNeeds });
      compute.push({
        ins: { op: 'POST', bank, pool: 0, relu: L.layer.relu ? 1 : 0, nValid: C, chan: layer.chan, dst, dstBase: 0, plane: 1, mCount: nT, interval: 1, window: 1 },
        needs: [],
        tile: { layer: L.layer.name, bank, m0: 0, mCount: 1, channel0: 0, nValid: L.physN, pool: false, rowWidth: C },
      });
      bank = 1 - bank;
      continue;
    }
    for (const [n, tile] of layer.placed.entries()) {
      const { wRow, block, weightNeeds } = weightBlock(tile.K, tile.weightWord);
      const nValid = tile.count;
      // A packed tile (tile.P pixels per vector) runs the layer's M tiles (in pixels, multiples of 4) as m0/P, count/P vectors.
      const V = tile.P;
      for (const [m0, count] of V === 1 ? tilings[li]! : packedMTiles(tilings[li]!, V, g.accRows, li === 0 && n === 0)) {
        const mCount = count / V;
        if (li === 0 && inputLoaded < inputCount) {
          // The input elements this GEMM reads end at its largest pixel + offset: LOAD up to there in
          // whole DRAM words (a LOAD ABUF starts at a word boundary).
          const maxPix = Math.max(...tile.pixels.slice(m0 / V, m0 / V + mCount));
          const end = Math.min(inputCount, P * Math.ceil((maxPix - inputBase + tile.maxOff + 1) / P));
          if (end > inputLoaded) {
            const chunk: PendingLoad = { ins: { op: 'LOAD', buf: 1, dram: inputWord + inputLoaded / P, addr: inputBase + inputLoaded, count: end - inputLoaded }, firstUse: compute.length, computeBefore: 0 };
            loads.push(chunk);
            inputLoads.push(chunk);
            inputLoaded = end;
          }
        }
        block.lastUse = compute.length;
        compute.push({ ins: { op: 'GEMM', src, bank, mCount, kTiles: tile.K / R, wRow, pixAddr: tile.pixAddr + m0 / V, offAddr: tile.offAddr }, needs: li === 0 ? [...weightNeeds, ...inputLoads] : weightNeeds });
        // The previous GEMM's POST goes behind this GEMM (same layer, the other bank): the GEMM engine takes this
        // GEMM while the previous one drains, and the POST's WAIT on its bank no longer holds it up (issue 14).
        if (deferred) compute.push(deferred);
        const post: (typeof compute)[number] = {
          ins: {
            op: 'POST',
            bank,
            pool: L.pool ? 1 : 0,
            relu: L.layer.relu ? 1 : 0,
            nValid,
            chan: layer.chan + tile.start,
            dst,
            dstBase: tile.logical0 * L.plane + (L.pool ? m0 / 4 : m0),
            plane: L.plane,
            mCount,
            interval: 1,
            ...(tile.lcu ? { lcu: 1 } : {}),
            ...(V > 1 ? { cpool: Math.log2(V) } : {}),
          },
          needs: [],
          tile: { layer: L.layer.name, bank, m0, mCount: count, channel0: tile.start, nValid, pool: L.pool, ...(V > 1 ? { pack: V } : {}) },
        };
        if (deferPosts) deferred = post;
        else compute.push(post);
        bank = 1 - bank;
      }
    }
    // The next layer reads this one's outputs: its first GEMM follows the last POST.
    if (deferred) compute.push(deferred);
    deferred = null;
  }
  // Prefetch: the next batch's inputs, once every step of the first layer has issued (its last GEMM's reads are
  // then behind the WAIT of its POST); last in the DMA stream. Only in the whole-model program.
  if (pl.prefetch && mode.next && layers.length === pl.layers.length && layers.length > 1) {
    loads.push({ ins: { op: 'LOAD', buf: 1, dram: pl.prefetch.nextInputWord, addr: inputBase, count: inputCount }, firstUse: Number.MAX_SAFE_INTEGER, computeBefore: layerStart[1]! });
  }
  if (layers.length === 0 && inputCount > 0) loads.push({ ins: { op: 'LOAD', buf: 1, dram: inputWord, addr: 0, count: inputCount }, firstUse: 0, computeBefore: 0 });
  // The DMA stream in order of first use (weights before input at a tie), then the merge.
  const isInput = (l: PendingLoad): number => Number(l.ins.op === 'LOAD' && l.ins.buf !== 0);
  const order = loads.map((l, i) => ({ l, i })).sort((a, b) => a.l.firstUse - b.l.firstUse || isInput(a.l) - isInput(b.l) || a.i - b.i);
  const position = new Map(order.map(({ l }, p) => [l, p]));
  const dmaSteps: DmaStep[] = order.map(({ l }) => ({ ins: l.ins, computeBefore: l.computeBefore }));
  const computeSteps: ComputeStep[] = compute.map((c) => ({ ins: c.ins, dmaBefore: c.needs.reduce((m, l) => Math.max(m, position.get(l)! + 1), 0) }));
  const program = new HazardProgram(pl.detail);
  const at = interleave(program, computeSteps, dmaSteps);
  const firstInstr = layers.map((_, li) => (li === 0 ? 0 : at[layerStart[li]!]!));
  // at[i] is where compute step i went in, WAITs in front of it included: its POST is the first POST from there.
  const postAt = (i: number): number => {
    let k = at[i]!;
    while (program.program[k]!.op !== 'POST') k++;
    return k;
  };
  const posts = compute.flatMap((c, i) => (c.tile ? [{ ...c.tile, instr: postAt(i) }] : []));
  // The final STORE reads the last layer's output: its WAIT on POST is part of the estimate.
  const last = layers.at(-1);
  const outCount = last ? last.plan.outN * last.plan.plane : inputCount;
  const store: Instruction = { op: 'STORE', buf: (last ? 1 - last.src : 0) + 1, dram: 0, addr: 0, count: outCount };
  const estimate = program.estimate(store) + busyEstimate(store, g) + 2;
  return { program, firstInstr, posts, estimate };
}

/**
 * Compile `model` for an accelerator configuration (see the header for the mapping and schedule).
 * Throws E142 when the model does not fit (activations larger than an abuf, one N tile's weight rows
 * larger than the wbuf, table addresses beyond their fields) or the configuration is not int8.
 */
export function compile(model: Model, config: AccelHardwareConfig, options: CompileOptions = {}): CompiledModel {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) fail(`Batch of model '${model.name}' must be an integer >= 1, not ${batch}`);
  if (config.dtype !== 'int8') {
    throw new DiagnosticError([
      msg.unsupportedModel(
        `Accelerator dtype for model '${model.name}' (int8 weights and activations) must be int8, not ${config.dtype}`,
        'an int16 machine clamps requantized activations to int16 where the model (and accel/golden.ts) clamps them to int8, so its outputs would differ; compile for an int8 configuration (--set dtype=int8)',
      ),
    ]);
  }
  const scheme = schemeOf(model);
  const machine = config.protection ?? 'none';
  if (scheme !== null && scheme !== machine) throw new DiagnosticError([msg.missingLcu(model.name, scheme, (config as { name?: string }).name ?? 'the configuration', machine)]);
  const probe = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  // Fusion groups (splitfuse run --fuse; an empty list: every layer through DRAM): accel/fuse/.
  const fuse = (config as FuseTarget).fuse;
  if (fuse !== undefined && batch === 1) return compileWithFusion(model, config, probe, fuse);
  // Format-version-1 models whose feature maps and weights fit on chip keep the on-chip schedule below
  // (LeNet-5's); everything else streams its feature maps through DRAM (accel/compiler/stream.ts).
  if (modelFormatVersion(model) !== 1 || !fitsOnChip(model, probe)) {
    if (batch !== 1) fail(`Batch of model '${model.name}' must be 1 on '${(config as { name?: string }).name ?? 'this configuration'}', not ${batch}: its feature maps do not fit on chip, and the streaming compiler runs one image at a time`);
    return streamed(model, config, probe);
  }
  const P = probe.elemsPerWord;
  const packing = (options.pack ?? true) && machine === 'none';
  const unshifted = planLayers(model, probe.rows, batch, P, probe.abufBanks, packing);
  const inputCount = model.input.shape[0] * model.input.shape[1] * model.input.shape[2];
  const inputStride = inputStrideOf(model, P);
  const inputElems = (batch - 1) * inputStride + inputCount;
  if (inputElems > probe.abufDepth) fail(`Model input${batch > 1 ? ` of a batch of ${batch}` : ''} must have at most ${probe.abufDepth} elements (one activation buffer), not ${inputElems}`);
  // Input prefetch (see the header): the inputs at the top of abuf0, aligned to the banks and to whole words so
  // that the first layer's banks and LOADs are those of address 0; only when every map abuf0 holds stays below.
  const align = Math.max(P, probe.abufBanks);
  const inputBase = Math.floor((probe.abufDepth - inputElems) / align) * align;
  const prefetching =
    options.prefetch === true &&
    options.resident === true &&
    unshifted.length > 1 &&
    unshifted[0]!.layer.kind === 'conv2d' &&
    inputBase > 0;
  const placed = placeOrUnpacked(unshifted, model, probe, inputElems, batch, packing, prefetching ? inputBase : 0);
  // Every map abuf0 holds must stay below the inputs (a GEMV layer writes whole N tiles, tiles·C elements).
  const fitsBelow = placed.layers.every((L, li) => li % 2 === 0 || (L.gemv ? L.tiles.length * probe.cols : L.plan.outN * L.plan.plane) <= inputBase);
  // Only with resident weights: a program that reloads its weights every run gains nothing from it.
  const residentFits = residentRows(placed.layers) <= probe.wbufDepth;
  const usePrefetch = prefetching && fitsBelow && residentFits;
  const pl0 = prefetching && !usePrefetch ? placeOrUnpacked(unshifted, model, probe, inputElems, batch, packing, 0) : placed;
  const lastPlaced = pl0.layers.at(-1);
  const outputSlotWords = Math.max(1, Math.ceil((lastPlaced ? lastPlaced.plan.outN * lastPlaced.plan.plane : inputElems) / P));
  const pl: typeof pl0 = usePrefetch ? { ...pl0, prefetch: { inputBase, nextInputWord: pl0.weightBase + pl0.weightWords.length + outputSlotWords } } : pl0;
  const best = bestSchedule(pl, false);
  const b = best.program;
  const macsByName = new Map(layerMacs(model).map((l) => [l.name, l.macs]));
  const layersOf = (s: Schedule): CompiledLayer[] =>
    pl.layers.map((L, li) => ({
      name: L.plan.layer.name,
      ...(L.plan.fused ? { fused: L.plan.fused } : {}),
      firstInstr: s.firstInstr[li]!,
      lastInstr: (li + 1 < pl.layers.length ? s.firstInstr[li + 1]! : s.program.length) - 1,
      macs: macsByName.get(L.plan.layer.name) ?? 0,
    }));
  const layers = layersOf(best);
  const last = pl.layers.at(-1);
  const outputCount = last ? last.plan.outN * last.plan.plane : inputElems;
  const outputWord = pl.weightBase + pl.weightWords.length;
  const finish = (s: Schedule): void => {
    s.program.push({ op: 'STORE', buf: (last ? 1 - last.src : 0) + 1, dram: outputWord, addr: 0, count: outputCount });
    s.program.push({ op: 'HALT' });
  };
  finish(best);
  // Resident weights: only when no block reuses a wbuf row (the ring never wraps).
  const weightRows = residentRows(pl.layers);
  const warm = options.resident && weightRows <= probe.wbufDepth ? bestSchedule(pl, true) : null;
  const warmLayers = warm ? layersOf(warm) : [];
  if (warm) finish(warm);
  const residentOf = (s: Schedule): ResidentProgram => {
    finish(s);
    return { program: s.program.program, layers: layersOf(s), posts: s.posts, estimatedCycles: s.program.estimatedCycles };
  };
  // Kept only when the stream program is estimated faster than the plain resident one (a large batch's prefetch can
  // cost more, through the write port it shares with the POSTs into abuf0, than its own LOADs at the start).
  const stream = pl.prefetch && warm ? bestSchedule(pl, true, { own: false, next: true }) : null;
  const prefetch =
    pl.prefetch && warm && stream && stream.estimate < warm.estimate ? { ...pl.prefetch, first: residentOf(bestSchedule(pl, true, { own: true, next: true })), stream: residentOf(stream) } : undefined;
  const dram = [
    ...new Array<bigint>(pl.weightBase).fill(0n),
    ...pl.weightWords,
    ...new Array<bigint>(Math.max(1, Math.ceil(outputCount / P))).fill(0n),
    ...new Array<bigint>(pl.prefetch ? pl.weightBase : 0).fill(0n),
  ];
  const { pixmem, offmem, pmem } = pl;
  const n1 = (x: number): number => Math.max(1, x);
  const imemDepth = Math.max(b.length, warm?.program.length ?? 0, prefetch?.first.program.length ?? 0, prefetch?.stream.program.length ?? 0);
  const sizes: AccelSizes = { imemDepth, pixDepth: n1(pixmem.length), offDepth: n1(offmem.length), pmemDepth: n1(pmem.length), dramWords: dram.length };
  return {
    program: b.program,
    pixmem,
    offmem,
    pmem,
    dram,
    inputWord: pl.inputWord,
    inputCount,
    outputWord,
    outputCount: batch === 1 ? outputCount : outputCount / batch,
    layers,
    posts: best.posts,
    sizes,
    geometry: accelGeometry(config, sizes),
    estimatedCycles: b.estimatedCycles,
    ...(batch !== 1 ? { batch, inputStride, outputWords: Math.max(1, Math.ceil(outputCount / P)), outputMap: last ? last.plan.outMap : { chanPitch: inputCount, imagePitch: inputStride, hw: inputCount } } : {}),
    ...(warm ? { resident: { program: warm.program.program, layers: warmLayers, posts: warm.posts, estimatedCycles: warm.program.estimatedCycles } } : {}),
    ...(prefetch ? { prefetch } : {}),
  };
}

/** The M tiles chosen by the schedule's estimate (see the header) and the schedule they give. */
function bestSchedule(pl: Placement, resident: boolean, mode: InputMode = COLD): Schedule {
  // POSTs behind the next GEMM or behind their own (see schedule): the M tiles are searched for each, the estimate decides.
  const behind = bestScheduleWith(pl, resident, true, mode);
  const own = bestScheduleWith(pl, resident, false, mode);
  return own.estimate < behind.estimate ? own : behind;
}

function bestScheduleWith(pl: Placement, resident: boolean, deferPosts: boolean, mode: InputMode): Schedule {
  // M tiles: start from full tiles, then choose each layer's tiling in turn (first layer first) by
  // the estimated cycles of the model up to the next layer (whose start waits for this one's last
  // POST), the other tilings fixed: two passes of coordinate descent (the second lets a layer adapt
  // to the tiling its successor chose).
  const tilings = pl.layers.map((L) => mTiles(L.plan.pixels.length, L.maxTile, L.maxTile, 0));
  for (const [li, L] of [...pl.layers.entries(), ...pl.layers.entries()]) {
    const candidates = tilingCandidates(L, li === 0);
    if (candidates.length < 2) continue;
    const prefix = (t: [number, number][]): number => schedule(pl, [...tilings.slice(0, li), t, ...tilings.slice(li + 1, li + 2)], resident, deferPosts, mode).estimate;
    let bestCost = prefix(tilings[li]!);
    for (const candidate of candidates) {
      const cost = prefix(candidate);
      if (cost < bestCost) [bestCost, tilings[li]] = [cost, candidate];
    }
  }
  return schedule(pl, tilings, resident, deferPosts, mode);
}

/** Weight rows of every block of the placed layers (a GEMV's one block of K·tiles rows, each N tile's K rows). */
function residentRows(layers: readonly PlacedLayer[]): number {
  return layers.reduce((sum, L) => sum + (L.gemv ? L.K * L.tiles.length : L.placed.reduce((t, p) => t + p.K, 0)), 0);
}

/** The first layer's pixels (packed mappings' too) moved by `inputBase`: its input at the top of abuf0 (input prefetch). */
function shiftInput(plan: GemmLayer[], inputBase: number): GemmLayer[] {
  if (inputBase === 0 || plan.length === 0) return plan;
  const first = plan[0]!;
  const move = (pixels: readonly number[]): number[] => pixels.map((p) => p + inputBase);
  return [{ ...first, pixels: move(first.pixels), ...(first.packs ? { packs: first.packs.map((k) => ({ ...k, pixels: move(k.pixels) })) } : {}) }, ...plan.slice(1)];
}

/** place() of the plan with its input at inputBase, and without packing when the packed tables or blocks do not fit (E142). */
function placeOrUnpacked(plan: GemmLayer[], model: Model, probe: AccelGeometry, inputElems: number, batch: number, packing: boolean, inputBase = 0): ReturnType<typeof place> {
  if (!packing) return place(shiftInput(plan, inputBase), probe, inputElems, batch);
  try {
    return place(shiftInput(plan, inputBase), probe, inputElems, batch);
  } catch (e) {
    if (!(e instanceof DiagnosticError && e.diagnostics.every((d) => d.code === 'E142'))) throw e;
    return place(shiftInput(planLayers(model, probe.rows, batch, probe.elemsPerWord, probe.abufBanks), inputBase), probe, inputElems, batch);
  }
}

/** Whether the on-chip schedule maps the model (its E142 checks pass); false sends it to the streaming compiler. */
function fitsOnChip(model: Model, probe: AccelGeometry): boolean {
  try {
    const plan = planLayers(model, probe.rows, 1, 1, probe.abufBanks);
    const inputCount = model.input.shape[0] * model.input.shape[1] * model.input.shape[2];
    if (inputCount > probe.abufDepth) return false;
    place(plan, probe, inputCount);
    return true;
  } catch (e) {
    if (e instanceof DiagnosticError && e.diagnostics.every((d) => d.code === 'E142')) return false;
    throw e;
  }
}

/** Compile with every feature map in DRAM (accel/compiler/stream.ts). */
function streamed(model: Model, config: AccelHardwareConfig, probe: AccelGeometry): CompiledModel {
  return compiledFromMaps(compileStreamed(model, probe), model, config, probe);
}

/** The compiled DRAM image with `image` (the model input, C·H·W elements in (C,H,W) order) in its slot. */
export function inputToDram(compiled: CompiledModel, image: ArrayLike<number>): bigint[] {
  if (image.length !== compiled.inputCount) fail(`Input image must have ${compiled.inputCount} elements, not ${image.length}`);
  const dram = [...compiled.dram];
  const m = compiled.inputLayout;
  if (!m) {
    packElements(image, compiled.geometry).forEach((w, i) => (dram[compiled.inputWord + i] = w));
    return dram;
  }
  const P = compiled.geometry.elemsPerWord;
  for (let c = 0; c < m.c; c++)
    for (let y = 0; y < m.h; y++) {
      const at = mapIndex(m, c, y, 0) / P;
      // The row's last word keeps the map's fill (its zero point) past the data: it may be right padding.
      const row = Array.from({ length: P * Math.ceil(m.w / P) }, (_, x) => (x < m.w ? image[(c * m.h + y) * m.w + x]! : (m.fill ?? 0)));
      packElements(row, compiled.geometry).forEach((w, i) => (dram[m.word + at + i] = w));
    }
  return dram;
}

/** The DRAM image with a batch of inputs (compiled.batch of them; fewer: the rest stay zero) in their slots. */
export function batchToDram(compiled: CompiledModel, images: readonly ArrayLike<number>[]): bigint[] {
  const batch = compiled.batch ?? 1;
  if (images.length < 1 || images.length > batch) fail(`Images of one batch must number 1..${batch}, not ${images.length}`);
  if (batch === 1) return inputToDram(compiled, images[0]!);
  const dram = [...compiled.dram];
  const words = compiled.inputStride! / compiled.geometry.elemsPerWord;
  images.forEach((image, b) => {
    if (image.length !== compiled.inputCount) fail(`Input image must have ${compiled.inputCount} elements, not ${image.length}`);
    packElements(image, compiled.geometry).forEach((w, i) => (dram[compiled.inputWord + b * words + i] = w));
  });
  return dram;
}

/** The model output of image `image` of the batch (the last layer's elements) from a final DRAM image. */
export function readOutput(compiled: CompiledModel, dram: readonly bigint[], image = 0): Int8Array {
  const place = compiled.outputMap;
  if (place) {
    const all = unpackElements(dram, compiled.outputWord, compiled.outputCount * (compiled.batch ?? 1), compiled.geometry);
    return Int8Array.from({ length: compiled.outputCount }, (_, k) => all[Math.floor(k / place.hw) * place.chanPitch + image * place.imagePitch + (k % place.hw)]!);
  }
  const m = compiled.outputLayout;
  if (!m) return Int8Array.from(unpackElements(dram, compiled.outputWord, compiled.outputCount, compiled.geometry));
  const out = new Int8Array(compiled.outputCount);
  const P = compiled.geometry.elemsPerWord;
  for (let c = 0; c < m.c; c++)
    for (let y = 0; y < m.h; y++) out.set(unpackElements(dram, m.word + mapIndex(m, c, y, 0) / P, m.w, compiled.geometry), (c * m.h + y) * m.w);
  return out;
}

/** DRAM words of the output slot (what a run must read back to readOutput). */
export function outputWords(compiled: CompiledModel): number {
  return compiled.outputWords ?? Math.ceil(compiled.outputCount / compiled.geometry.elemsPerWord);
}
