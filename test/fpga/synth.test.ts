// FPGA synthesis with the real Yosys (the system one when on PATH, else @yowasp/yosys in-process):
// the resource claims of issue 4 on xc7 (MAC → DSP48E1, 8×8 array → 64 DSPs, gen/sram.ts → block RAM),
// one mapping check per other target, the cell classification, and every diagnostic of fpga/.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyCell, countResources } from '../../fpga/cells.js';
import { parseStat, synthesize, synthScript } from '../../fpga/synth.js';
import { parseTarget, SYNTH_TARGETS } from '../../fpga/targets.js';
import { relevantLogLines, resolveEngine, runYosys, systemYosysVersion } from '../../fpga/yosys.js';
import { build } from '../../hdl/dsl/index.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { systolicArray } from '../../gen/array.js';
import { counter } from '../../gen/counter.js';
import { mac } from '../../gen/mac.js';
import { sram } from '../../gen/sram.js';

/** The Yosys engines of this machine: the WebAssembly one, and the system one when `yosys` is on PATH. */
const ENGINES: ('wasm' | 'system')[] = systemYosysVersion() === null ? ['wasm'] : ['wasm', 'system'];

/** Yosys in WebAssembly takes seconds per design on a loaded machine. */
const SYNTH_TIMEOUT = 90_000;

/** The codes of the DiagnosticError `promise` rejects with (fails when it resolves or throws something else). */
async function codesOf(promise: Promise<unknown> | (() => unknown)): Promise<string[]> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.map((d) => d.code);
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('synthesis on xc7 (Xilinx 7-series)', () => {
  it('maps an INT8 MAC onto one DSP48E1, with no LUT multiplier', async () => {
    const r = await synthesize(build(mac({ width: 8, signed: true, accWidth: 32 })), { target: 'xc7' });
    expect(r.target).toBe('xc7');
    expect(r.top).toBe('mac_s8_acc32');
    expect(r.yosys).toMatch(/^Yosys \d+\.\d+/);
    expect(r.cells.DSP48E1).toBe(1);
    expect(r.dsp).toBe(1);
    // An 8×8 multiplier in LUTs takes about 60 LUTs and CARRY4s; the DSP absorbs the product,
    // the 32-bit accumulator and its register, leaving at most the glue of clear/en.
    expect(r.lut).toBeLessThanOrEqual(8);
    expect(r.carry).toBe(0);
    // The cell table accounts for every resource count.
    expect(r.lut + r.ff + r.dsp + r.bram + r.lutram + r.carry + r.mux + r.io + r.other).toBe(
      Object.values(r.cells).reduce((a, b) => a + b, 0),
    );
  }, SYNTH_TIMEOUT);

  it("maps the 64 multipliers of an 8×8 INT8 weight-stationary array onto 64 DSP48E1s", async () => {
    const r = await synthesize(build(systolicArray({ rows: 8, cols: 8, width: 8 })), { target: 'xc7' });
    expect(r.top).toBe('array_ws_r8c8_i8_acc32');
    expect(r.dsp).toBe(64);
    expect(r.cells.DSP48E1).toBe(64);
    // No multiplier or adder left in fabric: far fewer LUTs than one LUT multiplier per PE.
    expect(r.lut).toBeLessThan(64);
    // Skew, de-skew and operand registers remain flip-flops (no hierarchy bookkeeping cells counted).
    expect(r.ff).toBeGreaterThan(0);
    expect(Object.keys(r.cells).some((t) => t.startsWith('$'))).toBe(false);
  }, SYNTH_TIMEOUT);

  // depth 1000 is not a power of two: the emitter's out-of-range guards must not block inference.
  it.each(['dual', 'single'] as const)('maps a 1000 × 16-bit %s-port SRAM buffer (gen/sram.ts) onto block RAM', async (ports) => {
    const r = await synthesize(build(sram({ depth: 1000, width: 16, ports })), { target: 'xc7' });
    expect(r.bram).toBeGreaterThanOrEqual(1);
    expect((r.cells.RAMB18E1 ?? 0) + (r.cells.RAMB36E1 ?? 0)).toBe(r.bram);
    // Not built from flip-flops or LUT-RAM: 16,000 bits would need thousands of those.
    expect(r.ff).toBeLessThan(64);
    expect(r.lutram).toBe(0);
  }, SYNTH_TIMEOUT);
});

