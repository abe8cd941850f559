// The accelerator top (issue 5; docs/accelerator.md): controller + program tables + DMA + GEMM
// engine + R×C weight-stationary systolic array (gen/array.ts) + POST engine + buffers, with a DRAM
// master interface. accelSimTop (./simtop.ts) adds a DRAM model.
//
//             imem ──► controller ──start──► DMA ◄──► DRAM port (dram_rd_*, dram_wr_*)
//                         │  │                 │ LOAD        ▲ STORE
//                         │  └─start──► GEMM ──┼──► wbuf_*, abuf*_* ──► array ──► accbuf_* (bank)
//                         └────start──► POST ◄─┘  accbuf_* (other bank) ──► requant lane ──► abuf*
//
// Ports (clk, rst implicit; the accelerator runs its program from imem[0] after reset)
//   done          out  1: HALT executed (stays high until reset)
//   fault         out  1: an invalid instruction was met; the controller stopped (controller.ts)
//   pc            out  the instruction address the controller is at (the one waiting to issue)
//   busy_dma, busy_gemm, busy_post   out  the engine is executing an instruction
//   dram_rd_req, dram_rd_addr (26)   out  read request (dma.ts, "DRAM interface")
//   dram_rd_valid, dram_rd_data      in   read response
//   dram_wr_en, dram_wr_addr, dram_wr_data   out  write
// Memories (buffers.ts): imem, pixmem, offmem, pmem, wbuf_<j>, abuf<b>_<i>, accbuf_<j>.
// Event counters (counters.ts; 32-bit registers, wrap), all counted at the edge of the event:
//   cnt_macs      R·C per activation vector entering the array (padding included)
//   cnt_wbuf_rd   wbuf rows read (C elements each)      cnt_wbuf_wr   wbuf rows written
//   cnt_abuf_rd   activation-buffer elements read (R per vector, 1 per STORE element)
//   cnt_abuf_wr   activation-buffer elements written (LOAD and POST)
//   cnt_acc_rd    accumulator rows read (C words each)  cnt_acc_wr    accumulator rows written
//   cnt_dram_rd   DRAM words read                       cnt_dram_wr   DRAM words written
//   cnt_requant   requantizations (one per element POST writes)
// In accelSimTop every name above is prefixed by `accel.` (peek('accel.cnt_macs')).
import { Bool, defineModule, UInt, type ModuleDef } from '../../hdl/dsl/index.js';
import { accelGeometry, type AccelGeometry, type AccelHardwareConfig, type AccelSizes } from './config.js';
import { abufWritePorts, declareBuffers, type ProgramInit } from './buffers.js';
import { buildController } from './controller.js';
import { Counters } from './counters.js';
import { buildDma } from './dma.js';
import { buildGemmEngine } from './gemm-engine.js';
import { buildPostEngine } from './post-engine.js';

/** Port names of the accelerator top. */
export const accelPorts = {
  done: 'done',
  fault: 'fault',
  pc: 'pc',
  busyDma: 'busy_dma',
  busyGemm: 'busy_gemm',
  busyPost: 'busy_post',
  rdReq: 'dram_rd_req',
  rdAddr: 'dram_rd_addr',
  rdValid: 'dram_rd_valid',
  rdData: 'dram_rd_data',
  wrEn: 'dram_wr_en',
  wrAddr: 'dram_wr_addr',
  wrData: 'dram_wr_data',
} as const;

/** Names of the event counters (registers of the top), in the order of the header. */
export const COUNTER_NAMES = [
  'cnt_macs',
  'cnt_wbuf_rd',
  'cnt_wbuf_wr',
  'cnt_abuf_rd',
  'cnt_abuf_wr',
  'cnt_acc_rd',
  'cnt_acc_wr',
  'cnt_dram_rd',
  'cnt_dram_wr',
  'cnt_requant',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** `accel_r<R>c<C>_i<bits>_acc<accWidth>[_db][_<protection>][_ring]`. */
export function accelModuleName(g: AccelGeometry, prefix = 'accel'): string {
  return `${prefix}_r${g.rows}c${g.cols}_i${g.bits}_acc${g.accWidth}${g.doubleBuffer ? '_db' : ''}${g.protection !== 'none' ? `_${g.protection}` : ''}${g.ring ? '_ring' : ''}`;
}

/** The accelerator top described in the header; `init` fills the program tables at power-on. */
export function accelTop(config: AccelHardwareConfig, sizes: AccelSizes, init: ProgramInit = {}): ModuleDef {
  const g = accelGeometry(config, sizes);
  const params = {
    rows: g.rows,
    cols: g.cols,
    bits: g.bits,
    accWidth: g.accWidth,
    doubleBuffer: g.doubleBuffer,
    weightLoad: g.tileLoad ? 'tile' : g.rowLoad ? 'row' : 'shift',
    protection: g.protection,
    ...(g.ring ? { ringAddressing: true } : {}),
    wbufRows: g.wbufDepth,
    abufElements: g.abufDepth,
    accRows: g.accRows,
    elemsPerWord: g.elemsPerWord,
    imemDepth: sizes.imemDepth,
    pixDepth: sizes.pixDepth,
    offDepth: sizes.offDepth,
    pmemDepth: sizes.pmemDepth,
  };
  return defineModule({ name: accelModuleName(g), generator: 'accel', params }, (m) => {
    const rdValid = m.input(accelPorts.rdValid, Bool);
    const rdData = m.input(accelPorts.rdData, UInt(g.wordBits));
    const bufs = declareBuffers(m, g, init);
    const busy = { dma: m.wire('busyDma', Bool), gemm: m.wire('busyGemm', Bool), post: m.wire('busyPost', Bool), gemmSeq: m.wire('busyGemmSeq', Bool), gemmBank0: m.wire('busyAcc0', Bool), gemmBank1: m.wire('busyAcc1', Bool) };
    const ctl = buildController(m, bufs, busy, { ring: g.ring });
    const counters = new Counters();
    const dma = buildDma(m, g, bufs, ctl, rdValid, rdData, counters);
    const gemm = buildGemmEngine(m, g, bufs, ctl, counters);
    const post = buildPostEngine(m, g, bufs, ctl, counters);
    busy.dma.set(dma.busy);
    busy.gemm.set(gemm.busy);
    busy.gemmSeq.set(gemm.seqBusy);
    busy.gemmBank0.set(gemm.bankBusy[0]);
    busy.gemmBank1.set(gemm.bankBusy[1]);
    busy.post.set(post.busy);
    abufWritePorts(m, bufs, dma.abufWrite, post.abufWrite);
    ctl.finish();
    counters.finish(m);
    m.output(accelPorts.done, ctl.done);
    m.output(accelPorts.fault, ctl.fault);
    m.output(accelPorts.pc, ctl.pc);
    m.output(accelPorts.busyDma, busy.dma);
    m.output(accelPorts.busyGemm, busy.gemm);
    m.output(accelPorts.busyPost, busy.post);
    m.output(accelPorts.rdReq, dma.dram.rdReq);
    m.output(accelPorts.rdAddr, dma.dram.rdAddr);
    m.output(accelPorts.wrEn, dma.dram.wrEn);
    m.output(accelPorts.wrAddr, dma.dram.wrAddr);
    m.output(accelPorts.wrData, dma.dram.wrData);
  });
}
