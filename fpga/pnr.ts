// Place and route for iCE40 parts (issue 14 item 5): Yosys synth_ice40 to a JSON netlist, the block
// in a scan-chain I/O harness (fpga/harness.ts), nextpnr-ice40 with the part's device and package,
// icepack to a bitstream. Reports Fmax from nextpnr's timing report (--report JSON, "fmax") and the
// placed utilisation of the part ("utilization"), both with the harness included, next to the block's
// own synthesis result and its fit (fpga/fit.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Design } from '../hdl/ir/index.js';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import { overflowText } from './fit.js';
import { blockStubVerilog, HARNESS_TOP, harnessBits, harnessVerilog, mergeNetlists, netlistPorts } from './harness.js';
import { NEXTPNR_VERSION, runIcepack, runNextpnr } from './nextpnr.js';
import { parsePart, PARTS, type FpgaPart } from './parts.js';
import { synthesize, type SynthResult, type VerilogSource } from './synth.js';
import { runYosys, type YosysEngine } from './yosys.js';

export interface PnrOptions {
  /** An iCE40 part of fpga/parts.ts (E128 unknown; E202 a part splitfuse cannot place and route). */
  readonly part: string;
  /** nextpnr's placer seed (default 1): the same seed, netlist and nextpnr version give the same result. */
  readonly seed?: number;
  /** Target clock frequency in MHz given to nextpnr (--freq; default 12, nextpnr's own default). */
  readonly freqMhz?: number;
  /** Directory to write the netlist, harness, placed design, report, log and bitstream to (created). */
  readonly outDir?: string;
  readonly top?: string;
  readonly engine?: YosysEngine;
  /** Told before each step (they take seconds to minutes). */
  readonly log?: (line: string) => void;
}

/** What nextpnr reports for one clock. */
export interface ClockTiming {
  readonly achievedMhz: number;
  readonly constraintMhz: number;
}

export interface PnrResult {
  /** The block alone, synthesized for the part, with its fit. */
  readonly synth: SynthResult;
  readonly part: string;
  readonly device: string;
  readonly package: string;
  /** The lowest achieved frequency over the clocks (there is one: the harness clock `clk`). */
  readonly fmaxMhz: number;
  readonly clocks: Readonly<Record<string, ClockTiming>>;
  /** nextpnr's placed utilisation by bel type (ICESTORM_LC, ICESTORM_RAM, ICESTORM_DSP, SB_IO, ...), harness included. */
  readonly placed: Readonly<Record<string, { readonly used: number; readonly available: number }>>;
  /** Bits the harness carries between pins and block (its cost: one FF per input bit, one FF and LUT per output bit). */
  readonly harness: { readonly inputBits: number; readonly outputBits: number };
  readonly seed: number;
  readonly freqMhz: number;
  readonly bitstreamBytes: number;
  /** Paths of the files written, with `outDir`. */
  readonly files: Readonly<Record<'netlist' | 'harness' | 'asc' | 'bitstream' | 'report' | 'log', string>> | null;
  /** @yowasp/nextpnr-ice40 version. */
  readonly nextpnr: string;
}

const DEFAULT_SEED = 1;
const DEFAULT_FREQ_MHZ = 12;

/** `part` as an FpgaPart that nextpnr can place: E128 unknown, E202 a part of another family. */
export function pnrPart(name: string): FpgaPart {
  const part = parsePart(name);
  if (!part.nextpnr) {
    throw new DiagnosticError([
      msg.noPnr('The part to place and route (--pnr)', `${part.name} (${part.target})`, `splitfuse places and routes iCE40 parts with nextpnr-ice40 (--target ice40 --part up5k|hx8k|hx1k); for ${part.target} use the vendor tools on the Verilog of "splitfuse gen"`),
    ]);
  }
  return part;
}

/** The seed and target frequency of `options`, defaults filled in; E204 when out of range. */
export function pnrSettings(options: Pick<PnrOptions, 'seed' | 'freqMhz'>): { seed: number; freqMhz: number } {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 1 || seed > 2 ** 31 - 1) {
    throw new DiagnosticError([msg.pnrOption('--seed', 'an integer in 1..2147483647', String(seed), 'nextpnr seeds its placer with it; any value gives a deterministic result')]);
  }
  const freqMhz = options.freqMhz ?? DEFAULT_FREQ_MHZ;
  if (!Number.isFinite(freqMhz) || freqMhz <= 0 || freqMhz > 1000) {
    throw new DiagnosticError([msg.pnrOption('--freq', 'a clock frequency in MHz in (0, 1000]', String(freqMhz), 'it is the target nextpnr optimises timing for, e.g. --freq 48')]);
  }
  return { seed, freqMhz };
}

