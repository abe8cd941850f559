// An on-chip SRAM buffer with a registered read: the memory shape FPGA synthesis maps to block RAM
// (DESIGN.md §5: weight, activation and partial-sum buffers).
import { Bool, defineModule, UInt, type ModuleDef } from '../hdl/dsl/index.js';
import { addrWidth } from '../hdl/ir/index.js';

export interface SramOptions {
  /** Words: 1..2^20. */
  depth: number;
  /** Word width in bits: 1..128. */
  width: number;
  /**
   * 'single': one port (addr, we, wdata, en → rdata); 'dual': simple dual port, one write port
   * (waddr, we, wdata) and one read port (raddr, re → rdata).
   */
  ports: 'single' | 'dual';
}

/** Cycles from a read address sampled in cycle t to its word on `rdata` (cycle t + SRAM_READ_LATENCY). */
export const SRAM_READ_LATENCY = 1;

/**
 * A memory `mem` of `depth` words of UInt(width), addresses of ceil(log2(depth)) bits (at least 1).
 *
 * single: at the edge ending cycle t, when `en` is high, `rdata` takes mem[addr] and, when `we` is also
 * high, mem[addr] takes `wdata`; the read is read-first, so a write cycle returns the old word.
 * When `en` is low neither happens and `rdata` holds its value.
 *
 * dual: at the edge ending cycle t, when `we` is high mem[waddr] takes wdata; when `re` is high `rdata`
 * takes mem[raddr] (read-first: the old word when raddr = waddr). When `re` is low `rdata` holds.
 *
 * So a word read in cycle t is on `rdata` in cycle t + 1. Addresses >= depth (depth not a power of
 * two) read 0 and drop writes. Contents are not reset; the power-on contents are 0. No reset port.
 *
 * Module name: `sram_<sp|dp>_d<depth>_w<width>`.
 */
export function sram({ depth, width, ports }: SramOptions): ModuleDef {
  const aw = addrWidth(depth);
  const name = `sram_${ports === 'single' ? 'sp' : 'dp'}_d${depth}_w${width}`;
  return defineModule({ name, generator: 'sram', params: { depth, width, ports } }, (m) => {
    const mem = m.memory('mem', { shape: UInt(width), depth });
    if (ports === 'single') {
      const addr = m.input('addr', UInt(aw));
      const en = m.input('en', Bool);
      const we = m.input('we', Bool);
      const wdata = m.input('wdata', UInt(width));
      mem.write(addr, wdata, en.and(we));
      m.output('rdata', mem.read('rdata_q', addr, { enable: en }));
    } else {
      const waddr = m.input('waddr', UInt(aw));
      const we = m.input('we', Bool);
      const wdata = m.input('wdata', UInt(width));
      const raddr = m.input('raddr', UInt(aw));
      const re = m.input('re', Bool);
      mem.write(waddr, wdata, we);
      m.output('rdata', mem.read('rdata_q', raddr, { enable: re }));
    }
  });
}

/** One cycle of SRAM port inputs for sramReference (single: addr/en/we/wdata; dual: waddr/we/wdata/raddr/re). */
export interface SramCycle {
  readonly addr?: number;
  readonly en?: boolean;
  readonly waddr?: number;
  readonly raddr?: number;
  readonly re?: boolean;
  readonly we: boolean;
  readonly wdata: bigint;
}

/**
 * Reference: `rdata` in cycles 0..cycles.length when cycles[t] is applied in cycle t, from power-on
 * (all words 0, rdata 0). Read-first; addresses >= depth read 0 and drop writes.
 */
export function sramReference(cycles: readonly SramCycle[], { depth, ports }: SramOptions): bigint[] {
  const words = new Map<number, bigint>();
  let rdata = 0n;
  const trace = [rdata];
  for (const c of cycles) {
    const single = ports === 'single';
    const readAddr = single ? c.addr! : c.raddr!;
    const writeAddr = single ? c.addr! : c.waddr!;
    const read = single ? c.en! : c.re!;
    const write = single ? c.en! && c.we : c.we;
    if (read) rdata = readAddr < depth ? (words.get(readAddr) ?? 0n) : 0n;
    if (write && writeAddr < depth) words.set(writeAddr, c.wdata);
    trace.push(rdata);
  }
  return trace;
}
