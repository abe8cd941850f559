// The LeNet-5 compiler (accel/compiler.ts) checked end to end on the ISA interpreter: for the committed
// int8 model on the tiny, default and large presets, interpret(compiled program with a digit in DRAM)
// must give exactly runGolden's logits (every byte) for the first 20 test digits.
import { describe, expect, it } from 'vitest';
import { compile, inputToDram, readOutput } from '../../accel/compiler.js';
import { PRESETS } from '../../accel/config.js';
import { runGolden } from '../../accel/golden.js';
import { interpret } from '../../accel/interpret.js';
import { testImages } from '../../accel/mnist.js';
import { readModelFile } from '../../accel/model.js';
import { HazardProgram } from '../../accel/program-layout.js';
import type { Instruction } from '../../gen/accel/isa.js';

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

  it('overlaps the GEMM of N tile j+1 with the POST of tile j (no WAIT on POST between them)', () => {
    const p = compile(model, PRESETS.tiny!).program;
    // conv2 on tiny has 4 N tiles: after a POST the next GEMM (other bank) must not wait for POST.
    let overlapped = 0;
    for (let i = 0; i + 1 < p.length; i++) if (p[i]!.op === 'POST' && p[i + 1]!.op === 'GEMM') overlapped++;
    expect(overlapped).toBeGreaterThan(10);
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

  it('reloads weights per N tile when a layer does not fit the wbuf (fc1 on tiny)', () => {
    const compiled = compile(model, PRESETS.tiny!);
    const fc1 = compiled.layers.find((l) => l.name === 'fc1')!;
    const loads = compiled.program.slice(fc1.firstInstr, fc1.lastInstr + 1).filter((i) => i.op === 'LOAD' && i.buf === 0);
    expect(loads.length).toBe(Math.ceil(120 / 4));
    expect(compile(model, PRESETS.default!).program.filter((i) => i.op === 'LOAD' && i.buf === 0).length).toBe(5);
  });

  it('rejects a maxpool that is not a 2×2/2 pool directly after a conv2d', () => {
    const bad = { ...model, layers: [model.layers[0]!, { kind: 'maxpool' as const, name: 'p3', k: 3, stride: 3 }] };
    expect(() => compile(bad, PRESETS.default!)).toThrow(/^E142: Layer .* must directly follow a conv2d/);
  });
});
