// `splitfuse gen`: build a registered block with validated parameters, write one Verilog file per
// module and a manifest.json that tools (and people) can read without parsing Verilog.
import fs from 'node:fs';
import path from 'node:path';
import { build } from '../hdl/dsl/index.js';
import type { Design } from '../hdl/ir/index.js';
import { clockingOf, topModule } from '../hdl/ir/index.js';
import { writeVerilog } from '../hdl/verilog.js';
import { SPLITFUSE_VERSION } from '../hdl/version.js';
import type { BlockDef, BlockParams } from './blocks.js';
import { findBlock } from './blocks.js';
import { prepareOutDir, writingInto } from './outdir.js';
import { resolveParams } from './params.js';

export interface ManifestPort {
  readonly name: string;
  readonly direction: 'input' | 'output';
  readonly width: number;
  readonly signed: boolean;
}

export interface Manifest {
  /** Name of the top module. */
  readonly top: string;
  /** Verilog files written, relative to the manifest's directory, dependencies first. */
  readonly files: readonly string[];
  /** Ports of the top module, including the implicit clk and rst when it has them. */
  readonly ports: readonly ManifestPort[];
  readonly params: BlockParams;
  /** Name of the block that generated the design. */
  readonly generator: string;
  /** splitfuse version that wrote the files. */
  readonly version: string;
}

export interface Elaborated {
  readonly block: BlockDef;
  readonly params: BlockParams;
  readonly design: Design;
}

/** Look up a block, validate `--set` strings against its schema and build its design (throws DiagnosticError). */
export function elaborateBlock(blockName: string, sets: readonly string[] = []): Elaborated {
  const block = findBlock(blockName);
  const params = resolveParams(block, sets);
  return { block, params, design: build(block.build(params)) };
}

/** The ports of a design's top module as the manifest lists them: clk and rst first, then the declared ports. */
export function topPorts(design: Design): ManifestPort[] {
  const top = topModule(design);
  const clocking = clockingOf(design).get(top.name) ?? { clk: false, rst: false };
  const ports: ManifestPort[] = [];
  if (clocking.clk) ports.push({ name: 'clk', direction: 'input', width: 1, signed: false });
  if (clocking.rst) ports.push({ name: 'rst', direction: 'input', width: 1, signed: false });
  for (const p of top.ports) {
    ports.push({ name: p.name, direction: p.dir === 'in' ? 'input' : 'output', width: p.shape.width, signed: p.shape.signed });
  }
  return ports;
}

export interface GenerateOptions {
  readonly block: string;
  /** `key=value` strings, as given to --set. */
  readonly set?: readonly string[];
  /** Directory for the Verilog files and manifest.json (created when missing). */
  readonly outDir: string;
}

/** Generate a block's Verilog into outDir and return the manifest that was written next to it. */
export function generateBlock(options: GenerateOptions): Manifest {
  const { block, params, design } = elaborateBlock(options.block, options.set ?? []);
  const undo = prepareOutDir('Output directory', options.outDir);
  const written = writingInto('Output directory', options.outDir, () => writeVerilog(design, options.outDir), undo);
  const manifest: Manifest = {
    top: design.top,
    files: written.map((f) => path.basename(f)),
    ports: topPorts(design),
    params,
    generator: block.name,
    version: SPLITFUSE_VERSION,
  };
  writingInto('Output directory', options.outDir, () => fs.writeFileSync(path.join(options.outDir, 'manifest.json'), manifestText(manifest)));
  return manifest;
}

/** JSON of a manifest for people too: one line per port and per file. */
export function manifestText(manifest: Manifest): string {
  const fields = Object.entries(manifest).map(([key, value]) => {
    const text = Array.isArray(value)
      ? value.length === 0
        ? '[]'
        : `[\n${value.map((v) => `    ${JSON.stringify(v)}`).join(',\n')}\n  ]`
      : JSON.stringify(value);
    return `  ${JSON.stringify(key)}: ${text}`;
  });
  return `{\n${fields.join(',\n')}\n}\n`;
}
