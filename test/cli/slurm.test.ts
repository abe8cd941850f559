// A campaign on a real single-node Slurm cluster (test/support/slurm.ts): `fault slurm-script` →
// `bash campaign.sbatch` submits a 4-task array and the dependent merge job; task 2 is cancelled once it
// has written its first result; the merge job (afterany) fails with E182 naming shard 2; `sbatch
// --array=2` reruns that task, which resumes its file; the merge then has the totals of the one-machine
// campaign. CI installs Slurm (.ci/run), so there the test never skips; locally it skips, saying why,
// only when CI is unset and the programs are missing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignSummary } from '../../accel/fault/campaign.js';
import type { MergeResult } from '../../accel/fault/merge.js';
import { ROOT, runCli } from '../support/cli.js';
import { missingSlurmPrograms, startSlurm, type SlurmCluster } from '../support/slurm.js';
import { tempDir } from '../support/tools.js';

const missing = missingSlurmPrograms();
if (missing.length > 0 && process.env.CI) {
  throw new Error(`Slurm programs missing under CI: ${missing.join(', ')}; .ci/run installs them with apt-get install munge slurmctld slurmd slurm-client`);
}
if (missing.length > 0) console.warn(`slurm.test.ts skipped: ${missing.join(', ')} not installed (apt-get install munge slurmctld slurmd slurm-client); under CI=true this is a failure`);

const dir = tempDir('fault-slurm');
const MODEL = path.join(ROOT, 'models/lenet5-mnist-int8.sfm');
// 16 injections from reset (--snapshot-interval 0): slow enough per injection to cancel a task mid-way.
const CAMPAIGN = ['--model', MODEL, '--config', 'tiny', '--sites', 'array.pe[*][*].acc,ctrl.*', '--fault', 'seu', '--samples', '16', '--images', '2', '--seed', '5', '--snapshot-interval', '0'];
const totals = (s: CampaignSummary): unknown => ({ injections: s.injections, outcomes: s.outcomes, criticalRate: s.criticalRate, groups: s.groups, layers: s.layers, params: s.params });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const resultLines = (file: string): number => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').length - 2 : -1);

describe.skipIf(missing.length > 0 && !process.env.CI)('a campaign on a Slurm job array', () => {
  let slurm: SlurmCluster | null = null;
  beforeAll(async () => {
    slurm = await startSlurm(dir);
  }, 60_000);
  afterAll(async () => {
    await slurm?.stop();
  }, 60_000);

  /** Wait until the cluster has no job left (pending or running). */
  const drained = async (what: string): Promise<void> => {
    for (let waited = 0; waited < 150_000; waited += 250) {
      if (slurm!.run('squeue', ['-h', '-o', '%i']).trim() === '') return;
      await sleep(250);
    }
    throw new Error(`Slurm jobs still queued after 150 s (${what}); logs in ${slurm!.dir}/log`);
  };

  it('4 array tasks, one cancelled mid-way and rerun, merge to the totals of the one-machine campaign', async () => {
    const results = path.join(dir, 'results');
    const script = await runCli(['fault', 'slurm-script', ...CAMPAIGN, '--shards', '4', '--out', results, '--job-name', 'sf-ci']);
    expect(script.stderr).toBe('');
    const file = path.join(dir, 'campaign.sbatch');
    fs.writeFileSync(file, script.stdout);
    const submitted = slurm!.run('bash', [file]);
    const [, arrayId, mergeId] = /^array job (\d+), merge job (\d+)$/m.exec(submitted) ?? [];
    expect(arrayId, submitted).toBeDefined();
    // Cancel task 2 as soon as it has written a result (it has 4 to run).
    const shard2 = path.join(results, 'shard-2-of-4.jsonl');
    for (let waited = 0; resultLines(shard2) < 1; waited += 50) {
      if (waited > 120_000) throw new Error(`task 2 wrote no result in 120 s; logs in ${results}`);
      await sleep(50);
    }
    slurm!.run('scancel', [`${arrayId}_2`]);
    await drained('first submission');
    const cut = resultLines(shard2);
    expect(cut).toBeGreaterThanOrEqual(1);
    expect(cut).toBeLessThan(4);
    // The merge job ran after the array (afterany) and names the shard to rerun.
    const mergeLog = fs.readFileSync(path.join(results, `merge-${mergeId}.out`), 'utf8');
    expect(mergeLog).toMatch(/E182: Shards in '.*results' must be all 16 injections of the campaign, not \d+ missing .* in shards 2 of 4/);
    expect(fs.existsSync(path.join(results, 'merged.json'))).toBe(false); // no partial JSON from the failed merge
    expect(fs.existsSync(path.join(results, 'merged.json.tmp'))).toBe(false);
    // Rerun task 2 alone: it resumes its file.
    slurm!.run('sbatch', ['--parsable', '--array=2', file]);
    await drained('rerun of task 2');
    expect(resultLines(shard2)).toBe(4);
    const merged = await runCli(['fault', 'merge', results, '--json']);
    expect(merged.stderr).toBe('');
    const m = JSON.parse(merged.stdout) as MergeResult;
    expect(m).toMatchObject({ shards: 4, samples: 16, injections: 16, complete: true });
    const one = await runCli(['fault', ...CAMPAIGN, '--workers', '1', '--json']);
    expect(totals(m.summary)).toEqual(totals(JSON.parse(one.stdout) as CampaignSummary));
  }, 240_000);
});
