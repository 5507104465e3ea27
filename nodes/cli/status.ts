/**
 * `kizuna status`: what a robot reports over MQTT, on one screen — online or offline (its retained
 * status), safety state, mode, current decision and progress, pose, battery, surroundings, health,
 * events seen (backlog being replayed, losses) and the last errors. Without --robot-id: every robot the
 * broker holds a status for. --watch refreshes until Ctrl-C.
 *
 * Payloads are checked against the contract's schemas (nodes/core/contract); an invalid one is shown
 * as such, never trusted. The view (`StatusView`, `applyMessage`, `renderRobot`) is pure for tests.
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import {
  DEFAULT_TOPIC_ROOT,
  eventSchema,
  stateSchema,
  statusSchema,
  topicLevelSchema,
  topicRootSchema,
  type RobotEvent,
  type State,
  type Status,
} from '../core/contract';
import { KizunaError } from '../core/errors';
import { brokerProblem, levelProblem } from './launch-plan';
import { splitBrokerUrls } from '../core/broker-urls';
import { connackRefusal, refusalText } from '../core/mqtt-refusal';

export const STATUS_USAGE = `usage: kizuna status [--broker <url>] [--robot-id <id>] [--watch] [options]

Shows what a robot reports over MQTT: online or offline, safety state, current decision and progress,
backlog, last errors. Without --robot-id, lists every robot with a status on the broker.

options:
  --broker <url>[,<url>]  MQTT broker, or a failover list: the first node that answers (default mqtt://127.0.0.1:1883)
  --robot-id <id>         the robot to show
  --fleet <id>            its fleet (default: any)
  --root <root>           topic root (default ${DEFAULT_TOPIC_ROOT})
  --watch                 refresh until Ctrl-C
  --interval <s>          refresh period with --watch (default 1)
  --wait <s>              how long to collect messages before the first screen (default 3)
  --username <name>       MQTT username
  --password-file <file>  file whose first line is the MQTT password
  --ca <file>             PEM CA bundle for mqtts://
  --cert <file>, --key <file>   client certificate and key (mutual TLS)

exit status: 0 shown (or --watch stopped by Ctrl-C), 1 broker unreachable or robot unknown, 2 wrong command line`;

function usage(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${STATUS_USAGE}`);
}

export interface StatusOptions {
  brokerUrl: string;
  robotId?: string;
  fleet?: string;
  root: string;
  watch: boolean;
  intervalSec: number;
  waitSec: number;
  username?: string;
  passwordFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

/** Parses `kizuna status` flags; throws KZ_ERR_CLI_USAGE naming the flag. */
export function parseStatusArgs(args: ReadonlyArray<string>): StatusOptions {
  const o: StatusOptions = {
    brokerUrl: 'mqtt://127.0.0.1:1883',
    root: DEFAULT_TOPIC_ROOT,
    watch: false,
    intervalSec: 1,
    waitSec: 3,
  };
  const seconds = (flag: string, v: string | undefined, max: number): number => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0 || n > max)
      throw usage(`${flag} needs seconds in (0, ${max}], got '${v ?? ''}'`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (flag === '--watch') {
      o.watch = true;
      continue;
    }
    const v = args[i + 1] !== undefined && !(args[i + 1] as string).startsWith('--') ? args[++i] : undefined;
    const need = (what: string): string => {
      if (!v) throw usage(`${flag} needs ${what}`);
      return v;
    };
    switch (flag) {
      case '--broker': {
        const p = brokerProblem(v);
        if (p) throw usage(p);
        o.brokerUrl = v as string;
        break;
      }
      case '--robot-id': {
        const p = levelProblem('--robot-id', v);
        if (p) throw usage(p);
        o.robotId = v as string;
        break;
      }
      case '--fleet': {
        const p = levelProblem('--fleet', v);
        if (p) throw usage(p);
        o.fleet = v as string;
        break;
      }
      case '--root':
        if (!v || !topicRootSchema.safeParse(v).success) {
          throw usage(`--root must be topic levels without wildcards, e.g. ${DEFAULT_TOPIC_ROOT}, got '${v ?? ''}'`);
        }
        o.root = v;
        break;
      case '--interval':
        o.intervalSec = seconds(flag, v, 3600);
        break;
      case '--wait':
        o.waitSec = seconds(flag, v, 600);
        break;
      case '--username':
        o.username = need('a user name');
        break;
      case '--password-file':
        o.passwordFile = need('a file');
        break;
      case '--ca':
        o.ca = need('a PEM file');
        break;
      case '--cert':
        o.cert = need('a PEM file');
        break;
      case '--key':
        o.key = need('a PEM file');
        break;
      default:
        throw usage(`unknown status option '${flag}'`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// the view

/** Everything seen of one robot. Times in ms since the epoch (receipt times from the local clock). */
export interface RobotView {
  robotId: string;
  fleet: string;
  status?: Status;
  statusAt?: number;
  state?: State;
  stateAt?: number;
  lastSeq?: number;
  eventsSeen: number;
  /** [ms] now − `at` of the newest event when it arrived: large while a backlog is replayed. */
  lastEventLagMs?: number;
  lastEventAt?: number;
  /** Events lost on the robot (sum of `loss` events seen). */
  lost: number;
  /** Sequence numbers skipped between events seen (only counted while watching). */
  gaps: number;
  /** Last errors: faults raised, rejections, failed decisions — newest first, at most 5. */
  errors: Array<{ at: number; text: string }>;
  /** Payloads that did not match the contract, newest first, at most 3. */
  invalid: Array<{ topic: string; why: string }>;
}

export type StatusView = Map<string, RobotView>;

/** The robot and kind of a topic under `root`, or undefined for anything else. */
export function parseTopic(
  root: string,
  topic: string,
): { fleet: string; robotId: string; kind: 'status' | 'state' | 'events' } | undefined {
  if (!topic.startsWith(`${root}/`)) return undefined;
  const parts = topic.slice(root.length + 1).split('/');
  if (parts.length !== 3) return undefined;
  const [fleet, robotId, kind] = parts as [string, string, string];
  if (kind !== 'status' && kind !== 'state' && kind !== 'events') return undefined;
  if (!topicLevelSchema.safeParse(fleet).success || !topicLevelSchema.safeParse(robotId).success) return undefined;
  return { fleet, robotId, kind };
}

function firstIssue(err: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const i = err.issues[0];
  return i ? `${i.path.map(String).join('.') || '(payload)'}: ${i.message}` : 'invalid';
}

function pushLimited<T>(list: T[], item: T, max: number): void {
  list.unshift(item);
  if (list.length > max) list.length = max;
}

/** An event worth listing under "last errors", as text; undefined for the others. */
function errorText(e: RobotEvent): string | undefined {
  switch (e.type) {
    case 'fault_raised':
      return `fault ${e.code} (${e.severity}) from ${e.source}${e.message ? `: ${e.message}` : ''}`;
    case 'decision_rejected':
      return `decision ${e.decisionId ?? '(no id)'} rejected by the ${e.by}: ${e.reason}${e.message ? ` (${e.message})` : ''}`;
    case 'decision_failed':
      return `decision ${e.decisionId} failed${e.reason ? `: ${e.reason}` : ''}`;
    case 'loss':
      return `outbox full: ${e.droppedEvents} event(s) and ${e.droppedRequests} request(s) dropped`;
    case 'safety':
      return e.state === 'estop' ? 'emergency stop' : undefined;
    default:
      return undefined;
  }
}

/** Folds one MQTT message into the view. Never throws: a bad payload is recorded as invalid. */
export function applyMessage(view: StatusView, root: string, topic: string, payload: Buffer, nowMs: number): void {
  const where = parseTopic(root, topic);
  if (!where) return;
  const key = `${where.fleet}/${where.robotId}`;
  let r = view.get(key);
  if (!r) {
    r = { robotId: where.robotId, fleet: where.fleet, eventsSeen: 0, lost: 0, gaps: 0, errors: [], invalid: [] };
    view.set(key, r);
  }
  if (payload.length === 0) {
    // an empty retained message clears the status
    if (where.kind === 'status') delete r.status;
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    pushLimited(r.invalid, { topic, why: 'not JSON' }, 3);
    return;
  }
  if (where.kind === 'status') {
    const p = statusSchema.safeParse(json);
    if (!p.success) return pushLimited(r.invalid, { topic, why: firstIssue(p.error) }, 3);
    r.status = p.data;
    r.statusAt = nowMs;
  } else if (where.kind === 'state') {
    const p = stateSchema.safeParse(json);
    if (!p.success) return pushLimited(r.invalid, { topic, why: firstIssue(p.error) }, 3);
    r.state = p.data;
    r.stateAt = nowMs;
  } else {
    const p = eventSchema.safeParse(json);
    if (!p.success) return pushLimited(r.invalid, { topic, why: firstIssue(p.error) }, 3);
    const e = p.data;
    if (r.lastSeq !== undefined && e.seq > r.lastSeq + 1) r.gaps += e.seq - r.lastSeq - 1;
    if (r.lastSeq === undefined || e.seq > r.lastSeq) r.lastSeq = e.seq;
    r.eventsSeen += 1;
    r.lastEventAt = nowMs;
    r.lastEventLagMs = Math.max(0, nowMs - e.at);
    if (e.type === 'loss') r.lost += e.droppedEvents;
    const text = errorText(e);
    if (text) pushLimited(r.errors, { at: e.at, text }, 5);
  }
}

function ago(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} days ago`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** One robot as lines of text. */
export function renderRobot(r: RobotView, nowMs: number): string[] {
  const lines = [`robot ${r.robotId}   fleet ${r.fleet}`];
  const row = (label: string, text: string): void => void lines.push(`  ${label.padEnd(10)} ${text}`);
  const s = r.status;
  if (!s) row('link', 'no status seen (the robot never connected, or its status was cleared)');
  else if (s.status === 'online') {
    const extra = [s.software && `software ${s.software}`, s.profile && `profile ${s.profile}`].filter(Boolean);
    row('link', `ONLINE since ${clock(s.at)} (${ago(nowMs - s.at)})${extra.length ? `, ${extra.join(', ')}` : ''}`);
  } else {
    row(
      'link',
      `OFFLINE (${s.reason === 'shutdown' ? 'shut down cleanly' : s.reason === 'connection_lost' ? 'connection lost' : 'no reason'}), status of ${clock(s.at)}`,
    );
  }
  const st = r.state;
  if (!st || r.stateAt === undefined) {
    row('state', 'none received yet (state is not retained: it arrives every state period while online)');
  } else {
    row('safety', st.safety ? st.safety.toUpperCase() : 'unknown');
    row(
      'mode',
      `${st.mode}${st.dec ? `   decision ${st.dec}${st.prog !== undefined ? `  progress ${Math.round(st.prog * 100)}%` : ''}` : ''}`,
    );
    if (st.pose) {
      row(
        'pose',
        `x ${st.pose[0].toFixed(2)} m  y ${st.pose[1].toFixed(2)} m  yaw ${st.pose[2].toFixed(2)} rad` +
          (st.vel ? `   speed ${st.vel[0].toFixed(2)} m/s  turn ${st.vel[1].toFixed(2)} rad/s` : ''),
      );
    } else row('pose', 'not reported (unknown or withheld by the data policy)');
    row('battery', st.bat !== undefined ? `${Math.round(st.bat * 100)}%${st.chg ? ' (charging)' : ''}` : 'unknown');
    row(
      'nearby',
      `${st.obs !== undefined ? `obstacle ${st.obs.toFixed(2)} m` : 'no obstacle in range'}, ${st.ppl ?? 0} people`,
    );
    row('health', `${st.health ?? 'unknown'}, ${st.faults} active fault(s)`);
    const age = nowMs - r.stateAt;
    row('state', `sampled ${clock(st.t)}, received ${ago(age)}${age > 5000 ? '  (STALE: no state for over 5 s)' : ''}`);
  }
  if (r.eventsSeen === 0) row('events', 'none seen while watching (events are not retained)');
  else {
    const lag = r.lastEventLagMs ?? 0;
    row(
      'events',
      `${r.eventsSeen} seen, last seq ${r.lastSeq}; ` +
        (lag > 10000
          ? `backlog: replaying, newest event ${(lag / 1000).toFixed(0)} s old`
          : 'backlog: none (events arrive live)') +
        (r.gaps ? `; ${r.gaps} seq(s) missing` : '') +
        (r.lost ? `; ${r.lost} lost on the robot` : ''),
    );
  }
  if (r.errors.length) {
    lines.push('  last errors:');
    for (const e of r.errors) lines.push(`    ${clock(e.at)}  ${e.text}`);
  } else lines.push('  last errors: none seen');
  for (const bad of r.invalid) lines.push(`  INVALID payload on ${bad.topic}: ${bad.why}`);
  return lines;
}

/** Every robot, one line each. */
export function renderFleet(view: StatusView, nowMs: number): string[] {
  const robots = [...view.values()]
    .filter((r) => r.status)
    .sort((a, b) => (a.fleet + a.robotId).localeCompare(b.fleet + b.robotId));
  if (robots.length === 0) return ['no robot has a status on this broker (under this topic root)'];
  const lines = [`${'fleet'.padEnd(16)} ${'robot'.padEnd(20)} ${'link'.padEnd(8)} since`];
  for (const r of robots) {
    const s = r.status as Status;
    lines.push(
      `${r.fleet.padEnd(16)} ${r.robotId.padEnd(20)} ${s.status.padEnd(8)} ${clock(s.at)} (${ago(nowMs - s.at)})` +
        (s.status === 'offline' && s.reason ? `, ${s.reason}` : s.profile ? `, ${s.profile}` : ''),
    );
  }
  const online = robots.filter((r) => r.status?.status === 'online').length;
  lines.push('', `${robots.length} robot(s), ${online} online`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// the command

export interface StatusIO {
  out: (text: string) => void;
  /** true: clear the screen before each refresh. */
  tty: boolean;
  /** Called once a watch starts; resolves when it should end (Ctrl-C). */
  stopSignal?: () => Promise<unknown>;
}

/** `kizuna status ...`; resolves with the exit status. */
export async function runStatus(args: ReadonlyArray<string>, io: StatusIO): Promise<number> {
  const o = parseStatusArgs(args);
  const opts: mqtt.IClientOptions = {
    clientId: `kizuna-status-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: o.watch ? 2000 : 0,
    connectTimeout: 5000,
    clean: true,
  };
  try {
    if (o.username) opts.username = o.username;
    if (o.passwordFile) opts.password = readFileSync(o.passwordFile, 'utf8').split('\n')[0] ?? '';
    if (o.ca) opts.ca = readFileSync(o.ca);
    if (o.cert) opts.cert = readFileSync(o.cert);
    if (o.key) opts.key = readFileSync(o.key);
  } catch (err) {
    throw usage(`cannot read a credential file: ${(err as Error).message}`);
  }
  // A failover list: the first node that answers (a standby backup refuses until it takes over).
  const failures: string[] = [];
  let client: mqtt.MqttClient | undefined;
  let url = '';
  for (const u of splitBrokerUrls(o.brokerUrl)) {
    const c = mqtt.connect(u, opts);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5500);
        c.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        c.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      client = c;
      url = u;
      break;
    } catch (err) {
      c.end(true);
      const refusal = connackRefusal(err);
      failures.push(`${u}: ${refusal ? `${refusalText(refusal)} (${refusal.fix})` : (err as Error).message}`);
    }
  }
  if (!client) {
    throw new KizunaError(
      'KZ_ERR_BROKER_UNREACHABLE',
      `cannot connect to ${failures.join('; ')}; check --broker and the credential flags`,
    );
  }
  const view: StatusView = new Map();
  client.on('message', (topic, payload) => applyMessage(view, o.root, topic, payload, Date.now()));
  const fleet = o.fleet ?? '+';
  const robot = o.robotId ?? '+';
  const filters = o.robotId
    ? ['status', 'state', 'events'].map((k) => `${o.root}/${fleet}/${robot}/${k}`)
    : [`${o.root}/${fleet}/+/status`];
  await client.subscribeAsync(filters, { qos: 1 });

  const draw = (): boolean => {
    const now = Date.now();
    let text: string[];
    let found = true;
    if (o.robotId) {
      const robots = [...view.values()].filter(
        (r) => r.robotId === o.robotId && (r.status || r.state || r.invalid.length > 0),
      );
      found = robots.length > 0;
      text = found
        ? robots.flatMap((r, i) => [...(i ? [''] : []), ...renderRobot(r, now)])
        : [`no status from robot ${o.robotId} under ${o.root}/${fleet}/ yet`];
    } else text = renderFleet(view, now);
    const header = `kizuna status  ${url}  ${clock(now)}${o.watch ? '  (Ctrl-C stops)' : ''}`;
    io.out((io.tty && o.watch ? '\x1b[2J\x1b[H' : '') + [header, '', ...text].join('\n'));
    return found;
  };

  await new Promise((r) => setTimeout(r, o.waitSec * 1000));
  if (!o.watch) {
    const found = draw();
    await client.endAsync();
    if (!found) {
      throw new KizunaError(
        'KZ_ERR_ROBOT_UNKNOWN',
        `robot '${o.robotId}' has no status on ${o.brokerUrl} under ${o.root}/${fleet}/ (waited ${o.waitSec} s); ` +
          'check --robot-id, --fleet and --root, or run kizuna status without --robot-id to list robots',
      );
    }
    return 0;
  }
  draw();
  const timer = setInterval(draw, o.intervalSec * 1000);
  await (io.stopSignal ? io.stopSignal() : new Promise(() => undefined));
  clearInterval(timer);
  await client.endAsync();
  return 0;
}
