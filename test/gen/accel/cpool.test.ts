// Column pooling (POST cpool, issue 14): a pool window of 4·2^window elements taken as Gr = E/P rows × P = 2^cpool
// adjacent columns (gen/accel/isa.ts). The interpreter against a direct computation, the RTL against the
// interpreter on random programs, busyEstimate against the RTL's busy_post, Verilator lint and co-simulation, and
// the compiler's packed conv mappings (accel/compiler.ts, Packing) against the golden model.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../../gen/accel/config.js';
import { encode, decode, encodeOffset, encodeParam, encodeZeroPoint, type Instruction } from '../../../gen/accel/isa.js';
import { decodeParamWord, interpret, requantLane, type ProgramImage } from '../../../accel/interpret.js';
import { busyEstimate } from '../../../accel/program-layout.js';
import { PRESETS } from '../../../accel/config.js';
import { compile, inputToDram, postTileSite, readOutput } from '../../../accel/compiler.js';
import { runGolden } from '../../../accel/golden.js';
import { testImages } from '../../../accel/mnist.js';
import { readModelFile } from '../../../accel/model.js';
import { runModelImage } from '../../../accel/run.js';
import { defaultToolchain, type Toolchain } from '../../../sim/verilator/index.js';
import { cosimPrograms, expectAccelLintClean, expectCosimClean } from '../../support/accel-cosim.js';
import { packElements, randomConfig, randomProgram, rng, runOnRtl } from '../../support/accel-programs.js';
import { arbModelPlan, buildModel, randomInput } from '../../accel/random-model.js';

type Post = Extract<Instruction, { op: 'POST' }>;

/** Random models that start with a conv (1..8 output channels) and a fused 2×2/2 pool, then random layers. */
const arbPooledPlan = arbModelPlan.map((p) => ({
  ...p,
  side: Math.max(p.side, 6),
  spatial: [
    { kind: 'conv2d' as const, k: 1 + (p.seed % 3), stride: 1 + ((p.seed >> 2) % 2), outC: 1 + ((p.seed >> 3) % 8), relu: p.spatial[0]?.relu ?? true },
    { kind: 'maxpool' as const, k: 2, stride: 2, outC: 1, relu: false },
    ...p.spatial.slice(0, 1),
  ],
}));
const small: AccelHardwareConfig = { ...PRESETS.tiny!, rows: 4, cols: 8 };

/** A GEMM filling acc bank 0 with random sums, then `post`; the image and its geometry. */
function postProgram(seed: number, config: AccelHardwareConfig, post: Post): { image: ProgramImage; sizes: AccelSizes } {
  const r = rng(seed);
  const sizes: AccelSizes = { imemDepth: 16, pixDepth: 64, offDepth: 8, pmemDepth: 16, dramWords: 256 };
  const g = accelGeometry(config, sizes);
  const words = 64;
  const dram = Array.from({ length: sizes.dramWords }, (_, w) => (w < words ? packElements(Array.from({ length: g.elemsPerWord }, () => r.int(-128, 127)), g)[0]! : 0n));
  const pmem = Array.from({ length: sizes.pmemDepth }, () => encodeParam(r.int(-5000, 5000), r.int(2 ** 29, 2 ** 31 - 1), r.int(10, 20)) | encodeZeroPoint(r.int(-20, 20), g.protection));
  const program: Instruction[] = [
    { op: 'LOAD', buf: 1, dram: 0, addr: 0, count: 256 },
    { op: 'LOAD', buf: 0, dram: 0, addr: 0, count: g.rows },
    { op: 'WAIT', mask: 1 },
    { op: 'GEMM', src: 0, bank: 0, mCount: Math.min(64, g.accRows), kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0 },
    { op: 'WAIT', mask: 2 },
    post,
    { op: 'WAIT', mask: 4 },
    { op: 'STORE', buf: 2, dram: 128, addr: 0, count: 256 },
    { op: 'HALT' },
  ];
  const pixmem = Array.from({ length: 64 }, () => r.int(0, 200));
  const offmem = Array.from({ length: 8 }, (_, k) => encodeOffset(k));
  return { image: { program, pixmem, offmem, pmem, dram }, sizes };
}

