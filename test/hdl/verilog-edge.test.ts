// Emitter edge cases found by random co-simulation, each reduced to a minimal DSL design:
// (a) a dynamic shift by an amount wider than 32 bits that Verilator folds to a constant (a wire
//     driven by a constant) was rejected ("Value too wide for 32-bits expected in this context");
//     such amounts are now clamped in the text, exactly as the IR defines shifts by >= the width;
// (b) a constant memory address past the last word of a non-power-of-two memory, behind its
//     constant-false guard, drew SELRANGE from `verilator -Wall`.
// Every design is linted with -Wall and co-simulated with --trace (every register compared).
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bool, build, defineModule, SInt, UInt } from '../../hdl/dsl/index.js';
import type { Design } from '../../hdl/ir/index.js';
import { emitVerilog, writeVerilog } from '../../hdl/verilog.js';
import { cosimBatch, cosimPassed, describeMismatch, type CosimCase } from '../../sim/verilator/cosim.js';
import { defaultToolchain } from '../../sim/verilator/locate.js';
import { randomInputs, type Stimulus } from '../../sim/verilator/stimulus.js';
import { lintVerilator, tempDir } from '../support/tools.js';

const BUILD_TIMEOUT = 300_000;

beforeAll(async () => {
  await defaultToolchain();
}, BUILD_TIMEOUT);

/** Shifts of 16-, 70- and 1-bit values by 40- and 100-bit amounts, and by wide constants behind wires. */
function wideShift(): Design {
  return build(
    defineModule({ name: 'wide_shift' }, (m) => {
      const a = m.input('a', UInt(16));
      const s = m.input('s', SInt(70));
      const s1 = m.input('s1', SInt(1));
      const amt = m.input('amt', UInt(40));
      const amtWide = m.input('amt_wide', UInt(100));
      m.output('shl_a', a.shl(amt));
      m.output('shr_a', a.shr(amtWide));
      m.output('sra_s', s.sra(amt));
      m.output('sra_s1', s1.sra(amtWide));
      // Verilator folds these wires into the shifts: the amounts reach it as 41-bit constants.
      const farConst = m.wire('far_amount', m.constant(2n ** 40n + 3n, UInt(41)));
      const nearConst = m.wire('near_amount', m.constant(3, UInt(41)));
      m.output('shl_far', a.shl(farConst));
      m.output('shr_near', a.shr(nearConst));
      const shiftedReg = m.reg('shifted_q', SInt(70), { reset: 0 });
      shiftedReg.set(s.sra(amtWide));
      m.output('shifted', shiftedReg);
    }),
  );
}

/** Amounts around every limit (16, 69, 0), at 2^5 and 2^7 (the clamp's split), at 2^32 and beyond. */
function shiftStimulus(design: Design): Stimulus {
  const amounts = [0n, 1n, 3n, 15n, 16n, 17n, 31n, 32n, 68n, 69n, 70n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 2n, 2n ** 39n + 1n, 2n ** 40n - 1n];
  const random = randomInputs(design, amounts.length * amounts.length, 11);
  const rows: Record<string, bigint>[] = [];
  amounts.forEach((x, i) =>
    amounts.forEach((y, j) => {
      const k = i * amounts.length + j;
      const wide = j % 3 === 0 ? y : j % 3 === 1 ? y | (1n << 99n) : y | (1n << 64n);
      rows.push({ ...random[k]!, rst: k === 0 ? 1n : 0n, amt: x, amt_wide: wide });
    }),
  );
  return rows;
}

/** Depth-3 and depth-5 memories with constant addresses past the last word (writes and reads). */
function memoryGuards(): Design {
  return build(
    defineModule({ name: 'mem_guard' }, (m) => {
      const addr = m.input('addr', UInt(2));
      const d = m.input('d', UInt(8));
      const mem = m.memory('mem', { shape: UInt(8), depth: 3, init: [5, 6, 7] });
      mem.write(addr, d, m.constant(1, Bool));
      mem.write(m.constant(3, UInt(2)), d.add(1).trunc(8), d.bit(0));
      m.output('word', mem.read('word_q', addr));
      m.output('past_end', mem.read('past_end_q', m.constant(3, UInt(2))));
      // The only read port of this memory has a constant address past the end.
      const wideMem = m.memory('wide_mem', { shape: UInt(8), depth: 5 });
      wideMem.write(addr.zext(3), d, d.bit(1));
      m.output('never', wideMem.read('never_q', m.constant(7, UInt(3)), { enable: d.bit(2) }));
    }),
  );
}

describe('Verilog emitter edge cases', () => {
  it('clamps shift amounts wider than 32 bits in the text; a constant address past the end indexes the last word', () => {
    const shift = emitVerilog(wideShift())[0]!.text;
    expect(shift).toContain("a << ((|amt[39:5]) ? 5'd16 : amt[4:0])");
    expect(shift).toContain("a >> ((|amt_wide[99:5]) ? 5'd16 : amt_wide[4:0])");
    expect(shift).toContain("s >>> ((|amt[39:7]) ? 7'd69 : amt[6:0])");
    expect(shift).toContain("s1 >>> ((|amt_wide[99:1]) ? 1'b0 : amt_wide[0])");
    expect(shift).toContain("a << ((|far_amount[40:5]) ? 5'd16 : far_amount[4:0])");
    const mem = emitVerilog(memoryGuards())[0]!.text;
    expect(mem).toContain("if (d[0] && (2'd3 <= 2'd2)) mem[2'd2] <= _t1; // address 3 >= depth 3: never written");
    expect(mem).toContain("past_end_q <= (2'd3 <= 2'd2) ? mem[2'd2] : 8'd0; // address 3 >= depth 3: reads 0");
    expect(mem).toContain("never_q <= (3'd7 <= 3'd4) ? wide_mem[3'd4] : 8'd0; // address 7 >= depth 5: reads 0");
    expect(mem).not.toMatch(/mem\[2'd3\]|wide_mem\[3'd7\]/);
  });

  it('is lint-clean under verilator --lint-only -Wall', () => {
    for (const design of [wideShift(), memoryGuards()]) {
      const dir = tempDir('splitfuse-edge-');
      const files = writeVerilog(design, dir);
      const lint = lintVerilator(files, design.top);
      expect(lint.output, path.basename(files[0]!)).toBe('');
      expect(lint.ok).toBe(true);
    }
  });

  it(
    'agrees with Verilator (--trace, every register compared) on amounts around every limit and on random stimulus',
    async () => {
      const shift = wideShift();
      const mem = memoryGuards();
      const cases: CosimCase[] = [
        { design: shift, stimulus: shiftStimulus(shift) },
        { design: shift, cycles: 300, seed: 5 },
        { design: mem, cycles: 400, seed: 2 },
      ];
      const results = await cosimBatch(cases, { compareRegisters: true });
      for (const r of results) {
        expect(r.error, describeMismatch(r)).toBeUndefined();
        expect(cosimPassed(r), describeMismatch(r)).toBe(true);
        expect(r.registersCompared).toBeGreaterThan(0);
      }
      expect(results[0]!.cycles).toBe(18 * 18);
      expect(results[2]!.registersCompared).toBe(3);
    },
    BUILD_TIMEOUT,
  );
});
