// A line buffer: K×K sliding windows (stride 1) over a row-major pixel stream, the input side of a
// streaming convolution (K = 5 for LeNet-5's convolutions, DESIGN.md §6).
import { Bool, defineModule, mux, SInt, UInt, type ModuleDef } from '../hdl/dsl/index.js';
import { addrWidth } from '../hdl/ir/index.js';

export interface LineBufferOptions {
  /** Window size K: 1..8. */
  k: number;
  /** Width W of the feature map in pixels: K..4096. */
  cols: number;
  /** Pixel width in bits: 1..32. */
  width: number;
  /** Two's-complement pixels when true, unsigned when false. */
  signed: boolean;
}

/** Cycles from a window's bottom-right pixel (valid in cycle t) to the window on the outputs (cycle t + LINEBUF_LATENCY). */
export const LINEBUF_LATENCY = 1;

/** Output port of window element (i, j): row i from the top, column j from the left, both 0..K-1. */
export function windowPort(i: number, j: number): string {
  return `win_${i}_${j}`;
}

/**
 * Interface: `pix` with `valid` carries one pixel of a W-wide map per valid cycle, row-major, starting
 * at pixel (0, 0) after reset and continuing through any number of rows; cycles with valid low change
 * nothing.
 *
 * Storage: one shift register `tap_0 … tap_{(K-1)·W+K-1}` that shifts once per valid pixel: its K-1
 * full rows are the row buffers and its taps at offsets i·W + j are the K×K window registers (tap 0
 * holds the newest pixel).
 *
 * Timing: when pixel (r, c) with r >= K-1 and c >= K-1 arrives with valid in cycle t, in cycle t+1
 * `window_valid` is high (for that cycle only) and `win_i_j` = x[r-K+1+i][c-K+1+j]: the window whose
 * top-left pixel is (r-K+1, c-K+1). Windows therefore come in row-major order of their top-left
 * pixel, (H-K+1)·(W-K+1) of them for an H-row map; windows that would straddle a row boundary are
 * not emitted. Outside window_valid cycles the win_* ports show the taps (no meaning).
 *
 * Module name: `linebuf_k<K>_w<W>_<s|u><width>`.
 */
export function lineBuffer({ k, cols, width, signed }: LineBufferOptions): ModuleDef {
  const pixel = signed ? SInt(width) : UInt(width);
  const length = (k - 1) * cols + k;
  const name = `linebuf_k${k}_w${cols}_${signed ? 's' : 'u'}${width}`;
  return defineModule({ name, generator: 'linebuf', params: { k, cols, width, signed } }, (m) => {
    const pix = m.input('pix', pixel);
    const valid = m.input('valid', Bool);

    // Position of the incoming pixel: column, and the row saturated at K-1 (only `row >= K-1` matters).
    const col = m.reg('col_q', UInt(addrWidth(cols)), { reset: 0 });
    const row = k > 1 ? m.reg('row_q', UInt(addrWidth(k)), { reset: 0 }) : null;
    const lastCol = col.eq(cols - 1);
    m.when(valid, () => {
      col.set(mux(lastCol, m.constant(0, col.shape), col.add(1).trunc(col.width)));
      if (row) m.when(lastCol.and(row.lt(k - 1)), () => row.set(row.add(1).trunc(row.width)));
    });

    const taps = Array.from({ length }, (_, i) => m.reg(`tap_${i}`, pixel, { reset: 0 }));
    m.when(valid, () => taps.forEach((t, i) => t.set(i === 0 ? pix : taps[i - 1]!)));

    const windowValid = m.reg('window_valid_q', Bool, { reset: 0 });
    // For K = 1 every pixel completes a window (no always-true comparisons: Verilator -Wall flags them).
    windowValid.set(row ? valid.and(row.ge(k - 1)).and(col.ge(k - 1)) : valid);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) m.output(windowPort(i, j), taps[(k - 1 - i) * cols + (k - 1 - j)]!);
    }
    m.output('window_valid', windowValid);
  });
}

/** Reference: every K×K window of a row-major W-wide map, in row-major order of the top-left pixel; win[i][j]. */
export function lineBufferReference(pixels: readonly bigint[], k: number, cols: number): bigint[][][] {
  const rows = Math.floor(pixels.length / cols);
  const windows: bigint[][][] = [];
  for (let r = 0; r + k <= rows; r++) {
    for (let c = 0; c + k <= cols; c++) {
      windows.push(Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => pixels[(r + i) * cols + c + j]!)));
    }
  }
  return windows;
}
