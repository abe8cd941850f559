// The LeNet-5 compiler (issue 5, first version): a quantized model (accel/model.ts) → an accelerator
// program (gen/accel/isa.ts) with its tables and DRAM image. accel/interpret.ts runs the result; it
// must equal accel/golden.ts bit for bit.
//
// Mapping
//   conv2d    GEMM via im2col. M = output pixels: pixmem holds oy·s·W + ox·s per pixel, in 2×2
//             pool-window-major order when a maxpool k=2 s=2 follows (the pool is fused into POST;
//             rows/cols left over by the floor of the pool are not computed), raster order otherwise.
//             K = inC·k·k (offmem: ci·H·W + ky·W + kx), padded with invalid entries to kTiles·R.
//             N = outC in tiles of C. Output (C,H,W) at address 0 of the other activation buffer:
//             channel o at o·plane, plane = output pixels per channel.
//   flatten   nothing: the (C,H,W) layout is already the vector.
//   fc        M = 1 (one pixmem entry 0 shared by all fc layers), K = in (offmem k → k), N = out.
//   A maxpool not directly after a conv2d is not supported (E142, like every model that does not fit).
// Buffers. The input image is LOADed into abuf0 at 0; layers ping-pong abuf0 → abuf1 → abuf0 ...,
//   each reading its input at 0 and writing its output at 0. M is tiled to the accumulator rows of a
//   bank (a multiple of 4 when pooling). Weight rows of N tile n of a layer: k-major rows, column j =
//   weight of output channel n·C + j (zero padding), kTiles·R rows per tile, tiles consecutive in DRAM.
//   A layer whose rows fit the wbuf is LOADed once; otherwise each N tile is LOADed before its GEMMs.
// Schedule. Loop N tiles outside, M tiles inside; consecutive GEMMs alternate accumulator banks, each
//   GEMM is followed by the POST of its bank, so the GEMM of tile j+1 runs while tile j is POSTed.
//   WAITs come from accel/program-layout.ts HazardProgram (exactly the isa.ts hazard rule).
// DRAM image: [input slot][weights of every layer][output slot]; all word addresses.
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { accelGeometry, type AccelGeometry, type AccelHardwareConfig, type AccelSizes } from '../gen/accel/config.js';
import { encodeOffset, encodeParam, type Instruction } from '../gen/accel/isa.js';
import { layerMacs } from './golden.js';
import { layerShapes, type ActivationShape, type Conv2dLayer, type FcLayer, type Model } from './model.js';
import { HazardProgram, packElements, packWeightRows, unpackElements } from './program-layout.js';

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
  /** Table and DRAM depths of the instance that runs this program (accelSimTop). */
  readonly sizes: AccelSizes;
  readonly geometry: AccelGeometry;
}

const sizeOf = (s: ActivationShape): number => (s.kind === 'chw' ? s.c * s.h * s.w : s.n);

/** A GEMM layer in the compiler's terms. */
interface GemmLayer {
  readonly layer: Conv2dLayer | FcLayer;
  readonly fused?: string;
  readonly pool: boolean;
  readonly pixels: number[];
  readonly offsets: (number | null)[];
  readonly outN: number;
  /** Elements per output channel in the destination (plane). */
  readonly plane: number;
  readonly inSize: number;
}

/** The model cannot run on this configuration: an E142 diagnostic ("X must be Y, not Z"). */
function fail(what: string): never {
  throw new DiagnosticError([msg.unsupportedModel(what, 'use a larger preset (--config large) or raise the buffer sizes with --set; docs/accelerator.md lists what the compiler maps')]);
}

