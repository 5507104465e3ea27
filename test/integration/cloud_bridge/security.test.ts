/**
 * The shipped mosquitto configuration and ACL (launch/mosquitto/), run for real: mutual TLS with
 * hostname checks, username/password, and the ACL proving robot A can neither publish to robot B's
 * decision topic nor read B's state. Certificates are made by openssl for each run.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { Robot, signedDecision, until } from './harness';

const root = join(__dirname, '..', '..', '..');
const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
const passwd = spawnSync('sh', ['-c', 'command -v mosquitto_passwd'], { encoding: 'utf8' }).stdout.trim();
const skip =
  mosquittoSkipReason() ??
  (openssl ? undefined : 'openssl is not installed') ??
  (passwd ? undefined : 'mosquitto_passwd is not installed');
if (skip) console.warn(`cloud_bridge security suite skipped: ${skip}`);

/** A CA, a server certificate for localhost / 127.0.0.1 and client certificates whose CN is the identity. */
function makePki(dir: string, clients: string[]): void {
  const run = (...args: string[]): void => void execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=kizuna-test-ca', '-days', '2');
  run('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-subj', '/CN=other-ca', '-days', '2');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = (name: string, cn: string, ext?: string): void => {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      ...(ext ? ['-extfile', ext] : []),
    );
  };
  sign('server', 'localhost', 'server.ext');
  for (const c of clients) sign(c, c);
}

/** The shipped configuration with its paths and ports pointed at the test's directory. */
function shippedConfig(): string {
  const conf = readFileSync(join(root, 'launch', 'mosquitto', 'mosquitto.conf'), 'utf8');
  return `${conf
    .replaceAll('/etc/mosquitto/certs/', '{dir}/')
    .replaceAll('/etc/mosquitto/', '{dir}/')
    .replaceAll('/var/lib/mosquitto/', '{dir}/')
    .replace(/^listener 8883$/m, 'listener {port} 127.0.0.1')
    .replace(/^listener 8884$/m, 'listener {port2} 127.0.0.1')}\nlog_dest stderr\n`;
}

const d = skip ? describe.skip : describe;

