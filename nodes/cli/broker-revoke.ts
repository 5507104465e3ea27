/**
 * `kizuna broker-acl revoke <fleet>.<robotId>`: takes a robot's rights away at the running broker, at
 * once, through an admin account of the dynamic-security plugin (one that may only use its control
 * topic: `kizuna broker-acl --admin NAME`). The robot's connection is closed and every later
 * connection with its certificate may do nothing; the CRL, read at the next broker restart, then
 * refuses the certificate itself (docs/deploy.md, section 6, "Issue, rotate, revoke").
 * The commands and what each does to a certificate-named robot: core/contract/dynsec-control.ts.
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import {
  DYNSEC_CONTROL_TOPIC,
  DYNSEC_RESPONSE_TOPIC,
  getClientCommand,
  isNotFound,
  parseDynsecResponse,
  parseRobotIdentity,
  revokeCommands,
  robotBrokerName,
  type DynsecAnswer,
  type DynsecCommand,
} from '../core/contract';
import { KizunaError } from '../core/errors';
import { connackRefusal, refusalText } from '../core/mqtt-refusal';

export const REVOKE_USAGE = `usage: kizuna broker-acl revoke <fleet>.<robotId> --broker <url> --username <admin> --password-file <file> [options]

Takes a robot's rights away at the running broker, at once: the broker closes the robot's connection
(if it has one), and every later connection with its certificate may publish, subscribe and receive
nothing; the broker keeps this across restarts. Then revoke the certificate at the CA and install the
CRL at the next broker restart (docs/deploy.md, section 6, "Issue, rotate, revoke").

options:
  --broker <url>          the broker's national listener, e.g. mqtts://broker.example.org:8884
  --username <name>       an admin account of kizuna-dynsec.json (kizuna broker-acl --admin <name>)
  --password-file <file>  file whose first line is its password
  --ca <file>             PEM CA bundle the broker's certificate chains to
  --cert <file>, --key <file>   a client certificate of the national CA and its key
  --timeout <s>           how long to wait for the broker's answers (default 5)

exit status: 0 revoked, 1 broker unreachable, the command refused or the robot unknown, 2 wrong command line`;

function usage(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${REVOKE_USAGE}`);
}

export interface RevokeOptions {
  fleet: string;
  robotId: string;
  brokerUrl: string;
  username: string;
  passwordFile: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** [s] wait for each answer of the broker. */
  timeoutSec: number;
}

/** Parses `kizuna broker-acl revoke` arguments; throws KZ_ERR_CLI_USAGE naming what is wrong. */
export function parseRevokeArgs(args: ReadonlyArray<string>): RevokeOptions {
  let identity: string | undefined;
  const o: Partial<RevokeOptions> & { timeoutSec: number } = { timeoutSec: 5 };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (!flag.startsWith('--')) {
      if (identity !== undefined) throw usage(`one robot per revoke: got '${identity}' and '${flag}'`);
      identity = flag;
      continue;
    }
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw usage(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--broker':
        if (v.includes(',')) throw usage('--broker takes one URL: revoke at each broker of a cluster in turn');
        o.brokerUrl = v;
        break;
      case '--username':
        o.username = v;
        break;
      case '--password-file':
        o.passwordFile = v;
        break;
      case '--ca':
        o.ca = v;
        break;
      case '--cert':
        o.cert = v;
        break;
      case '--key':
        o.key = v;
        break;
      case '--timeout': {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0 || n > 120) throw usage(`--timeout needs seconds in (0, 120], got '${v}'`);
        o.timeoutSec = n;
        break;
      }
      default:
        throw usage(`unknown broker-acl revoke option '${flag}'`);
    }
  }
  if (identity === undefined) throw usage('broker-acl revoke needs the robot: <fleet>.<robotId>');
  const entry = parseRobotIdentity(identity);
  if (!entry)
    throw usage(`'${identity}' is not <fleet>.<robotId> (each 1 to 64 letters, digits, _ and -, joined by one '.')`);
  for (const [flag, value] of [
    ['--broker', o.brokerUrl],
    ['--username', o.username],
    ['--password-file', o.passwordFile],
  ] as const)
    if (value === undefined) throw usage(`broker-acl revoke needs ${flag}`);
  return { ...(o as RevokeOptions), fleet: entry.fleet, robotId: entry.robotId };
}

/** An admin session with the plugin: sends commands, waits for their answers by correlation data. */
class ControlSession {
  private readonly answers = new Map<string, DynsecAnswer>();
  private readonly waiters = new Map<string, (a: DynsecAnswer) => void>();

  constructor(
    private readonly client: mqtt.MqttClient,
    private readonly timeoutMs: number,
    private readonly who: string,
  ) {
    client.on('message', (topic, payload) => {
      if (topic !== DYNSEC_RESPONSE_TOPIC) return;
      for (const a of parseDynsecResponse(payload) ?? []) {
        if (a.correlationData === undefined) continue;
        const w = this.waiters.get(a.correlationData);
        if (w) w(a);
        else this.answers.set(a.correlationData, a);
      }
    });
  }

