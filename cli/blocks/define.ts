// Helpers for writing block registry entries (cli/blocks.ts and cli/blocks/*.ts).
import type { z } from 'zod';
import type { BlockDef, BlockParams } from '../blocks.js';

/** Identity, so that each entry's `build` is checked against its own schema. */
export function defineBlock<S extends z.ZodType<BlockParams>>(block: BlockDef<S>): BlockDef<S> {
  return block;
}

/** Custom zod issues carry the expectation as their message and a hint in params. */
export function expectation(ctx: z.RefinementCtx, path: string, expected: string, hint: string): void {
  ctx.addIssue({ code: 'custom', path: [path], message: expected, params: { hint } });
}
