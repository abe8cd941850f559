// The correction unit of the POST path (DESIGN.md §8, issue 11): one generator for the three schemes the
// accelerator can protect neurons with; accel/protect/lcu.ts lcuCombine is its reference (bit-exact).
//   split  Lightweight Correction Unit (Ahmadilivani et al., AICAS 2023): a split pair's halves a, b are summed
//          when −2^e <= a − b < 2^e (or 0 <= a − b < 2^e for a one-sided bound; e and the flag per neuron
//          from the parameter table), else 2·min(a, b) is taken.
//   dup    compare/min unit: min(a, b).
//   tmr    majority voter: (a & b) | (a & c) | (b & c), bit by bit.
// A row of C accumulators enters (acc_j, one per array column, the accumulator buffer's read data) and C
// corrected values leave (out_j) in the same cycle: only the head column j of a group computes, reading its
// copies from columns j+1 (and j+2); every other column passes through. Which columns are heads and copies (and
// the split bounds) sits in per-column registers loaded from the POST parameter table (pmem) through the load
// port before a POST's rows are read: `clear` empties them, `load` writes column `load_idx`'s code and bound
// (`load_bound` exists on the split unit only).
// `enable` (the POST instruction's lcu bit) turns the unit on for one POST; off, every column passes through
// and no column is a copy. `copies` (bit j: column j is a copy) tells the serializer which columns to skip;
// `flag` says a head in this row saw its copies disagree (the corrected-event counter).
//
// Module name: lcu_<scheme>_c<C>_acc<accWidth>.
import { Bool, cat, defineModule, mux, SInt, UInt, type ModuleBuilder, type ModuleDef, type Value } from '../../hdl/dsl/index.js';

export type LcuScheme = 'split' | 'dup' | 'tmr';

export interface LcuOptions {
  readonly scheme: LcuScheme;
  /** Array columns C (accumulators per row). */
  readonly cols: number;
  readonly accWidth: number;
}

/** The LCU code of a head of each scheme, and of a copy (accel/model.ts LCU). */
export const LCU_CODES = { split: 1, dup: 2, tmr: 3, copy: 4 } as const;
export const LCU_CODE_BITS = 3;
/** Split bound: e in bits 5..0, bit 6 = one-sided (accel/protect/lcu.ts SPLIT_NONNEG). */
export const LCU_BOUND_BITS = 7;

/** Columns a group of this scheme spans. */
export const lcuGroupSize = (scheme: LcuScheme): number => (scheme === 'tmr' ? 3 : 2);

/** min(a, b) of two signed values of one shape. */
const smin = (a: Value, b: Value): Value => mux(a.lt(b), a, b);

/** The split rule for head a and copy b: a + b when the difference is within ±2^e, else 2·min. */
function splitRule(m: ModuleBuilder, j: number, a: Value, b: Value, bound: Value, accWidth: number): { value: Value; bad: Value } {
  // d = a − b is exact in accWidth + 1 bits; −2^e <= d < 2^e  ⇔  d >>> e (arithmetic) is 0 or −1, and the
  // one-sided 0 <= d < 2^e (bound bit 6)  ⇔  it is 0.
  const d = m.wire(`d_${j}`, a.sub(b));
  const high = m.wire(`dhigh_${j}`, d.sra(bound.slice(0, 6)));
  const zero = high.eq(m.constant(0, high.shape));
  const ok = zero.or(bound.bit(6).not().and(high.eq(m.constant(-1, high.shape))));
  const sum = a.add(b).trunc(accWidth);
  // min(a, b) from the sign of d, which the check computes anyway (no second comparator).
  const low = mux(d.bit(d.width - 1), a, b);
  const twice = low.shl(1).trunc(accWidth);
  return { value: mux(ok, sum, twice).asSigned(), bad: ok.not() };
}

/** Bitwise majority of three values of one shape. */
const majority = (a: Value, b: Value, c: Value): Value => a.and(b).or(a.and(c)).or(b.and(c));

export function lcu({ scheme, cols: C, accWidth }: LcuOptions): ModuleDef {
  const name = `lcu_${scheme}_c${C}_acc${accWidth}`;
  const size = lcuGroupSize(scheme);
  const idxBits = Math.max(1, Math.ceil(Math.log2(C)));
  return defineModule({ name, generator: 'lcu', params: { scheme, cols: C, accWidth } }, (m) => {
    const acc = Array.from({ length: C }, (_, j) => m.input(`acc_${j}`, SInt(accWidth)));
    const enable = m.input('enable', Bool);
    const clear = m.input('clear', Bool);
    const load = m.input('load', Bool);
    const loadIdx = m.input('load_idx', UInt(idxBits));
    const loadCode = m.input('load_code', UInt(LCU_CODE_BITS));
    // Only the split rule has a bound: the other units have no load_bound port.
    const loadBound = scheme === 'split' ? m.input('load_bound', UInt(LCU_BOUND_BITS)) : null;

    // Per-column configuration registers (fault sites: post.lcu.head_j, copy_j, bound_j).
    const isHead: Value[] = [];
    const isCopy: Value[] = [];
    const bounds: Value[] = [];
    for (let j = 0; j < C; j++) {
      const here = load.and(loadIdx.eq(j));
      const canLead = j + size <= C;
      if (canLead) {
        const head = m.reg(`head_${j}`, Bool, { reset: 0 });
        m.when(clear, () => head.set(0)).elseWhen(here, () => head.set(loadCode.eq(LCU_CODES[scheme])));
        isHead.push(head);
      } else {
        isHead.push(m.constant(0, Bool));
      }
      if (j > 0) {
        const copy = m.reg(`copy_${j}`, Bool, { reset: 0 });
        m.when(clear, () => copy.set(0)).elseWhen(here, () => copy.set(loadCode.eq(LCU_CODES.copy)));
        isCopy.push(copy);
      } else {
        isCopy.push(m.constant(0, Bool));
      }
      if (scheme === 'split' && canLead) {
        const bound = m.reg(`bound_${j}`, UInt(LCU_BOUND_BITS), { reset: 0 });
        m.when(clear, () => bound.set(0)).elseWhen(here, () => bound.set(loadBound!));
        bounds.push(bound);
      }
    }

    const bad: Value[] = [];
    for (let j = 0; j < C; j++) {
      let value: Value = acc[j]!;
      if (j + size <= C) {
        const on = m.wire(`on_${j}`, enable.and(isHead[j]!));
        let corrected: Value;
        let disagree: Value;
        if (scheme === 'split') {
          const r = splitRule(m, j, acc[j]!, acc[j + 1]!, bounds[j]!, accWidth);
          corrected = r.value;
          disagree = r.bad;
        } else if (scheme === 'dup') {
          corrected = smin(acc[j]!, acc[j + 1]!);
          disagree = acc[j]!.ne(acc[j + 1]!);
        } else {
          corrected = majority(acc[j]!.asUnsigned(), acc[j + 1]!.asUnsigned(), acc[j + 2]!.asUnsigned()).asSigned();
          disagree = acc[j]!.ne(acc[j + 1]!).or(acc[j]!.ne(acc[j + 2]!));
        }
        value = mux(on, corrected, acc[j]!);
        bad.push(on.and(disagree));
      }
      m.output(`out_${j}`, value);
    }
    m.output('flag', bad.length ? bad.reduce((x, y) => x.or(y)) : m.constant(0, Bool));
    const copyBits = isCopy.map((c) => enable.and(c));
    m.output('copies', C === 1 ? copyBits[0]! : cat(...copyBits.slice().reverse()));
  });
}
