import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadParamsFile,
  nodeIdentityFromArgs,
  nodePatternMatches,
  overridesForNode,
  parseParamsYaml,
  parseRosArgs,
} from '../../../nodes/core/graph/ros-args';

const noCli = { params: {}, nodeParams: {} };

describe('ROS 2 parameter files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-params-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads wildcard, namespaced and nested blocks and flattens nested parameters with dots', () => {
    const path = join(dir, 'care.yaml');
    writeFileSync(
      path,
      [
        '/**:',
        '  ros__parameters:',
        '    robot_id: care-007',
        '    use_sim_time: false',
        'robot1:',
        '  safety_gate:',
        '    ros__parameters:',
        '      zones:',
        '        stop_m: 0.4',
        '        slow_m: 1.2',
        '      sources: [scan, odom]',
        '/robot1/perception:',
        '  ros__parameters:',
        '    scan_topic: front/scan',
      ].join('\n'),
    );
    const blocks = loadParamsFile(path);
    expect(blocks.map((b) => b.pattern)).toEqual(['/**', '/robot1/safety_gate', '/robot1/perception']);
    expect(overridesForNode(blocks, noCli, 'safety_gate', '/robot1')).toEqual({
      robot_id: 'care-007',
      use_sim_time: false,
      'zones.stop_m': 0.4,
      'zones.slow_m': 1.2,
      sources: ['scan', 'odom'],
    });
    expect(overridesForNode(blocks, { params: { robot_id: 'cli' }, nodeParams: {} }, 'perception', '/robot1')).toEqual({
      robot_id: 'cli',
      use_sim_time: false,
      scan_topic: 'front/scan',
    });
    expect(overridesForNode(blocks, noCli, 'perception', '/robot2')).toEqual({
      robot_id: 'care-007',
      use_sim_time: false,
    });
  });

  it('matches node patterns with * (one token) and ** (any number of tokens)', () => {
    expect(nodePatternMatches('/**', '/a/b/c')).toBe(true);
    expect(nodePatternMatches('/*/gate', '/r1/gate')).toBe(true);
    expect(nodePatternMatches('/*/gate', '/gate')).toBe(false);
    expect(nodePatternMatches('/**/gate', '/gate')).toBe(true);
    expect(nodePatternMatches('/**/gate', '/f/r1/gate')).toBe(true);
    expect(nodePatternMatches('/gate', '/r1/gate')).toBe(false);
  });

  it('reads unquoted yes/no/on/off as booleans like rcl, but keeps quoted ones as strings', () => {
    const [block] = parseParamsYaml(
      '/**:\n  ros__parameters:\n    a: yes\n    b: Off\n    c: "yes"\n    d: [on, n]\n',
      'b.yaml',
    );
    expect(block!.params).toEqual({ a: true, b: false, c: 'yes', d: [true, false] });
  });

  it('names the file and the key for a bad file', () => {
    expect(() => parseParamsYaml('a: [1, 2', 'x.yaml')).toThrow(/x\.yaml is not valid YAML \(line 1\)/);
    expect(() => parseParamsYaml('gate:\n  stop_m: 1\n', 'y.yaml')).toThrow(
      /y\.yaml: key 'gate\/stop_m' is not under `ros__parameters`/,
    );
    expect(() => parseParamsYaml('gate:\n  ros__parameters:\n    mix: [1, a]\n', 'z.yaml')).toThrow(
      /z\.yaml: parameter 'mix' must be an array of one type/,
    );
    expect(() => parseParamsYaml('gate:\n  ros__parameters:\n    nothing:\n', 'n.yaml')).toThrow(
      /parameter 'nothing' has no value/,
    );
    expect(() => loadParamsFile(join(dir, 'missing.yaml'))).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_PARAM_FILE', message: expect.stringContaining('missing.yaml') }),
    );
  });
});

describe('--ros-args', () => {
  it('parses parameters, files, remaps, node name, namespace and log level, leaving the rest', () => {
    const args = parseRosArgs([
      'run',
      '--ros-args',
      '-p',
      'rate_hz:=20',
      '-p',
      'robot_id:=r1',
      '--params-file',
      'care.yaml',
      '-r',
      'scan:=front/scan',
      '-r',
      'gate:cmd_vel:=/base/cmd_vel',
      '-r',
      '__node:=gate2',
      '-r',
      '__ns:=/r1',
      '--log-level',
      'debug',
      '--',
      'extra',
    ]);
    expect(args.params).toEqual({ rate_hz: 20, robot_id: 'r1' });
    expect(args.paramsFiles).toEqual(['care.yaml']);
    expect(args.remappings).toEqual([
      { from: 'scan', to: 'front/scan' },
      { from: 'cmd_vel', to: '/base/cmd_vel', node: 'gate' },
    ]);
    expect(args.nodeName).toBe('gate2');
    expect(args.namespace).toBe('/r1');
    expect(nodeIdentityFromArgs(args, 'anything')).toEqual({ name: 'gate2', namespace: '/r1' });
    expect(args.logLevel).toBe('debug');
    expect(args.rest).toEqual(['run', 'extra']);
  });

  it('scopes -p node:name:=value and -r node:__node:= to the named node only', () => {
    const args = parseRosArgs([
      '--ros-args',
      '-p',
      'cam:rate:=1',
      '-p',
      'enabled:=on',
      '-r',
      'cam:__node:=front_cam',
      '-r',
      'cam:__ns:=/r2',
    ]);
    expect(args.params).toEqual({ enabled: true });
    expect(overridesForNode([], args, 'cam', '/')).toEqual({ enabled: true, rate: 1 });
    expect(overridesForNode([], args, 'gate', '/')).toEqual({ enabled: true });
    expect(nodeIdentityFromArgs(args, 'cam')).toEqual({ name: 'front_cam', namespace: '/r2' });
    expect(nodeIdentityFromArgs(args, 'gate')).toEqual({ name: 'gate', namespace: '/' });
  });

  it('rejects malformed flags with a specific message', () => {
    expect(() => parseRosArgs(['--ros-args', '-p', 'novalue'])).toThrow(/-p expects name:=value, got 'novalue'/);
    expect(() => parseRosArgs(['--ros-args', '--params-file'])).toThrow(/--params-file needs a value/);
    expect(() => parseRosArgs(['--ros-args', '--bogus'])).toThrow(expect.objectContaining({ code: 'KZ_ERR_ROS_ARGS' }));
  });

  it('refuses a malformed remap rule or log level while parsing, as rcl does, not on a later name lookup', () => {
    expect(() => parseRosArgs(['--ros-args', '-r', 'scan:=front scan'])).toThrow(
      /--ros-args: remap rule 'scan:=front scan': to: invalid topic or service name/,
    );
    expect(() => parseRosArgs(['--ros-args', '-r', '9scan:=front'])).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_ROS_ARGS' }),
    );
    expect(() => parseRosArgs(['--ros-args', '-r', '__ns:=/robot1/'])).toThrow(/must not end with '\/'/);
    expect(() => parseRosArgs(['--ros-args', '-r', '__node:=bad-name'])).toThrow(/invalid node name/);
    expect(() => parseRosArgs(['--ros-args', '--log-level', 'LOUD'])).toThrow(
      /--log-level must be one of debug, info, warn, warning, error, fatal, got 'LOUD'/,
    );
    expect(parseRosArgs(['--ros-args', '--log-level', 'WARN']).logLevel).toBe('WARN');
  });
});