describe('POST column pooling (cpool)', () => {
  it('encodes cpool at bits 89..91 next to a 5-bit interval; the interpreter equals a direct computation', () => {
    const ins: Post = { op: 'POST', bank: 1, pool: 1, relu: 1, nValid: 3, chan: 2, dst: 1, dstBase: 9, plane: 40, mCount: 16, interval: 31, cpool: 5, lcu: 1, window: 7 };
    expect(decode(encode(ins))).toEqual(ins);
    expect((encode(ins) >> 89n) & 7n).toBe(5n);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.constantFrom(0, 1), fc.constantFrom(1, 2, 3), fc.integer({ min: 0, max: 1 }), (seed, window, cpool, relu) => {
        const P = 1 << cpool;
        const E = 4 << window;
        if (P > E) return;
        const Gr = E / P;
        const nValid = Math.floor(8 / P);
        const groups = Math.floor(32 / Gr) > 0 ? 3 : 1;
        const post: Post = { op: 'POST', bank: 0, pool: 1, relu, nValid, chan: 1, dst: 1, dstBase: 5, plane: 7, mCount: Gr * groups, interval: 1, window, cpool };
        const { image } = postProgram(seed, small, post);
        const out = interpret(small, image);
        const acc = out.acc[0]!;
        for (let gi = 0; gi < nValid; gi++) {
          const { bias, b, c, zeroPoint } = decodeParamWord(image.pmem[1 + gi]!);
          for (let q = 0; q < groups; q++) {
            let want = -Infinity;
            for (let rr = Gr * q; rr < Gr * q + Gr; rr++) for (let j = gi * P; j < gi * P + P; j++) want = Math.max(want, requantLane(acc[rr]![j]! + BigInt(bias), b, c, 8, relu === 1, zeroPoint));
            expect(out.abuf[1]![5 + gi * 7 + q], `g ${gi} q ${q}`).toBe(want);
          }
        }
      }),
      { seed: 14, numRuns: 40 },
    );
  });

  it('refuses what the hardware cannot pool: P > window, P·nValid > C, mCount not a multiple of Gr, cpool without pool', () => {
    const base: Post = { op: 'POST', bank: 0, pool: 1, relu: 0, nValid: 2, chan: 0, dst: 1, dstBase: 0, plane: 8, mCount: 8, interval: 1, cpool: 2 };
    const run = (post: Post) => () => interpret(small, postProgram(1, small, post).image);
    expect(run(base)).not.toThrow();
    expect(run({ ...base, cpool: 3 })).toThrow('2^cpool must be at most the pool window 4, not 8');
    expect(run({ ...base, cpool: 3, window: 1, nValid: 2 })).toThrow('2^cpool·nValid must be at most C = 8, not 16');
    expect(run({ ...base, cpool: 1, mCount: 3 })).toThrow('mCount must be a multiple of the pool window 2 (rows) with pool, not 3');
    expect(run({ ...base, pool: 0 })).toThrow('cpool must be 0 without pool, not 2');
  });

  it('RTL = interpreter on programs with column pooling, and busy_post lasts busyEstimate cycles', () => {
    const shapes: [number, number, number, number][] = [
      // window, cpool, nValid, interval (cpool = 0: the 2×2 pool as before; the formula covers it too)
      [0, 0, 4, 1],
      [0, 0, 1, 2],
      [0, 1, 4, 1],
      [0, 2, 2, 1],
      [0, 2, 1, 3],
      [1, 1, 3, 2],
      [1, 3, 1, 1],
      [0, 1, 1, 0],
    ];
    for (const [i, [window, cpool, nValid, interval]] of shapes.entries()) {
      const Gr = (4 << window) >> cpool;
      const post: Post = { op: 'POST', bank: 0, pool: 1, relu: i % 2, nValid, chan: 2, dst: 1, dstBase: 3, plane: 11, mCount: Gr * 5, interval, window, cpool };
      const { image, sizes } = postProgram(100 + i, small, post);
      const run = runOnRtl(small, sizes, image, { trace: true });
      expect([run.done, run.fault]).toEqual([true, false]);
      expect(run.dram).toEqual(interpret(small, image).dram);
      const busy = run.trace!.filter((t) => t.post === 1).length;
      expect({ window, cpool, nValid, interval, busy }).toEqual({ window, cpool, nValid, interval, busy: busyEstimate(post, accelGeometry(small, sizes)) });
    }
  });

  it('RTL = interpreter on random programs whose pooled POSTs draw cpool', () => {
    let pooled = 0;
    for (let seed = 1; seed <= 80 && pooled < 8; seed++) {
      const c = randomProgram(seed, randomConfig(rng(seed)));
      const n = c.image.program.filter((i) => i.op === 'POST' && (i.cpool ?? 0) > 0).length;
      if (n === 0) continue;
      pooled += n;
      const run = runOnRtl(c.config, c.sizes, c.image);
      expect([run.done, run.fault]).toEqual([true, false]);
      expect(run.dram).toEqual(interpret(c.config, c.image).dram);
    }
    expect(pooled).toBeGreaterThanOrEqual(8);
  }, 120_000);

  it('emits Verilog that lints clean (column-pool tree on 8 columns and on 3)', () => {
    const sizes: AccelSizes = { imemDepth: 16, pixDepth: 64, offDepth: 16, pmemDepth: 16, dramWords: 256 };
    expectAccelLintClean([small, { ...small, cols: 3 }], sizes, 'cpool');
  }, 120_000);

  describe('Verilator co-simulation', () => {
    let toolchain: Toolchain;
    beforeAll(async () => {
      toolchain = await defaultToolchain();
    });
    it('agrees with the TS simulator in every cycle of two hand-made programs with column pooling (P = 4 and P = 2)', async () => {
      const post: Post = { op: 'POST', bank: 0, pool: 1, relu: 1, nValid: 2, chan: 1, dst: 1, dstBase: 3, plane: 11, mCount: 12, interval: 1, cpool: 2 };
      const hand = { config: small, ...postProgram(7, small, post) };
      const second = { config: small, ...postProgram(8, small, { ...post, cpool: 1, nValid: 4, mCount: 16, window: 0 }) };
      expectCosimClean(await cosimPrograms([hand, second], toolchain), { cycles: 100, registers: 100 });
    }, 300_000);

    it('agrees with the TS simulator in every cycle of a compiled packed conv+pool model (P = 2 and P = 4 tiles)', async () => {
      // conv 1→6 channels 3×3 on 10×10, 2×2 pool, fc 10: on 8 columns the channels split as 4 × P = 2 and 2 × P = 4.
      const config: AccelHardwareConfig = { ...PRESETS.tiny!, cols: 8 };
      const plan = { inC: 1, side: 10, spatial: [{ kind: 'conv2d' as const, k: 3, stride: 1, outC: 6, relu: true }, { kind: 'maxpool' as const, k: 2, stride: 2, outC: 1, relu: false }], fcOuts: [{ out: 10, relu: false }], seed: 99, cMin: 12, cMax: 6, biasMax: 100 };
      const sub = buildModel(plan);
      const c = compile(sub, config);
      const cpools = c.program.flatMap((i) => (i.op === 'POST' && i.cpool ? [i.cpool] : []));
      expect(new Set(cpools)).toEqual(new Set([1, 2]));
      const input = randomInput(sub, 5);
      const image: ProgramImage = { program: c.program, pixmem: c.pixmem, offmem: c.offmem, pmem: c.pmem, dram: inputToDram(c, input) };
      expect(Array.from(readOutput(c, interpret(config, image).dram))).toEqual(Array.from(runGolden(sub, input).logits));
      expectCosimClean(await cosimPrograms([{ config, sizes: c.sizes, image }], toolchain), { cycles: 500, registers: 100 });
    }, 300_000);
  });
});

