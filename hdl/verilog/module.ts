// One IR module → the text of one Verilog-2005 module (without the file header).
//
// Layout: ports (implicit clk/rst first), declarations, temporaries, continuous assignments,
// registers, memories, instances. Emitter-made names start with `_t` (reserved by hdl/names.ts):
// `_t<N>` temporaries, `_t_init_<mem>` init blocks and their `_t_addr` loop variable.
import type { Clocking, Expr, Memory, Module, Reg, Shape } from '../ir/index.js';
import { addrWidth, moduleExprRoots, refsOf } from '../ir/index.js';
import { ExprEmitter, type TempDef } from './expr.js';
import { literal } from './pieces.js';

const INDENT = '  ';

/** A Verilog macro that, when defined, leaves out the zero fill of memories without complete init contents. */
export const NO_ZERO_FILL_MACRO = 'SPLITFUSE_NO_ZERO_FILL';

/** `signed [7:0] ` / `` (1 bit) — the part of a declaration between the kind and the name. */
function range(shape: Shape): string {
  return `${shape.signed ? 'signed ' : ''}${shape.width > 1 ? `[${shape.width - 1}:0] ` : ''}`;
}

/** Which bits of each temporary some emitted text reads. */
class ReadBits {
  private readonly bits = new Map<string, Set<number>>();
  readonly record = (name: string, lo: number, width: number): void => {
    if (!name.startsWith('_t')) return;
    let s = this.bits.get(name);
    if (!s) this.bits.set(name, (s = new Set()));
    for (let i = lo; i < lo + width; i++) s.add(i);
  };
  unread(name: string, width: number): number[] {
    const s = this.bits.get(name);
    const out: number[] = [];
    for (let i = 0; i < width; i++) if (!s?.has(i)) out.push(i);
    return out;
  }
}

/** Bracket declarations Verilator would flag as partly unused, with a comment saying why. */
function lintWaived(why: string, lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  return [
    `${INDENT}// ${why}`,
    `${INDENT}/* verilator lint_off UNUSEDSIGNAL */`,
    ...lines,
    `${INDENT}/* verilator lint_on UNUSEDSIGNAL */`,
  ];
}

export interface ModuleContext {
  readonly clocking: ReadonlyMap<string, Clocking>;
  readonly modules: ReadonlyMap<string, Module>;
}

export function emitModuleBody(m: Module, ctx: ModuleContext): string {
  const readBits = new ReadBits();
  const roots = moduleExprRoots(m).map((r) => r.expr);
  const ex = new ExprEmitter(roots, readBits.record);
  const clk = ctx.clocking.get(m.name) ?? { clk: false, rst: false };

  // Render everything that reads expressions before the temporaries: instance connections may add
  // temporaries, and which bits of each temporary are read is known only at the end.
  const assigns = m.assigns.map((a) => `${INDENT}assign ${a.target} = ${ex.text(a.value)};`);
  // Power-on values are set in initial blocks, not declaration initializers, which newer Verilator
  // releases report under -Wall (PROCASSINIT) for registers assigned in always blocks.
  const powerOn = m.regs.map((r) => `${INDENT}${INDENT}${r.name} = ${literal(r.init, r.shape.width)};`);
  const regs = [...(powerOn.length ? [`${INDENT}initial begin`, ...powerOn, `${INDENT}end`] : []), ...m.regs.flatMap((r) => regBlock(r, ex))];
  const mems = m.mems.map((mem) => memoryBlocks(mem, ex));
  const insts = m.instances.flatMap((inst) => instanceBlock(inst, ctx, ex));
  const temps = temporaries(ex.temporaries, readBits);

  // Sections are separated by blank lines; empty ones are left out.
  const heading = (title: string, lines: string[]): string[] => (lines.length ? [`${INDENT}// ---- ${title} ----`, ...lines] : []);
  const sections: string[][] = [
    declarations(m, roots),
    heading('combinational logic', temps),
    temps.length ? assigns : heading('combinational logic', assigns),
    heading('registers', regs),
    ...mems.map((lines, i) => heading(`memory ${m.mems[i]!.name}: ${m.mems[i]!.depth} x ${m.mems[i]!.shape.width}-bit words`, lines)),
    heading('instances', insts),
  ];

  const ports: string[] = [];
  if (clk.clk) ports.push('input wire clk');
  if (clk.rst) ports.push('input wire rst');
  for (const p of m.ports) ports.push(`${p.dir === 'in' ? 'input' : 'output'} wire ${range(p.shape)}${p.name}`);
  const head =
    ports.length === 0 ? `module ${m.name};` : `module ${m.name} (\n${ports.map((p) => `${INDENT}${p}`).join(',\n')}\n);`;
  const body = sections.filter((s) => s.length > 0).map((s) => s.join('\n'));
  return [head, ...body, 'endmodule'].join('\n\n') + '\n';
}

