// Fault sites of the accelerator simulation top (gen/accel/simtop.ts) and the pattern language that
// selects them (DESIGN.md §7, issue 6). docs/faults.md is the user's reference.
//
// A site is a register, a memory read port (a synchronous read's data register: it holds state, so
// it is a 'register' here), a memory or a combinational net of the compiled simulation top. Every site
// keeps its simulator name (FaultSite.name, what sim.flip/flipMem and compile({forces}) take) and gets
// a friendly alias built from it by fixed rules, so that patterns read like the hardware:
//   accel.array.pe_3_1.psum_q   → array.pe[3][1].acc      (the PE's partial-sum register)
//   accel.array.pe_3_1.weight_q → array.pe[3][1].weight   (shadow_q → shadow, act_q → act, ...)
//   accel.array.actSkew_2_1     → array.actSkew[2][1]
//   accel.gemm_offShadow_0      → gemm.offShadow[0]       (dma_*, gemm_*, post_*, cnt_* likewise)
//   accel.requant.sum_q         → post.requant.sum        (the POST lane's requantizer)
//   accel.lcu.head_2, bound_2   → post.lcu.head[2], post.lcu.bound[2]  (the correction unit, issue 11)
//   accel.pc_q, accel.ir        → ctrl.pc, ctrl.ir        (everything else of the controller)
//   accel.wbuf_2, abuf1_3, accbuf_0 → buf.weight.mem[2], buf.act.mem[1][3], buf.acc.mem[0]
//   accel.abuf1_bank3           → buf.act.mem[1][3]       (activationLayout 'banked': bank 3 of buffer 1)
//   accel.imem, pixmem, offmem, pmem → buf.instr.mem, buf.pix.mem, buf.off.mem, buf.param.mem
//   dram.*                      → dram.*                  (off-chip)
// A trailing `_q` is dropped from registers unless that would clash with another name (requant.q_q
// stays, next to the net requant.q). Simulation-top glue (names outside accel. and dram.) is no site.
//
// Patterns: `.`-separated components; in a component `*` matches any characters, and index
// selectors `[*]`, `[3]`, `[0:3]` (inclusive) select the name's indices in order; omitted trailing
// indices match any (so `buf.act.mem` is `buf.act.mem[*][*]`). A trailing bare `*` component matches
// one or more components (so `ctrl.*` and `*` reach everything below). A pattern may be a comma-
// separated list (union) and may also be written in simulator names (`accel.array.pe_0_0.psum_q`).
// Two exclusions keep `*` meaning "the on-chip state": nets match only a component whose last part is
// literal (`array.pe[*][*].psumOut`, never `array.pe.*`), and off-chip sites (dram.*) only a pattern
// whose first component is literally `dram`.
import type { Design, Module } from '../../hdl/ir/index.js';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import type { AccelHardwareConfig, AccelSizes } from '../../gen/accel/config.js';
import { closeMatches } from '../../sim/suggest.js';
import type { CompiledSim } from '../../sim/compile/index.js';
import { accelMachine } from '../run.js';
import type { FaultSite } from './types.js';

/** Bits a site holds: width × depth (the weight of a site when sampling faults uniformly over bits). */
export const siteBits = (site: FaultSite): number => site.width * site.depth;

/** All sites of a design, with the lookups and the pattern matcher. */
export interface SiteCatalog {
  /** Every site (nets and off-chip ones included) in simulator order: registers, read ports, memories, nets. */
  readonly sites: readonly FaultSite[];
  /** By simulator name or alias. */
  lookup(name: string): FaultSite | undefined;
  /** The sites a pattern selects, in catalog order; E150 when none, E151 for a malformed pattern. */
  match(pattern: string): FaultSite[];
}

const catalogs = new WeakMap<CompiledSim, SiteCatalog>();

/** The site catalog of the accelerator simulation top of a configuration and table sizes. */
export function accelSites(config: AccelHardwareConfig, sizes: AccelSizes): SiteCatalog {
  const { design, sim } = accelMachine(config, sizes);
  return siteCatalog(design, sim);
}

/** The site catalog of a compiled design (cached per simulator). */
export function siteCatalog(design: Design, sim: CompiledSim): SiteCatalog {
  const cached = catalogs.get(sim);
  if (cached) return cached;
  const catalog = buildCatalog(design, sim);
  catalogs.set(sim, catalog);
  return catalog;
}

// ---- enumeration and aliases ----

interface RawSite {
  readonly name: string;
  readonly kind: FaultSite['kind'];
  readonly width: number;
  readonly depth: number;
}

