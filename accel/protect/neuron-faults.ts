// Neuron-level faults on the accelerator RTL: a single-bit (or multi-bit) upset of one neuron's accumulator
// becomes an SEU of the accumulator-buffer word that holds it (accel/fault/types.ts Fault), so the fault
// injector (accel/fault/inject.ts) can run it, and the NVF ranking (accel/protect/nvf.ts) can be checked
// against the hardware (validateNvfOnRtl).
//
// Where a neuron lives. The compiler (accel/compiler.ts) describes every POST instruction by a PostTile:
// row r < mCount of accumulator bank `bank` holds GEMM pixel m0 + r of the layer, column j < nValid holds
// physical output channel channel0 + j. Column j is the memory accbuf_<j> (alias buf.acc.mem[j]), and
// (bank, row) is its word bank·accRows + row (gen/accel/buffers.ts accAddress). Between the GEMM that
// writes the bank and the POST that reads it, that word holds the neuron's final accumulator (the
// compiler's WAITs keep the GEMM's writes before the POST issues and the next GEMM into the bank after
// it ends). So a flip of the word in the cycle the POST instruction issues (the controller's startPost,
// gen/accel/controller.ts: the engine latches its fields at the end of that cycle and reads row 0 in the
// next one) is exactly a flip of that neuron's accumulator before bias and requantization.
// With a fused 2×2 pool, the POST max-pools four consecutive rows: a flip in one of them is a flip of
// one pre-pool conv output, the neuron NVF analyses. A packed conv tile (column pooling, PostTile.pack) holds a
// window's pixels in P adjacent columns of Gr = 4/P rows instead (compiler.ts postTileSite).
//
// The issue cycles of the POSTs come from one fault-free run of the RTL. The schedule does not depend on
// the data (no instruction or engine branches on a value), which test/accel/protect/neuron-faults.test.ts
// checks on different digits.
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { memoryNames } from '../../gen/accel/buffers.js';
import { compile as compileModel, inputToDram, postTileSite, type CompiledModel, type PostTile } from '../compiler.js';
import { layerShapes, type Model } from '../model.js';
import { accelMachine, accelName, cycleBudget, loadImage } from '../run.js';
import { createInjector } from '../fault/inject.js';
import type { Fault, InjectorOptions } from '../fault/types.js';
import { gemmLayerIndex, seededRandom, type NvfReport } from './nvf.js';

/** One neuron's accumulator upset: `pixel` is the GEMM pixel index in the layer's pixel order (accel/compiler.ts). */
export interface NeuronFault {
  readonly layer: string;
  /** Physical output channel. */
  readonly channel: number;
  readonly pixel: number;
  readonly bits: readonly number[];
}

const bad = (what: string, expected: string, found: string, hint: string): DiagnosticError => new DiagnosticError([msg.badNeuronFault(what, expected, found, hint)]);

/**
 * The cycle (counted from the release of reset, as Fault.cycle) in which each POST of `compiled.posts`
 * issues, from one fault-free run of `input` (default: an all-zero image) on the RTL of `config`.
 * E174 when the run does not finish or issues a different number of POSTs than the compiled model has.
 */
export function postStartCycles(model: Model, config: AccelHardwareConfig, compiled?: CompiledModel, input?: ArrayLike<number>): number[] {
  const cm = compiled ?? compileModel(model, config);
  const machine = accelMachine(config, cm.sizes);
  const { sim } = machine;
  loadImage(machine, { ...cm, dram: inputToDram(cm, input ?? new Int8Array(cm.inputCount)) });
  const done = sim.handle('done');
  const fault = sim.handle('fault');
  const startPost = sim.handle(accelName('startPost'));
  const max = cycleBudget(cm);
  const starts: number[] = [];
  let t = 0;
  while (t < max && done.get() === 0 && fault.get() === 0) {
    if (startPost.get() === 1) starts.push(t);
    sim.step();
    t++;
  }
  const hint = 'pass the CompiledModel that compile(model, config) returns for this same model and configuration';
  if (done.get() !== 1) throw new DiagnosticError([msg.postSchedule(`The fault-free RTL run of model '${model.name}'`, 'a run that ends with done', fault.get() === 1 ? `the fault output after ${t} cycles` : `no done after ${t} cycles`, hint)]);
  if (starts.length !== cm.posts.length) {
    throw new DiagnosticError([msg.postSchedule(`POST instructions issued by the RTL run of model '${model.name}'`, `${cm.posts.length} (compiled.posts)`, String(starts.length), hint)]);
  }
  return starts;
}

