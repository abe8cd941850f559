// The `splitfuse` command as users run it: `node bin/splitfuse.js ...` in a child process.
// Behaviour is tested on the library functions (generate.test.ts); this file checks the wiring:
// help, files on disk, exit codes, diagnostics on stderr and no stack traces.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SPLITFUSE_VERSION } from '../../hdl/version.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'splitfuse.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'splitfuse-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function splitfuse(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, SPLITFUSE_DEBUG: '', ...options.env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK_FRAME = /^\s+at /m;

describe('splitfuse CLI', () => {
  it('--help lists the commands', () => {
    const r = splitfuse(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: splitfuse/);
    for (const cmd of ['gen', 'blocks', 'demo']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('gen counter writes one file per module and the manifest, from any working directory', () => {
    const out = path.join(tmp, 'counter');
    const r = splitfuse(['gen', 'counter', '--out', out], { cwd: os.tmpdir() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual({
      top: 'counter_w8',
      files: ['counter_w8.v'],
      ports: [
        { name: 'clk', direction: 'input', width: 1, signed: false },
        { name: 'rst', direction: 'input', width: 1, signed: false },
        { name: 'en', direction: 'input', width: 1, signed: false },
        { name: 'count', direction: 'output', width: 8, signed: false },
      ],
      params: { width: 8 },
      generator: 'counter',
      version: SPLITFUSE_VERSION,
    });
    const verilog = fs.readFileSync(path.join(out, 'counter_w8.v'), 'utf8');
    expect(verilog).toMatch(/^\s*module\s+counter_w8\b/m);
  });

  it('gen mac --set ... types the values by the schema and names the module by its parameters', () => {
    const out = path.join(tmp, 'mac');
    const r = splitfuse(['gen', 'mac', '--set', 'width=16', '--set', 'signed=false', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(printed).toEqual(manifest);
    expect(manifest.top).toBe('mac_u16_acc48');
    expect(manifest.files).toEqual(['mac_u16_acc48.v']);
    expect(manifest.params).toEqual({ width: 16, signed: false, accWidth: 48, pipeline: false });
    expect(manifest.ports.map((p: { name: string }) => p.name)).toEqual(['clk', 'rst', 'a', 'b', 'clear', 'en', 'acc']);
    expect(manifest.ports.find((p: { name: string }) => p.name === 'acc')).toEqual({ name: 'acc', direction: 'output', width: 48, signed: false });
    for (const f of manifest.files) expect(fs.existsSync(path.join(out, f))).toBe(true);
  });

  it('unknown block: exit 2, E100 on stderr, no stack trace', () => {
    const r = splitfuse(['gen', 'foo', '--out', path.join(tmp, 'foo')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^E100: Block must be one of counter, mac, (\w+, )*not 'foo'\. Hint: /);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(fs.existsSync(path.join(tmp, 'foo'))).toBe(false);
  });

  it('bad parameter: exit 2 and E101 naming the --set', () => {
    const r = splitfuse(['gen', 'mac', '--set', 'width=12', '--out', path.join(tmp, 'bad')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("E101: Parameter 'width' of block 'mac' must be one of 4, 8, 16, not 12 (--set width=12). Hint: ");
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('usage errors are E102 with exit 2', () => {
    const missingOut = splitfuse(['gen', 'mac']);
    expect(missingOut.status).toBe(2);
    expect(missingOut.stderr).toMatch(/^E102: Option '--out <dir>' of 'splitfuse gen' must be given, not left out\. Hint: /);
    const unknownOption = splitfuse(['gen', 'mac', '--out', path.join(tmp, 'x'), '--frobnicate']);
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toMatch(/^E102: Option of 'splitfuse gen' must be one of .*, not '--frobnicate'/);
    const unknownCommand = splitfuse(['frobnicate']);
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toMatch(/^E102: Command must be one of gen, blocks, demo, ([\w-]+, )*not 'frobnicate'/);
  });

  it('SPLITFUSE_DEBUG=1 adds the stack trace', () => {
    const r = splitfuse(['gen', 'foo', '--out', path.join(tmp, 'foo')], { env: { SPLITFUSE_DEBUG: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^E100: /);
    expect(r.stderr).toMatch(STACK_FRAME);
  });

  it('demo generates the default accelerator, lints it, runs LeNet-5 on its RTL and summarises, from any working directory', () => {
    const out = path.join(tmp, 'demo');
    const r = splitfuse(['demo', '--out', out, '--images', '3'], { cwd: os.tmpdir() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/verilator --lint-only -Wall: clean/g)).toHaveLength(1);
    expect(r.stdout).toContain('bit-exact vs golden: 3/3 images');
    expect(r.stdout).toMatch(/accuracy +\d+\.\d% \(\d\/3\)/);
    expect(r.stdout).toMatch(/cycles +[\d,]+ per image = [\d.]+ µs at 200 MHz/);
    expect(r.stdout).toMatch(/utilisation +\d+\.\d% of 64 PEs/);
    expect(r.stdout).toMatch(/energy +\d+\.\d{3} µJ per image \(estimate, 45 nm Horowitz table\)/);
    for (const f of ['accel_r8c8_i8_acc32_db.v', 'array_ws_r8c8_i8_acc32_db_tl.v', 'manifest.json']) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'))).toMatchObject({ top: 'accel_r8c8_i8_acc32_db', generator: 'accel', params: { config: 'default', rows: 8, cols: 8 } });
  });

  it('blocks --json lists every block with its parameters', () => {
    const r = splitfuse(['blocks', '--json']);
    expect(r.status).toBe(0);
    const blocks = JSON.parse(r.stdout) as { name: string; params: { name: string; default: unknown }[] }[];
    expect(blocks.map((b) => b.name).slice(0, 2)).toEqual(['counter', 'mac']);
    const mac = blocks.find((b) => b.name === 'mac')!;
    expect(mac.params.map((p) => [p.name, p.default])).toEqual([
      ['width', 8],
      ['signed', true],
      ['accWidth', undefined],
      ['pipeline', false],
    ]);
  });
});
