// N tiles of a GEMM layer (accel/compiler.ts, accel/compiler/stream.ts): at most C physical output channels per
// tile, and on a protected layer a group (a neuron and its copies) never straddles two tiles — the correction
// unit combines columns of one accumulator row (accel/protect/, gen/protect/lcu.ts).
import { LCU_GROUP_SIZE, type Conv2dLayer, type FcLayer } from '../model.js';

export interface NTile {
  /** Physical channels start .. start + count − 1, the first of them logical channel logical0. */
  readonly start: number;
  readonly count: number;
  readonly logical0: number;
  /** The tile holds a protected group: its POSTs set the lcu bit. */
  readonly lcu: boolean;
}

/** The N tiles of a layer with physN physical output channels on C columns; `fail` throws the caller's diagnostic. */
export function nTiles(L: { readonly layer: Conv2dLayer | FcLayer; readonly physN: number }, C: number, fail: (what: string) => never): NTile[] {
  const codes = L.layer.protection?.lcu;
  const tiles: NTile[] = [];
  let start = 0, count = 0, logical0 = 0, logical = 0, lcu = false;
  for (let o = 0; o < L.physN; ) {
    const size = codes ? LCU_GROUP_SIZE[codes[o]!]! : 1;
    if (size > C) fail(`Array columns for the ${size}-channel groups of protected layer '${L.layer.name}' must be at least ${size}, not ${C}`);
    if (count + size > C) {
      tiles.push({ start, count, logical0, lcu });
      [start, count, logical0, lcu] = [o, 0, logical, false];
    }
    count += size;
    lcu ||= size > 1;
    logical++;
    o += size;
  }
  if (count > 0) tiles.push({ start, count, logical0, lcu });
  return tiles;
}
