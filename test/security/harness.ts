/**
 * The shipped mosquitto configuration (launch/mosquitto/, only paths and ports changed) on loopback
 * ports, with a test PKI made by openssl (robot CA with a CRL, national CA, another CA), the broker's
 * dynamic-security file generated from a roster and national account list (`dynsecConfig`, what
 * `kizuna broker-acl` writes) and a password file made by mosquitto_passwd. What the broker-security
 * suites and the security bench share.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { dynsecConfig, type DynsecConfig, type NationalAccount, type RosterEntry } from '../../nodes/core/contract';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../helpers/brokers';
import { EC_KEY, certSigner } from '../helpers/certs';

const root = join(__dirname, '..', '..');
const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
const passwd = spawnSync('sh', ['-c', 'command -v mosquitto_passwd'], { encoding: 'utf8' }).stdout.trim();
const dynsecSo = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const hasDynsec = spawnSync('test', ['-f', dynsecSo]).status === 0;

/** Why the shipped broker cannot be started here, or undefined when it can. */
export const shippedSkipReason: string | undefined =
  mosquittoSkipReason() ??
  (openssl ? undefined : 'openssl is not installed') ??
  (passwd ? undefined : 'mosquitto_passwd is not installed') ??
  (hasDynsec ? undefined : `mosquitto's dynamic-security plugin is not at ${dynsecSo}`);

export const ROSTER: RosterEntry[] = [
  { fleet: 'tokyo-1', robotId: 'care-007' },
  { fleet: 'tokyo-1', robotId: 'care-008' },
  { fleet: 'tokyo-1', robotId: 'care-009' },
  { fleet: 'osaka-1', robotId: 'care-007' },
  { fleet: 'osaka-1', robotId: 'care-008' },
];

/** The national accounts: one for every fleet with its share group, one for tokyo-1 only with its own. */
export const NATIONAL: NationalAccount[] = [
  { username: 'national-1', fleets: ['+'], shareGroup: 'national' },
  { username: 'tokyo-planner', fleets: ['tokyo-1'], shareGroup: 'tokyo-planners' },
];

/** The broker admin account (dynamic-security commands only, `kizuna broker-acl revoke`). */
export const ADMIN = 'kizuna-admin';

/** Each national or admin account's password in the tests. */
export const passwordOf = (username: string): string => `${username}-secret`;

/** Robot CA (with a CRL), national CA, a server certificate for localhost and client certificates. */
function makePki(dir: string): void {
  const run = (...args: string[]): void => void execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['robot-ca', 'national-ca', 'other-ca'])
    run('req', '-x509', ...EC_KEY, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-subj', `/CN=${ca}`, '-days', '2');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const sign = certSigner(run);
  sign('server', 'localhost', 'robot-ca', 2, 'server.ext');
  for (const r of ROSTER) sign(`${r.fleet}.${r.robotId}`, `${r.fleet}.${r.robotId}`, 'robot-ca');
  sign('tokyo-1.care-099', 'tokyo-1.care-099', 'robot-ca'); // valid certificate, not in the roster
  sign('minted-national', 'national-1', 'robot-ca'); // the national account's name minted by a robot CA
  sign('national-1', 'national-1', 'national-ca');
  sign('other-client', 'tokyo-1.care-007', 'other-ca'); // a robot's name from a CA the broker does not trust
  // CN edge cases from the robot CA: into another level, a wildcard, a robot's CN with an organisation beside it
  sign('cn-slash', 'tokyo-1.care-007\\/decision', 'robot-ca'); // `-subj` escapes /
  sign('cn-plus', 'tokyo-1.\\+', 'robot-ca');
  sign('cn-org', 'tokyo-1.care-007/O=kizuna', 'robot-ca'); // subject O=kizuna, CN=tokyo-1.care-007
  // CRL: tokyo-1.care-009's certificate revoked.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n',
  );
  const ca = ['-config', 'ca.cnf', '-keyfile', 'robot-ca.key', '-cert', 'robot-ca.crt'];
  run('ca', ...ca, '-revoke', 'tokyo-1.care-009.crt');
  run('ca', ...ca, '-gencrl', '-out', 'robot-ca.crl');
}

/** The shipped configuration text. */
export function shippedConfigText(): string {
  return readFileSync(join(root, 'launch', 'mosquitto', 'mosquitto.conf'), 'utf8');
}

/** The shipped configuration with its paths and ports pointed at the test's directory (nothing else changed). */
function shippedConfig(): string {
  return `${shippedConfigText()
    .replaceAll('/etc/mosquitto/certs/', '{dir}/')
    .replaceAll('/etc/mosquitto/', '{dir}/')
    .replaceAll('/var/lib/mosquitto/', '{dir}/')
    .replace(/^listener 8883$/m, 'listener {port} 127.0.0.1')
    .replace(/^listener 8884$/m, 'listener {port2} 127.0.0.1')}\nlog_dest stderr\n`;
}

