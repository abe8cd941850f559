// The splitfuse command line: a thin layer over library functions (cli/generate.ts, cli/demo.ts, ...).
// Every failure the user can fix is a diagnostic with a code, printed to stderr with exit code 2;
// stack traces appear only with SPLITFUSE_DEBUG=1.
import { Command, CommanderError } from 'commander';
import type { Diagnostic } from '../hdl/diagnostics.js';
import { DiagnosticError, msg, renderDiagnostics } from '../hdl/diagnostics.js';
import { SPLITFUSE_VERSION } from '../hdl/version.js';
import { ACCEL_TARGET, genAccelCommand, rejectOptions, type GenCommandOptions } from './accel.js';
import { BLOCKS } from './blocks.js';
import { cosimCommand } from './cosim.js';
import { registerFault } from './fault-command.js';
import { runDemo } from './demo.js';
import { gemmCommand, type GemmCommandOptions } from './gemm.js';
import { generateBlock, manifestText } from './generate.js';
import { importCommand, type ImportCommandOptions } from './import.js';
import { paramInfo, paramTypeText } from './params.js';
import { runCommand, type RunCommandOptions } from './run.js';
import { fuseExploreCommand, type FuseExploreOptions } from './fuse.js';
import { simCommand } from './sim.js';
import { sitesCommand, type SitesCommandOptions } from './sites.js';
import { nvfCommand, type NvfCommandOptions } from './nvf.js';
import { compareCommand, protectCommand, type CompareCommandOptions, type ProtectCommandOptions } from './protect.js';
import { synthCommand, type SynthCommandOptions } from './synth.js';

export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** A terminal for progress bars; absent when stderr is not a TTY or under CI (and in tests). */
  readonly progressStream?: NodeJS.WriteStream;
}

const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  ...(process.stderr.isTTY && !process.env.CI ? { progressStream: process.stderr } : {}),
};