/** Hierarchical names of every memory read port (they are state, like registers). */
function readPortNames(design: Design): string[] {
  const modules = new Map(design.modules.map((m) => [m.name, m]));
  const out: string[] = [];
  const walk = (mod: Module, prefix: string): void => {
    for (const mem of mod.mems) for (const rp of mem.readPorts) out.push(prefix + rp.name);
    for (const inst of mod.instances) walk(modules.get(inst.module)!, `${prefix}${inst.name}.`);
  };
  walk(modules.get(design.top)!, '');
  return out;
}

function rawSites(design: Design, sim: CompiledSim): RawSite[] {
  const regs = sim.registerNames();
  const reads = readPortNames(design);
  const mems = sim.memoryNames();
  const state = new Set([...regs, ...reads, 'clk', 'rst']);
  const nets = sim.signalNames().filter((n) => !state.has(n));
  return [
    ...[...regs, ...reads].map((name) => ({ name, kind: 'register' as const, width: sim.shapeOf(name).width, depth: 1 })),
    ...mems.map((name) => {
      const info = sim.memoryInfo(name);
      return { name, kind: 'memory' as const, width: info.shape.width, depth: info.depth };
    }),
    ...nets.map((name) => ({ name, kind: 'net' as const, width: sim.shapeOf(name).width, depth: 1 })),
  ];
}

/** `pe_3_1` → `pe[3][1]`; `offValid2_0` → `offValid2[0]`; names without a `_<digits>` suffix stay. */
function bracketIndices(component: string): string {
  const m = /^(.+?)((?:_\d+)+)$/.exec(component);
  if (!m) return component;
  return `${m[1]}${m[2]!.slice(1).split('_').map((i) => `[${i}]`).join('')}`;
}

const MEMORY_ALIASES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^imem$/, () => 'buf.instr.mem'],
  [/^pixmem$/, () => 'buf.pix.mem'],
  [/^offmem$/, () => 'buf.off.mem'],
  [/^pmem$/, () => 'buf.param.mem'],
  [/^wbuf_(\d+)$/, (m) => `buf.weight.mem[${m[1]}]`],
  [/^wbuf_(\d+)_(\d+)$/, (m) => `buf.weight.mem[${m[1]}][${m[2]}]`], // a tile-loading machine: bank (row mod R, column)
  [/^abuf(\d+)_(\d+)$/, (m) => `buf.act.mem[${m[1]}][${m[2]}]`],
  [/^abuf(\d+)_bank(\d+)$/, (m) => `buf.act.mem[${m[1]}][${m[2]}]`],
  [/^accbuf_(\d+)$/, (m) => `buf.acc.mem[${m[1]}]`],
];

/** PE registers named after what they hold in the accelerator (issue 6's `array.pe[*][*].acc`). */
const PE_LEAVES: Readonly<Record<string, string>> = { psum: 'acc' };

/** Units whose signals the accelerator top names `<unit>_<field>` (gen/accel/*-engine.ts, counters.ts). */
const UNIT_PREFIXES: ReadonlySet<string> = new Set(['dma', 'gemm', 'post', 'cnt']);