/** Plan the GEMM layers (im2col tables) of a model. */
function planLayers(model: Model, R: number): GemmLayer[] {
  const shapes = layerShapes(model);
  const [c0, h0, w0] = model.input.shape;
  const out: GemmLayer[] = [];
  let inS: ActivationShape = { kind: 'chw', c: c0, h: h0, w: w0 };
  for (let i = 0; i < model.layers.length; i++) {
    const layer = model.layers[i]!;
    const outS = shapes[i]!;
    if (layer.kind === 'conv2d' && inS.kind === 'chw' && outS.kind === 'chw') {
      const next = model.layers[i + 1];
      const pool = next?.kind === 'maxpool' && next.k === 2 && next.stride === 2;
      const { h: OH, w: OW } = outS;
      const s = layer.stride;
      const pixels: number[] = [];
      if (pool) {
        for (let py = 0; py < Math.floor(OH / 2); py++)
          for (let px = 0; px < Math.floor(OW / 2); px++)
            for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) pixels.push((2 * py + dy) * s * inS.w + (2 * px + dx) * s);
      } else {
        for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) pixels.push(oy * s * inS.w + ox * s);
      }
      const K = layer.inC * layer.k * layer.k;
      const src = inS;
      const offsets = Array.from({ length: Math.ceil(K / R) * R }, (_, k) => {
        if (k >= K) return null;
        const ci = Math.floor(k / (layer.k * layer.k)), ky = Math.floor((k % (layer.k * layer.k)) / layer.k), kx = k % layer.k;
        return ci * src.h * src.w + ky * src.w + kx;
      });
      const plane = pool ? pixels.length / 4 : pixels.length;
      out.push({ layer, fused: pool ? next.name : undefined, pool, pixels, offsets, outN: layer.outC, plane, inSize: sizeOf(inS) });
      if (pool) {
        inS = shapes[i + 1]!;
        i++;
        continue;
      }
    } else if (layer.kind === 'fc') {
      const offsets = Array.from({ length: Math.ceil(layer.in / R) * R }, (_, k) => (k < layer.in ? k : null));
      out.push({ layer, pool: false, pixels: [0], offsets, outN: layer.out, plane: 1, inSize: layer.in });
    } else if (layer.kind === 'maxpool') {
      fail(`Layer '${layer.name}' (maxpool k=${layer.k} s=${layer.stride}) must directly follow a conv2d and be 2×2 stride 2 to be compiled (fused into POST)`);
    }
    inS = outS;
  }
  return out;
}

/**
 * Compile `model` for an accelerator configuration (see the header for the mapping and schedule).
 * Throws a RangeError naming the limit when a layer does not fit (activations larger than an abuf,
 * one N tile's weight rows larger than the wbuf, table addresses beyond 16 bits).
 */