/** Exit codes: 0 success, 1 internal error (a bug in splitfuse) or a cosim mismatch, 2 a diagnostic the user can act on. */
export const EXIT_DIAGNOSTIC = 2;
export const EXIT_INTERNAL = 1;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `status.exitCode` is what main() returns after a command ran without throwing (cosim: 1 on a mismatch). */
function program(io: CliIO, status: { exitCode: number }): Command {
  const cli = new Command('splitfuse')
    .description('Design and evaluate reliable quantized-NN accelerators: hardware DSL, Verilog, simulation, fault injection.')
    .version(SPLITFUSE_VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} })
    .showSuggestionAfterError(false)
    .enablePositionalOptions(); // options after a command are its own (`fault merge DIR --json`)

  cli
    .command('gen')
    .description('generate the Verilog of a block (one file per module) and DIR/manifest.json; for accel also $readmemh files and a self-checking testbench')
    .argument('<block>', `block to generate: ${BLOCKS.map((b) => b.name).join(', ')}, or ${ACCEL_TARGET} (the accelerator running a model)`)
    .option('--set <key=value>', 'set a block parameter, or for accel a configuration field (repeatable); see "splitfuse blocks"', collect, [])
    .requiredOption('--out <dir>', 'output directory (created when missing)')
    .option('--json', 'print the manifest as JSON instead of a summary')
    .option('--model <file>', 'accel: the quantized model file (e.g. models/lenet5-mnist-int8.sfm)')
    .option('--config <name|file>', 'accel: configuration preset (tiny, default, large) or JSON file')
    .option('--image <k>', 'accel: index of the MNIST test digit the testbench runs (default 0)')
    .addHelpText('after', '\nExamples:\n  splitfuse gen mac --set width=16 --set signed=false --out out/mac\n  splitfuse gen counter --out out/counter\n  splitfuse gen accel --model models/lenet5-mnist-int8.sfm --config default --out out/accel')
    .action((block: string, opts: GenCommandOptions) => {
      if (block === ACCEL_TARGET) {
        genAccelCommand(opts, io);
        return;
      }
      rejectOptions('gen', block, { '--model': opts.model !== undefined, '--config': opts.config !== undefined, '--image': opts.image !== undefined }, "'splitfuse gen accel'", 'a block takes --set only; the accelerator takes --model, --config and --image');
      const manifest = generateBlock({ block, set: opts.set, outDir: opts.out });
      if (opts.json) {
        io.stdout(manifestText(manifest));
        return;
      }
      const params = Object.entries(manifest.params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
      io.stdout(`${block} (${params}) -> top module ${manifest.top}\n`);
      for (const f of [...manifest.files, 'manifest.json']) io.stdout(`  wrote ${opts.out}/${f}\n`);
    });

  cli
    .command('blocks')
    .description('list the blocks "splitfuse gen" can build, with their parameters')
    .option('--json', 'print the list as JSON')
    .action((opts: { json?: boolean }) => {
      const blocks = BLOCKS.map((b) => ({ name: b.name, summary: b.summary, params: paramInfo(b) }));
      if (opts.json) {
        io.stdout(`${JSON.stringify(blocks, null, 2)}\n`);
        return;
      }
      for (const b of blocks) {
        io.stdout(`${b.name}  ${b.summary}\n`);
        for (const p of b.params) {
          const dflt = p.default === undefined ? '' : `, default ${String(p.default)}`;
          io.stdout(`  --set ${`${p.name}=<${paramTypeText(p)}>`.padEnd(26)} ${p.description}${dflt}\n`);
        }
      }
    });

  cli
    .command('demo')
    .description('generate the default accelerator, lint it with Verilator when present, run LeNet-5 on test digits on its RTL and summarise accuracy, cycles, utilisation, energy (exit 1 on a golden mismatch)')
    .option('--out <dir>', 'output directory for the Verilog and manifest.json', 'out/demo')
    .option('--images <n>', 'test digits to run (1..2004)', '32')
    .action((opts: { out: string; images: string }) => {
      const demo = runDemo({ outDir: opts.out, images: opts.images, log: (line) => io.stdout(`${line}\n`) });
      status.exitCode = demo.report.goldenMismatches === 0 ? 0 : 1;
    });

  cli
    .command('sim')
    .description('simulate a block with the compiled simulator on seeded random stimulus; print speed and final outputs')
    .argument('<block>', `block to simulate: ${BLOCKS.map((b) => b.name).join(', ')}`)
    .option('--set <key=value>', 'set a block parameter (repeatable); see "splitfuse blocks"', collect, [])
    .option('--cycles <n>', 'clock cycles to simulate', '1000')
    .option('--seed <s>', 'seed of the random stimulus (reset is high in cycle 0)', '1')
    .option('--vcd <file>', 'write a VCD of every port and register')
    .option('--json', 'print {block, params, cycles, seed, outputs, cyclesPerSec, vcd} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse sim mac --set width=16 --cycles 100000\n  splitfuse sim counter --cycles 50 --vcd counter.vcd')
    .action((block: string, opts: { set: string[]; cycles: string; seed: string; vcd?: string; json?: boolean }) => {
      simCommand(block, opts, io);
    });

  cli
    .command('cosim')
    .description('co-simulate a block, or the accelerator running a model, in Verilator and the compiled simulator; exit 1 on any mismatch')
    .argument('<block>', `block to co-simulate: ${BLOCKS.map((b) => b.name).join(', ')}, or ${ACCEL_TARGET}`)
    .option('--set <key=value>', 'set a block parameter, or for accel a configuration field (repeatable); see "splitfuse blocks"', collect, [])
    .option('--cycles <n>', 'blocks: clock cycles to compare (default 1000)')
    .option('--seed <s>', 'blocks: seed of the random stimulus, reset is high in cycle 0 (default 1)')
    .option('--registers', "also compare every register every cycle (from Verilator's VCD trace)")
    .option('--json', 'print {block, cycles, mismatches, simulator, firstMismatch, ...} as JSON (accel: plus cyclesPerImage, images)')
    .option('--model <file>', 'accel: the quantized model file (e.g. models/lenet5-mnist-int8.sfm)')
    .option('--config <name|file>', 'accel: configuration preset (tiny, default, large) or JSON file')
    .option('--images <n>', 'accel: run MNIST test digits 0..n-1, each from reset to done (default 1)')
    .addHelpText('after', '\nExamples:\n  splitfuse cosim mac --set width=16 --cycles 10000\n  splitfuse cosim counter --registers --json\n  splitfuse cosim accel --model models/lenet5-mnist-int8.sfm --config tiny --images 1')
    .action(async (target: string, opts: { set: string[]; cycles?: string; seed?: string; registers?: boolean; json?: boolean; model?: string; config?: string; images?: string }) => {
      status.exitCode = await cosimCommand(target, opts, io);
    });

  cli
    .command('synth')
    .description('synthesize a block, or the accelerator running a model, for an FPGA with Yosys and print its LUT/FF/DSP/BRAM use and cell types')
    .argument('<block>', `block to synthesize: ${BLOCKS.map((b) => b.name).join(', ')}, or ${ACCEL_TARGET}`)
    .option('--set <key=value>', 'set a block parameter, or for accel a configuration field (repeatable); see "splitfuse blocks"', collect, [])
    .requiredOption('--target <family>', 'FPGA family: xc7, ice40, ecp5 or gowin')
    .option('--model <file>', 'accel: the quantized model file whose program fills the table ROMs')
    .option('--config <name|file>', 'accel: configuration preset (tiny, default, large) or JSON file')
    .option('--fuse <groups>', 'accel: compile the program with these fusion groups (auto, none or L1-L2,L3+L4[:T], as for run --fuse)')
    .option('--part <name>', 'a named part of the target (xc7a35t, xc7a100t, xc7a200t, up5k, hx8k, hx1k, LFE5U-25F, LFE5U-45F, LFE5U-85F): print its utilisation and whether the design fits')
    .option('--pnr', 'ice40: place and route with nextpnr-ice40 on --part (default up5k), print Fmax and write a bitstream')
    .option('--seed <n>', '--pnr: placer seed (default 1)')
    .option('--freq <MHz>', '--pnr: target clock frequency for nextpnr (default 12)')
    .option('--out <dir>', '--pnr: directory for the netlist, placed design, report, log and bitstream (default out/pnr/<top>-<part>)')
    .option('--yosys <engine>', 'auto (the system yosys when on PATH, else WebAssembly), system, or wasm (the WebAssembly Yosys of @yowasp/yosys)')
    .option('--json', 'print {block, params, target, top, lut, ff, dsp, bram, ..., cells, yosys, fit?, pnr?} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse synth mac --target xc7\n  splitfuse synth mac --set width=16 --target ice40 --json\n  splitfuse synth mac --target ice40 --pnr --part up5k\n  splitfuse synth accel --model models/lenet5-mnist-int8.sfm --config tiny --target xc7 --part xc7a35t')
    .action(async (block: string, opts: SynthCommandOptions) => {
      await synthCommand(block, opts, io);
    });

  cli
    .command('gemm')
    .description('run a seeded random C = A·B on a generated systolic array; print cycles, the formula, utilisation, bit-exactness (exit 1 if not exact)')
    .requiredOption('--rows <R>', 'array rows')
    .requiredOption('--cols <C>', 'array columns')
    .requiredOption('--m <M>', 'rows of A and C')
    .requiredOption('--k <K>', 'columns of A, rows of B')
    .requiredOption('--n <N>', 'columns of B and C')
    .option('--dtype <type>', 'operand type: int8 or int16', 'int8')
    .option('--dataflow <df>', 'ws (weight-stationary) or os (output-stationary)', 'ws')
    .option('--double-buffer', 'ws: double-buffered weights (loading overlaps streaming)')
    .option('--seed <s>', 'seed of the random matrices', '1')
    .option('--json', 'print {shape, array, cycles, predictedCycles, utilization, bitExact, ...} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse gemm --rows 8 --cols 8 --m 64 --k 64 --n 64 --double-buffer\n  splitfuse gemm --rows 4 --cols 4 --m 10 --k 9 --n 9 --dataflow os --json')
    .action((opts: GemmCommandOptions) => {
      status.exitCode = gemmCommand(opts, io);
    });

  cli
    .command('run')
    .description('run a quantized model on the accelerator RTL digit by digit; check it bit-exactly against the golden model; print accuracy, cycles, utilisation, DRAM bytes, energy (exit 1 on a mismatch)')
    .requiredOption('--model <file>', 'model file (.sfm), e.g. models/lenet5-mnist-int8.sfm')
    .option('--config <name|file>', 'accelerator preset (tiny, default, large) or JSON configuration file', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable), e.g. --set rows=4', collect, [])
    .option('--images <n>', 'test digits to run (1..2004)', '100')
    .option('--offset <k>', 'first test digit', '0')
    .option('--random-inputs <n>', 'run n seeded random int8 inputs instead of MNIST digits (models without a data set)')
    .option('--seed <s>', 'seed of --random-inputs', '1')
    .option('--batch <b>', 'run b images per program (fc layers as GEMMs with M = b) with the weights resident on chip across batches (the first batch loads them)')
    .option('--no-prefetch', "with --batch: each batch LOADs its own inputs (default: the previous batch prefetches them into the activation buffer's top)")
    .option('--energy-table <file>', 'JSON energy table (fields of HOROWITZ_45NM in accel/energy.ts)')
    .option('--fuse <spec>', "fusion groups: auto, none (every feature map through DRAM) or layers 'L1-L2,L3+L4[:T]'; runs fused and layer by layer and compares (docs/fusion.md)")
    .option('--fuse-buffer-bytes <n>', 'on-chip bytes (line buffers + staging) a fusion group may use, with --fuse')
    .option('--json', 'print {images, accuracy, cyclesPerImage, layers, dramBytes, energyPJ, goldenMismatches, ...} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse run --model models/lenet5-mnist-int8.sfm --config default --images 100\n  splitfuse run --model models/lenet5-mnist-int8.sfm --config tiny --set dramBytesPerCycle=16 --images 20 --json\n  splitfuse run --model models/cifar10-cnn-random-int8.sfm --config default --random-inputs 4 --seed 7\n  splitfuse run --model models/lenet5-mnist-int8.sfm --config default --images 16 --batch 8\n  splitfuse run --model models/cifar10-cnn-random-int8.sfm --config default --random-inputs 2 --fuse auto')
    .action((opts: RunCommandOptions) => {
      status.exitCode = runCommand(opts, io);
    });

  cli
    .command('fuse-explore')
    .description('the fused-layer trade-off: DRAM bytes per image (feature maps, weights) against the on-chip line-buffer budget, the planner run for a sweep of budgets (docs/fusion.md)')
    .requiredOption('--model <file>', 'model file (.sfm), e.g. models/cifar10-cnn-random-int8.sfm')
    .option('--config <name|file>', 'accelerator preset (tiny, default, large) or JSON configuration file', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable)', collect, [])
    .option('--budgets <list>', 'comma-separated budgets in bytes (default: powers of two from 1024, then unlimited)')
    .option('--no-machine-limits', "groups need not fit the configuration's activation buffers (the dataflow's own figures)")
    .option('--report-html <file>', 'write an HTML report with the trade-off plot (SVG)')
    .option('--json', 'print {model, config, layerByLayer, points: [{budget, onChipBytes, groups, traffic}]} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse fuse-explore --model models/cifar10-cnn-random-int8.sfm --config default\n  splitfuse fuse-explore --model models/vgg16-prefix224-random-int8.sfm --config large --no-machine-limits --report-html out/vgg-fusion.html')
    .action((opts: FuseExploreOptions) => {
      status.exitCode = fuseExploreCommand(opts, io);
    });

  registerFault(cli, io, status);

  cli
    .command('import')
    .description('import a statically quantized ONNX model in QDQ form (QuantizeLinear/DequantizeLinear around Conv, Gemm, MatMul, Relu, MaxPool, AveragePool, Flatten) as a splitfuse model file')
    .argument('<format>', "the input format: 'onnx'")
    .argument('<file>', 'the .onnx file')
    .requiredOption('--out <file>', 'the model file to write (.sfm); written only when the whole import succeeds')
    .option('--name <name>', "model name (default: the ONNX graph's name)")
    .option('--json', 'print {file, out, model, formatVersion, bytes, macs, activationType, weightGranularity, producer, opset, layers} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse import onnx test/fixtures/onnx/lenet5-qdq-u8.onnx --out lenet5-onnx.sfm\n  splitfuse import onnx model.onnx --out model.sfm --name my-cnn --json')
    .action((format: string, file: string, opts: ImportCommandOptions) => {
      importCommand(format, file, opts, io);
    });

  cli
    .command('sites')
    .description('list the fault sites a pattern selects on an accelerator configuration: name, kind, width × depth, bits, group; totals per group')
    .requiredOption('--pattern <p>', "site pattern, e.g. 'array.pe[*][*].acc', 'buf.act.mem', 'ctrl.*', '*' (docs/faults.md)")
    .option('--config <name|file>', 'accelerator preset (tiny, default, large) or JSON configuration file', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable), e.g. --set rows=4', collect, [])
    .option('--model <file>', 'model file (.sfm); sizes the program tables (default models/lenet5-mnist-int8.sfm)')
    .option('--json', 'print {config, model, pattern, sites, totals} as JSON')
    .addHelpText('after', "\nExamples:\n  splitfuse sites --config tiny --pattern 'array.pe[*][*].acc'\n  splitfuse sites --pattern '*' --json")
    .action((opts: SitesCommandOptions) => {
      sitesCommand(opts, io);
    });

  cli
    .command('protect')
    .description('protect the most vulnerable neurons (NVF) of a model: split (neuron splitting), dup (duplication) or tmr; writes a protected model whose fault-free logits equal the original')
    .requiredOption('--model <file>', 'unprotected model file (.sfm), e.g. models/lenet5-mnist-int8.sfm')
    .requiredOption('--scheme <s>', 'split, dup or tmr')
    .option('--ratio <p>', 'fraction (0, 1] of each chosen layer\'s neurons, most vulnerable first')
    .option('--top <k>', 'or: the k most vulnerable neurons over the chosen layers')
    .option('--layers <a,b>', 'conv2d/fc layers to protect (default all)')
    .option('--nvf <file>', 'the ranking from `splitfuse nvf --json` (default: computed now)')
    .option('--nvf-images <n>', 'test digits of the NVF analysis when computed', '100')
    .option('--seed <s>', 'seed of the NVF pixel sampling', '1')
    .option('--config <name|file>', 'accelerator the protected model must fit (with protection=<scheme>)', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable)', collect, [])
    .option('--verify <n>', 'test digits on which the fault-free logits must equal the original model\'s', '2004')
    .requiredOption('--out <file>', 'protected model file to write (.sfm); never overwrites without --force')
    .option('--force', 'replace an existing --out file')
    .option('--json', 'print {model, protectedModel, scheme, selected, addedChannels, verified, ...} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse protect --model models/lenet5-mnist-int8.sfm --scheme split --ratio 0.1 --out out/lenet5-split.sfm\n  splitfuse run --model out/lenet5-split.sfm --config default --set protection=split --images 100')
    .action((opts: ProtectCommandOptions) => {
      protectCommand(opts, io);
    });

  cli
    .command('compare')
    .description('compare protection schemes on the RTL: the same faults on the unprotected model and on split/dup/tmr variants; critical/SDC rates with 95% intervals, cycles, energy and (with --synth) FPGA resources')
    .requiredOption('--model <file>', 'unprotected model file (.sfm)')
    .option('--config <name|file>', 'accelerator preset or JSON file (its protection is set per variant)', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable)', collect, [])
    .option('--schemes <list>', 'variants among none, split, dup, tmr', 'none,dup,tmr,split')
    .option('--ratios <list>', 'fractions of each layer\'s neurons to protect', '0.05,0.1,0.2')
    .option('--layers <a,b>', 'conv2d/fc layers to protect (default all)')
    .option('--sites <p>', "'neurons', 'neurons:fc1,fc2' (accumulator upsets of those layers' neurons) or a fault-site pattern such as 'array.pe[*][*].acc'", 'neurons')
    .option('--fault <m>', 'seu, stuck0 or stuck1', 'seu')
    .option('--samples <n>', 'faults per variant', '1000')
    .option('--images <n>', 'test digits the faults draw from', '20')
    .option('--seed <s>', 'seed of the faults and of the NVF sampling', '1')
    .option('--nvf <file>', 'the ranking from `splitfuse nvf --json` (default: computed now)')
    .option('--nvf-images <n>', 'test digits of the NVF analysis when computed', '100')
    .option('--synth <config>', 'also synthesize every variant\'s accelerator of this configuration (e.g. tiny) with Yosys for xc7')
    .option('--report-html <file>', 'write a self-contained HTML report with the resilience-vs-overhead plot')
    .option('--report-md <file>', 'write the table as Markdown')
    .option('--force', 'replace existing report files')
    .option('--json', 'print {model, config, variants: [{label, outcomes, critical, sdc, corrected, cyclesPerImage, energyPerImageUJ, resources, ...}], ...} as JSON')
    .addHelpText('after', "\nExamples:\n  splitfuse compare --model models/lenet5-mnist-int8.sfm --config default --samples 1000 --report-html out/compare.html\n  splitfuse compare --model models/lenet5-mnist-int8.sfm --sites 'array.pe[*][*].acc' --fault stuck1 --samples 200 --ratios 0.2")
    .action(async (opts: CompareCommandOptions) => {
      await compareCommand(opts, io);
    });

  cli
    .command('nvf')
    .description("Neuron Vulnerability Factor (DeepVigor-style) of every output channel of every conv2d/fc layer, with a ranking; optionally checked against single-bit accumulator flips on the RTL")
    .requiredOption('--model <file>', 'model file (.sfm), e.g. models/lenet5-mnist-int8.sfm')
    .option('--images <n>', 'test digits to analyse (1..2004)', '100')
    .option('--offset <k>', 'first test digit', '0')
    .option('--seed <s>', 'seed of the conv pixel sampling and of the RTL flips', '1')
    .option('--pixels <p>', 'pixels sampled per conv channel and digit', '16')
    .option('--layers <a,b>', 'conv2d/fc layers to analyse (default all)')
    .option('--top <n>', 'ranking lines to print (--json has all)', '20')
    .option('--validate-layer <name>', "check this layer's ranking with single-bit accumulator flips injected into the RTL")
    .option('--validate-samples <n>', 'flips per channel of the RTL check (default 50)')
    .option('--config <name|file>', 'accelerator of the RTL check and accumulator width: preset (tiny, default, large) or JSON file', 'default')
    .option('--set <key=value>', 'override a configuration field (repeatable)', collect, [])
    .option('--json', 'print {offset, nvf: {layers, ranking, ...}, validation, seconds} as JSON')
    .addHelpText('after', '\nExamples:\n  splitfuse nvf --model models/lenet5-mnist-int8.sfm --images 100\n  splitfuse nvf --model models/lenet5-mnist-int8.sfm --images 20 --layers fc2,fc3 --validate-layer fc3 --validate-samples 40')
    .action((opts: NvfCommandOptions) => {
      nvfCommand(opts, io);
    });

  return cli;
}

