// The controller: fetches 96-bit instructions from imem and issues them in order to the engines
// (gen/accel/isa.ts gives the semantics).
//
// Timing
//   imem's read port is addressed with the NEXT pc, so the instruction at pc is in `ir` in the cycle
//   after pc changes: one instruction can issue per cycle. The first cycle after reset only fetches
//   (irValid is 0), so tables and imem poked while reset is held or right after it are seen.
//   An instruction issues in a cycle in which its engine is idle (LOAD/STORE: DMA; POST), GEMM when the
//   GEMM engine's load/stream sequencer is free (the previous GEMM's last vector has entered the array: its
//   drain overlaps the next GEMM), or, for WAIT, every resource of its mask is idle (DMA, GEMM engine with
//   its drain, POST, accumulator bank 0 / 1 without outstanding GEMM writes); HALT issues when all engines are idle and sets `done`
//   at that edge (done stays high until reset; pc then stays at the HALT). An engine started at an
//   edge is busy from the next cycle on, so back-to-back instructions for one engine wait for it.
//   An instruction with an unknown opcode, nonzero reserved bits, or a field value whose high bits do
//   not fit the memory it addresses (e.g. a wbuf row beyond the buffer's address width) is not issued:
//   `fault` rises at that edge and the controller stops (done stays low).
import { Bool, mux, UInt, type ModuleBuilder, type Value } from '../../hdl/dsl/index.js';
import { FIELDS, INSTRUCTION_BITS, OP, type Field, type OpName } from './isa.js';
import type { Buffers } from './buffers.js';
import { anyBits, sliceWords, splitWords } from './config.js';

/** Engine busy flags (wires driven by the engines). */
export interface EngineBusy {
  readonly dma: Value;
  /** The GEMM engine is not idle (a GEMM loading, streaming or draining). */
  readonly gemm: Value;
  readonly post: Value;
  /** The GEMM engine's load/stream sequencer is busy (a GEMM issues only when it is not). */
  readonly gemmSeq: Value;
  /** Accumulator bank 0 / 1 has outstanding GEMM writes. */
  readonly gemmBank0: Value;
  readonly gemmBank1: Value;
}

/** Field access for the engines: they read the fields of the instruction being issued. */
export class InstructionDecoder {
  private readonly overflow = new Map<OpName, Value[]>();

  /** The instruction in 32-bit pieces (fields are sliced from these: see splitWords). */
  private readonly words: Value[];

  constructor(
    private readonly m: ModuleBuilder,
    /** The instruction word at pc (imem read port). */
    readonly ir: Value,
    /** Fields this machine does not build (`OP.field`, the last ones of their op): their bits are reserved bits. */
    private readonly absent: ReadonlySet<string> = new Set(),
  ) {
    this.words = splitWords(m, 'ir', ir);
  }

  /** Bits [lo, lo + width) of the instruction. */
  bits(lo: number, width: number): Value {
    return sliceWords(this.words, lo, width);
  }

  /** The whole field. */
  field(op: OpName, name: string): Value {
    const f = (FIELDS[op] as Record<string, Field>)[name];
    if (!f) throw new Error(`isa.ts has no field ${op}.${name}`);
    return this.bits(f.lo, f.width);
  }

  /**
   * The field's low `width` bits (zero-extended when the field is narrower); nonzero high bits are a
   * fault when an instruction of this op is about to issue.
   */
  fit(op: OpName, name: string, width: number): Value {
    const v = this.field(op, name);
    if (v.width <= width) return v.width === width ? v : v.zext(width);
    const list = this.overflow.get(op) ?? [];
    list.push(v.slice(width, v.width - width).orR());
    this.overflow.set(op, list);
    return v.trunc(width);
  }

  /** Make `cond` (1 bit) a fault for instructions of this op. */
  forbid(op: OpName, cond: Value): void {
    const list = this.overflow.get(op) ?? [];
    list.push(cond);
    this.overflow.set(op, list);
  }

