// The GEMV placement of an fc layer (issue 14): on a tile-loading machine (config weightLoad 'tile') an fc layer
// at batch 1 is ONE GEMM with gemv = 1 (gen/accel/isa.ts): vector m is N tile m, all vectors read the same input
// vector, and in K tile t vector m uses its own weight tile, so the array takes a new R×C tile every cycle
// instead of one every R cycles (an fc layer at M = 1 vector per GEMM is bound by weight loading). K tile t reads
// its R inputs at pixel t·R with the offsets 0..R−1 (pixmem holds one entry per K tile; offmem the layer's first R
// offsets): the GEMV loads offsets once, so its K tiles follow every max(N tiles, 2) cycles. The weight
// block holds the tiles K-tile-major: tile (t, m) at rows (t·nTiles + m)·R .. +R−1 of the block. One row-major
// POST (pool = 0, window = 1) writes accumulator row m, column j as output channel m·C + j at dstBase + m·C + j;
// the channels past the layer's last one (the last N tile's unused columns) are written too, with zero
// parameters, and never read.
import type { FcLayer, Conv2dLayer } from '../model.js';
import type { NTile } from './ntiles.js';

/**
 * Whether the compiler maps this layer as one GEMV: an unprotected fc layer at batch 1 on a tile-loading machine,
 * more than one N tile, its input consecutive (offset k = k), and its K·tiles weight rows within half the wbuf (so
 * that, where the weights stream, the next block still loads while this one is read; otherwise the layer keeps one
 * GEMM per N tile).
 */
export function usesGemv(layer: Conv2dLayer | FcLayer, tiles: readonly NTile[], offsets: readonly (number | null)[], g: { readonly tileLoad: boolean; readonly wbufDepth: number }, batch: number): boolean {
  const consecutive = offsets.every((o, k) => o === null || o === k);
  return g.tileLoad && batch === 1 && layer.kind === 'fc' && !layer.protection && tiles.length > 1 && consecutive && offsets.length * tiles.length <= g.wbufDepth / 2;
}

/** The pixmem entries of a GEMV: K tile t's inputs start at t·R. */
export function gemvPixels(K: number, R: number): number[] {
  return Array.from({ length: K / R }, (_, t) => t * R);
}

/**
 * The weight rows of a GEMV block: row (t·nTiles + m)·R + i, column j = w[(m·C + j)·Kreal + t·R + i] (zero past
 * the layer's channels or inputs). `K` is the padded reduction (kTiles·R).
 */
export function gemvWeightRows(layer: FcLayer | Conv2dLayer, tiles: readonly NTile[], K: number, R: number, C: number): number[][] {
  const Kreal = layer.kind === 'fc' ? layer.in : layer.inC * layer.k * layer.k;
  const rows: number[][] = [];
  for (let t = 0; t < K / R; t++)
    for (const tile of tiles)
      for (let i = 0; i < R; i++) {
        const k = t * R + i;
        rows.push(Array.from({ length: C }, (_, j) => (k < Kreal && j < tile.count ? layer.weights[(tile.start + j) * Kreal + k]! : 0)));
      }
  return rows;
}
