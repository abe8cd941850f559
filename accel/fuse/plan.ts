// The fusion planner: which consecutive layers run as one fused group and with which tile size, for an on-chip
// buffer budget (Alwani et al., MICRO 2016, §4: the design-space exploration of fusion groups against on-chip
// storage). `--fuse` is `none` (every feature map through DRAM, layer by layer: accel/compiler/stream.ts), `auto`, or
// a list of groups `L1-L2,L3+L4+L5[:T]` (a range of layers, or layers listed one after the other; `:T` fixes the
// tile height in output rows of the group's last layer, otherwise the planner picks it).
//
// Costs are measured, not modelled: a candidate group is compiled (accel/fuse/group.ts) and its program's LOAD and
// STORE sizes give its DRAM bytes (feature maps, weights) and its ring sizes the on-chip bytes
// (line buffers + output staging); the unfused layers' bytes come from the layer-by-layer program of the whole model.
// auto: dynamic programming over the stages, minimising DRAM bytes per image; a group must fit the budget and (unless
// machine = false) the accelerator's buffers.
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelGeometry } from '../../gen/accel/config.js';
import type { Instruction } from '../../gen/accel/isa.js';
import { planStages, type Stage } from '../compiler/stages.js';
import { compileStreamed } from '../compiler/stream.js';
import type { Model } from '../model.js';
import { compileGroup, type GroupBuffers, type GroupTraffic } from './group.js';
import { groupName, type FuseGroup } from './program.js';
import type { GroupSchedule } from './schedule.js';

export interface GroupPlan extends FuseGroup {
  readonly name: string;
  /** Line buffers + staging, bytes (int8: one byte per element). */
  readonly onChipBytes: number;
  readonly buffers: GroupBuffers;
  readonly traffic: GroupTraffic;
  readonly steps: number;
  readonly pyramid: GroupSchedule['pyramid'];
}

/** DRAM bytes per image of a whole model's program. */
export interface Traffic {
  readonly fmRead: number;
  readonly fmWritten: number;
  readonly weightRead: number;
  readonly total: number;
}

export interface FusePlan {
  readonly mode: 'none' | 'auto' | 'list';
  readonly budget: number | null;
  readonly groups: readonly GroupPlan[];
  /** Stage names (a conv with its fused pool: 'conv+pool'). */
  readonly stages: readonly string[];
  /** Predicted DRAM bytes per image with these groups, and layer by layer. */
  readonly fused: Traffic;
  readonly layerByLayer: Traffic;
  /** Largest on-chip bytes of a group (0 without groups). */
  readonly onChipBytes: number;
}

export interface PlanOptions {
  /** none | auto | a list of groups (see the header). */
  readonly fuse: string;
  /** On-chip bytes a group may use (line buffers + staging); absent: no budget beyond the machine. */
  readonly bufferBytes?: number;
  /** Require groups to fit the accelerator's buffers (default true). */
  readonly machine?: boolean;
  /** Candidate groups already compiled (a sweep of budgets: accel/fuse/explore.ts); filled as they are compiled. */
  readonly cache?: Map<string, GroupPlan | null>;
  /** The layer-by-layer bytes per stage, computed once per sweep (filled when empty). */
  readonly baseline?: { perStage?: Traffic[] };
  /** Called once per candidate compiled (progress). */
  readonly onCandidate?: () => void;
}

const stageLabel = (s: Stage): string => (s.fused ? `${s.name}+${s.fused}` : s.name);

/** DRAM bytes of a run of instructions (isa.ts: a WBUF row is ceil(C/P) words, an ABUF count ceil(count/P)). */
export function programBytes(program: readonly Instruction[], g: AccelGeometry): { read: number; written: number; weights: number } {
  const B = g.wordBits / 8;
  let read = 0;
  let written = 0;
  let weights = 0;
  for (const ins of program) {
    if (ins.op === 'LOAD' && ins.buf === 0) weights += ins.count * g.wordsPerWeightRow * B;
    else if (ins.op === 'LOAD') read += Math.ceil(ins.count / g.elemsPerWord) * B;
    else if (ins.op === 'STORE') written += Math.ceil(ins.count / g.elemsPerWord) * B;
  }
  return { read, written, weights };
}

