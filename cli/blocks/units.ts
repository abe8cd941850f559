// Registry entries of the accelerator's stand-alone units (issue 4): requantization lane, max-pool,
// line buffer, SRAM buffer, the simulation-only DRAM model and the correction unit of protected models. cli/blocks.ts lists them in BLOCKS.
import { z } from 'zod';
import { dram } from '../../gen/dram.js';
import { lineBuffer } from '../../gen/linebuf.js';
import { maxPool2 } from '../../gen/pool.js';
import { requant } from '../../gen/requant.js';
import { sram } from '../../gen/sram.js';
import { lcu } from '../../gen/protect/lcu.js';
import type { BlockDef } from '../blocks.js';
import { defineBlock, expectation } from './define.js';

const signed = z.boolean().default(true).describe("signedness: true for two's-complement pixels, false for unsigned");

const requantBlock = defineBlock({
  name: 'requant',
  summary: 'post-processing lane: q = relu?(clamp(round_half_up((acc + bias)·mult / 2^shift))), 2-cycle pipeline (gen/requant.ts)',
  params: z.strictObject({
    accWidth: z.int().min(8).max(64).default(32).describe('width of the signed accumulator input acc'),
    outBits: z.literal([8, 16]).default(8).describe('output width: q is clamped to int8 or int16'),
    multBits: z.literal([31, 32]).default(31).describe('width of the dyadic multiplier input mult'),
  }),
  build: requant,
});

const poolBlock = defineBlock({
  name: 'pool',
  summary: '2×2 stride-2 max-pool over a row-major pixel stream of a W-wide map, 1 cycle latency (gen/pool.ts)',
  params: z
    .strictObject({
      cols: z.int().min(2).max(4096).default(28).describe('width W of the input feature map in pixels (even)'),
      width: z.literal([8, 16]).default(8).describe('pixel width in bits'),
      signed,
    })
    .superRefine(
      (p, ctx) => {
        const { cols } = p as { cols: unknown };
        if (typeof cols === 'number' && Number.isInteger(cols) && cols >= 2 && cols <= 4096 && cols % 2 !== 0) {
          expectation(ctx, 'cols', 'even', `use --set cols=${cols + 1}`);
        }
      },
      { when: () => true },
    ),
  build: maxPool2,
});

const linebufBlock = defineBlock({
  name: 'linebuf',
  summary: 'line buffer: K×K stride-1 windows over a row-major stream of a W-wide map, window_valid per window (gen/linebuf.ts)',
  params: z
    .strictObject({
      k: z.int().min(1).max(8).default(3).describe('window size K'),
      cols: z.int().min(1).max(4096).default(28).describe('width W of the feature map in pixels, at least K'),
      width: z.int().min(1).max(32).default(8).describe('pixel width in bits'),
      signed,
    })
    .superRefine(
      (p, ctx) => {
        const { k, cols } = p as { k: unknown; cols: unknown };
        if (typeof k !== 'number' || typeof cols !== 'number' || !Number.isInteger(k) || !Number.isInteger(cols)) return;
        if (k >= 1 && k <= 8 && cols >= 1 && cols <= 4096 && cols < k) {
          expectation(ctx, 'cols', `at least k = ${k}`, `use --set cols=${k} or a smaller k`);
        }
      },
      { when: () => true },
    ),
  build: lineBuffer,
});

const sramBlock = defineBlock({
  name: 'sram',
  summary: 'SRAM buffer with registered read (block-RAM style), single or simple dual port (gen/sram.ts)',
  params: z.strictObject({
    depth: z.int().min(1).max(2 ** 20).default(1024).describe('number of words'),
    width: z.int().min(1).max(128).default(32).describe('word width in bits'),
    ports: z.enum(['single', 'dual']).default('dual').describe("'single' (addr/en/we) or 'dual' (one write port, one read port)"),
  }),
  build: sram,
});

const dramBlock = defineBlock({
  name: 'dram',
  summary: 'SIMULATION ONLY: DRAM model, fixed read latency, B bytes per cycle, read bursts and posted writes (gen/dram.ts)',
  params: z.strictObject({
    depth: z.int().min(1).max(2 ** 24).default(4096).describe('number of words of bytesPerBeat bytes'),
    bytesPerBeat: z.int().min(1).max(16).default(8).describe('bytes per beat B: one word moves per cycle'),
    latency: z.int().min(1).max(64).default(20).describe('read latency L in cycles from request to first beat'),
  }),
  build: (p) => dram(p),
});

/** requant, pool, linebuf, sram, dram, in that order. */
const lcuBlock = defineBlock({
  name: 'lcu',
  summary: 'correction unit of the POST path for protected neurons: split LCU, dup compare/min or TMR voter over a row of C accumulators (gen/protect/lcu.ts)',
  params: z.strictObject({
    scheme: z.enum(['split', 'dup', 'tmr']).default('split').describe('split (recombine split halves, correct with 2·min), dup (min of two copies) or tmr (bitwise majority of three)'),
    cols: z.int().min(1).max(64).default(8).describe('array columns C: accumulators per row'),
    accWidth: z.int().min(17).max(64).default(32).describe('accumulator width in bits'),
  }),
  build: lcu,
});

export const UNIT_BLOCKS: readonly BlockDef[] = [requantBlock, poolBlock, linebufBlock, sramBlock, dramBlock, lcuBlock];
