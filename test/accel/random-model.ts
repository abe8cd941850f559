// Random small quantized models for property tests of accel/model.ts and accel/golden.ts: a fast-check
// arbitrary of plain-data plans (so failures shrink to small plans), each built into a consistent Model whose
// tensors come from xorshift32 seeded by the plan.
import fc from 'fast-check';
import { xorshift32 } from '../../bench/stimulus.js';
import type { Layer, Model } from '../../accel/model.js';

export interface ModelPlan {
  readonly inC: number;
  readonly side: number;
  readonly spatial: readonly { readonly kind: 'conv2d' | 'maxpool'; readonly k: number; readonly stride: number; readonly outC: number; readonly relu: boolean }[];
  readonly fcOuts: readonly { readonly out: number; readonly relu: boolean }[];
  readonly seed: number;
  /** Range of the requantization shift c drawn per channel. */
  readonly cMin: number;
  readonly cMax: number;
  readonly biasMax: number;
}

export const arbModelPlan: fc.Arbitrary<ModelPlan> = fc.record({
  inC: fc.integer({ min: 1, max: 3 }),
  side: fc.integer({ min: 4, max: 10 }),
  spatial: fc.array(
    fc.record({
      kind: fc.constantFrom('conv2d' as const, 'maxpool' as const),
      k: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 2 }),
      outC: fc.integer({ min: 1, max: 4 }),
      relu: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
  fcOuts: fc.array(fc.record({ out: fc.integer({ min: 1, max: 12 }), relu: fc.boolean() }), { minLength: 1, maxLength: 2 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  cMin: fc.integer({ min: 1, max: 30 }),
  cMax: fc.integer({ min: 0, max: 20 }),
  biasMax: fc.constantFrom(0, 100, 1 << 16, 1 << 24),
});

/** Build the plan into a consistent model; spatial layers that no longer fit the activation are dropped. */
export function buildModel(plan: ModelPlan): Model {
  let s = plan.seed >>> 0 || 1;
  const next = (lo: number, hi: number): number => {
    s = xorshift32(s);
    return lo + (s % (hi - lo + 1));
  };
  const params = (nOut: number, nW: number, relu: boolean) => {
    const cMax = Math.min(63, plan.cMin + plan.cMax);
    return {
      relu,
      outScale: 0.05,
      weights: Int8Array.from({ length: nW }, () => next(-128, 127)),
      bias: Int32Array.from({ length: nOut }, () => next(-plan.biasMax, plan.biasMax)),
      requantB: Int32Array.from({ length: nOut }, () => next(2 ** 30, 2 ** 31 - 1)),
      requantC: Uint8Array.from({ length: nOut }, () => next(plan.cMin, cMax)),
    };
  };
  const layers: Layer[] = [];
  let c = plan.inC;
  let h = plan.side;
  plan.spatial.forEach((l, i) => {
    if (h < l.k) return;
    const oh = Math.floor((h - l.k) / l.stride) + 1;
    if (l.kind === 'maxpool') layers.push({ kind: 'maxpool', name: `pool${i}`, k: l.k, stride: l.stride });
    else {
      layers.push({ kind: 'conv2d', name: `conv${i}`, inC: c, outC: l.outC, k: l.k, stride: l.stride, ...params(l.outC, l.outC * c * l.k * l.k, l.relu) });
      c = l.outC;
    }
    h = oh;
  });
  layers.push({ kind: 'flatten', name: 'flatten' });
  let n = c * h * h;
  plan.fcOuts.forEach((f, i) => {
    layers.push({ kind: 'fc', name: `fc${i}`, in: n, out: f.out, ...params(f.out, f.out * n, f.relu) });
    n = f.out;
  });
  return { name: `random-${plan.seed}`, input: { shape: [plan.inC, plan.side, plan.side], scale: 1 / 127 }, layers, metadata: { seed: plan.seed } };
}

/** A random int8 input for a model. */
export function randomInput(model: Model, seed: number): Int8Array {
  let s = seed >>> 0 || 1;
  const [c, h, w] = model.input.shape;
  return Int8Array.from({ length: c * h * w }, () => {
    s = xorshift32(s);
    return (s & 0xff) - 128;
  });
}
