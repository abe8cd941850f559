// The ISA interpreter: executes an accelerator program (gen/accel/isa.ts) functionally on JS arrays,
// exactly per the semantics written in isa.ts, without timing. It is the oracle of the RTL tests
// (the RTL's final DRAM must equal this bit for bit) and, for the compiler, the check of a compiled
// program against the golden model independently of the RTL.
//
// It is stricter than the hardware: where the RTL wraps an address at its buffer's width or reads 0
// (hazard-free but meaningless programs), the interpreter throws a RangeError naming the
// instruction, the field and the bad value, so a compiler bug surfaces here first. WAIT is a no-op
// (there is no timing); execution ends at HALT.
import { accelGeometry, type AccelGeometry, type AccelHardwareConfig } from '../gen/accel/config.js';
import { decodeOffset, OFF_VALID, zeroPointLo, type Instruction } from '../gen/accel/isa.js';
import { requantize } from './quant.js';
import { LCU, LCU_GROUP_SIZE } from './model.js';
import { lcuCombine } from './protect/lcu.js';
import { tileConflict } from './compiler/banks.js';

/** A program with its tables and the initial DRAM contents. */
export interface ProgramImage {
  readonly program: readonly Instruction[];
  /** pixmem entries (activation-buffer addresses). */
  readonly pixmem: readonly number[];
  /** offmem entries (encodeOffset: bit 16 valid, bits 15..0 and 17.. the offset). */
  readonly offmem: readonly number[];
  /** pmem entries (encodeParam). */
  readonly pmem: readonly bigint[];
  /** DRAM words (8·B bits each, unsigned). */
  readonly dram: readonly bigint[];
}

/** The machine state after HALT. */
export interface InterpretResult {
  /** Final DRAM words. */
  readonly dram: bigint[];
  /** wbuf[row][col]. */
  readonly wbuf: number[][];
  /** abuf[b][addr] (signed elements). */
  readonly abuf: [Int32Array, Int32Array];
  /** acc[bank][row][col], signed accWidth-bit values. */
  readonly acc: bigint[][][];
  /** Instructions executed, HALT included. */
  readonly executed: number;
  /** R·C per activation vector streamed (what the RTL's cnt_macs counts). */
  readonly macs: number;
}

export interface InterpretOptions {
  /** Stop with an error after this many instructions (default 10^7): a program must HALT. */
  readonly maxInstructions?: number;
}

/** Sizes the interpreter derives from the image (the tables are exactly as long as given). */
function geometryOf(config: AccelHardwareConfig, image: ProgramImage): AccelGeometry {
  const n = (x: number): number => Math.max(1, x);
  return accelGeometry(config, {
    imemDepth: n(image.program.length),
    pixDepth: n(Math.min(image.pixmem.length, 1 << 16)),
    offDepth: n(Math.min(image.offmem.length, 1 << 16)),
    pmemDepth: n(Math.min(image.pmem.length, 1 << 12)),
    dramWords: n(image.dram.length),
  });
}