/** The alias of a site (before `_q` clash resolution: `strip` says whether to drop a trailing `_q`). */
function aliasOf(site: RawSite, strip: boolean): string | null {
  const dot = site.name.indexOf('.');
  if (dot < 0) return null; // simulation-top glue
  const scope = site.name.slice(0, dot);
  const rest = site.name.slice(dot + 1);
  const parts = rest.split('.');
  const leafOf = (leaf: string): string => (strip && site.kind === 'register' && /._q$/.test(leaf) ? leaf.slice(0, -2) : leaf);
  if (scope === 'dram') return ['dram', ...parts.slice(0, -1).map(bracketIndices), bracketIndices(leafOf(parts[parts.length - 1]!))].join('.');
  if (scope !== 'accel') return null;
  if (site.kind === 'memory' && parts.length === 1) {
    for (const [re, alias] of MEMORY_ALIASES) {
      const m = re.exec(parts[0]!);
      if (m) return alias(m);
    }
  }
  const last = parts.length - 1;
  const comps = parts.map((p, i) => (i === last ? leafOf(p) : p));
  if (comps[0] === 'array' && comps.length > 1) {
    const inPe = comps.length === 3 && /^pe_\d+_\d+$/.test(comps[1]!);
    if (inPe && site.kind === 'register') comps[2] = PE_LEAVES[comps[2]!] ?? comps[2]!;
    return ['array', ...comps.slice(1).map(bracketIndices)].join('.');
  }
  if (comps[0] === 'requant' && comps.length > 1) return ['post', 'requant', ...comps.slice(1).map(bracketIndices)].join('.');
  // The POST engine's row lanes (config postLanes 'columns'): instance requant_<j>, lane j.
  const rowLane = /^requant_(\d+)$/.exec(comps[0]!);
  if (rowLane && comps.length > 1) return ['post', `requant[${rowLane[1]}]`, ...comps.slice(1).map(bracketIndices)].join('.');
  if (comps[0] === 'lcu' && comps.length > 1) return ['post', 'lcu', ...comps.slice(1).map(bracketIndices)].join('.');
  if (comps.length === 1) {
    const c = comps[0]!;
    const unit = /^([a-z]+)_(.+)$/.exec(c);
    if (unit && UNIT_PREFIXES.has(unit[1]!)) return `${unit[1]}.${bracketIndices(unit[2]!)}`;
    if (c.startsWith('array_')) return `gemm.${bracketIndices(c)}`; // the array's outputs inside the GEMM engine
    if (c.startsWith('requant_')) return `post.${bracketIndices(c)}`;
    const we = /^abuf(\d+)_we$/.exec(c);
    if (we) return `buf.act.we[${we[1]}]`;
    return `ctrl.${bracketIndices(c)}`;
  }
  return ['ctrl', ...comps.map(bracketIndices)].join('.');
}

/** The breakdown group of an alias: `pe.<leaf>`, `buf.<kind>`, `array`, `dma`, `gemm`, `post`, `post.lcu`, `cnt`, `ctrl`, `dram`. */
function groupOf(alias: string): string {
  const parts = alias.split('.');
  const base = (p: string): string => p.replace(/\[.*$/, '');
  if (parts[0] === 'array' && base(parts[1] ?? '') === 'pe' && parts.length === 3) return `pe.${parts[2]}`;
  if (parts[0] === 'buf') return `buf.${base(parts[1] ?? '')}`;
  if (parts[0] === 'post' && parts[1] === 'lcu') return 'post.lcu';
  return parts[0]!;
}

function buildCatalog(design: Design, sim: CompiledSim): SiteCatalog {
  const raws = rawSites(design, sim);
  // Aliases with every `_q` kept are the fallback when dropping it would clash.
  const kept = raws.map((r) => aliasOf(r, false));
  const stripped = raws.map((r) => aliasOf(r, true));
  const count = new Map<string, number>();
  for (const a of [...kept, ...stripped.filter((s, i) => s !== kept[i])]) if (a !== null) count.set(a, (count.get(a) ?? 0) + 1);
  const sites: FaultSite[] = [];
  raws.forEach((r, i) => {
    const keep = kept[i];
    if (keep === null || keep === undefined) return;
    const strip = stripped[i]!;
    const alias = strip !== keep && count.get(strip) === 1 ? strip : keep;
    sites.push({ name: r.name, alias, kind: r.kind, width: r.width, depth: r.depth, group: groupOf(alias) });
  });
  const byName = new Map<string, FaultSite>();
  for (const s of sites) {
    byName.set(s.name, s);
    if (s.alias !== undefined && !byName.has(s.alias)) byName.set(s.alias, s);
  }
  const parsed = sites.map((s) => ({ site: s, alias: parseName(s.alias ?? s.name), sim: s.name.split('.').map((base) => ({ base, indices: [] })) }));
  return {
    sites,
    lookup: (name) => byName.get(name),
    match(pattern: string): FaultSite[] {
      const alternatives = splitPattern(pattern);
      const hits = parsed.filter((p) => alternatives.some((alt) => matches(alt, p.alias, p.site) || matches(alt, p.sim, p.site))).map((p) => p.site);
      if (hits.length === 0) throw new DiagnosticError([msg.noFaultSite(pattern, suggestions(pattern, sites))]);
      return hits;
    },
  };
}

// ---- patterns ----

type IndexSel = { readonly lo: number; readonly hi: number } | null; // null: [*]

interface PatternComponent {
  readonly glob: RegExp;
  readonly literal: boolean;
  readonly text: string;
  readonly indices: readonly IndexSel[];
}

interface Pattern {
  readonly text: string;
  readonly components: readonly PatternComponent[];
  /** A trailing bare `*`: matches one or more components. */
  readonly tail: boolean;
}

interface NameComponent {
  readonly base: string;
  readonly indices: readonly number[];
}

/** An alias's components: `pe[3][1]` → base `pe`, indices [3, 1]. */
function parseName(name: string): NameComponent[] {
  return name.split('.').map((c) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(c)!;
    return { base: m[1]!, indices: [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])) };
  });
}

