// Differential test of the Verilog emitter: the emitted Verilog, simulated by Icarus, must give the same
// outputs every cycle as the reference interpreter of the IR (sim/reference.ts), for the example designs
// and for random designs that mix every operator at random widths and signedness. Random designs also
// go through Verilator -Wall, which must stay silent.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Design, Shape } from '../../hdl/ir/index.js';
import { binaryShape, clockingOf, MAX_WIDTH, toBits, topModule, unaryShape } from '../../hdl/ir/index.js';
import { build, cat, defineModule, mux, type ModuleDef, type Value } from '../../hdl/dsl/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { ReferenceSim } from '../../sim/reference.js';
import { simulateIcarus, simulateIcarusFiles, type CycleInputs } from '../support/icarus-bench.js';
import { lintVerilator, runYosysScript, tempDir } from '../support/tools.js';
import { buildExample, EXAMPLES } from './examples.js';

/** mulberry32: a small seeded generator, so every run tests the same cases. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function randomBits(rnd: (n: number) => number, width: number): bigint {
  switch (rnd(6)) {
    case 0:
      return 0n;
    case 1:
      return (1n << BigInt(width)) - 1n; // all ones: -1 when signed
    case 2:
      return 1n << BigInt(width - 1); // most negative when signed
    default: {
      let v = 0n;
      for (let i = 0; i < width; i += 16) v = (v << 16n) | BigInt(rnd(0x10000));
      return toBits(v, width);
    }
  }
}

/** Random inputs every cycle; reset asserted in the first cycle and now and then. */
function randomStimulus(design: Design, cycles: number, seed: number): CycleInputs[] {
  const rnd = prng(seed);
  const inputs = topModule(design).ports.filter((p) => p.dir === 'in');
  return Array.from({ length: cycles }, (_, k) => {
    const c: Record<string, bigint> = { rst: k === 0 || rnd(16) === 0 ? 1n : 0n };
    for (const p of inputs) c[p.name] = randomBits(rnd, p.shape.width);
    return c;
  });
}

/** Outputs of the reference interpreter for the same stimulus, as bit patterns. */
function referenceRun(design: Design, stimulus: readonly CycleInputs[]): Map<string, bigint>[] {
  const sim = new ReferenceSim(design);
  const top = topModule(design);
  const clk = clockingOf(design).get(top.name) ?? { clk: false, rst: false };
  return stimulus.map((cycle) => {
    if (clk.rst) sim.poke('rst', cycle['rst'] ?? 0n);
    for (const p of top.ports) if (p.dir === 'in') sim.poke(p.name, cycle[p.name] ?? 0n);
    const out = new Map<string, bigint>();
    for (const p of top.ports) if (p.dir === 'out') out.set(p.name, toBits(sim.peek(p.name), p.shape.width));
    if (clk.clk) sim.step();
    return out;
  });
}

/**
 * Yosys's reading of the emitted files after coarse synthesis (wreduce, alumacc, share, memory
 * inference), written back as a Verilog netlist: what an FPGA flow would build.
 */
async function yosysNetlist(design: Design): Promise<string> {
  const dir = tempDir();
  const files = writeVerilog(design, dir);
  const reads = files.map((f) => `read_verilog ${path.basename(f)}`).join('; ');
  const r = await runYosysScript(files, `${reads}; synth -top ${design.top} -run begin:fine; techmap; opt -fast; write_verilog -noattr netlist.v`);
  if (!r.ok || r.files['netlist.v'] === undefined) throw new Error(`yosys failed:\n${r.output}`);
  const netlist = path.join(dir, 'netlist.v');
  writeFileSync(netlist, r.files['netlist.v']);
  return netlist;
}

/** The first disagreement between Icarus and the reference, as readable text (null when none). */
function firstDivergence(design: Design, stimulus: readonly CycleInputs[], netlist?: string): string | null {
  const icarus = netlist ? simulateIcarusFiles(design, [netlist], stimulus) : simulateIcarus(design, stimulus);
  const reference = referenceRun(design, stimulus);
  for (let k = 0; k < stimulus.length; k++) {
    for (const [name, want] of reference[k]!) {
      const got = icarus[k]!.get(name);
      if (got !== want) return `cycle ${k}, output '${name}': reference 0x${want.toString(16)}, Icarus 0x${got?.toString(16)}`;
    }
  }
  return null;
}

describe('emitted Verilog in Icarus agrees with the reference interpreter', () => {
  for (const [i, ex] of EXAMPLES.entries()) {
    it(ex.name, () => {
      const design = buildExample(ex);
      expect(firstDivergence(design, randomStimulus(design, 80, 1000 + i))).toBeNull();
    });
  }
});

describe("Yosys's reading of the emitted Verilog (coarse synthesis netlist in Icarus) agrees too", () => {
  for (const [i, ex] of EXAMPLES.entries()) {
    it(ex.name, async () => {
      const design = buildExample(ex);
      expect(firstDivergence(design, randomStimulus(design, 80, 1000 + i), await yosysNetlist(design))).toBeNull();
    });
  }
});

// ---- random designs ----

const pick = <T>(rnd: (n: number) => number, xs: readonly T[]): T => xs[rnd(xs.length)]!;

function randomShape(rnd: (n: number) => number): Shape {
  const width = pick(rnd, [1, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 32, 33, 40, 64, 65, 70]);
  return { width, signed: rnd(2) === 1 };
}