describe('synthesis on the other targets', () => {
  it('ice40: the SRAM buffer maps onto SB_RAM40_4K blocks (256 × 16 bits each), from Verilog files on disk', async () => {
    const design = build(sram({ depth: 1024, width: 16, ports: 'dual' }));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-synth-'));
    const files = writeVerilog(design, dir);
    const r = await synthesize({ files, top: design.top }, { target: 'ice40' });
    expect(r.cells.SB_RAM40_4K).toBe(4);
    expect(r.bram).toBe(4);
    expect(r.cells.SB_LUT4).toBe(r.lut);
  }, SYNTH_TIMEOUT);

  it('ecp5: an INT8 MAC uses one MULT18X18D', async () => {
    const r = await synthesize(build(mac({ width: 8, signed: true, accWidth: 32 })), { target: 'ecp5' });
    expect(r.cells.MULT18X18D).toBe(1);
    expect(r.dsp).toBe(1);
    expect(r.ff).toBe(32); // the accumulator
  }, SYNTH_TIMEOUT);

  it('gowin: a 12-bit counter is 12 flip-flops and an ALU carry chain; results are deterministic', async () => {
    const design = build(counter({ width: 12 }));
    const first = await synthesize(design, { target: 'gowin' });
    expect(first.ff).toBe(12);
    expect(first.carry).toBeGreaterThan(0);
    expect(first.cells.ALU).toBe(first.carry);
    expect(first.dsp).toBe(0);
    expect(await synthesize(design, { target: 'gowin' })).toEqual(first);
  }, SYNTH_TIMEOUT);
});

describe('cell classification', () => {
  const cases: [string, string, string][] = [
    ['xc7', 'LUT6', 'lut'], ['xc7', 'LUT1', 'lut'], ['xc7', 'FDRE', 'ff'], ['xc7', 'FDCE', 'ff'],
    ['xc7', 'DSP48E1', 'dsp'], ['xc7', 'RAMB18E1', 'bram'], ['xc7', 'RAMB36E1', 'bram'],
    ['xc7', 'RAM64M', 'lutram'], ['xc7', 'SRLC32E', 'lutram'], ['xc7', 'CARRY4', 'carry'],
    ['xc7', 'MUXF7', 'mux'], ['xc7', 'MUXF8', 'mux'], ['xc7', 'IBUF', 'io'], ['xc7', 'BUFG', 'io'], ['xc7', 'VCC', 'other'],
    ['ice40', 'SB_LUT4', 'lut'], ['ice40', 'SB_DFFESR', 'ff'], ['ice40', 'SB_MAC16', 'dsp'],
    ['ice40', 'SB_RAM40_4K', 'bram'], ['ice40', 'SB_RAM40_4KNR', 'bram'], ['ice40', 'SB_CARRY', 'carry'],
    ['ecp5', 'LUT4', 'lut'], ['ecp5', 'TRELLIS_FF', 'ff'], ['ecp5', 'MULT18X18D', 'dsp'], ['ecp5', 'ALU54B', 'dsp'],
    ['ecp5', 'DP16KD', 'bram'], ['ecp5', 'TRELLIS_DPR16X4', 'lutram'], ['ecp5', 'CCU2C', 'carry'], ['ecp5', 'PFUMX', 'mux'],
    ['gowin', 'LUT4', 'lut'], ['gowin', 'DFFRE', 'ff'], ['gowin', 'MULT18X18', 'dsp'], ['gowin', 'DPB', 'bram'],
    ['gowin', 'SDPX9B', 'bram'], ['gowin', 'RAM16SDP4', 'lutram'], ['gowin', 'ALU', 'carry'], ['gowin', 'MUX2_LUT5', 'mux'],
    ['gowin', 'GND', 'other'],
    // A type of another family is not mistaken for a resource of this one.
    ['ice40', 'LUT4', 'other'], ['gowin', 'LUT6', 'other'], ['xc7', 'SB_LUT4', 'other'],
  ];
  it.each(cases)('%s %s is %s', (target, type, resource) => {
    expect(classifyCell(parseTarget(target), type)).toBe(resource);
  });

  it('counts resources from a cell table, every resource present', () => {
    const counts = countResources('xc7', { LUT2: 3, LUT6: 2, FDRE: 5, MUXF7: 1, DSP48E1: 2, GND: 1 });
    expect(counts).toEqual({ lut: 5, ff: 5, dsp: 2, bram: 0, lutram: 0, carry: 0, mux: 1, io: 0, other: 1 });
  });
});