/** Execute `image` on a machine of this configuration (see the header). */
export function interpret(config: AccelHardwareConfig, image: ProgramImage, options: InterpretOptions = {}): InterpretResult {
  const g = geometryOf(config, image);
  const { rows: R, cols: C, bits, elemsPerWord: P, wordsPerWeightRow: W } = g;
  const dram = [...image.dram];
  const wbuf = Array.from({ length: g.wbufDepth }, () => new Array<number>(C).fill(0));
  const abuf: [Int32Array, Int32Array] = [new Int32Array(g.abufDepth), new Int32Array(g.abufDepth)];
  const acc = [0, 1].map(() => Array.from({ length: g.accRows }, () => new Array<bigint>(C).fill(0n)));
  const laneMask = (1n << BigInt(bits)) - 1n;
  const signed = (v: bigint): number => Number(BigInt.asIntN(bits, v));
  const lane = (word: bigint, e: number): number => signed((word >> BigInt(e * bits)) & laneMask);
  let macs = 0;
  // Ring registers (isa.ts RING; ring-addressing machines only).
  const rings = Array.from({ length: 4 }, () => ({ base: 0, size: 0 }));

  const check = (where: string, what: string, value: number, limit: number): void => {
    if (!Number.isInteger(value) || value < 0 || value >= limit) throw new RangeError(`${where}: ${what} must be in 0..${limit - 1}, not ${value}`);
  };
  const dramWord = (where: string, addr: number): bigint => {
    check(where, 'DRAM word address', addr, dram.length);
    return dram[addr]!;
  };

  const max = options.maxInstructions ?? 10_000_000;
  let pc = 0;
  for (let executed = 1; ; executed++) {
    if (executed > max) throw new RangeError(`program must HALT within ${max} instructions`);
    check('program', 'pc', pc, image.program.length);
    const ins = image.program[pc]!;
    const where = `instruction ${pc} (${ins.op})`;
    pc++;
    switch (ins.op) {
      case 'HALT':
        return { dram, wbuf, abuf, acc, executed, macs };
      case 'WAIT':
        check(where, 'mask', ins.mask, 32); // DMA, GEMM, POST, acc bank 0, acc bank 1: no effect on the state
        break;
      case 'RING':
        if (!g.ring) throw new RangeError(`${where}: RING needs a machine with ring addressing (config ringAddressing), not one without`);
        check(where, 'reg', ins.reg, 4);
        check(where, 'base', ins.base, g.abufDepth);
        check(where, 'size', ins.size, g.abufDepth);
        rings[ins.reg] = { base: ins.base, size: ins.size };
        break;
      case 'LOAD': {
        if (ins.buf === 0) {
          for (let r = 0; r < ins.count; r++) {
            check(where, 'wbuf row addr + r', ins.addr + r, g.wbufDepth);
            for (let j = 0; j < C; j++) wbuf[ins.addr + r]![j] = lane(dramWord(where, ins.dram + r * W + Math.floor(j / P)), j % P);
          }
        } else {
          const buf = abufOf(where, ins.buf, abuf);
          for (let e = 0; e < ins.count; e++) {
            check(where, 'activation address addr + e', ins.addr + e, g.abufDepth);
            buf[ins.addr + e] = lane(dramWord(where, ins.dram + Math.floor(e / P)), e % P);
          }
        }
        break;
      }
      case 'STORE': {
        const buf = abufOf(where, ins.buf, abuf);
        const words = Math.ceil(ins.count / P);
        // The lanes past `count` hold the fill element (int8 bits, sign-extended to the element width).
        const fill = BigInt(Number(BigInt.asIntN(8, BigInt(ins.fill ?? 0)))) & laneMask;
        for (let w = 0; w < words; w++) {
          let word = 0n;
          for (let k = 0; k < P; k++) {
            const a = ins.addr + w * P + k;
            if (w * P + k >= ins.count) {
              word |= fill << BigInt(k * bits);
              continue;
            }
            check(where, 'activation address addr + e', a, g.abufDepth);
            word |= (BigInt(buf[a]!) & laneMask) << BigInt(k * bits);
          }
          check(where, 'DRAM word address', ins.dram + w, dram.length);
          dram[ins.dram + w] = word;
        }
        break;
      }
      case 'GEMM': {
        if (ins.ring && !g.ring) throw new RangeError(`${where}: ring must be 0 on a machine without ring addressing (config ringAddressing), not ${ins.ring}`);
        if (ins.mCount === 0 || ins.kTiles === 0) break;
        const src = abuf[ins.src]!;
        const ring = ins.ring ? rings[ins.ringSel ?? 0]! : null;
        const K = ins.kTiles * R;
        // GEMV (isa.ts): vector m reads pixel pixAddr and, in K tile t, the weight tile t·mCount + m.
        const gemv = ins.gemv === 1;
        if (gemv && !g.tileLoad) throw new RangeError(`${where}: gemv must be 0 on a machine without weightLoad 'tile', not 1 (the controller faults)`);
        if (g.tileLoad && ins.wRow % R !== 0) throw new RangeError(`${where}: wRow must be a multiple of R = ${R} with tile loading, not ${ins.wRow} (the controller faults)`);
        const weightRow = (m: number, k: number): number => (gemv ? ins.wRow + (Math.floor(k / R) * ins.mCount + m) * R + (k % R) : ins.wRow + k);
        check(where, gemv ? 'last wbuf row wRow + kTiles·mCount·R - 1' : 'last wbuf row wRow + kTiles·R - 1', weightRow(ins.mCount - 1, K - 1), g.wbufDepth);
        check(where, gemv ? 'last offmem entry offAddr + R - 1' : 'last offmem entry offAddr + kTiles·R - 1', ins.offAddr + (gemv ? R : K) - 1, image.offmem.length);
        check(where, gemv ? 'last pixmem entry pixAddr + kTiles - 1' : 'last pixmem entry pixAddr + mCount - 1', ins.pixAddr + (gemv ? ins.kTiles : ins.mCount) - 1, image.pixmem.length);
        if (ins.mCount > g.accRows) throw new RangeError(`${where}: mCount must be at most ${g.accRows} (accumulator rows), not ${ins.mCount}`);
        if (g.abufBanks > 1) checkBanks(where, g.abufBanks, R, image.offmem.slice(ins.offAddr, ins.offAddr + (gemv ? R : K)));
        // A wrap moves an address by the ring size: on banked buffers it must keep the bank (size a multiple of NB).
        if (ring && g.abufBanks > 1 && ring.size % g.abufBanks !== 0) throw new RangeError(`${where}: ring ${ins.ringSel ?? 0}'s size must be a multiple of the ${g.abufBanks} activation banks on this machine (a wrapped row would read another bank), not ${ring.size}`);
        macs += ins.mCount * ins.kTiles * R * C;
        const bank = acc[ins.bank]!;
        for (let m = 0; m < ins.mCount; m++) {
          // A GEMV reads pixel t and offset k mod R for k in K tile t (isa.ts).
          const pix = image.pixmem[ins.pixAddr + (gemv ? 0 : m)]!;
          const sums = new Array<number>(C).fill(0);
          for (let k = 0; k < K; k++) {
            const off = image.offmem[ins.offAddr + (gemv ? k % R : k)]!;
            if ((off & OFF_VALID) === 0) continue;
            const sum = (gemv ? image.pixmem[ins.pixAddr + Math.floor(k / R)]! : pix) + decodeOffset(off);
            const addr = ring && sum >= ring.base + ring.size ? sum - ring.size : sum;
            check(where, `activation address pixmem[${ins.pixAddr + (gemv ? Math.floor(k / R) : m)}] + offset ${k}`, addr, g.abufDepth);
            const a = src[addr]!;
            if (a === 0) continue;
            const wrow = wbuf[weightRow(m, k)]!;
            for (let j = 0; j < C; j++) sums[j]! += a * wrow[j]!;
          }
          // Exact in doubles: |sum| <= K·2^30 < 2^53 for any K the 12-bit kTiles field allows.
          for (let j = 0; j < C; j++) bank[m]![j] = BigInt.asIntN(g.accWidth, (ins.acc ? bank[m]![j]! : 0n) + BigInt(sums[j]!));
        }
        break;
      }
      case 'POST': {
        if (ins.nValid > C) throw new RangeError(`${where}: nValid must be at most C = ${C}, not ${ins.nValid}`);
        // Column pooling (isa.ts, cpool): a window of E rows·columns is Gr = E/P rows × P = 2^cpool columns.
        const cpool = ins.cpool ?? 0;
        const P = 1 << cpool;
        if (cpool !== 0) {
          if (!ins.pool) throw new RangeError(`${where}: cpool must be 0 without pool, not ${cpool}`);
          if (ins.lcu === 1 && g.protection !== 'none') throw new RangeError(`${where}: cpool must be 0 with lcu = 1, not ${cpool}`);
          if (P > 4 << (ins.window ?? 0)) throw new RangeError(`${where}: 2^cpool must be at most the pool window ${4 << (ins.window ?? 0)}, not ${P}`);
          if (P * ins.nValid > C) throw new RangeError(`${where}: 2^cpool·nValid must be at most C = ${C}, not ${P * ins.nValid}`);
        }
        const span = ins.pool ? (4 << (ins.window ?? 0)) / P : 1;
        // Row-major (pool = 0, window != 0; isa.ts): row q's column j is output q·nValid + j.
        const rowMajor = !ins.pool && (ins.window ?? 0) !== 0;
        if (ins.pool && ins.mCount % span !== 0) throw new RangeError(`${where}: mCount must be a multiple of the pool window ${span}${cpool ? ' (rows)' : ''} with pool, not ${ins.mCount}`);
        if (ins.mCount > g.accRows) throw new RangeError(`${where}: mCount must be at most ${g.accRows} (accumulator rows), not ${ins.mCount}`);
        const dst = abuf[ins.dst]!;
        const groups = ins.mCount / span;
        const lcuOn = ins.lcu === 1 && g.protection !== 'none';
        const bank = lcuOn ? correctedRows(where, g, image, ins.chan, ins.nValid, acc[ins.bank]!.slice(0, ins.mCount)) : acc[ins.bank]!;
        const codes = lcuOn ? columnCodes(g, image, ins.chan, ins.nValid) : null;
        let logical = 0;
        for (let j = 0; j < ins.nValid; j++) {
          check(where, 'pmem entry chan + j', ins.chan + j, image.pmem.length);
          if (codes?.[j] === LCU.copy) continue;
          const out = logical++;
          for (let q = 0; q < groups; q++) {
            const at = rowMajor ? q * ins.nValid : 0;
            check(where, rowMajor ? 'pmem entry chan + q·nValid + j' : 'pmem entry chan + j', ins.chan + at + j, image.pmem.length);
            const { bias, b, c, zeroPoint } = decodeParamWord(image.pmem[ins.chan + at + j]!, g.protection);
            let v = -Infinity;
            for (let r = 0; r < span; r++) for (let p = 0; p < P; p++) v = Math.max(v, requantLane(bank[q * span + r]![j * P + p]! + BigInt(bias), b, c, bits, ins.relu === 1, zeroPoint));
            const addr = ins.dstBase + at + out * ins.plane + q * (rowMajor ? 0 : 1);
            check(where, 'destination dstBase + j·plane + q', addr, g.abufDepth);
            dst[addr] = v;
          }
        }
        break;
      }
      default:
        throw new RangeError(`${where}: unknown instruction`);
    }
  }
}

