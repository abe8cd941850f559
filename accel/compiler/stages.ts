// The stages of the streaming compiler (accel/compiler/stream.ts): every layer of a sequential int8 CNN as one
// GEMM over a window of its input map, followed by the POST engine.
//
//   conv2d / fc   the layer's weights; a 2×2 stride-2 unpadded maxpool right after a conv is fused (POST window of
//                 4 rows, as on LeNet-5's on-chip schedule and what accel/protect/neuron-faults.ts maps).
//   maxpool       (any k, stride, padding; standalone) an identity 1×1 GEMM per channel tile (column j reads
//                 channel j) whose M rows enumerate each output's window, padded to G = 4·2^w rows with copies of
//                 a position inside the input (the maximum does not change), then the POST engine's max over
//                 the G rows. Requantization is the identity (b = 2^30, c = 30, bias 0).
//   avgpool       (any k, stride, padding, count_include_pad) an identity k×k GEMM per channel tile (depthwise: the
//                 reduction runs over the tile's own channels only) on the input map padded with its zero point
//                 z, bias −k²·z + n·(z + 128), so the accumulator holds A = Σ(x − z) + n·(z + 128) >= 0 over the n
//                 positions inside; POST requantizes with the dyadic 1/n of accel/golden.ts avgPoolDyadic, exactly
//                 round_half_up(A/n) for A >= 0, and adds the zero point −128: z + round_half_up(Σ(x − z)/n), the
//                 golden model's average. Where n varies (padding without
//                 count_include_pad) each output belongs to a class of equal n, and one GEMM + POST covers each
//                 run of equal class in a unit (accel/compiler/stream.ts segments).
// Zero points (Jacob et al., CVPR 2018, eq. 7): a conv/fc with input zero point z_in has −z_in·Σw folded into its
// bias (the GEMM sums w·x with padding holding z_in), and every POST adds the output zero point (pmem, isa.ts).
// Not mapped (E143): a split- or TMR-protected layer (accel/protect) with a nonzero input zero point — its
// correction unit compares or votes on the raw accumulators Σw·x of a neuron's copies, the golden model on
// Σw·(x − z_in), and a folded bias does not make the two agree (duplication does: min commutes with the common
// shift) — and a maxpool window of more than 512 positions (k > 22).
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { avgPoolDyadic } from '../golden.js';
import { LCU, layerShapes, paddingOf, type ActivationShape, type Conv2dLayer, type FcLayer, type Model, type Padding } from '../model.js';

