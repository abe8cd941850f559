// Ring addressing (config ringAddressing; gen/accel/ring.ts, isa.ts RING and GEMM ring/ringSel) and the wide GEMM
// tables of activation buffers beyond 2^16 elements (isa.ts encodeOffset): random GEMMs whose activation reads wrap
// inside ring registers leave exactly the accumulators the interpreter computes, a RING right after a GEMM does not
// change that GEMM, offsets above 65535 reach the top of a 2^17-element buffer; the Verilog lints clean; ring
// instructions fault on a machine without rings (controller) and throw in the interpreter.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../accel/compiler.js';
import { readModel } from '../../../accel/model.js';
import { runModelImage } from '../../../accel/run.js';
import { DiagnosticError, renderDiagnostic } from '../../../hdl/diagnostics.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../../gen/accel/config.js';
import { decodeOffset, encode, encodeOffset, type Instruction } from '../../../gen/accel/isa.js';
import { interpret, type ProgramImage } from '../../../accel/interpret.js';
import { PRESETS } from '../../../accel/config.js';
import { expectAccelLintClean } from '../../support/accel-cosim.js';
import { packElements, packWeightRows, rng, runOnRtl } from '../../support/accel-programs.js';

const ringTiny: AccelHardwareConfig = { ...PRESETS.tiny!, ringAddressing: true };
/** A 2×2 machine with 2^17-element activation buffers: 17-bit pixmem, 18-bit offmem entries. */
const wide: AccelHardwareConfig = { ...PRESETS.tiny!, rows: 2, cols: 2, activationBufferBytes: 2 << 17, ringAddressing: true };

/** The RTL's accumulators equal the interpreter's, and both finish. */
function expectSameAccumulators(config: AccelHardwareConfig, sizes: AccelSizes, image: ProgramImage): void {
  const g = accelGeometry(config, sizes);
  const want = interpret(config, image);
  const run = runOnRtl(config, sizes, image, { maxCycles: 400_000 });
  expect([run.done, run.fault]).toEqual([true, false]);
  for (let bank = 0; bank < 2; bank++)
    for (let m = 0; m < g.accRows; m++) expect(Array.from({ length: g.cols }, (_, j) => run.sim.peekMem(`accel.accbuf_${j}`, bank * g.accRows + m)), `acc[${bank}][${m}]`).toEqual(want.acc[bank]![m]);
  expect(run.counters.cnt_macs).toBe(want.macs);
}

/** LOADs of random activations into abuf0 (all of it) and `rows` random weight rows, then `body`, then HALT. */
function imageWith(config: AccelHardwareConfig, seed: number, rows: number, body: (r: ReturnType<typeof rng>, pixmem: number[], offmem: number[]) => Instruction[]): { image: ProgramImage; sizes: AccelSizes } {
  const r = rng(seed);
  const probe = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  const acts = Array.from({ length: probe.abufDepth }, () => r.int(-128, 127));
  const weights = Array.from({ length: rows }, () => Array.from({ length: probe.cols }, () => r.int(-128, 127)));
  const dram = [...packWeightRows(weights, probe), ...packElements(acts, probe)];
  const wWords = rows * probe.wordsPerWeightRow;
  const pixmem: number[] = [];
  const offmem: number[] = [];
  const program: Instruction[] = [
    { op: 'LOAD', buf: 0, dram: 0, addr: 0, count: rows },
    { op: 'LOAD', buf: 1, dram: wWords, addr: 0, count: probe.abufDepth },
    { op: 'WAIT', mask: 7 },
    ...body(r, pixmem, offmem),
    { op: 'HALT' },
  ];
  const image: ProgramImage = { program, pixmem, offmem, pmem: [0n], dram };
  return { image, sizes: { imemDepth: program.length, pixDepth: pixmem.length, offDepth: offmem.length, pmemDepth: 1, dramWords: dram.length } };
}