d('shipped mosquitto configuration: mutual TLS, passwords and the per-robot ACL', () => {
  let broker: MosquittoBroker;
  let pki: string;
  const clients: MqttClient[] = [];
  const robots: Robot[] = [];
  const file = (n: string): string => join(pki, n);

  beforeAll(async () => {
    pki = mkdtempSync(join(tmpdir(), 'kizuna-pki-'));
    makePki(pki, ['care-007', 'care-008', 'national']);
    const files: Record<string, string> = {
      'kizuna.acl': readFileSync(join(root, 'launch', 'mosquitto', 'kizuna.acl'), 'utf8'),
    };
    const pw = join(pki, 'kizuna.passwd');
    execFileSync(passwd, ['-c', '-b', pw, 'care-007', 'robot-secret']);
    execFileSync(passwd, ['-b', pw, 'national', 'national-secret']);
    files['kizuna.passwd'] = readFileSync(pw, 'utf8');
    for (const n of ['ca.crt', 'server.crt', 'server.key']) files[n] = readFileSync(file(n), 'utf8');
    broker = await startMosquitto({ raw: shippedConfig(), files, scheme: 'mqtts', host: 'localhost' });
  }, 30_000);
  afterEach(async () => {
    for (const r of robots.splice(0)) await r.stop();
    for (const c of clients.splice(0)) await c.endAsync(true);
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(pki, { recursive: true, force: true });
  });

  /** An mqtt.js client with a certificate identity (mutual TLS, MQTT 5). */
  async function tlsClient(identity: string): Promise<MqttClient> {
    const c = mqtt.connect(`mqtts://localhost:${broker.port}`, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      ca: readFileSync(file('ca.crt')),
      cert: readFileSync(file(`${identity}.crt`)),
      key: readFileSync(file(`${identity}.key`)),
      clientId: `${identity}-raw-${Math.random().toString(36).slice(2, 8)}`,
    });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    // Refusals are asserted through the publishAsync rejections; mqtt.js may also emit them as 'error'
    // events, which must not become unhandled errors that fail the run.
    c.on('error', () => undefined);
    return c;
  }

  function tlsRobot(robotId: string, extra: Record<string, string | number | boolean> = {}): Robot {
    const r = Robot.start({
      url: `mqtts://localhost:${broker.port}`,
      root: 'kizuna/v1',
      protocol: 5,
      robotId,
      params: {
        tls_ca_file: file('ca.crt'),
        tls_cert_file: file(`${robotId}.crt`),
        tls_key_file: file(`${robotId}.key`),
        ...extra,
      },
    });
    robots.push(r);
    return r;
  }

  it("robot A can neither publish to robot B's decision topic nor read B's state; the national account can do both", async () => {
    const national = await tlsClient('national');
    const toNational: string[] = [];
    national.on('message', (topic) => toNational.push(topic));
    await national.subscribeAsync('kizuna/v1/#', { qos: 1 });

    const b = tlsRobot('care-008', { state_period_s: 0.2 });
    await b.connected();
    const a = await tlsClient('care-007');
    const seenByA: string[] = [];
    a.on('message', (topic) => seenByA.push(topic));
    await a.subscribeAsync('kizuna/v1/tokyo-1/care-008/#', { qos: 1 });
    await a.subscribeAsync('kizuna/v1/#', { qos: 1 });

    // A forges a perfectly signed decision for B: the broker refuses the publish (MQTT 5: not authorized).
    const forged = signedDecision('care-008');
    await expect(
      a.publishAsync('kizuna/v1/tokyo-1/care-008/decision', JSON.stringify(forged), { qos: 1 }),
    ).rejects.toThrow(/135|authori/i);
    // B's state flows to the national side, never to A.
    await until(
      () => toNational.filter((t) => t === 'kizuna/v1/tokyo-1/care-008/state').length >= 3,
      "B's state at the national side",
    );
    expect(seenByA.filter((t) => t.includes('/care-008/'))).toEqual([]);
    expect(b.decisions).toEqual([]);
    expect(toNational).not.toContain('kizuna/v1/tokyo-1/care-008/decision');
    // Positive control: the national account may decide for B, and B gets it.
    const real = signedDecision('care-008');
    await national.publishAsync('kizuna/v1/tokyo-1/care-008/decision', JSON.stringify(real), { qos: 1 });
    await until(() => b.decisions.length === 1, "the national side's decision on B");
    expect(b.decisions[0]!.decision_id).toBe(real.decisionId);
    // A may not write into B's subtree in general, nor into its own decision topic.
    await expect(a.publishAsync('kizuna/v1/tokyo-1/care-008/events', '{}', { qos: 1 })).rejects.toThrow(/135|authori/i);
    await expect(a.publishAsync('kizuna/v1/tokyo-1/care-007/decision', '{}', { qos: 1 })).rejects.toThrow(
      /135|authori/i,
    );
  }, 30_000);

  it('connects over mutual TLS with hostname checks on, and refuses a wrong CA, a wrong host name or no client certificate', async () => {
    const ok = tlsRobot('care-007');
    await ok.connected();
    await ok.stop();
    robots.splice(robots.indexOf(ok), 1);

    const wrongCa = tlsRobot('care-007', { tls_ca_file: file('other-ca.crt'), store_path: join(pki, 'w1.sqlite') });
    const wrongHost = tlsRobot('care-007', {
      tls_servername: 'broker.example.org',
      store_path: join(pki, 'w2.sqlite'),
      client_id: 'w2',
    });
    const noCert = tlsRobot('care-007', {
      tls_cert_file: '',
      tls_key_file: '',
      store_path: join(pki, 'w3.sqlite'),
      client_id: 'w3',
    });
    await until(() => [wrongCa, wrongHost, noCert].every((r) => r.bridge.link.lastError !== ''), 'three refusals');
    await new Promise((r) => setTimeout(r, 300));
    for (const r of [wrongCa, wrongHost, noCert]) expect(r.bridge.link.connected).toBe(false);
    expect(wrongCa.bridge.link.lastError).toMatch(/certificate|self.signed|verify/i);
    expect(wrongHost.bridge.link.lastError).toMatch(/altnames|host|broker\.example\.org/i);
    await until(() => (wrongCa.lastStatus()?.last_error ?? '') !== '', 'last_error in BridgeStatus');
  }, 30_000);

  it('connects with username and password over TLS, and is refused with a wrong password', async () => {
    writeFileSync(join(pki, 'pw-good'), 'robot-secret\n');
    writeFileSync(join(pki, 'pw-bad'), 'guess\n');
    const url = `mqtts://localhost:${broker.port2}`;
    const mk = (pw: string, n: string): Robot => {
      const r = Robot.start({
        url,
        root: 'kizuna/v1',
        protocol: 5,
        robotId: 'care-007',
        params: {
          tls_ca_file: file('ca.crt'),
          username: 'care-007',
          password_file: join(pki, pw),
          store_path: join(pki, `${n}.sqlite`),
          client_id: n,
        },
      });
      robots.push(r);
      return r;
    };
    const good = mk('pw-good', 'pw1');
    const bad = mk('pw-bad', 'pw2');
    await good.connected();
    await until(() => bad.bridge.link.lastError !== '', 'the refusal');
    expect(bad.bridge.link.connected).toBe(false);
    expect(bad.bridge.link.lastError).toMatch(/not authori[sz]ed|bad user name or password|135|134/i);
  }, 30_000);
});
