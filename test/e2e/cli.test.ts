import { describe, it, expect } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
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

  it('fails to run a node on rclnodejs without ROS 2, saying how to fix it, without internal paths', () => {
    const r = kizunaWithEnv(withoutRos(), 'run', 'example_nearest', '--graph', 'rclnodejs');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/KZ_ERR_RCLNODEJS_UNAVAILABLE: .*source.*ROS 2/i);
    expect(r.stderr).not.toMatch(/Require stack/);
    expect(r.stderr).not.toContain(root);
  });

  it('exits 2 for any wrong command line, --ros-args included, as kizuna --help documents', () => {
    const r = kizuna('run', 'example_nearest', '--ros-args', '-p', 'max_age_s');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KZ_ERR_ROS_ARGS: --ros-args: -p expects name:=value, got 'max_age_s'/);
    const loud = kizuna('run', 'example_nearest', '--ros-args', '--log-level', 'LOUD');
    expect(loud.status).toBe(2);
    expect(loud.stderr).toMatch(
      /KZ_ERR_ROS_ARGS: --ros-args: --log-level must be one of debug, info, warn, warning, error, fatal, got 'LOUD'/,
    );
    expect(kizuna('--help').stdout).toMatch(/exit status:[\s\S]*2 {2}the command line itself is wrong/);
  });

  it('keeps running until a signal even when nothing else holds the event loop (sim time, no /clock)', async () => {
    const child = spawn(
      tsx,
      [
        join(root, 'nodes', 'cli', 'kizuna.ts'),
        'run',
        'example_nearest',
        '--json-logs',
        '--ros-args',
        '-p',
        'use_sim_time:=true',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait for the start line (slow under load), then check it is still running 1.5 s later.
    for (let i = 0; i < 150 && !/Ctrl-C stops it/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/Ctrl-C stops it/);
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r('running'), 1500))]);
    expect(early).toBe('running');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('runs example_nearest from the example parameter file and warns "no scan yet" once, throttled', async () => {
    const child = spawn(
      tsx,
      [
        join(root, 'nodes', 'cli', 'kizuna.ts'),
        'run',
        'example_nearest',
        '--json-logs',
        '--ros-args',
        '--params-file',
        join(root, 'nodes', 'example_nearest', 'params.example.yaml'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait for the start line, then 2.5 s: five 0.5 s checks inside one 5 s throttle window.
    for (let i = 0; i < 100 && !/Ctrl-C stops it/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const warnings = stderr.split('\n').filter((l) => l.includes('no scan on'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no scan on '\/scan' yet/);
    expect(stderr).not.toMatch(/Infinity/);
  });

  it('lists the nodes it can run and prints its version', () => {
    expect(kizuna('nodes').stdout.trim().split('\n')).toContain('example_nearest');
    expect(kizuna('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