const badPattern = (pattern: string, why: string): DiagnosticError => new DiagnosticError([msg.badSitePattern(pattern, why)]);

/** Parse a pattern (a comma-separated union); E151 when malformed. */
export function splitPattern(pattern: string): Pattern[] {
  const alternatives = pattern.split(',').map((p) => p.trim());
  if (alternatives.some((p) => p.length === 0)) throw badPattern(pattern, 'an empty pattern');
  return alternatives.map((text) => {
    const raw = text.split('.');
    const tail = raw.length > 0 && raw[raw.length - 1] === '*';
    const components = raw.map((c) => {
      const m = /^([A-Za-z0-9_*]*)((?:\[[^\]]*\])*)$/.exec(c);
      if (!m || (m[1]!.length === 0 && m[2]!.length === 0)) throw badPattern(text, `the component '${c}'`);
      const indices = [...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x): IndexSel => {
        const sel = x[1]!.trim();
        if (sel === '*') return null;
        const r = /^(\d+)(?::(\d+))?$/.exec(sel);
        if (!r) throw badPattern(text, `the index selector '[${sel}]'`);
        const a = Number(r[1]);
        const b = r[2] === undefined ? a : Number(r[2]);
        return { lo: Math.min(a, b), hi: Math.max(a, b) };
      });
      const base = m[1]!;
      const glob = new RegExp(`^${base.split('*').map((s) => s.replace(/[.+?^${}()|\\]/g, '\\$&')).join('.*')}$`);
      return { glob, literal: !base.includes('*'), text: base, indices };
    });
    return { text, components, tail };
  });
}

function componentMatches(p: PatternComponent, n: NameComponent): boolean {
  if (!p.glob.test(n.base)) return false;
  if (p.indices.length > n.indices.length) return false;
  return p.indices.every((sel, i) => sel === null || (n.indices[i]! >= sel.lo && n.indices[i]! <= sel.hi));
}

function matches(p: Pattern, name: NameComponent[], site: FaultSite): boolean {
  const offChip = name[0]!.base === 'dram';
  if (offChip && !(p.components[0]!.literal && p.components[0]!.text === 'dram')) return false;
  const comps = p.components;
  if (p.tail) {
    const fixed = comps.length - 1;
    if (name.length <= fixed) return false;
    if (site.kind === 'net') return false; // a `*` leaf never selects a net
    return comps.slice(0, fixed).every((c, i) => componentMatches(c, name[i]!));
  }
  if (name.length !== comps.length) return false;
  if (site.kind === 'net' && !comps[comps.length - 1]!.literal) return false;
  return comps.every((c, i) => componentMatches(c, name[i]!));
}

/**
 * Close names for a pattern that matched nothing: site names with their indices generalised to `[*]`,
 * compared without indices (so `buf.actt.mem` finds `buf.act.mem[*][*]`); else the top-level names.
 */
function suggestions(pattern: string, sites: readonly FaultSite[]): string {
  const strip = (name: string): string => name.replace(/\[[^\]]*\]/g, '');
  const general = new Map<string, string>();
  for (const s of sites) if (s.kind !== 'net') general.set(strip(s.alias ?? s.name), (s.alias ?? s.name).replace(/\[\d+\]/g, '[*]'));
  const close = closeMatches(strip(pattern.split(',')[0]!.trim()), [...general.keys()], 6);
  if (close.length > 0) return `close names: ${close.map((c) => general.get(c)!).join(', ')}`;
  const groups = [...new Set(sites.filter((s) => s.kind !== 'net').map((s) => (s.alias ?? s.name).split('.')[0]!))];
  return `the top-level names are ${groups.map((g) => `${g}.*`).join(', ')}`;
}

/** Per-group totals of a list of sites, groups in first-seen order. */
export function siteTotals(sites: readonly FaultSite[]): { sites: number; bits: number; groups: { group: string; sites: number; bits: number }[] } {
  const groups = new Map<string, { group: string; sites: number; bits: number }>();
  for (const s of sites) {
    const g = groups.get(s.group) ?? { group: s.group, sites: 0, bits: 0 };
    g.sites++;
    g.bits += siteBits(s);
    groups.set(s.group, g);
  }
  return { sites: sites.length, bits: sites.reduce((t, s) => t + siteBits(s), 0), groups: [...groups.values()] };
}