/**
 * The codes the correction unit acts on for columns j < nValid (pmem[chan + j] bits 71..69): a head of
 * another scheme than the machine's is a plain column to the hardware, and so it is here.
 */
function columnCodes(g: AccelGeometry, image: ProgramImage, chan: number, nValid: number): number[] {
  const own = { split: LCU.split, dup: LCU.dup, tmr: LCU.tmr, none: -1 }[g.protection];
  return Array.from({ length: nValid }, (_, j) => {
    const code = Number(((image.pmem[chan + j] ?? 0n) >> 69n) & 7n);
    // Column 0 has no copy register in the unit (a copy follows its head).
    return (code === LCU.copy && j > 0) || code === own ? code : LCU.plain;
  });
}

/** The accumulator rows after the correction unit (isa.ts POST with lcu = 1; accel/protect/lcu.ts). */
function correctedRows(where: string, g: AccelGeometry, image: ProgramImage, chan: number, nValid: number, rows: readonly bigint[][]): bigint[][] {
  const codes = columnCodes(g, image, chan, nValid);
  const bounds = Array.from({ length: nValid }, (_, j) => Number(((image.pmem[chan + j] ?? 0n) >> 72n) & 127n));
  for (let j = 0; j < nValid; j++) {
    const size = codes[j] === LCU.copy ? 1 : LCU_GROUP_SIZE[codes[j]!]!;
    if (j + size > nValid) throw new RangeError(`${where}: the group at column ${j} must end below nValid = ${nValid}, not at column ${j + size - 1}`);
  }
  return rows.map((row) => row.map((a, j) => (codes[j] === LCU.split || codes[j] === LCU.dup || codes[j] === LCU.tmr ? lcuCombine(codes[j]!, a, row[j + 1]!, row[j + 2] ?? 0n, bounds[j]!, g.accWidth).value : a)));
}

