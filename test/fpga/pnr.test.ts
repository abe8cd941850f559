// Place and route for iCE40 with the real tools (Yosys, then nextpnr-ice40 and icepack from
// @yowasp/nextpnr-ice40 in-process): one small block on an UltraPlus part in CI, the I/O harness,
// nextpnr's report, and the diagnostics of fpga/pnr.ts.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessBits, harnessVerilog, netlistPorts } from '../../fpga/harness.js';
import { runNextpnr } from '../../fpga/nextpnr.js';
import { parseReport, placeAndRoute, pnrPart } from '../../fpga/pnr.js';
import { parsePart } from '../../fpga/parts.js';
import { build } from '../../hdl/dsl/index.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { systolicArray } from '../../gen/array.js';
import { mac } from '../../gen/mac.js';

/** Synthesis, the harness, nextpnr and icepack of a MAC take about 25 s in WebAssembly on this machine. */
const PNR_TIMEOUT = 180_000;

async function codesOf(promise: Promise<unknown> | (() => unknown)): Promise<string[]> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics.map((d) => d.code);
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('place and route on iCE40', () => {
  it('places and routes an INT8 MAC on an iCE40 UP5K: positive Fmax, the SB_MAC16 placed, a bitstream file', async () => {
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-pnr-'));
    const r = await placeAndRoute(build(mac({ width: 8, signed: true, accWidth: 32 })), { part: 'up5k', outDir });
    expect(r.part).toBe('iCE40UP5K');
    expect(r.package).toBe('sg48');
    // The block alone, as synthesized for the part, fits.
    expect(r.synth.dsp).toBe(1);
    expect(r.synth.fit?.fits).toBe(true);
    // Timing: one clock (the harness clock pin), a positive Fmax below what any iCE40 can clock.
    expect(Object.keys(r.clocks)).toHaveLength(1);
    expect(r.fmaxMhz).toBeGreaterThan(0);
    expect(r.fmaxMhz).toBeLessThan(500);
    expect(Object.values(r.clocks)[0]!.achievedMhz).toBe(r.fmaxMhz);
    // nextpnr's device database agrees with the part table, and it placed the MAC's multiplier.
    const part = parsePart('up5k');
    expect(r.placed.ICESTORM_LC!.available).toBe(part.lut);
    expect(r.placed.ICESTORM_RAM!.available).toBe(part.bram);
    expect(r.placed.ICESTORM_DSP).toEqual({ used: 1, available: part.dsp });
    expect(r.placed.ICESTORM_SPRAM!.available).toBe(part.spram);
    // Four pins whatever the block's ports: clk, scan_in, scan_load, scan_out.
    expect(r.placed.SB_IO!.used).toBe(4);
    // a, b (8 each), clear, en, rst in; acc (32) out.
    expect(r.harness).toEqual({ inputBits: 19, outputBits: 32 });
    // Logic cells hold at least the block's and the harness's flip-flops.
    expect(r.placed.ICESTORM_LC!.used).toBeGreaterThanOrEqual(r.synth.ff + 19 + 32);
    // The bitstream: written, the size icepack reports, an iCE40 bitstream (preamble 0x7EAA997E).
    const bin = readFileSync(r.files!.bitstream);
    expect(bin.length).toBe(r.bitstreamBytes);
    expect(bin.length).toBeGreaterThan(1000);
    expect(bin.includes(Buffer.from([0x7e, 0xaa, 0x99, 0x7e]))).toBe(true);
    for (const f of Object.values(r.files!)) expect(statSync(f).size).toBeGreaterThan(0);
    expect(readFileSync(r.files!.log, 'utf8')).toMatch(/Max frequency for clock/);
  }, PNR_TIMEOUT);

  it('E201 before nextpnr runs: an 8×8 array needs 64 SB_MAC16, a UP5K has 8', async () => {
    const err = await placeAndRoute(build(systolicArray({ rows: 8, cols: 8, width: 8 })), { part: 'up5k' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['E201']);
    expect(d[0]!.message).toMatch(/^Design 'array_ws_r8c8_i8_acc32' must fit part iCE40UP5K \(ice40\), not need DSP 64 of 8 \(800%\)/);
  }, PNR_TIMEOUT);

  it('E128 unknown part, E202 a part nextpnr-ice40 cannot place, E204 bad seed or frequency (checked before synthesis)', async () => {
    const design = build(mac({ width: 8, signed: true, accWidth: 32 }));
    expect(await codesOf(placeAndRoute(design, { part: 'up7k' }))).toEqual(['E128']);
    expect(await codesOf(() => pnrPart('xc7a35t'))).toEqual(['E202']);
    expect(await codesOf(placeAndRoute(design, { part: 'LFE5U-25F' }))).toEqual(['E202']);
    expect(await codesOf(placeAndRoute(design, { part: 'up5k', seed: 0 }))).toEqual(['E204']);
    expect(await codesOf(placeAndRoute(design, { part: 'up5k', freqMhz: -5 }))).toEqual(['E204']);
  });

  it('E200: nextpnr failing quotes its ERROR line', async () => {
    const err = await runNextpnr(['--up5k', '--package', 'sg48', '--json', 'x.json'], { 'x.json': '{"modules": ' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics[0]!;
    expect(d.code).toBe('E200');
    expect(d.message).toMatch(/^nextpnr-ice40 run must exit with status 0, not .*ERROR: /);
  }, PNR_TIMEOUT);

  it('E203: a report without clocks or with bad numbers', async () => {
    expect(await codesOf(() => parseReport(undefined))).toEqual(['E203']);
    expect(await codesOf(() => parseReport('{"fmax": {}}'))).toEqual(['E203']);
    expect(await codesOf(() => parseReport('{"fmax": {"clk": {"achieved": "fast", "constraint": 12}}}'))).toEqual(['E203']);
    const r = parseReport('{"fmax": {"a": {"achieved": 80, "constraint": 12}, "b": {"achieved": 50.5, "constraint": 12}}, "utilization": {"ICESTORM_LC": {"used": 3, "available": 5280}}}');
    expect(r.fmaxMhz).toBe(50.5);
    expect(r.placed).toEqual({ ICESTORM_LC: { used: 3, available: 5280 } });
  });
});

describe('I/O harness', () => {
  const netlist = JSON.stringify({
    modules: {
      blk: { ports: { clk: { direction: 'input', bits: [2] }, a: { direction: 'input', bits: [3, 4, 5] }, 'q.x': { direction: 'output', bits: [6] }, y: { direction: 'output', bits: [7, 8] } } },
    },
  });

  it('reads the ports of the top from a Yosys JSON netlist, in order', () => {
    const ports = netlistPorts(netlist, 'blk')!;
    expect(ports).toEqual([
      { name: 'clk', dir: 'in', width: 1 },
      { name: 'a', dir: 'in', width: 3 },
      { name: 'q.x', dir: 'out', width: 1 },
      { name: 'y', dir: 'out', width: 2 },
    ]);
    expect(harnessBits(ports)).toEqual({ inputBits: 3, outputBits: 3 });
    expect(netlistPorts(netlist, 'other')).toBeNull();
    expect(netlistPorts('not json', 'blk')).toBeNull();
  });

  it('wires every input bit to the input chain, every output bit to the output chain, clk to the pin', () => {
    const v = harnessVerilog('blk', netlistPorts(netlist, 'blk')!);
    expect(v).toContain('module splitfuse_pnr_harness(input wire clk, input wire scan_in, input wire scan_load, output wire scan_out);');
    expect(v).toContain('always @(posedge clk) in_chain <= {in_chain[1:0], scan_in};');
    expect(v).toContain("always @(posedge clk) out_chain <= scan_load ? block_out : {out_chain[1:0], 1'b0};");
    expect(v).toContain('.clk(clk)');
    expect(v).toContain('.a(in_chain[2:0])');
    // A name that is not a plain identifier is escaped.
    expect(v).toContain('.\\q.x (block_out[0:0])');
    expect(v).toContain('.y(block_out[2:1])');
  });
});