  /** High when the instruction (of op `op`) has reserved bits set or a field that does not fit. */
  invalid(op: OpName): Value {
    const fields = Object.entries(FIELDS[op] as Record<string, Field>).filter(([name]) => !this.absent.has(`${op}.${name}`)).map(([, f]) => f);
    const top = Math.max(4, ...fields.map((f) => f.lo + f.width));
    let bad: Value = top < INSTRUCTION_BITS ? anyBits(this.words, top, INSTRUCTION_BITS - top) : this.m.constant(0, Bool);
    // An absent field below a present one (GEMM ring/ringSel under gemv) is reserved bits too.
    for (const [name, f] of Object.entries(FIELDS[op] as Record<string, Field>)) if (this.absent.has(`${op}.${name}`) && f.lo < top) bad = bad.or(anyBits(this.words, f.lo, f.width));
    for (const c of this.overflow.get(op) ?? []) bad = bad.or(c);
    return bad;
  }
}

export interface Controller {
  readonly decoder: InstructionDecoder;
  /** Start pulses (high in the issuing cycle; the engine latches its fields at that edge). */
  readonly startDma: Value;
  readonly startGemm: Value;
  readonly startPost: Value;
  /** RING issues (ring-addressing machines; constant 0 otherwise). */
  readonly startRing: Value;
  /** LOAD (0) or STORE (1) for startDma. */
  readonly isStore: Value;
  readonly pc: Value;
  readonly done: Value;
  readonly fault: Value;
  /** Call after every engine has taken its fields: builds the fault check. */
  finish(): void;
}

/** Build the controller; `busy` are wires the engines drive; `ring`: the machine has ring addressing (RING, GEMM ring fields). */
export function buildController(m: ModuleBuilder, bufs: Buffers, busy: EngineBusy, options: { readonly ring?: boolean } = {}): Controller {
  const ring = options.ring === true;
  const pc = m.reg('pc_q', UInt(bufs.aw.imem), { reset: 0 });
  const irValid = m.reg('irValid', Bool, { reset: 0 });
  const done = m.reg('done_q', Bool, { reset: 0 });
  const fault = m.reg('fault_q', Bool, { reset: 0 });
  const issue = m.wire('issue', Bool);
  const halting = m.wire('halting', Bool);
  const pcNext = mux(issue.and(halting.not()), pc.add(1).trunc(bufs.aw.imem), pc);
  const ir = bufs.imem.read('ir', pcNext);
  pc.set(pcNext);
  irValid.set(1);
  const decoder = new InstructionDecoder(m, ir, ring ? new Set() : new Set(['GEMM.ring', 'GEMM.ringSel']));
  const op = decoder.bits(FIELDS.op.lo, FIELDS.op.width);
  const is = (name: OpName): Value => op.eq(OP[name]);
  const isDma = is('LOAD').or(is('STORE'));
  const mask = decoder.field('WAIT', 'mask');
  const busyVec = [busy.dma, busy.gemm, busy.post, busy.gemmBank0, busy.gemmBank1]; // WAIT mask bits (isa.ts WAIT_MASK)
  const waitBlocked = busyVec.map((b, i) => b.and(mask.bit(i))).reduce((a, b) => a.or(b));
  const anyBusy = busyVec.slice(0, 3).reduce((a, b) => a.or(b));
  const ready = mux(
    isDma,
    busy.dma.not(),
    mux(is('GEMM'), busy.gemmSeq.not(), mux(is('POST'), busy.post.not(), mux(is('WAIT'), waitBlocked.not(), ring ? mux(is('RING'), 1, anyBusy.not()) : anyBusy.not()))),
  );
  const active = irValid.and(done.not()).and(fault.not());
  const badNow = m.wire('badInstruction', Bool);
  issue.set(active.and(ready).and(badNow.not()));
  halting.set(is('HALT'));
  const startDma = m.wire('startDma', issue.and(isDma));
  const startGemm = m.wire('startGemm', issue.and(is('GEMM')));
  const startPost = m.wire('startPost', issue.and(is('POST')));
  const startRing = ring ? m.wire('startRing', issue.and(is('RING'))) : m.constant(0, Bool);
  m.when(issue.and(is('HALT')), () => done.set(1));
  m.when(active.and(badNow), () => fault.set(1));
  return {
    decoder,
    startDma,
    startGemm,
    startPost,
    startRing,
    isStore: is('STORE'),
    pc,
    done,
    fault,
    finish(): void {
      const names = (Object.keys(OP) as OpName[]).filter((n) => ring || n !== 'RING');
      let bad: Value = names.map((n) => is(n)).reduce((a, b) => a.or(b)).not(); // unknown opcode
      for (const n of names) bad = bad.or(is(n).and(decoder.invalid(n)));
      badNow.set(bad);
    },
  };
}