  /** Subscribes to the plugin's answers; throws KZ_ERR_BROKER_ADMIN_REFUSED when the account may not. */
  async open(): Promise<void> {
    try {
      await this.client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 1 });
    } catch (err) {
      throw new KizunaError(
        'KZ_ERR_BROKER_ADMIN_REFUSED',
        `the broker refused ${this.who} the plugin's answers (${(err as Error).message}): it is not an admin ` +
          `account of the broker's kizuna-dynsec.json (kizuna broker-acl --admin <name>), or the broker has no ` +
          `dynamic-security plugin`,
      );
    }
  }

  /** The answers to `commands`, in their order; throws KZ_ERR_BROKER_ADMIN_REFUSED on a refused PUBLISH or no answer. */
  async send(commands: DynsecCommand[]): Promise<DynsecAnswer[]> {
    const pending = commands.map((c) => this.answer(c.correlationData));
    try {
      await this.client.publishAsync(DYNSEC_CONTROL_TOPIC, JSON.stringify({ commands }), { qos: 1 });
    } catch (err) {
      throw new KizunaError(
        'KZ_ERR_BROKER_ADMIN_REFUSED',
        `the broker refused ${this.who}'s command ${commands.map((c) => c.command).join(', ')} ` +
          `(${(err as Error).message}): it is not an admin account of the broker's kizuna-dynsec.json`,
      );
    }
    return Promise.all(pending);
  }

  private answer(tag: string): Promise<DynsecAnswer> {
    const early = this.answers.get(tag);
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(tag);
        reject(
          new KizunaError(
            'KZ_ERR_BROKER_ADMIN_REFUSED',
            `no answer from the broker's dynamic-security plugin within ${this.timeoutMs / 1000} s: is it loaded ` +
              `(plugin ... mosquitto_dynamic_security.so in mosquitto.conf)?`,
          ),
        );
      }, this.timeoutMs);
      this.waiters.set(tag, (a) => {
        clearTimeout(timer);
        this.waiters.delete(tag);
        resolve(a);
      });
    });
  }
}

async function connect(o: RevokeOptions): Promise<mqtt.MqttClient> {
  const opts: mqtt.IClientOptions = {
    protocolVersion: 5,
    clientId: o.username,
    username: o.username,
    reconnectPeriod: 0,
    connectTimeout: o.timeoutSec * 1000,
    clean: true,
  };
  try {
    opts.password = readFileSync(o.passwordFile, 'utf8').split('\n')[0] ?? '';
    if (o.ca) opts.ca = readFileSync(o.ca);
    if (o.cert) opts.cert = readFileSync(o.cert);
    if (o.key) opts.key = readFileSync(o.key);
  } catch (err) {
    throw usage(`cannot read a credential file: ${(err as Error).message}`);
  }
  const c = mqtt.connect(o.brokerUrl, opts);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer within ${o.timeoutSec} s`)),
        o.timeoutSec * 1000 + 500,
      );
      c.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      c.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      c.once('close', () => {
        clearTimeout(timer);
        reject(new Error('connection closed before CONNACK'));
      });
    });
  } catch (err) {
    c.end(true);
    const refusal = connackRefusal(err);
    throw new KizunaError(
      'KZ_ERR_BROKER_UNREACHABLE',
      `cannot connect to ${o.brokerUrl} as ${o.username}: ` +
        `${refusal ? `${refusalText(refusal)} (${refusal.fix})` : (err as Error).message}; revoke goes through the ` +
        `national listener (8884 in the shipped config) with a national-CA certificate and the admin password`,
    );
  }
  c.on('error', () => undefined);
  return c;
}

/**
 * Revokes the robot at the broker and prints what was done; resolves 0. Throws KZ_ERR_CLI_USAGE,
 * KZ_ERR_BROKER_UNREACHABLE, KZ_ERR_BROKER_ADMIN_REFUSED or KZ_ERR_BROKER_ROBOT_UNKNOWN.
 */
export async function runBrokerRevoke(args: ReadonlyArray<string>, print: (line: string) => void): Promise<number> {
  const o = parseRevokeArgs(args);
  const name = robotBrokerName(o.fleet, o.robotId);
  const client = await connect(o);
  try {
    const session = new ControlSession(client, o.timeoutSec * 1000, o.username);
    await session.open();
    const tag = `kizuna-revoke-${process.pid}-${Date.now()}`;
    const [known] = await session.send([getClientCommand(o.fleet, o.robotId, tag)]);
    if (known!.error !== undefined) {
      if (isNotFound(known!))
        throw new KizunaError(
          'KZ_ERR_BROKER_ROBOT_UNKNOWN',
          `the broker's rules have no robot ${name}: it was not in the roster when kizuna-dynsec.json was made, ` +
            `or it is already revoked (nothing changed)`,
        );
      throw refused(o.username, 'getClient', known!.error);
    }
    const [client_, role] = await session.send(revokeCommands(o.fleet, o.robotId, tag));
    if (client_!.error !== undefined) {
      if (isNotFound(client_!))
        throw new KizunaError('KZ_ERR_BROKER_ROBOT_UNKNOWN', `${name} was revoked by someone else meanwhile`);
      throw refused(o.username, 'deleteClient', client_!.error);
    }
    print(`revoked ${name} (robot ${o.robotId} of fleet ${o.fleet}) at ${o.brokerUrl}:`);
    print(`  deleteClient ${name}: done; the broker closed its connection, if it had one`);
    print(
      role!.error === undefined
        ? `  deleteRole ${name}: done`
        : `  deleteRole ${name}: ${role!.error} (its rights went with its client)`,
    );
    print(
      '  from now on a connection with its certificate may publish, subscribe and receive nothing; ' +
        'the broker keeps this across restarts (its plugin saved it to kizuna-dynsec.json)',
    );
    print(
      'next: revoke the certificate at the CA and install the new CRL at the next broker restart; remove the ' +
        'robot from the roster (or keep it there only once the CRL names the stolen certificate) before ' +
        'kizuna-dynsec.json is regenerated (docs/deploy.md, section 6, "Issue, rotate, revoke")',
    );
    return 0;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

function refused(who: string, command: string, error: string): KizunaError {
  return new KizunaError(
    'KZ_ERR_BROKER_ADMIN_REFUSED',
    `the broker's dynamic-security plugin refused ${command} from ${who}: ${error}`,
  );
}
