// accel/fault/inject.ts: the injector on the tiny accelerator running LeNet-5: golden runs, the two "Show"
// cases of issue 6, snapshots + early exit against plain runs from reset, the stuck-at mechanisms against
// each other, state isolation between injections, and coded diagnostics.
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../accel/config.js';
import { createInjector, PERMANENT_LAYER } from '../../../accel/fault/inject.js';
import type { Fault, FaultSite } from '../../../accel/fault/types.js';
import { runGolden } from '../../../accel/golden.js';
import { testImages } from '../../../accel/mnist.js';
import { readModelFile, type FcLayer } from '../../../accel/model.js';
import { accelMachine, runModelImage } from '../../../accel/run.js';
import { splitmix64 } from '../../support/arbitrary.js';
import { diagnosticOf } from '../../support/cli.js';

const model = readModelFile('models/lenet5-mnist-int8.sfm');
const config = PRESETS.tiny!;
const images = testImages(2);
const injector = createInjector({ model, config, images });
const plain = createInjector({ model, config, images, snapshotInterval: 0 });

const diagnostic = diagnosticOf;

/** The golden run's state after `cycle` cycles, in the shared simulator (to pick injection cycles). */
function goldenSimAt(image: number, cycle: number) {
  const golden = injector.golden(image);
  const { sim } = accelMachine(config, injector.compiled.sizes);
  sim.restore(golden.loaded);
  sim.reset();
  sim.step(cycle);
  return sim;
}

describe('golden runs', () => {
  it('equal runModelImage: cycles, logits and layer charges; snapshots every ceil(cycles/32)', () => {
    const golden = injector.golden(0);
    const run = runModelImage(config, injector.compiled, images[0]!.image);
    expect(golden.cycles).toBe(run.cycles);
    expect(Array.from(golden.logits)).toEqual(Array.from(run.logits));
    expect(golden.predicted).toBe(run.predicted);
    const charges = golden.layerStarts.map((s, i) => (golden.layerStarts[i + 1] ?? golden.cycles) - s);
    expect(charges).toEqual(run.layerCycles);
    expect(injector.snapshotInterval()).toBe(Math.ceil(golden.cycles / 32));
    expect(golden.snapshots).toHaveLength(Math.floor(golden.cycles / injector.snapshotInterval()) + 1);
    expect(injector.goldenCycles(0)).toBe(golden.cycles);
    expect(plain.golden(0).snapshots).toHaveLength(0);
  });
});

describe('show: outcomes that must happen', () => {
  it('a stuck-at-1 on the MSB of the final-layer accumulator of the golden class is critical', () => {
    // fc3 (10 outputs, no ReLU) runs as ceil(10/C) N tiles of one GEMM each (M = 1), so output channel
    // c accumulates in accumulator column c mod C, row 0 of the bank of tile floor(c/C): word
    // bank·accRows of buf.acc.mem[c mod C]. Each K-tile step reads the word (MSB stuck at 1), adds and
    // writes back; adding multiples of 2^31 leaves the low 31 bits alone, so POST finally reads
    // (p mod 2^31) - 2^31 for the true accumulator p. For p >= 0 (checked below on the golden run; the
    // earlier layers, which also use row 0 of that bank, lose a few ReLU outputs to the fault but p
    // stays far above 0) that is about -2^31: z = acc + bias saturates the requantization at -128, the
    // smallest logit, so the golden class can no longer be the argmax.
    const image = 0;
    const golden = injector.golden(image);
    const c = golden.predicted;
    expect(c).toBe(images[image]!.label);
    const fc3 = model.layers[model.layers.length - 1] as FcLayer;
    const fc2Out = runGolden(model, images[image]!.image).activations.at(-2)!;
    const p = Array.from({ length: fc3.in }, (_, i) => fc3.weights[c * fc3.in + i]! * fc2Out[i]!).reduce((a, b) => a + b, 0);
    expect(p).toBeGreaterThan(10_000);
    const layer = injector.compiled.layers.at(-1)!;
    const gemms = injector.compiled.program.slice(layer.firstInstr, layer.lastInstr + 1).filter((ins) => ins.op === 'GEMM');
    const tile = gemms[Math.floor(c / config.cols)]!;
    if (tile.op !== 'GEMM') throw new Error('not a GEMM');
    const site = injector.catalog.lookup(`buf.acc.mem[${c % config.cols}]`)!;
    const fault: Fault = { model: 'stuck1', site: site.name, addr: tile.bank * injector.compiled.geometry.accRows, bits: [config.accWidth - 1], cycle: 0 };
    const { result, logits } = injector.run(image, fault);
    expect(result).toMatchObject({ outcome: 'critical', goldenPredicted: c, hang: false, earlyExit: false, layer: PERMANENT_LAYER });
    expect(logits[c]).toBe(-128);
    expect(result.predicted).not.toBe(c);
  });

  it('a flip in a register that is overwritten before it is read is masked (and ends early)', () => {
    // post.requant.q_q (the requantizer's output register) loads every edge, and its only reader is
    // the activation-buffer write port, enabled by valid_out_q. Flipped in a cycle where valid_out_q
    // is 0, nobody reads the wrong byte before the next edge overwrites it: after that edge the whole
    // state is the golden state again, so the injection ends as masked at the next snapshot.
    const golden = injector.golden(0);
    const findCycle = (validOut: bigint): number => {
      let cycle = Math.floor(golden.cycles / 2);
      const sim = goldenSimAt(0, cycle);
      while (sim.peek('accel.requant.valid_out_q') !== validOut) {
        sim.step();
        cycle++;
      }
      return cycle;
    };
    const idle = findCycle(0n);
    const site = injector.catalog.lookup('post.requant.q_q')!;
    const fault: Fault = { model: 'seu', site: site.name, addr: 0, bits: [0, 1, 2, 3, 4, 5, 6, 7], cycle: idle };
    const fast = injector.inject(0, fault);
    expect(fast).toMatchObject({ outcome: 'masked', earlyExit: true, hang: false, predicted: golden.predicted });
    const interval = injector.snapshotInterval();
    expect(fast.cycles).toBe((Math.floor(idle / interval) + 1) * interval - Math.floor(idle / interval) * interval);
    expect(plain.inject(0, fault)).toMatchObject({ outcome: 'masked', earlyExit: false, cycles: golden.cycles });
    // The contrast: the same flip in a cycle where the byte is written goes into the next layer.
    const written = injector.inject(0, { ...fault, bits: [6], cycle: findCycle(1n) });
    expect(written.outcome).not.toBe('masked');
    expect(written.earlyExit).toBe(false);
  });
});