/** A shape in (C, H, W) (a vector is C = n, H = W = 1). */
export interface Chw {
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** The requantization of one class of outputs, per physical output channel. */
export interface ParamSet {
  readonly bias: ArrayLike<number>;
  readonly b: ArrayLike<number>;
  readonly c: ArrayLike<number>;
}

export interface Stage {
  /** The GEMM: the model's conv/fc, or an identity conv standing for a pool (no protection). */
  readonly layer: Conv2dLayer | FcLayer;
  /** Name of the model layer this stage computes (a pool's own name) and of a fused pool. */
  readonly name: string;
  readonly fused?: string;
  /** The reduction of output channel o runs over input channel o only (identity pool GEMMs). */
  readonly depthwise: boolean;
  /** A max over windows of the GEMM's outputs on the POST engine (G rows per window, a power of two >= 4). */
  readonly pool?: { readonly k: number; readonly stride: number; readonly pad: Padding; readonly g: number };
  /** Requantization classes (one for conv/fc/maxpool; avgpool: one per distinct n) and each output's class. */
  readonly params: readonly ParamSet[];
  readonly classOf: (oy: number, ox: number) => number;
  readonly relu: boolean;
  /** Zero points of the input map (its padding value) and of the output data; the POST's zero point (pmem). */
  readonly zIn: number;
  readonly zOut: number;
  readonly postZeroPoint: number;
  readonly inS: Chw;
  /** Output after a pool: channels (logical), rows, columns (fc: out, 1, 1). */
  readonly outS: Chw;
  /** The output as a DRAM map (fc: one row of `out` elements). */
  readonly mapS: Chw;
}

/** The model cannot be mapped: E143 (a layer feature without hardware). */
export function unmapped(what: string): never {
  throw new DiagnosticError([msg.unmappedLayer(what)]);
}

const NO_PAD: Padding = [0, 0, 0, 0];
const chw = (s: ActivationShape): Chw => (s.kind === 'chw' ? s : { c: s.n, h: 1, w: 1 });

/** An identity k×k conv over c channels: w[o][i][ky][kx] = (o = i). */
function identityConv(name: string, c: number, k: number, stride: number, pad: Padding): Conv2dLayer {
  const weights = new Int8Array(c * c * k * k);
  for (let o = 0; o < c; o++) weights.fill(1, (o * c + o) * k * k, (o * c + o + 1) * k * k);
  return { kind: 'conv2d', name, inC: c, outC: c, k, stride, pad, weights, bias: new Int32Array(c), requantB: new Int32Array(c), requantC: new Uint8Array(c), relu: false, outScale: 1 };
}

/** Σ_j w[o][j] per physical output channel. */
function weightSums(layer: Conv2dLayer | FcLayer): number[] {
  const n = layer.kind === 'conv2d' ? layer.outC : layer.out;
  const per = layer.weights.length / n;
  return Array.from({ length: n }, (_, o) => {
    let s = 0;
    for (let j = o * per; j < (o + 1) * per; j++) s += layer.weights[j]!;
    return s;
  });
}

/** The stages of a model, or E143 for what the hardware cannot run. */
export function planStages(model: Model): Stage[] {
  const shapes = layerShapes(model);
  const [c0, h0, w0] = model.input.shape;
  let inS: Chw = { c: c0, h: h0, w: w0 };
  let z = model.input.zeroPoint ?? 0;
  const stages: Stage[] = [];
  const one = (): number => 0;
  for (let i = 0; i < model.layers.length; i++) {
    const layer = model.layers[i]!;
    if (layer.kind === 'conv2d' || layer.kind === 'fc') {
      // The correction unit combines raw accumulators Σw·x, the golden model Σw·(x − z): a neuron's copies shift
      // alike under duplication (min commutes with the shift), not under split (halves of different weights) or
      // TMR (a bitwise vote).
      const code = layer.protection?.lcu.find((c) => c === LCU.split || c === LCU.tmr);
      if (code !== undefined && z !== 0) unmapped(`Input zero point of ${code === LCU.split ? 'split' : 'TMR'}-protected layer '${layer.name}' must be 0 to be compiled (its correction unit compares raw accumulators), not ${z}`);
      const next = model.layers[i + 1];
      const fuse = layer.kind === 'conv2d' && next?.kind === 'maxpool' && next.k === 2 && next.stride === 2 && paddingOf(next).every((p) => p === 0);
      const outS = chw(shapes[fuse ? i + 1 : i]!);
      const logical = outS.c;
      const sums = z === 0 ? null : weightSums(layer);
      const bias = Array.from(layer.bias, (b, o) => b - (sums ? z * sums[o]! : 0));
      bias.forEach((b, o) => {
        if (b < -(2 ** 31) || b >= 2 ** 31) unmapped(`Bias of layer '${layer.name}' channel ${o} with the input zero point folded in (bias − z_in·Σw) must be an int32, not ${b}`);
      });
      const zOut = layer.outZeroPoint ?? 0;
      stages.push({
        layer,
        name: layer.name,
        ...(fuse ? { fused: next!.name, pool: { k: 2, stride: 2, pad: NO_PAD, g: 4 } } : {}),
        depthwise: false,
        params: [{ bias, b: layer.requantB, c: layer.requantC }],
        classOf: one,
        relu: layer.relu,
        zIn: z,
        zOut,
        postZeroPoint: zOut,
        inS,
        outS: { c: logical, h: outS.h, w: outS.w },
        mapS: layer.kind === 'fc' ? { c: 1, h: 1, w: logical } : { c: logical, h: outS.h, w: outS.w },
      });
      if (fuse) i++;
      inS = outS;
      z = zOut;
    } else if (layer.kind === 'flatten') {
      inS = chw(shapes[i]!);
    } else {
      const outS = chw(shapes[i]!);
      const pad = paddingOf(layer);
      const ids = new Array<number>(inS.c).fill(0);
      if (layer.kind === 'maxpool') {
        const g = 4 * 2 ** Math.max(0, Math.ceil(Math.log2((layer.k * layer.k) / 4)));
        if (g > 512) unmapped(`Window of maxpool '${layer.name}' must have at most 512 positions to be compiled (the POST engine's pool window), not ${layer.k}×${layer.k}`);
        stages.push({
          layer: identityConv(layer.name, inS.c, 1, 1, NO_PAD),
          name: layer.name,
          depthwise: true,
          pool: { k: layer.k, stride: layer.stride, pad, g },
          params: [{ bias: ids, b: ids.map(() => 2 ** 30), c: ids.map(() => 30) }],
          classOf: one,
          relu: false,
          zIn: z,
          zOut: z,
          postZeroPoint: 0, // the identity requantization: the data keeps its zero point
          inS,
          outS,
          mapS: outS,
        });
      } else {
        // n per output: k² with count_include_pad, else the window's positions inside the input.
        const { k, stride } = layer;
        const [top, left] = pad;
        const inside = (o: number, size: number, lo: number): number => Math.min(size, o * stride - lo + k) - Math.max(0, o * stride - lo);
        const { h: inH, w: inW } = inS; // (inS moves on to the next layer's input below)
        const nOf = (oy: number, ox: number): number => (layer.countIncludePad ? k * k : inside(oy, inH, top) * inside(ox, inW, left));
        const ns: number[] = [];
        for (let oy = 0; oy < outS.h; oy++) for (let ox = 0; ox < outS.w; ox++) if (!ns.includes(nOf(oy, ox))) ns.push(nOf(oy, ox));
        const zIn = z;
        stages.push({
          layer: identityConv(layer.name, inS.c, k, stride, pad),
          name: layer.name,
          depthwise: true,
          params: ns.map((n) => {
            const d = avgPoolDyadic(n);
            return { bias: ids.map(() => -k * k * zIn + n * (zIn + 128)), b: ids.map(() => d.b), c: ids.map(() => d.c) };
          }),
          classOf: (oy, ox) => ns.indexOf(nOf(oy, ox)),
          relu: false,
          zIn,
          zOut: zIn,
          postZeroPoint: -128,
          inS,
          outS,
          mapS: outS,
        });
      }
      inS = outS;
    }
  }
  return stages;
}
