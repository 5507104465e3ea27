/**
 * `kizuna doctor` and its checks on real inputs: certificates made by openssl for each run (valid,
 * expiring, expired — by moving the check's "now" —, a key of another certificate, a file that is not
 * PEM), the broker through mosquitto with mutual TLS (accepted, and refused for a certificate of
 * another CA) and aedes, environment variables, free disk. Then the command itself: the table, the fix
 * for each failing check and exit status 1.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkBroker,
  checkBrokers,
  checkCertificates,
  checkDisk,
  checkKizunaMsgs,
  checkNodeVersion,
  checkRos,
  type BridgeFiles,
  type BrokerSettings,
} from '../../nodes/cli/doctor-checks';
import {
  freePort,
  mosquittoSkipReason,
  startAedes,
  startMosquitto,
  type AedesBroker,
  type MosquittoBroker,
} from '../helpers/brokers';
import { writeProfileParams } from '../helpers/profile-params';
import { EC_KEY, certSigner } from '../helpers/certs';

const root = join(__dirname, '..', '..');
const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
const DAY = 86_400_000;

let dir: string;
const file = (n: string): string => join(dir, n);

/** A CA, another CA, a server certificate for localhost and robot certificates valid for `days`. */
function makePki(): void {
  const run = (...args: string[]): void => void execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  const ec = EC_KEY;
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=doctor-ca', '-days', '800');
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'other-ca.key',
    '-out',
    'other-ca.crt',
    '-subj',
    '/CN=other-ca',
    '-days',
    '800',
  );
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = certSigner(run);
  sign('server', 'localhost', 'ca', 800, 'server.ext');
  sign('robot', 'care-017', 'ca', 400);
  sign('stranger', 'care-017', 'other-ca', 400);
  writeFileSync(file('not-pem.crt'), 'hello\n');
}

const noFiles: BridgeFiles = {
  tls_ca_file: '',
  tls_cert_file: '',
  tls_key_file: '',
  password_file: '',
  trusted_keys_file: '',
  allow_unsigned: true,
};

