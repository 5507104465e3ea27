/**
 * The same hostile files through the `kizuna` command, as a child process: `run --params-file`,
 * `launch --params --dry-run` and `sim --scenario` each exit 1 with the file's error code and one short
 * printable reason on stderr (no stack trace, nothing of the file echoed raw); a hostile command line is
 * exit 2.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectShortPrintable, writeHostileFiles } from '../helpers/hostile-files';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function kizuna(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [join(root, 'nodes', 'cli', 'kizuna.ts'), ...args], {
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stderr of a refused start: exactly one line `kizuna: <code>: <reason>`. */
function expectRefusal(r: ReturnType<typeof kizuna>, code: string, reason: RegExp): void {
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^kizuna: ${code}: `));
  expect(lines[0]).toMatch(reason);
  expectShortPrintable(lines[0]!);
}

describe('kizuna with hostile files', () => {
  let dir: string;
  let files: ReturnType<typeof writeHostileFiles>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-hostile-cli-'));
    files = writeHostileFiles(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kizuna run refuses each parameter file with KZ_ERR_PARAM_FILE, exit 1, one printable line', () => {
    for (const what of [
      'alias bomb',
      'deep flow nesting',
      'binary garbage',
      'a 100 MB file',
      'Latin-1 text',
      'an ANSI escape',
      'a directory',
    ]) {
      const r = kizuna('run', 'example_nearest', '--ros-args', '--params-file', files[what]!.file);
      expectRefusal(r, 'KZ_ERR_PARAM_FILE', files[what]!.reason);
    }
  }, 240000);

  it('kizuna sim --scenario refuses each with KZ_ERR_SCENARIO_INVALID, exit 1, one printable line', () => {
    for (const what of ['alias bomb', 'duplicate keys', 'binary garbage', 'a 100 MB file', 'a directory']) {
      const r = kizuna('sim', '--scenario', files[what]!.file);
      const reason = what === 'alias bomb' ? /an alias bomb/ : files[what]!.reason;
      expectRefusal(r, 'KZ_ERR_SCENARIO_INVALID', reason);
    }
  }, 240000);

  it('kizuna launch --dry-run fails the parameter file check with the code and no misleading per-node checks', () => {
    for (const what of ['alias bomb', 'binary garbage']) {
      const r = kizuna(
        'launch',
        '--profile',
        'delivery',
        '--robot-id',
        'r1',
        '--params',
        files[what]!.file,
        '--dry-run',
      );
      expect(r.status).toBe(1);
      const out = r.stdout + r.stderr;
      const line = out.split('\n').find((l) => l.startsWith('FAIL  parameter file'));
      expect(line).toMatch(/KZ_ERR_PARAM_FILE: /);
      expect(line).toMatch(files[what]!.reason);
      expectShortPrintable(line!);
      expect(out).not.toMatch(/parameters +valid, but the file has no section/);
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/);
    }
  }, 120000);

  it('exits 2 for hostile --ros-args, printing them escaped', () => {
    const r = kizuna('run', 'example_nearest', '--ros-args', '-p', 'a:=&x [1, *x]', '-r', '\x1b[2J:=x');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^kizuna: KZ_ERR_ROS_ARGS: --ros-args: -p a: value '&x \[1, \*x\]' uses a YAML alias/);
    const esc = kizuna('run', 'example_nearest', '--ros-args', '-r', '\x1b[2J:=x');
    expect(esc.status).toBe(2);
    expect(esc.stderr).toContain('\\x1b[2J');
    expect(esc.stderr).not.toContain('\x1b');
  }, 60000);
});
