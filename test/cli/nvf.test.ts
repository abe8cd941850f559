// `splitfuse nvf`: the report (text and --json) over the library's computeNvf / validateNvfOnRtl, and the
// coded diagnostics of bad options (exit 2).
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const MODEL = 'models/lenet5-mnist-int8.sfm';

describe('splitfuse nvf', () => {
  it('prints every channel of the chosen layers and a ranking; --json has the whole report', async () => {
    const text = await runCli(['nvf', '--model', MODEL, '--images', '3', '--layers', 'conv2,fc3', '--pixels', '4', '--top', '5']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('over 3 test digits 0..2');
    expect(text.stdout).toContain('conv2 (conv2d, 16 channels, 4 of 64 pixels per channel and digit, 12 samples per channel)');
    expect(text.stdout).toContain('fc3 (fc, 10 channels, every neuron of every digit, 3 samples per channel)');
    expect(text.stdout).toContain('Ranking, most vulnerable first (5 of 26');
    const json = await runCli(['nvf', '--model', MODEL, '--images', '3', '--offset', '7', '--layers', 'fc3', '--json']);
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.offset).toBe(7);
    expect(r.nvf.images).toBe(3);
    expect(r.nvf.layers.map((l: { name: string }) => l.name)).toEqual(['fc3']);
    expect(r.nvf.ranking).toHaveLength(10);
    expect(r.validation).toBeNull();
  });

  it('--validate-layer injects the flips into the RTL and prints the rank correlation', async () => {
    const res = await runCli(['nvf', '--model', MODEL, '--images', '4', '--layers', 'fc3', '--validate-layer', 'fc3', '--validate-samples', '6', '--config', 'tiny', '--json']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const r = JSON.parse(res.stdout);
    expect(r.validation.config).toBe('tiny');
    expect(r.validation.injections).toBe(60);
    expect(r.validation.channels).toHaveLength(10);
    expect(r.validation.spearman).toBeGreaterThanOrEqual(-1);
    expect(r.validation.spearman).toBeLessThanOrEqual(1);
  }, 60_000);

  it.each([
    [['--images', '0'], 'E102', "Option '--images' of 'splitfuse nvf' must be an integer in 1..2004, not '0'"],
    [['--layers', 'fc9'], 'E171', "not 'fc9'"],
    [['--layers', 'pool1'], 'E171', "not 'pool1' (a maxpool layer)"],
    [['--validate-samples', '5'], 'E170', "Option '--validate-samples' of 'splitfuse nvf' must be given with --validate-layer, not given alone"],
    [['--layers', 'fc3', '--validate-layer', 'fc2'], 'E170', "must be a layer of the NVF report (fc3), not \"fc2\""],
  ])('%j is %s (exit 2)', async (args, code, text) => {
    const res = await runCli(['nvf', '--model', MODEL, '--images', '2', ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${code}:`);
    expect(res.stderr).toContain(text);
    expect(res.stdout).toBe('');
  });
});