const skipPki = openssl ? undefined : 'openssl is not installed';
if (skipPki) console.warn(`cli-doctor certificate tests skipped: ${skipPki}`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kizuna-doctor-'));
  if (!skipPki) makePki();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('doctor checks: environment', () => {
  it('Node.js: 20.20 or newer passes, older fails with the fix', () => {
    expect(checkNodeVersion('20.20.0').level).toBe('pass');
    expect(checkNodeVersion('22.1.0').level).toBe('pass');
    expect(checkNodeVersion('20.9.3')).toMatchObject({
      level: 'fail',
      fix: expect.stringMatching(/install Node.js 20\.20\.0/),
    });
    expect(checkNodeVersion('18.19.0').level).toBe('fail');
  });

  it('ROS 2: unsourced fails, an unsupported distro warns', () => {
    expect(checkRos({})[0]).toMatchObject({ level: 'fail', detail: expect.stringMatching(/ROS_DISTRO is not set/) });
    expect(checkRos({ ROS_DISTRO: 'rolling' })[0]).toMatchObject({ level: 'warn' });
    expect(checkRos({ ROS_DISTRO: 'jazzy' })[0]).toMatchObject({ level: 'pass' });
  });

  it('kizuna_msgs: found in a prefix of AMENT_PREFIX_PATH, or a fail saying how to build it', () => {
    const prefix = join(dir, 'prefix');
    mkdirSync(join(prefix, 'share', 'kizuna_msgs'), { recursive: true });
    writeFileSync(join(prefix, 'share', 'kizuna_msgs', 'package.xml'), '<package/>');
    expect(checkKizunaMsgs({ AMENT_PREFIX_PATH: `/nonexistent:${prefix}` })[0]).toMatchObject({
      level: 'pass',
      detail: `in ${prefix}`,
    });
    expect(checkKizunaMsgs({ AMENT_PREFIX_PATH: '/nonexistent' })[0]).toMatchObject({
      level: 'fail',
      fix: expect.stringMatching(/colcon build --packages-select kizuna_msgs/),
    });
  });

  it('disk: fails when the outbox cap does not fit, passes when it does', () => {
    expect(checkDisk(join(dir, 'x', 'y.sqlite'), 1e18)).toMatchObject({
      level: 'fail',
      fix: expect.stringMatching(/outbox_max_bytes/),
    });
    expect(checkDisk(join(dir, 'x', 'y.sqlite'), 1024).level).toBe('pass');
  });
});

const describePki = skipPki ? describe.skip : describe;

describePki('doctor checks: certificates (openssl)', () => {
  const robotFiles = (): BridgeFiles => ({
    ...noFiles,
    allow_unsigned: false,
    trusted_keys_file: file('ca.crt'), // any readable file: its contents are the bridge's to check
    tls_ca_file: file('ca.crt'),
    tls_cert_file: file('robot.crt'),
    tls_key_file: file('robot.key'),
  });

  it('passes a valid certificate with its key', () => {
    const checks = checkCertificates(robotFiles(), 'mqtts://localhost:8883');
    expect(checks.filter((c) => c.level !== 'pass')).toEqual([]);
    expect(checks).toContainEqual(
      expect.objectContaining({
        name: 'client certificate',
        detail: expect.stringMatching(/CN=care-017, 399 days left/),
      }),
    );
    expect(checks).toContainEqual({ name: 'client key', level: 'pass', detail: 'matches the certificate' });
  });

  it('warns within 30 days of expiry and fails once expired', () => {
    const soon = checkCertificates(robotFiles(), 'mqtts://x', Date.now() + 385 * DAY);
    expect(soon).toContainEqual(
      expect.objectContaining({
        name: 'client certificate',
        level: 'warn',
        detail: expect.stringMatching(/expires in 1[45] day/),
      }),
    );
    const late = checkCertificates(robotFiles(), 'mqtts://x', Date.now() + 401 * DAY);
    expect(late).toContainEqual(
      expect.objectContaining({ name: 'client certificate', level: 'fail', detail: expect.stringMatching(/expired/) }),
    );
  });

  it('fails a key that belongs to another certificate, a file that is not PEM, and an unreadable file', () => {
    const mismatch = checkCertificates({ ...robotFiles(), tls_key_file: file('stranger.key') }, 'mqtts://x');
    expect(mismatch).toContainEqual(
      expect.objectContaining({
        name: 'client key',
        level: 'fail',
        detail: expect.stringMatching(/does not belong to/),
      }),
    );
    const junk = checkCertificates({ ...robotFiles(), tls_cert_file: file('not-pem.crt') }, 'mqtts://x');
    expect(junk).toContainEqual(expect.objectContaining({ name: 'client certificate', level: 'fail' }));
    const missing = checkCertificates({ ...robotFiles(), tls_ca_file: file('nope.crt') }, 'mqtts://x');
    expect(missing).toContainEqual(
      expect.objectContaining({
        name: 'tls_ca_file',
        level: 'fail',
        detail: expect.stringMatching(/nope\.crt: not readable \(ENOENT\)/),
      }),
    );
  });

  it('fails without trusted keys unless unsigned decisions are allowed (then warns)', () => {
    const none = checkCertificates({ ...noFiles, allow_unsigned: false }, 'mqtt://x');
    expect(none).toContainEqual(expect.objectContaining({ name: 'trusted_keys_file', level: 'fail' }));
    expect(checkCertificates(noFiles, 'mqtt://x')).toContainEqual(
      expect.objectContaining({ name: 'allow_unsigned', level: 'warn' }),
    );
  });
});

const skipTls = skipPki ?? mosquittoSkipReason();
const describeTls = skipTls ? describe.skip : describe;

describeTls('doctor checks: the broker over mutual TLS (mosquitto)', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    const files: Record<string, string> = {};
    for (const n of ['ca.crt', 'server.crt', 'server.key']) files[n] = readFileSync(file(n), 'utf8');
    broker = await startMosquitto({
      raw: [
        'listener {port} 127.0.0.1',
        'cafile {dir}/ca.crt',
        'certfile {dir}/server.crt',
        'keyfile {dir}/server.key',
        'require_certificate true',
        'use_identity_as_username true',
        'allow_anonymous false',
        'log_dest stderr',
        '',
      ].join('\n'),
      files,
      scheme: 'mqtts',
      host: 'localhost',
    });
  }, 30000);
  afterAll(async () => {
    await broker?.close();
  });

  const settings = (over: Partial<BrokerSettings>): BrokerSettings => ({
    url: `mqtts://localhost:${broker.port}`,
    robotId: 'care-017',
    mqttVersion: 5,
    username: '',
    passwordFile: '',
    caFile: file('ca.crt'),
    certFile: file('robot.crt'),
    keyFile: file('robot.key'),
    servername: '',
    ...over,
  });

  it('connects with the robot certificate', async () => {
    const c = await checkBroker(settings({}));
    expect(c).toMatchObject({
      level: 'pass',
      detail: expect.stringMatching(/connected over TLS with the client certificate/),
    });
  });

  it('fails a certificate of another CA, and a broker certificate the CA did not sign', async () => {
    const stranger = await checkBroker(settings({ certFile: file('stranger.crt'), keyFile: file('stranger.key') }));
    expect(stranger.level).toBe('fail');
    const wrongCa = await checkBroker(settings({ caFile: file('other-ca.crt') }));
    expect(wrongCa).toMatchObject({ level: 'fail', fix: expect.stringMatching(/does not chain to tls_ca_file/) });
  });
});

