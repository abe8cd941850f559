// Fault-injection contract (DESIGN.md §7, issue 6): what a fault is, where it can go and how an
// injection ends. accel/fault/inject.ts implements the injector; accel/fault/campaign.ts samples
// faults, runs them (worker threads) and aggregates outcomes.
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import type { Model } from '../model.js';

/** seu: transient flip of `bits` at one cycle (one bit = SEU, several = MBU); stuck0/stuck1: permanent. */
export type FaultModel = 'seu' | 'stuck0' | 'stuck1';
export const FAULT_MODELS: readonly FaultModel[] = ['seu', 'stuck0', 'stuck1'];

/** A place a fault can go: a register, a memory (every word) or a combinational net of the RTL. */
export interface FaultSite {
  /** Hierarchical simulator name (sim/compile), e.g. `accel.<...>.acc`. */
  readonly name: string;
  readonly kind: 'register' | 'memory' | 'net';
  /** Bits per word. */
  readonly width: number;
  /** Words (1 for registers and nets). */
  readonly depth: number;
  /** Site group for breakdowns, e.g. `pe.acc`, `pe.weight`, `buf.act`, `ctrl`. */
  readonly group: string;
  /** Friendly name (accel/fault/sites.ts), e.g. `array.pe[3][1].acc` for `accel.array.pe_3_1.psum_q`. */
  readonly alias?: string;
}

/** One fault. */
export interface Fault {
  readonly model: FaultModel;
  /** FaultSite.name. */
  readonly site: string;
  /** Memory word (0 for registers and nets). */
  readonly addr: number;
  /** Bit indices within the word: flipped (seu) or forced (stuck0/stuck1). */
  readonly bits: readonly number[];
  /** seu: the cycle after which the flip happens (0-based, counted from the release of reset); stuck: 0 (permanent). */
  readonly cycle: number;
}

/**
 * How an injection ends, against the fault-free (golden) run of the same image:
 *   masked    the logits equal the golden logits (and the run finished);
 *   sdc       the logits differ, the top-1 class is unchanged;
 *   critical  the top-1 class changed, or the run did not finish (hang, see `hang`);
 *   detected  a hardware check flagged it (the controller's `fault` output, or a protection unit);
 *   corrected the logits equal the golden logits and the correction unit of a protected model
 *             (gen/protect/lcu.ts) saw its copies disagree: the fault was corrected (0 without protection).
 */
export type Outcome = 'masked' | 'sdc' | 'critical' | 'detected' | 'corrected';
export const OUTCOMES: readonly Outcome[] = ['masked', 'sdc', 'critical', 'detected', 'corrected'];

export interface InjectionResult {
  readonly fault: Fault;
  /** Index of the image (in the campaign's image list). */
  readonly image: number;
  readonly outcome: Outcome;
  readonly predicted: number;
  readonly goldenPredicted: number;
  /** Label of the image (to count accuracy). */
  readonly label: number;
  /** Simulated cycles of this injection (from the restored snapshot, or from reset). */
  readonly cycles: number;
  /** Ended early: the faulty state equalled the golden state at a later snapshot (masked). */
  readonly earlyExit: boolean;
  /** The compiled layer executing at the injection cycle (accel/compiler.ts CompiledLayer name). */
  readonly layer: string;
  /** The run hit its cycle limit without `done`. */
  readonly hang: boolean;
}

export interface InjectorOptions {
  readonly model: Model;
  readonly config: AccelHardwareConfig;
  /** The images (int8 C·H·W) and labels the campaign draws from. */
  readonly images: readonly { readonly image: Int8Array; readonly label: number }[];
  /** Golden snapshot interval in cycles; 0 disables snapshots (every injection runs from reset); default ceil(goldenCycles/32) of the first golden run. */
  readonly snapshotInterval?: number;
  /** Stop an injection as masked when its state equals the golden state at a snapshot (needs snapshots); default true. */
  readonly earlyExit?: boolean;
  /**
   * How a stuck-at on a register or read port is applied (accel/fault/inject.ts): 'rewrite' (default)
   * sets the bit again after every edge in the one compiled simulator; 'forces' compiles a variant with
   * sim/compile forces (cached). Nets always use forces, memory words always rewrite.
   */
  readonly stuckAt?: 'rewrite' | 'forces';
  /** Images whose golden run (snapshots) is kept at once, least recently used dropped first; default 4. */
  readonly goldenCacheImages?: number;
}

/** Built once per worker; runs faults. */
export interface Injector {
  /** Fault-free cycles of image i (the range of seu cycles). */
  goldenCycles(image: number): number;
  /** The sites matching a pattern (see accel/fault/sites.ts for the pattern language). */
  sites(pattern: string): FaultSite[];
  inject(image: number, fault: Fault): InjectionResult;
}