/** A value of the shipped configuration (first occurrence), e.g. `shippedSetting('max_queued_bytes')`. */
export function shippedSetting(name: string): string {
  const m = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(shippedConfigText());
  if (!m) throw new Error(`${name} is not set in launch/mosquitto/mosquitto.conf`);
  return m[1]!;
}

/** A value of one listener's section of the shipped configuration, e.g. `listenerSetting(8884, 'max_connections')`. */
export function listenerSetting(port: number, name: string): string {
  const section = shippedConfigText()
    .split(/^listener /m)
    .find((s) => s.startsWith(`${port}\n`));
  const m = section && new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(section);
  if (!m) throw new Error(`${name} is not set for listener ${port} in launch/mosquitto/mosquitto.conf`);
  return m[1]!;
}

/** [KiB] resident memory of a process (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]);
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The refusal mqtt.js reports for a PUBACK / SUBACK 0x87 or a CONNACK 0x87. */
export const REFUSED = /135|not authori[sz]ed/i;

/** The shipped broker with its PKI; MQTT 5 clients on either listener, closed by `cleanup()`. */
export class ShippedBroker {
  private readonly clients: MqttClient[] = [];
  private constructor(
    readonly broker: MosquittoBroker,
    readonly pki: string,
  ) {}

  /**
   * Makes the PKI, the dynamic-security file and the password file, and starts the broker. `weaken`
   * (benches only, to show what the rules prevent) edits the configuration text and the rules first.
   */
  static async start(weaken?: {
    config?: (text: string) => string;
    rules?: (rules: DynsecConfig) => void;
  }): Promise<ShippedBroker> {
    const pki = mkdtempSync(join(tmpdir(), 'kizuna-pki-'));
    makePki(pki);
    const pw = join(pki, 'kizuna-national.passwd');
    for (const [i, name] of [...NATIONAL.map((a) => a.username), ADMIN].entries())
      execFileSync(passwd, [...(i === 0 ? ['-c'] : []), '-b', pw, name, passwordOf(name)]);
    const files: Record<string, string> = {
      'kizuna-national.passwd': readFileSync(pw, 'utf8'),
    };
    const rules = dynsecConfig('kizuna/v1', ROSTER, NATIONAL, [ADMIN]);
    weaken?.rules?.(rules);
    files['kizuna-dynsec.json'] = JSON.stringify(rules);
    for (const n of ['robot-ca.crt', 'robot-ca.crl', 'national-ca.crt', 'server.crt', 'server.key'])
      files[n] = readFileSync(join(pki, n), 'utf8');
    const raw = weaken?.config ? weaken.config(shippedConfig()) : shippedConfig();
    const broker = await startMosquitto({ raw, files, scheme: 'mqtts', host: 'localhost' });
    return new ShippedBroker(broker, pki);
  }

  file(name: string): string {
    return join(this.pki, name);
  }

  /** mosquitto's process id. */
  pid(): number {
    const pid = this.broker.pid();
    if (pid === undefined) throw new Error('mosquitto is not running');
    return pid;
  }

  /** Connect options on the robot listener with a certificate, or on the national listener (`national`: the account). */
  options(cert: string, o: IClientOptions & { national?: string } = {}): { url: string; opts: IClientOptions } {
    const { national, ...opts } = o;
    return {
      url: `mqtts://localhost:${national ? this.broker.port2 : this.broker.port}`,
      opts: {
        protocolVersion: 5,
        reconnectPeriod: 0,
        ca: readFileSync(this.file('robot-ca.crt')),
        cert: readFileSync(this.file(`${cert}.crt`)),
        key: readFileSync(this.file(`${cert}.key`)),
        clientId: `${cert}-raw-${Math.random().toString(36).slice(2, 8)}`,
        ...(national ? { username: national, password: passwordOf(national) } : {}),
        ...opts,
      },
    };
  }

  /** An mqtt.js client (MQTT 5), connected (rejects when the broker refuses or closes first). */
  async client(cert: string, o: IClientOptions & { national?: string } = {}): Promise<MqttClient> {
    const { url, opts } = this.options(cert, o);
    const c = mqtt.connect(url, opts);
    this.clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(new Error('closed before CONNACK')));
    });
    c.on('error', () => undefined);
    return c;
  }

  /** A national account's client on the national listener (default national-1). */
  national(o: IClientOptions & { account?: string } = {}): Promise<MqttClient> {
    const { account, ...opts } = o;
    return this.client('national-1', { national: account ?? 'national-1', ...opts });
  }

  /** Keeps `c` to be closed by `cleanup()`. */
  track(c: MqttClient): MqttClient {
    this.clients.push(c);
    return c;
  }

  /** Closes every client opened so far. */
  async cleanup(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.cleanup();
    await this.broker.close();
    rmSync(this.pki, { recursive: true, force: true });
  }
}
