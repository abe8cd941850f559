// `splitfuse synth`: the command through main() with captured output, synthesizing with the real Yosys.
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../cli/main.js';
import { synthBlock, synthReportText } from '../../cli/synth.js';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRESETS } from '../../accel/config.js';
import { compile } from '../../accel/compiler.js';
import { readModel } from '../../accel/model.js';
import { wasmYosysVersion } from '../../fpga/yosys.js';

const SYNTH_TIMEOUT = 90_000;

async function run(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}

describe('splitfuse synth', () => {
  it('--json prints the resources and the cell table of an INT8 MAC on xc7', async () => {
    const r = await run(['synth', 'mac', '--target', 'xc7', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown> & { cells: Record<string, number> };
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['block', 'params', 'target', 'top', 'lut', 'ff', 'dsp', 'bram', 'cells', 'yosys']),
    );
    expect(json).toMatchObject({ block: 'mac', target: 'xc7', top: 'mac_s8_acc32', dsp: 1, bram: 0 });
    expect(json.params).toMatchObject({ width: 8, signed: true, accWidth: 32 });
    expect(json.cells.DSP48E1).toBe(1);
    expect(json.lut).toBe(Object.entries(json.cells).filter(([t]) => /^LUT[1-6]$/.test(t)).reduce((a, [, n]) => a + n, 0));
  }, SYNTH_TIMEOUT);

  it('--yosys wasm forces the WebAssembly Yosys even with a system yosys on the PATH; another value is E102', async () => {
    const r = await run(['synth', 'counter', '--set', 'width=4', '--target', 'gowin', '--yosys', 'wasm', '--json']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { yosys: string; ff: number };
    expect(json.ff).toBe(4);
    expect(json.yosys).toBe(await wasmYosysVersion());
    const bad = await run(['synth', 'counter', '--target', 'gowin', '--yosys', 'native']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("E102: Option '--yosys' of 'splitfuse synth' must be one of auto, system, wasm, not 'native'.");
  }, SYNTH_TIMEOUT);

  it('prints LUT/FF/DSP/BRAM and one row per cell type', async () => {
    const r = await run(['synth', 'counter', '--set', 'width=10', '--target', 'ice40']);
    expect(r.stderr).toMatch(/^synthesizing counter_w10 for ice40 with (WebAssembly Yosys \(@yowasp\/yosys\)|the system Yosys) \.\.\.\n$/);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^counter \(width=10\) -> counter_w10 on ice40 \(Lattice iCE40 UP\), Yosys \d+\.\d+/);
    expect(lines[1]).toMatch(/^ {2}LUT \d+ {2}FF 10 {2}DSP 0 {2}BRAM 0$/);
    // Every flip-flop type row says 'ff' and the rows add up to the FF count.
    const ffRows = lines.map((l) => /^ {2}(SB_DFF\w*)\s+(\d+)\s+ff$/.exec(l)).filter((m) => m !== null);
    expect(ffRows.reduce((a, m) => a + Number(m[2]), 0)).toBe(10);
    expect(r.stdout).toMatch(/^ {2}SB_LUT4\s+\d+\s+lut$/m);
  }, SYNTH_TIMEOUT);

  it('the text report lists the cells in the order of the result', async () => {
    const report = await synthBlock({ block: 'counter', set: ['width=3'], target: 'gowin' });
    const rows = synthReportText(report).split('\n').slice(5).filter((l) => l !== '').map((l) => l.trim().split(/\s+/)[0]);
    expect(rows).toEqual(Object.keys(report.cells));
    expect(rows).toEqual([...rows].sort());
  }, SYNTH_TIMEOUT);

  it('E121: a bad target lists the valid targets (checked before any synthesis)', async () => {
    const r = await run(['synth', 'mac', '--target', 'xc9']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "E121: Synthesis target must be one of xc7, ice40, ecp5, gowin, not 'xc9'. Hint: the closest name is 'xc7'; use --target xc7|ice40|ecp5|gowin.\n1 error\n",
    );
  });

  it('E102 without --target, E101 for a bad parameter, E100 for an unknown block', async () => {
    const noTarget = await run(['synth', 'mac']);
    expect(noTarget.status).toBe(2);
    expect(noTarget.stderr).toMatch(/^E102: Option '--target <family>' of 'splitfuse synth' must be given, not left out/);
    const badParam = await run(['synth', 'mac', '--set', 'width=12', '--target', 'xc7']);
    expect(badParam.status).toBe(2);
    expect(badParam.stderr).toMatch(/^E101: Parameter 'width' of block 'mac' must be one of [0-9, ]+, not 12 \(--set width=12\)/);
    const badBlock = await run(['synth', 'maq', '--target', 'xc7']);
    expect(badBlock.status).toBe(2);
    expect(badBlock.stderr).toMatch(/^E100: Block must be one of .*, not 'maq'/);
  });

  it('synth accel: the tiny accelerator running LeNet-5 maps its 16 multipliers to DSP48E1s and its buffers to block RAM', async () => {
    const modelFile = new URL('../../models/lenet5-mnist-int8.sfm', import.meta.url);
    const r = await run(['synth', 'accel', '--model', modelFile.pathname, '--config', 'tiny', '--target', 'xc7', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { block: string; params: Record<string, unknown>; top: string; lut: number; ff: number; dsp: number; bram: number; cells: Record<string, number> };
    const compiled = compile(readModel(readFileSync(modelFile), 'lenet5'), PRESETS.tiny!);
    expect(json).toMatchObject({ block: 'accel', top: 'accel_r4c4_i8_acc32_db' });
    expect(json.params).toMatchObject({ config: 'tiny', rows: 4, cols: 4, model: 'lenet5-mnist-int8', instructions: compiled.program.length });
    // The 4×4 array's multipliers plus the requantizer's: the program ROMs keep the data path alive.
    expect(json.dsp).toBeGreaterThanOrEqual(16);
    expect(json.cells.DSP48E1).toBe(json.dsp);
    expect(json.bram).toBeGreaterThan(0);
    expect(json.lut).toBeGreaterThan(100);
  }, 600_000);

  it('synth accel needs --model and --config; a block rejects them and --fuse (E146); a bad --fuse group is E176', async () => {
    const missing = await run(['synth', 'accel', '--target', 'xc7']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("E146: Option '--model' of 'splitfuse synth accel' must be given, not left out");
    const block = await run(['synth', 'mac', '--config', 'tiny', '--target', 'xc7']);
    expect(block.status).toBe(2);
    expect(block.stderr).toContain("E146: Option '--config' of 'splitfuse synth mac' must be left out");
    const fused = await run(['synth', 'mac', '--fuse', 'auto', '--target', 'xc7']);
    expect(fused.status).toBe(2);
    expect(fused.stderr).toContain("E146: Option '--fuse' of 'splitfuse synth mac' must be left out");
    // A bad group of synth accel is the planner's E176, before any synthesis.
    const bad = await run(['synth', 'accel', '--model', 'models/lenet5-mnist-int8.sfm', '--config', 'tiny', '--fuse', 'conv2-conv1', '--target', 'xc7']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^E176: /m);
  });
});

describe('splitfuse synth --part and --pnr', () => {
  it('--part prints the utilisation of a named part and whether the design fits', async () => {
    const r = await run(['synth', 'mac', '--target', 'xc7', '--part', 'xc7a35t']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[3]).toMatch(/^ {2}part xc7a35t: LUT \d+\/20,800 \([\d.]+%\) {2}FF 0\/41,600 \(0%\) {2}DSP 1\/90 \(1\.1%\) {2}BRAM 0\/50 \(0%\) -> fits$/);
    const json = JSON.parse((await run(['synth', 'mac', '--target', 'xc7', '--part', 'a35t', '--json'])).stdout) as { fit: { part: string; fits: boolean; rows: { resource: string; used: number; available: number; percent: number }[] } };
    expect(json.fit.part).toBe('xc7a35t');
    expect(json.fit.fits).toBe(true);
    expect(json.fit.rows.find((x) => x.resource === 'DSP')).toEqual({ resource: 'DSP', used: 1, available: 90, percent: 1.1 });
  }, SYNTH_TIMEOUT);

  it('--pnr places and routes a counter on an iCE40 HX1K: Fmax, placed cells, a bitstream in --out', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-cli-pnr-'));
    const r = await run(['synth', 'counter', '--set', 'width=8', '--target', 'ice40', '--pnr', '--part', 'hx1k', '--out', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/placing and routing on iCE40HX1K \(tq144\) with nextpnr-ice40 \(seed 1\)/);
    const lines = r.stdout.split('\n');
    expect(lines[3]).toMatch(/^ {2}part iCE40HX1K: LUT \d+\/1,280 .* -> fits$/);
    expect(lines[4]).toMatch(/^ {2}placed and routed on iCE40HX1K \(tq144\) by nextpnr-ice40 \(@yowasp\/nextpnr-ice40 [\d.]+\), seed 1:$/);
    const fmax = /^ {4}Fmax ([\d.]+) MHz \(target 12 MHz\)$/.exec(lines[5]!);
    expect(Number(fmax?.[1])).toBeGreaterThan(0);
    // counter: rst and en in, count (8 bits) out; I/O = the four harness pins.
    expect(lines[6]).toMatch(/^ {4}logic cells \d+\/1,280 \([\d.]+%\) {2}EBR 0\/16 {2}I\/O 4\/\d+, with the I\/O harness \(2 input, 8 output bits\)$/);
    const bin = path.join(out, 'counter_w8.bin');
    expect(lines[7]).toBe(`    bitstream ${bin} (${statSync(bin).size.toLocaleString('en-US')} bytes)`);
  }, SYNTH_TIMEOUT);

  it('E128 unknown part, E129 a part of another target, E202 --pnr off iCE40, E204 --pnr options without --pnr', async () => {
    const unknown = await run(['synth', 'mac', '--target', 'ice40', '--part', 'up6k']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^E128: FPGA part must be one of up5k, hx8k, hx1k, not 'up6k'\. Hint: the closest name is 'up5k'/);
    const other = await run(['synth', 'mac', '--target', 'xc7', '--part', 'up5k']);
    expect(other.stderr).toMatch(/^E129: Part 'iCE40UP5K' must be a part of target xc7, not of ice40\. Hint: use --target ice40, or a part of xc7: xc7a35t, xc7a100t, xc7a200t/);
    const xc7 = await run(['synth', 'mac', '--target', 'xc7', '--pnr']);
    expect(xc7.status).toBe(2);
    expect(xc7.stderr).toMatch(/^E202: The target of --pnr must be an iCE40 part \(nextpnr-ice40\), not xc7/);
    const seed = await run(['synth', 'mac', '--target', 'ice40', '--seed', '3']);
    expect(seed.stderr).toMatch(/^E204: Option '--seed' must be left out without --pnr, not '3'/);
    const freq = await run(['synth', 'mac', '--target', 'ice40', '--pnr', '--freq', 'fast']);
    expect(freq.stderr).toMatch(/^E204: Option '--freq' must be a number, not 'fast'/);
    const zero = await run(['synth', 'mac', '--target', 'ice40', '--pnr', '--freq', '0']);
    expect(zero.stderr).toMatch(/^E204: Option '--freq' must be a clock frequency in MHz in \(0, 1000\], not 0/);
    expect(freq.stdout).toBe('');
  });
});