describe('diagnostics of fpga/', () => {
  it('E121: an unknown target lists the valid ones and the closest', async () => {
    expect(await codesOf(() => parseTarget('ice41'))).toEqual(['E121']);
    const err = await synthesize(build(counter({ width: 4 })), { target: 'ice4' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    expect((err as Error).message).toContain(`must be one of ${SYNTH_TARGETS.join(', ')}, not 'ice4'`);
    expect((err as Error).message).toMatch(/closest name is 'ice40'/);
  });

  // Both engines, whichever is installed: the WebAssembly one always, the system one when on PATH
  // (their logs differ: Yosys 0.55 says "Parsing Verilog input from `broken.v'", 0.23 "Executing
  // Verilog-2005 frontend: broken.v"), so the suite passes with or without a native yosys (issue 14).
  it.each(ENGINES)('E120 (%s Yosys): a Verilog syntax error quotes the ERROR line of the log', async (engine) => {
    const files = [{ name: 'broken.v', text: 'module broken(input wire a, output wire y);\n  assign y = a +;\nendmodule\n' }];
    const err = await runYosys({ files, script: 'read_verilog broken.v', engine }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['E120']);
    expect(d[0]!.message).toMatch(/^Yosys run must exit with status 0, not \d+ \(broken\.v:2: ERROR: syntax error/);
    expect(d[0]!.hint).not.toMatch(/Distributed under/); // the banner is no context
    // The context before the ERROR line names the file being read.
    expect(d[0]!.hint).toMatch(/\| [^\n]*broken\.v[^\n]*\n {4}\| broken\.v:2: ERROR: /);
  });

  it.each(ENGINES)('E122 (%s Yosys): a top module that is not in the files', async (engine) => {
    const design = build(counter({ width: 4 }));
    expect(await codesOf(synthesize(design, { target: 'ice40', top: 'no_such_top', engine }))).toEqual(['E122']);
  });


  it('E123: two input files with one base name, and a file that does not exist', async () => {
    const twice = [{ name: 'a.v', text: 'module a; endmodule\n' }, { name: 'a.v', text: 'module b; endmodule\n' }];
    expect(await codesOf(runYosys({ files: twice, script: 'read_verilog a.v' }))).toEqual(['E123']);
    expect(await codesOf(runYosys({ files: ['/nonexistent/dir/x.v'], script: 'read_verilog x.v' }))).toEqual(['E123']);
  });

  it('E124: statistics that are missing, malformed or without the top module', async () => {
    expect(await codesOf(() => parseStat(undefined, 'top'))).toEqual(['E124']);
    expect(await codesOf(() => parseStat('{"modules": ', 'top'))).toEqual(['E124']);
    expect(await codesOf(() => parseStat('{"modules": {"\\\\other": {"num_cells_by_type": {}}}}', 'top'))).toEqual(['E124']);
    expect(await codesOf(() => parseStat('{"modules": {"\\\\top": {"num_cells_by_type": {"LUT4": -1}}}}', 'top'))).toEqual(['E124']);
    expect(parseStat('{"modules": {"\\\\top": {"num_cells_by_type": {"LUT4": 2, "$scopeinfo": 3, "DFF": 0}}}}', 'top')).toEqual({ LUT4: 2 });
  });

  it("E103: engine 'system' needs a yosys on PATH; 'auto' falls back to the WebAssembly build", async () => {
    if (systemYosysVersion() === null) {
      expect(await codesOf(() => resolveEngine('system'))).toEqual(['E103']);
      expect(resolveEngine('auto')).toBe('wasm');
    } else {
      expect(resolveEngine('system')).toBe('system');
      expect(resolveEngine('auto')).toBe('system');
    }
    expect(resolveEngine('wasm')).toBe('wasm');
  });

  it('relevantLogLines keeps the context before the first ERROR and the lines after it', () => {
    const log = ['a', 'b', 'c', 'd', 'x.v:3: ERROR: boom', 'e', 'f', 'g', 'h', 'ERROR: later'].join('\n');
    expect(relevantLogLines(log, 2)).toEqual(['c', 'd', 'x.v:3: ERROR: boom', 'e', 'f']);
    expect(relevantLogLines('x\ny\nz', 2)).toEqual(['y', 'z']);
  });

  it('synthScript reads the files in order (without memory zero-fill loops), synthesizes the top and writes its statistics', () => {
    const script = synthScript('xc7', ['a.v', 'top.v'], 'top').split('\n');
    expect(script).toEqual([
      'read_verilog -DSPLITFUSE_NO_ZERO_FILL a.v',
      'read_verilog -DSPLITFUSE_NO_ZERO_FILL top.v',
      'synth_xilinx -family xc7 -top top -flatten -noiopad -noclkbuf',
      'tee -q -o splitfuse_stat.json stat -json -top top',
    ]);
  });
});