describe('snapshots and early exit', () => {
  it('give the outcome of a plain run from reset (seeded random SEUs and MBUs)', () => {
    const next = splitmix64(2024);
    const rand = (n: number): number => Number(next() % BigInt(n));
    const registers = injector.sites('*').filter((s) => s.kind === 'register');
    const memories = injector.sites('*').filter((s) => s.kind === 'memory');
    const cycles = injector.goldenCycles(1);
    let early = 0;
    for (let i = 0; i < 10; i++) {
      const pool: FaultSite[] = i % 2 === 0 ? registers : memories;
      const site = pool[rand(pool.length)]!;
      const first = rand(site.width);
      const bits = i % 3 === 2 && site.width > 1 ? [first, (first + 1) % site.width] : [first];
      const fault: Fault = { model: 'seu', site: site.name, addr: rand(site.depth), bits, cycle: rand(cycles) };
      const a = injector.run(1, fault);
      const b = plain.run(1, fault);
      const what = JSON.stringify(fault);
      expect(a.result.outcome, what).toBe(b.result.outcome);
      expect(a.result.predicted, what).toBe(b.result.predicted);
      expect(a.result.hang, what).toBe(b.result.hang);
      expect(a.result.layer, what).toBe(b.result.layer);
      expect(Array.from(a.logits), what).toEqual(Array.from(b.logits));
      expect(a.result.cycles, what).toBeLessThanOrEqual(b.result.cycles);
      if (a.result.earlyExit) early++;
    }
    expect(early).toBeGreaterThan(0);
  });
});

describe('stuck-at', () => {
  it("'rewrite' equals a variant compiled with forces, for registers and read ports", () => {
    const forced = createInjector({ model, config, images, stuckAt: 'forces' });
    const faults: Fault[] = [
      { model: 'stuck1', site: 'accel.array.pe_3_1.psum_q', addr: 0, bits: [31], cycle: 0 },
      { model: 'stuck0', site: 'accel.array.pe_1_2.weight_q', addr: 0, bits: [2, 5], cycle: 0 },
      { model: 'stuck1', site: 'accel.gemm_accq_0', addr: 0, bits: [20], cycle: 0 }, // a read port
      { model: 'stuck1', site: 'accel.requant.sum_q', addr: 0, bits: [32], cycle: 0 }, // 33 bits: the BigInt path
    ];
    for (const fault of faults) {
      const a = injector.run(0, fault);
      const b = forced.run(0, fault);
      expect(a.result, fault.site).toEqual(b.result);
      expect(Array.from(a.logits), fault.site).toEqual(Array.from(b.logits));
    }
    expect(forced.stats().compiles).toBe(faults.length);
    expect(injector.stats().compiles).toBe(0);
  });

  it('a stuck net (forces) equals the same stuck bit of the register that drives it', () => {
    // array.pe[3][0].psumOut is the output port of that PE's psum_q and its only reader.
    const net = injector.run(0, { model: 'stuck0', site: 'array.pe[3][0].psumOut', addr: 0, bits: [4], cycle: 0 });
    const reg = injector.run(0, { model: 'stuck0', site: 'array.pe[3][0].acc', addr: 0, bits: [4], cycle: 0 });
    expect(net.result.outcome).toBe(reg.result.outcome);
    expect(net.result.cycles).toBe(reg.result.cycles);
    expect(Array.from(net.logits)).toEqual(Array.from(reg.logits));
  });

  it('a GEMM engine that never finishes hangs: critical with hang after 2× the golden cycles', () => {
    // gemm.active is busy_gemm; stuck at 1, the first WAIT for the GEMM engine waits forever.
    const r = injector.inject(0, { model: 'stuck1', site: 'gemm.active', addr: 0, bits: [0], cycle: 0 });
    expect(r).toMatchObject({ outcome: 'critical', hang: true, cycles: 2 * injector.goldenCycles(0), earlyExit: false });
  });
});

