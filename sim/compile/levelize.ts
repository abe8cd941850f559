// Levelization: the combinational nets of a flat design in an order where every net comes after
// the nets it reads (a topological order), split into two cones:
//   state cone (S): nets that depend only on registers, read ports and constants. They change only
//                   at a clock edge (or a direct state mutation), so they are evaluated once per edge.
//   input cone (I): nets that depend (transitively) on a top-level input. They change with poke()
//                   and are evaluated lazily: before an edge, or when one of them is peeked.
// A testbench that pokes inputs and peeks registered outputs then pays for the state cone once per
// cycle and for the (usually small) input cone once per cycle, never for the whole design twice.
import type { FlatDesign, FNode } from './flatten.js';

export interface Levels {
  /** State cone in evaluation order. */
  readonly stateCone: readonly number[];
  /** Input cone in evaluation order (may read state-cone nets). */
  readonly inputCone: readonly number[];
  /** inInputCone[id]: net id is a comb net of the input cone (peeking it may need evaluation). */
  readonly inInputCone: Uint8Array;
}

/** Net ids read by an expression (each once). */
export function netsRead(root: FNode): number[] {
  const out = new Set<number>();
  const seen = new Set<FNode>();
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.kind === 'net') out.add(n.net);
    else for (const c of n.args) stack.push(c);
  }
  return [...out];
}

export function levelize(flat: FlatDesign): Levels {
  const { nets } = flat;
  const deps: number[][] = nets.map((n) => (n.kind === 'comb' ? netsRead(n.expr!) : []));
  const state = new Uint8Array(nets.length); // 0 unvisited, 1 on stack, 2 done
  const inputDep = new Uint8Array(nets.length);
  for (const n of nets) if (n.kind === 'input') inputDep[n.id] = 1;
  const order: number[] = [];
  // Iterative DFS (deep designs would overflow the JS stack with recursion).
  for (const start of nets) {
    if (start.kind !== 'comb' || state[start.id] === 2) continue;
    const stack: { id: number; next: number }[] = [{ id: start.id, next: 0 }];
    state[start.id] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ds = deps[top.id]!;
      if (top.next < ds.length) {
        const d = ds[top.next++]!;
        if (nets[d]!.kind !== 'comb') continue;
        if (state[d] === 1) {
          const path = stack.slice(stack.findIndex((s) => s.id === d)).map((s) => nets[s.id]!.name ?? `<shared #${s.id}>`);
          throw new Error(`Combinational loop: ${[...path, nets[d]!.name].join(' -> ')} (validate the design before simulating it)`);
        }
        if (state[d] === 0) {
          state[d] = 1;
          stack.push({ id: d, next: 0 });
        }
        continue;
      }
      stack.pop();
      state[top.id] = 2;
      if (ds.some((d) => inputDep[d] === 1)) inputDep[top.id] = 1;
      order.push(top.id);
    }
  }
  const inInputCone = new Uint8Array(nets.length);
  const stateCone: number[] = [];
  const inputCone: number[] = [];
  for (const id of order) {
    if (inputDep[id]) {
      inputCone.push(id);
      inInputCone[id] = 1;
    } else stateCone.push(id);
  }
  // Aliases are read through their root: they are in the input cone exactly when the root is.
  for (const n of nets) {
    if (n.kind === 'alias') {
      const root = (n.expr as { net: number }).net;
      if (inInputCone[root]) inInputCone[n.id] = 1;
    }
  }
  return { stateCone, inputCone, inInputCone };
}