describe('kizuna doctor, the command', () => {
  let aedes: AedesBroker;
  beforeAll(async () => {
    aedes = await startAedes();
  });
  afterAll(async () => {
    await aedes.close();
  });

  function doctor(
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(root, 'nodes', 'cli', 'kizuna.ts'), 'doctor', ...args],
        {
          cwd: root,
          env,
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  it('prints the table with a fix for each failing check and exits 1', async () => {
    const params = file('doctor.yaml');
    writeProfileParams('care', params, { mqtt_version: 4, store_path: file('o.sqlite') });
    const env: NodeJS.ProcessEnv = { ...process.env, AMENT_PREFIX_PATH: '' };
    delete env.ROS_DISTRO;
    const r = await doctor(
      ['--profile', 'care', '--params', params, '--broker', aedes.url, '--robot-id', 'care-017'],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/pass {2}Node\.js/);
    expect(r.stdout).toMatch(/FAIL {2}ROS 2 environment +ROS_DISTRO is not set[^\n]*\n +fix: source \/opt\/ros/);
    expect(r.stdout).toMatch(/FAIL {2}kizuna_msgs sourced +AMENT_PREFIX_PATH is empty/);
    expect(r.stdout).toMatch(/pass {2}safety_gate parameters +valid/);
    expect(r.stdout).toMatch(/WARN {2}broker +mqtt:\/\/127\.0\.0\.1:\d+: connected in \d+ ms\n +fix: use mqtts:\/\//);
    expect(r.stdout).toMatch(/pass {2}disk for the outbox/);
    expect(r.stdout).toMatch(/(pass|WARN) {2}clock .*offset against the broker not measurable/);
    expect(r.stdout).toMatch(/\d+ pass, \d+ warn, [1-9]\d* fail/);
    expect(r.stderr).toMatch(/KZ_ERR_DOCTOR_FAILED: \d+ check\(s\) failed: ROS 2 environment/);
  }, 30000);

  it('fails an unreachable broker naming the fix, and exits 2 for a bad flag', async () => {
    const port = await freePort();
    const r = await doctor(['--broker', `mqtt://127.0.0.1:${port}`], { ...process.env });
    expect(r.stdout).toMatch(
      /FAIL {2}broker +mqtt:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED[^\n]*\n +fix: nothing listens there/,
    );
    expect(r.status).toBe(1);
    // at boot: the broker is not tried, so an unreachable one fails nothing
    const params = file('doctor-boot.yaml');
    writeProfileParams('care', params, { broker_url: `mqtt://127.0.0.1:${port}`, store_path: file('b.sqlite') });
    const boot = await doctor(['--profile', 'care', '--params', params, '--no-broker'], { ...process.env });
    expect(boot.stdout).toMatch(/skip {2}broker +mqtt:\/\/127\.0\.0\.1:\d+: not tried \(--no-broker\)/);
    expect(boot.stdout).not.toMatch(/FAIL {2}broker/);
    const bad = await doctor(['--profile', 'boat'], { ...process.env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--profile must be one of care, factory, delivery, farm, construction, got 'boat'/);
  }, 30000);
});

describe('doctor checks: a failover list and a broker refusing the CONNECT', () => {
  let aedes: AedesBroker;
  beforeAll(async () => {
    aedes = await startAedes();
  });
  afterAll(async () => {
    await aedes.close();
  });
  const plain = (url: string, mqttVersion: 4 | 5): BrokerSettings => ({
    url,
    robotId: 'r1',
    mqttVersion,
    username: '',
    passwordFile: '',
    caFile: '',
    certFile: '',
    keyFile: '',
    servername: '',
  });

  it('names a CONNACK refusal by code and reason, with the remedy (aedes speaks only 3.1.1)', async () => {
    const c = await checkBroker(plain(aedes.url, 5));
    expect(c.level).toBe('fail');
    expect(c.detail).toBe(
      `${aedes.url}: CONNACK refused 0x01 unacceptable protocol version (KZ_ERR_MQTT_REFUSED, MQTT 5)`,
    );
    expect(c.fix).toMatch(/mqtt_version/);
  });

  it('checks every URL of a list: a node that does not answer is a warning while another connects, a failure when none does', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const some = await checkBrokers(plain(`${aedes.url},${dead}`, 4));
    expect(some.map((c) => [c.name, c.level])).toEqual([
      ['broker 1/2', 'warn'], // up, but not over TLS
      ['broker 2/2', 'warn'],
    ]);
    expect(some[1]!.detail).toMatch(/ECONNREFUSED/);
    expect(some[1]!.fix).toMatch(/fails over to the nodes that answer/);
    const none = await checkBrokers(plain(`${dead},mqtt://127.0.0.1:${await freePort()}`, 4));
    expect(none.map((c) => c.level)).toEqual(['fail', 'fail']);
  });
});
