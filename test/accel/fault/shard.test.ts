// Shards (accel/fault/shard.ts): the assignment rule, `--shard i/N`, the job-array variables of Slurm,
// Kubernetes, AWS Batch, LSF and SGE, and the E180 cases; and the job files of accel/fault/cluster.ts.
import { describe, expect, it } from 'vitest';
import { k8sJobManifest, k8sJobYaml, shellWord, slurmScript, toYaml } from '../../../accel/fault/cluster.js';
import { inShard, parseShard, resolveShard, shardFileName, shardSize } from '../../../accel/fault/shard.js';
import { diagnosticOf } from '../../support/cli.js';

describe('shard assignment', () => {
  it('injection k belongs to shard k mod N; the shards partition 0..samples-1 and their sizes add up', () => {
    for (const [samples, count] of [[12, 3], [13, 4], [3, 5], [1, 1], [1000, 7]] as const) {
      const owners = Array.from({ length: samples }, (_, k) => Array.from({ length: count }, (_, i) => i).filter((i) => inShard({ index: i, count }, k)));
      expect(owners.every((o) => o.length === 1)).toBe(true);
      expect(owners.map((o) => o[0])).toEqual(Array.from({ length: samples }, (_, k) => k % count));
      const sizes = Array.from({ length: count }, (_, i) => shardSize({ index: i, count }, samples));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(samples);
      expect(sizes).toEqual(Array.from({ length: count }, (_, i) => owners.filter((o) => o[0] === i).length));
    }
    expect(shardFileName({ index: 2, count: 16 })).toBe('shard-2-of-16.jsonl');
  });

  it('--shard i/N is 0-based; malformed or out-of-range values are E180', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    for (const bad of ['4/4', '1', '-1/4', 'a/b', '0/0', '1/2/3', '']) expect(diagnosticOf(() => parseShard(bad)).code).toBe('E180');
    expect(diagnosticOf(() => parseShard('4/4')).message).toMatch(/E180: Option '--shard' must be i\/N with 0 <= i < N <= 1000000, not '4\/4'\. Hint: shards are numbered from 0/);
  });
});

