// Random designs for property tests (fast-check): an arbitrary of recipes (./recipe.ts), built
// through the DSL, so fast-check shrinks the plain-data recipe and the designs look like real ones:
// random DAGs of every operator at widths 1..maxWidth with mixed signedness and extreme constants,
// registers with and without reset and enable, memories (init contents, depths that are not powers
// of two, read enables, several write ports) and a child module instantiated twice.
import fc from 'fast-check';
import type { Design, Module, Shape } from '../../hdl/ir/index.js';
import { clockingOf, dumpDesign, fromBits, mask, topModule } from '../../hdl/ir/index.js';
import type { ConstRecipe, DesignRecipe, MemRecipe, ModuleRecipe, NodeRecipe, RegRecipe, ShapeRecipe } from './recipe.js';
import { buildRecipe, NODE_OPS } from './recipe.js';

export interface RandomCase {
  /** Elaborated and validated (built with the DSL, no diagnostics). */
  readonly design: Design;
  /** Top inputs except clk/rst. */
  readonly inputs: readonly { name: string; shape: Shape }[];
  readonly outputs: readonly { name: string; shape: Shape }[];
  /** dumpDesign(design), printed when a case fails. */
  readonly description: string;
  /** The recipe the design was built from. */
  readonly recipe: DesignRecipe;
}

export interface ArbOptions {
  /** Widest signal or operator result (default 128, at least 4). */
  maxWidth?: number;
  /** Most combinational nodes per module (default 16). */
  maxNodes?: number;
  /** Registers (default true). */
  sequential?: boolean;
  /** Memories (default: as sequential; never without sequential). */
  memories?: boolean;
  /** A child module instantiated twice (default true). */
  hierarchy?: boolean;
}

/** Widths that sit at word boundaries of the simulators (32/64-bit paths) and the 128-bit limit. */
const EDGE_WIDTHS = [1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128];

function arbWidth(maxWidth: number): fc.Arbitrary<number> {
  const edges = EDGE_WIDTHS.filter((w) => w <= maxWidth);
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 1, max: maxWidth }));
}

const arbRaw = fc.bigInt({ min: 0n, max: mask(128) });

function arbShape(maxWidth: number): fc.Arbitrary<ShapeRecipe> {
  return fc.record({ width: arbWidth(maxWidth), signed: fc.boolean() });
}

const arbConst: fc.Arbitrary<ConstRecipe> = fc.record({ pick: fc.nat({ max: 11 }), k: arbRaw });

/** Pool indices: small numbers are common (they shrink to the first values), larger ones reach far. */
const arbIndex = fc.oneof(fc.nat({ max: 8 }), fc.nat({ max: 64 }));

const arbNode: fc.Arbitrary<NodeRecipe> = fc.record({
  op: fc.constantFrom(...NODE_OPS),
  a: arbIndex,
  b: arbIndex,
  c: arbIndex,
  // Parameters are unbiased: fast-check's bias to small numbers would hide wide slices and extensions.
  p: fc.noBias(fc.nat({ max: 1023 })),
  q: fc.noBias(fc.nat({ max: 1023 })),
  r: fc.noBias(fc.nat({ max: 1 << 20 })),
  k: arbRaw,
  named: fc.boolean(),
});

function arbReg(maxWidth: number): fc.Arbitrary<RegRecipe> {
  return fc.record({
    width: arbWidth(maxWidth),
    signed: fc.boolean(),
    reset: fc.option(arbConst, { freq: 3 }),
    init: fc.option(arbConst, { freq: 2 }),
    enable: fc.option(arbIndex, { freq: 2 }),
    next: arbIndex,
  });
}

function arbMem(maxWidth: number): fc.Arbitrary<MemRecipe> {
  return fc.record({
    width: arbWidth(maxWidth),
    signed: fc.boolean(),
    depth: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 12, 16, 17), fc.integer({ min: 1, max: 40 })),
    init: fc.option(fc.array(arbRaw, { maxLength: 40 }), { freq: 2 }),
    writes: fc.array(fc.record({ addr: arbIndex, data: arbIndex, enable: arbIndex }), { minLength: 1, maxLength: 3 }),
    reads: fc.array(fc.record({ addr: arbIndex, enable: fc.option(arbIndex, { freq: 2 }) }), { minLength: 1, maxLength: 2 }),
  });
}

