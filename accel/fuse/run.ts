// `splitfuse run --fuse`: the model run on the accelerator RTL twice, with the planner's fusion groups and layer by
// layer (every feature map through DRAM: accel/compiler/stream.ts), both checked bit for bit against the golden
// model (accel/report.ts runModel). Per image: DRAM bytes split into feature maps and weights
// (from the compiled programs' LOADs and STOREs — their sum is what the RTL's DRAM counters count), cycles and
// energy (the RTL), side by side.
import { accelGeometry } from '../../gen/accel/config.js';
import { compile } from '../compiler.js';
import { runModel, type ModelReport, type RunModelOptions } from '../report.js';
import type { FuseTarget } from './compile.js';
import { fuseGroups, planFusion, programBytes, type FusePlan, type PlanOptions } from './plan.js';

/** DRAM bytes per image of one compiled program, by kind. */
export interface ProgramTraffic {
  readonly fmRead: number;
  readonly fmWritten: number;
  readonly weightRead: number;
}

export interface FusedRunReport {
  readonly plan: FusePlan;
  /** The machine has ring addressing (config ringAddressing): the fused line buffers wrap, no mirror rows. */
  readonly ringAddressing: boolean;
  readonly fused: ModelReport & { readonly traffic: ProgramTraffic };
  readonly layerByLayer: ModelReport & { readonly traffic: ProgramTraffic };
}

export type FusedRunOptions = Omit<RunModelOptions, 'batch'> & Omit<PlanOptions, 'cache' | 'baseline' | 'onCandidate'> & { readonly onRun?: (which: 'fused' | 'layer by layer') => void };

/** Plan, compile and run both ways (see the header). */
export function runFused(options: FusedRunOptions): FusedRunReport {
  const { model, config } = options;
  const g = accelGeometry(config, { imemDepth: 1, pixDepth: 1, offDepth: 1, pmemDepth: 1, dramWords: 1 });
  const plan = planFusion(model, g, { fuse: options.fuse, ...(options.bufferBytes !== undefined ? { bufferBytes: options.bufferBytes } : {}), ...(options.machine !== undefined ? { machine: options.machine } : {}) });
  const one = (fuse: FuseTarget['fuse'], which: 'fused' | 'layer by layer') => {
    const target = { ...config, fuse };
    const compiled = compile(model, target);
    const b = programBytes(compiled.program, compiled.geometry);
    options.onRun?.(which);
    const report = runModel({ ...options, config: target, profile: false });
    return { ...report, traffic: { fmRead: b.read, fmWritten: b.written, weightRead: b.weights } };
  };
  const fused = one(fuseGroups(plan), 'fused');
  const layerByLayer = one([], 'layer by layer');
  return { plan, ringAddressing: config.ringAddressing === true, fused, layerByLayer };
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The human-readable report. */
export function fusedRunText(r: FusedRunReport): string {
  const { plan, fused: f, layerByLayer: l } = r;
  const fm = (t: ProgramTraffic): number => t.fmRead + t.fmWritten;
  const change = (a: number, b: number): string => (b === 0 ? '' : `${a <= b ? '−' : '+'}${((100 * Math.abs(a - b)) / b).toFixed(1)}%`);
  const table = [
    ['per image', 'fused', 'layer by layer', 'change'],
    ['feature maps, DRAM B', int(fm(f.traffic)), int(fm(l.traffic)), change(fm(f.traffic), fm(l.traffic))],
    ['  read / written B', `${int(f.traffic.fmRead)} / ${int(f.traffic.fmWritten)}`, `${int(l.traffic.fmRead)} / ${int(l.traffic.fmWritten)}`, ''],
    ['weights, DRAM B', int(f.traffic.weightRead), int(l.traffic.weightRead), change(f.traffic.weightRead, l.traffic.weightRead)],
    ['DRAM total B', int(f.dramBytes.total), int(l.dramBytes.total), change(f.dramBytes.total, l.dramBytes.total)],
    ['cycles', int(f.cyclesPerImage), int(l.cyclesPerImage), change(f.cyclesPerImage, l.cyclesPerImage)],
    ['energy µJ (est.)', (f.energyPJ / 1e6).toFixed(3), (l.energyPJ / 1e6).toFixed(3), change(f.energyPJ, l.energyPJ)],
    ['bit-exact vs golden', `${f.images - f.goldenMismatches}/${f.images}`, `${l.images - l.goldenMismatches}/${l.images}`, ''],
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]): string => `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd();
  const groups = plan.groups.length
    ? plan.groups.map((p) => `  group ${p.name}: tiles of ${p.tileRows} output row${p.tileRows === 1 ? '' : 's'} × full width, ${p.steps} step${p.steps === 1 ? '' : 's'}; on chip ${int(p.onChipBytes)} B (line buffers ${p.buffers.rings.map((q) => `${q.stage} ${q.rows}${q.mirror ? `+${q.mirror}` : ''} rows × ${q.channels} ch`).join(', ')}; staging ${int(p.buffers.staging)} B)`)
    : ['  no fusion group (every layer through DRAM)'];
  return [
    `${f.model} on '${f.config}' (${f.rows}×${f.cols} PEs, ${f.clockMHz} MHz${r.ringAddressing ? ', ring addressing' : ''}): --fuse ${plan.mode === 'list' ? 'groups' : plan.mode}${plan.budget !== null ? `, budget ${int(plan.budget)} B` : ''}; ${f.images} ${f.labelled ? 'test digits' : 'random inputs'}, RTL in the compiled simulator`,
    ...groups,
    ...table.map(line),
    '',
  ].join('\n');
}
