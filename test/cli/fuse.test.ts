// `splitfuse run --fuse` and `splitfuse fuse-explore` through main(): LeNet-5 fused vs layer by layer on the tiny
// RTL (both bit-exact, fewer feature-map bytes fused), the trade-off sweep's JSON and HTML, and the options' coded
// diagnostics (exit 2).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExploreReport } from '../../accel/fuse/explore.js';
import type { FusedRunReport } from '../../accel/fuse/run.js';
import { ROOT, runCli } from '../support/cli.js';
import { tempDir } from '../support/tools.js';

const LENET = path.join(ROOT, 'models', 'lenet5-mnist-int8.sfm');
const CIFAR = path.join(ROOT, 'models', 'cifar10-cnn-random-int8.sfm');

describe('splitfuse run --fuse', () => {
  it('LeNet-5 on tiny, 2 digits: conv1..conv2 fused, both runs bit-exact, fused moves fewer feature-map bytes; the text report names the group', async () => {
    const r = await runCli(['run', '--model', LENET, '--config', 'tiny', '--images', '2', '--fuse', 'conv1-pool2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as FusedRunReport;
    expect(report.plan.groups.map((g) => g.name)).toEqual(['conv1+pool1+conv2+pool2']);
    expect(report.fused.goldenMismatches).toBe(0);
    expect(report.layerByLayer.goldenMismatches).toBe(0);
    const fm = (t: FusedRunReport['fused']['traffic']): number => t.fmRead + t.fmWritten;
    expect(fm(report.fused.traffic)).toBeLessThan(fm(report.layerByLayer.traffic) / 2);
    // Program bytes by kind add up to what the RTL's DRAM counters counted.
    const t = report.fused.traffic;
    expect(t.fmRead + t.weightRead).toBe(report.fused.dramBytes.read);
    expect(t.fmWritten).toBe(report.fused.dramBytes.written);
    const text = await runCli(['run', '--model', LENET, '--config', 'tiny', '--images', '1', '--fuse', 'auto']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/group conv1\+pool1\+conv2\+pool2: tiles of \d+ output rows? × full width/);
    expect(text.stdout).toMatch(/feature maps, DRAM B +[\d,]+ +[\d,]+ +−\d/);
    expect(text.stdout).toMatch(/bit-exact vs golden +1\/1 +1\/1/);
  });

  it('with --set ringAddressing=true: the same group without mirror rows, bit-exact, fewer on-chip and input bytes; a bad value is E140', async () => {
    const args = ['run', '--model', LENET, '--config', 'tiny', '--images', '1', '--fuse', 'conv1-pool2:4', '--json'];
    const [mirror, ring] = await Promise.all([runCli(args), runCli([...args, '--set', 'ringAddressing=true'])]);
    expect([mirror.code, ring.code, ring.stderr]).toEqual([0, 0, '']);
    const [m, r] = [mirror, ring].map((x) => JSON.parse(x.stdout) as FusedRunReport);
    expect([m!.ringAddressing, r!.ringAddressing]).toEqual([false, true]);
    expect(r!.fused.goldenMismatches).toBe(0);
    expect(r!.plan.groups[0]!.buffers.rings.every((q) => q.mirror === 0)).toBe(true);
    expect(r!.plan.groups[0]!.onChipBytes).toBeLessThan(m!.plan.groups[0]!.onChipBytes);
    expect(r!.fused.traffic.fmRead).toBeLessThan(m!.fused.traffic.fmRead);
    const bad = await runCli(['run', '--model', LENET, '--config', 'tiny', '--images', '1', '--fuse', 'auto', '--set', 'ringAddressing=sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^E140: Configuration field 'ringAddressing' must be/m);
  });

  it('refuses bad fusion options with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--fuse', 'conv1+fc1'], /^E177: /m],
      [['--fuse', 'conv2-conv1'], /^E176: /m],
      [['--fuse', 'conv1-conv2', '--fuse-buffer-bytes', '64'], /^E178: /m],
      [['--fuse', 'auto', '--fuse-buffer-bytes', 'lots'], /^E175: Option '--fuse-buffer-bytes' must be an integer/m],
      [['--fuse-buffer-bytes', '1000'], /^E175: Option '--fuse-buffer-bytes' must be given with --fuse/m],
    ];
    for (const [args, want] of cases) {
      const r = await runCli(['run', '--model', LENET, '--config', 'tiny', '--images', '1', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(want);
    }
  });
});

describe('splitfuse fuse-explore', () => {
  it('sweeps budgets on the zoo CNN: more on-chip bytes never cost more DRAM bytes; JSON and an HTML report with an SVG plot', async () => {
    const dir = tempDir('splitfuse-fuse-explore-');
    const html = path.join(dir, 'fuse.html');
    const r = await runCli(['fuse-explore', '--model', CIFAR, '--config', 'default', '--budgets', '1024,4096,8192', '--json', '--report-html', html]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ExploreReport;
    expect(report.points.map((p) => p.budget)).toEqual([1024, 4096, 8192]);
    expect(report.points[0]!.groups).toEqual([]);
    expect(report.points[0]!.traffic.total).toBe(report.layerByLayer.total);
    for (const [i, p] of report.points.entries()) {
      expect(p.onChipBytes).toBeLessThanOrEqual(p.budget!);
      if (i > 0) expect(p.traffic.total).toBeLessThanOrEqual(report.points[i - 1]!.traffic.total);
    }
    expect(report.points[2]!.traffic.total).toBeLessThan(report.layerByLayer.total);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('<polyline');
    expect(page).toContain('Alwani');
    const bad = await runCli(['fuse-explore', '--model', CIFAR, '--budgets', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^E175: Option '--budgets' must be an integer/m);
  });
});
