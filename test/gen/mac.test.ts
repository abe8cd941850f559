// Structure of the MAC and counter generators: ports, shapes, names, header parameters, and their
// Verilog at the parameter extremes passing Verilator's -Wall lint and Icarus.
// (Their cycle behaviour is checked in simulation and against Verilator in the sim tests.)
import { describe, expect, it } from 'vitest';
import { counter } from '../../gen/counter.js';
import { defaultAccWidth, mac } from '../../gen/mac.js';
import { build, elaborate } from '../../hdl/dsl/index.js';
import { clockingOf } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { compileIcarus, lintVerilator, tempDir } from '../support/tools.js';

const portsOf = (def: ReturnType<typeof mac>) =>
  Object.fromEntries(def.module.ports.map((p) => [p.name, `${p.dir} ${p.shape.signed ? 's' : 'u'}${p.shape.width}`]));

describe('mac generator', () => {
  it.each([
    { width: 8 as const, signed: true, accWidth: 32, name: 'mac_s8_acc32' },
    { width: 8 as const, signed: false, accWidth: 17, name: 'mac_u8_acc17' },
    { width: 16 as const, signed: true, accWidth: 48, name: 'mac_s16_acc48' },
    { width: 16 as const, signed: false, accWidth: 128, name: 'mac_u16_acc128' },
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

  it('defaults the accumulator to 32 bits for INT8 and 48 for INT16', () => {
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
