// A whole model with fusion groups (accel/fuse/plan.ts): the stages of accel/compiler/stages.ts cut into segments,
// each either a fused group (accel/fuse/group.ts) or a run of unfused stages compiled layer by layer by
// accel/compiler/stream.ts (as a sub-model whose input is the previous segment's output map). The segments' programs
// are concatenated with their tables and DRAM regions relocated, a WAIT on every engine between two segments.
//
// DRAM: the segments' maps and layer-by-layer regions in order — a fused group writes its output straight into
// the map the next segment reads (a layer-by-layer segment's padded input layout, or a compact map) — then each
// fused group's weights and zero-point blocks.
import type { AccelGeometry } from '../../gen/accel/config.js';
import type { Instruction } from '../../gen/accel/isa.js';
import { planStages, type Stage } from '../compiler/stages.js';
import { compileStreamed, mapWords, type MapLayout, type StreamedProgram } from '../compiler/stream.js';
import type { Layer, Model } from '../model.js';
import { compileGroup, type CompiledGroup } from './group.js';

/** A fusion group: stages first..last (indices into planStages(model)) with tiles of tileRows rows. */
export interface FuseGroup {
  readonly first: number;
  readonly last: number;
  readonly tileRows: number;
}

export interface FusedProgram extends StreamedProgram {
  /** Per fused group, in order: its name in `layers`, the compiled group (traffic, buffers, schedule). */
  readonly groups: readonly { readonly name: string; readonly group: FuseGroup; readonly compiled: CompiledGroup }[];
}

/** The model layers of stages first..last (with the flatten layers in front of them), as a model of its own. */
export function subModel(model: Model, stages: readonly Stage[], first: number, last: number): Model {
  const index = (name: string): number => model.layers.findIndex((l) => l.name === name);
  const end = (s: Stage): number => index(s.fused ?? s.name);
  const from = first === 0 ? 0 : end(stages[first - 1]!) + 1;
  const to = last === stages.length - 1 ? model.layers.length - 1 : end(stages[last]!);
  // The input is the previous stage's output map (before any flatten in front of an fc).
  const shape = first === 0 ? model.input.shape : ([stages[first - 1]!.mapS.c, stages[first - 1]!.mapS.h, stages[first - 1]!.mapS.w] as const);
  const layers: Layer[] = model.layers.slice(from, to + 1);
  return { name: `${model.name}[${first}..${last}]`, input: { ...model.input, shape, zeroPoint: stages[first]!.zIn }, layers };
}

/** A compact DRAM map of shape c×h×w at `word` holding `fill` outside the data. */
function compactMap(word: number, c: number, h: number, w: number, P: number, fill: number): MapLayout {
  return { word, c, h, w, pt: 0, pb: 0, lead: 0, pitch: P * Math.ceil(w / P), ...(fill !== 0 ? { fill } : {}) };
}

const shift = (m: MapLayout, by: number): MapLayout => ({ ...m, word: m.word + by });

/** Name of a fused group in the compiled layer list: its model layers joined by '+'. */
export function groupName(stages: readonly Stage[], group: FuseGroup): string {
  return stages
    .slice(group.first, group.last + 1)
    .flatMap((s) => (s.fused ? [s.name, s.fused] : [s.name]))
    .join('+');
}

