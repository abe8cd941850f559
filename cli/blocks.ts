// The block registry: every hardware block `splitfuse gen` can build, with a zod schema of its
// parameters (defaults, descriptions, validation) and the generator call. The registry lives in
// cli/ because blocks come from every layer (gen/ units, accel/ configurations); adding a block is
// one entry in BLOCKS.
import { z } from 'zod';
import { DiagnosticError, msg } from '../hdl/diagnostics.js';
import type { ModuleDef } from '../hdl/dsl/index.js';
import type { ParamValue } from '../hdl/ir/index.js';
import { counter } from '../gen/counter.js';
import { defaultAccWidth, mac } from '../gen/mac.js';
import { editDistance } from '../sim/suggest.js';

/** Parameters after validation: plain values, recorded in the manifest and the Verilog header. */
export type BlockParams = Record<string, ParamValue>;

export interface BlockDef<S extends z.ZodType<BlockParams> = z.ZodType<BlockParams>> {
  readonly name: string;
  /** One line for `splitfuse blocks`. */
  readonly summary: string;
  /**
   * Schema of the parameters. Its input is an object of named parameters, each with a
   * description and (unless it is derived from others) a default; its output is what `build` takes.
   */
  readonly params: S;
  build(params: z.output<S>): ModuleDef;
}

/** Identity, so that each entry's `build` is checked against its own schema. */
function defineBlock<S extends z.ZodType<BlockParams>>(block: BlockDef<S>): BlockDef<S> {
  return block;
}

const counterBlock = defineBlock({
  name: 'counter',
  summary: 'up-counter with enable: count increments while en is high, wraps, resets to 0',
  params: z.strictObject({
    width: z.int().min(1).max(128).default(8).describe('width of the count in bits'),
  }),
  build: counter,
});

/** Custom zod issues carry the expectation as their message and a hint in params. */
function expectation(ctx: z.RefinementCtx, path: string, expected: string, hint: string): void {
  ctx.addIssue({ code: 'custom', path: [path], message: expected, params: { hint } });
}

/** The smallest accumulator any MAC takes: 2*8+1 bits. */
const MIN_ACC_WIDTH = 17;

const macBlock = defineBlock({
  name: 'mac',
  summary: 'multiply-accumulate unit: acc <= clear ? 0 : en ? acc + a*b : acc',
  params: z
    .strictObject({
      width: z.literal([8, 16]).default(8).describe('operand width in bits'),
      signed: z.boolean().default(true).describe('signedness: true for two\'s-complement operands and accumulator, false for unsigned'),
      accWidth: z
        .int()
        .min(MIN_ACC_WIDTH)
        .max(128)
        .optional()
        .describe('accumulator width in bits, at least 2*width+1 (default: 32 for width 8, 48 for width 16)'),
    })
    .superRefine(
      (p, ctx) => {
        // Runs even when other parameters are bad (so one run reports everything), hence the guards;
        // values outside the schema's own bounds were reported by the schema.
        const { width, accWidth } = p as { width: unknown; accWidth: unknown };
        if ((width !== 8 && width !== 16) || typeof accWidth !== 'number' || !Number.isInteger(accWidth)) return;
        const least = 2 * width + 1;
        if (accWidth >= MIN_ACC_WIDTH && accWidth <= 128 && accWidth < least) {
          expectation(ctx, 'accWidth', `at least 2*width+1 = ${least}`, `use --set accWidth=${defaultAccWidth(width)} or a narrower width`);
        }
      },
      { when: () => true },
    )
    .transform((p) => ({ ...p, accWidth: p.accWidth ?? defaultAccWidth(p.width) })),
  build: mac,
});

export const BLOCKS: readonly BlockDef[] = [counterBlock, macBlock];

export function blockNames(): string[] {
  return BLOCKS.map((b) => b.name);
}

/** The block called `name`, or a DiagnosticError (E100). */
export function findBlock(name: string): BlockDef {
  const block = BLOCKS.find((b) => b.name === name);
  if (block) return block;
  throw new DiagnosticError([msg.unknownBlock(name, blockNames(), closestName(name, blockNames()))]);
}

/** The known name within edit distance 2 of `name`, if there is exactly one best. */
export function closestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}
