// The MAC and counter generators: ports, shapes, names, header parameters, and their Verilog at the
// parameter extremes passing Verilator's -Wall lint and Icarus; the MAC's cycle behaviour (INT4/8/16,
// with and without the pipeline register) against macReference in the compiled simulator and Verilator.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counter } from '../../gen/counter.js';
import { defaultAccWidth, mac, macLatency, macReference, type MacInputs, type MacOptions } from '../../gen/mac.js';
import { build, elaborate } from '../../hdl/dsl/index.js';
import { clockingOf } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { compile } from '../../sim/compile/index.js';
import type { Stimulus } from '../../sim/verilator/index.js';
import { compileIcarus, lintVerilator, tempDir } from '../support/tools.js';
import { COSIM_TIMEOUT, expectCosimAgrees, expectLintClean, seededInts } from './blocks-support.js';

const portsOf = (def: ReturnType<typeof mac>) =>
  Object.fromEntries(def.module.ports.map((p) => [p.name, `${p.dir} ${p.shape.signed ? 's' : 'u'}${p.shape.width}`]));

describe('mac generator', () => {
  it.each([
    { width: 4 as const, signed: true, accWidth: 16, pipeline: false, name: 'mac_s4_acc16' },
    { width: 8 as const, signed: true, accWidth: 32, pipeline: false, name: 'mac_s8_acc32' },
    { width: 8 as const, signed: true, accWidth: 32, pipeline: true, name: 'mac_s8_acc32_p' },
    { width: 8 as const, signed: false, accWidth: 17, pipeline: false, name: 'mac_u8_acc17' },
    { width: 16 as const, signed: true, accWidth: 48, pipeline: false, name: 'mac_s16_acc48' },
    { width: 16 as const, signed: false, accWidth: 128, pipeline: false, name: 'mac_u16_acc128' },
  ])('$name', ({ name, ...options }) => {
    const def = mac(options);
    const s = options.signed ? 's' : 'u';
    expect(def.module.name).toBe(name);
    expect(def.module.generator).toBe('mac');
    expect(def.module.params).toEqual(options);
    expect(portsOf(def)).toEqual({
      a: `in ${s}${options.width}`,
      b: `in ${s}${options.width}`,
      clear: 'in u1',
      en: 'in u1',
      acc: `out ${s}${options.accWidth}`,
    });
    const { design, diagnostics } = elaborate(def);
    expect(diagnostics).toEqual([]);
    expect(clockingOf(design).get(name)).toEqual({ clk: true, rst: true });
  });

  it('a pipelined MAC has the product, clear and en registers', () => {
    const regs = mac({ width: 8, signed: true, accWidth: 32, pipeline: true }).module.regs.map((r) => r.name);
    expect(regs.sort()).toEqual(['acc_q', 'clear_q', 'en_q', 'product_q']);
    expect(macLatency(true)).toBe(2);
    expect(macLatency(false)).toBe(1);
  });

  it('defaults the accumulator to 16 bits for INT4, 32 for INT8 and 48 for INT16', () => {
    expect(defaultAccWidth(4)).toBe(16);
    expect(defaultAccWidth(8)).toBe(32);
    expect(defaultAccWidth(16)).toBe(48);
  });
});

describe('counter generator', () => {
  it.each([1, 8, 128])('width %i', (width) => {
    const def = counter({ width });
    expect(def.module.name).toBe(`counter_w${width}`);
    expect(def.module.params).toEqual({ width });
    expect(portsOf(def)).toEqual({ en: 'in u1', count: `out u${width}` });
    expect(elaborate(def).diagnostics).toEqual([]);
  });
});

describe('generated Verilog of the extremes', () => {
  it.each([
    ['mac_s8_acc17', () => mac({ width: 8, signed: true, accWidth: 17 })],
    ['mac_u16_acc128', () => mac({ width: 16, signed: false, accWidth: 128 })],
    ['mac_s16_acc128', () => mac({ width: 16, signed: true, accWidth: 128 })],
    ['mac_s4_acc9_p', () => mac({ width: 4, signed: true, accWidth: 9, pipeline: true })],
    ['mac_u4_acc16', () => mac({ width: 4, signed: false, accWidth: 16 })],
    ['mac_s16_acc128_p', () => mac({ width: 16, signed: true, accWidth: 128, pipeline: true })],
    ['counter_w1', () => counter({ width: 1 })],
    ['counter_w128', () => counter({ width: 128 })],
  ])('%s lints clean and compiles', (top, make) => {
    const dir = tempDir();
    const files = writeVerilog(build(make()), dir);
    const lint = lintVerilator(files, top);
    expect(lint.output).toBe('');
    expect(lint.ok).toBe(true);
    const icarus = compileIcarus(files, top, `${dir}/${top}.vvp`);
    expect(icarus.output).toBe('');
    expect(icarus.ok).toBe(true);
  });
});

