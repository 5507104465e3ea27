/**
 * Malformed and hostile command lines, class by class: `--ros-args` (missing values, malformed
 * assignments, non-finite numbers, hostile YAML in values, bad names, control characters, overlong
 * values) and the flags of `kizuna sim`, `launch`, `status` and `doctor` (non-numbers, out-of-range
 * numbers, MQTT wildcards and escapes in ids, a directory where a file is written). Each is refused
 * with its code (KZ_ERR_ROS_ARGS, KZ_ERR_CLI_USAGE) and a message naming the flag, short and printable.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorCode } from '../../../nodes/core/errors';
import { parseRosArgs } from '../../../nodes/core/graph/ros-args';
import { parseSimArgs } from '../../../nodes/cli/sim';
import { parseLaunchArgs } from '../../../nodes/cli/launch';
import { parseStatusArgs } from '../../../nodes/cli/status';
import { parseDoctorArgs } from '../../../nodes/cli/doctor';
import { refusal } from '../../helpers/hostile-files';

/** The first line (usage text follows a usage error) is short and has no control character. */
function firstLine(message: string): string {
  const line = message.split('\n')[0]!;
  expect(line.length).toBeLessThan(400);
  // eslint-disable-next-line no-control-regex
  expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  return line;
}

function expectAll(code: ErrorCode, parse: (args: string[]) => unknown, cases: Array<[string[], RegExp]>): void {
  for (const [args, why] of cases) {
    const line = firstLine(refusal(() => parse(args), code));
    const label = args.join(' ').slice(0, 60);
    expect({ label, line }).toEqual({ label, line: expect.stringMatching(why) });
  }
}

describe('--ros-args, malformed or hostile', () => {
  const ros = (args: string[]): unknown => parseRosArgs(['--ros-args', ...args]);

  it('a flag without its value', () => {
    expectAll('KZ_ERR_ROS_ARGS', ros, [
      [['--params-file'], /--params-file needs a value/],
      [['-p'], /-p needs a value/],
      [['-r'], /-r needs a value/],
      [['--log-level'], /--log-level needs a value/],
      [['-e'], /-e needs a value/],
    ]);
  });

  it('a malformed assignment or an unknown flag', () => {
    expectAll('KZ_ERR_ROS_ARGS', ros, [
      [['-p', 'a'], /-p expects name:=value, got 'a'/],
      [['-p', ':=1'], /-p expects name:=value/],
      [['-r', ':=x'], /-r expects name:=value/],
      [['-r', 'scan:='], /invalid|empty/i],
      [['--param', 'a=1'], /expects name:=value/],
      [['--log-level', 'LOUD'], /--log-level must be one of/],
      [['--frobnicate'], /unknown argument '--frobnicate'/],
    ]);
  });

  it('numbers that are not finite', () => {
    expectAll('KZ_ERR_ROS_ARGS', ros, [
      [['-p', 'a:=.inf'], /not a finite number/],
      [['-p', 'a:=-.inf'], /not a finite number/],
      [['-p', 'a:=.nan'], /not a finite number/],
      [['-p', 'a:=1e999'], /not a finite number/],
      [['-p', 'a:=[1.0, .nan]'], /non-finite number/],
    ]);
  });

  it('values that are hostile YAML', () => {
    expectAll('KZ_ERR_ROS_ARGS', ros, [
      [['-p', 'a:=&x [1, *x, *x]'], /uses a YAML alias/],
      [['-p', `a:=${'['.repeat(100_000)}`], /nests more than 2 levels deep|is not valid YAML/],
      [['-p', 'a:={b: {c: 1}}'], /unsupported value \(object\)/],
      [['-p', 'a:=[[1], [2]]'], /must be an array of one type/],
      [['-p', 'a:=[1, x]'], /must be an array of one type/],
      [['-p', 'a:=!!binary aGVsbG8='], /unsupported value \(binary data\)/],
      [['-p', 'a:="\\e[2J"'], /has a control character in its text/],
      [['-p', 'a:=["ok", "\\0"]'], /has a control character in its text/],
      [['-p', 'a:=[unclosed'], /is not valid YAML/],
    ]);
  });

  it('names that are not names', () => {
    expectAll('KZ_ERR_ROS_ARGS', ros, [
      [['-p', '\x1b[2J:=1'], /'\\x1b\[2J' is not a parameter name/],
      [['-p', '__proto__:=[1]'], /is not a parameter name/],
      [['-p', 'gate::=1'], /'' is not a parameter name/],
      [['-p', 'bad node!:x:=1'], /is not a node name/],
      [['-p', '1abc:=1'], /is not a parameter name/],
      [['-r', '__node:=a/b'], /invalid node name 'a\/b'/],
      [['-r', '__node:=\x07bell'], /invalid node name '\\x07bell'/],
      [['-r', 'scan:=/a//b'], /contains '\/\/'/],
      [['-r', 'sc an:=x'], /invalid topic or service name/],
    ]);
  });

  it('an overlong value is refused with a bounded message that still names the reason', () => {
    const huge = `a:=[${'1,'.repeat(200_000)}x]`;
    const line = firstLine(refusal(() => ros(['-p', huge]), 'KZ_ERR_ROS_ARGS'));
    expect(line).toMatch(/must be an array of one type/);
    const name = firstLine(refusal(() => ros(['-p', `${'n'.repeat(100_000)}!:=1`]), 'KZ_ERR_ROS_ARGS'));
    expect(name).toMatch(/is not a parameter name/);
  });

  it('still takes what rcl takes: quoted strings, rcl booleans, node scope, --log-level name:=level', () => {
    const r = parseRosArgs([
      '--ros-args',
      '-p',
      "id:='0042'",
      '-p',
      'on:=yes',
      '-p',
      'gate:stop_m:=0.5',
      '-p',
      'qos_overrides./scan.subscription.depth:=5',
      '--log-level',
      'gate:=debug',
    ]);
    expect(r.params).toEqual({ id: '0042', on: true, 'qos_overrides./scan.subscription.depth': 5 });
    expect(r.nodeParams).toEqual({ gate: { stop_m: 0.5 } });
    expect(r.logLevel).toBe('debug');
  });
});

