// The LeNet-5 compiler (accel/compiler.ts) checked end to end on the ISA interpreter: for the committed
// int8 model on the tiny, default and large presets, interpret(compiled program with a digit in DRAM)
// must give exactly runGolden's logits (every byte) for the first 20 test digits. Plus the structure
// of the v2 schedule (weight blocks, prefetch, WAITs), and HazardProgram's fine-grained hazard
// tracking (accel/program-layout.ts): unit cases and random programs whose WAITs it placed, run on
// the RTL, against the interpreter (the timing-free oracle).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, inputToDram, readOutput } from '../../accel/compiler.js';
import { PRESETS } from '../../accel/config.js';
import { runGolden } from '../../accel/golden.js';
import { interpret } from '../../accel/interpret.js';
import { testImages } from '../../accel/mnist.js';
import { readModelFile } from '../../accel/model.js';
import { HazardProgram, interleave } from '../../accel/program-layout.js';
import { runModelImage, runOnRtl } from '../../accel/run.js';
import { resolveConfig } from '../../accel/config.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../gen/accel/config.js';
import { wbufCell } from '../../gen/accel/buffers.js';
import { encodeOffset, encodeParam, WAIT_MASK, type Instruction } from '../../gen/accel/isa.js';
import { packElements, randomConfig, rng } from '../support/accel-programs.js';
import { arbModelPlan, buildModel, randomInput } from './random-model.js';

/** LOAD and STORE share one instruction shape. */
type Transfer = Extract<Instruction, { op: 'LOAD' | 'STORE' }>;

const model = readModelFile('models/lenet5-mnist-int8.sfm');
const digits = testImages(20);

