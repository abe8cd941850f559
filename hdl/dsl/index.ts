export { defineModule, mux, ModuleBuilder, Signal, MemoryHandle, InstanceHandle, WhenChain } from './module.js';
export type { ModuleDef, ModuleOptions, RegOptions, MemoryOptions } from './module.js';
export { Value, type ValueLike } from './value.js';
export { elaborate, build, type Elaborated } from './elaborate.js';
export { UInt, SInt, Bool } from '../ir/index.js';
import { concatValues, type Value } from './value.js';
import { captureLoc } from './loc.js';

/** Concatenation, most significant part first (Verilog order); the result is unsigned. */
export function cat(...parts: Value[]): Value {
  return concatValues(parts, captureLoc());
}
