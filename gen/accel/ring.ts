// Ring (modulo) addressing of the GEMM engine's activation reads (issue 13; gen/accel/isa.ts RING and the GEMM
// fields ring, ringSel): four ring registers {base, size}, written when a RING instruction issues, and the step
// "row address -> wrapped address" of the GEMM's activation address path, one per array row:
//   a >= base + size ? a - size : a
// with {base, size} the register ringSel as the GEMM issues (latched at its start edge, so a RING that follows a
// GEMM does not change it). A fused group's line buffers (accel/fuse/group.ts) are such rings: a window that runs
// past the ring's last row reads on at its first, so no row is stored twice. Built only for ringAddressing.
import { Bool, mux, UInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';
import { fitU } from './config.js';
import type { Buffers } from './buffers.js';
import type { Controller } from './controller.js';

export const RING_REGISTERS = 4;

export interface RingUnit {
  /** The activation-buffer address of an (unwrapped) sum pixel + offset, wrapped when the GEMM's ring bit is set. */
  wrap(name: string, sum: Value): Value;
}

/** The ring registers and the GEMM's latched ring (see the header). */
export function buildRingUnit(m: ModuleBuilder, bufs: Buffers, ctl: Controller): RingUnit {
  const aw = bufs.aw.abuf;
  const dec = ctl.decoder;
  const reg = dec.field('RING', 'reg');
  const newBase = dec.fit('RING', 'base', aw);
  const newSize = dec.fit('RING', 'size', aw);
  const regs = Array.from({ length: RING_REGISTERS }, (_, i) => {
    const base = m.reg(`ring_base_${i}`, UInt(aw), { reset: 0 });
    const size = m.reg(`ring_size_${i}`, UInt(aw), { reset: 0 });
    m.when(ctl.startRing.and(reg.eq(i)), () => {
      base.set(newBase);
      size.set(newSize);
    });
    return { base, size };
  });
  const sel = dec.field('GEMM', 'ringSel');
  const pick = (f: (r: (typeof regs)[number]) => Value): Value => regs.slice(0, -1).reduceRight((rest, r, i) => mux(sel.eq(i), f(r), rest), f(regs.at(-1)!));
  const on = m.reg('gemm_ringOn', Bool, { reset: 0 });
  const end = m.reg('gemm_ringEnd', UInt(aw + 1), { reset: 0 });
  const size = m.reg('gemm_ringSize', UInt(aw), { reset: 0 });
  m.when(ctl.startGemm, () => {
    on.set(dec.field('GEMM', 'ring'));
    end.set(pick((r) => r.base).add(pick((r) => r.size)));
    size.set(pick((r) => r.size));
  });
  return {
    wrap(name: string, sum: Value): Value {
      const a = fitU(sum, aw + 1);
      return m.wire(name, fitU(mux(on.and(a.ge(end)), a.sub(size), a), aw));
    },
  };
}
