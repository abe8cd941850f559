// Bad and edge input, tried as a new user would (issue 15, item 5): every row is one command line with a
// coded diagnostic, exit 2, no stack trace, no partial output file left behind and no existing file
// changed. Rows build their own files in a temporary directory; campaigns are LeNet-5 on tiny.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32, readModelFile, writeModel } from '../../accel/model.js';
import { ROOT, runCli } from '../support/cli.js';
import { tempDir } from '../support/tools.js';

const dir = tempDir('bad-input');
const MODEL = path.join(ROOT, 'models/lenet5-mnist-int8.sfm');
const at = (name: string): string => path.join(dir, name);
const CAMPAIGN = ['fault', '--model', MODEL, '--config', 'tiny', '--sites', 'array.pe[*][*].acc', '--fault', 'seu', '--images', '1', '--workers', '1'];

/** Files every row may point at; their bytes are compared after each row. */
const USER_FILES: Record<string, string | Uint8Array> = {};

beforeAll(async () => {
  const model = fs.readFileSync(MODEL);
  USER_FILES['notes.txt'] = 'my notes, not a report\n';
  USER_FILES['truncated.sfm'] = model.subarray(0, 100);
  const corrupted = Uint8Array.from(model);
  corrupted[Math.floor(corrupted.length / 2)]! ^= 0xff;
  USER_FILES['corrupted.sfm'] = corrupted;
  const m = readModelFile(MODEL);
  // writeModel refuses two layers of one name (E186), so rename fc2 in the header bytes and re-seal the CRC.
  const dup = Buffer.from(writeModel(m));
  const at2 = dup.indexOf('"fc2"');
  expect(at2).toBeGreaterThan(0);
  dup.write('"fc1"', at2);
  dup.writeUInt32LE(crc32(dup.subarray(0, dup.length - 4)), dup.length - 4);
  USER_FILES['dup.sfm'] = dup;
  USER_FILES['truncated.json'] = '{"preset": "tiny", "rows": ';
  USER_FILES['table.json'] = JSON.stringify({ name: 'mine', mulPJ: { int8: -1, int16: 1 }, addPJ: {}, sramRead64PJ: [], sramWriteFactor: '1', dramAccess64PJ: 1, estimates: [] });
  USER_FILES['foreign.jsonl'] = '{"hello": "world"}\n';
  for (const [name, content] of Object.entries(USER_FILES)) fs.writeFileSync(at(name), content);
  // A finished two-injection campaign, and a copy with one result line whose site the seed would not draw.
  const r = await runCli([...CAMPAIGN, '--samples', '2', '--out', at('done.jsonl')]);
  expect(r.code).toBe(0);
  const lines = fs.readFileSync(at('done.jsonl'), 'utf8').split('\n');
  const line = JSON.parse(lines[1]!) as { fault: { addr: number } };
  line.fault.addr += 1;
  lines[1] = JSON.stringify(line);
  fs.writeFileSync(at('tampered.jsonl'), lines.join('\n'));
  for (const name of ['done.jsonl', 'tampered.jsonl']) USER_FILES[name] = fs.readFileSync(at(name));
}, 60_000);

interface Row {
  readonly what: string;
  readonly args: () => string[];
  readonly code: string;
  readonly message?: RegExp;
  /** Paths (in the temporary directory) that must not exist afterwards. */
  readonly absent?: readonly string[];
}

