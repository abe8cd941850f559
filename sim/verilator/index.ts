// Verilator co-simulation (DESIGN.md §4): locate Verilator, build cached simulators, run the same
// stimulus through a TypeScript simulator and Verilator, and report the first divergence.
export { cosim, cosimBatch, cosimPassed, describeMismatch } from './cosim.js';
export type { BatchOptions, CosimCase, CosimOptions, CosimResult, Mismatch, TsSimulatorKind } from './cosim.js';
export { defaultToolchain, dockerImageTag, INSTALL_HINT, locateVerilator, parseVersion } from './locate.js';
export type { LocateOptions, Toolchain } from './locate.js';
export { buildModel, defaultCacheDir, runModel, VerilatorBuildError, verilatorFlags } from './build.js';
export type { Build, BuildRequest, ModelRun, RunRequest, VerilogSource } from './build.js';
export { decodeOutputs, encodeStimulus, harnessCpp } from './harness.js';
export type { HarnessPort, HarnessSpec } from './harness.js';
export { prefixModules, registersOf, wrapDesigns } from './wrapper.js';
export type { TracedRegister, WrappedDesign, WrappedPort, Wrapper } from './wrapper.js';
export { randomInputs, randomInputStream, type Stimulus } from './stimulus.js';
export { sampleVcd } from './vcd.js';
