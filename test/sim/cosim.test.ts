// Co-simulation with Verilator (DESIGN.md §4): real designs agree cycle for cycle with the compiled
// TypeScript simulator, a tampered Verilog text is caught with the exact cycle, signal and values,
// and Verilator is found (or its absence explained). These tests never skip: without Verilator they
// fail with the E103 installation hint (CI installs Verilator with apt-get).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { build, defineModule, SInt, UInt, cat } from '../../hdl/dsl/index.js';
import type { Design } from '../../hdl/ir/index.js';
import type { VerilogFile } from '../../hdl/verilog.js';
import { DiagnosticError } from '../../hdl/diagnostics.js';
import { counter } from '../../gen/counter.js';
import { mac } from '../../gen/mac.js';
import {
  cosim,
  cosimBatch,
  cosimPassed,
  decodeOutputs,
  defaultToolchain,
  describeMismatch,
  encodeStimulus,
  locateVerilator,
  parseVersion,
  type HarnessSpec,
  type Toolchain,
} from '../../sim/verilator/index.js';
import { runProgram } from '../../sim/verilator/run.js';

const BUILD_TIMEOUT = 600_000;

let toolchain: Toolchain;
beforeAll(async () => {
  toolchain = await defaultToolchain();
}, BUILD_TIMEOUT);

/** Wide and mixed-sign ports: VlWide (> 64 bits), QData (33..64) and IData/CData words in the harness. */
function wideMix(): Design {
  return build(
    defineModule({ name: 'wide_mix' }, (m) => {
      const a = m.input('a', UInt(100));
      const b = m.input('b', SInt(65));
      const c = m.input('c', SInt(33));
      m.output('sum', a.add(b));
      m.output('prod', b.mul(c));
      m.output('negative', b.lt(0));
      const packedReg = m.reg('packed_q', UInt(128), { reset: 1 });
      packedReg.set(cat(a.trunc(64), b.asUnsigned().trunc(64)));
      m.output('packed_out', packedReg);
    }),
  );
}

/** A register inside an instance whose upper bits never reach an output: only the VCD sees them. */
function shadowTop(): Design {
  const child = defineModule({ name: 'shadow_acc' }, (m) => {
    const inc = m.input('inc', UInt(8));
    const shadow = m.reg('shadow', UInt(8), { reset: 0 });
    shadow.set(shadow.add(inc).trunc(8));
    m.output('lsb', shadow.bit(0));
  });
  return build(
    defineModule({ name: 'shadow_top' }, (m) => {
      const u0 = m.instance('u0', child, { inc: m.input('inc', UInt(8)) });
      m.output('lsb', u0.out('lsb'));
    }),
  );
}

/** Replace exactly one match of `pattern` in the design's files (the tamper must really happen). */
function tamper(pattern: RegExp, replacement: string): (files: VerilogFile[]) => VerilogFile[] {
  return (files) => {
    const hits = files.filter((f) => pattern.test(f.text));
    if (hits.length !== 1) throw new Error(`tamper pattern ${pattern} must match one file, not ${hits.length}`);
    return files.map((f) => (pattern.test(f.text) ? { ...f, text: f.text.replace(pattern, replacement) } : f));
  };
}