/** The GEMM pixel index of output (y, x) of conv/fc layer `layer` (pool-window-major when a 2×2 pool is fused). */
export function gemmPixelIndex(model: Model, layer: string, y: number, x: number): number {
  const i = gemmLayerIndex(model, layer, 'Layer of a neuron');
  const l = model.layers[i]!;
  if (l.kind === 'fc') {
    if (y !== 0 || x !== 0) throw bad(`Output (y, x) of fc layer '${layer}'`, '(0, 0)', `(${y}, ${x})`, 'an fc layer has one pixel');
    return 0;
  }
  const s = layerShapes(model)[i]!;
  if (s.kind !== 'chw') throw new Error(`conv2d layer '${layer}' has a vector output`);
  if (!(Number.isSafeInteger(y) && Number.isSafeInteger(x) && y >= 0 && y < s.h && x >= 0 && x < s.w)) {
    throw bad(`Output (y, x) of layer '${layer}'`, `inside ${s.h}×${s.w}`, `(${y}, ${x})`, 'y counts rows, x columns of one output channel');
  }
  const next = model.layers[i + 1];
  if (!(next?.kind === 'maxpool' && next.k === 2 && next.stride === 2)) return y * s.w + x;
  const PH = Math.floor(s.h / 2);
  const PW = Math.floor(s.w / 2);
  if (y >= 2 * PH || x >= 2 * PW) throw bad(`Output (y, x) of layer '${layer}'`, `inside the ${2 * PH}×${2 * PW} rows and columns its fused pool '${next.name}' reads`, `(${y}, ${x})`, 'the compiler does not compute outputs the floor of the pool drops');
  return ((Math.floor(y / 2) * PW + Math.floor(x / 2)) * 4) + (y % 2) * 2 + (x % 2);
}

/** The output (y, x) of GEMM pixel `pixel` of conv/fc layer `layer` (the inverse of gemmPixelIndex). */
export function outputOfGemmPixel(model: Model, layer: string, pixel: number): { y: number; x: number } {
  const i = gemmLayerIndex(model, layer, 'Layer of a neuron');
  const l = model.layers[i]!;
  const s = layerShapes(model)[i]!;
  if (l.kind === 'fc' || s.kind !== 'chw') {
    if (pixel !== 0) throw bad(`GEMM pixel of fc layer '${layer}'`, '0', String(pixel), 'an fc layer has one pixel');
    return { y: 0, x: 0 };
  }
  const next = model.layers[i + 1];
  const pool = next?.kind === 'maxpool' && next.k === 2 && next.stride === 2;
  const PW = Math.floor(s.w / 2);
  const count = pool ? 4 * Math.floor(s.h / 2) * PW : s.h * s.w;
  if (!(Number.isSafeInteger(pixel) && pixel >= 0 && pixel < count)) throw bad(`GEMM pixel of layer '${layer}'`, `an integer in 0..${count - 1}`, String(pixel), 'the compiler computes these pixels of the layer');
  if (!pool) return { y: Math.floor(pixel / s.w), x: pixel % s.w };
  const window = Math.floor(pixel / 4);
  const r = pixel % 4;
  return { y: 2 * Math.floor(window / PW) + (r >> 1), x: 2 * (window % PW) + (r & 1) };
}

