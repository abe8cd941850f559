// Sparse downstream evaluation for the NVF (accel/protect/nvf.ts): the top-1 class of an image when one
// int8 output of one layer takes another value. The change is propagated with the golden integer semantics
// (accel/golden.ts) through the later layers, touching only what it reaches: a conv2d the k×k windows the
// value falls in (all output channels), a maxpool its windows, flatten nothing, an fc every output. A layer
// whose outputs do not change (ReLU, pooling, rounding) ends the propagation: the class is the fault-free one.
// Scratch arrays per layer are allocated once per model and left clean after every evaluation.
import { argmaxLowest, requantizeInt8 } from '../golden.js';
import type { ActivationShape, Model } from '../model.js';

const sizeOf = (s: ActivationShape): number => (s.kind === 'chw' ? s.c * s.h * s.w : s.n);

/** Scratch space of one layer for sparse propagation (reused across evaluations, always left clean). */
interface LayerScratch {
  readonly delta: Float64Array;
  readonly mark: Uint8Array;
  readonly touched: Int32Array;
  /** Changed outputs of the layer: indices and new values. */
  readonly chIdx: Int32Array;
  readonly chVal: Int16Array;
  /** New values of this layer's changed inputs (maxpool), NO_VALUE elsewhere. */
  readonly overlay: Int16Array | null;
}

const NO_VALUE = 1000;

/** The sparse evaluator of changed outputs of one model (an image's state is passed to classWith). */
export class Propagator {
  private readonly scratch: LayerScratch[];
  evaluations = 0;

  constructor(
    private readonly model: Model,
    private readonly shapes: readonly ActivationShape[],
    private readonly inShapes: readonly ActivationShape[],
  ) {
    this.scratch = model.layers.map((layer, i) => {
      const n = sizeOf(shapes[i]!);
      return {
        delta: new Float64Array(n),
        mark: new Uint8Array(n),
        touched: new Int32Array(n),
        chIdx: new Int32Array(n),
        chVal: new Int16Array(n),
        overlay: layer.kind === 'maxpool' ? new Int16Array(sizeOf(inShapes[i]!)).fill(NO_VALUE) : null,
      };
    });
  }

  /**
   * The top-1 class when output `index` of layer `from` takes value `value` instead of outs[from][index]
   * (outs/accs: the image's fault-free outputs and conv/fc accumulators).
   */
  classWith(outs: readonly Int8Array[], accs: readonly (Float64Array | null)[], from: number, index: number, value: number): number {
    this.evaluations++;
    let idx: Int32Array = new Int32Array([index]);
    let val: Int16Array = new Int16Array([value]);
    let n = 1;
    for (let j = from + 1; j < this.model.layers.length && n > 0; j++) {
      const r = this.step(j, outs, accs, idx, val, n);
      idx = r.idx;
      val = r.val;
      n = r.n;
    }
    const last = this.model.layers.length - 1;
    const logits = outs[last]!;
    if (n === 0) return argmaxLowest(logits);
    const changed = new Map<number, number>();
    for (let t = 0; t < n; t++) changed.set(idx[t]!, val[t]!);
    let best = 0;
    let bestV = changed.get(0) ?? logits[0]!;
    for (let i = 1; i < logits.length; i++) {
      const v = changed.get(i) ?? logits[i]!;
      if (v > bestV) [best, bestV] = [i, v];
    }
    return best;
  }

