// The hook between accel/compiler.ts and the fused-layer compiler: a configuration that carries fusion groups
// (FuseTarget, set by `splitfuse run --fuse` from accel/fuse/plan.ts) compiles through accel/fuse/program.ts into
// an ordinary CompiledModel, which every tool (run, cosim, fault injection) then runs unchanged.
import { accelGeometry, type AccelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../gen/accel/config.js';
import type { CompiledLayer, CompiledModel } from '../compiler.js';
import { mapWords, type MapLayout } from '../compiler/stream.js';
import { layerMacs } from '../golden.js';
import type { Model } from '../model.js';
import { compileFusedModel, type FuseGroup, type FusedProgram } from './program.js';

/** A compiler target with fusion groups (absent or empty: layer by layer). */
export interface FuseTarget {
  readonly fuse?: readonly FuseGroup[];
}

/** A compiled model that came through the fused compiler, with its groups' traffic and buffers. */
export type FusedCompiledModel = CompiledModel & { readonly fused: FusedProgram['groups'] };

/** Compile `model` with `groups` fused (accel/fuse/program.ts) as a CompiledModel. */
export function compileWithFusion(model: Model, config: AccelHardwareConfig, probe: AccelGeometry, groups: readonly FuseGroup[]): FusedCompiledModel {
  const s = compileFusedModel(model, probe, groups);
  const P = probe.elemsPerWord;
  const macs = new Map(layerMacs(model).map((l) => [l.name, l.macs]));
  const layers: CompiledLayer[] = s.layers.map((l) => ({ ...l, macs: l.name.split('+').reduce((sum, n) => sum + (macs.get(n) ?? 0), 0) }));
  const n1 = (x: number): number => Math.max(1, x);
  const sizes: AccelSizes = { imemDepth: s.program.length, pixDepth: n1(s.pixmem.length), offDepth: n1(s.offmem.length), pmemDepth: n1(s.pmem.length), dramWords: s.dram.length };
  const count = (m: MapLayout): number => m.c * m.h * m.w;
  return {
    program: s.program,
    pixmem: s.pixmem,
    offmem: s.offmem,
    pmem: s.pmem,
    dram: s.dram,
    inputWord: s.input.word,
    inputCount: count(s.input),
    outputWord: s.output.word,
    outputCount: count(s.output),
    inputLayout: s.input,
    outputLayout: s.output,
    layers,
    posts: s.posts,
    sizes,
    geometry: accelGeometry(config, sizes),
    outputWords: mapWords(s.output, P),
    fused: s.groups,
  };
}
