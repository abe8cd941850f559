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
import { systolicArray } from '../gen/array.js';
import { pe } from '../gen/pe.js';
import { editDistance } from '../sim/suggest.js';
import { defineBlock, expectation } from './blocks/define.js';
import { UNIT_BLOCKS } from './blocks/units.js';

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

const counterBlock = defineBlock({
  name: 'counter',
  summary: 'up-counter with enable: count increments while en is high, wraps, resets to 0',
  params: z.strictObject({
    width: z.int().min(1).max(128).default(8).describe('width of the count in bits'),
  }),
  build: counter,
});

/** The smallest accumulator of a PE (INT8 or INT16 operands): 2*8+1 bits. */
const MIN_ACC_WIDTH = 17;

/** The smallest MAC accumulator: 2*4+1 bits (INT4 operands). */
const MIN_MAC_ACC_WIDTH = 9;

const macBlock = defineBlock({
  name: 'mac',
  summary: 'multiply-accumulate unit: acc <= clear ? 0 : en ? acc + a*b : acc (optionally with a product pipeline register)',
  params: z
    .strictObject({
      width: z.literal([4, 8, 16]).default(8).describe('operand width in bits'),
      signed: z.boolean().default(true).describe('signedness: true for two\'s-complement operands and accumulator, false for unsigned'),
      accWidth: z
        .int()
        .min(MIN_MAC_ACC_WIDTH)
        .max(128)
        .optional()
        .describe('accumulator width in bits, at least 2*width+1 (default: 16 for width 4, 32 for width 8, 48 for width 16)'),
      pipeline: z.boolean().default(false).describe('register the product (with clear and en) one cycle before accumulating: latency 2 instead of 1'),
    })
    .superRefine(
      (p, ctx) => {
        // Runs even when other parameters are bad (so one run reports everything), hence the guards;
        // values outside the schema's own bounds were reported by the schema.
        const { width, accWidth } = p as { width: unknown; accWidth: unknown };
        if ((width !== 4 && width !== 8 && width !== 16) || typeof accWidth !== 'number' || !Number.isInteger(accWidth)) return;
        const least = 2 * width + 1;
        if (accWidth >= MIN_MAC_ACC_WIDTH && accWidth <= 128 && accWidth < least) {
          expectation(ctx, 'accWidth', `at least 2*width+1 = ${least}`, `use --set accWidth=${defaultAccWidth(width)} or a narrower width`);
        }
      },
      { when: () => true },
    )
    .transform((p) => ({ ...p, accWidth: p.accWidth ?? defaultAccWidth(p.width) })),
  build: mac,
});

/** Parameters shared by the PE and the array (gen/pe.ts): dtype, signedness, accumulator, dataflow. */
const peParams = {
  dtype: z.enum(['int8', 'int16']).default('int8').describe('operand type: int8 or int16'),
  signed: z.boolean().default(true).describe("signedness: true for two's-complement operands and partial sums"),
  accWidth: z
    .int()
    .min(MIN_ACC_WIDTH)
    .max(128)
    .optional()
    .describe('partial-sum width in bits, at least 2*width+1 (default: 32 for int8, 48 for int16)'),
  dataflow: z.enum(['ws', 'os']).default('ws').describe('weight-stationary (ws) or output-stationary (os)'),
  doubleBuffer: z.boolean().default(false).describe('ws only: shadow weights loaded while the active ones compute, swapped by a swap bit'),
};

/** Cross-field checks of peParams (accWidth vs dtype, doubleBuffer vs dataflow), run even when other fields are bad. */
function checkPeParams(p: unknown, ctx: z.RefinementCtx): void {
  const { dtype, accWidth, dataflow, doubleBuffer } = p as { dtype: unknown; accWidth: unknown; dataflow: unknown; doubleBuffer: unknown };
  if ((dtype === 'int8' || dtype === 'int16') && typeof accWidth === 'number' && Number.isInteger(accWidth) && accWidth >= MIN_ACC_WIDTH && accWidth <= 128) {
    const width = dtype === 'int8' ? 8 : 16;
    if (accWidth < 2 * width + 1) expectation(ctx, 'accWidth', `at least 2*width+1 = ${2 * width + 1}`, `use --set accWidth=${defaultAccWidth(width)} or --set dtype=int8`);
  }
  if (dataflow === 'os' && doubleBuffer === true) expectation(ctx, 'doubleBuffer', "false with dataflow 'os'", 'double-buffered weights exist only in the weight-stationary PE; use --set dataflow=ws');
}

/** gen/pe.ts options from validated peParams. */
function peOptions(p: { dtype: 'int8' | 'int16'; signed: boolean; accWidth?: number | undefined; dataflow: 'ws' | 'os'; doubleBuffer: boolean }) {
  const width = p.dtype === 'int8' ? 8 : 16;
  return { width, signed: p.signed, accWidth: p.accWidth ?? defaultAccWidth(width), dataflow: p.dataflow, doubleBuffer: p.doubleBuffer } as const;
}

const peBlock = defineBlock({
  name: 'pe',
  summary: 'systolic-array processing element: MAC plus the registers passing operands to its neighbours (gen/pe.ts)',
  params: z
    .strictObject(peParams)
    .superRefine(checkPeParams, { when: () => true })
    .transform((p) => ({ ...p, accWidth: peOptions(p).accWidth })),
  build: (p) => pe(peOptions(p)),
});

const arrayBlock = defineBlock({
  name: 'array',
  summary: 'R×C systolic array of PEs with input skew, output de-skew, valid pipeline (gen/array.ts)',
  params: z
    .strictObject({
      rows: z.int().min(1).max(64).default(4).describe('PE rows R (ws: length of an activation vector)'),
      cols: z.int().min(1).max(64).default(4).describe('PE columns C (length of an output vector)'),
      ...peParams,
    })
    .superRefine(checkPeParams, { when: () => true })
    .transform((p) => ({ ...p, accWidth: peOptions(p).accWidth })),
  build: (p) => systolicArray({ rows: p.rows, cols: p.cols, ...peOptions(p) }),
});

export const BLOCKS: readonly BlockDef[] = [counterBlock, macBlock, peBlock, arrayBlock, ...UNIT_BLOCKS];

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
