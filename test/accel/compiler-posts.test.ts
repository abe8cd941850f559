// CompiledModel.posts: every POST instruction of the program is described once, in program order, and the
// tiles of a layer cover each (pixel, channel) of its GEMM exactly once.
import { describe, expect, it } from 'vitest';
import { compile } from '../../accel/compiler.js';
import { PRESETS } from '../../accel/config.js';
import { readModelFile } from '../../accel/model.js';

describe('compiler POST tiles', () => {
  it.each(['tiny', 'default'])('describe every POST of LeNet-5 on %s', (preset) => {
    const model = readModelFile('models/lenet5-mnist-int8.sfm');
    const compiled = compile(model, PRESETS[preset]!);
    const postIdx = compiled.program.flatMap((ins, i) => (ins.op === 'POST' ? [i] : []));
    expect(compiled.posts.map((p) => p.instr)).toEqual(postIdx);
    for (const p of compiled.posts) {
      const ins = compiled.program[p.instr]!;
      if (ins.op !== 'POST') throw new Error('not a POST');
      // A GEMV's row-major POST (PostTile.rowWidth): its rows are N tiles of rowWidth channels, all of one pixel.
      if (p.rowWidth) expect([ins.bank, ins.mCount, ins.nValid, ins.pool, p.mCount]).toEqual([p.bank, Math.ceil(p.nValid / p.rowWidth), p.rowWidth, 0, 1]);
      // A packed tile (PostTile.pack, column pooling): mCount pixels in mCount / pack vectors (rows), cpool = log2 pack.
      else if (p.pack) expect([ins.bank, ins.mCount, ins.nValid, ins.cpool]).toEqual([p.bank, p.mCount / p.pack, p.nValid, Math.log2(p.pack)]);
      else expect([ins.bank, ins.mCount, ins.nValid]).toEqual([p.bank, p.mCount, p.nValid]);
    }
    for (const layer of compiled.layers) {
      const tiles = compiled.posts.filter((p) => p.layer === layer.name);
      const seen = new Set<string>();
      for (const t of tiles) for (let r = 0; r < t.mCount; r++) for (let j = 0; j < t.nValid; j++) seen.add(`${t.m0 + r}:${t.channel0 + j}`);
      const cells = tiles.reduce((s, t) => s + t.mCount * t.nValid, 0);
      expect(seen.size).toBe(cells);
    }
  });
});