describe('compile (LeNet-5)', () => {
  for (const preset of ['tiny', 'default', 'large']) {
    it(`matches the golden model bit for bit on 20 digits (${preset})`, () => {
      const config = PRESETS[preset]!;
      const compiled = compile(model, config);
      expect(compiled.program.at(-1)).toEqual({ op: 'HALT' });
      for (const d of digits) {
        const golden = runGolden(model, d.image);
        const result = interpret(config, { ...compiled, dram: inputToDram(compiled, d.image) });
        const out = readOutput(compiled, result.dram);
        expect(Array.from(out)).toEqual(Array.from(golden.logits));
      }
    });
  }

  it('reports layer ranges covering the program in order, with the golden MACs', () => {
    const compiled = compile(model, PRESETS.default!);
    expect(compiled.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(compiled.layers.map((l) => l.fused)).toEqual(['pool1', 'pool2', undefined, undefined, undefined]);
    expect(compiled.layers.reduce((s, l) => s + l.macs, 0)).toBe(281_640);
    for (let i = 1; i < compiled.layers.length; i++) expect(compiled.layers[i]!.firstInstr).toBe(compiled.layers[i - 1]!.lastInstr + 1);
    // Every GEMM in a layer range, and the MACs the interpreter streams are at least the exact MACs.
    const d = digits[0]!;
    const result = interpret(PRESETS.default!, { ...compiled, dram: inputToDram(compiled, d.image) });
    expect(result.macs).toBeGreaterThanOrEqual(281_640);
  });

  it('overlaps the GEMM of N tile j+1 with the drain and POST of tile j (GEMMs back to back, POSTs wait on their bank only)', () => {
    const p = compile(model, PRESETS.default!, { resident: true }).resident!.program;
    // The steady stream on default (6 conv1 M tiles, 2 N tiles × 2 M tiles of conv2): the next GEMM (other bank) goes
    // in right behind the previous one, whose POST follows it with a WAIT on that GEMM's bank, not on the GEMM engine
    // (issue 14). (Where the next GEMM waits for a weight LOAD, e.g. tiny's wbuf ring, POSTs may stay behind their own.)
    const compute = p.filter((i) => i.op === 'GEMM' || i.op === 'POST');
    let overlapped = 0;
    for (let i = 0; i + 1 < compute.length; i++) {
      const [a, b] = [compute[i]!, compute[i + 1]!];
      if (a.op === 'GEMM' && b.op === 'POST' && a.bank !== b.bank) overlapped++; // POST j behind GEMM j+1
    }
    expect(overlapped).toBeGreaterThanOrEqual(6);
    const postWaits = p.flatMap((ins, i) => (ins.op === 'WAIT' && p[i + 1]?.op === 'POST' ? [ins.mask] : []));
    expect(postWaits.length).toBeGreaterThanOrEqual(10);
    for (const mask of postWaits) expect(mask & WAIT_MASK.GEMM).toBe(0);
  });

  it('places a WAIT before every instruction that touches what another engine still uses', () => {
    const b = new HazardProgram();
    const gemm: Instruction = { op: 'GEMM', src: 0, bank: 0, mCount: 4, kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0 };
    b.push({ op: 'LOAD', buf: 1, dram: 0, addr: 0, count: 4 }).push(gemm);
    expect(b.program[1]).toEqual({ op: 'WAIT', mask: 1 });
    b.push({ op: 'POST', bank: 1, pool: 0, relu: 0, nValid: 1, chan: 0, dst: 1, dstBase: 0, plane: 4, mCount: 4, interval: 1 });
    expect(b.program.at(-1)!.op).toBe('POST'); // other bank, other buffer: no WAIT
    b.push({ ...gemm, src: 1, bank: 1 } as Instruction);
    expect(b.program.at(-2)).toEqual({ op: 'WAIT', mask: 4 });
  });

  it('compiles unpooled convs (raster order) and models ending in (C,H,W) bit-exactly', () => {
    // conv1 alone (raster pixmem, no pool) and conv1+pool1+conv2 (unpooled conv2) on tiny.
    for (const layers of [model.layers.slice(0, 1), model.layers.slice(0, 3)]) {
      const sub = { ...model, layers };
      const compiled = compile(sub, PRESETS.tiny!);
      for (const d of digits.slice(0, 3)) {
        const result = interpret(PRESETS.tiny!, { ...compiled, dram: inputToDram(compiled, d.image) });
        expect(Array.from(readOutput(compiled, result.dram))).toEqual(Array.from(runGolden(sub, d.image).logits));
      }
    }
  });

  it('LOADs each N tile of weights once, as one block of a wbuf ring (no row reused when the model fits)', () => {
    // Blocks: conv1, conv2, fc1, fc2, fc3 N tiles = ceil(outN / C); an fc layer compiled as one GEMV (tile loading,
    // its block within half the wbuf; accel/compiler/gemv.ts) is one block of all its N tiles.
    // default: conv1 packed (column pooling) as channels 0..3 × 2 pixels and 4..5 × 4 pixels, two blocks.
    const blocks = { tiny: [2, 4, 30, 21, 1], default: [2, 2, 1, 1, 1], large: [1, 1, 1, 1, 1] };
    for (const [preset, perLayer] of Object.entries(blocks)) {
      const compiled = compile(model, PRESETS[preset]!);
      const loads = compiled.program.filter((i): i is Transfer => i.op === 'LOAD' && i.buf === 0);
      expect(loads.length, preset).toBe(perLayer.reduce((a, b) => a + b, 0));
      const rows = loads.reduce((n, l) => n + l.count, 0);
      const depth = compiled.geometry.wbufDepth;
      if (rows <= depth) {
        // default (5,672 of 8,192 rows) and large: every block has rows of its own.
        const used = new Set<number>();
        for (const l of loads) for (let r = l.addr; r < l.addr + l.count; r++) used.add(r);
        expect(used.size, preset).toBe(rows);
      } else {
        // tiny (11,116 rows for 2,048): the ring wraps, so some rows are loaded more than once.
        expect(preset).toBe('tiny');
        expect(Math.max(...loads.map((l) => l.addr + l.count))).toBeLessThanOrEqual(depth);
      }
    }
  });

  it('prefetches: the first weight block of every layer is LOADed before the layer starts; GEMMs do not wait on the DMA', () => {
    for (const preset of ['tiny', 'default', 'large']) {
      const compiled = compile(model, PRESETS[preset]!);
      const p = compiled.program;
      for (const layer of compiled.layers.slice(1)) {
        const first = p.slice(layer.firstInstr).find((i) => i.op === 'GEMM') as Extract<Instruction, { op: 'GEMM' }>;
        const load = p.findIndex((i) => i.op === 'LOAD' && i.buf === 0 && i.addr === first.wRow);
        expect(load, `${preset} ${layer.name}`).toBeLessThan(layer.firstInstr);
      }
      // The v1 schedule waited on the DMA before the first GEMM of every layer and of every reloaded
      // N tile (WAITs on DMA: tiny 54 of 123, default 5 of 39, large 5 of 24). Now at most one is
      // left: before the last layer's first GEMM, whose block is the program's last LOAD (long done).
      const dmaWaits = p.flatMap((i, at) => (i.op === 'WAIT' && i.mask & 1 ? [at] : []));
      expect(dmaWaits.length, preset).toBeLessThanOrEqual(1);
      for (const at of dmaWaits) expect(at, preset).toBeGreaterThanOrEqual(compiled.layers.at(-1)!.firstInstr);
    }
  });

  it('streams the input in chunks: the first GEMM of conv1 needs only the top rows of the image', () => {
    const compiled = compile(model, PRESETS.default!);
    const p = compiled.program;
    const firstGemm = p.findIndex((i) => i.op === 'GEMM');
    const before = p.slice(0, firstGemm).filter((i): i is Transfer => i.op === 'LOAD' && i.buf === 1);
    const all = p.filter((i): i is Transfer => i.op === 'LOAD' && i.buf === 1);
    expect(all.reduce((n, l) => n + l.count, 0)).toBe(784);
    // Chunks tile the image in order, each starting at a DRAM word boundary (P = 8).
    all.forEach((l, i) => expect([l.addr, l.dram * 8]).toEqual([i === 0 ? 0 : all[i - 1]!.addr + all[i - 1]!.count, l.addr]));
    expect(before.length).toBeGreaterThanOrEqual(1);
    // A banked machine LOADs a word per cycle (issue 14): the first chunks of the image (560 of 784 elements, 70
    // words) arrive about as soon as the first one, so the schedule starts conv1 on a larger first M tile.
    expect(before.reduce((n, l) => n + l.count, 0)).toBeLessThan(784);
    expect(all.length).toBeGreaterThan(before.length);
    // The first GEMM reads only the first chunk (later chunks may be issued ahead of it on the DMA engine).
    const firstGemm0 = p[firstGemm] as Extract<Instruction, { op: 'GEMM' }>;
    const reads = Math.max(...compiled.pixmem.slice(firstGemm0.pixAddr, firstGemm0.pixAddr + firstGemm0.mCount)) + Math.max(...compiled.offmem.slice(firstGemm0.offAddr, firstGemm0.offAddr + 8 * firstGemm0.kTiles).map((e) => e & 0xffff));
    expect(reads).toBeLessThan(before[0]!.count);
  });

  it('compiles random small models (fast-check) bit-exactly: interpreter on 60, RTL on 6, with a wrapping wbuf ring and small M tiles', () => {
    // tiny's 4×4 array with 128 wbuf rows (the ring wraps inside most models) and 8 accumulator rows per bank.
    const cramped: AccelHardwareConfig = { ...PRESETS.tiny!, weightBufferBytes: 4 * 128, accumulatorBufferBytes: 2 * 4 * 4 * 8 };
    let compiled = 0;
    let onRtl = 0;
    let wrapped = 0;
    fc.assert(
      fc.property(arbModelPlan, fc.integer({ min: 1, max: 1000 }), (plan, inputSeed) => {
        const sub = buildModel(plan);
        let c: ReturnType<typeof compile>;
        try {
          c = compile(sub, cramped);
        } catch (e) {
          // Models the compiler does not map: a block over the (cramped) buffers (E142); pools of their own stream.
          expect(String(e)).toMatch(/E142/);
          return;
        }
        compiled++;
        const rows = c.program.reduce((n, i) => n + (i.op === 'LOAD' && i.buf === 0 ? i.count : 0), 0);
        if (rows > c.geometry.wbufDepth) wrapped++;
        const input = randomInput(sub, inputSeed);
        const want = Array.from(runGolden(sub, input).logits);
        expect(Array.from(readOutput(c, interpret(cramped, { ...c, dram: inputToDram(c, input) }).dram))).toEqual(want);
        if (onRtl < 6) {
          onRtl++;
          const run = runModelImage(cramped, c, input);
          expect([run.done, run.fault]).toEqual([true, false]);
          expect(Array.from(run.logits)).toEqual(want);
        }
      }),
      { seed: 7, numRuns: 60 },
    );
    expect(compiled).toBeGreaterThanOrEqual(20);
    expect(wrapped).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('rejects an int16 configuration with E142: its POST clamps to int16 where the model clamps to int8', () => {
    // Measured before this check: the int8 model on default with dtype=int16 gave different logits
    // from runGolden for 5 of the first 20 digits (activations above 127 are kept, not clamped).
    const config = resolveConfig({ config: 'default', set: ['dtype=int16'] });
    expect(() => compile(model, config)).toThrow(
      /^E142: Accelerator dtype for model '.*' \(int8 weights and activations\) must be int8, not int16\. Hint: an int16 machine clamps requantized activations to int16/,
    );
  });

  it('maps a maxpool that is not a 2×2/2 pool after a conv2d as a pool of its own (streamed, POST window of 16 rows)', () => {
    const p3 = { ...model, layers: [model.layers[0]!, { kind: 'maxpool' as const, name: 'p3', k: 3, stride: 3 }] };
    const c = compile(p3, PRESETS.default!);
    expect(c.layers.map((l) => l.name)).toEqual(['conv1', 'p3']);
    expect(c.program.some((i) => i.op === 'POST' && i.pool === 1 && i.window === 2)).toBe(true);
    const image = testImages().slice(0, 1)[0]!.image;
    expect(Array.from(readOutput(c, interpret(PRESETS.default!, { ...c, dram: inputToDram(c, image) }).dram))).toEqual(Array.from(runGolden(p3, image).logits));
  });
});

describe('HazardProgram with a HazardDetail (wbuf rows and activation-buffer elements)', () => {
  const g = accelGeometry(PRESETS.tiny!, { imemDepth: 1, pixDepth: 4, offDepth: 8, pmemDepth: 8, dramWords: 64 });
  // Pixels 0..3 and valid offsets {0, 1, 100, 101}: a GEMM over them reads abuf elements 0..4 and 100..104.
  const pixmem = [0, 1, 2, 3];
  const offmem = [0, 1, 100, 101, null, null, null, null].map(encodeOffset);
  const detail = { geometry: g, pixmem, offmem };
  const gemm: Instruction = { op: 'GEMM', src: 0, bank: 0, mCount: 4, kTiles: 2, wRow: 8, pixAddr: 0, offAddr: 0 }; // wbuf rows 8..15
  const post = (over: Partial<Extract<Instruction, { op: 'POST' }>>): Instruction => ({ op: 'POST', bank: 1, pool: 0, relu: 0, nValid: 2, chan: 0, dst: 0, dstBase: 5, plane: 50, mCount: 4, interval: 1, ...over });
  /** The WAIT mask placed before `next` after `first` (0: none). */
  const waitBefore = (first: Instruction[], next: Instruction, tracking: 'parts' | 'whole' = 'parts'): number => {
    const b = new HazardProgram(tracking === 'parts' ? detail : undefined);
    for (const ins of first) b.push(ins);
    const at = b.length;
    b.push(next);
    const w = b.program[at]!;
    return w.op === 'WAIT' ? w.mask : 0;
  };

  it('WAITs exactly when rows or elements overlap; the write port of an activation buffer is one resource', () => {
    const load = (buf: number, addr: number, count: number): Instruction => ({ op: 'LOAD', buf, dram: 0, addr, count });
    expect(waitBefore([gemm], load(0, 16, 4))).toBe(0); // rows 16..19 after 8..15
    expect(waitBefore([gemm], load(0, 15, 1))).toBe(2); // row 15: WAIT GEMM
    expect(waitBefore([gemm], load(1, 5, 95))).toBe(0); // elements 5..99, between the two spans read
    expect(waitBefore([gemm], load(1, 104, 1))).toBe(2);
    expect(waitBefore([gemm], post({ dstBase: 5 }))).toBe(0); // writes 5..8 and 55..58
    expect(waitBefore([gemm], post({ dstBase: 4 }))).toBe(2); // 4 is read
    expect(waitBefore([gemm], post({ dstBase: 51, plane: 49 }))).toBe(2); // channel 1 at 100..103
    // LOAD and POST into one activation buffer share its write port: disjoint elements still clash.
    expect(waitBefore([post({ dst: 1, dstBase: 0 })], load(2, 500, 4))).toBe(4);
    expect(waitBefore([post({ dst: 1, dstBase: 0 })], load(1, 0, 4))).toBe(0);
    // STORE reads elements: a POST may write next to them.
    expect(waitBefore([{ op: 'STORE', buf: 1, dram: 0, addr: 9, count: 10 }], post({ dstBase: 5, plane: 14 }))).toBe(0);
    expect(waitBefore([{ op: 'STORE', buf: 1, dram: 0, addr: 9, count: 11 }], post({ dstBase: 5, plane: 14 }))).toBe(1);
    // A range reaching past its buffer (the RTL would wrap) counts as the whole buffer.
    expect(waitBefore([gemm], load(0, g.wbufDepth - 2, 4))).toBe(2);
    // Without a detail every buffer is tracked whole, as before.
    expect(waitBefore([gemm], load(0, 16, 4), 'whole')).toBe(2);
    expect(waitBefore([gemm], post({ dstBase: 5 }), 'whole')).toBe(2);
  });

  it('interleave keeps both streams in order, honours their constraints and lets LOADs run ahead', () => {
    const b = new HazardProgram(detail);
    const loadA: Instruction = { op: 'LOAD', buf: 0, dram: 0, addr: 8, count: 8 };
    const loadB: Instruction = { op: 'LOAD', buf: 0, dram: 0, addr: 16, count: 8 };
    const gemmB: Instruction = { ...gemm, wRow: 16, bank: 1 } as Instruction;
    const at = interleave(b, [{ ins: gemm, dmaBefore: 1 }, { ins: post({ bank: 0, dst: 1 }), dmaBefore: 0 }, { ins: gemmB, dmaBefore: 2 }], [
      { ins: loadA, computeBefore: 0 },
      { ins: loadB, computeBefore: 0 },
    ]);
    const ops = b.program.map((i) => (i.op === 'WAIT' ? `WAIT${i.mask}` : i.op));
    // loadB can issue as soon as loadA is done, one cycle before the first GEMM could (after its WAIT
    // on loadA), so it goes first; that GEMM then needs no WAIT (loadB writes other rows), the second does.
    expect(ops).toEqual(['LOAD', 'LOAD', 'GEMM', 'WAIT8', 'POST', 'WAIT1', 'GEMM']); // the POST waits for acc bank 0 only
    expect(at).toEqual([2, 3, 5]);
    expect(() => interleave(new HazardProgram(detail), [{ ins: gemm, dmaBefore: 1 }], [{ ins: loadA, computeBefore: 1 }])).toThrow(/wait for each other/);
  });

  /**
   * A random program on the random configuration of `configSeed`, made of episodes: all engines idle
   * (WAIT 7, mostly), then two instructions on different engines whose ranges meet at an edge —
   * overlapping by one row or element, or adjacent — at the start or the end of the first one's
   * range, so that an off-by-one in the tracking lets the second run into the first (a race the
   * final state shows). The WAITs come from a detailed HazardProgram; whole-buffer tracking's are counted.
   */
  function edgeProgram(configSeed: number, seed: number) {
    const config = randomConfig(rng(configSeed));
    const r = rng(seed);
    const R = config.rows;
    const inWords = 48;
    const probe = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
    const D = probe.abufDepth;
    // DRAM: input words, the final dumps of both activation buffers, then the episodes' STOREs.
    const outWords = 2 * Math.ceil(D / probe.elemsPerWord);
    const scratch = inWords + outWords;
    const sizes: AccelSizes = { imemDepth: 160, pixDepth: 8, offDepth: 4 * R, pmemDepth: Math.max(config.cols, 4), dramWords: scratch + 32 };
    const g = accelGeometry(config, sizes);
    const W = g.wbufDepth;
    // Pixels and offsets in small clusters, so that a GEMM reads a few narrow spans of the buffer.
    const pixBase = r.int(0, D >> 2);
    const pixmem = Array.from({ length: sizes.pixDepth }, () => pixBase + r.int(0, 2));
    const offmem = Array.from({ length: sizes.offDepth }, () => encodeOffset(r.chance(0.8) ? r.pick([0, D >> 3, D >> 2]) + r.int(0, 1) : null));
    const pmem = Array.from({ length: sizes.pmemDepth }, () => encodeParam(r.int(-(1 << 16), 1 << 16), r.int(2 ** 30, 2 ** 31 - 1), r.int(8, 30)));
    const lo = -(2 ** (g.bits - 1));
    const dram = Array.from({ length: sizes.dramWords }, (_, w) => (w < inWords ? packElements(Array.from({ length: g.elemsPerWord }, () => r.int(lo, -lo - 1)), g)[0]! : 0n));
    const fine = new HazardProgram({ geometry: g, pixmem, offmem });
    const whole = new HazardProgram();
    const push = (ins: Instruction): void => {
      fine.push(ins);
      whole.push(ins);
    };
    const clamp = (at: number, n: number, depth: number): number => Math.min(Math.max(0, at), depth - n);
    /** A start for `n` entries meeting [a, b) at one of its edges: overlapping it by one (mostly) or adjacent. */
    const meet = ([a, b]: [number, number], n: number, depth: number): number => clamp(r.pick([a - n + 1, b - 1, a - n + 1, b - 1, a - n, b]), n, depth);
    const gemm = (src: number, bank: number, wRow = r.int(0, W - R)): Extract<Instruction, { op: 'GEMM' }> => {
      const kTiles = Math.max(1, Math.min(r.int(1, 3), Math.floor((W - wRow) / R)));
      const mCount = r.int(1, Math.min(g.accRows, sizes.pixDepth));
      return { op: 'GEMM', src, bank, mCount, kTiles, wRow, pixAddr: r.int(0, sizes.pixDepth - mCount), offAddr: r.int(0, sizes.offDepth - kTiles * R) };
    };
    /** The activation spans a GEMM reads (as the tracking computes them, independently here). */
    const reads = (ins: Extract<Instruction, { op: 'GEMM' }>): [number, number][] => {
      const pix = pixmem.slice(ins.pixAddr, ins.pixAddr + ins.mCount);
      const offs = offmem.slice(ins.offAddr, ins.offAddr + ins.kTiles * R).filter((e) => e !== 0).map((e) => e & 0xffff);
      return offs.map((o): [number, number] => [Math.min(...pix) + o, Math.max(...pix) + o + 1]);
    };
    const post = (dst: number, bank: number, dstBase?: number): Extract<Instruction, { op: 'POST' }> => {
      const pool = r.chance(0.3) && g.accRows >= 4 ? 1 : 0;
      const nValid = r.int(1, Math.min(config.cols, sizes.pmemDepth));
      const groups = r.int(1, Math.min(pool ? Math.floor(g.accRows / 4) : g.accRows, 4));
      const plane = r.int(groups, groups + 2);
      const used = (nValid - 1) * plane + groups;
      return { op: 'POST', bank, pool, relu: r.int(0, 1), nValid, chan: r.int(0, sizes.pmemDepth - nValid), dst, dstBase: clamp(dstBase ?? r.int(0, D), used, D), plane, mCount: pool ? 4 * groups : groups, interval: 1 };
    };
    const writes = (ins: Extract<Instruction, { op: 'POST' }>): [number, number][] =>
      Array.from({ length: ins.nValid }, (_, j): [number, number] => [ins.dstBase + j * ins.plane, ins.dstBase + j * ins.plane + (ins.pool ? ins.mCount / 4 : ins.mCount)]);
    const loadW = (addr: number, count: number): Instruction => ({ op: 'LOAD', buf: 0, dram: r.int(0, inWords - count * g.wordsPerWeightRow), addr, count });
    const loadA = (buf: number, addr: number, count: number): Instruction => ({ op: 'LOAD', buf: buf + 1, dram: r.int(0, inWords - Math.ceil(count / g.elemsPerWord)), addr, count });
    const store = (buf: number, addr: number, count: number): Instruction => ({ op: 'STORE', buf: buf + 1, dram: scratch + r.int(0, 32 - count), addr, count });

    for (const buf of [1, 2]) push({ op: 'LOAD', buf, dram: 0, addr: 0, count: Math.min(D, 16 * g.elemsPerWord) });
    push({ op: 'LOAD', buf: 0, dram: 0, addr: 0, count: Math.min(W, Math.floor(inWords / g.wordsPerWeightRow)) });
    for (let episode = 0; episode < 12; episode++) {
      if (r.chance(0.8)) push({ op: 'WAIT', mask: 7 });
      const b = r.int(0, 1);
      const n = r.int(1, 4);
      switch (r.int(0, 7)) {
        case 0: {
          const first = gemm(b, r.int(0, 1));
          push(first);
          push(loadW(meet([first.wRow, first.wRow + first.kTiles * R], Math.min(n, W), W), Math.min(n, W)));
          break;
        }
        case 1: {
          const first = gemm(b, r.int(0, 1));
          push(first);
          const spans = reads(first);
          if (spans.length) push(loadA(b, meet(r.pick(spans), n, D), n));
          break;
        }
        case 2: {
          const first = gemm(b, 0);
          push(first);
          const spans = reads(first);
          if (spans.length) push(post(b, 1, meet(r.pick(spans), 1, D)));
          break;
        }
        case 3: {
          const first = post(b, r.int(0, 1));
          push(first);
          push(store(b, meet(r.pick(writes(first)), n, D), n));
          break;
        }
        case 4: {
          const first = post(b, 0);
          const second = gemm(b, 1);
          const spans = reads(second);
          // Move the POST so that one of its channels meets a span the GEMM reads.
          const span = spans.length ? r.pick(spans) : ([0, 1] as [number, number]);
          const shifted = post(b, 0, meet(span, first.pool ? first.mCount / 4 : first.mCount, D));
          push(shifted);
          push(second);
          break;
        }
        case 5: {
          const second = gemm(b, r.int(0, 1));
          push(loadW(meet([second.wRow, second.wRow + second.kTiles * R], Math.min(n, W), W), Math.min(n, W)));
          push(second);
          break;
        }
        case 6: {
          const second = gemm(b, r.int(0, 1));
          const spans = reads(second);
          if (spans.length) push(loadA(b, meet(r.pick(spans), n, D), n));
          push(second);
          break;
        }
        default: {
          const second = post(b, r.int(0, 1));
          push(store(b, meet(r.pick(writes(second)), n, D), n));
          push(second);
        }
      }
    }
    const perBuf = Math.ceil(D / g.elemsPerWord);
    push({ op: 'STORE', buf: 1, dram: inWords, addr: 0, count: D });
    push({ op: 'STORE', buf: 2, dram: inWords + perBuf, addr: 0, count: D });
    push({ op: 'HALT' });
    const count = (p: HazardProgram): number => p.program.filter((i) => i.op === 'WAIT').length;
    return { config, sizes, image: { program: fine.program, pixmem, offmem, pmem, dram }, fineWaits: count(fine), wholeWaits: count(whole) };
  }

  it('is exactly the hazard rule: 64 random programs of instruction pairs meeting at an edge end on the RTL in the interpreter state', () => {
    let fineWaits = 0;
    let wholeWaits = 0;
    // 8 random configurations (R, C in 1..4, int8/int16, single/double-buffered) × 8 programs each.
    for (let seed = 1; seed <= 64; seed++) {
      const c = edgeProgram(1 + (seed % 8), seed);
      fineWaits += c.fineWaits;
      wholeWaits += c.wholeWaits;
      const g = accelGeometry(c.config, c.sizes);
      const want = interpret(c.config, c.image);
      const run = runOnRtl(c.config, c.sizes, c.image, { maxCycles: 20_000 });
      expect([run.done, run.fault], `seed ${seed}`).toEqual([true, false]);
      expect(run.dram, `seed ${seed}: DRAM`).toEqual(want.dram);
      const peek = (mem: string, a: number): number => Number(run.sim.peekMem(`accel.${mem}`, a));
      for (let r = 0; r < g.wbufDepth; r++) expect(Array.from({ length: g.cols }, (_, j) => peek(wbufCell(g, r, j).mem, wbufCell(g, r, j).addr)), `seed ${seed}: wbuf row ${r}`).toEqual(want.wbuf[r]);
      for (let bank = 0; bank < 2; bank++)
        for (let m = 0; m < g.accRows; m++)
          expect(Array.from({ length: g.cols }, (_, j) => run.sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m)), `seed ${seed}: acc[${bank}][${m}]`).toEqual(want.acc[bank]![m]);
    }
    // Tracking parts of buffers removes WAITs.
    expect(fineWaits).toBeLessThan(wholeWaits);
  }, 120_000);
});