/** The POST tile holding (layer, channel, pixel), and its index in compiled.posts; E173 when none does. */
export function postTileOf(compiled: CompiledModel, nf: Pick<NeuronFault, 'layer' | 'channel' | 'pixel'>): { tile: PostTile; index: number } {
  const index = compiled.posts.findIndex((p) => p.layer === nf.layer && nf.pixel >= p.m0 && nf.pixel < p.m0 + p.mCount && nf.channel >= p.channel0 && nf.channel < p.channel0 + p.nValid);
  if (index < 0) {
    const layers = [...new Set(compiled.posts.map((p) => p.layer))];
    if (!layers.includes(nf.layer)) throw bad('Layer of a neuron fault', `a compiled conv2d/fc layer (${layers.join(', ')})`, `'${nf.layer}'`, 'a fused pool is named after its conv layer');
    const tiles = compiled.posts.filter((p) => p.layer === nf.layer);
    const pixels = Math.max(...tiles.map((p) => p.m0 + p.mCount));
    const channels = Math.max(...tiles.map((p) => p.channel0 + p.nValid));
    throw bad(`Neuron (channel ${nf.channel}, pixel ${nf.pixel}) of layer '${nf.layer}'`, `a channel in 0..${channels - 1} and a GEMM pixel in 0..${pixels - 1}`, `(${nf.channel}, ${nf.pixel})`, 'pixels are in the compiler order (gemmPixelIndex maps an output (y, x) to one)');
  }
  return { tile: compiled.posts[index]!, index };
}

/** The SEU of the accumulator-buffer word that holds the neuron, in the cycle its POST issues. */
export function neuronFaultToRtl(compiled: CompiledModel, postCycles: readonly number[], nf: NeuronFault): Fault {
  if (postCycles.length !== compiled.posts.length) {
    throw new DiagnosticError([msg.postSchedule('POST start cycles', `${compiled.posts.length} values (one per compiled.posts)`, String(postCycles.length), 'use postStartCycles(model, config, compiled) of this compiled model')]);
  }
  const { tile, index } = postTileOf(compiled, nf);
  const W = compiled.geometry.accWidth;
  if (!(nf.bits.length > 0 && nf.bits.every((b) => Number.isSafeInteger(b) && b >= 0 && b < W) && new Set(nf.bits).size === nf.bits.length)) {
    throw bad(`Bits of a neuron fault in layer '${nf.layer}'`, `one or more distinct integers in 0..${W - 1}`, JSON.stringify(nf.bits), `the accumulator is ${W} bits wide`);
  }
  // A GEMV's row-major POST (PostTile.rowWidth): channel c is in row (c − channel0) div rowWidth, column … mod rowWidth;
  // a packed tile (PostTile.pack, column pooling): row = vector, column = channel·pack + pixel of the vector.
  const { row, col } = postTileSite(tile, nf.channel, nf.pixel);
  const addr = tile.bank * compiled.geometry.accRows + row;
  return { model: 'seu', site: accelName(memoryNames.accbuf(col)), addr, bits: [...nf.bits], cycle: postCycles[index]! };
}

// ---- the NVF ranking against fault injection on the RTL ----

export interface ChannelValidation {
  readonly channel: number;
  readonly nvf: number;
  /** RTL injections into this channel and how many changed the top-1 class. */
  readonly injections: number;
  readonly critical: number;
  readonly criticalRate: number;
}

export interface NvfValidation {
  readonly layer: string;
  readonly config: string;
  readonly seed: number;
  readonly samplesPerChannel: number;
  readonly images: number;
  readonly channels: ChannelValidation[];
  /** Spearman's rank correlation of NVF and the RTL critical rate over the layer's channels (ties: mean ranks). */
  readonly spearman: number;
  readonly injections: number;
}

