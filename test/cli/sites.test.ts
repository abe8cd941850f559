// `splitfuse sites`: the table and totals, --json, --set, and coded diagnostics with exit code 2.
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sitesReport, type SitesReport } from '../../cli/sites.js';

const run = runCli;

describe('splitfuse sites', () => {
  it('prints one line per site with kind, width × depth, bits, group, and totals per group', async () => {
    const r = await run(['sites', '--config', 'tiny', '--pattern', 'array.pe[3][*].acc,buf.acc.mem']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Fault sites of 'array.pe[3][*].acc,buf.acc.mem' on configuration 'tiny' (model lenet5-mnist-int8):");
    expect(r.stdout).toMatch(/array\.pe\[3\]\[1\]\.acc\s+register\s+32 × 1\s+32\s+pe\.acc\s+accel\.array\.pe_3_1\.psum_q/);
    expect(r.stdout).toMatch(/buf\.acc\.mem\[2\]\s+memory\s+32 × 256\s+8,192\s+buf\.acc\s+accel\.accbuf_2/);
    expect(r.stdout).toMatch(/pe\.acc\s+4\s+128\s+0\.4%/);
    expect(r.stdout).toMatch(/buf\.acc\s+4\s+32,768\s+99\.6%/);
    expect(r.stdout).toContain('8 sites, 32,896 bits');
  });

  it('--json gives the sites and totals; --set changes the array; the default model sizes the tables', async () => {
    const r = await run(['sites', '--config', 'tiny', '--set', 'rows=2', '--pattern', 'array.pe.acc', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as SitesReport;
    expect(report.sites).toHaveLength(2 * 4);
    expect(report.sites[0]).toEqual({ name: 'accel.array.pe_0_0.psum_q', alias: 'array.pe[0][0].acc', kind: 'register', width: 32, depth: 1, group: 'pe.acc', bits: 32 });
    expect(report.totals).toEqual({ sites: 8, bits: 256, groups: [{ group: 'pe.acc', sites: 8, bits: 256 }] });
    const explicit = sitesReport({ config: 'tiny', model: 'models/lenet5-mnist-int8.sfm', pattern: 'buf.instr.mem' });
    expect(sitesReport({ config: 'tiny', pattern: 'buf.instr.mem' }).sites).toEqual(explicit.sites);
    expect(explicit.sites[0]!.depth).toBeGreaterThan(100);
  });

  it('exits 2 with E150 (no match), E151 (malformed), E141 (bad config) and E102 (missing --pattern)', async () => {
    const none = await run(['sites', '--config', 'tiny', '--pattern', 'buf.actt.mem']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("E150: Fault-site pattern 'buf.actt.mem' must match at least one site, not none.");
    expect(none.stderr).toContain('close names: buf.act.mem[*][*]');
    const bad = await run(['sites', '--config', 'tiny', '--pattern', 'array.pe[1:]']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('E151');
    const config = await run(['sites', '--config', 'tinyy', '--pattern', '*']);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('E141');
    const missing = await run(['sites', '--config', 'tiny']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('E102');
  });
});