function arbModule(maxWidth: number, maxNodes: number, regs: boolean, mems: boolean): fc.Arbitrary<ModuleRecipe> {
  return fc.record({
    inputs: fc.array(arbShape(maxWidth), { minLength: 1, maxLength: 5 }),
    regs: regs ? fc.array(arbReg(maxWidth), { maxLength: 3 }) : fc.constant([]),
    mems: mems ? fc.array(arbMem(maxWidth), { maxLength: 2 }) : fc.constant([]),
    nodes: fc.array(arbNode, { minLength: 1, maxLength: Math.max(1, maxNodes) }),
    outputs: fc.array(arbIndex, { maxLength: 3 }),
  });
}

/** Random design recipes (plain data); arbDesign builds them. */
export function arbRecipe(options: ArbOptions = {}): fc.Arbitrary<DesignRecipe> {
  const maxWidth = Math.min(128, Math.max(4, options.maxWidth ?? 128));
  const maxNodes = options.maxNodes ?? 16;
  const regs = options.sequential ?? true;
  const mems = regs && (options.memories ?? regs);
  const hierarchy = options.hierarchy ?? true;
  const child = hierarchy
    ? fc.option(
        fc.record({
          module: arbModule(maxWidth, Math.max(1, Math.floor(maxNodes / 2)), regs, mems),
          at: fc.nat({ max: maxNodes }),
          inputs: fc.array(arbIndex, { maxLength: 8 }),
        }),
        { freq: 2 },
      )
    : fc.constant(null);
  return fc.record({ maxWidth: fc.constant(maxWidth), top: arbModule(maxWidth, maxNodes, regs, mems), child });
}

function portsOf(m: Module, dir: 'in' | 'out'): { name: string; shape: Shape }[] {
  return m.ports.filter((p) => p.dir === dir).map((p) => ({ name: p.name, shape: p.shape }));
}

/** Build a recipe into a RandomCase (module names as given, for batching designs side by side). */
export function caseOfRecipe(recipe: DesignRecipe, names?: { top: string; child: string }): RandomCase {
  const design = buildRecipe(recipe, names);
  const top = topModule(design);
  const description = dumpDesign(design);
  const c: RandomCase = { design, inputs: portsOf(top, 'in'), outputs: portsOf(top, 'out'), description, recipe };
  // fast-check prints counterexamples with this method: the IR dump rather than the object graph.
  Object.defineProperty(c, fc.toStringMethod, { value: () => description, enumerable: false });
  return c;
}

export function arbDesign(options: ArbOptions = {}): fc.Arbitrary<RandomCase> {
  return arbRecipe(options).map((r) => caseOfRecipe(r));
}

/** The same case with its modules renamed `<prefix>_top`/`<prefix>_child`, so several fit in one Verilog build. */
export function renameCase(c: RandomCase, prefix: string): RandomCase {
  return caseOfRecipe(c.recipe, { top: `${prefix}_top`, child: `${prefix}_child` });
}

/** Whether the case's top has the implicit clock (and so the pseudo-input 'rst'). */
export function hasClock(c: RandomCase): boolean {
  return clockingOf(c.design).get(c.design.top)?.clk ?? false;
}

/** splitmix64 (Steele, Lea, Flood 2014) on BigInt: small, seedable, good enough for stimulus. */
export function splitmix64(seed: number): () => bigint {
  let state = BigInt.asUintN(64, BigInt(seed));
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** A random value of a shape, biased to extremes (0, -1/all ones, min, max); signed shapes get signed integers. */
export function randomValue(next: () => bigint, shape: Shape): bigint {
  const w = shape.width;
  let bits: bigint;
  switch (Number(next() % 8n)) {
    case 0:
      bits = 0n;
      break;
    case 1:
      bits = mask(w);
      break;
    case 2:
      bits = 1n << BigInt(w - 1);
      break;
    case 3:
      bits = mask(w - 1);
      break;
    default: {
      bits = 0n;
      for (let got = 0; got < w; got += 64) bits = (bits << 64n) | next();
      bits &= mask(w);
    }
  }
  return fromBits(bits, w, shape.signed);
}

/**
 * Deterministic random stimulus for `cycles` cycles: each cycle maps every input name (and 'rst'
 * when the design has a clock: asserted in cycle 0, then rarely) to a value that fits.
 */
export function randomStimulus(c: RandomCase, cycles: number, seed: number): Record<string, bigint>[] {
  const next = splitmix64(seed);
  const clocked = hasClock(c);
  const out: Record<string, bigint>[] = [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    const vec: Record<string, bigint> = {};
    if (clocked) vec.rst = cycle === 0 || next() % 16n === 0n ? 1n : 0n;
    for (const i of c.inputs) vec[i.name] = randomValue(next, i.shape);
    out.push(vec);
  }
  return out;
}
