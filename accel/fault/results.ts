// The results file of a fault campaign (JSON lines, accel/fault/campaign.ts): line 1 is a header with
// every parameter that decides the injections and their outcomes (and, for a shard, which shard it is,
// plus the site list and layer order that `fault merge` needs to summarize without the model); then one
// line per finished injection, {"i": index, ...InjectionResult}, each written with one write() so a
// killed run leaves at most a partial last line, which readers drop.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { AccelHardwareConfig } from '../../gen/accel/config.js';
import { DiagnosticError, msg } from '../../hdl/diagnostics.js';
import { crc32 } from '../model.js';
import type { ShardSpec } from './shard.js';
import { OUTCOMES, type FaultModel, type FaultSite, type InjectionResult } from './types.js';

/** Everything that decides which faults are injected and how they end; the results file's header. */
export interface CampaignParams {
  readonly model: string;
  /** CRC-32 of the serialized model (accel/model.ts writeModel), hex. */
  readonly modelCrc: string;
  readonly config: AccelHardwareConfig;
  readonly sites: string;
  readonly fault: FaultModel;
  readonly bitsPerUpset: number;
  readonly seed: number;
  readonly images: number;
  /** CRC-32 of the images' bytes and labels, hex. */
  readonly imagesCrc: string;
  readonly population: number;
  readonly samples: number;
  /** How samples was chosen: the requested margin and confidence, or null for an explicit count. */
  readonly margin: number | null;
  readonly confidence: number | null;
}

export const RESULTS_FORMAT = 'splitfuse-fault-campaign';
export const RESULTS_VERSION = 1;

/** What a summary needs besides the results: every site the pattern matched and the compiled layer order. */
export interface ResultsContext {
  readonly sites: readonly FaultSite[];
  readonly layers: readonly string[];
}

export interface ResultsHeader {
  readonly format: typeof RESULTS_FORMAT;
  readonly version: number;
  readonly params: CampaignParams;
  /** Present in the files of `--shard i/N` runs. */
  readonly shard?: ShardSpec;
  /** Written since shards exist (older files lack it; `fault merge` needs it). */
  readonly context?: ResultsContext;
}

/** One line of the results file after the header. */
export type ResultLine = InjectionResult & { readonly i: number };

export const hex = (n: number): string => n.toString(16).padStart(8, '0');

export function imagesCrc(images: readonly { readonly image: Int8Array; readonly label: number }[]): string {
  const parts: Uint8Array[] = [];
  for (const { image, label } of images) parts.push(new Uint8Array(image.buffer, image.byteOffset, image.byteLength), Uint8Array.of(label & 0xff));
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return hex(crc32(all));
}

/** The results already in a file, and the byte length of its valid part (a partial last line is cut). */
export interface ResultsFile {
  readonly header: ResultsHeader;
  readonly results: ResultLine[];
  readonly validBytes: number;
}