function declarations(m: Module, roots: readonly Expr[]): string[] {
  const read = new Set<string>();
  for (const r of roots) refsOf(r, read);
  const instOut = new Set(m.instances.flatMap((i) => i.connections.flatMap((c) => (c.dir === 'out' ? [c.wire] : []))));
  const lines: string[] = [];
  const wireLine = (name: string, shape: Shape): string => `${INDENT}wire ${range(shape)}${name};`;
  for (const w of m.wires) if (!instOut.has(w.name) || read.has(w.name)) lines.push(wireLine(w.name, w.shape));
  // Every output of an instance is connected to a wire; those this module does not read are waived,
  // as they are made by the DSL, not declared by the designer.
  const unreadOutputs = m.wires.filter((w) => instOut.has(w.name) && !read.has(w.name));
  lines.push(...lintWaived('Instance outputs this module does not read.', unreadOutputs.map((w) => wireLine(w.name, w.shape))));
  for (const r of m.regs) lines.push(`${INDENT}reg ${range(r.shape)}${r.name};`);
  for (const mem of m.mems) {
    lines.push(`${INDENT}reg ${range(mem.shape)}${mem.name} [0:${mem.depth - 1}];`);
    for (const rp of mem.readPorts) lines.push(`${INDENT}reg ${range(mem.shape)}${rp.name};`);
  }
  return lines;
}

function temporaries(defs: readonly TempDef[], readBits: ReadBits): string[] {
  const lines: string[] = [];
  let partial: string[] = [];
  const flush = (): void => {
    lines.push(...lintWaived('Only some bits of these temporaries are read (slices of operator results).', partial));
    partial = [];
  };
  for (const t of defs) {
    const line = `${INDENT}wire ${range(t)}${t.name} = ${t.text};`;
    const unread = readBits.unread(t.name, t.width);
    if (unread.length === 0) {
      flush();
      lines.push(line);
    } else {
      partial.push(line);
    }
  }
  flush();
  return lines;
}

function regBlock(r: Reg, ex: ExprEmitter): string[] {
  // Validation guarantees every register has a next value.
  const next = `${r.name} <= ${ex.text(r.next!)};`;
  const load = r.enable ? `if (${ex.text(r.enable)}) ${next}` : next;
  const lines = [`${INDENT}always @(posedge clk)`];
  if (r.reset !== null) {
    lines.push(`${INDENT}${INDENT}if (rst) ${r.name} <= ${literal(r.reset, r.shape.width)};`);
    lines.push(`${INDENT}${INDENT}else ${load}`);
  } else {
    lines.push(`${INDENT}${INDENT}${load}`);
  }
  return lines;
}

/**
 * Power-on contents, the write ports (one always block, in port order, so the last write wins as in
 * the simulators) and the read ports (registered, read-first). When the depth is not a power of two,
 * addresses >= depth read 0 and writes to them are dropped, in every simulator alike.
 */