  /** Layer j's changed outputs given its changed inputs (indices into outs[j-1]). */
  private step(j: number, outs: readonly Int8Array[], accs: readonly (Float64Array | null)[], inIdx: Int32Array, inVal: Int16Array, nIn: number): { idx: Int32Array; val: Int16Array; n: number } {
    const layer = this.model.layers[j]!;
    const s = this.scratch[j]!;
    const base = outs[j - 1]!;
    const out = outs[j]!;
    const inS = this.inShapes[j]!;
    const outS = this.shapes[j]!;
    let nT = 0;
    let nOut = 0;
    const touch = (a: number): void => {
      if (s.mark[a] === 0) {
        s.mark[a] = 1;
        s.touched[nT++] = a;
      }
    };
    if (layer.kind === 'flatten') return { idx: inIdx, val: inVal, n: nIn };
    if (layer.kind === 'maxpool') {
      if (inS.kind !== 'chw' || outS.kind !== 'chw') throw new Error('maxpool needs (C,H,W) activations');
      const ov = s.overlay!;
      const { k, stride } = layer;
      for (let t = 0; t < nIn; t++) {
        const i = inIdx[t]!;
        ov[i] = inVal[t]!;
        const c = Math.floor(i / (inS.h * inS.w));
        const y = Math.floor(i / inS.w) % inS.h;
        const x = i % inS.w;
        for (let oy = Math.max(0, Math.ceil((y - k + 1) / stride)); oy <= Math.min(outS.h - 1, Math.floor(y / stride)); oy++)
          for (let ox = Math.max(0, Math.ceil((x - k + 1) / stride)); ox <= Math.min(outS.w - 1, Math.floor(x / stride)); ox++) touch((c * outS.h + oy) * outS.w + ox);
      }
      for (let t = 0; t < nT; t++) {
        const a = s.touched[t]!;
        s.mark[a] = 0;
        const c = Math.floor(a / (outS.h * outS.w));
        const oy = Math.floor(a / outS.w) % outS.h;
        const ox = a % outS.w;
        let best = -128;
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const i = (c * inS.h + oy * stride + ky) * inS.w + ox * stride + kx;
            const v = ov[i] !== NO_VALUE ? ov[i]! : base[i]!;
            if (v > best) best = v;
          }
        if (best !== out[a]) {
          s.chIdx[nOut] = a;
          s.chVal[nOut++] = best;
        }
      }
      for (let t = 0; t < nIn; t++) ov[inIdx[t]!] = NO_VALUE;
      return { idx: s.chIdx, val: s.chVal, n: nOut };
    }
    const acc = accs[j]!;
    if (layer.kind === 'fc') {
      const nI = layer.in;
      for (let t = 0; t < nIn; t++) {
        const i = inIdx[t]!;
        const d = inVal[t]! - base[i]!;
        if (d === 0) continue;
        for (let o = 0; o < layer.out; o++) s.delta[o]! += layer.weights[o * nI + i]! * d;
      }
      for (let o = 0; o < layer.out; o++) {
        const q = s.delta[o] === 0 ? out[o]! : requantizeInt8(acc[o]! + s.delta[o]! + layer.bias[o]!, layer.requantB[o]!, layer.requantC[o]!, layer.relu);
        s.delta[o] = 0;
        if (q !== out[o]) {
          s.chIdx[nOut] = o;
          s.chVal[nOut++] = q;
        }
      }
      return { idx: s.chIdx, val: s.chVal, n: nOut };
    }
    // conv2d: input (ci, y, x) feeds output (o, oy, ox) through w[o][ci][y - oy·s][x - ox·s].
    if (layer.kind !== 'conv2d' || inS.kind !== 'chw' || outS.kind !== 'chw') throw new Error(`nvf: layer '${layer.name}' (${layer.kind}) cannot be propagated`);
    const { inC, outC, k, stride, weights } = layer;
    const plane = outS.h * outS.w;
    for (let t = 0; t < nIn; t++) {
      const i = inIdx[t]!;
      const d = inVal[t]! - base[i]!;
      if (d === 0) continue;
      const ci = Math.floor(i / (inS.h * inS.w));
      const y = Math.floor(i / inS.w) % inS.h;
      const x = i % inS.w;
      for (let ky = 0; ky < k; ky++) {
        const ny = y - ky;
        if (ny < 0 || ny % stride !== 0 || ny / stride >= outS.h) continue;
        const oy = ny / stride;
        for (let kx = 0; kx < k; kx++) {
          const nx = x - kx;
          if (nx < 0 || nx % stride !== 0 || nx / stride >= outS.w) continue;
          const p = oy * outS.w + nx / stride;
          for (let o = 0; o < outC; o++) {
            const a = o * plane + p;
            s.delta[a]! += weights[((o * inC + ci) * k + ky) * k + kx]! * d;
            touch(a);
          }
        }
      }
    }
    for (let t = 0; t < nT; t++) {
      const a = s.touched[t]!;
      s.mark[a] = 0;
      const o = Math.floor(a / plane);
      const q = s.delta[a] === 0 ? out[a]! : requantizeInt8(acc[a]! + s.delta[a]! + layer.bias[o]!, layer.requantB[o]!, layer.requantC[o]!, layer.relu);
      s.delta[a] = 0;
      if (q !== out[a]) {
        s.chIdx[nOut] = a;
        s.chVal[nOut++] = q;
      }
    }
    return { idx: s.chIdx, val: s.chVal, n: nOut };
  }
}
