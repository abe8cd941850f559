// Wiring a grid of instances along its rows or columns, once, instead of a copy-pasted loop per
// signal (the weak spot of Gemmini's Tile/Mesh, STYLE.md).
//
//   const pes = new InstanceGrid(m, { rows, cols, module: () => peDef, name: (i, j) => `pe_${i}_${j}`,
//                                     inputs: () => ({ loadWeight }) });
//   chain(pes, 'right', { from: 'actOut', to: 'actIn', edge: (row) => act[row] });
//   chain(pes, 'down', { from: 'psumOut', to: 'psumIn', edge: () => 0 });
//   pes.instantiate();
//   const results = pes.exits('down', 'psumOut');
//
// A chain drives input `to` of every cell from output `from` of its neighbour upstream; the first
// cell of each lane (a row for right/left, a column for down/up) takes `edge(lane)` instead.
//
// Why instantiation is deferred: m.instance() takes an instance's inputs when it is created, and an
// instance's outputs exist only after that, so the cells are created once every chain is known, in
// an order where each cell's upstream neighbours already exist. The result is direct port-to-port
// connections with no intermediate wires (nothing extra to simulate, plain Verilog to read).
import type { InstanceHandle, ModuleBuilder, ModuleDef, Value, ValueLike } from '../hdl/dsl/index.js';

/** The way data moves along a chain: 'right' from column 0 to column cols-1, 'down' from row 0, etc. */
export type Direction = 'right' | 'left' | 'down' | 'up';

export interface InstanceGridOptions {
  rows: number;
  cols: number;
  /** The module instantiated at a cell (usually the same one everywhere). */
  module: (row: number, col: number) => ModuleDef;
  /** The instance name of a cell, e.g. (i, j) => `pe_${i}_${j}`. */
  name: (row: number, col: number) => string;
  /** Inputs no chain drives: broadcast controls and per-cell values. */
  inputs?: (row: number, col: number) => Record<string, ValueLike>;
}

/** One link of a chain: output `from` of each cell drives input `to` of the next cell downstream. */
export interface ChainLink {
  from: string;
  to: string;
  /** The value entering the first cell of lane `lane` (row index for right/left, column for down/up). */
  edge: (lane: number) => ValueLike;
}

interface ChainDecl {
  readonly direction: Direction;
  readonly links: readonly ChainLink[];
}

const STEP: Record<Direction, { dRow: number; dCol: number }> = {
  right: { dRow: 0, dCol: 1 },
  left: { dRow: 0, dCol: -1 },
  down: { dRow: 1, dCol: 0 },
  up: { dRow: -1, dCol: 0 },
};

/** A rows×cols grid of instances of one module builder, created by instantiate() after chain() calls. */
export class InstanceGrid {
  private readonly chains: ChainDecl[] = [];
  private cells: InstanceHandle[][] | null = null;

  constructor(
    private readonly builder: ModuleBuilder,
    readonly options: InstanceGridOptions,
  ) {
    const { rows, cols } = options;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new RangeError(`Grid size must be at least 1×1 with integer sides, not ${rows}×${cols}`);
    }
  }

  get rows(): number {
    return this.options.rows;
  }
  get cols(): number {
    return this.options.cols;
  }

  /** @internal Used by chain(). */
  addChain(decl: ChainDecl): void {
    if (this.cells) throw new Error('chain() must be called before the grid is instantiated');
    this.chains.push(decl);
  }

  /** Create every instance, upstream cells first. Call once, after the last chain(). */
  instantiate(): void {
    if (this.cells) throw new Error('the grid is already instantiated');
    const { rows, cols } = this.options;
    const cells: (InstanceHandle | undefined)[][] = Array.from({ length: rows }, () => new Array(cols));
    for (const [row, col] of this.creationOrder()) {
      const inputs: Record<string, ValueLike> = { ...(this.options.inputs?.(row, col) ?? {}) };
      for (const { direction, links } of this.chains) {
        const { dRow, dCol } = STEP[direction];
        const upstream = cells[row - dRow]?.[col - dCol];
        const lane = dRow === 0 ? row : col;
        for (const link of links) {
          if (link.to in inputs) throw new Error(`input '${link.to}' of cell (${row}, ${col}) is driven by two chains`);
          inputs[link.to] = upstream ? upstream.out(link.from) : link.edge(lane);
        }
      }
      const name = this.options.name(row, col);
      cells[row]![col] = this.builder.instance(name, this.options.module(row, col), inputs);
    }
    this.cells = cells as InstanceHandle[][];
  }

  /** The instance at (row, col); the grid must be instantiated. */
  at(row: number, col: number): InstanceHandle {
    const cell = this.instantiated()[row]?.[col];
    if (!cell) throw new RangeError(`cell (${row}, ${col}) is outside the ${this.rows}×${this.cols} grid`);
    return cell;
  }

  /**
   * The values of output `port` leaving the far edge of the grid in `direction`, one per lane:
   * for 'down', port of row rows-1 for each column; for 'right', port of column cols-1 for each row.
   */
  exits(direction: Direction, port: string): Value[] {
    const { dRow, dCol } = STEP[direction];
    const lanes = dRow === 0 ? this.rows : this.cols;
    return Array.from({ length: lanes }, (_, lane) => {
      const row = dRow === 0 ? lane : dRow > 0 ? this.rows - 1 : 0;
      const col = dCol === 0 ? lane : dCol > 0 ? this.cols - 1 : 0;
      return this.at(row, col).out(port);
    });
  }

  private instantiated(): InstanceHandle[][] {
    if (!this.cells) throw new Error('the grid must be instantiated (grid.instantiate()) before its instances are used');
    return this.cells;
  }

  /** Cells in an order where every cell comes after its upstream neighbour in every chain. */
  private creationOrder(): [number, number][] {
    const { rows, cols } = this.options;
    const steps = this.chains.map((c) => STEP[c.direction]);
    const state = new Uint8Array(rows * cols); // 0 unvisited, 1 on the stack, 2 done
    const order: [number, number][] = [];
    const visit = (row: number, col: number): void => {
      const k = row * cols + col;
      if (state[k] === 2) return;
      if (state[k] === 1) {
        const dirs = this.chains.map((c) => c.direction).join(', ');
        throw new Error(`chains in opposite directions (${dirs}) form a loop through cell (${row}, ${col})`);
      }
      state[k] = 1;
      for (const { dRow, dCol } of steps) {
        const r = row - dRow;
        const c = col - dCol;
        if (r >= 0 && r < rows && c >= 0 && c < cols) visit(r, c);
      }
      state[k] = 2;
      order.push([row, col]);
    };
    for (let row = 0; row < rows; row++) for (let col = 0; col < cols; col++) visit(row, col);
    return order;
  }
}

/**
 * Chain the grid's cells in `direction`: for each link, output `from` of every cell drives input
 * `to` of its downstream neighbour, and `edge(lane)` drives `to` of the first cell of each lane.
 */
export function chain(grid: InstanceGrid, direction: Direction, ...links: ChainLink[]): void {
  if (links.length === 0) throw new Error('chain() needs at least one { from, to, edge } link');
  grid.addChain({ direction, links });
}
