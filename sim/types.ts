// The interface every splitfuse simulator implements (reference interpreter, compiled simulator),
// so that tests can run the same stimulus through each and compare.
//
// Cycle semantics (2-state, single clock): inputs are poked, combinational signals are read with
// peek() at any time and reflect the current inputs and state; step() is one rising clock edge:
// every register and memory takes its next value computed from the values before the edge.
// The implicit reset `rst` is an ordinary top-level input named 'rst' (present when any module
// in the design has a register with a reset value, see hdl/ir/clocking.ts), as is the clock `clk`
// (present when there are registers or memories), which simulators ignore.
//
// Names: a top-level port or signal by its name ('acc'); a signal inside instances by its
// hierarchical path ('u0.acc', 'array.pe_0_1.weight'). Values are integers: peek() returns the
// signal's value read with its signedness; poke() accepts any integer that fits the bits
// (signed or unsigned reading) and stores its bit pattern.
import type { Design } from '../hdl/ir/index.js';

export interface Simulator {
  readonly design: Design;
  /** Number of rising edges since construction. */
  readonly cycle: number;
  poke(name: string, value: bigint | number): void;
  peek(name: string): bigint;
  /** Memory word, read with the memory's signedness. `name` is the memory's hierarchical name. */
  peekMem(name: string, addr: number): bigint;
  pokeMem(name: string, addr: number, value: bigint | number): void;
  step(cycles?: number): void;
}

/** Assert the synchronous reset for `cycles` edges, then release it. */
export function resetSim(sim: Simulator, cycles = 1): void {
  sim.poke('rst', 1);
  sim.step(cycles);
  sim.poke('rst', 0);
}
