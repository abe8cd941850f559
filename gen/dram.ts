// An off-chip DRAM model, for simulation only (DESIGN.md §5): fixed read latency and B bytes per
// cycle, written in the DSL and backed by a DSL memory so the TypeScript simulators and Verilator
// run the very same model. It models bandwidth and latency, not banks, refresh or timing rules.
import { Bool, defineModule, mux, UInt, type ModuleDef, type Value } from '../hdl/dsl/index.js';
import { addrWidth } from '../hdl/ir/index.js';

export interface DramOptions {
  /** Words (beats) of storage: 1..2^24. */
  depth: number;
  /** Bytes per beat B, 1..16: one word of 8·B bits moves per cycle in each direction. */
  bytesPerBeat: number;
  /** Read latency L in cycles, 1..64. */
  latency: number;
  /** Power-on contents, one word per address (missing words are 0). */
  init?: readonly (number | bigint)[];
}

/** Width of `rd_len`: bursts of 1..2^16-1 beats. */
export const DRAM_LEN_BITS = 16;

/**
 * Protocol (all signals sampled at the rising edge ending the cycle):
 *
 * Read: a request is accepted in cycle t when `rd_req` and `rd_ready` are high and `rd_len` != 0
 * (rd_len = 0 is accepted and does nothing). Beat i (0 <= i < rd_len) carries the word at address
 * (rd_addr + i) mod 2^ceil(log2(depth)) on `rd_data` with `rd_valid` high in cycle t + L + i: one
 * beat per cycle, in order, no gaps. `rd_ready` is low from cycle t+1 while the burst's addresses are
 * still being issued (through cycle t + rd_len - 1), so a new request is accepted at the earliest in
 * cycle t + rd_len and its beats follow the previous burst's without a gap.
 * Beat i reads the memory at the edge ending cycle t + i + L - 1 (read-first), so it sees every
 * write made in a cycle <= t + i + L - 2.
 *
 * Write: when `wr_en` is high in cycle t, mem[wr_addr] takes `wr_data` (one B-byte word) at the edge
 * ending cycle t; writes are posted, one per cycle, independent of reads.
 *
 * Addresses >= depth read 0 and drop writes (depth not a power of two). The memory is `mem`
 * (load it with pokeMem in the TypeScript simulators, $readmemh in a Verilog testbench); it is not
 * reset. Reset empties the read pipeline and ends a burst.
 *
 * Module name: `dram_d<depth>_b<B>_l<L>`.
 */
export function dram({ depth, bytesPerBeat, latency, init }: DramOptions): ModuleDef {
  const aw = addrWidth(depth);
  const word = UInt(8 * bytesPerBeat);
  const name = `dram_d${depth}_b${bytesPerBeat}_l${latency}`;
  return defineModule({ name, generator: 'dram (simulation only)', params: { depth, bytesPerBeat, latency } }, (m) => {
    const rdReq = m.input('rd_req', Bool);
    const rdAddr = m.input('rd_addr', UInt(aw));
    const rdLen = m.input('rd_len', UInt(DRAM_LEN_BITS));
    const wrEn = m.input('wr_en', Bool);
    const wrAddr = m.input('wr_addr', UInt(aw));
    const wrData = m.input('wr_data', word);
    const mem = m.memory('mem', { shape: word, depth, ...(init ? { init } : {}) });
    mem.write(wrAddr, wrData, wrEn);

    // Burst issue: the first address comes straight from the request, the rest from these registers.
    const busy = m.reg('busy_q', Bool, { reset: 0 });
    const nextAddr = m.reg('next_addr_q', UInt(aw), { reset: 0 });
    const remaining = m.reg('remaining_q', UInt(DRAM_LEN_BITS), { reset: 0 });
    const accept = m.wire('accept', rdReq.and(busy.not()).and(rdLen.ne(0)));
    const issueAddr = m.wire('issue_addr', mux(busy, nextAddr, rdAddr));
    const issueValid = m.wire('issue_valid', accept.or(busy));
    const count = mux(busy, remaining, rdLen);
    m.when(issueValid, () => {
      nextAddr.set(issueAddr.add(1).trunc(aw));
      remaining.set(count.sub(1).trunc(DRAM_LEN_BITS));
      busy.set(count.gt(1));
    });

    // L-1 delay registers, then the memory's registered read: L cycles from issue to beat.
    let valid: Value = issueValid;
    let addr: Value = issueAddr;
    for (let k = 0; k < latency - 1; k++) {
      const v = m.reg(`delay_valid_${k}`, Bool, { reset: 0 });
      v.set(valid);
      const a = m.reg(`delay_addr_${k}`, UInt(aw), { reset: 0 });
      a.set(addr);
      [valid, addr] = [v, a];
    }
    const rdValid = m.reg('rd_valid_q', Bool, { reset: 0 });
    rdValid.set(valid);
    m.output('rd_data', mem.read('rd_data_q', addr));
    m.output('rd_valid', rdValid);
    m.output('rd_ready', busy.not());
  });
}

/** One cycle of DRAM inputs for dramReference. */
export interface DramCycle {
  readonly rdReq: boolean;
  readonly rdAddr: number;
  readonly rdLen: number;
  readonly wrEn: boolean;
  readonly wrAddr: number;
  readonly wrData: bigint;
}

/** What the DRAM shows in one cycle: rd_ready, rd_valid, and rd_data when rd_valid (else null: no meaning). */
export interface DramOutputs {
  readonly ready: boolean;
  readonly valid: boolean;
  readonly data: bigint | null;
}

/**
 * Reference of the protocol above, cycle by cycle from power-on (or reset) with the memory holding
 * `words`: the outputs in cycles 0..cycles.length when cycles[t] is applied in cycle t.
 */
export function dramReference(cycles: readonly DramCycle[], words: readonly bigint[], { depth, latency }: DramOptions): DramOutputs[] {
  const span = 2 ** addrWidth(depth);
  const mem = Array.from({ length: depth }, (_, a) => words[a] ?? 0n);
  let burstEnd = 0; // first cycle in which a new request can be accepted
  const reads = new Map<number, number>(); // cycle whose edge reads → address
  const beats = new Map<number, bigint>(); // cycle → word on rd_data
  const out: DramOutputs[] = [];
  for (let t = 0; t <= cycles.length; t++) {
    const ready = t >= burstEnd;
    out.push({ ready, valid: beats.has(t), data: beats.get(t) ?? null });
    const c = cycles[t];
    if (!c) break;
    if (ready && c.rdReq && c.rdLen > 0) {
      burstEnd = t + c.rdLen;
      for (let i = 0; i < c.rdLen; i++) reads.set(t + i + latency - 1, (c.rdAddr + i) % span);
    }
    // The edge ending cycle t: reads first (read-first memory), then the write.
    const a = reads.get(t);
    if (a !== undefined) beats.set(t + 1, a < depth ? mem[a]! : 0n);
    if (c.wrEn && c.wrAddr < depth) mem[c.wrAddr] = c.wrData;
  }
  return out;
}
