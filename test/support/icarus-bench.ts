// Run a Design's emitted Verilog in Icarus, cycle by cycle, and read back its outputs: the Verilog side
// of differential tests (the TypeScript simulators are the other side).
//
// Each cycle: the inputs (and `rst`, when the top has it) are set, the combinational logic settles,
// every output is sampled, then one rising clock edge. So sample k shows the outputs after k edges
// with cycle k's inputs applied, as `poke(inputs); peek(outputs); step()` does in a Simulator.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Design } from '../../hdl/ir/index.js';
import { clockingOf, topModule } from '../../hdl/ir/index.js';
import { writeVerilog } from '../../hdl/verilog.js';
import { compileIcarus, runIcarus, tempDir } from './tools.js';

/** Input values of one cycle, by top-level port name (and 'rst'); integers of either signedness. */
export type CycleInputs = Readonly<Record<string, bigint>>;

/** Output bit patterns (0 <= v < 2^width) of one cycle, by top-level port name. */
export type CycleOutputs = ReadonlyMap<string, bigint>;

const hexLiteral = (v: bigint, width: number): string => `${width}'h${BigInt.asUintN(width, v).toString(16)}`;

/** The testbench module `splitfuse_tb` driving the top through `i_<port>` regs and `o_<port>` wires. */
export function icarusTestbench(design: Design, stimulus: readonly CycleInputs[]): string {
  const top = topModule(design);
  const clocking = clockingOf(design).get(top.name) ?? { clk: false, rst: false };
  const range = (w: number): string => (w > 1 ? `[${w - 1}:0] ` : '');
  const inputs = top.ports.filter((p) => p.dir === 'in');
  const outputs = top.ports.filter((p) => p.dir === 'out');
  const lines = ['module splitfuse_tb;'];
  if (clocking.clk) lines.push("  reg clk = 1'b0;");
  if (clocking.rst) lines.push("  reg rst = 1'b0;");
  for (const p of inputs) lines.push(`  reg ${range(p.shape.width)}i_${p.name} = ${hexLiteral(0n, p.shape.width)};`);
  for (const p of outputs) lines.push(`  wire ${range(p.shape.width)}o_${p.name};`);
  const conns = [
    ...(clocking.clk ? ['.clk(clk)'] : []),
    ...(clocking.rst ? ['.rst(rst)'] : []),
    ...inputs.map((p) => `.${p.name}(i_${p.name})`),
    ...outputs.map((p) => `.${p.name}(o_${p.name})`),
  ];
  lines.push(`  ${top.name} dut (${conns.join(', ')});`);
  lines.push('  initial begin');
  const format = outputs.map(() => '%h').join(' ');
  const args = outputs.map((p) => `, o_${p.name}`).join('');
  stimulus.forEach((cycle, k) => {
    const sets: string[] = [];
    if (clocking.rst) sets.push(`rst = ${cycle['rst'] ? "1'b1" : "1'b0"};`);
    for (const p of inputs) sets.push(`i_${p.name} = ${hexLiteral(cycle[p.name] ?? 0n, p.shape.width)};`);
    lines.push(`    ${sets.join(' ')}`);
    lines.push(`    #1 $display("${k}: ${format}"${args});`);
    lines.push(clocking.clk ? "    clk = 1'b1; #1 clk = 1'b0;" : '    #1;');
  });
  lines.push('    $finish;', '  end', 'endmodule', '');
  return lines.join('\n');
}

/** Emit, compile and run the design in Icarus; returns the sampled outputs of every cycle. */
export function simulateIcarus(design: Design, stimulus: readonly CycleInputs[], dir: string = tempDir()): CycleOutputs[] {
  return simulateIcarusFiles(design, writeVerilog(design, dir), stimulus, dir);
}

/**
 * Like simulateIcarus, on given Verilog files that define the design's top module with the same ports
 * (e.g. a netlist Yosys wrote back from the emitted files).
 */
export function simulateIcarusFiles(
  design: Design,
  files: readonly string[],
  stimulus: readonly CycleInputs[],
  dir: string = tempDir(),
): CycleOutputs[] {
  const tb = path.join(dir, 'splitfuse_tb.v');
  writeFileSync(tb, icarusTestbench(design, stimulus));
  const compiled = path.join(dir, 'splitfuse_tb.vvp');
  const c = compileIcarus([...files, tb], 'splitfuse_tb', compiled);
  if (!c.ok) throw new Error(`iverilog failed:\n${c.output}`);
  const r = runIcarus(compiled);
  if (!r.ok) throw new Error(`vvp failed:\n${r.output}`);
  const outputs = topModule(design).ports.filter((p) => p.dir === 'out');
  const samples: CycleOutputs[] = [];
  for (const line of r.output.split('\n')) {
    const m = /^(\d+): ?(.*)$/.exec(line.trim());
    if (!m) continue;
    const fields = m[2]!.split(' ').filter((f) => f !== '');
    if (fields.length !== outputs.length) throw new Error(`unexpected testbench line '${line}'`);
    const values = new Map<string, bigint>();
    outputs.forEach((p, i) => {
      const f = fields[i]!;
      if (!/^[0-9a-f]+$/.test(f)) throw new Error(`output '${p.name}' is '${f}' (x or z) at cycle ${m[1]}`);
      values.set(p.name, BigInt(`0x${f}`));
    });
    samples.push(values);
  }
  if (samples.length !== stimulus.length) throw new Error(`expected ${stimulus.length} samples, got ${samples.length}:\n${r.output}`);
  return samples;
}
