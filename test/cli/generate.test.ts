// The library behind `splitfuse gen` and `splitfuse blocks`: registry contract, --set typing,
// parameter validation, manifest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCKS, findBlock } from '../../cli/blocks.js';
import { elaborateBlock, generateBlock } from '../../cli/generate.js';
import { paramInfo, paramTypeText, resolveParams, typedValue } from '../../cli/params.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { elaborate } from '../../hdl/dsl/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'splitfuse-gen-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function codesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof DiagnosticError) return err.diagnostics.map((d) => d.code);
    throw err;
  }
  return [];
}

describe('block registry', () => {
  it.each(BLOCKS.map((b) => b.name))('%s: every parameter is described and the defaults build a clean design', (name) => {
    const block = findBlock(name);
    for (const p of paramInfo(block)) expect(p.description, `${name}.${p.name}`).not.toBe('');
    const { diagnostics } = elaborate(block.build(resolveParams(block, [])));
    expect(diagnostics).toEqual([]);
  });

  it('describes parameter types for `splitfuse blocks`', () => {
    const texts = Object.fromEntries(paramInfo(findBlock('mac')).map((p) => [p.name, paramTypeText(p)]));
    expect(texts).toEqual({ width: '4 | 8 | 16', signed: 'true | false', accWidth: 'integer 9..128', pipeline: 'true | false' });
    expect(paramTypeText(paramInfo(findBlock('counter'))[0]!)).toBe('integer 1..128');
  });
});

describe('--set values', () => {
  const width = paramInfo(findBlock('counter'))[0]!;
  const signed = paramInfo(findBlock('mac')).find((p) => p.name === 'signed')!;
  it('are typed by the schema', () => {
    expect(typedValue('16', width)).toBe(16);
    expect(typedValue('0x10', width)).toBe(16);
    expect(typedValue('abc', width)).toBe('abc');
    expect(typedValue('false', signed)).toBe(false);
    expect(typedValue('0', signed)).toBe('0');
  });

  it('fill defaults and derived parameters', () => {
    const mac = findBlock('mac');
    expect(resolveParams(mac, [])).toEqual({ width: 8, signed: true, accWidth: 32, pipeline: false });
    expect(resolveParams(mac, ['width=16'])).toEqual({ width: 16, signed: true, accWidth: 48, pipeline: false });
    expect(resolveParams(mac, ['width=4', 'pipeline=true'])).toEqual({ width: 4, signed: true, accWidth: 16, pipeline: true });
    expect(resolveParams(mac, ['signed=false', 'accWidth=17'])).toEqual({ width: 8, signed: false, accWidth: 17, pipeline: false });
    expect(resolveParams(findBlock('counter'), ['width=1'])).toEqual({ width: 1 });
  });

  it('report every problem at once', () => {
    expect(codesOf(() => findBlock('nope'))).toEqual(['E100']);
    expect(codesOf(() => resolveParams(findBlock('mac'), ['width=12']))).toEqual(['E101']);
    expect(codesOf(() => resolveParams(findBlock('mac'), ['width=8', 'accWidth=16']))).toEqual(['E101']);
    expect(codesOf(() => resolveParams(findBlock('mac'), ['width=16', 'accWidth=20']))).toEqual(['E101']);
    // The cross-parameter check still runs when another parameter is bad.
    expect(codesOf(() => resolveParams(findBlock('mac'), ['width=16', 'accWidth=20', 'signed=no']))).toEqual(['E101', 'E101']);
    expect(codesOf(() => resolveParams(findBlock('mac'), ['accWidth=129']))).toEqual(['E101']);
    expect(codesOf(() => resolveParams(findBlock('counter'), ['width=0', 'depth=3', 'oops']))).toEqual(['E101', 'E101', 'E102']);
  });
});

describe('generateBlock', () => {
  it('elaborates a block with its module named by the parameters', () => {
    expect(elaborateBlock('mac').design.top).toBe('mac_s8_acc32');
    expect(elaborateBlock('mac', ['signed=false', 'width=16', 'accWidth=40']).design.top).toBe('mac_u16_acc40');
    expect(elaborateBlock('counter', ['width=12']).design.top).toBe('counter_w12');
  });

  it('writes the Verilog files and a manifest describing them', () => {
    const out = path.join(tmp, 'mac');
    const manifest = generateBlock({ block: 'mac', set: ['signed=true'], outDir: out });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest.top).toBe('mac_s8_acc32');
    expect(manifest.generator).toBe('mac');
    expect(manifest.params).toEqual({ width: 8, signed: true, accWidth: 32, pipeline: false });
    expect(manifest.ports).toContainEqual({ name: 'a', direction: 'input', width: 8, signed: true });
    expect(manifest.ports).toContainEqual({ name: 'acc', direction: 'output', width: 32, signed: true });
    for (const f of manifest.files) {
      const text = fs.readFileSync(path.join(out, f), 'utf8');
      expect(text).toContain(`module ${f.replace(/\.v$/, '')}`);
    }
  });

  it('writes nothing when the parameters are bad', () => {
    const out = path.join(tmp, 'bad');
    expect(codesOf(() => generateBlock({ block: 'mac', set: ['width=7'], outDir: out }))).toEqual(['E101']);
    expect(fs.existsSync(out)).toBe(false);
  });
});
