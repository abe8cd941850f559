// `splitfuse gen` for the accelerator units (requant, pool, linebuf, sram, dram, and mac's new
// options): each writes Verilog that passes `verilator --lint-only -Wall`, at the defaults and at
// extreme parameters, and bad parameters are E101 diagnostics. One run goes through the real binary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findBlock } from '../../cli/blocks.js';
import { generateBlock } from '../../cli/generate.js';
import { resolveParams } from '../../cli/params.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { lintVerilator, tempDir } from '../support/tools.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function expectLintCleanGen(block: string, set: string[]): string {
  const out = tempDir();
  const manifest = generateBlock({ block, set, outDir: out });
  const lint = lintVerilator(
    manifest.files.map((f) => path.join(out, f)),
    manifest.top,
  );
  expect(lint.output).toBe('');
  expect(lint.ok).toBe(true);
  return manifest.top;
}

function e101Messages(block: string, set: string[]): string[] {
  try {
    resolveParams(findBlock(block), set);
  } catch (err) {
    if (err instanceof DiagnosticError) return err.diagnostics.map((d) => `${d.code}: ${d.message}`);
    throw err;
  }
  return [];
}

describe('splitfuse gen for the accelerator units', () => {
  it.each([
    ['mac', [], 'mac_s8_acc32'],
    ['mac', ['width=4', 'pipeline=true'], 'mac_s4_acc16_p'],
    ['mac', ['width=4', 'signed=false', 'accWidth=9'], 'mac_u4_acc9'],
    ['requant', [], 'requant_acc32_q8'],
    ['requant', ['accWidth=64', 'outBits=16', 'multBits=32'], 'requant_acc64_q16_m32'],
    ['requant', ['accWidth=8'], 'requant_acc8_q8'],
    ['pool', [], 'pool2_w28_s8'],
    ['pool', ['cols=2', 'width=16', 'signed=false'], 'pool2_w2_u16'],
    ['linebuf', [], 'linebuf_k3_w28_s8'],
    ['linebuf', ['k=1', 'cols=1', 'width=1', 'signed=false'], 'linebuf_k1_w1_u1'],
    ['linebuf', ['k=8', 'cols=8', 'width=32'], 'linebuf_k8_w8_s32'],
    ['sram', [], 'sram_dp_d1024_w32'],
    ['sram', ['depth=1', 'width=1', 'ports=single'], 'sram_sp_d1_w1'],
    ['sram', ['depth=1000', 'width=128'], 'sram_dp_d1000_w128'],
    ['dram', [], 'dram_d4096_b8_l20'],
    ['dram', ['depth=1', 'bytesPerBeat=16', 'latency=1'], 'dram_d1_b16_l1'],
  ] as const)('%s %j → %s, lint clean', (block, set, top) => {
    expect(expectLintCleanGen(block, [...set])).toBe(top);
  });

  it('rejects bad parameters with E101, cross-field checks included', () => {
    expect(e101Messages('pool', ['cols=27'])).toEqual(["E101: Parameter 'cols' of block 'pool' must be even, not 27 (--set cols=27)"]);
    expect(e101Messages('linebuf', ['k=5', 'cols=4'])).toEqual(["E101: Parameter 'cols' of block 'linebuf' must be at least k = 5, not 4 (--set cols=4)"]);
    expect(e101Messages('mac', ['width=8', 'accWidth=9'])).toEqual([
      "E101: Parameter 'accWidth' of block 'mac' must be at least 2*width+1 = 17, not 9 (--set accWidth=9)",
    ]);
    expect(e101Messages('requant', ['outBits=32'])).toHaveLength(1);
    expect(e101Messages('sram', ['ports=triple', 'depth=0'])).toHaveLength(2);
    expect(e101Messages('dram', ['latency=0'])).toHaveLength(1);
  });

  it('the dram block says it is simulation only', () => {
    expect(findBlock('dram').summary).toMatch(/^SIMULATION ONLY/);
  });

  it('runs through the real binary: splitfuse gen requant --set outBits=16', () => {
    const out = tempDir();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'splitfuse.js'), 'gen', 'requant', '--set', 'outBits=16', '--out', out], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['manifest.json', 'requant_acc32_q16.v']);
  });
});