describe('ring addressing', () => {
  it('wraps GEMM activation reads inside the selected ring register exactly as the interpreter (random rings, pixels, offsets; a RING right after a GEMM leaves it unchanged)', () => {
    // Banked buffers (the preset) take ring sizes that are multiples of the banks and K tiles whose offsets are
    // distinct mod the banks (accel/compiler/banks.ts); read copies take any.
    const ringCopies: AccelHardwareConfig = { ...ringTiny, activationLayout: 'copies' };
    for (const [config, seed] of [[ringTiny, 1], [ringTiny, 2], [ringCopies, 3], [ringCopies, 4]] as const) {
      const NB = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 }).abufBanks;
      const { image, sizes } = imageWith(config, seed, 8, (r, pixmem, offmem) => {
        const body: Instruction[] = [];
        for (let i = 0; i < 6; i++) {
          const reg = r.int(0, 3);
          const size = NB * Math.ceil(r.int(8, 600) / NB);
          const base = r.int(0, 4096 - size);
          const M = r.int(1, 12);
          const pixAddr = pixmem.length;
          for (let m = 0; m < M; m++) pixmem.push(base + r.int(0, size - 1));
          const offAddr = offmem.length;
          // Offsets below size: every sum lies in [base, base + 2·size), and many wrap.
          for (let t = 0; t < 2; t++) {
            const residues = Array.from({ length: NB }, (_, b) => b); // banks of this tile's rows: a seeded shuffle
            for (let b = NB - 1; b > 0; b--) {
              const c = r.int(0, b);
              [residues[b], residues[c]] = [residues[c]!, residues[b]!];
            }
            for (let k = 0; k < 4; k++) offmem.push(r.chance(0.1) ? encodeOffset(null) : encodeOffset(NB > 1 ? residues[k]! + NB * r.int(0, size / NB - 1) : r.int(0, size - 1)));
          }
          body.push({ op: 'RING', reg, base, size }, { op: 'GEMM', src: 0, bank: i % 2, mCount: M, kTiles: 2, wRow: 0, pixAddr, offAddr, ring: 1, ...(reg ? { ringSel: reg } : {}) });
          // Overwrite the register while the GEMM runs: it latched the old values when it issued.
          body.push({ op: 'RING', reg, base: r.int(0, 100), size: r.int(1, 50) }, { op: 'WAIT', mask: 7 });
        }
        return body;
      });
      const wraps = image.program.filter((ins) => ins.op === 'GEMM').length;
      expect(wraps).toBe(6);
      expectSameAccumulators(config, sizes, image);
    }
  });

  it('reaches the top of a 2^17-element activation buffer with offsets above 65535 (17-bit pixmem, 18-bit offmem entries), with and without a ring', () => {
    expect(decodeOffset(encodeOffset(100_000))).toBe(100_000);
    expect(encodeOffset(1234)).toBe((1 << 16) | 1234); // small offsets keep the 17-bit layout
    const { image, sizes } = imageWith(wide, 5, 4, (r, pixmem, offmem) => {
      pixmem.push(3, 65_535, 70_000, 131_000);
      for (let k = 0; k < 4; k++) offmem.push(encodeOffset([0, 65_533, 1, 60_002][k]!)); // K tiles conflict-free on 4 banks
      return [
        { op: 'GEMM', src: 0, bank: 0, mCount: 2, kTiles: 2, wRow: 0, pixAddr: 0, offAddr: 0 }, // up to 65,535 + 65,533
        { op: 'WAIT', mask: 7 },
        // A ring of 100,000 elements at 31,072: 131,000 + 65,533 wraps to 96,533.
        { op: 'RING', reg: 2, base: 31_072, size: 100_000 },
        { op: 'GEMM', src: 0, bank: 1, mCount: 4, kTiles: 2, wRow: 0, pixAddr: 0, offAddr: 0, ring: 1, ringSel: 2 },
      ];
    });
    expectSameAccumulators(wide, sizes, image);
  });

  it('emits Verilog that lints clean with ring registers and with wide tables', () => {
    const sizes: AccelSizes = { imemDepth: 64, pixDepth: 256, offDepth: 128, pmemDepth: 16, dramWords: 1024 };
    expectAccelLintClean([ringTiny, wide], sizes, 'ring');
  });

  it('faults on RING and GEMM ring bits without ring addressing, and on RING fields wider than an activation-buffer address; the interpreter throws for the same programs', () => {
    const sizes: AccelSizes = { imemDepth: 8, pixDepth: 4, offDepth: 4, pmemDepth: 4, dramWords: 16 };
    const base: ProgramImage = { program: [], pixmem: [0, 0, 0, 0], offmem: [0, 0, 0, 0], pmem: [0n, 0n, 0n, 0n], dram: new Array<bigint>(16).fill(0n) };
    const abufBits = Math.ceil(Math.log2(accelGeometry(ringTiny, sizes).abufDepth));
    const gemm: Instruction = { op: 'GEMM', src: 0, bank: 0, mCount: 1, kTiles: 1, wRow: 0, pixAddr: 0, offAddr: 0, ring: 1 };
    const cases: [string, AccelHardwareConfig, Instruction, RegExp][] = [
      ['RING without ring addressing', PRESETS.tiny!, { op: 'RING', reg: 0, base: 0, size: 8 }, /RING needs a machine with ring addressing/],
      ['GEMM ring bit without ring addressing', PRESETS.tiny!, gemm, /ring must be 0 on a machine without ring addressing/],
      ['RING base beyond the abuf', ringTiny, { op: 'RING', reg: 1, base: 1 << abufBits, size: 8 }, /base must be in 0\.\.4095/],
      ['RING size beyond the abuf', ringTiny, { op: 'RING', reg: 3, base: 0, size: 1 << abufBits }, /size must be in 0\.\.4095/],
    ];
    for (const [what, config, ins, error] of cases) {
      const run = runOnRtl(config, sizes, base, { maxCycles: 50, rawProgram: [encode({ op: 'WAIT', mask: 7 }), encode(ins), encode({ op: 'HALT' })] });
      expect({ what, fault: run.fault, done: run.done, pc: run.sim.peekNumber('pc') }).toEqual({ what, fault: true, done: false, pc: 1 });
      expect(() => interpret(config, { ...base, program: [{ op: 'WAIT', mask: 7 }, ins, { op: 'HALT' }] }), what).toThrow(error);
    }
    // A compiled model with ring GEMMs on a machine without rings: E197 before anything runs.
    const model = readModel(readFileSync(new URL('../../../models/cifar10-cnn-random-int8.sfm', import.meta.url)), 'cifar10-cnn-random-int8.sfm');
    const compiled = compile(model, { ...PRESETS.tiny!, ringAddressing: true, fuse: [{ first: 0, last: 1, tileRows: 1 }] } as AccelHardwareConfig);
    let diagnostic = '';
    try {
      runModelImage(PRESETS.tiny!, compiled, new Int8Array(3 * 32 * 32));
    } catch (e) {
      diagnostic = e instanceof DiagnosticError ? e.diagnostics.map(renderDiagnostic).join('\n') : String(e);
    }
    expect(diagnostic).toMatch(/^E197: Machine 'tiny' running a program with RING \(instruction \d+\) must have ring addressing \(ringAddressing=true\), not be without it\. Hint: /);
    // The same slot with a valid RING runs to HALT on the ring machine.
    const ok = runOnRtl(ringTiny, sizes, base, { maxCycles: 50, rawProgram: [encode({ op: 'WAIT', mask: 7 }), encode({ op: 'RING', reg: 3, base: 4000, size: 95 }), encode({ op: 'HALT' })] });
    expect([ok.fault, ok.done]).toEqual([false, true]);
  });
});
