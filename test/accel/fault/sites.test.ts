// accel/fault/sites.ts: the sites of the accelerator simulation top, their aliases and groups, and the
// pattern language of issue 6 (`array.pe[*][*].acc`, `buf.act.mem`, `ctrl.*`, index selectors).
import { describe, expect, it } from 'vitest';
import { compile } from '../../../accel/compiler.js';
import { PRESETS } from '../../../accel/config.js';
import { accelSites, siteBits, siteTotals } from '../../../accel/fault/sites.js';
import { readModelFile } from '../../../accel/model.js';
import { accelMachine } from '../../../accel/run.js';
import { diagnosticOf } from '../../support/cli.js';

const model = readModelFile('models/lenet5-mnist-int8.sfm');
const tiny = PRESETS.tiny!;
const tinySizes = compile(model, tiny).sizes;
const catalog = accelSites(tiny, tinySizes);
const names = (pattern: string): string[] => catalog.match(pattern).map((s) => s.name);
const aliases = (pattern: string): string[] => catalog.match(pattern).map((s) => s.alias!);

const diagnostic = diagnosticOf;

describe('site catalog', () => {
  it('covers every register, read port, memory and net of the simulator, each once, with a unique alias', () => {
    const { sim } = accelMachine(tiny, tinySizes);
    const simNames = new Set(catalog.sites.map((s) => s.name));
    for (const r of sim.registerNames()) expect(simNames.has(r)).toBe(true);
    for (const m of sim.memoryNames()) expect(simNames.has(m)).toBe(true);
    expect(simNames.size).toBe(catalog.sites.length);
    expect(new Set(catalog.sites.map((s) => s.alias)).size).toBe(catalog.sites.length);
    // Read ports are state (sim.flip takes them): listed as registers.
    expect(catalog.lookup('accel.gemm_accq_0')).toMatchObject({ kind: 'register', alias: 'gemm.accq[0]', width: 32, depth: 1 });
    expect(catalog.lookup('accel.ir')).toMatchObject({ kind: 'register', alias: 'ctrl.ir', group: 'ctrl' });
    // Simulation-top glue (the accelerator's ports seen from outside) is no site.
    expect(catalog.lookup('done')).toBeUndefined();
    expect(catalog.lookup('accel_pc')).toBeUndefined();
    for (const s of catalog.sites) {
      expect(s.width).toBeGreaterThan(0);
      expect(s.depth).toBe(s.kind === 'memory' ? sim.memoryInfo(s.name).depth : 1);
      expect(siteBits(s)).toBe(s.width * s.depth);
    }
  });

  it('aliases read like the hardware; `_q` is dropped unless a net has that name', () => {
    expect(catalog.lookup('accel.array.pe_3_1.psum_q')?.alias).toBe('array.pe[3][1].acc');
    expect(catalog.lookup('accel.array.pe_3_1.weight_q')?.alias).toBe('array.pe[3][1].weight');
    expect(catalog.lookup('accel.array.actSkew_2_1')?.alias).toBe('array.actSkew[2][1]');
    expect(catalog.lookup('accel.gemm_offShadow_0')?.alias).toBe('gemm.offShadow[0]');
    expect(catalog.lookup('accel.requant.sum_q')?.alias).toBe('post.requant.sum');
    expect(catalog.lookup('accel.requant.q_q')?.alias).toBe('post.requant.q_q'); // the net accel.requant.q is post.requant.q
    expect(catalog.lookup('accel.done_q')?.alias).toBe('ctrl.done_q'); // next to the net accel.done
    expect(catalog.lookup('accel.abuf1_bank3')?.alias).toBe('buf.act.mem[1][3]'); // tiny's activation buffers are banked: bank 3
    expect(accelSites({ ...tiny, activationLayout: 'copies' }, tinySizes).lookup('accel.abuf1_3')?.alias).toBe('buf.act.mem[1][3]'); // read copy 3
    expect(catalog.lookup('accel.imem')?.alias).toBe('buf.instr.mem');
    expect(catalog.lookup('dram.mem')).toMatchObject({ alias: 'dram.mem', group: 'dram', kind: 'memory' });
    // lookup takes aliases too
    expect(catalog.lookup('array.pe[3][1].acc')?.name).toBe('accel.array.pe_3_1.psum_q');
  });

  it('groups: pe.<register>, buf.<memory>, and one per unit', () => {
    const groups = new Set(catalog.match('*').map((s) => s.group));
    expect([...groups].sort()).toEqual(
      ['array', 'buf.acc', 'buf.act', 'buf.instr', 'buf.off', 'buf.param', 'buf.pix', 'buf.weight', 'cnt', 'ctrl', 'dma', 'gemm', 'pe.acc', 'pe.act', 'pe.shadow', 'pe.swap', 'pe.weight', 'post'].sort(),
    );
    const totals = siteTotals(catalog.match('*'));
    expect(totals.groups.reduce((t, g) => t + g.bits, 0)).toBe(totals.bits);
    expect(totals.groups.find((g) => g.group === 'pe.acc')).toEqual({ group: 'pe.acc', sites: 16, bits: 16 * 32 });
  });
});