const sum = (t: Omit<Traffic, 'total'>): Traffic => ({ ...t, total: t.fmRead + t.fmWritten + t.weightRead });

/** The layer-by-layer DRAM bytes of each stage (the streaming compiler's program, per layer range). */
function stageTraffic(model: Model, g: AccelGeometry): Traffic[] {
  const s = compileStreamed(model, g);
  return s.layers.map((l) => {
    const b = programBytes(s.program.slice(l.firstInstr, l.lastInstr + 1), g);
    return sum({ fmRead: b.read, fmWritten: b.written, weightRead: b.weights });
  });
}

/** Compile a candidate group for its costs; null when it does not fit the machine (E179) and machine is checked. */
function candidate(stages: readonly Stage[], g: AccelGeometry, group: FuseGroup, machine: boolean, rethrow = false): GroupPlan | null {
  const slice = stages.slice(group.first, group.last + 1);
  const P = g.elemsPerWord;
  const first = slice[0]!;
  const last = slice.at(-1)!;
  const compact = (c: number, h: number, w: number, word: number) => ({ word, c, h, w, pt: 0, pb: 0, lead: 0, pitch: P * Math.ceil(w / P) });
  try {
    const big: AccelGeometry = machine ? g : { ...g, abufDepth: 1 << 30 };
    const inWords = (first.inS.c * first.inS.h * P * Math.ceil(first.inS.w / P)) / P;
    const c = compileGroup({ stages: slice, g: big, tileRows: group.tileRows, input: compact(first.inS.c, first.inS.h, first.inS.w, 0), output: compact(last.outS.c, last.outS.h, last.outS.w, inWords), privateBase: 0, check: machine });
    const onChipBytes = ((c.buffers.rings.reduce((s, r) => s + r.elements, 0) + c.buffers.staging) * g.bits) / 8;
    return { ...group, name: groupName(stages, group), onChipBytes, buffers: c.buffers, traffic: c.traffic, steps: c.schedule.steps, pyramid: c.schedule.pyramid };
  } catch (e) {
    if (e instanceof DiagnosticError && e.diagnostics.every((d) => d.code === 'E179') && machine && !rethrow) return null;
    throw e;
  }
}

/** Tile heights worth trying for a group: powers of two up to the last stage's rows, and all of them. */
function tileCandidates(last: Stage): number[] {
  const out: number[] = [];
  for (let t = 1; t < last.outS.h; t *= 2) out.push(t);
  out.push(last.outS.h);
  return out;
}

const groupTotal = (p: GroupPlan): number => p.traffic.fmRead + p.traffic.fmWritten + p.traffic.weightRead;

type Candidate = (group: FuseGroup) => GroupPlan | null;

/** The best tile height of a group within the budget (least DRAM bytes, then least on-chip bytes); null if none fits. */
function bestTile(stages: readonly Stage[], cand: Candidate, first: number, last: number, budget: number, tiles?: number[]): GroupPlan | null {
  let best: GroupPlan | null = null;
  for (const tileRows of tiles ?? tileCandidates(stages[last]!)) {
    const p = cand({ first, last, tileRows });
    if (!p || p.onChipBytes > budget) continue;
    if (!best || groupTotal(p) < groupTotal(best) || (groupTotal(p) === groupTotal(best) && p.onChipBytes < best.onChipBytes)) best = p;
  }
  return best;
}