/**
 * Synthesize `input` for an iCE40 part, place and route it in the I/O harness and pack a bitstream.
 * Rejects with a DiagnosticError: E128/E202 for the part, E204 bad seed or frequency, E201 when the
 * design does not fit (before nextpnr when synthesis already shows it, else from nextpnr's placer),
 * E200 nextpnr or icepack failing, E203 an unreadable report, the E12x codes of synthesis.
 */
export async function placeAndRoute(input: Design | VerilogSource, options: PnrOptions): Promise<PnrResult> {
  const part = pnrPart(options.part);
  const { seed, freqMhz } = pnrSettings(options);
  const pnr = part.nextpnr!;
  options.log?.(`synthesizing for ${part.name} with Yosys ...`);
  const synth = await synthesize(input, { target: part.target, part: part.name, netlist: true, engine: options.engine, top: options.top });
  const { netlist: synthNetlist, ...blockSynth } = synth;
  const { netlist, fit, top } = { netlist: synthNetlist!, fit: synth.fit!, top: synth.top };
  if (!fit.fits) throw new DiagnosticError([doesNotFit(top, part, overflowText(fit))]);

  const ports = netlistPorts(netlist, top);
  if (!ports) throw new DiagnosticError([msg.pnrReport(`a Yosys JSON netlist with the ports of '${top}'`, 'without them')]);
  const harness = harnessVerilog(top, ports);
  options.log?.(`mapping the I/O harness (${harnessBits(ports).inputBits} input and ${harnessBits(ports).outputBits} output bits) ...`);
  // The harness is synthesized on its own with the block as a blackbox, then the block's netlist is
  // put in (a second synthesis of an already mapped netlist is not something synth_ice40 supports).
  const harnessRun = await runYosys({
    files: [{ name: 'block_stub.v', text: blockStubVerilog(top, ports) }, { name: 'harness.v', text: harness }],
    script: ['read_verilog -lib block_stub.v', 'read_verilog harness.v', `synth_ice40 -top ${HARNESS_TOP} -json harness.json`].join('\n'),
    top: HARNESS_TOP,
    quiet: true,
    engine: options.engine,
  });
  const pnrNetlist = mergeNetlists(harnessRun.outputs['harness.json'] ?? '', netlist, top);
  if (pnrNetlist === null) throw new DiagnosticError([msg.pnrReport('netlists written by Yosys (harness.json and the block)', 'missing or not JSON')]);

  options.log?.(`placing and routing on ${part.name} (${pnr.package}) with nextpnr-ice40 (seed ${seed}) ...`);
  const args = [pnr.device, '--package', pnr.package, '--json', 'pnr.json', '--asc', 'design.asc', '--report', 'report.json', '--seed', String(seed), '--freq', String(freqMhz)];
  let placedRun;
  try {
    placedRun = await runNextpnr(args, { 'pnr.json': pnrNetlist });
  } catch (e) {
    // Packing can need more logic cells than synthesis counted (a LUT and a flip-flop share a cell only when they connect).
    const overflow = e instanceof DiagnosticError ? placementOverflow(e.diagnostics[0]?.message ?? '') : null;
    if (overflow) throw new DiagnosticError([doesNotFit(top, part, overflow)]);
    throw e;
  }
  const report = parseReport(placedRun.outputs['report.json']);
  const asc = placedRun.outputs['design.asc'];
  if (typeof asc !== 'string') throw new DiagnosticError([msg.pnrReport('a placed design written by nextpnr (design.asc)', 'missing')]);

  options.log?.('packing the bitstream with icepack ...');
  const packed = await runIcepack(['design.asc', 'design.bin'], { 'design.asc': asc });
  const bin = packed.outputs['design.bin'];
  if (!(bin instanceof Uint8Array) || bin.length === 0) throw new DiagnosticError([msg.bitstream('missing from icepack\'s output', 'run with SPLITFUSE_DEBUG=1 and report it')]);

  const files = options.outDir === undefined ? null : writeOutputs(options.outDir, top, { netlist: pnrNetlist, harness, asc, bin, report: placedRun.outputs['report.json'] as string, log: placedRun.log });
  return {
    synth: blockSynth,
    part: part.name,
    device: pnr.device.replace(/^--/, ''),
    package: pnr.package,
    ...report,
    harness: harnessBits(ports),
    seed,
    freqMhz,
    bitstreamBytes: bin.length,
    files,
    nextpnr: NEXTPNR_VERSION,
  };
}