const ROWS: Row[] = [
  // fault: output paths, all checked before the first injection
  { what: '--report-md onto the results file being resumed', args: () => [...CAMPAIGN, '--samples', '2', '--resume', at('done.jsonl'), '--report-md', at('done.jsonl')], code: 'E185', message: /Markdown report '.*done\.jsonl' must be a file of its own, not the results file/ },
  { what: '--report-html onto the model', args: () => [...CAMPAIGN, '--samples', '2', '--report-html', MODEL], code: 'E185', message: /HTML report '.*lenet5-mnist-int8\.sfm' must be a file of its own, not the model/ },
  { what: '--report-md onto an existing unrelated file', args: () => [...CAMPAIGN, '--samples', '2', '--report-md', at('notes.txt')], code: 'E185', message: /must be a new file, not an existing file\. Hint: choose another path, or add --force/ },
  { what: '--report-md and --report-html onto one file', args: () => [...CAMPAIGN, '--samples', '2', '--report-md', at('r.txt'), '--report-html', at('./r.txt')], code: 'E185', absent: ['r.txt'] },
  { what: 'an unwritable --report-html path (checked before the campaign runs)', args: () => [...CAMPAIGN, '--samples', '2', '--out', at('new.jsonl'), '--report-html', at('no-such-dir/r.html')], code: 'E104', message: /HTML report '.*no-such-dir\/r\.html' must be writable, not failing with ENOENT/, absent: ['new.jsonl', 'no-such-dir'] },
  { what: '--out onto an existing unrelated file', args: () => [...CAMPAIGN, '--samples', '2', '--out', at('notes.txt')], code: 'E157' },
  { what: '--out in a missing directory', args: () => [...CAMPAIGN, '--samples', '2', '--out', at('missing/x.jsonl')], code: 'E104', absent: ['missing'] },
  { what: '--resume of a foreign file', args: () => [...CAMPAIGN, '--samples', '2', '--resume', at('foreign.jsonl')], code: 'E157' },
  { what: '--resume of a tampered result line', args: () => [...CAMPAIGN, '--samples', '2', '--resume', at('tampered.jsonl')], code: 'E184', message: /Result line 2 of '.*tampered\.jsonl' must be injection \d+ as seed 1 draws it/ },
  { what: '--resume with another seed', args: () => [...CAMPAIGN, '--samples', '2', '--seed', '9', '--resume', at('done.jsonl')], code: 'E155' },
  // fault: counts
  { what: '--samples 4294967296 (refused up front with an estimate, no out-of-memory)', args: () => [...CAMPAIGN, '--samples', '4294967296', '--out', at('huge.jsonl')], code: 'E183', message: /must be at most 2,000,000 .*, not 4,294,967,296, estimated .* at this machine's measured set-up speed\. Hint: split it into at least 2,148 shards/, absent: ['huge.jsonl'] },
  { what: '--margin 0.000001', args: () => [...CAMPAIGN, '--margin', '0.000001'], code: 'E183' },
  { what: '--samples 0', args: () => [...CAMPAIGN, '--samples', '0'], code: 'E102' },
  { what: '--samples -5', args: () => [...CAMPAIGN, '--samples', '-5'], code: 'E102' },
  { what: '--samples 4294967297', args: () => [...CAMPAIGN, '--samples', '4294967297'], code: 'E102' },
  { what: '--images 0', args: () => [...CAMPAIGN, '--samples', '2', '--images', '0'], code: 'E102' },
  { what: '--workers 0', args: () => [...CAMPAIGN, '--samples', '2', '--workers', '0'], code: 'E102' },
  { what: '--shard 4/4', args: () => [...CAMPAIGN, '--samples', '2', '--shard', '4/4', '--out', at('sh/')], code: 'E180', absent: ['sh'] },
  { what: '--shard with --out on a read-only file system', args: () => [...CAMPAIGN, '--samples', '2', '--shard', '0/2', '--out', '/proc/splitfuse-shards/'], code: 'E104' },
  { what: '--shard without --out', args: () => [...CAMPAIGN, '--samples', '2', '--shard', '0/2'], code: 'E102' },
  { what: 'fault without --sites', args: () => ['fault', '--model', MODEL, '--fault', 'seu'], code: 'E102', message: /Option '--sites' of 'splitfuse fault' must be given, not left out/ },
  { what: 'fault merge of an empty directory', args: () => ['fault', 'merge', dir.replace(/$/, '/empty-dir-that-is-missing')], code: 'E182' },
  // counts of the other commands
  { what: 'run --images 0', args: () => ['run', '--model', MODEL, '--images', '0'], code: 'E102' },
  { what: 'run --images 99999', args: () => ['run', '--model', MODEL, '--images', '99999'], code: 'E102' },
  { what: 'gemm --m 0', args: () => ['gemm', '--rows', '4', '--cols', '4', '--m', '0', '--k', '4', '--n', '4'], code: 'E102' },
  { what: 'gemm --rows 65', args: () => ['gemm', '--rows', '65', '--cols', '4', '--m', '4', '--k', '4', '--n', '4'], code: 'E102' },
  { what: 'sim --cycles -1', args: () => ['sim', 'counter', '--cycles', '-1'], code: 'E102' },
  { what: 'demo --images 0', args: () => ['demo', '--images', '0', '--out', at('demo-out')], code: 'E102', absent: ['demo-out'] },
  { what: 'cosim accel --images 0', args: () => ['cosim', 'accel', '--model', MODEL, '--config', 'tiny', '--images', '0'], code: 'E147' },
  // configurations
  { what: '--set dataflow=os on the accelerator', args: () => ['run', '--model', MODEL, '--config', 'tiny', '--set', 'dataflow=os', '--images', '1'], code: 'E140', message: /Configuration field 'dataflow' must be 'ws' \(the accelerator's array is weight-stationary/ },
  { what: 'a repeated --set', args: () => ['run', '--model', MODEL, '--config', 'tiny', '--set', 'rows=4', '--set', 'rows=8', '--images', '1'], code: 'E102', message: /Configuration field 'rows' must be set once, not set again by --set rows=8 after --set rows=4/ },
  { what: '--set clockMHz=0', args: () => ['run', '--model', MODEL, '--config', 'tiny', '--set', 'clockMHz=0'], code: 'E140', message: /'clockMHz' must be > 0, not 0/ },
  { what: '--set rows=many', args: () => ['sites', '--config', 'tiny', '--pattern', '*', '--set', 'rows=many'], code: 'E140' },
  { what: '--set accumulatorBufferBytes=64 (too small for the generator: E140, not an internal error)', args: () => ['gen', 'accel', '--model', MODEL, '--config', 'tiny', '--set', 'accumulatorBufferBytes=64', '--out', at('ga/x')], code: 'E140', message: /'accumulatorBufferBytes' must be at least 4 rows per bank \(128 bytes for 4 columns of 32 bits\), not 64/, absent: ['ga'] },
  { what: '--set dramBytesPerCycle=32', args: () => ['run', '--model', MODEL, '--config', 'tiny', '--set', 'dramBytesPerCycle=32'], code: 'E140' },
  { what: 'gen accel of a model the configuration cannot hold leaves no directory', args: () => ['gen', 'accel', '--model', MODEL, '--config', 'tiny', '--set', 'weightBufferBytes=64', '--out', at('gb/x')], code: 'E142', absent: ['gb'] },
  { what: '--set without =', args: () => ['sites', '--config', 'tiny', '--pattern', '*', '--set', 'rows'], code: 'E102' },
  { what: 'a truncated configuration file', args: () => ['run', '--model', MODEL, '--config', at('truncated.json')], code: 'E141' },
  { what: 'an energy table with several problems (all reported)', args: () => ['run', '--model', MODEL, '--config', 'tiny', '--images', '1', '--energy-table', at('table.json')], code: 'E140', message: /'mulPJ\.int8' must be >= 0, not -1[^]*'mulPJ\.int32' must be a number, not missing[^]*'sramWriteFactor' must be a number, not "1"/ },
  // model files
  { what: 'a truncated model file', args: () => ['run', '--model', at('truncated.sfm'), '--config', 'tiny'], code: 'E110' },
  { what: 'a corrupted model file', args: () => ['fault', '--model', at('corrupted.sfm'), '--config', 'tiny', '--sites', '*', '--fault', 'seu'], code: 'E113' },
  { what: 'a model with two layers of one name', args: () => ['run', '--model', at('dup.sfm'), '--config', 'tiny', '--images', '1'], code: 'E186', message: /Layer names of model '.*dup\.sfm' must be unique, not 'fc1' for layers 5 and 6/ },
  // output directories
  { what: 'gen <block> --out onto a file', args: () => ['gen', 'mac', '--out', at('notes.txt')], code: 'E104', message: /Output directory '.*notes\.txt' must be writable, not failing with ENOTDIR/ },
  { what: "gen <block> --out ''", args: () => ['gen', 'mac', '--out', ''], code: 'E104' },
  { what: 'gen <block> --out below a file', args: () => ['gen', 'mac', '--out', at('notes.txt/sub')], code: 'E104' },
  { what: 'gen <block> --out on a read-only file system', args: () => ['gen', 'mac', '--out', '/proc/splitfuse-gen'], code: 'E104' },
  { what: 'gen accel --out onto a file', args: () => ['gen', 'accel', '--model', MODEL, '--config', 'tiny', '--out', at('notes.txt')], code: 'E104' },
  { what: 'demo --out onto a file', args: () => ['demo', '--out', at('notes.txt'), '--images', '1'], code: 'E104' },
];

describe('bad input: a coded diagnostic, exit 2, no stack trace, no partial file, no file clobbered', () => {
  it.each(ROWS.map((r) => [r.what, r] as const))('%s', async (_what, row) => {
    const before = Object.fromEntries(Object.keys(USER_FILES).map((f) => [f, fs.readFileSync(at(f))]));
    const modelBefore = fs.readFileSync(MODEL);
    const r = await runCli(row.args());
    expect(r.stderr).toMatch(new RegExp(`^${row.code}: `));
    if (row.message) expect(r.stderr).toMatch(row.message);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stdout).toBe('');
    for (const [f, bytes] of Object.entries(before)) expect(fs.readFileSync(at(f)).equals(bytes), `${f} changed`).toBe(true);
    expect(fs.readFileSync(MODEL).equals(modelBefore)).toBe(true);
    for (const f of row.absent ?? []) expect(fs.existsSync(at(f)), `${f} left behind`).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});

describe('edge input that is accepted', () => {
  it('--resume of the same model by another path spelling continues the campaign', async () => {
    const other = path.relative(process.cwd(), MODEL).replace(/^/, './');
    const r = await runCli(['fault', '--model', other, ...CAMPAIGN.slice(3), '--samples', '2', '--resume', at('done.jsonl'), '--json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ resumed: 2, ran: 0 });
  });

  it('--report-md onto an existing file with --force replaces it; --workers above the core count warns', async () => {
    const report = at('old-report.md');
    fs.writeFileSync(report, 'old\n');
    const workers = String(os.availableParallelism() * 8);
    const r = await runCli([...CAMPAIGN.slice(0, -2), '--samples', '2', '--workers', workers, '--report-md', report, '--force']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^warning: --workers ${workers} is more than the ${os.availableParallelism()} cores of this machine`));
    expect(fs.readFileSync(report, 'utf8')).toContain('| outcome | count | rate | 95% CI (Wilson) |');
  }, 60_000);
});

describe('a missing C++ toolchain', () => {
  it('cosim with Verilator on PATH but no make is E103 with the install hint, not an internal error', () => {
    const verilator = spawnSync('sh', ['-c', 'command -v verilator'], { encoding: 'utf8' }).stdout.trim();
    if (!verilator) throw new Error('Verilator must be installed for this test (CI installs it)');
    // A PATH with Verilator and the interpreters its script needs, but neither make nor g++.
    const bin = at('bin-without-make');
    fs.mkdirSync(bin);
    for (const tool of ['verilator', 'verilator_bin', 'perl', 'sh', 'env']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) fs.symlinkSync(found, path.join(bin, tool));
    }
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/splitfuse.js'), 'cosim', 'counter', '--cycles', '10'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: bin, SPLITFUSE_CACHE_DIR: at('cache-without-make') },
    });
    expect(r.stderr).toMatch(/E103: make must be installed on PATH to compile the Verilated model, not missing\. Hint: install a C\+\+ toolchain: apt-get install make g\+\+/);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  }, 60_000);
});
