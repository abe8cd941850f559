// Example designs built with the DSL, shared by the emitter tests (and reusable by simulator tests).
// Each one exercises a part of the emitter: registers with enable/reset/clear, every operator at
// mixed widths and signedness, memories at a non-power-of-two depth, hierarchy, registers without reset.
import type { Design } from '../../hdl/ir/index.js';
import { Bool, build, cat, defineModule, mux, SInt, UInt, type ModuleDef } from '../../hdl/dsl/index.js';

/** An 8-bit up-counter with enable and synchronous reset. */
export function counterWithEnable(): ModuleDef {
  return defineModule({ name: 'counter_en', generator: 'counter', params: { width: 8 } }, (m) => {
    const en = m.input('en', Bool);
    const count = m.reg('count', UInt(8), { reset: 0, enable: en });
    count.set(count.add(1).trunc(8));
    m.output('value', count);
    m.output('wrap', count.andR());
  });
}

/** Signed multiply-accumulate: acc <= clear ? 0 : acc + a*b, with a 24-bit accumulator. */
export function signedMac(): ModuleDef {
  return defineModule({ name: 'mac_s8', generator: 'mac', params: { operand: 'int8', accWidth: 24 } }, (m) => {
    const a = m.input('a', SInt(8));
    const b = m.input('b', SInt(8));
    const valid = m.input('valid', Bool);
    const clear = m.input('clear', Bool);
    const acc = m.reg('acc', SInt(24), { reset: -5, enable: valid.or(clear) });
    const product = m.wire('product', a.mul(b));
    acc.set(mux(clear, 0, acc.add(product).trunc(24)));
    m.output('sum', acc);
    m.output('overflowing', acc.add(product).bit(24));
  });
}

/** Every operator, at mixed widths and signedness, purely combinational. */
export function allOperators(): ModuleDef {
  return defineModule({ name: 'all_ops', generator: 'all_ops', params: {} }, (m) => {
    const u8 = m.input('u8', UInt(8));
    const s5 = m.input('s5', SInt(5));
    const u3 = m.input('u3', UInt(3));
    const s12 = m.input('s12', SInt(12));
    const b = m.input('b', Bool);
    const wideAmt = m.input('wide_amt', UInt(70));
    // Arithmetic, mixed signedness and widths; a shared sub-expression used three times.
    const shared = u8.add(s5);
    m.output('add_us', shared);
    m.output('sub_su', s5.sub(u8));
    m.output('mul_us', u8.mul(s5));
    m.output('mul_ss', s5.mul(s12));
    m.output('mul_uu', u8.mul(u3));
    m.output('neg_u', u8.neg());
    m.output('neg_s', s12.neg());
    m.output('add_const', s5.add(-3).sub(u3.mul(5)));
    m.output('add_trunc', shared.add(s12).trunc(10));
    // Bitwise and reductions.
    m.output('not_s', s5.not());
    m.output('and_us', u8.and(s5));
    m.output('or_ss', s5.or(s12));
    m.output('xor_uu', u3.xor(u8));
    m.output('reds', cat(u8.andR(), u8.orR(), u8.xorR(), s5.andR(), shared.xorR()));
    // Comparisons.
    m.output('cmp_us', cat(u8.eq(s5), u8.ne(s5), u8.lt(s5), u8.le(s5), u8.gt(s5), u8.ge(s5)));
    m.output('cmp_ss', cat(s5.lt(s12), s12.ge(s5), s5.eq(-1), s12.gt(-2048)));
    m.output('cmp_uu', cat(u3.lt(u8), u8.le(200), u3.ne(0)));
    // Decided by the operand's range, as generic generators write them (`x < 0` on an unsigned x).
    m.output('cmp_decided', cat(u8.lt(0), u8.le(255), s5.ge(-16), m.constant(7, UInt(3)).lt(u3), s12.gt(5000)));
    // Shifts by constants and by signals, including amounts wider than the operand.
    m.output('shl_c', s5.shl(3));
    m.output('shr_c', u8.shr(2));
    m.output('sra_c', s12.sra(4));
    m.output('sra_u', u8.sra(1));
    m.output('shl_v', u8.shl(u3));
    m.output('shr_v', s12.shr(u3));
    m.output('sra_v', s12.sra(u3));
    m.output('shl_wide', s5.shl(wideAmt));
    m.output('sra_wide', s5.sra(wideAmt));
    m.output('shr_s', s5.shr(s5.asUnsigned()));
    // Wiring: slices of operator results, extension, truncation, casts, concatenation.
    m.output('prod_mid', u8.mul(s12).slice(6, 8));
    m.output('sum_top', s12.add(s12).bits(12, 9));
    m.output('zext_s', s5.zext(9));
    m.output('sext_u', u3.sext(6));
    m.output('trunc_s', s12.trunc(7));
    m.output('resize', s5.resize(11).add(u8.resize(4)));
    m.output('cast', s12.asUnsigned().lt(u8.asSigned()));
    m.output('cat_mix', cat(s5, u3.bit(0), s12.bits(11, 8), shared.slice(2, 3)));
    m.output('shl_slice', s5.shl(4).slice(2, 6));
    // Muxes: arms of different shapes, nested.
    m.output('mux_mix', mux(b, s5, u3));
    m.output('mux_nest', mux(u8.bit(7), mux(b, u8, s12.trunc(9)), s5.neg()).trunc(9));
    m.output('const_only', m.constant(-7, SInt(6)).mul(3));
  });
}