function doesNotFit(top: string, part: FpgaPart, overflow: string) {
  const others = PARTS.filter((p) => p.nextpnr && p !== part).map((p) => `${p.aliases[0]} (${p.lut.toLocaleString('en-US')} LCs, ${p.dsp} DSP, ${p.bram} EBR)`);
  return msg.partFit(top, `${part.name} (${part.target})`, overflow, `place a smaller design (--set, --config tiny) or another iCE40 part: ${others.join(', ')}; "splitfuse synth ... --part NAME" reports the utilisation of any part without placing`);
}

/** nextpnr's placement failures that mean the design is too big, as "ICESTORM_LC" text; null for others. */
function placementOverflow(message: string): string | null {
  const m = /no BELs remaining to implement cell type '([^']+)'|Unable to find a placement location for cell '([^']+)'|exceeds|too many/i.exec(message);
  if (!m) return null;
  return m[1] ? `more ${m[1]} than the part has (nextpnr: ${message.replace(/^.*\((.*)\)$/, '$1')})` : `more than the part has (nextpnr: ${message.replace(/^.*\((.*)\)$/, '$1')})`;
}

interface ReportJson {
  fmax?: Record<string, { achieved?: number; constraint?: number }>;
  utilization?: Record<string, { used?: number; available?: number }>;
}

/** Fmax per clock and the placed utilisation from nextpnr's --report JSON (E203 when unreadable). */
export function parseReport(text: string | Uint8Array | undefined): Pick<PnrResult, 'fmaxMhz' | 'clocks' | 'placed'> {
  if (typeof text !== 'string') throw new DiagnosticError([msg.pnrReport('a JSON file written by --report', 'missing')]);
  let json: ReportJson;
  try {
    json = JSON.parse(text) as ReportJson;
  } catch (e) {
    throw new DiagnosticError([msg.pnrReport('valid JSON', `invalid JSON (${(e as Error).message})`)]);
  }
  const clocks: Record<string, ClockTiming> = {};
  for (const [clock, t] of Object.entries(json.fmax ?? {})) {
    if (typeof t.achieved !== 'number' || typeof t.constraint !== 'number') throw new DiagnosticError([msg.pnrReport('numbers in fmax.achieved and fmax.constraint', `${JSON.stringify(t)} for clock ${clock}`)]);
    clocks[clock] = { achievedMhz: t.achieved, constraintMhz: t.constraint };
  }
  const achieved = Object.values(clocks).map((c) => c.achievedMhz);
  if (achieved.length === 0) throw new DiagnosticError([msg.pnrReport('a report with the Fmax of at least one clock', 'one without clocks')]);
  const placed: Record<string, { used: number; available: number }> = {};
  for (const [bel, u] of Object.entries(json.utilization ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (typeof u.used !== 'number' || typeof u.available !== 'number') throw new DiagnosticError([msg.pnrReport('numbers in utilization.used and .available', `${JSON.stringify(u)} for ${bel}`)]);
    placed[bel] = { used: u.used, available: u.available };
  }
  return { fmaxMhz: Math.min(...achieved), clocks, placed };
}

function writeOutputs(dir: string, top: string, out: { netlist: string; harness: string; asc: string; bin: Uint8Array; report: string; log: string }): NonNullable<PnrResult['files']> {
  const files = {
    netlist: path.join(dir, `${top}.json`),
    harness: path.join(dir, `${HARNESS_TOP}.v`),
    asc: path.join(dir, `${top}.asc`),
    bitstream: path.join(dir, `${top}.bin`),
    report: path.join(dir, 'nextpnr-report.json'),
    log: path.join(dir, 'nextpnr.log'),
  };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(files.netlist, out.netlist);
    writeFileSync(files.harness, out.harness);
    writeFileSync(files.asc, out.asc);
    writeFileSync(files.report, out.report);
    writeFileSync(files.log, out.log);
    writeFileSync(files.bitstream, out.bin);
  } catch (e) {
    throw new DiagnosticError([msg.bitstream(`failing with ${(e as Error).message}`, `check that '${dir}' can be created and written (--out DIR)`)]);
  }
  return files;
}
