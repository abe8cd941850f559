// Bit-pattern arithmetic on bigints. A value of width w is stored as its bit pattern 0 <= v < 2^w.

export function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** The bit pattern of `value` (any integer) in `width` bits (two's complement wrap). */
export function toBits(value: bigint, width: number): bigint {
  return BigInt.asUintN(width, value);
}

/** The integer a bit pattern stands for, read as signed or unsigned. */
export function fromBits(bits: bigint, width: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(width, bits) : BigInt.asUintN(width, bits);
}

/** Smallest and largest integers representable in a shape. */
export function range(width: number, signed: boolean): { min: bigint; max: bigint } {
  if (signed) return { min: -(1n << BigInt(width - 1)), max: (1n << BigInt(width - 1)) - 1n };
  return { min: 0n, max: mask(width) };
}

export function fits(value: bigint, width: number, signed: boolean): boolean {
  const { min, max } = range(width, signed);
  return value >= min && value <= max;
}

/** The smallest width that holds `value` in the given signedness (at least 1). */
export function minWidth(value: bigint, signed: boolean): number {
  let w = 1;
  while (!fits(value, w, signed)) w++;
  return w;
}

/** ceil(log2(n)) for n >= 1, at least 1: the address width of a memory of depth n. */
export function addrWidth(depth: number): number {
  let w = 1;
  while (2 ** w < depth) w++;
  return w;
}
