// Stimulus for co-simulation: one map per cycle from input name to value (the implicit reset is the
// input 'rst'). A deterministic random stimulus is used when the caller gives none.
import type { Design, Shape } from '../../hdl/ir/index.js';
import { clockingOf, fits, fromBits, mask, topModule } from '../../hdl/ir/index.js';

/** One map per cycle; a missing input keeps its previous value (0 before the first). */
export type Stimulus = readonly Readonly<Record<string, bigint | number>>[];

/** splitmix64 (Steele, Lea, Flood, OOPSLA 2014): small, seedable, statistically sound for test vectors. */
function splitmix64(seed: number): () => bigint {
  let state = BigInt.asUintN(64, BigInt(Math.trunc(seed)));
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** A value of `shape`, one time in two an extreme (0, all ones, the sign bit alone, all but the sign bit). */
function randomBits(next: () => bigint, width: number): bigint {
  switch (Number(next() % 8n)) {
    case 0:
      return 0n;
    case 1:
      return mask(width);
    case 2:
      return 1n << BigInt(width - 1);
    case 3:
      return mask(width - 1);
    default: {
      let bits = 0n;
      for (let got = 0; got < width; got += 64) bits = (bits << 64n) | next();
      return bits & mask(width);
    }
  }
}

/**
 * Random inputs for every cycle: reset asserted in cycle 0 and then about one cycle in 16 (when the
 * design has a reset), every other top-level input random with a bias to extreme values.
 */
export function randomInputs(design: Design, cycles: number, seed = 1): Record<string, bigint>[] {
  const nextRow = randomInputStream(design, seed);
  const rows: Record<string, bigint>[] = [];
  for (let t = 0; t < cycles; t++) rows.push(nextRow());
  return rows;
}

/**
 * The rows of randomInputs(design, cycles, seed) one at a time, for runs too long to hold in memory:
 * the k-th call returns row k-1 of randomInputs for any cycle count.
 */
export function randomInputStream(design: Design, seed = 1): () => Record<string, bigint> {
  const next = splitmix64(seed);
  const top = topModule(design);
  const hasReset = clockingOf(design).get(top.name)?.rst ?? false;
  const inputs = top.ports.filter((p) => p.dir === 'in');
  let t = 0;
  return () => {
    const row: Record<string, bigint> = {};
    if (hasReset) row.rst = t === 0 || next() % 16n === 0n ? 1n : 0n;
    for (const p of inputs) row[p.name] = fromBits(randomBits(next, p.shape.width), p.shape.width, p.shape.signed);
    t++;
    return row;
  };
}

/**
 * The bit patterns of `ports` for each cycle, checking names and ranges. Names the design does not
 * have as inputs are errors, except 'clk' and a 'rst' given to a design without reset (ignored).
 */
export function stimulusRows(
  stimulus: Stimulus,
  cycles: number,
  ports: readonly { name: string; shape: Shape }[],
  designName: string,
): bigint[][] {
  if (stimulus.length < cycles) throw new Error(`Stimulus of '${designName}' must cover ${cycles} cycles, not ${stimulus.length}`);
  const known = new Set(ports.map((p) => p.name));
  const current = ports.map(() => 0n);
  const rows: bigint[][] = [];
  for (let t = 0; t < cycles; t++) {
    const given = stimulus[t]!;
    for (const name of Object.keys(given)) {
      if (!known.has(name) && name !== 'clk' && name !== 'rst') {
        throw new Error(`Stimulus name at cycle ${t} must be an input of '${designName}' (${[...known].join(', ')}), not '${name}'`);
      }
    }
    ports.forEach((p, i) => {
      const raw = given[p.name];
      if (raw === undefined) return;
      const v = BigInt(raw);
      if (!fits(v, p.shape.width, p.shape.signed) && !fits(v, p.shape.width, !p.shape.signed)) {
        throw new Error(`Stimulus value of '${p.name}' at cycle ${t} must fit in ${p.shape.width} bits, not ${v}`);
      }
      current[i] = BigInt.asUintN(p.shape.width, v);
    });
    rows.push([...current]);
  }
  return rows;
}
