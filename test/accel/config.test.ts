// The accelerator configuration: presets validate, overrides apply, and every bad input is a coded
// diagnostic naming the field, the expected and the found value, and where the value came from.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES, operandBits, resolveConfig, validateConfig } from '../../accel/config.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';

function errorOf(fn: () => unknown): DiagnosticError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DiagnosticError) return err;
    throw err;
  }
  throw new Error('expected a DiagnosticError');
}

const tmp = mkdtempSync(path.join(tmpdir(), 'splitfuse-config-'));
function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('accelerator configuration', () => {
  it('has the tiny (4x4), default (8x8) and large (16x16) presets, each valid', () => {
    expect(PRESET_NAMES).toEqual(['tiny', 'default', 'large']);
    expect([PRESETS.tiny, PRESETS.default, PRESETS.large].map((c) => `${c?.rows}x${c?.cols}`)).toEqual(['4x4', '8x8', '16x16']);
    for (const name of PRESET_NAMES) expect(validateConfig(PRESETS[name], name)).toEqual(PRESETS[name]);
    expect(operandBits(resolveConfig({ config: 'default' }))).toBe(8);
  });

  it('applies --set overrides with their types', () => {
    const c = resolveConfig({ config: 'tiny', set: ['rows=3', 'protection=tmr', 'doubleBuffer=false', 'clockMHz=150.5'] });
    expect(c).toMatchObject({ rows: 3, cols: 4, dataflow: 'ws', protection: 'tmr', doubleBuffer: false, clockMHz: 150.5 });
  });

  it('reads a JSON file that starts from a preset', () => {
    const p = file('mine.json', JSON.stringify({ preset: 'large', cols: 12, dtype: 'int16', accWidth: 48 }));
    const c = resolveConfig({ config: p });
    expect(c).toMatchObject({ name: 'mine', rows: 16, cols: 12, dtype: 'int16', accWidth: 48 });
  });

  it('reports every bad field at once, with field, expectation, found value and origin', () => {
    const e = errorOf(() => resolveConfig({ config: 'default', set: ['rows=0', 'dtype=int4', 'colz=3'] }));
    expect(e.diagnostics.map((d) => d.code)).toEqual(['E140', 'E140', 'E140']);
    expect(e.message).toContain("Configuration field 'rows' must be >= 1, not 0 (--set rows=0)");
    expect(e.message).toContain("Configuration field 'dtype' must be one of int8, int16, not 'int4' (--set dtype=int4)");
    expect(e.message).toContain("'colz' must be one of name, rows, cols");
    expect(e.message).toContain("Hint: did you mean 'cols'?");
    expect(e.message).not.toContain('?.'); // a hint ending in punctuation gets no extra full stop
  });

  it('checks the accumulator against the operand width; a new dtype brings its default accumulator', () => {
    expect(resolveConfig({ config: 'default', set: ['dtype=int16'] }).accWidth).toBe(48);
    const e = errorOf(() => resolveConfig({ config: 'default', set: ['dtype=int16', 'accWidth=32'] }));
    expect(e.message).toContain("Configuration field 'accWidth' must be at least 2*operand width+1 = 33 for int16, not 32 (--set accWidth=32)");
  });

  it('names an unknown preset and suggests the closest one', () => {
    const e = errorOf(() => resolveConfig({ config: 'defualt' }));
    expect(e.diagnostics[0]?.code).toBe('E141');
    expect(e.message).toContain("not 'defualt'");
    expect(e.message).toContain("did you mean 'default'?");
  });

  it('reports unreadable, malformed and non-object files', () => {
    expect(errorOf(() => resolveConfig({ config: path.join(tmp, 'missing.json') })).message).toContain('unreadable (ENOENT)');
    expect(errorOf(() => resolveConfig({ config: file('bad.json', '{ rows: 4') })).message).toMatch(/E141: .*malformed/);
    expect(errorOf(() => resolveConfig({ config: file('arr.json', '[1]') })).message).toContain('not an array');
    const e = errorOf(() => resolveConfig({ config: file('p.json', '{"preset":"huge"}') }));
    expect(e.message).toContain("Configuration field 'preset' must be one of tiny, default, large, not 'huge'");
  });
});