describe('the shard from the scheduler environment', () => {
  it.each([
    [{ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' }, undefined, { index: 2, count: 4 }],
    [{ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '1' }, 4, { index: 2, count: 4 }], // a rerun of one task: --shards decides
    [{ JOB_COMPLETION_INDEX: '0' }, 3, { index: 0, count: 3 }],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: '5' }, 6, { index: 5, count: 6 }],
    [{ LSB_JOBINDEX: '1', LSB_JOBINDEX_END: '8' }, undefined, { index: 0, count: 8 }],
    [{ SGE_TASK_ID: '8', SGE_TASK_LAST: '8' }, undefined, { index: 7, count: 8 }],
    [{}, undefined, null],
  ] as const)('%j with --shards %s → %j', (env, shards, expected) => {
    expect(resolveShard({ env: { ...env }, ...(shards !== undefined ? { shards } : {}) })).toEqual(expected);
  });

  it('--shard wins over the environment; the bad cases are E180 with the scheduler named', () => {
    expect(resolveShard({ shard: '1/2', env: { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' } })).toEqual({ index: 1, count: 2 });
    const cases: [Parameters<typeof resolveShard>[0], RegExp][] = [
      [{ env: { JOB_COMPLETION_INDEX: '1' } }, /Option '--shards' must be the shard count with JOB_COMPLETION_INDEX set \(Kubernetes Indexed Job\), not left out/],
      [{ env: { JOB_COMPLETION_INDEX: '4' }, shards: 4 }, /Environment variable JOB_COMPLETION_INDEX must be an integer in 0\.\.3 for 4 shards/],
      [{ env: { SGE_TASK_ID: '0' }, shards: 2 }, /Environment variable SGE_TASK_ID must be an integer in 1\.\.2 for 2 shards \(SGE\/UGE array job \(1-based\)\), not '0'/],
      [{ env: { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' } }, /SLURM_ARRAY_TASK_ID must be an integer in 0\.\.1/],
      [{ env: {}, shards: 4 }, /Option '--shards' must be given with a shard index/],
      [{ env: {}, shards: '0' }, /Option '--shards' must be an integer in 1\.\.1000000, not '0'/],
      [{ env: {}, shard: '1/4', shards: 3 }, /Option '--shards' must be 4 as in --shard 1\/4, or left out, not 3/],
    ];
    for (const [options, expected] of cases) {
      const d = diagnosticOf(() => resolveShard(options));
      expect(d.code).toBe('E180');
      expect(d.message).toMatch(expected);
    }
  });
});

describe('job files', () => {
  const base = { campaign: ['--model', '/m/lenet 5.sfm', '--sites', 'array.pe[*][*].acc', '--fault', 'seu', '--samples', '100'], shards: 4, jobName: 'sf-test', cpusPerTask: 2 };

  it('shell words are quoted only when needed', () => {
    expect(shellWord('--samples')).toBe('--samples');
    expect(shellWord('array.pe[*][*].acc')).toBe("'array.pe[*][*].acc'");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });

  it('the sbatch script: a 0-based array of N tasks, the shard command with --shards N, and the afterany merge job', () => {
    const text = slurmScript({ ...base, splitfuse: ['node', '/opt/splitfuse/bin/splitfuse.js'], dir: '/scratch/res', time: '01:00:00', partition: 'cpu', maxRunning: 2 });
    expect(text.startsWith('#!/bin/bash\n')).toBe(true);
    expect(text).toContain('#SBATCH --array=0-3%2\n');
    expect(text).toContain('#SBATCH --cpus-per-task=2\n');
    expect(text).toContain('#SBATCH --time=01:00:00\n');
    expect(text).toContain('#SBATCH --partition=cpu\n');
    expect(text).toContain('#SBATCH --output=/scratch/res/slurm-%A_%a.out\n');
    expect(text).toContain("exec node /opt/splitfuse/bin/splitfuse.js fault --model '/m/lenet 5.sfm' --sites 'array.pe[*][*].acc' --fault seu --samples 100 --workers 2 --shards 4 --out /scratch/res/\n");
    expect(text).toMatch(/sbatch --parsable --dependency=afterany:"\$array" --job-name=sf-test-merge .*--wrap='node \/opt\/splitfuse\/bin\/splitfuse.js fault merge \/scratch\/res --json > \/scratch\/res\/merged.json.tmp && mv \/scratch\/res\/merged.json.tmp \/scratch\/res\/merged.json \|\| \{ rm -f \/scratch\/res\/merged.json.tmp; exit 2; \}'/);
  });

  it('the Kubernetes Indexed Job: completionMode, completions, parallelism, backoffLimitPerIndex, the shard command and the results volume', () => {
    const o = { ...base, image: 'ghcr.io/x/splitfuse:1', splitfuse: ['splitfuse'], parallelism: 2, backoffLimitPerIndex: 3, claim: 'fault-results', mountPath: '/results' };
    const m = k8sJobManifest(o) as { apiVersion: string; kind: string; spec: Record<string, unknown> & { template: { spec: { restartPolicy: string; containers: { image: string; command: string[]; volumeMounts: unknown[] }[]; volumes: unknown[] } } } };
    expect([m.apiVersion, m.kind]).toEqual(['batch/v1', 'Job']);
    expect(m.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 2, backoffLimitPerIndex: 3, maxFailedIndexes: 4 });
    const pod = m.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never'); // required by backoffLimitPerIndex
    expect(pod.containers[0]!.image).toBe('ghcr.io/x/splitfuse:1');
    expect(pod.containers[0]!.command).toEqual(['splitfuse', 'fault', ...base.campaign, '--workers', '2', '--shards', '4', '--out', '/results/']);
    expect(pod.containers[0]!.volumeMounts).toEqual([{ name: 'results', mountPath: '/results' }]);
    expect(pod.volumes).toEqual([{ name: 'results', persistentVolumeClaim: { claimName: 'fault-results' } }]);
    const yaml = k8sJobYaml(o);
    expect(yaml).toContain('  completionMode: "Indexed"\n  completions: 4\n  parallelism: 2\n  backoffLimitPerIndex: 3\n');
    expect(yaml).toContain(`          command: ${JSON.stringify(pod.containers[0]!.command).replace(/","/g, '", "')}\n`);
    expect(yaml).toContain('          persistentVolumeClaim:\n            claimName: "fault-results"\n');
  });

  it('toYaml: nested maps, lists of maps and flow lists of scalars', () => {
    expect(toYaml({ a: 1, b: { c: 'x' }, d: [{ e: 1, f: [1, 'two'] }], g: [] })).toBe('a: 1\nb:\n  c: "x"\nd:\n  - e: 1\n    f: [1, "two"]\ng: []\n');
  });
});
