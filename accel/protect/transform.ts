// Protecting a model: the critical neurons of chosen layers (ranked by NVF, accel/protect/nvf.ts) get redundant
// physical channels that the unchanged PE array computes as ordinary neurons, and the correction unit combines
// (accel/protect/lcu.ts, gen/protect/lcu.ts). Schemes (DESIGN.md §8):
//   split  selective neuron splitting (Ahmadilivani et al., AICAS 2023): the neuron becomes two whose integer
//          weights sum exactly to the original one, w_b = floor(w/2), w_a = w − w_b (so w_a − w_b = w mod 2 and
//          the halves' accumulators differ by at most the split bound, lcu.ts); one extra channel per neuron.
//   dup    selective duplication with min-select: one identical copy.
//   tmr    selective triple modular redundancy: two identical copies and a bitwise majority voter.
// The copies of a neuron sit right after it (physical order head, copies, next neuron), so the logical output
// order is the original one and the next layer is unchanged. The head keeps the bias and multiplier; copies get
// bias 0 and the head's multiplier (unused by the hardware, valid for the file format).
// A fault-free protected model computes exactly the original accumulators, hence bit-identical logits
// (test/accel/protect/transform.test.ts runs it on the held-out digits).
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { LCU, logicalChannels, type Conv2dLayer, type FcLayer, type Layer, type Model } from '../model.js';
import { splitBound } from './lcu.js';

export type Scheme = 'split' | 'dup' | 'tmr';
export const SCHEMES: readonly Scheme[] = ['split', 'dup', 'tmr'];
const HEAD: Record<Scheme, number> = { split: LCU.split, dup: LCU.dup, tmr: LCU.tmr };
const COPIES: Record<Scheme, number> = { split: 1, dup: 1, tmr: 2 };

/** A neuron (an fc output or a conv output channel) with its vulnerability; higher is more critical. */
export interface RankedNeuron {
  readonly layer: string;
  readonly channel: number;
  readonly nvf: number;
}

export interface ProtectOptions {
  readonly scheme: Scheme;
  /** Fraction (0, 1] of each chosen layer's neurons, the most vulnerable first (rounded up, at least 1). */
  readonly ratio?: number;
  /** Or: the K most vulnerable neurons over all chosen layers. */
  readonly top?: number;
  /** Layers to protect (default: every conv2d and fc layer). */
  readonly layers?: readonly string[];
  /** NVF of every neuron of the chosen layers (computeNvf's ranking). Ties: lower layer index, then channel. */
  readonly ranking: readonly RankedNeuron[];
}

export interface ProtectResult {
  readonly model: Model;
  /** Protected neurons per layer (logical channel indices, ascending). */
  readonly selected: { readonly layer: string; readonly channels: number[] }[];
  /** Physical channels added, and neurons (logical channels) of the chosen layers. */
  readonly addedChannels: number;
  readonly candidateNeurons: number;
}

type GemmLayer = Conv2dLayer | FcLayer;
const isGemm = (l: Layer): l is GemmLayer => l.kind === 'conv2d' || l.kind === 'fc';

function bad(option: string, expected: string, found: string, hint: string): never {
  throw new DiagnosticError([msg.protectOption(option, expected, found, hint)]);
}

/** Which neurons to protect, per layer name. */
export function selectNeurons(model: Model, options: ProtectOptions): Map<string, number[]> {
  const gemm = model.layers.filter(isGemm);
  const names = options.layers ?? gemm.map((l) => l.name);
  if (names.length === 0) bad('--layers', 'a non-empty list of conv2d/fc layers', "''", `this model's are ${gemm.map((l) => l.name).join(', ')}`);
  for (const n of names) {
    if (!gemm.some((l) => l.name === n)) bad('--layers', `conv2d/fc layers of '${model.name}' (${gemm.map((l) => l.name).join(', ')})`, `'${n}'`, 'name layers as splitfuse nvf lists them');
  }
  const chosen = new Set(names);
  const order = new Map(gemm.map((l, i) => [l.name, i]));
  const ranked = options.ranking
    .filter((r) => chosen.has(r.layer))
    .slice()
    .sort((a, b) => b.nvf - a.nvf || order.get(a.layer)! - order.get(b.layer)! || a.channel - b.channel);
  const picked = new Map<string, number[]>(names.map((n) => [n, []]));
  if (options.ratio !== undefined) {
    const r = options.ratio;
    if (!(r > 0 && r <= 1)) bad('--ratio', 'a fraction in (0, 1]', String(r), 'e.g. --ratio 0.1 protects the 10% most vulnerable neurons of each layer');
    for (const layer of gemm.filter((l) => chosen.has(l.name))) {
      const n = logicalChannels(layer);
      const want = Math.max(1, Math.ceil(r * n - 1e-9));
      const inLayer = ranked.filter((x) => x.layer === layer.name);
      if (inLayer.length < n) bad('the NVF ranking', `every neuron of layer '${layer.name}' (${n})`, `${inLayer.length} of them`, 'compute the NVF of every chosen layer (splitfuse nvf)');
      picked.set(layer.name, inLayer.slice(0, want).map((x) => x.channel));
    }
  } else if (options.top !== undefined) {
    const k = options.top;
    const total = gemm.filter((l) => chosen.has(l.name)).reduce((s, l) => s + logicalChannels(l), 0);
    if (!Number.isInteger(k) || k < 1 || k > total) bad('--top', `an integer in 1..${total} (the neurons of the chosen layers)`, String(k), 'or give --ratio');
    for (const x of ranked.slice(0, k)) picked.get(x.layer)!.push(x.channel);
  } else {
    bad('--ratio or --top', 'given', 'neither', 'e.g. --ratio 0.1');
  }
  for (const v of picked.values()) v.sort((a, b) => a - b);
  return picked;
}

