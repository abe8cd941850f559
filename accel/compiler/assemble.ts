// A program whose feature maps live in DRAM maps (the streaming compiler's, or the fused-layer compiler's, which
// extends it) as an ordinary CompiledModel: memory depths, geometry, input/output words and per-layer MACs
// (a fused layer's name joins its model layers with '+', and its MACs are their sum).
import { accelGeometry, type AccelGeometry, type AccelHardwareConfig, type AccelSizes } from '../../gen/accel/config.js';
import type { CompiledLayer, CompiledModel } from '../compiler.js';
import { layerMacs } from '../golden.js';
import type { Model } from '../model.js';
import { mapWords, type MapLayout, type StreamedProgram } from './stream.js';

/** The CompiledModel of `s`, compiled from `model` for `config` (probe: its geometry before the sizes are known). */
export function compiledFromMaps(s: StreamedProgram, model: Model, config: AccelHardwareConfig, probe: AccelGeometry): CompiledModel {
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
    outputWords: mapWords(s.output, probe.elemsPerWord),
  };
}
