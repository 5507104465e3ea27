/**
 * Parameter files and scenario files the robot did not write: an alias bomb, deep nesting, duplicate
 * keys, binary garbage, a 100 MB file, bytes that are not UTF-8, control characters, a directory, a
 * FIFO. Each is refused with its own code (KZ_ERR_PARAM_FILE, KZ_ERR_SCENARIO_INVALID) and one short
 * printable reason, and none is read past its size limit. Real files in a temporary folder.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARAM_FILE_MAX_BYTES, loadParamsFile, parseRosArgs } from '../../../nodes/core/graph/ros-args';
import { printable } from '../../../nodes/core/printable';
import { readTextFile } from '../../../nodes/core/text-file';
import { parseYamlSafe } from '../../../nodes/core/yaml-safe';
import { loadScenario } from '../../../sim/scenario';
import { expectShortPrintable, refusal, writeHostileFiles } from '../../helpers/hostile-files';

describe('hostile parameter and scenario files', () => {
  let dir: string;
  let files: ReturnType<typeof writeHostileFiles>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-hostile-'));
    files = writeHostileFiles(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses each as KZ_ERR_PARAM_FILE with one short printable reason', () => {
    for (const [what, { file, reason }] of Object.entries(files)) {
      const message = refusal(() => loadParamsFile(file), 'KZ_ERR_PARAM_FILE');
      expect({ what, message }).toEqual({ what, message: expect.stringMatching(reason) });
      expect(message).toContain(file);
      expectShortPrintable(message);
    }
  });

  it('refuses each as KZ_ERR_SCENARIO_INVALID with one short printable reason', () => {
    for (const [what, { file, reason }] of Object.entries(files)) {
      const message = refusal(() => loadScenario(file), 'KZ_ERR_SCENARIO_INVALID');
      // The scenario format allows up to 100 alias expansions; the bomb has far more.
      const want = what === 'alias bomb' ? /expands aliases more than 100 times \(an alias bomb\?\)/ : reason;
      expect({ what, message }).toEqual({ what, message: expect.stringMatching(want) });
      expectShortPrintable(message);
    }
  });

  it('refuses the alias bomb quickly, before expanding it', () => {
    const t0 = performance.now();
    refusal(() => loadParamsFile(files['alias bomb']!.file), 'KZ_ERR_PARAM_FILE');
    refusal(() => loadScenario(files['alias bomb']!.file), 'KZ_ERR_SCENARIO_INVALID');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = join(dir, 'fifo.yaml');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here: nothing to test
    }
    expect(refusal(() => loadParamsFile(fifo), 'KZ_ERR_PARAM_FILE')).toMatch(/is not a regular file/);
  });

  it('refuses a file that is small when looked at and grows past the limit while read (reads at most limit + 1 bytes)', () => {
    const f = join(dir, 'exact.yaml');
    writeFileSync(f, Buffer.alloc(PARAM_FILE_MAX_BYTES, 0x20));
    expect(readTextFile(f, PARAM_FILE_MAX_BYTES).ok).toBe(true);
    expect(readTextFile(f, PARAM_FILE_MAX_BYTES - 1)).toEqual({ ok: false, why: expect.stringMatching(/more than/) });
  });

  it('still reads a good file, with a byte-order mark, rcl booleans and the file named in a key error', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, '\ufeffgate:\n  ros__parameters:\n    enabled: yes\n    stop_m: 0.5\n    names: [a, b]\n');
    expect(loadParamsFile(good)).toEqual([
      { pattern: '/gate', params: { enabled: true, stop_m: 0.5, names: ['a', 'b'] }, source: good },
    ]);
    const badKey = join(dir, 'badkey.yaml');
    writeFileSync(badKey, 'gate:\n  ros__parameters:\n    "__proto__": [1]\n');
    expect(refusal(() => loadParamsFile(badKey), 'KZ_ERR_PARAM_FILE')).toMatch(
      /parameter name '__proto__' is not allowed/,
    );
    const tagged = join(dir, 'tagged.yaml');
    writeFileSync(tagged, 'gate:\n  ros__parameters:\n    blob: !!binary aGVsbG8=\n');
    expect(refusal(() => loadParamsFile(tagged), 'KZ_ERR_PARAM_FILE')).toMatch(
      /parameter 'blob' has an unsupported value \(binary data\)/,
    );
  });

  it('escapes what the file says when a key is named: a key made of escapes prints as text', () => {
    const f = join(dir, 'esc-key.yaml');
    // YAML escapes in a quoted key are legal text; the key itself then holds ESC and BEL.
    writeFileSync(f, 'gate:\n  notparams: { "\\e[31mred\\a": 1 }\n');
    const message = refusal(() => loadParamsFile(f), 'KZ_ERR_PARAM_FILE');
    expect(message).toContain("key 'gate/notparams/\\x1b[31mred\\x07' is not under `ros__parameters`");
    expectShortPrintable(message);
  });

  it('refuses hostile -p values on the command line as KZ_ERR_ROS_ARGS, printable', () => {
    const cases: Array<[string, RegExp]> = [
      ['a:=&x [1, *x]', /uses a YAML alias/],
      [`a:=${'['.repeat(5000)}`, /nests more than 2 levels deep|is not valid YAML/],
      ['a:={b: 1}', /unsupported value \(object\)/],
      ['a:=[[1], [2]]', /must be an array of one type/],
      ['a:=.nan', /not a finite number/],
      ['\x1b[2J:=1', /is not a parameter name/],
      ['__proto__:=[1]', /is not a parameter name/],
      ['gate::=1', /'' is not a parameter name/],
      ['bad node!:x:=1', /is not a node name/],
    ];
    for (const [arg, why] of cases) {
      const message = refusal(() => parseRosArgs(['--ros-args', '-p', arg]), 'KZ_ERR_ROS_ARGS');
      const label = arg.slice(0, 40);
      expect({ label, message }).toEqual({ label, message: expect.stringMatching(why) });
      expectShortPrintable(message);
    }
  });
});

describe('the safe YAML reader and printable text', () => {
  it('bounds, escapes and keeps well-formed text', () => {
    expect(printable('a\x1b[31mb\u202ec\n')).toBe('a\\x1b[31mb\\u202ec\\x0a');
    expect(printable('x'.repeat(10), 4)).toBe('xxxx…');
    expect(printable('\ud83d')).toBe('\ufffd');
    expect(printable('line1\nline2', 100, true)).toBe('line1\nline2');
  });

  it('never throws for mangled YAML, and reports each failure with a reason', () => {
    const base = 'gate:\n  ros__parameters:\n    a: &x [1, 2]\n    b: *x\n    c: {d: "e", f: [g, h]}\n';
    const alphabet = ' :-[]{}#&*!|>\'"%@`,\n\t?0123456789.abc\\';
    let x = 12345;
    const rnd = (n: number): number => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      let t = base;
      for (let e = 0; e <= rnd(4); e++) {
        const at = rnd(t.length + 1);
        t = `${t.slice(0, at)}${alphabet[rnd(alphabet.length)]}${t.slice(at + rnd(3))}`;
      }
      const r = parseYamlSafe(t, { maxDepth: 8, maxAliasCount: 10 });
      if (!r.ok) {
        refused++;
        expect(r.why).toMatch(/^(is not valid YAML|nests more than|expands aliases|uses a YAML alias)/);
        expectShortPrintable(r.why);
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});