describe('injector', () => {
  it('classifies a fault the controller flags as detected', () => {
    // Bits above the HALT opcode's (empty) fields must be zero: the controller raises `fault`.
    const halt = injector.compiled.program.length - 1;
    const r = injector.inject(0, { model: 'seu', site: 'buf.instr.mem', addr: halt, bits: [95], cycle: 0 });
    expect(r.outcome).toBe('detected');
    expect(r.hang).toBe(false);
  });

  it('leaks no state between injections', () => {
    const seu: Fault = { model: 'seu', site: 'accel.gemm_accOut_2', addr: 0, bits: [9], cycle: Math.floor(injector.goldenCycles(0) / 3) };
    const stuck: Fault = { model: 'stuck1', site: 'accel.accbuf_1', addr: 3, bits: [30], cycle: 0 };
    const first = injector.run(0, seu);
    const middle = injector.run(0, stuck);
    expect(injector.run(0, seu)).toEqual(first);
    expect(injector.run(0, stuck)).toEqual(middle);
    const golden = injector.golden(0);
    expect(Array.from(runModelImage(config, injector.compiled, images[0]!.image).logits)).toEqual(Array.from(golden.logits));
    expect(first.result.layer).toBe(injector.compiled.layers.find((_, i) => golden.layerStarts[i]! <= seu.cycle && (golden.layerStarts[i + 1] ?? Infinity) > seu.cycle)!.name);
  });

  it('rejects bad faults (E152) and bad options (E153)', () => {
    const seu = (f: Partial<Fault>): Fault => ({ model: 'seu', site: 'accel.gemm_accOut_0', addr: 0, bits: [0], cycle: 10, ...f });
    const cases: [Partial<Fault> | number, RegExp][] = [
      [{ site: 'array.pe[0][0].accc' }, /Fault site must be a site of the accelerator simulation top, not 'array.pe\[0\]\[0\].accc'.*close names: .*array.pe\[0\]\[0\].acc/],
      [{ site: 'array.pe[0][0].psumOut' }, /Site of an seu \('array.pe\[0\]\[0\].psumOut'\) must be a register, read port or memory/],
      [{ bits: [32] }, /Bits of a fault in 'gemm.accOut\[0\]' must be one or more distinct integers in 0..31, not \[32\]/],
      [{ bits: [] }, /Bits of a fault/],
      [{ bits: [3, 3] }, /Bits of a fault/],
      [{ addr: 1 }, /Word address of a fault in 'gemm.accOut\[0\]' must be 0/],
      [{ site: 'buf.acc.mem[0]', addr: 256 }, /must be an integer in 0..255, not 256/],
      [{ cycle: -1 }, /Cycle of an seu must be an integer in 0../],
      [{ cycle: 10_000_000 }, /Cycle of an seu/],
      [{ model: 'stuck0', cycle: 5 }, /Cycle of a stuck0 fault must be 0/],
      [{ model: 'flip' as Fault['model'] }, /Fault model must be seu, stuck0, stuck1, not 'flip'/],
      [7, /Image of an injection must be an index in 0..1/],
    ];
    for (const [c, re] of cases) {
      const d = diagnostic(() => (typeof c === 'number' ? injector.inject(c, seu({})) : injector.inject(0, seu(c))));
      expect(d.code, JSON.stringify(c)).toBe('E152');
      expect(d.message).toMatch(re);
    }
    expect(diagnostic(() => createInjector({ model, config, images: [] })).code).toBe('E153');
    expect(diagnostic(() => createInjector({ model, config, images, snapshotInterval: -5 })).message).toMatch(/Injector option 'snapshotInterval' must be an integer >= 0/);
    expect(diagnostic(() => createInjector({ model, config, images, goldenCacheImages: 0 })).code).toBe('E153');
    expect(diagnostic(() => createInjector({ model, config, images, stuckAt: 'both' as 'rewrite' })).code).toBe('E153');
  });
});
