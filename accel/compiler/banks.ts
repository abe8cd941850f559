// Conflict-free K tiles for banked activation buffers (config activationLayout 'banked'; gen/accel/abuf-banks.ts).
//
// A GEMM vector reads element pix + off_i for each array row i of the current K tile, and a banked buffer serves
// one element per bank and cycle: bank = address mod NB. pix is common to the R rows, so the rows of a tile are
// conflict-free for every pixel iff their valid offsets are distinct mod NB. This is the ONE place that orders a
// GEMM's reduction index: every compiler path that writes offmem entries and weight rows (accel/compiler.ts,
// accel/compiler/stream.ts, accel/fuse/group.ts) permutes both by reductionOrder().
//
// Order: group the offsets by residue class (largest class first, ties by residue, the input order inside a
// class), lay the classes end to end and deal that sequence over T tiles round-robin (entry e to tile e mod T,
// McNaughton's wrap-around rule). A class has at most T entries, so its entries land in distinct tiles; each
// tile receives floor(K/T) or ceil(K/T) <= R entries. T = max(ceil(K/R), the largest class) is the least
// possible: a class of n entries needs n tiles, and K entries at most R per tile need ceil(K/R).
// With read copies (abufBanks = 1) the order is the identity, padded to whole tiles.

/** Slot s of the tiled reduction holds entry order[s] of the input (null: an invalid, zero-activation slot). */
export type ReductionOrder = (number | null)[];

/** The K tiles of `offsets` on an array of R rows reading a buffer of `banks` banks (see the header). */
export function reductionOrder(offsets: readonly number[], rows: number, banks: number): ReductionOrder {
  const K = offsets.length;
  const plain = Math.ceil(K / rows);
  if (banks <= 1) return Array.from({ length: plain * rows }, (_, s) => (s < K ? s : null));
  const classes = new Map<number, number[]>();
  offsets.forEach((off, k) => {
    const r = ((off % banks) + banks) % banks;
    const list = classes.get(r);
    if (list) list.push(k);
    else classes.set(r, [k]);
  });
  const sorted = [...classes.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0]);
  const tiles = Math.max(plain, sorted[0]?.[1].length ?? 0);
  const perTile: number[][] = Array.from({ length: tiles }, () => []);
  let e = 0;
  for (const [, entries] of sorted) for (const k of entries) perTile[e++ % tiles]!.push(k);
  return perTile.flatMap((t) => Array.from({ length: rows }, (_, i) => t[i] ?? null));
}

/** K tiles `reductionOrder` makes of these offsets. */
export const reductionTiles = (offsets: readonly number[], rows: number, banks: number): number => reductionOrder(offsets, rows, banks).length / rows;

/** `values` in the order (null slots: `pad`). */
export function applyOrder<T, P>(order: ReductionOrder, values: readonly T[], pad: P): (T | P)[] {
  return order.map((k) => (k === null ? pad : values[k]!));
}

/** The first two slots of one K tile whose offsets share a bank, or null (accel/interpret.ts's check). */
export function tileConflict(offsets: readonly (number | null)[], banks: number): [number, number] | null {
  const seen = new Map<number, number>();
  for (const [i, off] of offsets.entries()) {
    if (off === null) continue;
    const b = ((off % banks) + banks) % banks;
    const first = seen.get(b);
    if (first !== undefined) return [first, i];
    seen.set(b, i);
  }
  return null;
}

/**
 * A reduction of reduction indices `k` at `offsets` (same length) tiled for the machine: both in
 * reductionOrder, padded with nulls to whole K tiles (offmem entries: encodeOffset of each slot; weight row s:
 * the weights of reduction index k[s], zero for null).
 */
export function tiledReduction(k: readonly number[], offsets: readonly number[], rows: number, banks: number): { k: (number | null)[]; offsets: (number | null)[] } {
  const order = reductionOrder(offsets, rows, banks);
  return { k: applyOrder(order, k, null), offsets: applyOrder(order, offsets, null) };
}

/**
 * A layout spacing (e.g. the distance between two channels' bands in an activation buffer) of at least `base`
 * elements that keeps the K tiles few on a banked buffer: base + d for d in 0..banks−1 with the least
 * `tilesAt(spacing)`, the least d among equals (base itself with read copies, or when no d helps).
 */
export function balancedSpacing(base: number, banks: number, tilesAt: (spacing: number) => number): number {
  if (banks <= 1) return base;
  let best = base;
  let bestTiles = tilesAt(base);
  for (let d = 1; d < banks; d++) {
    const tiles = tilesAt(base + d);
    if (tiles < bestTiles) [best, bestTiles] = [base + d, tiles];
  }
  return best;
}
