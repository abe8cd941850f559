// `npm run demo`: the project's main job, end to end. For now: generate the default MAC and counter,
// lint them with Verilator when it is installed, and print a summary. Later issues replace the body
// with LeNet-5 running on the accelerator; the CLI only calls runDemo().
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SPLITFUSE_VERSION } from '../hdl/version.js';
import type { Manifest, ManifestPort } from './generate.js';
import { generateBlock } from './generate.js';

export interface DemoOptions {
  /** Each block is written to its own subdirectory of outDir. */
  readonly outDir: string;
  readonly log: (line: string) => void;
}

export type LintResult = 'clean' | 'skipped (verilator not on PATH)';

export interface DemoBlockResult {
  readonly block: string;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly lint: LintResult;
}

const DEMO_BLOCKS = ['mac', 'counter'] as const;

export function runDemo(options: DemoOptions): DemoBlockResult[] {
  const { outDir, log } = options;
  log(`splitfuse ${SPLITFUSE_VERSION} demo: default blocks -> ${outDir}`);
  const results = DEMO_BLOCKS.map((block) => {
    const dir = path.join(outDir, block);
    const manifest = generateBlock({ block, outDir: dir });
    const lint = lintWithVerilator(dir, manifest);
    log(`  ${block.padEnd(8)} top ${manifest.top.padEnd(14)} files ${manifest.files.join(', ')}`);
    log(`  ${''.padEnd(8)} ports ${manifest.ports.map(portText).join(', ')}`);
    log(`  ${''.padEnd(8)} verilator --lint-only -Wall: ${lint}`);
    return { block, dir, manifest, lint };
  });
  log(`done: ${results.length} blocks; see ${path.join(outDir, '<block>', 'manifest.json')}`);
  return results;
}

function portText(p: ManifestPort): string {
  const dir = p.direction === 'input' ? 'in' : 'out';
  return p.width === 1 && !p.signed ? `${p.name} ${dir}` : `${p.name} ${dir} ${p.signed ? 'SInt' : 'UInt'}(${p.width})`;
}

/** Lint the generated files; a warning is a bug in the emitter, so it fails the demo. */
function lintWithVerilator(dir: string, manifest: Manifest): LintResult {
  const probe = spawnSync('verilator', ['--version'], { encoding: 'utf8' });
  if (probe.error) return 'skipped (verilator not on PATH)';
  const files = manifest.files.map((f) => path.join(dir, f));
  const run = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', manifest.top, ...files], { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`verilator --lint-only -Wall reported problems in ${dir}:\n${run.stdout}${run.stderr}`);
  }
  return 'clean';
}
