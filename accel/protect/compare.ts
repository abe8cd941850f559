// Protection schemes side by side (issue 11 item 4; DESIGN.md §8): the same faults on every variant of one
// model — unprotected, and split / dup / tmr at each ratio of NVF-ranked neurons — each variant run on the RTL
// of the accelerator with its own correction unit. Per variant: critical and SDC rates with 95% Wilson
// intervals, corrected rate, cycles per image (RTL), energy per image, and (when a synthesizer is given)
// LUT/FF/DSP/BRAM from Yosys.
//
// The same faults on every variant. Injection i is a pure function of (seed, i) drawn on the UNPROTECTED
// model and mapped onto each variant:
//   sites 'neurons' (or 'neurons:L1,L2'): a single-bit upset of one neuron's accumulator — (image, layer,
//     logical channel, pixel, bit) uniform over every accumulator value the chosen layers produce and every
//     bit — injected into the accumulator-buffer word that holds it at the cycle its POST starts
//     (neuron-faults.ts). In a protected variant the neuron's group has 2 or 3 physical channels; the
//     draw's copy index picks which one is hit (uniform), so a fault hits one copy as a real upset would.
//     stuck0/stuck1 make that word's bit permanent instead.
//   any other pattern (accel/fault/sites.ts, e.g. 'array.pe[*][*].acc'): (site, word, bit, image, time) drawn
//     over the unprotected accelerator's sites weighted by bits; a variant gets the same site and bit, the
//     word at the same fraction of the memory's depth and the SEU at the same fraction of the image's run
//     (protected programs run longer, so exposure in cycles is not what is held equal: the fault is).
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { compile, type CompiledModel } from '../compiler.js';
import type { AccelConfig } from '../config.js';
import type { EnergyTable } from '../energy.js';
import { counterRng, uniformInt } from '../fault/campaign.js';
import { createInjector, type FaultInjector } from '../fault/inject.js';
import { siteBits } from '../fault/sites.js';
import { wilsonInterval } from '../fault/stats.js';
import { OUTCOMES, type Fault, type FaultModel, type FaultSite, type Outcome } from '../fault/types.js';
import type { Int8Digit } from '../mnist.js';
import { LCU, LCU_GROUP_SIZE, logicalChannels, type Conv2dLayer, type FcLayer, type Model } from '../model.js';
import { runModel } from '../report.js';
import { neuronFaultToRtl, postStartCycles } from './neuron-faults.js';
import type { NvfReport } from './nvf.js';
import { protectModel, type Scheme } from './transform.js';

export type VariantScheme = 'none' | Scheme;
export const VARIANT_SCHEMES: readonly VariantScheme[] = ['none', 'split', 'dup', 'tmr'];

/** FPGA resources of a variant's accelerator (fpga/ synthesize, injected by the caller). */
export interface VariantResources {
  readonly lut: number;
  readonly ff: number;
  readonly dsp: number;
  readonly bram: number;
  /** The configuration synthesized (e.g. tiny: the default accelerator does not fit WebAssembly Yosys). */
  readonly config: string;
}