export interface ValidateOptions {
  /** The conv2d/fc layer whose channels are checked. */
  readonly layer: string;
  /** Single-bit flips per channel. */
  readonly samplesPerChannel: number;
  /** Seed of the (image, pixel, bit) draws; default 1. */
  readonly seed?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Ranks (1-based) with ties given their mean rank. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const r = new Array<number>(values.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1]!.v === order[s]!.v) e++;
    for (let k = s; k <= e; k++) r[order[k]!.i] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return r;
}

/** Spearman's rho: Pearson's correlation of the ranks (0 when either side is constant). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error('spearman: samples of different lengths');
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (ra[i]! - ma) * (rb[i]! - mb);
    va += (ra[i]! - ma) ** 2;
    vb += (rb[i]! - mb) ** 2;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}

/**
 * For every channel of `options.layer`: `samplesPerChannel` single-bit flips of a random neuron's
 * accumulator (random digit, GEMM pixel and bit; seeded), each injected into the accumulator buffer of the
 * RTL (neuronFaultToRtl + accel/fault/inject.ts); the critical rate per channel against the channel's NVF.
 */
export function validateNvfOnRtl(model: Model, config: AccelHardwareConfig, digits: InjectorOptions['images'], nvf: NvfReport, options: ValidateOptions): NvfValidation {
  const { layer, samplesPerChannel } = options;
  const seed = options.seed ?? 1;
  const optionError = (name: string, expected: string, found: unknown, hint: string): DiagnosticError => new DiagnosticError([msg.nvfOption(`Validation option '${name}'`, expected, JSON.stringify(found), hint)]);
  if (!(Number.isSafeInteger(samplesPerChannel) && samplesPerChannel >= 1)) throw optionError('samplesPerChannel', 'an integer >= 1', samplesPerChannel, 'e.g. 50 flips per channel');
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw optionError('seed', 'an integer >= 0', seed, 'the seed fixes the drawn flips');
  gemmLayerIndex(model, layer, `Layer '${layer}' to validate`);
  const analysed = nvf.layers.find((l) => l.name === layer);
  if (!analysed) throw optionError('layer', `a layer of the NVF report (${nvf.layers.map((l) => l.name).join(', ')})`, layer, 'include it in the NVF layers');
  const injector = createInjector({ model, config, images: digits });
  const { compiled } = injector;
  const cycles = postStartCycles(model, config, compiled);
  const tiles = compiled.posts.filter((p) => p.layer === layer);
  const pixels = Math.max(...tiles.map((p) => p.m0 + p.mCount));
  const W = compiled.geometry.accWidth;
  const rnd = seededRandom(seed);
  // Draw every flip first (channel by channel), then run them image by image: the injector keeps the
  // golden runs (snapshots) of a few images only, and a golden run costs a whole inference.
  const draws = analysed.channels.flatMap((ch, c) =>
    Array.from({ length: samplesPerChannel }, () => ({ c, image: Math.floor(rnd() * digits.length), pixel: Math.floor(rnd() * pixels), bit: Math.floor(rnd() * W) })),
  );
  const critical = new Array<number>(analysed.channels.length).fill(0);
  const total = draws.length;
  let done = 0;
  for (const d of [...draws].sort((a, b) => a.image - b.image)) {
    const fault = neuronFaultToRtl(compiled, cycles, { layer, channel: analysed.channels[d.c]!.channel, pixel: d.pixel, bits: [d.bit] });
    if (injector.inject(d.image, fault).outcome === 'critical') critical[d.c]!++;
    options.onProgress?.(++done, total);
  }
  const channels = analysed.channels.map((ch, c) => ({ channel: ch.channel, nvf: ch.nvf, injections: samplesPerChannel, critical: critical[c]!, criticalRate: critical[c]! / samplesPerChannel }));
  const rho = spearman(channels.map((c) => c.nvf), channels.map((c) => c.criticalRate));
  return { layer, config: (config as { name?: string }).name ?? `${config.rows}×${config.cols}`, seed, samplesPerChannel, images: digits.length, channels, spearman: rho, injections: total };
}
