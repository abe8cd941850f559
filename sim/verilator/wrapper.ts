// Several designs in one Verilator build. A Verilator build costs 10–30 s whatever the design size,
// so co-simulation of many small designs (random differential tests) puts them side by side under a
// generated wrapper top: design i is instance `d<i>`, its modules renamed `c<i>_<name>` so that no two
// designs share a Verilog module name, and its ports are wrapper ports `i<k>`/`o<k>` (plain names,
// so no port name can collide with a C++ keyword in the Verilated class). One clock drives all; each
// design keeps its own reset input. The wrapper follows the emitter's style and lints clean.
import type { Design, Module, Shape } from '../../hdl/ir/index.js';
import { clockingOf, topModule } from '../../hdl/ir/index.js';
import { emitVerilog, type VerilogFile } from '../../hdl/verilog.js';
import type { HarnessSpec } from './harness.js';
import type { VerilogSource } from './build.js';

/** A top-level port of one wrapped design and the wrapper port it became. */
export interface WrappedPort {
  /** Port name in the design ('rst' for the implicit reset). */
  readonly name: string;
  readonly shape: Shape;
  /** Wrapper port (and Verilated C++ member) name. */
  readonly port: string;
}

/** A hardware register visible in the Verilator VCD trace: a register or memory read port. */
export interface TracedRegister {
  /** Hierarchical name as the TypeScript simulators know it ('u0.acc'). */
  readonly name: string;
  readonly shape: Shape;
  /** VCD scope path below the design instance, ending with the signal name (['u0', 'acc']). */
  readonly path: readonly string[];
}

export interface WrappedDesign {
  /** The design as given (the TypeScript simulators run this one). */
  readonly design: Design;
  /** Instance name of the design in the wrapper. */
  readonly instance: string;
  /** Inputs in stimulus order, the implicit reset first when the top has one (the clock is shared). */
  readonly inputs: readonly WrappedPort[];
  readonly outputs: readonly WrappedPort[];
  /** Whether the design's top takes the clock. */
  readonly clocked: boolean;
  readonly registers: readonly TracedRegister[];
}

export interface Wrapper {
  /** Name of the wrapper module: the Verilog top of the build. */
  readonly top: string;
  readonly sources: readonly VerilogSource[];
  readonly harness: HarnessSpec;
  readonly designs: readonly WrappedDesign[];
  /** Which design (index into `designs`) each Verilog file belongs to; the wrapper file is absent. */
  readonly fileDesign: ReadonlyMap<string, number>;
}

export interface WrapOptions {
  /**
   * TEST-ONLY: rewrite a design's emitted Verilog before it is compiled (to check that a tampered
   * module is caught). Never use it to make a real design pass.
   */
  readonly testOnlyPatchVerilog?: (files: VerilogFile[], designIndex: number) => VerilogFile[];
}

/** The same design with every module name prefixed (instances follow). */
export function prefixModules(design: Design, prefix: string): Design {
  const modules: Module[] = design.modules.map((m) => ({
    ...m,
    name: prefix + m.name,
    instances: m.instances.map((i) => ({ ...i, module: prefix + i.module })),
  }));
  return { top: prefix + design.top, modules };
}

/** Registers and memory read ports of the design, by hierarchical name, in instance order. */
export function registersOf(design: Design): TracedRegister[] {
  const byName = new Map(design.modules.map((m) => [m.name, m]));
  const out: TracedRegister[] = [];
  const visit = (m: Module, scope: string[]): void => {
    for (const r of m.regs) out.push({ name: [...scope, r.name].join('.'), shape: r.shape, path: [...scope, r.name] });
    for (const mem of m.mems) {
      for (const rp of mem.readPorts) out.push({ name: [...scope, rp.name].join('.'), shape: mem.shape, path: [...scope, rp.name] });
    }
    for (const inst of m.instances) {
      const child = byName.get(inst.module);
      if (child) visit(child, [...scope, inst.name]);
    }
  };
  visit(topModule(design), []);
  return out;
}

const range = (width: number): string => (width > 1 ? `[${width - 1}:0] ` : '');