/**
 * A banked activation buffer (gen/accel/abuf-banks.ts) serves one element per bank and cycle: two valid rows of
 * one K tile whose offsets are equal mod NB read one bank, and the hardware feeds both the same (wrong) element.
 */
function checkBanks(where: string, banks: number, R: number, entries: readonly number[]): void {
  for (let t = 0; t * R < entries.length; t++) {
    const offs = entries.slice(t * R, t * R + R).map((e) => ((e & OFF_VALID) === 0 ? null : decodeOffset(e)));
    const clash = tileConflict(offs, banks);
    if (clash) {
      const [i, j] = clash;
      throw new RangeError(`${where}: rows ${i} and ${j} of K tile ${t} must read different activation banks, not both bank ${offs[i]! % banks} (offsets ${offs[i]} and ${offs[j]} are equal mod ${banks}); order the K tile with accel/compiler/banks.ts reductionOrder`);
    }
  }
}

function abufOf(where: string, buf: number, abuf: [Int32Array, Int32Array]): Int32Array {
  if (buf !== 1 && buf !== 2) throw new RangeError(`${where}: buf must be ABUF0 (1) or ABUF1 (2), not ${buf}`);
  return abuf[buf - 1]!;
}

/** {bias, b, c, zeroPoint} of a pmem word of a machine with this protection (the inverse of isa.ts encodeParam | encodeZeroPoint). */
export function decodeParamWord(word: bigint, protection = 'none'): { bias: number; b: number; c: number; zeroPoint: number } {
  return { bias: Number(BigInt.asIntN(32, word >> 37n)), b: Number((word >> 6n) & 0x7fffffffn), c: Number(word & 63n), zeroPoint: Number(BigInt.asIntN(8, word >> BigInt(zeroPointLo(protection)))) };
}

/**
 * One requantization as the POST lane computes it: accel/quant.ts's requantize to int16 for c >= 1 (c = 0
 * means no rounding term, floor(z·b), which requantize does not define), then + zeroPoint, clamped to the
 * element width, ReLU at the zero point: for int8 exactly accel/golden.ts requantizeInt8.
 */
export function requantLane(z: bigint, b: number, c: number, bits: 8 | 16, relu: boolean, zeroPoint = 0): number {
  const lane = c >= 1 ? requantize(z, { b, c }, { bits: 16, relu: false }) : Math.min(32767, Math.max(-32768, Number(z * BigInt(b))));
  const hi = 2 ** (bits - 1) - 1;
  const v = Math.min(hi, Math.max(-hi - 1, lane + zeroPoint));
  return relu && v < zeroPoint ? zeroPoint : v;
}