/** Parse a group list into stage ranges (E175–E177). */
function parseGroups(spec: string, model: Model, stages: readonly Stage[]): { first: number; last: number; tileRows?: number; text: string }[] {
  const index = new Map<string, number>();
  stages.forEach((s, i) => {
    index.set(s.name, i);
    if (s.fused) index.set(s.fused, i);
  });
  const names = model.layers.map((l) => l.name);
  const stageOf = (group: string, name: string): number => {
    const i = index.get(name);
    if (i !== undefined) return i;
    const layer = model.layers.find((l) => l.name === name);
    if (layer && layer.kind === 'flatten') throw new DiagnosticError([msg.fuseFc(group, name)]);
    throw new DiagnosticError([msg.fuseLayers(group, `layers of model '${model.name}' (${names.join(', ')})`, `'${name}'`, 'name layers as in the model file (splitfuse run --json lists them)')]);
  };
  const groups = spec.split(',').map((text) => {
    const [body, tile] = text.split(':') as [string, string | undefined];
    if (!body || (tile !== undefined && !/^[1-9]\d*$/.test(tile))) throw new DiagnosticError([msg.fuseOption(`Fusion group '${text}'`, "'L1-L2', 'L1+L2+L3' or either with ':T' (T output rows per tile, an integer >= 1)", `'${text}'`, "e.g. --fuse conv1-conv3 or --fuse conv1+conv2:4; or --fuse auto")]);
    let ids: number[];
    if (body.includes('-') && !body.includes('+')) {
      const [a, b, ...rest] = body.split('-');
      if (rest.length || !a || !b) throw new DiagnosticError([msg.fuseOption(`Fusion group '${text}'`, "'L1-L2' (two layer names)", `'${text}'`, 'e.g. --fuse conv1-conv3')]);
      const [i, j] = [stageOf(text, a), stageOf(text, b)];
      if (j < i) throw new DiagnosticError([msg.fuseLayers(text, `in model order (${a} comes after ${b})`, `'${a}' to '${b}'`, `write --fuse ${b}-${a}`)]);
      ids = Array.from({ length: j - i + 1 }, (_, k) => i + k);
    } else {
      ids = [...new Set(body.split('+').map((n) => stageOf(text, n)))];
      for (const i of ids) if (stages[i]!.layer.kind === 'fc') throw new DiagnosticError([msg.fuseFc(text, stages[i]!.name)]);
      for (let k = 1; k < ids.length; k++)
        if (ids[k] !== ids[k - 1]! + 1) throw new DiagnosticError([msg.fuseLayers(text, 'consecutive layers of the model', `${stageLabel(stages[ids[k - 1]!]!)} followed by ${stageLabel(stages[ids[k]!]!)}`, `a fused group is a pipeline of neighbouring layers: list every layer between them, e.g. ${stages.slice(ids[0]!, ids.at(-1)! + 1).map((s) => s.name).join('+')}`)]);
    }
    for (const i of ids) if (stages[i]!.layer.kind === 'fc') throw new DiagnosticError([msg.fuseFc(text, stages[i]!.name)]);
    return { first: ids[0]!, last: ids.at(-1)!, ...(tile !== undefined ? { tileRows: Number(tile) } : {}), text };
  });
  const sorted = [...groups].sort((a, b) => a.first - b.first);
  for (let k = 1; k < sorted.length; k++)
    if (sorted[k]!.first <= sorted[k - 1]!.last) throw new DiagnosticError([msg.fuseLayers(sorted[k]!.text, `disjoint from group '${sorted[k - 1]!.text}'`, `sharing layer ${stageLabel(stages[sorted[k]!.first]!)}`, 'a layer belongs to one group at most')]);
  return sorted;
}

