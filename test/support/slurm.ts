// A real single-node Slurm cluster for tests, started by hand (no systemd): munged with its own key and
// socket, slurmctld and slurmd from Debian's packages with a slurm.conf in a temporary directory
// (proctrack/linuxproc, task/none, NodeName = `hostname -s`, CPUs=8 with SlurmdParameters=config_overrides
// so a 2-core machine runs 8 one-CPU tasks). Every daemon is stopped by the pid it wrote.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The programs the cluster needs (Debian: munge, slurmctld, slurmd, slurm-client). */
export const SLURM_PROGRAMS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'sinfo'] as const;

const SEARCH = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin']);

/** The absolute path of a program, or null. */
export function which(program: string): string | null {
  for (const dir of SEARCH) {
    const file = path.join(dir, program);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export const missingSlurmPrograms = (): string[] => SLURM_PROGRAMS.filter((p) => which(p) === null);

export interface SlurmCluster {
  readonly dir: string;
  /** Environment for the client commands (SLURM_CONF). */
  readonly env: NodeJS.ProcessEnv;
  /** Run a client command; throws with its stderr when it fails. */
  run(program: string, args: readonly string[]): string;
  /** Stop slurmd, slurmctld and munged by their pids; waits until they are gone. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number> {
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (fs.existsSync(file)) {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await sleep(100);
  }
  throw new Error(`no pid file ${file} after 10 s`);
}

/** Start munged, slurmctld and slurmd in a fresh directory under `parent`; resolves once the node is idle. */
export async function startSlurm(parent: string): Promise<SlurmCluster> {
  const dir = fs.mkdtempSync(path.join(parent, 'slurm-'));
  const host = os.hostname().split('.')[0]!;
  const port = 20_000 + (process.pid % 5000) * 2;
  for (const d of ['munge', 'state', 'spool', 'log']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  const key = path.join(dir, 'munge/munge.key');
  const pids: number[] = [];
  const stop = async (): Promise<void> => {
    for (const pid of pids.reverse()) {
      if (!alive(pid)) continue;
      process.kill(pid, 'SIGTERM');
      for (let waited = 0; waited < 10_000 && alive(pid); waited += 100) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  };
  const start = async (program: string, args: string[], pidFile: string): Promise<void> => {
    const r = spawnSync(which(program)!, args, { encoding: 'utf8' }); // each daemonizes and writes its pid file
    if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
    pids.push(await readPid(pidFile));
  };
  try {
    const mk = spawnSync(which('mungekey')!, ['--create', `--keyfile=${key}`], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mungekey failed: ${mk.stderr}`);
    fs.chmodSync(key, 0o400);
    const socket = path.join(dir, 'munge/munge.socket');
    await start('munged', [`--key-file=${key}`, `--socket=${socket}`, `--pid-file=${dir}/munge/munged.pid`, `--seed-file=${dir}/munge/seed`, `--log-file=${dir}/log/munged.log`, '--force'], `${dir}/munge/munged.pid`);
    const conf = path.join(dir, 'slurm.conf');
    fs.writeFileSync(
      conf,
      [
        'ClusterName=splitfuse-test',
        `SlurmctldHost=${host}(127.0.0.1)`, // addresses given: no DNS or /etc/hosts entry needed
        `SlurmctldPort=${port}`,
        `SlurmdPort=${port + 1}`,
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        'SlurmUser=root',
        'SlurmdUser=root',
        `StateSaveLocation=${dir}/state`,
        `SlurmdSpoolDir=${dir}/spool`,
        `SlurmctldPidFile=${dir}/slurmctld.pid`,
        `SlurmdPidFile=${dir}/slurmd.pid`,
        `SlurmctldLogFile=${dir}/log/slurmctld.log`,
        `SlurmdLogFile=${dir}/log/slurmd.log`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'MpiDefault=none',
        'ReturnToService=2',
        'SlurmdParameters=config_overrides',
        'MinJobAge=600',
        `NodeName=${host} NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN`,
        `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    await start('slurmctld', ['-f', conf, '-i'], `${dir}/slurmctld.pid`);
    await start('slurmd', ['-f', conf], `${dir}/slurmd.pid`);
    const env = { ...process.env, SLURM_CONF: conf };
    const run = (program: string, args: readonly string[]): string => {
      const r = spawnSync(which(program)!, [...args], { encoding: 'utf8', env });
      if (r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
      return r.stdout;
    };
    for (let waited = 0; ; waited += 250) {
      const state = spawnSync(which('sinfo')!, ['-h', '-o', '%T'], { encoding: 'utf8', env }).stdout.trim();
      if (state === 'idle') break;
      if (waited > 30_000) throw new Error(`the Slurm node is '${state}' after 30 s, not idle; see ${dir}/log`);
      await sleep(250);
    }
    return { dir, env, run, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