describe('locating Verilator', () => {
  it('finds Verilator 5.x and reports its version', () => {
    expect(toolchain.version).toMatch(/^Verilator 5\.\d{3}$/);
    expect(parseVersion('Verilator 5.006 2023-01-22 rev (Debian 5.006-3)')).toEqual({ version: 'Verilator 5.006', major: 5 });
    expect(parseVersion('Verilator 4.038 2020-07-11')).toEqual({ version: 'Verilator 4.038', major: 4 });
  });

  it('fails with E103 and how to install Verilator or Docker when neither is found', async () => {
    const emptyPath = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-nopath-'));
    const err = await locateVerilator({ env: { PATH: emptyPath } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics[0]!;
    expect(d.code).toBe('E103');
    expect(d.message).toContain('Verilator must be version 5.x on PATH or a running Docker engine, not verilator missing from PATH and no Docker client');
    expect((err as Error).message).toContain("apt-get install -y verilator");
    expect((err as Error).message).toContain("brew install verilator");
    expect((err as Error).message).toContain('docker/Dockerfile');
  });

  it('runs Verilator through Docker with the same paths mounted, as the calling user', async () => {
    // A stand-in `docker` client: answers info/image inspect, and runs `docker run ... <image> argv` natively.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'splitfuse-fakedocker-'));
    const fake = path.join(dir, 'docker');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        'case "$1" in',
        '  info) echo 24.0.0; exit 0;;',
        '  image) exit 0;;',
        '  run) shift',
        '    while [ $# -gt 0 ]; do',
        '      case "$1" in',
        '        --rm) shift;;',
        '        --network|--user|--volume) shift 2;;',
        '        --workdir) cd "$2" || exit 3; shift 2;;',
        '        *) break;;',
        '      esac',
        '    done',
        '    shift',
        '    exec "$@";;',
        'esac',
        'exit 1',
        '',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    const docker = await locateVerilator({ preferDocker: true, docker: fake });
    expect(docker.kind).toBe('docker');
    expect(docker.version).toBe(toolchain.version);
    expect(docker.image).toMatch(/^splitfuse-verilator:[0-9a-f]{12}$/);
    const cmd = docker.invocation(['verilator', '--version'], dir, ['/opt/cache']);
    expect(cmd.file).toBe(fake);
    expect(cmd.args).toEqual([
      'run', '--rm', '--network', 'none',
      '--user', `${process.getuid!()}:${process.getgid!()}`,
      '--volume', `${dir}:${dir}`, '--volume', '/opt/cache:/opt/cache',
      '--workdir', dir, docker.image!, 'verilator', '--version',
    ]);
    const r = await runProgram(cmd.file, cmd.args);
    expect(r.stdout).toContain(toolchain.version);
  });
});

describe('harness files', () => {
  it('round-trips every port width through the 32-bit word layout', () => {
    const widths = [1, 8, 31, 32, 33, 64, 65, 100, 128];
    const ports = widths.map((width, i) => ({ name: `p${i}`, width }));
    const spec: HarnessSpec = { topModule: 't', clock: 'clk', inputs: ports, outputs: ports };
    const rows = [widths.map((w) => (1n << BigInt(w)) - 1n), widths.map((w) => 1n << BigInt(w - 1)), widths.map(() => 0n)];
    // An output file has the same layout as a stimulus file, apart from its magic word.
    const bytes = encodeStimulus(spec, rows);
    bytes.write('SFOT', 0, 'latin1');
    expect(decodeOutputs(spec, bytes)).toEqual(rows);
    expect(() => encodeStimulus(spec, [[2n]])).toThrow(/1-bit pattern/);
  });
});

describe('co-simulation against Verilator', () => {
  const designs = () => [
    build(counter({ width: 8 })),
    build(mac({ width: 8, signed: true, accWidth: 32 })),
    build(mac({ width: 16, signed: false, accWidth: 48 })),
    wideMix(),
  ];

  it(
    'a counter, two MACs and a wide mixed-sign design agree on every output and register, every cycle',
    async () => {
      const results = await cosimBatch(
        designs().map((design, i) => ({ design, cycles: 300, seed: 11 + i })),
        { compareRegisters: true, toolchain },
      );
      for (const r of results) {
        expect(r.error, describeMismatch(r)).toBeUndefined();
        expect(r.mismatches, describeMismatch(r)).toBe(0);
        expect(r.missingRegisters).toEqual([]);
        expect(r.registersCompared).toBeGreaterThanOrEqual(1);
        expect(r.cycles).toBe(300);
        expect(r.simulator).toBe(toolchain.version);
        expect(r.tsSimulator).toBe('compiled');
        expect(r.designsInBuild).toBe(4);
      }
      expect(results.map((r) => r.design)).toEqual(['counter_w8', 'mac_s8_acc32', 'mac_u16_acc48', 'wide_mix']);
      // The same batch again comes from the content-addressed cache.
      const again = await cosimBatch(
        designs().map((design, i) => ({ design, cycles: 300, seed: 11 + i })),
        { compareRegisters: true, toolchain },
      );
      expect(again.every((r) => r.cached && cosimPassed(r))).toBe(true);
      expect(again[0]!.buildDir).toBe(results[0]!.buildDir);
      expect(again[0]!.buildSeconds).toBe(results[0]!.buildSeconds);
    },
    BUILD_TIMEOUT,
  );

  it(
    'reports the first divergence of a tampered reset value with cycle, signal, expected and actual',
    async () => {
      const design = build(mac({ width: 8, signed: true, accWidth: 32 }));
      const idle = { rst: 0, en: 0, clear: 0, a: 0, b: 0 };
      const stimulus = [idle, idle, idle, { ...idle, rst: 1 }, ...Array.from({ length: 8 }, () => ({ ...idle, en: 1, a: 2, b: 3 }))];
      const r = await cosim(design, {
        stimulus,
        toolchain,
        testOnlyPatchVerilog: tamper(/if \(rst\) acc_q <= [^;]+;/, "if (rst) acc_q <= 32'd7;"),
      });
      // Power-on value 0 in both until the reset at edge 3; from cycle 4 Verilator is 7 ahead.
      expect(r.firstMismatch).toEqual({ cycle: 4, signal: 'acc', expected: 0n, actual: 7n });
      expect(r.mismatches).toBe(8);
      expect(r.cycles).toBe(12);
      expect(cosimPassed(r)).toBe(false);
      expect(describeMismatch(r)).toBe(
        `mac_s8_acc32: first mismatch at cycle 4 on 'acc': expected 0 (compiled TypeScript simulator), actual 7 (${toolchain.version}); ` +
          '8 mismatching values in 12 cycles',
      );
    },
    BUILD_TIMEOUT,
  );

  it(
    'finds a register that differs only in bits no output shows, by its hierarchical name',
    async () => {
      const stimulus = Array.from({ length: 20 }, (_, t) => ({ rst: t === 0 ? 1 : 0, inc: (t * 37) % 256 }));
      const r = await cosim(shadowTop(), {
        stimulus,
        compareRegisters: true,
        toolchain,
        testOnlyPatchVerilog: tamper(/if \(rst\) shadow <= [^;]+;/, "if (rst) shadow <= 8'd2;"),
      });
      // An even offset never changes bit 0, so only the register comparison sees it: every cycle after the reset.
      expect(r.firstMismatch).toEqual({ cycle: 1, signal: 'u0.shadow', expected: 0n, actual: 2n });
      expect(r.mismatches).toBe(19);
      expect(r.registersCompared).toBe(1);
    },
    BUILD_TIMEOUT,
  );

  it(
    'in a batch, sets aside a design whose Verilog Verilator rejects and still checks the others',
    async () => {
      const results = await cosimBatch(
        [{ design: build(counter({ width: 8 })) }, { design: build(mac({ width: 8, signed: true, accWidth: 32 })) }],
        {
          toolchain,
          cycles: 50,
          testOnlyPatchVerilog: (files, index) => (index === 1 ? tamper(/assign acc = acc_q;/, 'assign acc = acc_q_missing;')(files) : files),
        },
      );
      expect(cosimPassed(results[0]!)).toBe(true);
      expect(results[0]!.designsInBuild).toBe(1);
      expect(results[1]!.error).toMatch(/acc_q_missing/);
      expect(describeMismatch(results[1]!)).toContain(`mac_s8_acc32: ${toolchain.version} rejects the emitted Verilog`);
      expect(cosimPassed(results[1]!)).toBe(false);
    },
    BUILD_TIMEOUT,
  );

  it('checks the stimulus against the design before building', async () => {
    const design = build(counter({ width: 8 }));
    await expect(cosim(design, { stimulus: [{ rst: 1, enable: 1 }], toolchain })).rejects.toThrow(
      "Stimulus name at cycle 0 must be an input of 'counter_w8' (rst, en), not 'enable'",
    );
    await expect(cosim(design, { stimulus: [{ en: 2 }], toolchain })).rejects.toThrow("Stimulus value of 'en' at cycle 0 must fit in 1 bits, not 2");
    await expect(cosim(design, { stimulus: [{ en: 1 }], cycles: 2, toolchain })).rejects.toThrow("Stimulus of 'counter_w8' must cover 2 cycles, not 1");
  });
});
