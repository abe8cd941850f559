// `splitfuse gemm` and the pe/array blocks of `splitfuse gen`: the report (text and JSON), exit
// codes (0 bit-exact, 1 not, 2 a diagnostic), and coded diagnostics for bad flags. Most cases call
// main() in-process; one runs bin/splitfuse.js as users do.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gemmCycles } from '../../accel/gemm.js';
import { gemmCommand, gemmReportText, runGemmCommand, type GemmReport } from '../../cli/gemm.js';
import { ROOT, runCli } from '../support/cli.js';
import { lintVerilator, tempDir } from '../support/tools.js';


const run = runCli;

describe('splitfuse gemm', () => {
  it('prints cycles, the formula, utilisation and bit-exact: yes', async () => {
    const r = await run(['gemm', '--rows', '4', '--cols', '3', '--m', '10', '--k', '9', '--n', '7', '--double-buffer', '--seed', '5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const predicted = gemmCycles({ m: 10, k: 9, n: 7 }, { rows: 4, cols: 3, doubleBuffer: true });
    expect(r.stdout).toContain(`GEMM 10×9·9×7 (int8) on array_ws_r4c3_i8_acc32_db, seed 5`);
    expect(r.stdout).toContain(`cycles ${predicted} (formula ${predicted}), ideal ${Math.ceil((10 * 9 * 7) / 12)}`);
    expect(r.stdout).toMatch(/utilisation \d+\.\d%/);
    expect(r.stdout).toContain('bit-exact: yes');
  });

  it('--json gives the report as JSON; int16 and os are passed through', async () => {
    const r = await run(['gemm', '--rows', '3', '--cols', '5', '--m', '7', '--k', '2', '--n', '11', '--dtype', 'int16', '--dataflow', 'os', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as GemmReport;
    expect(report.array).toEqual({ rows: 3, cols: 5, dtype: 'int16', dataflow: 'os', doubleBuffer: false, accWidth: 48 });
    expect(report.design).toBe('array_os_r3c5_i16_acc48');
    expect(report.bitExact).toBe(true);
    expect(report.mismatches).toBe(0);
    expect(report.cycles).toBe(report.predictedCycles);
    expect(report.predictedCycles).toBe(gemmCycles({ m: 7, k: 2, n: 11 }, { rows: 3, cols: 5, dataflow: 'os' }));
    expect(report.utilization).toBeCloseTo((7 * 2 * 11) / (report.cycles * 15), 12);
    expect(report.seed).toBe(1);
  });

  it('a run that is not bit-exact (a stuck-at fault in a PE) reports "bit-exact: no" and exit code 1', () => {
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => {} };
    const opts = { rows: 2, cols: 2, m: 6, k: 4, n: 4 };
    // Bit 20 of a partial sum is never set by int8 sums of 2 products, so forcing it to 1 is always wrong.
    const code = gemmCommand(opts, io, { forces: [{ signal: 'pe_1_0.psum_q', bit: 20, value: 1 }] });
    expect(code).toBe(1);
    expect(out).toMatch(/bit-exact: no \(\d+ of 24 elements differ\)/);
    const report = runGemmCommand(opts, { forces: [{ signal: 'pe_1_0.psum_q', bit: 20, value: 1 }] });
    expect(report.mismatches).toBeGreaterThan(0);
    expect(gemmReportText(report)).toContain('bit-exact: no');
    expect(gemmCommand(opts, io)).toBe(0);
  });

  it.each([
    [['--rows', '0'], "E102: Option '--rows' of 'splitfuse gemm' must be an integer in 1..64, not '0'."],
    [['--m', 'x'], "E102: Option '--m' of 'splitfuse gemm' must be an integer in 1..4096, not 'x'."],
    [['--dtype', 'int4'], "E102: Option '--dtype' of 'splitfuse gemm' must be one of int8, int16, not 'int4'. Hint: e.g. --dtype int8."],
    [['--dataflow', 'rs'], "E102: Option '--dataflow' of 'splitfuse gemm' must be one of ws, os, not 'rs'. Hint: e.g. --dataflow ws."],
    [
      ['--dataflow', 'os', '--double-buffer'],
      "E126: GEMM array option 'doubleBuffer' must be false with dataflow 'os', not true (command line). Hint: double-buffered weights exist only in the weight-stationary array; drop doubleBuffer or use ws.",
    ],
  ])('%j is a coded diagnostic with exit code 2', async (bad, expected) => {
    const base = { '--rows': '2', '--cols': '2', '--m': '3', '--k': '3', '--n': '3' } as Record<string, string>;
    const args = ['gemm'];
    for (const [flag, value] of Object.entries(base)) if (!bad.includes(flag)) args.push(flag, value);
    const r = await run([...args, ...bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(expected);
  });

  it('a missing --k is E102 naming the option', async () => {
    const r = await run(['gemm', '--rows', '2', '--cols', '2', '--m', '3', '--n', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^E102: Option '--k <K>' of 'splitfuse gemm' must be given, not left out/);
  });

  it('runs as a real process: exit 0 and the report on stdout', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'splitfuse.js'), 'gemm', '--rows', '2', '--cols', '3', '--m', '4', '--k', '5', '--n', '6'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('bit-exact: yes');
  });
});

describe('splitfuse gen pe / array', () => {
  it('gen array --set rows=4 --set cols=4 --set dtype=int8 writes lint-clean Verilog', async () => {
    const out = tempDir('splitfuse-gemm-cli-');
    const r = await run(['gen', 'array', '--set', 'rows=4', '--set', 'cols=4', '--set', 'dtype=int8', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-> top module array_ws_r4c4_i8_acc32');
    const files = fs.readdirSync(out).filter((f) => f.endsWith('.v')).map((f) => path.join(out, f));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['array_ws_r4c4_i8_acc32.v', 'pe_ws_i8_acc32.v']);
    const lint = lintVerilator(files, 'array_ws_r4c4_i8_acc32');
    expect(lint.output).toBe('');
  });

  it('gen array and gen pe take dataflow, doubleBuffer and accWidth', async () => {
    const out = tempDir('splitfuse-gemm-cli-');
    const r = await run(['gen', 'array', '--set', 'rows=3', '--set', 'cols=5', '--set', 'doubleBuffer=true', '--set', 'dtype=int16', '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).top).toBe('array_ws_r3c5_i16_acc48_db');
    const pe = await run(['gen', 'pe', '--set', 'dataflow=os', '--set', 'accWidth=24', '--out', out, '--json']);
    expect(pe.code).toBe(0);
    expect(JSON.parse(pe.stdout).top).toBe('pe_os_i8_acc24');
  });

  it('bad array parameters are E101, all at once', async () => {
    const r = await run(['gen', 'array', '--set', 'rows=0', '--set', 'dataflow=os', '--set', 'doubleBuffer=true', '--set', 'dtype=int16', '--set', 'accWidth=20', '--out', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("E101: Parameter 'rows' of block 'array'");
    expect(r.stderr).toContain("E101: Parameter 'doubleBuffer' of block 'array' must be false with dataflow 'os', not true (--set doubleBuffer=true).");
    expect(r.stderr).toContain("E101: Parameter 'accWidth' of block 'array' must be at least 2*width+1 = 33, not 20 (--set accWidth=20).");
  });
});
