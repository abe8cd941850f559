// The VCD writer (sim/vcd.ts): the exact text for a small counter, scopes and signal selection by
// glob, and a round trip through an independent parser (vcd-stream, via sim/verilator/vcd.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { counter } from '../../gen/counter.js';
import { systolicArray } from '../../gen/array.js';
import { build, defineModule, SInt, UInt } from '../../hdl/dsl/index.js';
import { compile } from '../../sim/compile/index.js';
import { sampleVcd } from '../../sim/verilator/vcd.js';
import { globToRegExp, matchNames, traceVcd, VcdWriter } from '../../sim/vcd.js';
import { tempDir } from '../support/tools.js';

describe('VCD writer', () => {
  it('writes a well-formed header and only the values that change, once per cycle', () => {
    const sim = compile(build(counter({ width: 4 })));
    const vcd = traceVcd(sim, { date: 'today' });
    sim.reset(); // cycle 0: rst high
    sim.poke('en', 1);
    sim.step(2); // cycles 1 and 2
    sim.poke('en', 0);
    const text = vcd.close(); // cycle 3, then the end time
    expect(text).toBe(
      [
        '$date',
        '  today',
        '$end',
        '$version',
        '  splitfuse compiled simulator',
        '$end',
        '$timescale 1ns $end',
        '$scope module counter_w4 $end',
        '$var wire 1 ! clk $end',
        '$var wire 1 " rst $end',
        '$var wire 1 # en $end',
        '$var wire 4 $ count $end',
        '$var wire 4 % count_q $end',
        '$upscope $end',
        '$enddefinitions $end',
        '#0',
        '$dumpvars',
        '1!',
        '1"',
        '0#',
        'b0 $',
        'b0 %',
        '$end',
        '#5',
        '0!',
        '#10',
        '1!',
        '0"',
        '1#',
        '#15',
        '0!',
        '#20',
        '1!',
        'b1 $',
        'b1 %',
        '#25',
        '0!',
        '#30',
        '1!',
        '0#',
        'b10 $',
        'b10 %',
        '#35',
        '0!',
        '#40',
        '',
      ].join('\n'),
    );
    sim.step(); // after close(): nothing more is written
    expect(vcd.text()).toBe(text);
  });

  it('nests one scope per instance and selects signals by glob', () => {
    const leaf = defineModule({ name: 'leaf' }, (m) => {
      const acc = m.reg('acc', SInt(70), { reset: 0 });
      acc.set(acc.sub(m.input('d', UInt(8))).trunc(70));
      m.output('q', acc);
    });
    const top = defineModule({ name: 'top' }, (m) => {
      const x = m.input('x', UInt(8));
      const u0 = m.instance('u0', leaf, { d: x });
      const u1 = m.instance('u1', leaf, { d: 1 });
      m.output('total', u0.out('q').add(u1.out('q')));
    });
    const sim = compile(build(top));
    const chunks: string[] = [];
    const vcd = new VcdWriter(sim, { signals: ['u*.acc', 'total'], sink: (c) => chunks.push(c), date: 'd', period: 2 }).attach();
    sim.poke('x', 2);
    sim.step(2);
    vcd.close();
    const text = chunks.join('');
    expect(vcd.text()).toBe(''); // a sink takes the text
    expect(text).toContain(
      ['$scope module top $end', '$var wire 71 ! total $end', '$scope module u0 $end', '$var wire 70 " acc $end', '$upscope $end', '$scope module u1 $end', '$var wire 70 # acc $end', '$upscope $end', '$upscope $end'].join('\n'),
    );
    expect(text).not.toContain('clk');
    // Cycle 2: u0.acc = -4, u1.acc = -2, total = -6 (71 bits), as two's complement bit patterns.
    expect(text).toContain(`#4\nb${BigInt.asUintN(71, -6n).toString(2)} !\nb${BigInt.asUintN(70, -4n).toString(2)} "\nb${BigInt.asUintN(70, -2n).toString(2)} #\n`);
    expect(() => new VcdWriter(sim, { signals: ['nothing*'] })).toThrow(/must match some signal/);
  });

  it('globs: * stays within one level, ** crosses levels, ? is one character', () => {
    const names = ['acc', 'u0.acc', 'u0.sub.acc', 'u1.q', 'array.pe_0_1.psum_q', 'array.pe_10_1.psum_q'];
    expect(matchNames(names, ['*'])).toEqual(['acc']);
    expect(matchNames(names, ['u?.*'])).toEqual(['u0.acc', 'u1.q']);
    expect(matchNames(names, ['**acc'])).toEqual(['acc', 'u0.acc', 'u0.sub.acc']);
    expect(matchNames(names, ['array.pe_*_1.psum_q'])).toEqual(['array.pe_0_1.psum_q', 'array.pe_10_1.psum_q']);
    expect(globToRegExp('a.b(c)+').test('a.b(c)+')).toBe(true);
  });

  it('reads back through vcd-stream with the values peeked in every cycle', async () => {
    const design = build(systolicArray({ rows: 2, cols: 3, width: 8 }));
    const sim = compile(design);
    const vcd = traceVcd(sim, { period: 2 });
    const names = sim.signalNames().filter((n) => n !== 'clk');
    const peeked: bigint[][] = names.map(() => []);
    const cycles = 30;
    for (let t = 0; t < cycles; t++) {
      sim.poke('rst', t === 0 ? 1 : 0);
      sim.poke('loadWeight', t < 3 ? 1 : 0);
      for (let j = 0; j < 3; j++) sim.poke(`weight_${j}`, ((t * 7 + j * 13) % 256) - 128);
      for (let i = 0; i < 2; i++) sim.poke(`act_${i}`, ((t * 31 + i * 5) % 256) - 128);
      names.forEach((n, k) => peeked[k]!.push(BigInt.asUintN(sim.shapeOf(n).width, sim.peek(n))));
      sim.step();
    }
    const file = path.join(tempDir('splitfuse-vcd-'), 'array.vcd');
    writeFileSync(file, vcd.close());
    const requests = names.map((n) => ({ path: [design.top, ...n.split('.')], width: sim.shapeOf(n).width }));
    const { values } = await sampleVcd(file, requests, cycles);
    names.forEach((n, k) => expect(values[k], n).toEqual(peeked[k]));
  });
});