export function compile(model: Model, config: AccelHardwareConfig): CompiledModel {
  const probe = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  const { rows: R, cols: C, wbufDepth, abufDepth, accRows, wordsPerWeightRow: WR, elemsPerWord: P } = probe;
  const plan = planLayers(model, R);
  const macsByName = new Map(layerMacs(model).map((l) => [l.name, l.macs]));
  const inputCount = model.input.shape[0] * model.input.shape[1] * model.input.shape[2];
  if (inputCount > abufDepth) fail(`Model input must have at most ${abufDepth} elements (one activation buffer), not ${inputCount}`);

  const pixmem: number[] = [];
  const offmem: number[] = [];
  const pmem: bigint[] = [];
  const weightWords: bigint[] = [];
  const inputWord = 0;
  const weightBase = Math.ceil(inputCount / P);
  const fcPix = plan.some((l) => l.layer.kind === 'fc') ? pixmem.push(0) - 1 : -1;

  const b = new HazardProgram();
  b.push({ op: 'LOAD', buf: 1, dram: inputWord, addr: 0, count: inputCount });
  const layers: CompiledLayer[] = [];
  let src = 0;
  let bank = 0;
  for (const L of plan) {
    const first = b.length;
    const dst = 1 - src;
    const K = L.offsets.length;
    const kTiles = K / R;
    const nTiles = Math.ceil(L.outN / C);
    const outCount = L.outN * L.plane;
    if (outCount > abufDepth) fail(`Output of layer '${L.layer.name}' must fit one activation buffer (${abufDepth} elements), not ${outCount}`);
    if (K > wbufDepth) fail(`Weight rows of one N tile of layer '${L.layer.name}' must fit the wbuf (${wbufDepth} rows), not ${K}`);
    const pixAddr = L.layer.kind === 'fc' ? fcPix : pixmem.push(...L.pixels) - L.pixels.length;
    const offAddr = offmem.push(...L.offsets.map(encodeOffset)) - K;
    const chan = pmem.length;
    const lp = L.layer;
    for (let o = 0; o < L.outN; o++) pmem.push(encodeParam(lp.bias[o]!, lp.requantB[o]!, lp.requantC[o]!));
    // Weight rows: tile n, row k, column j = w[(n·C + j)·Kreal + k].
    const Kreal = lp.kind === 'fc' ? lp.in : lp.inC * lp.k * lp.k;
    const rows: number[][] = [];
    for (let n = 0; n < nTiles; n++)
      for (let k = 0; k < K; k++) rows.push(Array.from({ length: C }, (_, j) => (k < Kreal && n * C + j < L.outN ? lp.weights[(n * C + j) * Kreal + k]! : 0)));
    const layerWord = weightBase + weightWords.length;
    weightWords.push(...packWeightRows(rows, probe));
    const whole = rows.length <= wbufDepth;
    if (whole) b.push({ op: 'LOAD', buf: 0, dram: layerWord, addr: 0, count: rows.length });
    // M tiles: accumulator rows per bank (a multiple of 4 when pooling).
    const mTile = L.pool ? accRows - (accRows % 4) : accRows;
    const M = L.pixels.length;
    for (let n = 0; n < nTiles; n++) {
      if (!whole) b.push({ op: 'LOAD', buf: 0, dram: layerWord + n * K * WR, addr: 0, count: K });
      const nValid = Math.min(C, L.outN - n * C);
      for (let m0 = 0; m0 < M; m0 += mTile) {
        const mCount = Math.min(mTile, M - m0);
        b.push({ op: 'GEMM', src, bank, mCount, kTiles, wRow: whole ? n * K : 0, pixAddr: pixAddr + m0, offAddr });
        b.push({
          op: 'POST',
          bank,
          pool: L.pool ? 1 : 0,
          relu: lp.relu ? 1 : 0,
          nValid,
          chan: chan + n * C,
          dst,
          dstBase: n * C * L.plane + (L.pool ? m0 / 4 : m0),
          plane: L.plane,
          mCount,
          interval: 1,
        });
        bank = 1 - bank;
      }
    }
    layers.push({ name: lp.name, ...(L.fused ? { fused: L.fused } : {}), firstInstr: first, lastInstr: b.length - 1, macs: macsByName.get(lp.name) ?? 0 });
    src = dst;
  }
  const last = plan[plan.length - 1];
  const outputCount = last ? last.outN * last.plane : inputCount;
  const outputWord = weightBase + weightWords.length;
  b.push({ op: 'STORE', buf: src + 1, dram: outputWord, addr: 0, count: outputCount });
  b.push({ op: 'HALT' });
  const dram = [...new Array<bigint>(weightBase).fill(0n), ...weightWords, ...new Array<bigint>(Math.max(1, Math.ceil(outputCount / P))).fill(0n)];
  if (pixmem.length > 1 << 16) fail(`pixmem must have at most 65536 entries, not ${pixmem.length}`);
  if (offmem.length > 1 << 16) fail(`offmem must have at most 65536 entries, not ${offmem.length}`);
  if (pmem.length > 1 << 12) fail(`pmem must have at most 4096 entries, not ${pmem.length}`);
  const n1 = (x: number): number => Math.max(1, x);
  const sizes: AccelSizes = { imemDepth: b.length, pixDepth: n1(pixmem.length), offDepth: n1(offmem.length), pmemDepth: n1(pmem.length), dramWords: dram.length };
  return { program: b.program, pixmem, offmem, pmem, dram, inputWord, inputCount, outputWord, outputCount, layers, sizes, geometry: accelGeometry(config, sizes) };
}

/** The compiled DRAM image with `image` (the model input, C·H·W elements in (C,H,W) order) in its slot. */
export function inputToDram(compiled: CompiledModel, image: ArrayLike<number>): bigint[] {
  if (image.length !== compiled.inputCount) fail(`Input image must have ${compiled.inputCount} elements, not ${image.length}`);
  const dram = [...compiled.dram];
  packElements(image, compiled.geometry).forEach((w, i) => (dram[compiled.inputWord + i] = w));
  return dram;
}

/** The model output (the last layer's elements) from a final DRAM image. */
export function readOutput(compiled: CompiledModel, dram: readonly bigint[]): Int8Array {
  return Int8Array.from(unpackElements(dram, compiled.outputWord, compiled.outputCount, compiled.geometry));
}