/** Plan fusion groups for `model` on a machine of geometry `g` (see the header). */
export function planFusion(model: Model, g: AccelGeometry, options: PlanOptions): FusePlan {
  const budget = options.bufferBytes ?? null;
  if (budget !== null && (!Number.isInteger(budget) || budget < 1)) throw new DiagnosticError([msg.fuseOption("Option '--fuse-buffer-bytes'", 'an integer >= 1 (bytes of on-chip line buffers per group)', String(budget), 'e.g. --fuse-buffer-bytes 65536')]);
  const machine = options.machine ?? true;
  const stages = planStages(model);
  const cache = options.cache ?? new Map<string, GroupPlan | null>();
  const cand: Candidate = (group) => {
    const key = `${group.first}:${group.last}:${group.tileRows}:${machine}`;
    if (!cache.has(key)) {
      cache.set(key, candidate(stages, g, group, machine));
      options.onCandidate?.();
    }
    return cache.get(key)!;
  };
  const baseline = options.baseline ?? {};
  baseline.perStage ??= stageTraffic(model, g);
  const perStage = baseline.perStage;
  const layerByLayer = sum(perStage.reduce((a, t) => ({ fmRead: a.fmRead + t.fmRead, fmWritten: a.fmWritten + t.fmWritten, weightRead: a.weightRead + t.weightRead }), { fmRead: 0, fmWritten: 0, weightRead: 0 }));
  const cap = budget ?? Infinity;
  const spec = options.fuse.trim();
  let groups: GroupPlan[] = [];
  let mode: FusePlan['mode'];
  if (spec === 'none') mode = 'none';
  else if (spec === 'auto') {
    mode = 'auto';
    // best[i]: least bytes for stages 0..i−1; a stage alone runs layer by layer, a group of >= 2 window stages fused.
    const best: { cost: number; groups: GroupPlan[] }[] = [{ cost: 0, groups: [] }];
    for (let i = 1; i <= stages.length; i++) {
      let b = { cost: best[i - 1]!.cost + perStage[i - 1]!.total, groups: best[i - 1]!.groups };
      for (let j = i - 2; j >= 0; j--) {
        if (stages[j]!.layer.kind === 'fc' || stages[i - 1]!.layer.kind === 'fc') break;
        if (stages.slice(j, i).some((s) => s.layer.kind === 'fc')) break;
        const p = bestTile(stages, cand, j, i - 1, cap);
        if (p && best[j]!.cost + groupTotal(p) < b.cost) b = { cost: best[j]!.cost + groupTotal(p), groups: [...best[j]!.groups, p] };
      }
      best.push(b);
    }
    groups = best.at(-1)!.groups;
  } else {
    mode = 'list';
    if (spec === '') throw new DiagnosticError([msg.fuseOption("Option '--fuse'", "'auto', 'none' or a list of groups", "''", 'e.g. --fuse auto')]);
    for (const gr of parseGroups(spec, model, stages)) {
      const name = groupName(stages, { ...gr, tileRows: 1 });
      const tiles = gr.tileRows !== undefined ? [gr.tileRows] : tileCandidates(stages[gr.last]!);
      const fitted = tiles.map((tileRows) => cand({ first: gr.first, last: gr.last, tileRows }));
      const any = fitted.filter((p): p is GroupPlan => p !== null);
      if (any.length === 0) candidate(stages, g, { first: gr.first, last: gr.last, tileRows: Math.min(...tiles) }, machine, true); // throws its E179
      const p = bestTile(stages, cand, gr.first, gr.last, cap, tiles);
      if (!p) {
        const smallest = Math.min(...any.map((q) => q.onChipBytes));
        throw new DiagnosticError([msg.fuseBudget(name, cap, smallest, `raise --fuse-buffer-bytes to at least ${smallest}, fuse fewer layers, or use --fuse auto`)]);
      }
      groups.push(p);
    }
  }
  // The fused model's bytes: the groups' own, the other stages' layer-by-layer ones.
  const inGroup = new Set(groups.flatMap((p) => Array.from({ length: p.last - p.first + 1 }, (_, k) => p.first + k)));
  const fused = sum(
    [...perStage.filter((_, i) => !inGroup.has(i)), ...groups.map((p) => ({ ...p.traffic }))].reduce(
      (a, t) => ({ fmRead: a.fmRead + t.fmRead, fmWritten: a.fmWritten + t.fmWritten, weightRead: a.weightRead + t.weightRead }),
      { fmRead: 0, fmWritten: 0, weightRead: 0 },
    ),
  );
  return { mode, budget, groups, stages: stages.map(stageLabel), fused, layerByLayer, onChipBytes: Math.max(0, ...groups.map((p) => p.onChipBytes)) };
}

/** The compiler target of a plan (accel/fuse/compile.ts FuseTarget.fuse). */
export const fuseGroups = (plan: FusePlan): FuseGroup[] => plan.groups.map(({ first, last, tileRows }) => ({ first, last, tileRows }));