/** Random MAC inputs biased to the operand extremes, with clear and en at random. */
function macInputs(options: MacOptions, cycles: number, seed: number): MacInputs[] {
  const next = seededInts(seed);
  const lo = options.signed ? -(1n << BigInt(options.width - 1)) : 0n;
  const hi = options.signed ? (1n << BigInt(options.width - 1)) - 1n : (1n << BigInt(options.width)) - 1n;
  const operand = (): bigint => [lo, hi, next(lo, hi)][Number(next(0n, 2n))]!;
  return Array.from({ length: cycles }, () => ({ a: operand(), b: operand(), clear: next(0n, 15n) === 0n, en: next(0n, 3n) !== 0n }));
}

const macConfig = fc.record({
  width: fc.constantFrom(4 as const, 8 as const, 16 as const),
  signed: fc.boolean(),
  extraAcc: fc.integer({ min: 1, max: 40 }),
  pipeline: fc.boolean(),
});

describe('mac behaviour', () => {
  it('matches macReference in the compiled simulator over widths, signedness, accumulators and pipelining', () => {
    fc.assert(
      fc.property(macConfig, fc.integer({ min: 1, max: 1 << 30 }), ({ width, signed, extraAcc, pipeline }, seed) => {
        const options: MacOptions = { width, signed, accWidth: 2 * width + extraAcc, pipeline };
        const sim = compile(build(mac(options)));
        sim.reset();
        const inputs = macInputs(options, 60, seed);
        const expected = macReference(inputs, options);
        const got = [sim.peek('acc')];
        for (const x of inputs) {
          sim.poke('a', x.a);
          sim.poke('b', x.b);
          sim.poke('clear', x.clear ? 1 : 0);
          sim.poke('en', x.en ? 1 : 0);
          sim.step();
          got.push(sim.peek('acc'));
        }
        expect(got).toEqual(expected);
      }),
      { seed: 0x4d4143, numRuns: 40 },
    );
  });

  it('the accumulator wraps: 4-bit signed operands into a 9-bit accumulator', () => {
    const options: MacOptions = { width: 4, signed: true, accWidth: 9, pipeline: false };
    const inputs = Array.from({ length: 5 }, () => ({ a: -8n, b: -8n, clear: false, en: true }));
    // 64, 128, 192 → -64 (mod 512, signed), ...
    expect(macReference(inputs, options)).toEqual([0n, 64n, 128n, 192n, -256n, -192n]);
  });

  it('agrees with Verilator cycle for cycle at several parameter points', { timeout: COSIM_TIMEOUT }, async () => {
    const points: MacOptions[] = [
      { width: 4, signed: true, accWidth: 16, pipeline: false },
      { width: 4, signed: false, accWidth: 9, pipeline: true },
      { width: 8, signed: true, accWidth: 32, pipeline: true },
      { width: 16, signed: true, accWidth: 48, pipeline: true },
      { width: 16, signed: false, accWidth: 128, pipeline: true },
    ];
    await expectCosimAgrees(
      points.map((options, i) => {
        const stimulus: Stimulus = macInputs(options, 200, 100 + i).map((x, t) => ({
          rst: t === 0 || t === 120 ? 1 : 0,
          a: x.a,
          b: x.b,
          clear: x.clear ? 1 : 0,
          en: x.en ? 1 : 0,
        }));
        return { design: build(mac(options)), stimulus };
      }),
    );
  });

  it.each([
    { width: 4 as const, signed: true, accWidth: 9, pipeline: true },
    { width: 4 as const, signed: false, accWidth: 128, pipeline: false },
  ])('lints clean: %o', (options) => expectLintClean(mac(options)));
});