/** A RAM of 6 signed words (not a power of two) with init contents, two read ports and two write ports. */
export function memoryBank(): ModuleDef {
  return defineModule({ name: 'ram6', generator: 'ram', params: { depth: 6, width: 12 } }, (m) => {
    const waddr = m.input('waddr', UInt(3));
    const wdata = m.input('wdata', SInt(12));
    const we = m.input('we', Bool);
    const raddr = m.input('raddr', UInt(3));
    const ren = m.input('ren', Bool);
    const mem = m.memory('words', { shape: SInt(12), depth: 6, init: [5, -1, 0, 100] });
    const r0 = mem.read('rd0', raddr);
    const r1 = mem.read('rd1', waddr, { enable: ren });
    mem.write(waddr, wdata, we);
    // A second write port to the next address: when both hit one word, this later port wins.
    mem.write(waddr.add(1).trunc(3), wdata.neg().trunc(12), we.and(raddr.bit(0)));
    m.output('q0', r0);
    m.output('q1', r1);
    // A ROM at a power-of-two depth whose init covers every word.
    const rom = m.memory('lut', { shape: UInt(4), depth: 4, init: [3, 0, 9, 15] });
    m.output('t', rom.read('t_q', raddr.slice(0, 2)));
  });
}

/** A child without clock (instantiated twice) and a clocked child, under one top. */
export function hierarchy(): ModuleDef {
  const scale = defineModule({ name: 'scale', generator: 'scale', params: { shift: 1 } }, (m) => {
    const x = m.input('x', SInt(8));
    m.output('y', x.add(x.shl(1)));
    m.output('neg', x.lt(0));
  });
  const delay = defineModule({ name: 'delay', generator: 'delay', params: { stages: 1 } }, (m) => {
    const d = m.input('d', SInt(10));
    const q = m.reg('q_reg', SInt(10), { reset: 0 });
    q.set(d);
    m.output('q', q);
  });
  return defineModule({ name: 'top', generator: 'hierarchy', params: {} }, (m) => {
    const a = m.input('a', SInt(8));
    const b = m.input('b', SInt(8));
    const sa = m.instance('scale_a', scale, { x: a });
    const sb = m.instance('scale_b', scale, { x: b.neg().trunc(8) });
    const sum = sa.out('y').add(sb.out('y')).trunc(10);
    const dl = m.instance('dly', delay, { d: sum });
    m.output('out', dl.out('q'));
    m.output('a_neg', sa.out('neg'));
    // scale_b.neg is not read: its wire is the DSL-made kind that the emitter waives.
  });
}

/** Registers without reset: a two-stage delay line with power-on values. */
export function noResetRegs(): ModuleDef {
  return defineModule({ name: 'pipe', generator: 'pipe', params: { stages: 2, label: 'a "quoted" name' } }, (m) => {
    const d = m.input('d', UInt(6));
    const stage1 = m.reg('stage1', UInt(6), { reset: null, init: 42 });
    const stage2 = m.reg('stage2', SInt(7), { reset: null, init: -1 });
    stage1.set(d);
    stage2.set(stage1.zext(7).asSigned());
    m.output('q', stage2);
  });
}

/**
 * Corner cases: a one-word memory, one-bit words, a 128-bit register with a wide power-on value,
 * SInt(1) ports, constant drivers, an instance input tied to a constant, a child with no clock and
 * a register whose enable comes from a when() block.
 */
export function edgeCases(): ModuleDef {
  const tiny = defineModule({ name: 'tiny', generator: 'tiny', params: { flag: true, note: null } }, (m) => {
    const s = m.input('s', SInt(1));
    const k = m.input('k', UInt(4));
    m.output('y', s.add(k).sub(k.mul(s)));
  });
  return defineModule({ name: 'edges', generator: 'edges', params: {} }, (m) => {
    const bit = m.input('sbit', SInt(1));
    const addr = m.input('addr', UInt(1));
    const wide = m.input('wide', UInt(128));
    const go = m.input('go', Bool);
    const one = m.memory('one', { shape: UInt(8), depth: 1, init: [200] });
    m.output('one_q', one.read('one_rd', addr));
    one.write(addr, wide.slice(120, 8), go);
    const flags = m.memory('flags', { shape: Bool, depth: 3 });
    m.output('flag_q', flags.read('flag_rd', wide.slice(0, 2), { enable: go }));
    flags.write(wide.slice(2, 2), bit.asUnsigned(), go.not());
    const big = m.reg('big', UInt(128), { reset: 1n << 127n, init: (1n << 128n) - 3n });
    m.when(go, () => big.set(big.xor(wide).shr(1)));
    m.output('big_q', big);
    m.output('const_out', m.constant(-1, SInt(5)));
    const t = m.instance('t0', tiny, { s: bit, k: 9 });
    m.output('tiny_y', t.out('y'));
  });
}

export interface Example {
  readonly name: string;
  readonly def: () => ModuleDef;
}

export const EXAMPLES: readonly Example[] = [
  { name: 'counter with enable', def: counterWithEnable },
  { name: 'signed MAC', def: signedMac },
  { name: 'every operator', def: allOperators },
  { name: 'memories', def: memoryBank },
  { name: 'hierarchy', def: hierarchy },
  { name: 'registers without reset', def: noResetRegs },
  { name: 'corner cases', def: edgeCases },
];

export function buildExample(ex: Example): Design {
  return build(ex.def());
}
