import { describe, it, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/** Runs the kizuna CLI from source, as `kizuna ...` would after a build. */
function kizuna(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return kizunaWithEnv(process.env, ...args);
}

/** The environment without ROS 2 (as on a machine where it was never sourced), even inside `npm test`'s sandbox. */
function withoutRos(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(ROS_|RMW_|AMENT_|COLCON_|KIZUNA_ROS_)|^(LD_LIBRARY_PATH|CMAKE_PREFIX_PATH|PYTHONPATH)$/.test(k))
      delete env[k];
  }
  return env;
}

function kizunaWithEnv(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [join(root, 'nodes', 'cli', 'kizuna.ts'), ...args], {
    encoding: 'utf8',
    timeout: 30000,
    env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kizuna command line', () => {
  it('runs the foundation demo: scans in, nearest points out, the bad message rejected', () => {
    const r = kizuna('demo', '--duration', '0.5');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/started node \/demo\/example_nearest/);
    expect(r.stdout).toMatch(/QoS report: subscription on \/demo\/scan is incompatible \(reliability\)/);
    expect(r.stdout).toMatch(/KZ_ERR_MSG_INVALID: .*field 'rangs'/);
    expect(r.stdout).toMatch(/done: 5 scans published, 5 nearest points received, 1 bad message rejected/);
  });

  it('exits 2 with a specific message and the usage for a bad flag or command', () => {
    const bad = kizuna('demo', '--duration', 'soon');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/KZ_ERR_CLI_USAGE: --duration needs a number of seconds in \(0, 600\], got 'soon'/);
    expect(bad.stderr).toMatch(/usage: kizuna <command>/);
    const unknown = kizuna('fly');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'fly'/);
    expect(kizuna('run', 'nope').stderr).toMatch(/unknown node 'nope'; known: example_nearest/);
  });

  it('fails to run a node on rclnodejs without ROS 2, saying how to fix it', () => {
    const r = kizunaWithEnv(withoutRos(), 'run', 'example_nearest', '--graph', 'rclnodejs');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/KZ_ERR_RCLNODEJS_UNAVAILABLE: .*source.*ROS 2/i);
  });

  it('reports a malformed --ros-args flag with its code', () => {
    const r = kizuna('run', 'example_nearest', '--ros-args', '-p', 'max_age_s');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/KZ_ERR_ROS_ARGS: --ros-args: -p expects name:=value, got 'max_age_s'/);
  });

  it('lists the nodes it can run and prints its version', () => {
    expect(kizuna('nodes').stdout.trim().split('\n')).toContain('example_nearest');
    expect(kizuna('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
