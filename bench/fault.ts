// Fault-campaign benchmark (DESIGN.md §12): injections per second of one campaign run twice on one
// thread, with golden snapshots + early exit (the default) and with full re-simulation from reset
// (snapshotInterval 0, no early exit), side by side with the speed-up. Both inject the same faults
// (same seed); the benchmark fails (exit status 1) unless every injection has the same outcome and
// prediction in every run, which is what makes the shortcut legitimate. Simulated cycles are printed
// too: unlike the rates they do not depend on the load of the machine.
//
//   npm run bench:fault -- [--config default] [--sites PATTERN] [--fault seu] [--samples 100] [--images 4] [--seed 1] [--repeat 3] [--json]
//
// With --repeat K (default 3) both run K times, alternating, and the fastest run of each counts.
// Timed: the injection phase of each campaign (CampaignSummary.seconds); set-up (the golden runs and
// their snapshots; the simulator is compiled once before both) is printed separately.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../accel/config.js';
import { runCampaign, type CampaignSummary, type ResultLine } from '../accel/fault/campaign.js';
import { FAULT_MODELS, type FaultModel } from '../accel/fault/types.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';
import { compile as compileModel } from '../accel/compiler.js';
import { accelMachine } from '../accel/run.js';

export const DEFAULT_BENCH_SITES = 'array.pe[*][*].acc,array.pe[*][*].weight';

interface BenchArgs {
  config: string;
  sites: string;
  fault: FaultModel;
  samples: number;
  images: number;
  seed: number;
  repeat: number;
  json: boolean;
}

function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', default: 'default' },
      sites: { type: 'string', default: DEFAULT_BENCH_SITES },
      fault: { type: 'string', default: 'seu' },
      samples: { type: 'string', default: '100' },
      images: { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      repeat: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, not '${text}'`);
    return n;
  };
  if (!(FAULT_MODELS as readonly string[]).includes(values.fault)) throw new RangeError(`--fault must be one of ${FAULT_MODELS.join(', ')}, not '${values.fault}'`);
  return { config: values.config, sites: values.sites, fault: values.fault as FaultModel, samples: int('samples', values.samples, 1), images: int('images', values.images, 1), seed: int('seed', values.seed, 0), repeat: int('repeat', values.repeat, 1), json: values.json };
}

/** The per-injection outcome and prediction of a results file, by index. */
function outcomesOf(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as ResultLine)
    .sort((a, b) => a.i - b.i)
    .map((r) => `${r.i}:${r.outcome}:${r.predicted}`);
}

const perSecondWithSetup = (s: CampaignSummary): number => s.ran / (s.seconds + s.setupSeconds);

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const log = (line: string): void => (args.json ? console.error(line) : console.log(line));
  const model = readModelFile(new URL('../models/lenet5-mnist-int8.sfm', import.meta.url).pathname);
  const config = resolveConfig({ config: args.config });
  const images = testImages(args.images);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fault-'));
  const common = { model, config, images, sites: args.sites, fault: args.fault, seed: args.seed, samples: args.samples, workers: 1 };
  // Compile the simulator once up front, so neither run's set-up includes it (accelMachine caches it).
  accelMachine(config, compileModel(model, config).sizes);
  log(`LeNet-5 on '${config.name}': ${args.samples} ${args.fault} injections in '${args.sites}', ${args.images} images, seed ${args.seed}, one thread`);
  type Run = { summary: CampaignSummary; outcomes: string[] };
  const engines = [
    ['snapshots + early exit', {}],
    ['full re-simulation', { snapshotInterval: 0, earlyExit: false }],
  ] as const;
  const runs: Run[][] = [[], []];
  for (let k = 0; k < args.repeat; k++) {
    for (const [e, [name, engine]] of engines.entries()) {
      const file = path.join(dir, `${k}-${e}.jsonl`);
      const summary = await runCampaign({ ...common, ...engine, out: file });
      runs[e]!.push({ summary, outcomes: outcomesOf(file) });
      log(`  run ${k + 1}/${args.repeat}, ${name}: ${summary.injectionsPerSecond.toFixed(2)} injections/s (${summary.seconds.toFixed(1)} s, set-up ${summary.setupSeconds.toFixed(1)} s, ${summary.earlyExits} early exits)`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  // The fastest run of each engine counts: the least disturbed by other load on the machine.
  const fastest = (rs: Run[]): Run => rs.reduce((a, b) => (b.summary.injectionsPerSecond > a.summary.injectionsPerSecond ? b : a));
  const fast = fastest(runs[0]!);
  const full = fastest(runs[1]!);
  const bestWithSetup = (rs: Run[]): number => Math.max(...rs.map((r) => perSecondWithSetup(r.summary)));
  const agree = runs.flat().every((r) => JSON.stringify(r.outcomes) === JSON.stringify(fast.outcomes));
  const result = {
    config: config.name,
    sites: args.sites,
    fault: args.fault,
    samples: args.samples,
    images: args.images,
    seed: args.seed,
    repeat: args.repeat,
    snapshotsPerSecond: Number(fast.summary.injectionsPerSecond.toFixed(3)),
    fullPerSecond: Number(full.summary.injectionsPerSecond.toFixed(3)),
    speedup: Number((fast.summary.injectionsPerSecond / full.summary.injectionsPerSecond).toFixed(2)),
    // With set-up (golden runs, snapshots) included: what a campaign of this size costs end to end.
    endToEndPerSecond: { snapshots: Number(bestWithSetup(runs[0]!).toFixed(3)), full: Number(bestWithSetup(runs[1]!).toFixed(3)) },
    earlyExits: fast.summary.earlyExits,
    simulatedCycles: { snapshots: fast.summary.simulatedCycles, full: full.summary.simulatedCycles },
    setupSeconds: { snapshots: Number(fast.summary.setupSeconds.toFixed(2)), full: Number(full.summary.setupSeconds.toFixed(2)) },
    outcomes: fast.summary.outcomes,
    outcomesAgree: agree,
    node: process.version,
  };
  if (args.json) console.log(JSON.stringify(result));
  else {
    console.log(`                          injections/s   with set-up   simulated cycles`);
    console.log(`snapshots + early exit:   ${result.snapshotsPerSecond.toFixed(2).padStart(12)}   ${result.endToEndPerSecond.snapshots.toFixed(2).padStart(11)}   ${result.simulatedCycles.snapshots.toLocaleString('en-US').padStart(16)}`);
    console.log(`full re-simulation:       ${result.fullPerSecond.toFixed(2).padStart(12)}   ${result.endToEndPerSecond.full.toFixed(2).padStart(11)}   ${result.simulatedCycles.full.toLocaleString('en-US').padStart(16)}`);
    console.log(`speed-up:                 ${result.speedup.toFixed(2).padStart(12)}x`);
    console.log(`outcomes per injection:   ${agree ? 'identical' : 'DIFFER'} (${Object.entries(result.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  }
  if (!agree) process.exitCode = 1;
}

// Run only as a program (npm run bench:fault), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  });
}