describe('kizuna flags, malformed or hostile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-args-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sim: numbers that are not numbers, not finite, out of range or not integers', () => {
    expectAll('KZ_ERR_CLI_USAGE', (a) => parseSimArgs(a), [
      [['--robots', 'NaN'], /--robots needs an integer in 1\.\.10000, got 'NaN'/],
      [['--robots', '1e9'], /--robots needs an integer/],
      [['--robots', '-1'], /--robots needs an integer/],
      [['--robots', '2.5'], /--robots needs an integer/],
      [['--robots', ''], /--robots needs an integer/],
      [['--speed', 'Infinity'], /--speed needs a factor in \[0, 1000\]/],
      [['--speed', '-0.5'], /--speed needs a factor/],
      [['--duration', '1e308'], /--duration needs seconds in \(0, 86400\]/],
      [['--duration', '0'], /--duration needs seconds/],
      [['--seed', '1.5'], /--seed needs an integer in 0\.\.4294967295/],
      [['--seed', '99999999999'], /--seed needs an integer/],
      [['--workers', '0'], /--workers needs an integer in 1\.\.256/],
      [['--robots'], /--robots needs an integer/],
      [['--planner', 'evil'], /planner/],
      [['--profile', '\x1b[31m'], /profile/],
      [['--bogus'], /unknown sim option '--bogus'/],
    ]);
  });

  it('sim: a directory where the report or the recording is written is refused before the run', () => {
    expectAll('KZ_ERR_CLI_USAGE', (a) => parseSimArgs(a), [
      [['--report', dir], /--report needs a file path, got the directory/],
      [['--report', ''], /--report needs a file path/],
      [['--mcap', dir], /--mcap needs a file path, got the directory/],
    ]);
    expect(parseSimArgs(['--report', join(dir, 'new', 'r.json')]).report).toBe(join(dir, 'new', 'r.json'));
  });

  it('launch, status and doctor: ids with MQTT wildcards or escapes, unknown profiles, bad broker URLs', () => {
    expectAll('KZ_ERR_CLI_USAGE', (a) => parseLaunchArgs(a), [
      [['--profile', 'delivery', '--robot-id', 'r/+#'], /--robot-id 'r\/\+#' is not one MQTT topic level/],
      [['--profile', 'delivery', '--robot-id', 'r\x1b[31m'], /--robot-id 'r\\x1b\[31m' is not one MQTT topic level/],
      [['--profile', 'delivery', '--robot-id', 'x'.repeat(65)], /is not one MQTT topic level/],
      [['--profile', 'nope', '--robot-id', 'r1'], /--profile must be one of/],
      [['--profile', 'delivery', '--robot-id', 'r1', '--broker', 'not a url'], /--broker must be an mqtt:\/\//],
      [['--profile', 'delivery', '--robot-id', 'r1', '--broker', 'file:///etc/passwd'], /--broker must be/],
    ]);
    expectAll('KZ_ERR_CLI_USAGE', (a) => parseStatusArgs(a), [
      [['--robot-id', 'a/#'], /robot-id/],
      [['--broker', 'javascript:alert(1)'], /broker/],
    ]);
    expectAll('KZ_ERR_CLI_USAGE', (a) => parseDoctorArgs(a), [
      [['--profile', 'evil'], /profile/],
      [['--broker', 'not a url'], /broker/],
    ]);
  });
});