/** Run the CLI on `argv` (without node and script) and return the process exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const status = { exitCode: 0 };
  const cli = program(io, status);
  const debug = process.env.SPLITFUSE_DEBUG === '1';
  try {
    await cli.parseAsync([...argv], { from: 'user' });
    return status.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed') return EXIT_DIAGNOSTIC; // bare `splitfuse`
      io.stderr(`${renderDiagnostics([usageDiagnostic(err, cli, argv)])}\n`);
      if (debug) io.stderr(`${err.stack ?? ''}\n`);
      return EXIT_DIAGNOSTIC;
    }
    if (err instanceof DiagnosticError) {
      io.stderr(`${err.message}\n`);
      if (debug) io.stderr(`${err.stack ?? ''}\n`);
      return EXIT_DIAGNOSTIC;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    io.stderr(`splitfuse: internal error: ${e.message}\n`);
    io.stderr(debug ? `${e.stack ?? ''}\n` : 'Set SPLITFUSE_DEBUG=1 to see the stack trace, and please report it.\n');
    return EXIT_INTERNAL;
  }
}

/** Turn one of commander's parse errors into an E102 diagnostic in our "must be, not" form. */
export function usageDiagnostic(err: CommanderError, cli: Command, argv: readonly string[]): Diagnostic {
  const sub = cli.commands.find((c) => c.name() === argv[0]);
  const where = sub ? `'splitfuse ${sub.name()}'` : "'splitfuse'";
  const helpHint = `run ${sub ? `'splitfuse ${sub.name()} --help'` : "'splitfuse --help'"} for usage`;
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'commander.unknownCommand':
      return msg.usage('Command', `one of ${cli.commands.map((c) => c.name()).join(', ')}`, `'${quoted}'`, helpHint);
    case 'commander.unknownOption': {
      const options = (sub ?? cli).options.map((o) => o.long ?? o.flags).concat('--help');
      return msg.usage(`Option of ${where}`, `one of ${options.join(', ')}`, `'${quoted}'`, helpHint);
    }
    case 'commander.missingArgument':
      return msg.usage(`Argument <${quoted}> of ${where}`, 'given', 'left out', helpHint);
    case 'commander.optionMissingArgument':
      return msg.usage(`Option '${quoted}'`, 'followed by a value', 'left without one', helpHint);
    case 'commander.missingMandatoryOptionValue':
      return msg.usage(`Option '${quoted}' of ${where}`, 'given', 'left out', helpHint);
    case 'commander.excessArguments': {
      const m = /Expected (\d+) arguments? but got (\d+)/.exec(err.message);
      return msg.usage(`Arguments of ${where}`, `at most ${m?.[1] ?? '?'}`, m?.[2] ?? 'more', helpHint);
    }
    default:
      return msg.usage(`Command line of ${where}`, 'valid', `rejected (${err.message.replace(/^error: /, '')})`, helpHint);
  }
}