function memoryBlocks(mem: Memory, ex: ExprEmitter): string[] {
  const aw = addrWidth(mem.depth);
  const guarded = mem.depth < 2 ** aw;
  // `addr <= last`, not `addr < depth`: Verilator -Wall reports the latter as CMPCONST when it finds
  // the address constant at 2^aw - 1 (e.g. a wire driven by a constant, or a port tied off by a parent).
  const inRange = (addr: string): string => `${addr} <= ${literal(BigInt(mem.depth - 1), aw)}`;
  const word = (v: bigint): string => literal(v, mem.shape.width);
  // A constant address past the last word is never written and reads 0 (its guard is constant
  // false); it indexes the array as the last word, since Verilator -Wall reports SELRANGE on the
  // dead select even behind the false guard.
  const access = (addrExpr: Expr, addr: string, outOfRange: string): { index: string; note: string } => {
    const c = ex.constantValue(addrExpr);
    if (!guarded || c === null || c < BigInt(mem.depth)) return { index: addr, note: '' };
    return { index: literal(BigInt(mem.depth - 1), aw), note: ` // address ${c} >= depth ${mem.depth}: ${outOfRange}` };
  };
  const i2 = INDENT + INDENT;
  const lines: string[] = [];

  const init = mem.init ?? [];
  lines.push(`${INDENT}initial begin : _t_init_${mem.name}`);
  // All words listed when the init covers the memory; otherwise zeros first, then the nonzero words.
  const complete = init.length === mem.depth;
  if (!complete) {
    // The zero fill keeps every word defined at power-on (2-state, as in the simulators). splitfuse's own FPGA
    // flow (fpga/synth.ts) defines NO_ZERO_FILL_MACRO to skip it: Yosys unrolls such a loop into one init cell
    // per word — minutes for the ~100 K words of an accelerator's buffers, and out of memory in WebAssembly —
    // while the block RAM it maps them to powers up zero anyway.
    const cw = aw + 1;
    lines.push(`${i2}reg [${cw - 1}:0] _t_addr;`);
    lines.push(`\`ifndef ${NO_ZERO_FILL_MACRO}`);
    lines.push(
      `${i2}for (_t_addr = ${literal(0n, cw)}; _t_addr < ${literal(BigInt(mem.depth), cw)}; _t_addr = _t_addr + ${literal(1n, cw)})`,
    );
    lines.push(`${i2}${INDENT}${mem.name}[_t_addr[${aw - 1 > 0 ? `${aw - 1}:0` : '0'}]] = ${word(0n)};`);
    lines.push('`endif');
  }
  init.forEach((v, a) => {
    if (complete || v !== 0n) lines.push(`${i2}${mem.name}[${literal(BigInt(a), aw)}] = ${word(v)};`);
  });
  for (const rp of mem.readPorts) lines.push(`${i2}${rp.name} = ${word(0n)};`);
  lines.push(`${INDENT}end`);

  if (mem.writePorts.length > 0) {
    lines.push(`${INDENT}always @(posedge clk) begin`);
    for (const w of mem.writePorts) {
      const addr = ex.unsignedText(w.addr);
      const en = ex.text(w.enable);
      const cond = guarded ? `${en} && (${inRange(addr)})` : en;
      const { index, note } = access(w.addr, addr, 'never written');
      lines.push(`${i2}if (${cond}) ${mem.name}[${index}] <= ${ex.text(w.data)};${note}`);
    }
    lines.push(`${INDENT}end`);
  }

  for (const rp of mem.readPorts) {
    const addr = ex.unsignedText(rp.addr);
    const { index, note } = access(rp.addr, addr, 'reads 0');
    const value = guarded ? `(${inRange(addr)}) ? ${mem.name}[${index}] : ${word(0n)}` : `${mem.name}[${addr}]`;
    const load = `${rp.name} <= ${value};${note}`;
    lines.push(`${INDENT}always @(posedge clk)`);
    lines.push(`${i2}${rp.enable ? `if (${ex.text(rp.enable)}) ${load}` : load}`);
  }
  return lines;
}

function instanceBlock(inst: Module['instances'][number], ctx: ModuleContext, ex: ExprEmitter): string[] {
  const child = ctx.modules.get(inst.module)!;
  const clk = ctx.clocking.get(child.name) ?? { clk: false, rst: false };
  const conns: string[] = [];
  if (clk.clk) conns.push('.clk(clk)');
  if (clk.rst) conns.push('.rst(rst)');
  // Connections in the child's port order; validation guarantees each port is connected once.
  for (const p of child.ports) {
    const c = inst.connections.find((x) => x.port === p.name);
    if (!c) continue;
    conns.push(`.${p.name}(${c.dir === 'in' ? ex.simpleText(c.value) : c.wire})`);
  }
  if (conns.length === 0) return [`${INDENT}${child.name} ${inst.name} ();`];
  return [`${INDENT}${child.name} ${inst.name} (`, conns.map((c) => `${INDENT}${INDENT}${c}`).join(',\n'), `${INDENT});`];
}