/**
 * A combinational module of random operators over random inputs. Values are reused (a DAG);
 * only some of them become outputs, so partly read results (trunc, slice) are common.
 */
function randomDesign(seed: number): ModuleDef {
  return defineModule({ name: `random_${seed}`, generator: 'random', params: { seed } }, (m) => {
    const rnd = prng(seed);
    const pool: Value[] = [];
    // Operators only on values that are not all constant: Verilator folds constant sub-expressions
    // and then rejects, e.g., constant shift amounts of 2^32 and more (real designs fold these away).
    const constant = new Set<Value>();
    const inputs: Value[] = [];
    const inputCount = 2 + rnd(4);
    for (let i = 0; i < inputCount; i++) {
      const v = m.input(`in${i}`, randomShape(rnd));
      inputs.push(v);
      m.output(`echo${i}`, v); // every input bit is read
      pool.push(v);
    }
    const operand = (): Value => {
      if (rnd(8) === 0) {
        const s = randomShape(rnd);
        const bits = randomBits(rnd, s.width);
        const c = m.constant(s.signed ? BigInt.asIntN(s.width, bits) : bits, s);
        constant.add(c);
        return c;
      }
      return pool[pool.length - 1 - rnd(Math.min(pool.length, 8))]!;
    };
    const fits = (s: Shape): boolean => s.width <= Math.min(MAX_WIDTH, 96);
    const binaryOps = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'shl', 'shr', 'sra'] as const;
    let outputs = 0;
    for (let step = 0; step < 40; step++) {
      let a = operand();
      let b = operand();
      if (constant.has(a)) [a, b] = [b, a];
      if (constant.has(a)) continue;
      let v: Value;
      switch (rnd(9)) {
        case 0:
        case 1: {
          const op = pick(rnd, binaryOps);
          if (!fits(binaryShape(op, a.shape, b.shape))) continue;
          // Verilator rejects shift amounts with constant bits worth 2^32 or more ({x, 70'h...});
          // wide amounts stay covered by input amounts.
          const amount = (op === 'shl' || op === 'shr' || op === 'sra') && b.width > 32 && !inputs.includes(b) ? b.trunc(32) : b;
          v = a[op](amount);
          break;
        }
        case 2: {
          const op = pick(rnd, ['not', 'neg', 'andR', 'orR', 'xorR'] as const);
          const irOp = ({ not: 'not', neg: 'neg', andR: 'andr', orR: 'orr', xorR: 'xorr' } as const)[op];
          if (!fits(unaryShape(irOp, a.shape))) continue;
          v = a[op]();
          break;
        }
        case 3: {
          const amount = rnd(a.width + 3);
          const op = pick(rnd, ['shl', 'shr', 'sra'] as const);
          if (op === 'shl' && !fits({ width: a.width + amount, signed: a.signed })) continue;
          v = a[op](amount);
          break;
        }
        case 4: {
          const lo = rnd(a.width);
          v = a.slice(lo, 1 + rnd(a.width - lo));
          break;
        }
        case 5: {
          const width = a.width + rnd(6);
          if (!fits({ width, signed: true })) continue;
          v = rnd(2) ? a.sext(width) : a.zext(width);
          break;
        }
        case 6:
          v = rnd(3) === 0 ? (a.signed ? a.asUnsigned() : a.asSigned()) : a.trunc(1 + rnd(a.width));
          break;
        case 7:
          if (a.width + b.width > 96) continue;
          v = cat(a, b);
          break;
        default: {
          const sel = a.width === 1 ? a : a.bit(rnd(a.width));
          const c = operand();
          if (!fits(binaryShape('or', b.shape, c.shape))) continue;
          v = mux(sel, b, c);
          break;
        }
      }
      pool.push(v);
      if (rnd(3) === 0) m.output(`out${outputs++}`, v);
    }
    m.output(`out${outputs}`, pool[pool.length - 1]!);
  });
}

describe('random designs', () => {
  // SPLITFUSE_RANDOM_DESIGNS=500 runs more of them (the same ones every time for a given count).
  const count = Number(process.env['SPLITFUSE_RANDOM_DESIGNS'] ?? 30);
  const seeds = Array.from({ length: count }, (_, i) => 7000 + i);
  for (const seed of seeds) {
    it(`seed ${seed}: Icarus matches the reference and Verilator -Wall is silent`, () => {
      const design = build(randomDesign(seed));
      const stimulus = randomStimulus(design, 24, seed);
      expect(firstDivergence(design, stimulus)).toBeNull();
      // Random designs compare values with constant sub-expressions (x & 0), which Verilator folds
      // and then reports as CMPCONST/UNSIGNED (a comparison the design could have decided). The
      // emitter decides comparisons with a literal itself (all_ops.cmp_decided stays -Wall clean);
      // only these two warnings are off here.
      const lint = lintVerilator(writeVerilog(design, tempDir()), design.top, ['-Wno-CMPCONST', '-Wno-UNSIGNED']);
      expect(lint.output).toBe('');
    });
    it(`seed ${seed}: Yosys's netlist matches the reference`, async () => {
      const design = build(randomDesign(seed));
      expect(firstDivergence(design, randomStimulus(design, 24, seed), await yosysNetlist(design))).toBeNull();
    });
  }
});
