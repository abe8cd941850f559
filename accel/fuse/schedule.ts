// accel/fuse/ owns the fused-layer dataflow (issue 13; DESIGN.md §9; Alwani et al., "Fused-Layer CNN
// Accelerators", MICRO 2016; USEFUSE, 2024): the pyramid schedule of a fusion group (this file), the planner that
// chooses groups and tile sizes for a buffer budget (plan.ts), the compiler of one group to accelerator
// instructions (group.ts) and the assembly of a whole model from fused groups and layer-by-layer segments
// (program.ts, which hands the unfused layers to accel/compiler/stream.ts).
//
// This file: the geometry of a group of consecutive window stages (conv with its fused 2×2 pool, max and average
// pools: accel/compiler/stages.ts) and the order in which a group computes its rows. Tiles are strips of T output
// rows of the last layer across the whole width; the tile moves down with a uniform stride of T rows of the last
// layer, T·Π strides rows of every earlier one (Alwani §3.1). A tile pulls a pyramid: per layer, the input rows its
// output rows' windows read. Neighbouring pyramids overlap by k − s rows per layer (window minus stride); Alwani's
// reuse model keeps that overlap on chip instead of recomputing it: each layer's input is a ring of line buffers
// (N rows per channel) that holds the overlap and receives only the new rows, so every intermediate row is computed
// once and every input row is read from DRAM once. A layer's ring size N is the largest span of rows it must hold
// at once, found by running the schedule (scheduleGroup), not by a formula.
import type { Stage } from '../compiler/stages.js';
import { paddingOf } from '../model.js';

/** One window stage of a group as the fused dataflow sees it. */
export interface WindowGeom {
  readonly name: string;
  /** The GEMM's window: k×k, stride s, padding [top, left, bottom, right] (a pool's for an average pool). */
  readonly k: number;
  readonly s: number;
  readonly pad: readonly [number, number, number, number];
  readonly inC: number;
  readonly inH: number;
  readonly inW: number;
  readonly convH: number;
  readonly convW: number;
  /** Max over windows after the GEMM (a fused 2×2 pool, a standalone max pool); {k: 1, stride: 1} when none. */
  readonly pool: { readonly k: number; readonly stride: number; readonly pad: readonly [number, number, number, number]; readonly g: number };
  readonly outC: number;
  readonly outH: number;
  readonly outW: number;
  /** Row pitch of the line buffer: left padding + W + right padding (column x at element pad[1] + x). */
  readonly pitch: number;
  /** Rows mirrored past the ring's end (k − 1): a window starting in the last ring row reads on without wrapping. */
  readonly mirror: number;
}

/** The geometry of a window stage (a conv or pool GEMM); null for an fc. */
export function windowGeom(st: Stage): WindowGeom | null {
  const L = st.layer;
  if (L.kind !== 'conv2d') return null;
  const pad = paddingOf(L);
  const [pt, pl, pb, pr] = pad;
  const convH = Math.floor((st.inS.h + pt + pb - L.k) / L.stride) + 1;
  const convW = Math.floor((st.inS.w + pl + pr - L.k) / L.stride) + 1;
  const pool = st.pool ?? { k: 1, stride: 1, pad: [0, 0, 0, 0] as const, g: 1 };
  return {
    name: st.fused ? `${st.name}+${st.fused}` : st.name,
    k: L.k,
    s: L.stride,
    pad: [pt, pl, pb, pr],
    inC: st.inS.c,
    inH: st.inS.h,
    inW: st.inS.w,
    convH,
    convW,
    pool: { k: pool.k, stride: pool.stride, pad: pool.pad, g: pool.g },
    outC: st.outS.c,
    outH: st.outS.h,
    outW: st.outS.w,
    pitch: pl + st.inS.w + pr,
    mirror: L.k - 1,
  };
}

/** Conv rows [lo, hi] that output row oy's pool windows cover (inside the conv output). */
export function convRows(g: WindowGeom, oy: number): [number, number] {
  const lo = Math.max(0, oy * g.pool.stride - g.pool.pad[0]);
  const hi = Math.min(g.convH - 1, oy * g.pool.stride - g.pool.pad[0] + g.pool.k - 1);
  return [lo, hi];
}

