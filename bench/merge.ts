// `fault merge` at campaign scale (docs/scale.md): seconds and peak memory of merging N injections.
// A real 4-shard campaign of 8 injections (LeNet-5 on tiny) gives the headers and result lines; each
// shard file is then extended with synthetic lines (copies of its real lines under the shard's other
// indices, so every check of the merge passes) up to N injections in all. The merge runs in a child
// process so that its peak resident memory (getrusage maxRSS) is its own.
//
//   npm run bench:merge -- [--injections 1000000] [--json]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PRESETS } from '../accel/config.js';
import { runCampaign } from '../accel/fault/campaign.js';
import { testImages } from '../accel/mnist.js';
import { readModelFile } from '../accel/model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { injections: { type: 'string', default: '1000000' }, json: { type: 'boolean', default: false } } });
const injections = Number(values.injections);
if (!Number.isSafeInteger(injections) || injections < 8) throw new Error(`--injections must be an integer >= 8, not ${values.injections}`);

const SHARDS = 4;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'splitfuse-bench-merge-'));
try {
  const model = readModelFile(path.join(ROOT, 'models/lenet5-mnist-int8.sfm'));
  for (let s = 0; s < SHARDS; s++) {
    await runCampaign({ model, config: PRESETS.tiny!, images: testImages(2), sites: 'array.pe[*][*].acc', fault: 'seu', seed: 1, samples: 8, workers: 1, shard: { index: s, count: SHARDS }, shardDir: dir });
  }
  let bytes = 0;
  for (let s = 0; s < SHARDS; s++) {
    const file = path.join(dir, `shard-${s}-of-${SHARDS}.jsonl`);
    const [headerText, ...rest] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    const header = JSON.parse(headerText!) as { params: { samples: number } };
    header.params.samples = injections;
    const lines = rest.map((l) => JSON.parse(l) as { i: number });
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, `${JSON.stringify(header)}\n`);
    let batch: string[] = [];
    for (let i = s, k = 0; i < injections; i += SHARDS, k++) {
      batch.push(JSON.stringify({ ...lines[k % lines.length]!, i }));
      if (batch.length === 10_000) {
        fs.writeSync(fd, `${batch.join('\n')}\n`);
        batch = [];
      }
    }
    if (batch.length) fs.writeSync(fd, `${batch.join('\n')}\n`);
    fs.closeSync(fd);
    bytes += fs.statSync(file).size;
  }
  // The merge alone, in its own process (tsx, like bin/splitfuse.js), reporting its time and peak RSS.
  const probe = [
    `const { mergeShards } = await import(${JSON.stringify(path.join(ROOT, 'accel/fault/merge.ts'))});`,
    'const t = performance.now();',
    `const m = mergeShards({ dir: ${JSON.stringify(dir)} });`,
    'console.log(JSON.stringify({ injections: m.injections, complete: m.complete, seconds: (performance.now() - t) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`merge failed: ${r.stderr}`);
  const result = { shards: SHARDS, fileBytes: bytes, ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as { injections: number; complete: boolean; seconds: number; maxRssMB: number }) };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`fault merge of ${result.injections.toLocaleString('en-US')} injections in ${SHARDS} shard files (${(bytes / 1e6).toFixed(0)} MB):`);
    console.log(`  ${result.seconds.toFixed(1)} s, peak resident memory ${result.maxRssMB.toFixed(0)} MB (the merge process, tsx included)`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
