// wrappingAdd: a + b modulo 2^width at every width, including MAX_WIDTH where add() cannot widen.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wrappingAdd } from '../../gen/arith.js';
import { defineModule, elaborate, SInt, UInt } from '../../hdl/dsl/index.js';
import { toBits } from '../../hdl/ir/index.js';
import { evalExpr } from '../../sim/eval.js';

function adder(width: number, signed: boolean) {
  const shape = signed ? SInt(width) : UInt(width);
  const def = defineModule({ name: 'wrap_add' }, (m) => {
    m.output('y', wrappingAdd(m.input('a', shape), m.input('b', shape)));
  });
  const { design, diagnostics } = elaborate(def);
  expect(diagnostics).toEqual([]);
  const assign = design.modules[0]!.assigns.find((a) => a.target === 'y')!;
  expect(assign.value.shape).toEqual(shape);
  return (a: bigint, b: bigint) => evalExpr(assign.value, (name) => (name === 'a' ? a : b));
}

describe('wrappingAdd', () => {
  it.each([
    [1, false],
    [8, true],
    [127, false],
    [128, false],
    [128, true],
  ])('width %i signed %s', (width, signed) => {
    const add = adder(width, signed);
    const bits = fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n });
    const edge = fc.constantFrom(0n, 1n, (1n << BigInt(width)) - 1n, 1n << BigInt(width - 1));
    fc.assert(
      fc.property(fc.oneof(bits, edge), fc.oneof(bits, edge), (a, b) => {
        expect(add(a, b)).toBe(toBits(a + b, width));
      }),
      { numRuns: 300 },
    );
  });
});