describe('packed conv mappings (compiler)', () => {
  const model = readModelFile('models/lenet5-mnist-int8.sfm');

  it('LeNet-5 conv1 on default: channels 0..3 × 2 pixels (4 K tiles) and 4..5 × 4 pixels (5 K tiles), 1,872 array cycles', () => {
    const c = compile(model, PRESETS.default!);
    const conv1 = c.layers[0]!;
    const gemms = c.program.slice(conv1.firstInstr, conv1.lastInstr + 1).filter((i): i is Extract<Instruction, { op: 'GEMM' }> => i.op === 'GEMM');
    const posts = c.program.slice(conv1.firstInstr, conv1.lastInstr + 1).filter((i): i is Post => i.op === 'POST');
    const byTile = (cpool: number): Post[] => posts.filter((p) => (p.cpool ?? 0) === cpool);
    expect(byTile(1).every((p) => p.nValid === 4 && p.chan === 0)).toBe(true);
    expect(byTile(2).every((p) => p.nValid === 2 && p.chan === 4)).toBe(true);
    expect(byTile(1).reduce((n, p) => n + p.mCount, 0)).toBe(288);
    expect(byTile(2).reduce((n, p) => n + p.mCount, 0)).toBe(144);
    expect(gemms.reduce((n, gm) => n + gm.mCount * gm.kTiles, 0)).toBe(1_872);
    // Unpacked: 576 vectors × 4 K tiles.
    const plain = compile(model, PRESETS.default!, { pack: false });
    const gemms0 = plain.program.slice(plain.layers[0]!.firstInstr, plain.layers[0]!.lastInstr + 1).filter((i): i is Extract<Instruction, { op: 'GEMM' }> => i.op === 'GEMM');
    expect(gemms0.reduce((n, gm) => n + gm.mCount * gm.kTiles, 0)).toBe(2_304);
    expect(plain.program.some((i) => i.op === 'POST' && (i.cpool ?? 0) > 0)).toBe(false);
    // A protected machine never packs (the correction unit and the fault tools assume one pixel per row).
    const prot = compile(model, { ...PRESETS.default!, protection: 'dup' });
    expect(prot.program.some((i) => i.op === 'POST' && (i.cpool ?? 0) > 0)).toBe(false);
  });

  it('LeNet-5 packed equals the golden model on default (interpreter, batch 1 and 3) and on the RTL (one digit)', () => {
    const images = testImages().slice(0, 3);
    const c = compile(model, PRESETS.default!);
    for (const { image } of images) expect(Array.from(readOutput(c, interpret(PRESETS.default!, { ...c, dram: inputToDram(c, image) }).dram))).toEqual(Array.from(runGolden(model, image).logits));
    const run = runModelImage(PRESETS.default!, c, images[0]!.image);
    expect([run.done, run.fault]).toEqual([true, false]);
    expect(Array.from(run.logits)).toEqual(Array.from(runGolden(model, images[0]!.image).logits));
  }, 120_000);

  it('postTileSite: a packed tile holds pixel p of a window in column channel·P + p of the window\'s rows', () => {
    const base = { layer: 'x', instr: 0, bank: 0, m0: 8, mCount: 16, channel0: 4, nValid: 2, pool: true };
    // Pixel 8 + 4·w + 2·dy + dx of window w.
    expect(postTileSite({ ...base, pack: 4 }, 5, 8 + 4 * 2 + 2 + 1)).toEqual({ row: 2, col: 4 + 3 });
    expect(postTileSite({ ...base, pack: 2 }, 5, 8 + 4 * 2 + 2 + 1)).toEqual({ row: 5, col: 2 + 1 });
    expect(postTileSite({ ...base, pack: 2 }, 4, 8 + 0)).toEqual({ row: 0, col: 0 });
    expect(postTileSite(base, 5, 9)).toEqual({ row: 1, col: 1 });
  });

  it('random small conv+pool models compiled with packing equal the golden model: interpreter on 40, RTL on 4', () => {
    const config: AccelHardwareConfig = { ...PRESETS.tiny!, cols: 8 };
    let packed = 0;
    let onRtl = 0;
    fc.assert(
      fc.property(arbPooledPlan, fc.integer({ min: 1, max: 1000 }), (plan, inputSeed) => {
        const sub = buildModel(plan);
        let c: ReturnType<typeof compile>;
        try {
          c = compile(sub, config, { batch: 1 + (inputSeed % 2) });
        } catch (e) {
          expect(String(e)).toMatch(/E142/);
          return;
        }
        const isPacked = c.program.some((i) => i.op === 'POST' && (i.cpool ?? 0) > 0);
        if (!isPacked) return;
        packed++;
        const input = randomInput(sub, inputSeed);
        const want = Array.from(runGolden(sub, input).logits);
        expect(Array.from(readOutput(c, interpret(config, { ...c, dram: inputToDram(c, input) }).dram))).toEqual(want);
        if (onRtl < 4 && (c.batch ?? 1) === 1) {
          onRtl++;
          const run = runModelImage(config, c, input);
          expect([run.done, run.fault]).toEqual([true, false]);
          expect(Array.from(run.logits)).toEqual(want);
        }
      }),
      { seed: 1414, numRuns: 80 },
    );
    expect(packed).toBeGreaterThanOrEqual(10);
    expect(onRtl).toBe(4);
  }, 180_000);
});