/** Wrap designs for one build. With a single design its module names are kept as they are. */
export function wrapDesigns(designs: readonly Design[], options: WrapOptions = {}): Wrapper {
  if (designs.length === 0) throw new Error('Co-simulation needs at least one design');
  const sources: VerilogSource[] = [];
  const moduleNames = new Set<string>();
  const fileDesign = new Map<string, number>();
  const wrapped: WrappedDesign[] = [];
  const harnessInputs: { name: string; width: number }[] = [];
  const harnessOutputs: { name: string; width: number }[] = [];
  const instances: string[] = [];
  const portMap: string[] = [];
  let anyClock = false;

  designs.forEach((design, index) => {
    const renamed = designs.length === 1 ? design : prefixModules(design, `c${index}_`);
    let files = emitVerilog(renamed);
    if (options.testOnlyPatchVerilog) files = options.testOnlyPatchVerilog(files, index);
    for (const f of files) {
      if (moduleNames.has(f.module)) throw new Error(`internal: module '${f.module}' emitted twice in one co-simulation build`);
      moduleNames.add(f.module);
      sources.push({ fileName: f.fileName, text: f.text });
      fileDesign.set(f.fileName, index);
    }
    const top = topModule(renamed);
    const clocking = clockingOf(renamed).get(top.name) ?? { clk: false, rst: false };
    anyClock ||= clocking.clk;
    const instance = `d${index}`;
    const inputs: WrappedPort[] = [];
    const outputs: WrappedPort[] = [];
    const conns: string[] = [];
    if (clocking.clk) conns.push('.clk(clk)');
    const addInput = (name: string, shape: Shape): void => {
      const port = `i${harnessInputs.length}`;
      inputs.push({ name, shape, port });
      harnessInputs.push({ name: port, width: shape.width });
      conns.push(`.${name}(${port})`);
      portMap.push(`//   ${port} = ${instance}.${name}`);
    };
    if (clocking.rst) addInput('rst', { width: 1, signed: false });
    for (const p of top.ports) if (p.dir === 'in') addInput(p.name, p.shape);
    for (const p of top.ports) {
      if (p.dir !== 'out') continue;
      const port = `o${harnessOutputs.length}`;
      outputs.push({ name: p.name, shape: p.shape, port });
      harnessOutputs.push({ name: port, width: p.shape.width });
      conns.push(`.${p.name}(${port})`);
      portMap.push(`//   ${port} = ${instance}.${p.name}`);
    }
    instances.push(
      conns.length === 0 ? `  ${top.name} ${instance} ();` : `  ${top.name} ${instance} (\n${conns.map((c) => `    ${c}`).join(',\n')}\n  );`,
    );
    wrapped.push({ design, instance, inputs, outputs, clocked: clocking.clk, registers: registersOf(design) });
  });

  let top = 'splitfuse_cosim';
  while (moduleNames.has(top)) top += '_w';
  const ports = [
    ...(anyClock ? ['input wire clk'] : []),
    ...harnessInputs.map((p) => `input wire ${range(p.width)}${p.name}`),
    ...harnessOutputs.map((p) => `output wire ${range(p.width)}${p.name}`),
  ];
  const text = [
    '// Generated by splitfuse (sim/verilator/wrapper.ts) for co-simulation with Verilator:',
    `// ${designs.length} design${designs.length === 1 ? '' : 's'} side by side, sharing the clock. Ports:`,
    ...portMap,
    '`default_nettype none',
    '',
    ports.length === 0 ? `module ${top};` : `module ${top} (\n${ports.map((p) => `  ${p}`).join(',\n')}\n);`,
    '',
    instances.join('\n\n'),
    '',
    'endmodule',
    '`default_nettype wire',
    '',
  ].join('\n');
  sources.push({ fileName: `${top}.v`, text });
  return {
    top,
    sources,
    harness: { topModule: top, clock: anyClock ? 'clk' : null, inputs: harnessInputs, outputs: harnessOutputs },
    designs: wrapped,
    fileDesign,
  };
}
