// A 2×2 stride-2 max-pool unit for a row-major pixel stream (the pooling layers of LeNet-5, DESIGN.md §6).
import { Bool, defineModule, mux, SInt, UInt, type ModuleDef, type Value } from '../hdl/dsl/index.js';
import { addrWidth } from '../hdl/ir/index.js';

export interface PoolOptions {
  /** Width W of the input feature map in pixels: even, 2..4096. */
  cols: number;
  /** Pixel width in bits (int8 or int16 activations). */
  width: 8 | 16;
  /** Two's-complement pixels when true, unsigned when false. */
  signed: boolean;
}

/** Cycles from the last pixel of a 2×2 block (valid_in in cycle t) to its maximum on `out` (cycle t + POOL_LATENCY). */
export const POOL_LATENCY = 1;

/**
 * Interface: `pix` with `valid` carries one pixel of a W-wide feature map per valid cycle, row-major
 * (row 0 left to right, then row 1, …); cycles with valid low are skipped and change nothing. The
 * stream position starts at pixel (0, 0) after reset and continues through any number of rows; an
 * odd last row is never emitted.
 *
 * Storage: `first_q` holds the first pixel of the current horizontal pair; `row_q_0 … row_q_{W/2-1}`
 * is a shift register of the pair maxima of the last even row (it shifts once per completed pair, so
 * its oldest entry is the pair above the current one).
 *
 * Timing: when pixel (r, c) with r and c odd arrives with valid in cycle t, `out` holds
 * max(x[r-1][c-1], x[r-1][c], x[r][c-1], x[r][c]) — pooled pixel (r/2, c/2) in row-major order — and
 * `out_valid` is high in cycle t+1, for that cycle only. So a W×H map gives (W/2)·(H/2) outputs.
 *
 * Module name: `pool2_w<W>_<s|u><width>`.
 */
export function maxPool2({ cols, width, signed }: PoolOptions): ModuleDef {
  const pixel = signed ? SInt(width) : UInt(width);
  const pairs = cols / 2;
  const name = `pool2_w${cols}_${signed ? 's' : 'u'}${width}`;
  return defineModule({ name, generator: 'pool', params: { cols, width, signed } }, (m) => {
    const pix = m.input('pix', pixel);
    const valid = m.input('valid', Bool);

    // Position of the incoming pixel: column and row parity.
    const col = m.reg('col_q', UInt(addrWidth(cols)), { reset: 0 });
    const oddRow = m.reg('odd_row_q', Bool, { reset: 0 });
    const lastCol = col.eq(cols - 1);
    m.when(valid, () => {
      col.set(mux(lastCol, m.constant(0, col.shape), col.add(1).trunc(col.width)));
      m.when(lastCol, () => oddRow.set(oddRow.not()));
    });
    const oddCol = col.bit(0);

    const max = (a: Value, b: Value): Value => mux(a.ge(b), a, b);
    const first = m.reg('first_q', pixel, { reset: 0 });
    m.when(valid.and(oddCol.not()), () => first.set(pix));
    const pairMax = m.wire('pair_max', max(first, pix));

    // Pair maxima of the even row, oldest at the end; shifted once per completed pair.
    const pairDone = valid.and(oddCol);
    const rowRegs = Array.from({ length: pairs }, (_, i) => m.reg(`row_q_${i}`, pixel, { reset: 0 }));
    m.when(pairDone, () => {
      rowRegs.forEach((r, i) => r.set(i === 0 ? pairMax : rowRegs[i - 1]!));
    });
    const above = rowRegs[pairs - 1]!;

    const out = m.reg('out_q', pixel, { reset: 0 });
    const outValid = m.reg('out_valid_q', Bool, { reset: 0 });
    const emit = pairDone.and(oddRow);
    outValid.set(emit);
    m.when(emit, () => out.set(max(above, pairMax)));
    m.output('out', out);
    m.output('out_valid', outValid);
  });
}

/** Reference: 2×2 stride-2 max pooling of a row-major W-wide map (rows beyond an even count are dropped). */
export function maxPool2Reference(pixels: readonly bigint[], cols: number): bigint[] {
  const rows = Math.floor(pixels.length / cols);
  const out: bigint[] = [];
  for (let r = 0; r + 1 < rows; r += 2) {
    for (let c = 0; c + 1 < cols; c += 2) {
      const block = [pixels[r * cols + c]!, pixels[r * cols + c + 1]!, pixels[(r + 1) * cols + c]!, pixels[(r + 1) * cols + c + 1]!];
      out.push(block.reduce((a, b) => (b > a ? b : a)));
    }
  }
  return out;
}
