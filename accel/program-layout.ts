// Program-building helpers shared by the compiler (accel/compiler.ts) and the tests: DRAM packing of
// elements and weight rows in the LOAD layout of gen/accel/isa.ts, and an instruction list that inserts
// the hazard WAITs of the isa.ts rule. test/support/accel-programs.ts re-exports them for the tests.
import type { AccelGeometry } from '../gen/accel/config.js';
import { WAIT_MASK, type Instruction } from '../gen/accel/isa.js';

/** Pack signed elements P per DRAM word (element e in lane e mod P, little-endian lanes). */
export function packElements(values: ArrayLike<number>, g: AccelGeometry): bigint[] {
  const words: bigint[] = new Array<bigint>(Math.ceil(values.length / g.elemsPerWord)).fill(0n);
  const mask = (1n << BigInt(g.bits)) - 1n;
  for (let e = 0; e < values.length; e++) {
    const w = Math.floor(e / g.elemsPerWord);
    words[w] = words[w]! | ((BigInt(values[e]!) & mask) << BigInt((e % g.elemsPerWord) * g.bits));
  }
  return words;
}

/** Weight rows (C elements each) in the LOAD WBUF layout: ceil(C/P) words per row, zero-padded. */
export function packWeightRows(rows: readonly (readonly number[])[], g: AccelGeometry): bigint[] {
  return rows.flatMap((row) => {
    const words = packElements(row, g);
    while (words.length < g.wordsPerWeightRow) words.push(0n);
    return words;
  });
}

/** Unpack `count` signed elements from DRAM words starting at word `word` (inverse of packElements). */
export function unpackElements(dram: readonly bigint[], word: number, count: number, g: AccelGeometry): number[] {
  const mask = (1n << BigInt(g.bits)) - 1n;
  return Array.from({ length: count }, (_, e) => Number(BigInt.asIntN(g.bits, ((dram[word + Math.floor(e / g.elemsPerWord)] ?? 0n) >> BigInt((e % g.elemsPerWord) * g.bits)) & mask)));
}

type Resource = 'wbuf' | 'abuf0' | 'abuf1' | 'acc0' | 'acc1' | 'dram';
type Engine = 'dma' | 'gemm' | 'post';
const ENGINE_BIT: Record<Engine, number> = { dma: WAIT_MASK.DMA, gemm: WAIT_MASK.GEMM, post: WAIT_MASK.POST };

/** The engine of an instruction and the resources it reads and writes (isa.ts "Hazards"). */
function effects(ins: Instruction): { engine: Engine; reads: Resource[]; writes: Resource[] } | null {
  const ab = (b: number): Resource => (b === 0 ? 'abuf0' : 'abuf1');
  switch (ins.op) {
    case 'LOAD':
      return { engine: 'dma', reads: ['dram'], writes: [ins.buf === 0 ? 'wbuf' : ab(ins.buf - 1)] };
    case 'STORE':
      return { engine: 'dma', reads: [ab(ins.buf - 1)], writes: ['dram'] };
    case 'GEMM':
      return { engine: 'gemm', reads: ['wbuf', ab(ins.src)], writes: [ins.bank ? 'acc1' : 'acc0'] };
    case 'POST':
      return { engine: 'post', reads: [ins.bank ? 'acc1' : 'acc0'], writes: [ab(ins.dst)] };
    default:
      return null;
  }
}

/**
 * An instruction list that inserts exactly the WAITs the isa.ts hazard rule requires: before an
 * instruction, a WAIT on every other engine whose outstanding (last issued) instruction writes a
 * resource this one reads or writes, or reads a resource this one writes. An engine runs its
 * instructions in order and the controller issues in order, so only the last instruction per engine
 * can still be running. HALT waits for every engine by itself.
 */
export class HazardProgram {
  readonly program: Instruction[] = [];
  private readonly outstanding = new Map<Engine, { reads: Resource[]; writes: Resource[] }>();

  /** Index the next pushed instruction (or its WAIT) will get. */
  get length(): number {
    return this.program.length;
  }

  /** Append `ins`, preceded by the WAIT its hazards need (if any). */
  push(ins: Instruction): this {
    if (ins.op === 'WAIT') for (const e of Object.keys(ENGINE_BIT) as Engine[]) if (ins.mask & ENGINE_BIT[e]) this.outstanding.delete(e);
    if (ins.op === 'HALT') this.outstanding.clear();
    const fx = effects(ins);
    if (fx) {
      let mask = 0;
      for (const [engine, o] of this.outstanding) {
        if (engine === fx.engine) continue;
        const clash = fx.writes.some((r) => o.reads.includes(r) || o.writes.includes(r)) || fx.reads.some((r) => o.writes.includes(r));
        if (clash) mask |= ENGINE_BIT[engine];
      }
      if (mask) this.push({ op: 'WAIT', mask });
      this.outstanding.set(fx.engine, { reads: fx.reads, writes: fx.writes });
    }
    this.program.push(ins);
    return this;
  }
}