describe('site patterns', () => {
  it("matches the issue's examples on tiny (4×4)", () => {
    expect(names('array.pe[*][*].acc')).toEqual([0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => `accel.array.pe_${i}_${j}.psum_q`)));
    expect(names('array.pe[*][*].weight')).toHaveLength(16);
    expect(names('buf.act.mem')).toEqual([0, 1].flatMap((b) => [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `accel.abuf${b}_bank${k}`)));
    // tiny loads whole tiles (issue 14): the wbuf is R·C banks, bank (i, j) holding rows i mod R of column j.
    expect(names('buf.weight.mem')).toEqual([0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => `accel.wbuf_${i}_${j}`)));
    expect(names('buf.weight.mem[2][1]')).toEqual(['accel.wbuf_2_1']);
    expect(names('buf.acc.mem')).toEqual([0, 1, 2, 3].map((j) => `accel.accbuf_${j}`));
    expect(aliases('ctrl.*')).toEqual(['ctrl.pc_q', 'ctrl.irValid', 'ctrl.done_q', 'ctrl.fault_q', 'ctrl.ir']);
  });

  it('index selectors: [n], inclusive [a:b], [*], omitted trailing indices', () => {
    expect(aliases('array.pe[0:1][3].acc')).toEqual(['array.pe[0][3].acc', 'array.pe[1][3].acc']);
    expect(aliases('array.pe[3:2][0].acc')).toEqual(['array.pe[2][0].acc', 'array.pe[3][0].acc']);
    expect(names('array.pe[2].acc')).toHaveLength(4);
    expect(names('array.pe.acc')).toEqual(names('array.pe[*][*].acc'));
    expect(aliases('buf.act.mem[1][0]')).toEqual(['buf.act.mem[1][0]']);
    expect(aliases('array.pe[1][1].*')).toEqual(['array.pe[1][1].shadow', 'array.pe[1][1].weight', 'array.pe[1][1].act', 'array.pe[1][1].swap', 'array.pe[1][1].acc']);
  });

  it('`*` inside a component, unions, and simulator names', () => {
    expect(aliases('gemm.off*[0]')).toEqual(['gemm.offShadow[0]', 'gemm.offActive[0]', 'gemm.offValid2[0]']); // a selector needs an index
    expect(aliases('gemm.off*')).toContain('gemm.offq');
    expect(names('array.pe[0][0].acc, buf.acc.mem[2]')).toEqual(['accel.array.pe_0_0.psum_q', 'accel.accbuf_2']);
    expect(names('accel.array.pe_0_0.psum_q')).toEqual(['accel.array.pe_0_0.psum_q']);
    expect(names('accel.wbuf_*')).toHaveLength(16);
  });

  it('`*` means the on-chip state: nets only by a literal last component, dram only when named', () => {
    const all = catalog.match('*');
    expect(all.some((s) => s.kind === 'net')).toBe(false);
    expect(all.some((s) => s.group === 'dram')).toBe(false);
    expect(all.filter((s) => s.kind === 'memory')).toHaveLength(4 + 16 + 16 + 4); // tables, wbuf (R·C banks: tiny loads whole tiles), abuf (2 × 8 banks), accbuf
    expect(catalog.match('array.pe[0][0].psumOut')).toEqual([expect.objectContaining({ kind: 'net', name: 'accel.array.pe_0_0.psumOut', width: 32 })]);
    expect(catalog.match('array.pe[*][*].psumOut')).toHaveLength(16);
    expect(catalog.match('dram.*').every((s) => s.group === 'dram' && s.kind !== 'net')).toBe(true);
    expect(names('dram.mem')).toEqual(['dram.mem']);
  });

  it('scales with the configuration: 64 PE accumulators on default (8×8)', () => {
    const config = PRESETS.default!;
    const def = accelSites(config, compile(model, config).sizes);
    expect(def.match('array.pe[*][*].acc')).toHaveLength(64);
    expect(def.match('buf.act.mem')).toHaveLength(32); // 2 buffers × 16 banks (banked; R = 8 read copies each with activationLayout copies)
    expect(new Set(def.sites.map((s) => s.alias)).size).toBe(def.sites.length);
  });

  it('E150 when nothing matches, with close generalised names', () => {
    const d = diagnostic(() => catalog.match('array.pe[*][*].accc'));
    expect(d.code).toBe('E150');
    expect(d.message).toContain("Fault-site pattern 'array.pe[*][*].accc' must match at least one site, not none");
    expect(d.message).toContain('close names: array.pe[*][*].acc');
    expect(diagnostic(() => catalog.match('array.pe[7][0].acc')).code).toBe('E150');
    expect(diagnostic(() => catalog.match('array.pe.*.psumOut')).code).toBe('E150');
    expect(diagnostic(() => catalog.match('nothing.here')).message).toContain('the top-level names are ctrl.*, dma.*, gemm.*, post.*, cnt.*, array.*, dram.*, buf.*');
    expect(diagnostic(() => catalog.match('buf.actt.mem')).message).toContain('close names: buf.act.mem[*][*]');
  });

  it('E151 for a malformed pattern', () => {
    for (const bad of ['array..pe', 'array.pe[1:x].acc', 'array.pe[x].acc', '', 'a,,b', 'array.pe[0].acc]']) {
      const d = diagnostic(() => catalog.match(bad));
      expect(d.code, bad).toBe('E151');
      expect(d.message).toContain('must be components like');
    }
  });
});
