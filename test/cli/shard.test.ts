// Campaigns in shards (docs/scale.md): `fault --shard i/N --out DIR/` and `fault merge DIR` give the
// totals of the one-machine campaign; the Kubernetes way (N processes with JOB_COMPLETION_INDEX set, as
// an Indexed Job runs them); duplicates, missing injections (E182), shards of other campaigns (E181) and
// the generated job files from the CLI. LeNet-5 on tiny, 12 injections over 2 images.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSummary } from '../../accel/fault/campaign.js';
import type { MergeResult } from '../../accel/fault/merge.js';
import { ROOT, runCli } from '../support/cli.js';
import { tempDir } from '../support/tools.js';

const dir = tempDir('fault-shards');
const MODEL = path.join(ROOT, 'models/lenet5-mnist-int8.sfm');
const FLAGS = ['--model', MODEL, '--config', 'tiny', '--sites', 'array.pe[*][*].acc,ctrl.*', '--fault', 'seu', '--samples', '12', '--images', '2', '--seed', '3', '--workers', '1'];
const totals = (s: CampaignSummary): unknown => ({ injections: s.injections, outcomes: s.outcomes, criticalRate: s.criticalRate, ci95: s.ci95, groups: s.groups, layers: s.layers, accuracy: s.accuracy, params: s.params });

/** Run bin/splitfuse.js with `env` added; resolves to the exit code and stderr. */
function spawnCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/splitfuse.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

let reference: CampaignSummary;
beforeAll(async () => {
  const r = await runCli(['fault', ...FLAGS, '--json']);
  expect(r.stderr).toBe('');
  reference = JSON.parse(r.stdout) as CampaignSummary;
}, 60_000);

