/**
 * `kizuna status` against a real aedes broker: a robot's retained status plus its live state and events,
 * published in the contract's format (each payload checked by the contract's schemas before it is
 * sent), read back as one screen; the fleet list; a robot that is not there; a broker that is not
 * there; an invalid payload; --watch until SIGINT.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { CONTRACT_VERSION, eventSchema, stateSchema, statusSchema } from '../../nodes/core/contract';
import { freePort, startAedes, type AedesBroker } from '../helpers/brokers';

const root = join(__dirname, '..', '..');
const cli = join(root, 'nodes', 'cli', 'kizuna.ts');

function kizuna(
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const ROOT = 'kizuna/v1';
let broker: AedesBroker;
let robot: MqttClient;
let live: NodeJS.Timeout;
let seq = 0;

beforeAll(async () => {
  broker = await startAedes();
  robot = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  const now = Date.now();
  const online = statusSchema.parse({
    v: CONTRACT_VERSION,
    robotId: 'care-017',
    fleet: 'east',
    status: 'online',
    at: now - 120_000,
    software: '0.1.0',
    profile: 'care',
    maxSpeed: 0.6,
  });
  const offline = statusSchema.parse({
    v: CONTRACT_VERSION,
    robotId: 'care-018',
    fleet: 'east',
    status: 'offline',
    reason: 'connection_lost',
    at: now - 3_600_000,
  });
  await robot.publishAsync(`${ROOT}/east/care-017/status`, JSON.stringify(online), { qos: 1, retain: true });
  await robot.publishAsync(`${ROOT}/east/care-018/status`, JSON.stringify(offline), { qos: 1, retain: true });
  await robot.publishAsync(`${ROOT}/east/bad-1/status`, JSON.stringify({ v: '1.0', status: 'maybe' }), {
    qos: 1,
    retain: true,
  });
  // what an online robot sends all the time: state every 200 ms, and events
  live = setInterval(() => {
    const t = Date.now();
    const state = stateSchema.parse({
      v: CONTRACT_VERSION,
      t,
      pose: [1.25, -3.5, 0.5],
      vel: [0.3, 0.1],
      bat: 0.82,
      chg: true,
      mode: 'executing',
      safety: 'stop',
      dec: 'd-42',
      prog: 0.4,
      obs: 0.75,
      ppl: 2,
      faults: 1,
      health: 'warn',
    });
    void robot.publishAsync(`${ROOT}/east/care-017/state`, JSON.stringify(state), { qos: 0 });
    const fault = eventSchema.parse({
      v: CONTRACT_VERSION,
      robotId: 'care-017',
      seq: ++seq,
      at: t,
      type: 'fault_raised',
      code: 'SCAN_STALE',
      source: 'perception',
      severity: 'error',
    });
    void robot.publishAsync(`${ROOT}/east/care-017/events`, JSON.stringify(fault), { qos: 1 });
  }, 200);
});

afterAll(async () => {
  clearInterval(live);
  await robot.endAsync();
  await broker.close();
});

describe('kizuna status', () => {
  it("shows one robot's screen: link, safety, decision and progress, pose, battery, health, events, errors", async () => {
    const r = await kizuna(['status', '--broker', broker.url, '--robot-id', 'care-017', '--wait', '1']);
    expect(`${r.status} ${r.stderr}`).toBe('0 ');
    const out = r.stdout;
    expect(out).toMatch(/robot care-017 {3}fleet east/);
    expect(out).toMatch(/link {7}ONLINE since .* \(2 min ago\), software 0\.1\.0, profile care/);
    expect(out).toMatch(/safety {5}STOP/);
    expect(out).toMatch(/mode {7}executing {3}decision d-42 {2}progress 40%/);
    expect(out).toMatch(/pose {7}x 1\.25 m {2}y -3\.50 m {2}yaw 0\.50 rad {3}speed 0\.30 m\/s/);
    expect(out).toMatch(/battery {4}82% \(charging\)/);
    expect(out).toMatch(/nearby {5}obstacle 0\.75 m, 2 people/);
    expect(out).toMatch(/health {5}warn, 1 active fault\(s\)/);
    expect(out).toMatch(/events {5}\d+ seen, last seq \d+; backlog: none \(events arrive live\)/);
    expect(out).toMatch(/last errors:\n {4}.* UTC {2}fault SCAN_STALE \(error\) from perception/);
  });

  it('lists every robot with a status when no robot is named', async () => {
    const r = await kizuna(['status', '--broker', broker.url, '--wait', '0.5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/east +care-017 +online .*care/);
    expect(r.stdout).toMatch(/east +care-018 +offline .*\(1 h ago\), connection_lost/);
    expect(r.stdout).toMatch(/2 robot\(s\), 1 online/);
    expect(r.stdout).not.toMatch(/bad-1/);
  });

  it('takes a failover list: the first node that answers serves, and the screen names it', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const r = await kizuna(['status', '--broker', `${dead},${broker.url}`, '--wait', '0.5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`kizuna status  ${broker.url}  `);
    expect(r.stdout).toMatch(/2 robot\(s\), 1 online/);
  });

  it('shows a payload that breaks the contract as invalid, naming the field', async () => {
    const r = await kizuna(['status', '--broker', broker.url, '--robot-id', 'bad-1', '--wait', '0.5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/link {7}no status seen/);
    expect(r.stdout).toMatch(/INVALID payload on kizuna\/v1\/east\/bad-1\/status: robotId: /);
  });

  it('exits 1 with KZ_ERR_ROBOT_UNKNOWN for a robot the broker has no status of', async () => {
    const r = await kizuna(['status', '--broker', broker.url, '--robot-id', 'ghost', '--wait', '0.3']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /KZ_ERR_ROBOT_UNKNOWN: robot 'ghost' has no status on mqtt:\/\/127\.0\.0\.1:\d+ under kizuna\/v1\/\+\//,
    );
  });

  it('exits 1 with KZ_ERR_BROKER_UNREACHABLE when nothing listens', async () => {
    const port = await freePort();
    const r = await kizuna(['status', '--broker', `mqtt://127.0.0.1:${port}`, '--wait', '0.3']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/KZ_ERR_BROKER_UNREACHABLE: cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('exits 2 naming the flag for a wrong command line, and prints its help', async () => {
    const r = await kizuna(['status', '--wait', 'soon']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--wait needs seconds in \(0, 600\], got 'soon'/);
    const h = await kizuna(['status', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/usage: kizuna status \[--broker <url>\] \[--robot-id <id>\] \[--watch\]/);
  });

  it('--watch refreshes the screen until SIGINT, then exits 0', async () => {
    let screens = 0;
    const r = await kizuna(
      ['status', '--broker', broker.url, '--robot-id', 'care-017', '--watch', '--interval', '0.2', '--wait', '0.3'],
      (text, child) => {
        screens = (text.match(/kizuna status {2}mqtt:/g) ?? []).length;
        if (screens >= 3 && child.exitCode === null) child.kill('SIGINT');
      },
    );
    expect(r.status).toBe(0);
    expect(screens).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toMatch(/\(Ctrl-C stops\)/);
  });
});