/** Expand one layer: each selected logical channel is followed by its copies. */
function protectLayer(layer: GemmLayer, channels: ReadonlySet<number>, scheme: Scheme, nonNegativeInputs: boolean): GemmLayer {
  const nOut = layer.kind === 'conv2d' ? layer.outC : layer.out;
  const per = layer.weights.length / nOut;
  const phys = nOut + channels.size * COPIES[scheme];
  const weights = new Int8Array(phys * per);
  const bias = new Int32Array(phys);
  const requantB = new Int32Array(phys);
  const requantC = new Uint8Array(phys);
  const lcu = new Uint8Array(phys);
  const bound = new Uint8Array(phys);
  let p = 0;
  const put = (o: number, w: ArrayLike<number>, b: number, code: number): void => {
    weights.set(w, p * per);
    bias[p] = b;
    requantB[p] = layer.requantB[o]!;
    requantC[p] = layer.requantC[o]!;
    lcu[p] = code;
    p++;
  };
  for (let o = 0; o < nOut; o++) {
    const w = layer.weights.subarray(o * per, (o + 1) * per);
    if (!channels.has(o)) {
      put(o, w, layer.bias[o]!, LCU.plain);
      continue;
    }
    if (scheme === 'split') {
      const wb = w.map((v) => Math.floor(v / 2));
      const wa = w.map((v, i) => v - wb[i]!);
      bound[p] = splitBound(w.reduce((n, v) => n + (v & 1), 0), nonNegativeInputs);
      put(o, wa, layer.bias[o]!, LCU.split);
      put(o, wb, 0, LCU.copy);
    } else {
      put(o, w, layer.bias[o]!, HEAD[scheme]);
      for (let c = 0; c < COPIES[scheme]; c++) put(o, w, 0, LCU.copy);
    }
  }
  const dims = layer.kind === 'conv2d' ? { outC: phys } : { out: phys };
  return { ...layer, ...dims, weights, bias, requantB, requantC, protection: { lcu, bound } } as GemmLayer;
}

/** Protect `model` (see the header). Throws E160 for bad options and E161 for a model already protected. */
export function protectModel(model: Model, options: ProtectOptions): ProtectResult {
  if (!SCHEMES.includes(options.scheme)) bad('--scheme', `one of ${SCHEMES.join(', ')}`, `'${String(options.scheme)}'`, 'split (neuron splitting), dup (duplication with min-select) or tmr (triple modular redundancy)');
  const already = model.layers.filter((l) => isGemm(l) && l.protection).map((l) => l.name);
  if (already.length) throw new DiagnosticError([msg.alreadyProtected(model.name, already.join(', '))]);
  const picked = selectNeurons(model, options);
  let added = 0;
  const layers = model.layers.map((l, i) => {
    const ch = picked.get(l.name);
    if (!isGemm(l) || !ch || ch.length === 0) return l;
    added += ch.length * COPIES[options.scheme];
    return protectLayer(l, new Set(ch), options.scheme, nonNegativeInputs(model, i));
  });
  const selected = [...picked.entries()].map(([layer, channels]) => ({ layer, channels }));
  const candidateNeurons = model.layers.filter((l): l is GemmLayer => isGemm(l) && picked.has(l.name)).reduce((s, l) => s + logicalChannels(l), 0);
  const protection = {
    scheme: options.scheme,
    ...(options.ratio !== undefined ? { ratio: options.ratio } : { top: options.top }),
    source: model.name,
    selected: Object.fromEntries(selected.map((s) => [s.layer, s.channels])),
  };
  const protectedModel: Model = { ...model, name: `${model.name}-${options.scheme}`, layers, metadata: { ...(model.metadata ?? {}), protection } };
  return { model: protectedModel, selected, addedChannels: added, candidateNeurons };
}

/**
 * Whether layer i only ever sees inputs >= 0: the conv2d/fc layer before it ends in a ReLU with output zero
 * point <= 0 and only pooling/flatten lie between (the model input's sign is not known: false).
 */
export function nonNegativeInputs(model: Model, i: number): boolean {
  for (let k = i - 1; k >= 0; k--) {
    const l = model.layers[k]!;
    if (isGemm(l)) return l.relu && ((l as { outZeroPoint?: number }).outZeroPoint ?? 0) <= 0;
    if (l.kind !== 'maxpool' && l.kind !== 'flatten') return false;
  }
  return false;
}

/** The scheme of a protected model (from its layers' codes), or null for an unprotected one. */
export function schemeOf(model: Model): Scheme | null {
  for (const l of model.layers) {
    if (!isGemm(l) || !l.protection) continue;
    for (const code of l.protection.lcu) {
      if (code === LCU.split) return 'split';
      if (code === LCU.dup) return 'dup';
      if (code === LCU.tmr) return 'tmr';
    }
  }
  return null;
}
