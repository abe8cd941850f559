// The I/O harness a block is placed and routed in (fpga/pnr.ts).
//
// A block's ports are not the pins of a board: an INT8 MAC has 50 port bits and the accelerator top
// more, while an iCE40 UP5K in its SG48 package has 39 user I/Os. And nextpnr's Fmax counts only
// register-to-register paths: with ports on pins, a MAC's multiplier path (pin -> DSP -> accumulator)
// would be an "<async>" path outside Fmax. So the block sits between registers, as it would inside a
// larger design, and the harness reaches the pins through two scan chains:
//   scan_in  -> in_chain (one flip-flop per input bit, shifting every cycle) -> the block's inputs
//   the block's outputs -> out_chain (loaded when scan_load, else shifting) -> scan_out
// Four pins (clk, scan_in, scan_load, scan_out) fit every package; every input bit comes from a
// flip-flop and every output bit reaches one, so Yosys removes nothing and Fmax covers the block's
// input-to-register, register-to-register and register-to-output paths. The cost, reported with the
// result: one flip-flop per input bit, one flip-flop and one LUT (the load mux) per output bit.

/** A port of the block's top module, from the Yosys JSON netlist. */
export interface HarnessPort {
  readonly name: string;
  readonly dir: 'in' | 'out';
  readonly width: number;
}

export const HARNESS_TOP = 'splitfuse_pnr_harness';

/** Verilog identifier for `name`: as is when simple, else escaped (`\name `). */
function ident(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) ? name : `\\${name} `;
}

/** Input and output bits the harness carries (the clock is a pin of its own). */
export function harnessBits(ports: readonly HarnessPort[]): { inputBits: number; outputBits: number } {
  const sum = (dir: 'in' | 'out'): number => ports.filter((p) => p.dir === dir && p.name !== 'clk').reduce((a, p) => a + p.width, 0);
  return { inputBits: sum('in'), outputBits: sum('out') };
}

/** The Verilog of the harness around module `top` with `ports` (a port named `clk` is wired to the clock pin). */
export function harnessVerilog(top: string, ports: readonly HarnessPort[]): string {
  const { inputBits, outputBits } = harnessBits(ports);
  const lines = [
    `// Place-and-route harness of ${top} (splitfuse fpga/harness.ts): scan chains between the pins and the block.`,
    `module ${HARNESS_TOP}(input wire clk, input wire scan_in, input wire scan_load, output wire scan_out);`,
  ];
  if (inputBits > 0) {
    lines.push(`  reg [${inputBits - 1}:0] in_chain = ${inputBits}'d0;`);
    lines.push(`  always @(posedge clk) in_chain <= ${inputBits === 1 ? 'scan_in' : `{in_chain[${inputBits - 2}:0], scan_in}`};`);
  }
  if (outputBits > 0) {
    lines.push(`  wire [${outputBits - 1}:0] block_out;`);
    lines.push(`  reg [${outputBits - 1}:0] out_chain = ${outputBits}'d0;`);
    lines.push(`  always @(posedge clk) out_chain <= scan_load ? block_out : ${outputBits === 1 ? "1'b0" : `{out_chain[${outputBits - 2}:0], 1'b0}`};`);
    lines.push(`  assign scan_out = out_chain[${outputBits - 1}];`);
  } else {
    lines.push(`  assign scan_out = 1'b0;`);
  }
  const connections: string[] = [];
  let inAt = 0;
  let outAt = 0;
  for (const p of ports) {
    if (p.name === 'clk') {
      connections.push(`.clk(clk)`);
    } else if (p.dir === 'in') {
      connections.push(`.${ident(p.name)}(in_chain[${inAt + p.width - 1}:${inAt}])`);
      inAt += p.width;
    } else {
      connections.push(`.${ident(p.name)}(block_out[${outAt + p.width - 1}:${outAt}])`);
      outAt += p.width;
    }
  }
  lines.push(`  ${ident(top)} block (`, connections.map((c) => `    ${c}`).join(',\n'), '  );', 'endmodule', '');
  return lines.join('\n');
}

interface NetlistJson {
  modules?: Record<string, { ports?: Record<string, { direction?: string; bits?: unknown[] }> }>;
}

/**
 * The ports of module `top` in a Yosys JSON netlist, in declaration order; null when the text is not
 * such a netlist or lacks `top` (the caller reports it).
 */
export function netlistPorts(netlist: string, top: string): HarnessPort[] | null {
  let json: NetlistJson;
  try {
    json = JSON.parse(netlist) as NetlistJson;
  } catch {
    return null;
  }
  const module = json.modules?.[top] ?? json.modules?.[`\\${top}`];
  if (!module?.ports) return null;
  const ports: HarnessPort[] = [];
  for (const [name, p] of Object.entries(module.ports)) {
    if ((p.direction !== 'input' && p.direction !== 'output') || !Array.isArray(p.bits)) return null;
    ports.push({ name, dir: p.direction === 'input' ? 'in' : 'out', width: p.bits.length });
  }
  return ports;
}

/** A port-only (blackbox) declaration of `top`, so the harness can be synthesized without the block. */
export function blockStubVerilog(top: string, ports: readonly HarnessPort[]): string {
  const decls = ports.map((p) => `  ${p.dir === 'in' ? 'input' : 'output'} wire ${p.width > 1 ? `[${p.width - 1}:0] ` : ''}${ident(p.name)}`);
  return `(* blackbox *)\nmodule ${ident(top)}(\n${decls.join(',\n')}\n);\nendmodule\n`;
}

/**
 * One netlist of the synthesized harness (with `top` a blackbox in it) and the synthesized block: the
 * block's module replaces the blackbox and is no longer marked top. nextpnr flattens the hierarchy.
 * Null when either text is not a Yosys JSON netlist.
 */
export function mergeNetlists(harnessNetlist: string, blockNetlist: string, top: string): string | null {
  let harness: { modules?: Record<string, { attributes?: Record<string, unknown> }> };
  let block: typeof harness;
  try {
    harness = JSON.parse(harnessNetlist) as typeof harness;
    block = JSON.parse(blockNetlist) as typeof harness;
  } catch {
    return null;
  }
  if (!harness.modules || !block.modules?.[top]) return null;
  const modules = { ...harness.modules };
  for (const [name, module] of Object.entries(block.modules)) {
    if (name === top) {
      const attributes = { ...(module.attributes ?? {}) };
      delete attributes.top;
      modules[name] = { ...module, attributes };
    } else if (!(name in modules)) {
      modules[name] = module;
    }
  }
  return JSON.stringify({ ...harness, modules });
}
