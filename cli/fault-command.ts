// The `splitfuse fault` command line: the campaign/sweep itself and its subcommands `merge`,
// `slurm-script` and `k8s-job` (cli/fault.ts, cli/fault-scale.ts). The campaign flags are declared once
// and shared by the job-file generators, which take exactly the flags of the campaign they run.
import type { Command } from 'commander';
import { faultCommand, type FaultCommandOptions } from './fault.js';
import { k8sJobCommand, mergeCommand, slurmScriptCommand, type ClusterCommandOptions, type MergeCommandOptions } from './fault-scale.js';
import type { CliIO } from './main.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The flags that define a campaign (shared by `fault`, `fault slurm-script` and `fault k8s-job`). */
function campaignOptions(cmd: Command): Command {
  return cmd
    .option('--model <file>', 'model file (.sfm), e.g. models/lenet5-mnist-int8.sfm (required)')
    .option('--config <name|file>', 'accelerator preset (tiny, default, large) or JSON configuration file', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable), e.g. --set rows=4', collect, [])
    .option('--sites <pattern>', "fault sites, e.g. 'array.pe[*][*].acc,buf.act.mem' (docs/faults.md; required)")
    .option('--fault <model>', 'seu (transient flip), stuck0 or stuck1 (permanent; required)')
    .option('--samples <n>', 'injections (default: Leveugle sample size from --margin and --confidence)')
    .option('--margin <e>', 'error margin of the sample size (default 0.05)')
    .option('--confidence <c>', 'confidence of the sample size (default 0.95)')
    .option('--images <k>', 'test digits faults are drawn for (1..2004)', '10')
    .option('--seed <s>', 'seed of the fault sampling', '1')
    .option('--bits-per-upset <m>', 'seu: adjacent bits flipped by one upset (MBU when > 1)')
    .option('--snapshot-interval <cycles>', 'golden snapshot interval (0: every injection from reset)')
    .option('--no-early-exit', 'simulate every injection to the end (no early exit on state re-convergence)');
}

export function registerFault(cli: Command, io: CliIO, status: { exitCode: number }): void {
  const fault = campaignOptions(
    cli
      .command('fault')
      .description('fault-injection campaign on the accelerator RTL (outcome rates with 95% CIs, per site group and layer), or with --sweep/--ber a stuck-at accuracy sweep; subcommands merge, slurm-script, k8s-job run it as shards on a cluster (docs/scale.md)')
      .enablePositionalOptions(),
  )
    .option('--workers <n>', 'worker threads (default: all cores)')
    .option('--out <file|dir/>', 'append results as JSON lines to this new file; with shards, the results directory')
    .option('--resume <file>', 'continue the campaign of this results file (same flags)')
    .option('--shard <i/N>', 'run shard i of N (0-based; injection k belongs to shard k mod N) into --out DIR/shard-<i>-of-<N>.jsonl, resuming it')
    .option('--shards <N>', 'the shard count when the index comes from the scheduler (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, LSB_JOBINDEX, SGE_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX)')
    .option('--sweep <k1,k2,...>', 'stuck-at sweep over these fault counts')
    .option('--ber <r1,r2,...>', 'stuck-at sweep over these bit error rates')
    .option('--seeds <n>', 'sweep: fault placements per point', '3')
    .option('--report-md <file>', 'write a Markdown report (a new file)')
    .option('--report-html <file>', 'write a self-contained HTML report with plots (a new file)')
    .option('--force', 'replace existing report files (never the results file or an input)')
    .option('--json', 'print {injections, outcomes, criticalRate, ci95, injectionsPerSecond, groups, layers, ...} (sweep: {points, ...}) as JSON')
    .addHelpText(
      'after',
      "\nExamples:\n  splitfuse fault --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].acc' --fault seu --samples 200 --out seu.jsonl\n  splitfuse fault --model models/lenet5-mnist-int8.sfm --resume seu.jsonl --sites 'array.pe[*][*].acc' --fault seu --samples 200\n  splitfuse fault --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].acc' --fault seu --samples 100000 --shard 3/16 --out results/\n  splitfuse fault merge results/\n  splitfuse fault --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].weight' --fault stuck1 --sweep 0,1,4,16 --seeds 3 --report-html sweep.html",
    )
    .action(async (opts: FaultCommandOptions) => {
      status.exitCode = await faultCommand(opts, io);
    });

  fault
    .command('merge')
    .description('merge the shard files of a campaign directory: drop duplicate injections, check every shard ran the same campaign, list missing injections and the shards to rerun, print the summary')
    .argument('<dir>', 'the --out DIR/ of the shards')
    .option('--partial', 'summarize what is there even when injections are missing (default: E182 with the shards to rerun)')
    .option('--json', 'print {files, shards, samples, injections, duplicates, complete, missing, missingIndices, rerunShards, summary} as JSON')
    .action((dir: string, opts: MergeCommandOptions) => {
      status.exitCode = mergeCommand(dir, opts, io);
    });

  campaignOptions(
    fault
      .command('slurm-script')
      .description('print an sbatch job-array script that runs the campaign as --shards N tasks, plus a dependent merge job (bash campaign.sbatch submits both)'),
  )
    .option('--shards <N>', 'array tasks (shards)')
    .option('--out <dir>', 'the results directory on a file system every node mounts')
    .option('--cpus-per-task <n>', 'CPUs (worker threads) per task', '1')
    .option('--time <limit>', 'time limit per task, e.g. 02:00:00')
    .option('--partition <name>', 'Slurm partition')
    .option('--max-running <k>', 'array tasks running at once (--array=0-(N-1)%k)')
    .option('--job-name <name>', 'job name', 'splitfuse-fault')
    .option('--splitfuse <command>', 'how the nodes start splitfuse (default: this installation, node bin/splitfuse.js)')
    .addHelpText('after', "\nExample:\n  splitfuse fault slurm-script --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].acc' --fault seu --samples 100000 --shards 16 --out results/ > campaign.sbatch && bash campaign.sbatch")
    .action((opts: ClusterCommandOptions) => {
      status.exitCode = slurmScriptCommand(opts, io);
    });

  campaignOptions(
    fault
      .command('k8s-job')
      .description('print a Kubernetes Indexed Job (completionMode: Indexed) that runs the campaign as --shards N pods writing to a shared volume'),
  )
    .option('--shards <N>', 'completions (shards)')
    .option('--image <image>', 'container image with splitfuse installed')
    .option('--parallelism <p>', 'pods running at once (default min(N, 16))')
    .option('--backoff-limit-per-index <k>', 'retries of one index (default 3)')
    .option('--claim <pvc>', 'PersistentVolumeClaim of the results (default <job-name>-results)')
    .option('--mount-path <dir>', 'where the results volume is mounted in the pods', '/results')
    .option('--cpus-per-task <n>', 'CPUs (worker threads) per pod', '1')
    .option('--job-name <name>', 'job name', 'splitfuse-fault')
    .option('--splitfuse <command>', 'how the image starts splitfuse (default: splitfuse)')
    .addHelpText('after', "\nExample:\n  splitfuse fault k8s-job --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].acc' --fault seu --samples 100000 --shards 16 --image ghcr.io/you/splitfuse:0.1.0 > job.yaml")
    .action((opts: ClusterCommandOptions) => {
      status.exitCode = k8sJobCommand(opts, io);
    });
}