/** Compile `model` with the fusion groups `groups` (sorted, disjoint, each of window stages). */
export function compileFusedModel(model: Model, g: AccelGeometry, groups: readonly FuseGroup[]): FusedProgram {
  const stages = planStages(model);
  const P = g.elemsPerWord;
  type Segment = { kind: 'fused'; group: FuseGroup } | { kind: 'stream'; first: number; last: number; s?: StreamedProgram; base?: number };
  const segments: Segment[] = [];
  let at = 0;
  for (const gr of groups) {
    if (gr.first > at) segments.push({ kind: 'stream', first: at, last: gr.first - 1 });
    segments.push({ kind: 'fused', group: gr });
    at = gr.last + 1;
  }
  if (at < stages.length) segments.push({ kind: 'stream', first: at, last: stages.length - 1 });
  for (const seg of segments) if (seg.kind === 'stream') seg.s = compileStreamed(subModel(model, stages, seg.first, seg.last), g);

  // DRAM placement of maps and layer-by-layer regions; each fused group's input and output map.
  let word = 0;
  const io: { input: MapLayout; output: MapLayout }[] = [];
  let prevOut: MapLayout | null = null;
  for (const [i, seg] of segments.entries()) {
    if (seg.kind === 'stream') {
      seg.base = word;
      word += seg.s!.dram.length;
      prevOut = shift(seg.s!.output, seg.base);
      io.push({ input: shift(seg.s!.input, seg.base), output: prevOut });
      continue;
    }
    const first = stages[seg.group.first]!;
    const lastSt = stages[seg.group.last]!;
    let input = prevOut;
    if (!input) {
      input = compactMap(word, first.inS.c, first.inS.h, first.inS.w, P, first.zIn);
      word += mapWords(input, P);
    }
    const next = segments[i + 1];
    let output: MapLayout;
    if (next?.kind === 'stream') output = shift(next.s!.input, word); // the next region starts right here
    else {
      output = compactMap(word, lastSt.outS.c, lastSt.outS.h, lastSt.outS.w, P, lastSt.zOut);
      word += mapWords(output, P);
    }
    io.push({ input, output });
    prevOut = output;
  }

  // Programs, tables and private DRAM words, relocated.
  const program: Instruction[] = [];
  const pixmem: number[] = [];
  const offmem: number[] = [];
  const pmem: bigint[] = [];
  const privateWords: bigint[] = [];
  const layers: StreamedProgram['layers'] = [];
  const posts: StreamedProgram['posts'] = [];
  const fusedGroups: FusedProgram['groups'][number][] = [];
  const privateStart = word;
  for (const [i, seg] of segments.entries()) {
    if (i > 0) program.push({ op: 'WAIT', mask: 7 });
    const i0 = program.length;
    const [pix0, off0, p0] = [pixmem.length, offmem.length, pmem.length];
    let part: { program: Instruction[]; pixmem: number[]; offmem: number[]; pmem: bigint[]; posts: StreamedProgram['posts']; dramBase: number };
    if (seg.kind === 'stream') {
      const s = seg.s!;
      // The sub-program ends in HALT: drop it (the last segment's is added at the end).
      part = { program: s.program.slice(0, -1), pixmem: s.pixmem, offmem: s.offmem, pmem: s.pmem, posts: s.posts, dramBase: seg.base! };
      for (const l of s.layers) layers.push({ ...l, firstInstr: l.firstInstr + i0, lastInstr: Math.min(l.lastInstr, s.program.length - 2) + i0 });
    } else {
      const privateBase = privateStart + privateWords.length;
      const c = compileGroup({ stages: stages.slice(seg.group.first, seg.group.last + 1), g, tileRows: seg.group.tileRows, input: io[i]!.input, output: io[i]!.output, privateBase });
      for (const w of c.privateWords) privateWords.push(w);
      part = { program: c.program, pixmem: c.pixmem, offmem: c.offmem, pmem: c.pmem, posts: c.posts, dramBase: 0 };
      const name = groupName(stages, seg.group);
      layers.push({ name, firstInstr: i0, lastInstr: i0 + c.program.length - 1 });
      fusedGroups.push({ name, group: seg.group, compiled: c });
    }
    for (const ins of part.program) program.push(relocate(ins, part.dramBase, pix0, off0, p0));
    for (const e of part.pixmem) pixmem.push(e);
    for (const e of part.offmem) offmem.push(e);
    for (const e of part.pmem) pmem.push(e);
    for (const p of part.posts) posts.push({ ...p, instr: p.instr + i0 });
  }
  program.push({ op: 'HALT' });
  if (layers.length) layers[layers.length - 1] = { ...layers.at(-1)!, lastInstr: program.length - 1 };

  const dram = new Array<bigint>(privateStart).fill(0n);
  for (const seg of segments) if (seg.kind === 'stream') seg.s!.dram.forEach((w, k) => (dram[seg.base! + k] = w));
  // Fused groups' compact maps hold their fill (zero point) past each row's data.
  for (const m of io.flatMap((x) => [x.input, x.output])) {
    if (!m.fill) continue;
    const fw = fillWordOf(m.fill, g);
    for (let k = m.word; k < m.word + mapWords(m, P); k++) if (dram[k] === 0n) dram[k] = fw;
  }
  for (const w of privateWords) dram.push(w);
  return { program, pixmem, offmem, pmem, dram, input: io[0]!.input, output: io.at(-1)!.output, layers, posts, groups: fusedGroups };
}

function fillWordOf(fill: number, g: AccelGeometry): bigint {
  let w = 0n;
  for (let k = 0; k < g.elemsPerWord; k++) w |= BigInt.asUintN(g.bits, BigInt(fill)) << BigInt(k * g.bits);
  return w;
}

/** An instruction of a segment moved to DRAM base `dram` and table bases (a segment's own WAITs stay). */
function relocate(ins: Instruction, dram: number, pix: number, off: number, chan: number): Instruction {
  switch (ins.op) {
    case 'LOAD':
    case 'STORE':
      return { ...ins, dram: ins.dram + dram };
    case 'GEMM':
      return { ...ins, pixAddr: ins.pixAddr + pix, offAddr: ins.offAddr + off };
    case 'POST':
      return { ...ins, chan: ins.chan + chan };
    default:
      return ins;
  }
}