/** Padded input rows [lo, hi] (row y of the input is padded row y + pad top) that output rows a..b read. */
export function inputRows(g: WindowGeom, a: number, b: number): [number, number] {
  return [convRows(g, a)[0] * g.s, convRows(g, b)[1] * g.s + g.k - 1];
}

/** A step of a group's schedule, in program order. */
export type GroupEvent =
  /** Rows lo..hi of the group's input map from DRAM into ring 0. */
  | { readonly kind: 'load'; readonly lo: number; readonly hi: number }
  /** Padded row `row` (a bottom padding row) of ring `stage` set to the map's zero point. */
  | { readonly kind: 'fill'; readonly stage: number; readonly row: number }
  /** Output rows lo..hi of stage `stage` (into ring stage + 1, or to DRAM for the last stage). */
  | { readonly kind: 'compute'; readonly stage: number; readonly lo: number; readonly hi: number; readonly step: number };

export interface GroupSchedule {
  readonly events: readonly GroupEvent[];
  /** Ring rows N per stage (the stage's input line buffer), mirror rows not included. */
  readonly ringRows: readonly number[];
  /** Tile positions (steps) of the last stage. */
  readonly steps: number;
  /** Per stage, the largest number of new input rows one step brings (the pyramid's new slice) and the overlap kept (k − s rows of every window). */
  readonly pyramid: readonly { readonly bandRows: number; readonly newRows: number; readonly overlapRows: number }[];
}

/**
 * The schedule of a group for tiles of T output rows of its last stage (see the header): per step, each stage
 * computes, as a batch, the rows its consumer's batch needs; a stage's input ring receives them (loaded from DRAM
 * for stage 0, computed by the previous stage otherwise, or filled for bottom padding rows) just before.
 */
export function scheduleGroup(geoms: readonly WindowGeom[], T: number): GroupSchedule {
  const n = geoms.length;
  const events: GroupEvent[] = [];
  const produced = new Array<number>(n).fill(0); // output rows of stage l done
  const top = geoms.map((g) => g.pad[0] - 1); // highest padded row present in ring l (top padding: from the initial fill)
  const ringRows = geoms.map((g) => g.k);
  const band = geoms.map(() => ({ bandRows: 0, newRows: 0 }));
  let step = 0;
  const lowNeeded = (l: number): number => (produced[l]! < geoms[l]!.outH ? inputRows(geoms[l]!, produced[l]!, produced[l]!)[0] : Infinity);
  const arrive = (l: number, hi: number): void => {
    ringRows[l] = Math.max(ringRows[l]!, hi - Math.min(lowNeeded(l), hi) + 1);
  };
  const ensureRing = (l: number, hi: number): void => {
    const g = geoms[l]!;
    if (top[l]! >= hi) return;
    const realHi = Math.min(g.inH - 1, hi - g.pad[0]);
    const realTop = top[l]! - g.pad[0];
    if (realHi > realTop) {
      if (l === 0) events.push({ kind: 'load', lo: realTop + 1, hi: realHi });
      else ensure(l - 1, realHi + 1);
      arrive(l, realHi + g.pad[0]);
    }
    for (let i = Math.max(top[l]! + 1, g.inH + g.pad[0]); i <= hi; i++) {
      events.push({ kind: 'fill', stage: l, row: i });
      arrive(l, i);
    }
    top[l] = hi;
  };
  const ensure = (l: number, rows: number): void => {
    if (produced[l]! >= rows) return;
    const g = geoms[l]!;
    const [lo, hi] = inputRows(g, produced[l]!, rows - 1);
    const before = top[l]!;
    ensureRing(l, hi);
    band[l] = { bandRows: Math.max(band[l]!.bandRows, hi - lo + 1), newRows: Math.max(band[l]!.newRows, hi - Math.max(before, lo - 1)) };
    events.push({ kind: 'compute', stage: l, lo: produced[l]!, hi: rows - 1, step });
    produced[l] = rows;
  };
  const last = geoms[n - 1]!;
  for (let target = Math.min(T, last.outH); ; target = Math.min(last.outH, target + T)) {
    ensure(n - 1, target);
    step++;
    if (target >= last.outH) break;
  }
  return {
    events,
    ringRows,
    steps: step,
    pyramid: geoms.map((g, l) => ({ ...band[l]!, overlapRows: Math.max(0, g.k - g.s) })),
  };
}