/** Read a results file; E157 when it is not one. A partial (killed) last line is ignored. */
export function readResultsFile(file: string): ResultsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DiagnosticError([msg.campaignFile(file, 'a readable results file', `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'give the --out file of an earlier campaign')]);
  }
  const lines = text.split('\n');
  let header: ResultsHeader | null = null;
  const results: ResultLine[] = [];
  let offset = 0;
  let validBytes = 0;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const complete = n < lines.length - 1; // followed by a newline
    const lineBytes = Buffer.byteLength(line) + (complete ? 1 : 0);
    let value: unknown = undefined;
    try {
      value = line.trim() === '' ? undefined : JSON.parse(line);
    } catch {
      value = null;
    }
    if (!complete) break; // the last, unterminated line: a run killed mid-write (or nothing at all)
    if (value === null || value === undefined) {
      throw new DiagnosticError([msg.campaignFile(file, `one JSON object per line`, `line ${n + 1} '${line.slice(0, 40)}'`, 'only the last line may be cut short by a kill; the file was edited or corrupted')]);
    }
    if (n === 0) {
      const h = value as Partial<ResultsHeader>;
      if (h.format !== RESULTS_FORMAT || h.version !== RESULTS_VERSION || typeof h.params !== 'object') {
        throw new DiagnosticError([msg.campaignFile(file, `a ${RESULTS_FORMAT} version ${RESULTS_VERSION} file`, `a file starting '${line.slice(0, 40)}'`, 'give the --out file of an earlier campaign')]);
      }
      header = h as ResultsHeader;
    } else {
      const r = value as ResultLine;
      if (!Number.isInteger(r.i) || !OUTCOMES.includes(r.outcome)) {
        throw new DiagnosticError([msg.campaignFile(file, 'an injection result per line', `line ${n + 1} '${line.slice(0, 40)}'`, 'the file was edited or corrupted')]);
      }
      results.push(r);
    }
    offset += lineBytes;
    validBytes = offset;
  }
  if (!header) throw new DiagnosticError([msg.campaignFile(file, `a ${RESULTS_FORMAT} file with a header line`, 'an empty file', 'start the campaign again with --out')]);
  return { header, results, validBytes };
}

/**
 * Stream a results file line by line (4 MB reads; the text is never held whole): `onHeader` with the
 * header, then `onLine` with every complete result line and its raw text and line number. The same
 * checks as readResultsFile (E157); a partial last line is ignored.
 */
export function streamResultsFile(file: string, onHeader: (header: ResultsHeader) => void, onLine: (r: ResultLine, text: string, line: number) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new DiagnosticError([msg.campaignFile(file, 'a readable results file', `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'give the --out file of an earlier campaign')]);
  }
  try {
    const chunk = Buffer.alloc(4 << 20);
    const decoder = new StringDecoder('utf8'); // a character cut by a read boundary waits for its rest
    let rest = '';
    let n = 0;
    const take = (line: string): void => {
      n++;
      let value: unknown;
      try {
        value = line.trim() === '' ? undefined : JSON.parse(line);
      } catch {
        value = undefined;
      }
      if (value === undefined || value === null || typeof value !== 'object') {
        throw new DiagnosticError([msg.campaignFile(file, 'one JSON object per line', `line ${n} '${line.slice(0, 40)}'`, 'only the last line may be cut short by a kill; the file was edited or corrupted')]);
      }
      if (n === 1) {
        const h = value as Partial<ResultsHeader>;
        if (h.format !== RESULTS_FORMAT || h.version !== RESULTS_VERSION || typeof h.params !== 'object') {
          throw new DiagnosticError([msg.campaignFile(file, `a ${RESULTS_FORMAT} version ${RESULTS_VERSION} file`, `a file starting '${line.slice(0, 40)}'`, 'give the --out file of an earlier campaign')]);
        }
        onHeader(h as ResultsHeader);
        return;
      }
      const r = value as ResultLine;
      if (!Number.isInteger(r.i) || !OUTCOMES.includes(r.outcome)) {
        throw new DiagnosticError([msg.campaignFile(file, 'an injection result per line', `line ${n} '${line.slice(0, 40)}'`, 'the file was edited or corrupted')]);
      }
      onLine(r, line, n);
    };
    for (;;) {
      const got = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      const lines = (rest + decoder.write(chunk.subarray(0, got))).split('\n');
      rest = lines.pop()!; // unterminated: the next read completes it, or a kill cut it short
      for (const line of lines) take(line);
    }
    if (n === 0) throw new DiagnosticError([msg.campaignFile(file, `a ${RESULTS_FORMAT} file with a header line`, 'an empty file', 'start the campaign again with --out')]);
  } finally {
    fs.closeSync(fd);
  }
}

/** The first parameter that differs (dotted path), or null. */
function firstDifference(a: unknown, b: unknown, where: string): { field: string; file: unknown; run: unknown } | null {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], where ? `${where}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : { field: where, file: a, run: b };
}

/**
 * The first parameter two campaigns differ in, or null. The model's path is only recorded: the same
 * model given by another path spelling (or on another machine) is the same campaign, its CRC decides.
 */
export function paramsDifference(a: CampaignParams, b: CampaignParams): { field: string; file: unknown; run: unknown } | null {
  return firstDifference({ ...a, model: null }, { ...b, model: null }, '');
}

const FLAG_OF: Partial<Record<string, string>> = {
  model: '--model', modelCrc: '--model', config: '--config', sites: '--sites', fault: '--fault', bitsPerUpset: '--bits-per-upset',
  seed: '--seed', images: '--images', imagesCrc: '--images', samples: '--samples (or --margin/--confidence)', margin: '--margin', confidence: '--confidence', population: '--sites/--images',
};

/** E155 when a resumed file was written by a campaign with other parameters. */
export function checkResumeParams(file: string, header: CampaignParams, run: CampaignParams): void {
  const d = paramsDifference(header, run);
  if (!d) return;
  const flag = FLAG_OF[d.field.split('.')[0]!] ?? 'the flags';
  throw new DiagnosticError([msg.campaignMismatch(file, d.field, JSON.stringify(d.file) ?? 'missing', JSON.stringify(d.run) ?? 'missing', `resume with the ${flag} of the run that wrote it, or start a new results file with --out`)]);
}

