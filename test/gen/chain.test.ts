// chain() (gen/chain.ts) wires a grid along rows or columns: edge values into the first cell of
// each lane, each cell's output into the next cell's input, in all four directions.
import { describe, expect, it } from 'vitest';
import { defineModule, elaborate, SInt, type ModuleDef } from '../../hdl/dsl/index.js';
import { dumpExpr, type Module } from '../../hdl/ir/index.js';
import { chain, InstanceGrid, type Direction } from '../../gen/chain.js';

/** A cell with one registered pass-through per axis. */
const cell: ModuleDef = defineModule({ name: 'passCell' }, (m) => {
  for (const p of ['h', 'v']) {
    const q = m.reg(`${p}_q`, SInt(4));
    q.set(m.input(`${p}In`, SInt(4)));
    m.output(`${p}Out`, q);
  }
});

/** A rows×cols grid chained horizontally in `h` and vertically in `v`; returns the top module. */
function grid(rows: number, cols: number, h: Direction, v: Direction): Module {
  const top = defineModule({ name: 'grid' }, (m) => {
    const edgeH = Array.from({ length: rows }, (_, i) => m.input(`h_${i}`, SInt(4)));
    const edgeV = Array.from({ length: cols }, (_, j) => m.input(`v_${j}`, SInt(4)));
    const cells = new InstanceGrid(m, { rows, cols, module: () => cell, name: (i, j) => `c_${i}_${j}` });
    chain(cells, h, { from: 'hOut', to: 'hIn', edge: (i) => edgeH[i]! });
    chain(cells, v, { from: 'vOut', to: 'vIn', edge: (j) => edgeV[j]! });
    cells.instantiate();
    cells.exits(h, 'hOut').forEach((x, i) => m.output(`hx_${i}`, x));
    cells.exits(v, 'vOut').forEach((x, j) => m.output(`vx_${j}`, x));
  });
  const { design, diagnostics } = elaborate(top);
  expect(diagnostics).toEqual([]);
  return design.modules.find((m) => m.name === 'grid')!;
}

/** What drives input `port` of instance `inst`, as IR text. */
function driver(m: Module, inst: string, port: string): string {
  const c = m.instances.find((i) => i.name === inst)!.connections.find((k) => k.port === port)!;
  return c.dir === 'in' ? dumpExpr(c.value) : '';
}
const assigned = (m: Module, out: string): string => dumpExpr(m.assigns.find((a) => a.target === out)!.value);

describe('chain', () => {
  it('right/down: edges enter at column 0 / row 0 and leave at the last column / row', () => {
    const m = grid(2, 3, 'right', 'down');
    expect(driver(m, 'c_1_0', 'hIn')).toBe('h_1');
    expect(driver(m, 'c_1_1', 'hIn')).toBe('c_1_0_hOut');
    expect(driver(m, 'c_0_2', 'vIn')).toBe('v_2');
    expect(driver(m, 'c_1_2', 'vIn')).toBe('c_0_2_vOut');
    expect(assigned(m, 'hx_1')).toBe('c_1_2_hOut');
    expect(assigned(m, 'vx_2')).toBe('c_1_2_vOut');
  });

  it('left/up: edges enter at the last column / row and leave at column 0 / row 0', () => {
    const m = grid(3, 2, 'left', 'up');
    expect(driver(m, 'c_2_1', 'hIn')).toBe('h_2');
    expect(driver(m, 'c_2_0', 'hIn')).toBe('c_2_1_hOut');
    expect(driver(m, 'c_2_0', 'vIn')).toBe('v_0');
    expect(driver(m, 'c_0_0', 'vIn')).toBe('c_1_0_vOut');
    expect(assigned(m, 'hx_2')).toBe('c_2_0_hOut');
    expect(assigned(m, 'vx_1')).toBe('c_0_1_vOut');
  });

  it('a 1×1 grid takes every input from the edges', () => {
    const m = grid(1, 1, 'right', 'up');
    expect(driver(m, 'c_0_0', 'hIn')).toBe('h_0');
    expect(driver(m, 'c_0_0', 'vIn')).toBe('v_0');
  });

  it('reports misuse: opposite chains on one axis, chaining after instantiate, bad sizes', () => {
    expect(() => grid(2, 2, 'down', 'up')).toThrow(/form a loop/);
    defineModule({ name: 'late' }, (m) => {
      const cells = new InstanceGrid(m, { rows: 1, cols: 1, module: () => cell, name: () => 'c', inputs: () => ({ hIn: 0, vIn: 0 }) });
      cells.instantiate();
      expect(() => chain(cells, 'right', { from: 'hOut', to: 'hIn', edge: () => 0 })).toThrow(/before the grid is instantiated/);
      expect(() => cells.at(1, 0)).toThrow(/outside the 1×1 grid/);
    });
    defineModule({ name: 'bad' }, (m) => {
      expect(() => new InstanceGrid(m, { rows: 0, cols: 3, module: () => cell, name: () => 'c' })).toThrow(/at least 1×1/);
    });
  });
});