describe('splitfuse fault --shard i/N and fault merge', () => {
  const shards = path.join(dir, 'three');

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['fault', ...FLAGS, '--shard', `${i}/3`, '--out', `${shards}/`, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const s = JSON.parse(r.stdout) as CampaignSummary;
      expect(s.injections).toBe(4); // 12 injections, k mod 3
      expect(s.resultsFile).toBe(path.join(shards, `shard-${i}-of-3.jsonl`));
    }
  }, 60_000);

  it('three shards merged have the totals of the one-machine campaign with the same seed', async () => {
    const r = await runCli(['fault', 'merge', shards, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as MergeResult;
    expect(m).toMatchObject({ shards: 3, samples: 12, injections: 12, duplicates: 0, complete: true, missing: 0, rerunShards: [] });
    expect(totals(m.summary)).toEqual(totals(reference));
    const text = await runCli(['fault', 'merge', shards]);
    expect(text.stdout).toContain(`merged 3 shard files of 3 shards in ${shards}: 12 of 12 injections`);
  });

  it('a shard run again resumes its file and runs nothing', async () => {
    const r = await runCli(['fault', ...FLAGS, '--shard', '1/3', '--out', `${shards}/`, '--json']);
    const s = JSON.parse(r.stdout) as CampaignSummary;
    expect([s.resumed, s.ran]).toEqual([4, 0]);
  });

  it('duplicates are dropped (a copied shard file); a missing shard is E182 naming the shard to rerun; --partial summarizes the rest', async () => {
    const copy = path.join(dir, 'copy');
    fs.mkdirSync(copy);
    for (const f of fs.readdirSync(shards)) fs.copyFileSync(path.join(shards, f), path.join(copy, f));
    fs.copyFileSync(path.join(shards, 'shard-0-of-3.jsonl'), path.join(copy, 'shard-0-of-3.again.jsonl'));
    const dup = JSON.parse((await runCli(['fault', 'merge', copy, '--json'])).stdout) as MergeResult;
    expect([dup.injections, dup.duplicates]).toEqual([12, 4]);
    expect(totals(dup.summary)).toEqual(totals(reference));
    // Shard 2 lost its last two injections (a task killed after 2 of its 4).
    const file = path.join(copy, 'shard-2-of-3.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n`);
    const r = await runCli(['fault', 'merge', copy]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^E182: Shards in '.*copy' must be all 12 injections of the campaign, not 2 missing \(first: 8, 11\) in shards 2 of 3\. Hint: rerun those shards \(Slurm: sbatch --array=2 campaign.sbatch/);
    const partial = JSON.parse((await runCli(['fault', 'merge', copy, '--partial', '--json'])).stdout) as MergeResult;
    expect(partial).toMatchObject({ complete: false, injections: 10, missing: 2, missingIndices: [8, 11], rerunShards: [2] });
    // Rerunning shard 2 completes it.
    await runCli(['fault', ...FLAGS, '--shard', '2/3', '--out', `${copy}/`]);
    expect(totals((JSON.parse((await runCli(['fault', 'merge', copy, '--json'])).stdout) as MergeResult).summary)).toEqual(totals(reference));
  }, 60_000);

  it('a shard of another campaign (other seed) in the directory is E181; a shard line moved to another shard is E184', async () => {
    const mixed = path.join(dir, 'mixed');
    fs.mkdirSync(mixed);
    fs.copyFileSync(path.join(shards, 'shard-0-of-3.jsonl'), path.join(mixed, 'shard-0-of-3.jsonl'));
    const other = FLAGS.map((f, k) => (FLAGS[k - 1] === '--seed' ? '4' : f));
    await runCli(['fault', ...other, '--shard', '1/3', '--out', `${mixed}/`]);
    const r = await runCli(['fault', 'merge', mixed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^E181: Campaign parameter 'seed' of shard file '.*shard-1-of-3\.jsonl' must be 3 as in '.*shard-0-of-3\.jsonl', not 4\./);
    const moved = path.join(dir, 'moved');
    fs.mkdirSync(moved);
    const [header, first] = fs.readFileSync(path.join(shards, 'shard-0-of-3.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(moved, 'shard-1-of-3.jsonl'), `${header!.replace('"shard":{"index":0', '"shard":{"index":1')}\n${first}\n`);
    const m = await runCli(['fault', 'merge', moved]);
    expect(m.stderr).toMatch(/^E184: Result line 2 of '.*shard-1-of-3\.jsonl' must be an injection of shard 1\/3 \(index mod 3 = 1\), not index 0/);
  }, 60_000);
});

describe('the Kubernetes Indexed Job, run as local processes', () => {
  it('k8s-job prints the manifest; its shard command run by 3 processes with JOB_COMPLETION_INDEX set merges to the one-machine totals', async () => {
    const out = path.join(dir, 'k8s');
    const yaml = await runCli(['fault', 'k8s-job', ...FLAGS.filter((_, k) => k < FLAGS.length - 2), '--shards', '3', '--image', 'splitfuse:test', '--mount-path', out, '--parallelism', '3']);
    expect(yaml.stderr).toBe('');
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('  completionMode: "Indexed"\n  completions: 3\n  parallelism: 3\n  backoffLimitPerIndex: 3\n');
    // The pod command, exactly as the manifest has it (a JSON flow sequence), minus the image's `splitfuse`.
    const command = JSON.parse(/^ {10}command: (\[.*\])$/m.exec(yaml.stdout)![1]!) as string[];
    expect(command.slice(0, 2)).toEqual(['splitfuse', 'fault']);
    expect(command.slice(-6)).toEqual(['--workers', '1', '--shards', '3', '--out', `${out}/`]);
    const runs = await Promise.all([0, 1, 2].map((i) => spawnCli(command.slice(1), { JOB_COMPLETION_INDEX: String(i), CI: 'true' })));
    for (const r of runs) expect(r).toEqual({ code: 0, stderr: '' });
    expect(fs.readdirSync(out).sort()).toEqual(['shard-0-of-3.jsonl', 'shard-1-of-3.jsonl', 'shard-2-of-3.jsonl']);
    const m = JSON.parse((await runCli(['fault', 'merge', out, '--json'])).stdout) as MergeResult;
    expect(totals(m.summary)).toEqual(totals(reference));
  }, 120_000);
});

describe('splitfuse fault slurm-script', () => {
  it('prints an sbatch script with absolute paths; bad options are coded diagnostics', async () => {
    const r = await runCli(['fault', 'slurm-script', ...FLAGS.slice(0, -2), '--shards', '4', '--out', 'res', '--time', '00:10:00', '--cpus-per-task', '2']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('#SBATCH --array=0-3\n');
    expect(r.stdout).toContain(`--workers 2 --shards 4 --out ${path.resolve('res')}/\n`);
    expect(r.stdout).toContain(`fault --model ${MODEL} --config tiny`);
    const bad = await runCli(['fault', 'slurm-script', ...FLAGS.slice(0, -2), '--shards', '0', '--out', 'res']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^E102: Option '--shards' of 'splitfuse fault slurm-script' must be an integer in 1\.\.1000000, not '0'/);
    const noModel = await runCli(['fault', 'slurm-script', ...FLAGS.slice(0, -2).map((f) => (f === MODEL ? path.join(dir, 'nope.sfm') : f)), '--shards', '2', '--out', 'res']);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/^E110: /);
    expect(noModel.stdout).toBe('');
  });
});
