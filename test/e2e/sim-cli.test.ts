/**
 * `kizuna sim` command line: wrong flags and files get a specific error and exit status 2 (usage) or
 * 1 (a bad scenario, an unreachable broker); a failing pass criterion exits 1; a profile run picks the
 * profile's own scenario.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSimArgs } from '../../nodes/cli/sim';
import { freePort } from '../helpers/brokers';
import type { SimReport } from '../../sim/report/report';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kizuna(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'nodes', 'cli', 'kizuna.ts'), 'sim', ...args],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kizuna sim command line', () => {
  it('names the wrong flag or value', () => {
    expect(() => parseSimArgs(['--robots', '0'])).toThrow(/--robots needs an integer in 1\.\.10000, got '0'/);
    expect(() => parseSimArgs(['--speed', 'fast'])).toThrow(/--speed needs a factor in \[0, 1000\]/);
    expect(() => parseSimArgs(['--profile', 'drone'])).toThrow(/--profile must be one of care, factory/);
    expect(() => parseSimArgs(['--planner', 'smart'])).toThrow(/--planner must be reference, scripted or none/);
    expect(() => parseSimArgs(['--fleet', 'a/b'])).toThrow(/one MQTT topic level/);
    expect(() => parseSimArgs(['--report'])).toThrow(/--report needs a value/);
    expect(() => parseSimArgs(['--fly'])).toThrow(/unknown sim option '--fly'/);
    expect(parseSimArgs(['--robots', '100', '--speed', '0', '--workers', '2', '--seed', '7'])).toEqual({
      robots: 100,
      speed: 0,
      workers: 2,
      seed: 7,
    });
  });

  it('prints its usage with --help', () => {
    const r = kizuna('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: kizuna sim \[--scenario FILE\|NAME\] \[--robots N\]/);
    expect(r.stdout).toMatch(/--trusted-keys FILE +every robot also trusts the public keys in FILE/);
  });

  it('exits 2 for a usage error, 1 for a bad scenario file (naming the field) and for a broker that does not answer', async () => {
    const usage = kizuna('--duration', '-1');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/KZ_ERR_CLI_USAGE: --duration needs seconds/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'name: bad\nduration_s: 10\nworld: {}\nrobots:\n  - { id: r1, profile: care, start: { x: 0, y: 0, yaw: north } }\n',
    );
    const scen = kizuna('--scenario', bad);
    expect(scen.status).toBe(1);
    expect(scen.stderr).toMatch(/KZ_ERR_SCENARIO_INVALID: .*robots\[0\]\.start\.yaw \(line 5\)/);
    const port = await freePort();
    const broker = kizuna('--duration', '1', '--broker', `mqtt://127.0.0.1:${port}`);
    expect(broker.status).toBe(1);
    expect(broker.stderr).toMatch(/KZ_ERR_SIM_BROKER: no MQTT broker answers at mqtt:\/\/127\.0\.0\.1:\d+/);
    const remote = kizuna('--broker', 'mqtt://192.0.2.1:1883');
    expect(remote.status).toBe(2);
    expect(remote.stderr).toMatch(/--broker must be on this machine/);
  }, 60_000);

  it('exits 1 when a pass criterion fails, and says which', () => {
    // The fleet scenario cut to 5 s cannot complete its 5 tasks.
    const report = join(dir, 'short.json');
    const r = kizuna('--duration', '5', '--speed', '0', '--quiet', '--report', report);
    expect(r.stdout).toMatch(/FAIL {2}tasks_completed_at_least: \d+ \(expected >= 5\)/);
    // the robots' black boxes keep their incident files beside the report by default
    expect(r.stdout).toContain(`black box: `);
    expect(r.stdout).toContain(`incident file(s) in ${join(dir, 'short.blackbox')}/<robot>`);
    expect(r.status).toBe(1);
    expect((JSON.parse(readFileSync(report, 'utf8')) as SimReport).pass).toBe(false);
  }, 60_000);

  it('--profile without a scenario runs that profile\u2019s own scenario', () => {
    const report = join(dir, 'delivery.json');
    const r = kizuna('--profile', 'delivery', '--speed', '0', '--quiet', '--report', report);
    expect(r.stderr).toMatch(/scenario delivery \(.*delivery\.yaml\), 1 robot/);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as SimReport;
    expect(rep.perRobot.map((p) => p.profile)).toEqual(['delivery']);
    expect(r.status).toBe(rep.pass ? 0 : 1);
  }, 60_000);
});
