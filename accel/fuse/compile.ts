// The hook between accel/compiler.ts and the fused-layer compiler: a configuration that carries fusion groups
// (FuseTarget, set by `splitfuse run --fuse` from accel/fuse/plan.ts) compiles through accel/fuse/program.ts into
// an ordinary CompiledModel, which every tool (run, cosim, fault injection) then runs unchanged.
import type { AccelGeometry, AccelHardwareConfig } from '../../gen/accel/config.js';
import type { CompiledModel } from '../compiler.js';
import { compiledFromMaps } from '../compiler/assemble.js';
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
  return { ...compiledFromMaps(s, model, config, probe), fused: s.groups };
}
