// The simulation top: accelTop (instance `accel`) + the DRAM model of gen/dram.ts (instance `dram`,
// memory `dram.mem`; fixed latency dramLatency, one B-byte word per cycle, single-word requests).
// It has no inputs besides clk and rst: after reset the accelerator runs the program in accel.imem
// until `done` (or `fault`). Load the program and data either as power-on contents (`init`, which the
// emitted Verilog carries in `initial` blocks: what a self-contained co-simulation needs) or, in the
// TS simulator, with pokeMem on the stable names:
//   dram.mem, accel.imem, accel.pixmem, accel.offmem, accel.pmem   (peek('accel.cnt_*') for counters)
// A Verilog testbench can $readmemh into <tb>.<dut>.dram.mem and <tb>.<dut>.accel.imem etc.
// DRAM word addresses wrap at the DRAM model's address width (ceil(log2(dramWords)) bits).
//
// Outputs (compared every cycle by a co-simulation): done, fault, pc, busy_dma, busy_gemm, busy_post,
// dram_rd_req, dram_rd_addr, dram_wr_en, dram_wr_addr, dram_wr_data — the whole DRAM traffic.
import { Bool, defineModule, UInt, type ModuleDef } from '../../hdl/dsl/index.js';
import { addrWidth } from '../../hdl/ir/index.js';
import { dram, DRAM_LEN_BITS } from '../dram.js';
import { accelGeometry, type AccelHardwareConfig, type AccelSizes } from './config.js';
import type { ProgramInit } from './buffers.js';
import { accelModuleName, accelPorts, accelTop } from './top.js';

export interface SimInit extends ProgramInit {
  /** Power-on DRAM words. */
  readonly dram?: readonly bigint[];
}

/** Instance name of the accelerator inside the simulation top. */
export const ACCEL_INSTANCE = 'accel';
/** Instance name of the DRAM model; its memory is `${DRAM_INSTANCE}.mem`. */
export const DRAM_INSTANCE = 'dram';
/** The simulated DRAM's memory, for pokeMem/peekMem. */
export const DRAM_MEMORY = `${DRAM_INSTANCE}.mem`;

/** accelTop + DRAM model; see the header. */
export function accelSimTop(config: AccelHardwareConfig, sizes: AccelSizes, init: SimInit = {}): ModuleDef {
  const g = accelGeometry(config, sizes);
  const { dram: dramInit, ...program } = init;
  const top = accelTop(config, sizes, program);
  const dramDef = dram({ depth: sizes.dramWords, bytesPerBeat: config.dramBytesPerCycle, latency: g.dramLatency, init: dramInit });
  const aw = addrWidth(sizes.dramWords);
  return defineModule({ name: accelModuleName(g, 'accel_sim'), generator: 'accelSim', params: { dramWords: sizes.dramWords, dramLatency: g.dramLatency } }, (m) => {
    const rdValid = m.wire('dram_rdValid', Bool);
    const rdData = m.wire('dram_rdData', UInt(g.wordBits));
    const accel = m.instance(ACCEL_INSTANCE, top, { [accelPorts.rdValid]: rdValid, [accelPorts.rdData]: rdData });
    const port = {
      rdReq: accel.out(accelPorts.rdReq),
      rdAddr: accel.out(accelPorts.rdAddr),
      wrEn: accel.out(accelPorts.wrEn),
      wrAddr: accel.out(accelPorts.wrAddr),
      wrData: accel.out(accelPorts.wrData),
    };
    // One-word requests: the DMA asks for at most one word per cycle, so the model is always ready.
    const model = m.instance(DRAM_INSTANCE, dramDef, {
      rd_req: port.rdReq,
      rd_addr: port.rdAddr.trunc(aw),
      rd_len: m.constant(1, UInt(DRAM_LEN_BITS)),
      wr_en: port.wrEn,
      wr_addr: port.wrAddr.trunc(aw),
      wr_data: port.wrData,
    });
    rdValid.set(model.out('rd_valid'));
    rdData.set(model.out('rd_data'));
    for (const name of [accelPorts.done, accelPorts.fault, accelPorts.pc, accelPorts.busyDma, accelPorts.busyGemm, accelPorts.busyPost]) {
      m.output(name, accel.out(name));
    }
    m.output(accelPorts.rdReq, port.rdReq);
    m.output(accelPorts.rdAddr, port.rdAddr);
    m.output(accelPorts.wrEn, port.wrEn);
    m.output(accelPorts.wrAddr, port.wrAddr);
    m.output(accelPorts.wrData, port.wrData);
  });
}
