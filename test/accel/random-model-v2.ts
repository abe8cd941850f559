// Random small format-version-2 models (padding, average pooling, activation zero points, strides) for property
// tests of accel/model.ts and accel/golden.ts: a fast-check arbitrary of plain-data plans, built into consistent
// models whose tensors come from xorshift32 seeded by the plan.
import fc from 'fast-check';
import { xorshift32 } from '../../bench/stimulus.js';
import type { Layer, Model, Padding } from '../../accel/model.js';

export interface SpatialPlan {
  readonly kind: 'conv2d' | 'maxpool' | 'avgpool';
  readonly k: number;
  readonly stride: number;
  /** Each entry is reduced modulo k (a pad must be smaller than the kernel). */
  readonly pad: readonly [number, number, number, number];
  readonly outC: number;
  readonly relu: boolean;
  readonly countIncludePad: boolean;
  readonly outZeroPoint: number;
}

export interface ModelPlanV2 {
  readonly inC: number;
  readonly side: number;
  readonly inZeroPoint: number;
  readonly spatial: readonly SpatialPlan[];
  readonly fcOuts: readonly { readonly out: number; readonly relu: boolean; readonly outZeroPoint: number }[];
  readonly seed: number;
  readonly cMin: number;
  readonly cMax: number;
  readonly biasMax: number;
}

const zeroPoint = fc.oneof(fc.constant(0), fc.constant(-128), fc.integer({ min: -128, max: 127 }));
const pad = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }));

export const arbModelPlanV2: fc.Arbitrary<ModelPlanV2> = fc.record({
  inC: fc.integer({ min: 1, max: 3 }),
  side: fc.integer({ min: 3, max: 10 }),
  inZeroPoint: zeroPoint,
  spatial: fc.array(
    fc.record({
      kind: fc.constantFrom('conv2d' as const, 'maxpool' as const, 'avgpool' as const),
      k: fc.integer({ min: 1, max: 4 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad,
      outC: fc.integer({ min: 1, max: 4 }),
      relu: fc.boolean(),
      countIncludePad: fc.boolean(),
      outZeroPoint: zeroPoint,
    }),
    { maxLength: 3 },
  ),
  fcOuts: fc.array(fc.record({ out: fc.integer({ min: 1, max: 12 }), relu: fc.boolean(), outZeroPoint: zeroPoint }), { minLength: 1, maxLength: 2 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  cMin: fc.integer({ min: 1, max: 30 }),
  cMax: fc.integer({ min: 0, max: 20 }),
  biasMax: fc.constantFrom(0, 100, 1 << 16, 1 << 24),
});

/** Build the plan into a consistent model; spatial layers that no longer fit the activation are dropped. */
export function buildModelV2(plan: ModelPlanV2): Model {
  let s = plan.seed >>> 0 || 1;
  const next = (lo: number, hi: number): number => {
    s = xorshift32(s);
    return lo + (s % (hi - lo + 1));
  };
  const params = (nOut: number, nW: number, relu: boolean, outZeroPoint: number) => ({
    relu,
    outScale: 0.05,
    ...(outZeroPoint !== 0 ? { outZeroPoint } : {}),
    weights: Int8Array.from({ length: nW }, () => next(-128, 127)),
    bias: Int32Array.from({ length: nOut }, () => next(-plan.biasMax, plan.biasMax)),
    requantB: Int32Array.from({ length: nOut }, () => next(2 ** 30, 2 ** 31 - 1)),
    requantC: Uint8Array.from({ length: nOut }, () => next(plan.cMin, Math.min(63, plan.cMin + plan.cMax))),
  });
  const layers: Layer[] = [];
  let c = plan.inC;
  let h = plan.side;
  let w = plan.side;
  plan.spatial.forEach((l, i) => {
    const p = l.pad.map((v) => v % l.k) as unknown as Padding;
    const ph = h + p[0] + p[2];
    const pw = w + p[1] + p[3];
    if (ph < l.k || pw < l.k) return;
    const padField = p.some((v) => v !== 0) ? { pad: p } : {};
    if (l.kind === 'maxpool') layers.push({ kind: 'maxpool', name: `pool${i}`, k: l.k, stride: l.stride, ...padField });
    else if (l.kind === 'avgpool') layers.push({ kind: 'avgpool', name: `avg${i}`, k: l.k, stride: l.stride, ...padField, countIncludePad: l.countIncludePad });
    else {
      layers.push({ kind: 'conv2d', name: `conv${i}`, inC: c, outC: l.outC, k: l.k, stride: l.stride, ...padField, ...params(l.outC, l.outC * c * l.k * l.k, l.relu, l.outZeroPoint) });
      c = l.outC;
    }
    h = Math.floor((ph - l.k) / l.stride) + 1;
    w = Math.floor((pw - l.k) / l.stride) + 1;
  });
  layers.push({ kind: 'flatten', name: 'flatten' });
  let n = c * h * w;
  plan.fcOuts.forEach((f, i) => {
    layers.push({ kind: 'fc', name: `fc${i}`, in: n, out: f.out, ...params(f.out, f.out * n, f.relu, f.outZeroPoint) });
    n = f.out;
  });
  const zp = plan.inZeroPoint !== 0 ? { zeroPoint: plan.inZeroPoint } : {};
  return { name: `random-v2-${plan.seed}`, input: { shape: [plan.inC, plan.side, plan.side], scale: 1 / 127, ...zp }, layers, metadata: { seed: plan.seed } };
}
