// The benchmark's stimulus and checksum, defined once here and implemented twice: in TypeScript
// (benchStimulus/benchChecksum below, used by bench/sim.ts) and in C++ (bench/verilator.ts writes
// the same steps into the Verilator harness). Both sides generate the stimulus on the fly from the
// same seed, so a run of 10^6+ cycles needs no stimulus file, and compare one running checksum.
//
// PRNG: xorshift32 (Marsaglia, "Xorshift RNGs", J. Stat. Softw. 2003), shifts 13, 17, 5; the state
// is a non-zero 32-bit word.
//
// Reset: rst high for one rising edge, then low (not timed, not checksummed).
// Cycle c (c = 0, 1, ...), before its rising edge:
//   loadWeight = (c mod PERIOD) < rows          the first `rows` cycles of every PERIOD load a new W
//   if loadWeight: weight_j = byte (j mod 4) of draw floor(j/4) of this cycle's weight draws
//   always:        act_i    = byte (i mod 4) of draw floor(i/4) of this cycle's activation draws
//   (weight draws, when present, come before activation draws; byte k is bits 8k..8k+7, taken as
//   the operand's bit pattern; ports not poked keep their value)
// After the edge: for every output column j in order, h = (h XOR out_j) * 16777619 mod 2^32
// (FNV-1 style, out_j as its 32-bit pattern), h starting at 2166136261.

/** Cycles per weight tile: `rows` cycles of weight loading, then streaming activations. */
export const PERIOD = 256;
export const CHECKSUM_BASIS = 2166136261;
export const CHECKSUM_PRIME = 16777619;

/** One xorshift32 step; state and result are unsigned 32-bit numbers. */
export function xorshift32(state: number): number {
  let s = state | 0;
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return s >>> 0;
}

/** One checksum step over a 32-bit output pattern (any integer; only its low 32 bits count). */
export function checksumStep(h: number, out: number): number {
  return Math.imul(h ^ out, CHECKSUM_PRIME) >>> 0;
}

/** Seeds must be non-zero 32-bit integers (xorshift32 stays at 0 forever). */
export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed <= 0 || seed > 0xffffffff) {
    throw new RangeError(`--seed must be an integer in 1..4294967295, not ${seed}`);
  }
  return seed;
}