export interface CompareOptions {
  /** The unprotected model. */
  readonly model: Model;
  /** The accelerator (its protection field is set per variant). */
  readonly config: AccelConfig;
  readonly schemes: readonly VariantScheme[];
  readonly ratios: readonly number[];
  /** 'neurons', 'neurons:fc1,fc2' or a fault-site pattern (see the header). */
  readonly sites: string;
  readonly fault: FaultModel;
  readonly samples: number;
  readonly seed: number;
  /** Test digits the injections draw from; cycles and energy are measured on them too. */
  readonly digits: readonly Int8Digit[];
  /** The NVF ranking that chooses the protected neurons (computeNvf of the unprotected model). */
  readonly nvf: NvfReport;
  /** Layers to protect (default: every conv2d/fc layer). */
  readonly layers?: readonly string[];
  readonly energyTable?: EnergyTable;
  /** Synthesize one variant's accelerator (its design for `synthConfig`); absent: no resources. */
  readonly synthesize?: (design: VariantDesign) => Promise<VariantResources>;
  /** The configuration to synthesize (default: `config`). */
  readonly synthConfig?: AccelConfig;
  /** Progress: injections done of all variants, and the variant's label. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/** What a synthesizer gets: the variant's model compiled for the synthesis configuration. */
export interface VariantDesign {
  readonly label: string;
  readonly model: Model;
  readonly config: AccelConfig;
  /** The caller builds the accelerator top with this program in its table ROMs (gen/accel accelTop). */
  readonly compiled: CompiledModel;
}

export interface RateWithInterval {
  readonly rate: number;
  readonly ci95: [number, number];
}

export interface VariantResult {
  readonly label: string;
  readonly scheme: VariantScheme;
  /** null for the unprotected model. */
  readonly ratio: number | null;
  readonly protectedNeurons: number;
  readonly addedChannels: number;
  readonly injections: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly critical: RateWithInterval;
  readonly sdc: RateWithInterval;
  readonly corrected: RateWithInterval;
  readonly cyclesPerImage: number;
  /** cyclesPerImage / the unprotected model's − 1 (0 for it; null when 'none' is not compared). */
  readonly cycleOverhead: number | null;
  readonly energyPerImageUJ: number;
  readonly energyOverhead: number | null;
  readonly resources: VariantResources | null;
  /** resources / the unprotected accelerator's − 1, per resource (null without synthesis). */
  readonly resourceOverhead: { lut: number; ff: number; dsp: number; bram: number } | null;
}

export interface CompareReport {
  readonly model: string;
  readonly config: string;
  readonly sites: string;
  readonly fault: FaultModel;
  readonly samples: number;
  readonly seed: number;
  readonly images: number;
  readonly variants: VariantResult[];
  readonly seconds: number;
  readonly injectionsPerSecond: number;
}

const bad = (option: string, expected: string, found: string, hint: string): DiagnosticError => new DiagnosticError([msg.compareOption(option, expected, found, hint)]);

type Gemm = Conv2dLayer | FcLayer;
const gemmLayers = (m: Model): Gemm[] => m.layers.filter((l): l is Gemm => l.kind === 'conv2d' || l.kind === 'fc');

/** Stream of compare's draws (accel/fault/campaign.ts counterRng streams 0.. are the campaign's). */
const COMPARE_STREAM = 0x11c0;

/** A drawn fault, before it is mapped onto a variant. */
type Draw =
  | { readonly kind: 'neuron'; readonly image: number; readonly layer: string; readonly channel: number; readonly pixel: number; readonly bit: number; readonly copy: number }
  | { readonly kind: 'site'; readonly image: number; readonly site: string; readonly word: number; readonly bits: number[]; readonly time: number };

/** Neurons of the chosen layers: name, logical channels and GEMM pixels (from the unprotected compile). */
function neuronSpace(model: Model, compiled: CompiledModel, only: readonly string[] | null): { layer: string; channels: number; pixels: number }[] {
  const layers = gemmLayers(model);
  if (only) for (const n of only) if (!layers.some((l) => l.name === n)) throw bad('--sites neurons:LAYERS', `conv2d/fc layers of '${model.name}' (${layers.map((l) => l.name).join(', ')})`, `'${n}'`, 'e.g. --sites neurons:fc1,fc2');
  return layers
    .filter((l) => !only || only.includes(l.name))
    .map((l) => ({ layer: l.name, channels: logicalChannels(l), pixels: Math.max(...compiled.posts.filter((p) => p.layer === l.name).map((p) => p.m0 + p.mCount)) }));
}

/** Draw the faults on the unprotected variant (see the header). */
function drawFaults(options: CompareOptions, base: FaultInjector): Draw[] {
  const { samples, seed, fault } = options;
  const images = options.digits.length;
  const accWidth = options.config.accWidth;
  if (options.sites === 'neurons' || options.sites.startsWith('neurons:')) {
    const only = options.sites === 'neurons' ? null : options.sites.slice('neurons:'.length).split(',').filter(Boolean);
    const space = neuronSpace(options.model, base.compiled, only);
    const total = space.reduce((s, l) => s + l.channels * l.pixels, 0);
    return Array.from({ length: samples }, (_, i) => {
      const u = counterRng(seed, COMPARE_STREAM, i);
      const image = uniformInt(u, images);
      let k = uniformInt(u, total);
      const bit = uniformInt(u, accWidth);
      const copy = u();
      const l = space.find((s) => (k < s.channels * s.pixels ? true : ((k -= s.channels * s.pixels), false)))!;
      return { kind: 'neuron' as const, image, layer: l.layer, channel: Math.floor(k / l.pixels), pixel: k % l.pixels, bit, copy };
    });
  }
  const sites = base.sites(options.sites).filter((s) => (fault === 'seu' ? s.kind !== 'net' : true));
  if (sites.length === 0) throw bad('--sites', `a pattern with registers or memories for ${fault}`, `'${options.sites}' (nets only)`, "e.g. 'array.pe[*][*].acc' or neurons");
  const weights = sites.map(siteBits);
  const totalBits = weights.reduce((a, b) => a + b, 0);
  return Array.from({ length: samples }, (_, i) => {
    const u = counterRng(seed, COMPARE_STREAM, i);
    const image = uniformInt(u, images);
    let b = uniformInt(u, totalBits);
    const idx = weights.findIndex((w) => (b < w ? true : ((b -= w), false)));
    const site: FaultSite = sites[idx]!;
    const word = Math.floor(b / site.width) / site.depth;
    return { kind: 'site' as const, image, site: site.name, word, bits: [b % site.width], time: u() };
  });
}

/** Physical head channel of each logical channel of a (possibly protected) layer. */
function headsOf(layer: Gemm): number[] {
  const codes = layer.protection?.lcu;
  const n = layer.kind === 'conv2d' ? layer.outC : layer.out;
  if (!codes) return Array.from({ length: n }, (_, i) => i);
  const heads: number[] = [];
  for (let p = 0; p < n; p += LCU_GROUP_SIZE[codes[p]!]!) heads.push(p);
  return heads;
}

interface Variant {
  readonly label: string;
  readonly scheme: VariantScheme;
  readonly ratio: number | null;
  readonly model: Model;
  readonly config: AccelConfig;
  readonly protectedNeurons: number;
  readonly addedChannels: number;
}

function variants(options: CompareOptions): Variant[] {
  const out: Variant[] = [];
  const ranking = options.nvf.ranking.map((r) => ({ layer: r.layer, channel: r.channel, nvf: r.nvf }));
  for (const scheme of options.schemes) {
    if (scheme === 'none') {
      out.push({ label: 'none', scheme, ratio: null, model: options.model, config: { ...options.config, protection: 'none' }, protectedNeurons: 0, addedChannels: 0 });
      continue;
    }
    for (const ratio of options.ratios) {
      const r = protectModel(options.model, { scheme, ratio, ranking, ...(options.layers ? { layers: options.layers } : {}) });
      out.push({
        label: `${scheme}@${ratio}`,
        scheme,
        ratio,
        model: r.model,
        config: { ...options.config, protection: scheme },
        protectedNeurons: r.selected.reduce((s, x) => s + x.channels.length, 0),
        addedChannels: r.addedChannels,
      });
    }
  }
  return out;
}

/** The fault a draw becomes on one variant. */
function mapDraw(d: Draw, v: Variant, inj: FaultInjector, postCycles: readonly number[] | null, fault: FaultModel): Fault {
  if (d.kind === 'neuron') {
    const layer = gemmLayers(v.model).find((l) => l.name === d.layer)!;
    const head = headsOf(layer)[d.channel]!;
    const code = layer.protection?.lcu[head] ?? LCU.plain;
    const size = LCU_GROUP_SIZE[code]!;
    const f = neuronFaultToRtl(inj.compiled, postCycles!, { layer: d.layer, channel: head + Math.min(size - 1, Math.floor(d.copy * size)), pixel: d.pixel, bits: [d.bit] });
    return fault === 'seu' ? f : { ...f, model: fault, cycle: 0 };
  }
  const site = inj.catalog.lookup(d.site);
  if (!site) throw bad('--sites', `sites that every variant has`, `'${d.site}', missing on ${v.label}`, 'choose array, buffer or controller sites');
  const addr = Math.min(site.depth - 1, Math.floor(d.word * site.depth));
  const cycle = fault === 'seu' ? Math.min(inj.goldenCycles(d.image) - 1, Math.floor(d.time * inj.goldenCycles(d.image))) : 0;
  return { model: fault, site: site.name, addr, bits: d.bits, cycle };
}

function checkOptions(o: CompareOptions): void {
  if (o.schemes.length === 0) throw bad('--schemes', `a list of ${VARIANT_SCHEMES.join(', ')}`, "''", 'e.g. --schemes none,dup,tmr,split');
  for (const s of o.schemes) if (!VARIANT_SCHEMES.includes(s)) throw bad('--schemes', `a list of ${VARIANT_SCHEMES.join(', ')}`, `'${s}'`, 'e.g. --schemes none,dup,tmr,split');
  if (new Set(o.schemes).size !== o.schemes.length) throw bad('--schemes', 'a list without repeats', `'${o.schemes.join(',')}'`, 'name each scheme once');
  if (o.schemes.some((s) => s !== 'none') && o.ratios.length === 0) throw bad('--ratios', 'one or more fractions in (0, 1]', "''", 'e.g. --ratios 0.05,0.1,0.2');
  for (const r of o.ratios) if (!(r > 0 && r <= 1)) throw bad('--ratios', 'fractions in (0, 1]', String(r), 'e.g. --ratios 0.05,0.1,0.2');
  if (!Number.isSafeInteger(o.samples) || o.samples < 1 || o.samples > 10_000_000) throw bad('--samples', 'an integer in 1..10000000', String(o.samples), 'e.g. --samples 1000');
  if (o.digits.length === 0) throw bad('--images', 'at least 1', '0', 'e.g. --images 20');
  if (o.model.layers.some((l) => (l.kind === 'conv2d' || l.kind === 'fc') && l.protection)) throw new DiagnosticError([msg.alreadyProtected(o.model.name, 'some')]);
}

const rateOf = (count: number, n: number): RateWithInterval => ({ rate: n === 0 ? 0 : count / n, ci95: wilsonInterval(count, n) });

/** Run the comparison (see the header). */
export async function compareSchemes(options: CompareOptions): Promise<CompareReport> {
  checkOptions(options);
  const started = performance.now();
  const vs = variants(options);
  // Every variant must fit before any injection runs (E162 names the one that does not).
  for (const v of vs) {
    try {
      compile(v.model, v.config);
    } catch (e) {
      if (e instanceof DiagnosticError && e.diagnostics[0]?.code === 'E142') {
        throw new DiagnosticError([msg.protectedTooBig(v.model.name, v.config.name, `too big: ${e.diagnostics[0].message.replace(/^./, (c) => c.toLowerCase())}`)]);
      }
      throw e;
    }
  }
  const injectors = new Map<string, FaultInjector>();
  const injectorOf = (v: Variant): FaultInjector => {
    let inj = injectors.get(v.label);
    if (!inj) {
      inj = createInjector({ model: v.model, config: v.config, images: options.digits });
      injectors.set(v.label, inj);
    }
    return inj;
  };
  // Faults are drawn on the unprotected model, whether or not 'none' is among the variants.
  const baseInjector = createInjector({ model: options.model, config: { ...options.config, protection: 'none' }, images: options.digits });
  const draws = drawFaults(options, baseInjector);
  const byImage = draws.slice().sort((x, y) => x.image - y.image);
  const total = draws.length * vs.length;
  let done = 0;
  const results: Omit<VariantResult, 'cycleOverhead' | 'energyOverhead' | 'resourceOverhead'>[] = [];
  for (const v of vs) {
    const perf = runModel({ model: v.model, config: v.config, images: options.digits, ...(options.energyTable ? { energyTable: options.energyTable } : {}) });
    if (perf.goldenMismatches > 0) throw new Error(`variant ${v.label}: the fault-free RTL differs from the golden model on ${perf.goldenMismatches} digits`);
    const inj = v.scheme === 'none' ? baseInjector : injectorOf(v);
    const postCycles = draws[0]?.kind === 'neuron' ? postStartCycles(v.model, v.config, inj.compiled) : null;
    const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    // By image: the injector keeps golden runs (snapshots) of a few images only, so this order saves a
    // golden re-run per injection; outcomes do not depend on the order.
    for (const d of byImage) {
      const r = inj.inject(d.image, mapDraw(d, v, inj, postCycles, options.fault));
      outcomes[r.outcome]++;
      options.onProgress?.(++done, total, v.label);
    }
    injectors.delete(v.label); // its golden snapshots are large
    let resources: VariantResources | null = null;
    if (options.synthesize) {
      const sc = { ...(options.synthConfig ?? options.config), protection: v.config.protection };
      const compiled = compile(v.model, sc);
      resources = await options.synthesize({ label: v.label, model: v.model, config: sc, compiled });
    }
    const n = draws.length;
    results.push({
      label: v.label,
      scheme: v.scheme,
      ratio: v.ratio,
      protectedNeurons: v.protectedNeurons,
      addedChannels: v.addedChannels,
      injections: n,
      outcomes,
      critical: rateOf(outcomes.critical, n),
      sdc: rateOf(outcomes.sdc, n),
      corrected: rateOf(outcomes.corrected, n),
      cyclesPerImage: perf.cyclesPerImage,
      energyPerImageUJ: perf.energyPJ / 1e6,
      resources,
    });
  }
  const none = results.find((r) => r.scheme === 'none');
  const variantsOut: VariantResult[] = results.map((r) => ({
    ...r,
    cycleOverhead: none ? r.cyclesPerImage / none.cyclesPerImage - 1 : null,
    energyOverhead: none ? r.energyPerImageUJ / none.energyPerImageUJ - 1 : null,
    resourceOverhead:
      none?.resources && r.resources
        ? { lut: r.resources.lut / none.resources.lut - 1, ff: r.resources.ff / none.resources.ff - 1, dsp: none.resources.dsp ? r.resources.dsp / none.resources.dsp - 1 : 0, bram: none.resources.bram ? r.resources.bram / none.resources.bram - 1 : 0 }
        : null,
  }));
  const seconds = (performance.now() - started) / 1000;
  return {
    model: options.model.name,
    config: options.config.name,
    sites: options.sites,
    fault: options.fault,
    samples: options.samples,
    seed: options.seed,
    images: options.digits.length,
    variants: variantsOut,
    seconds,
    injectionsPerSecond: total / seconds,
  };
}
