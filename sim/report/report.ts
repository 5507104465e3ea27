/**
 * The report of a `kizuna sim` run: every metric (sim/README.md, "The report"), the pass verdict of
 * the scenario's criteria, and the summary table printed at the end. Pure: the runner hands in what
 * the shards and the planner measured.
 */
import type { SyncTotals } from '../fleet/sync';
import { evaluatePass, type CriterionResult, type Scenario } from '../scenario';
import type { CollisionRecord } from '../world';
import { CONTACT_KINDS, type ClearanceByKind, type SpeedNearPeople } from '../contacts';
import type { AnnouncementRecord, RobotResult, ShardReport, StopRecord } from '../fleet/shard';
import type { Injection } from '../planner/planner';
import type { SimTrustedKey } from '../fleet/trusted-keys';

/** What the cloud side (the planner) saw of one robot. */
export interface CloudBook {
  robotId: string;
  /** Unique seqs received (current epoch). */
  received: ReadonlySet<number>;
  /** [count] events acknowledged (received with every seq before them settled). */
  acknowledged: number;
  /** [count] seqs the robot declared lost (below a loss event's floorSeq, never received). */
  declaredLost: number;
  /** [count] events that arrived above a gap (the ones before them late or lost). */
  outOfOrder: number;
  duplicates: number;
  eventsByType: Record<string, number>;
  rejectionsByReason: Record<string, number>;
}

/** What the runner measured around the run. */
export interface RunFacts {
  scenario: Scenario;
  source: string;
  version: string;
  workers: number;
  broker: {
    kind: 'embedded' | 'external';
    /** The broker's URL, or its nodes' comma-separated. */
    url: string;
    mqttVersion: 4 | 5;
    /** How the version was chosen: the embedded broker's, `--mqtt-version`, or probed once. */
    mqttVersionFrom?: 'embedded' | 'option' | 'probe';
    /** Why MQTT 5 was not used, when probed. */
    note?: string;
  };
  /** Every key the robots trusted (the built-in planner's first). */
  trustedKeys: SimTrustedKey[];
  planner: {
    mode: string;
    protocol: 4 | 5;
    sharedSubscription: boolean;
    decisionsSent: number;
    requestsSeen: number;
    requestsAnswered: number;
  };
  simTimeS: number;
  wallTimeS: number;
  cpuUserS: number;
  cpuSystemS: number;
  peakRssMB: number;
  roundTripsMs: number[];
  /** Decisions seen on the robots' decision topics by keyId, from any sender (the planner watches them). */
  bySender: Record<string, { sent: number; accepted: number; roundTripsMs: number[] }>;
  injections: Injection[];
  cloud: CloudBook[];
  shards: ShardReport[];
  /** [s] wall time spent after the last step letting outboxes drain. */
  drainS: number;
  /** What the network sync at --speed 0 waited for (sim/fleet/sync.ts); absent when it was off. */
  networkSync?: SyncTotals;
}

export interface SimReport {
  kizuna: string;
  scenario: string;
  source: string;
  description?: string;
  seed: number;
  dtS: number;
  robots: number;
  workers: number;
  broker: RunFacts['broker'];
  /** Every key the robots trusted: `keyId`, `publicKey` (base64), `source` (planner, scenario, file:PATH). */
  trustedKeys: SimTrustedKey[];
  planner: RunFacts['planner'];
  pass: boolean;
  criteria: CriterionResult[];
  metrics: {
    /** Robots speaking VDA 5050 (scenario `protocol: vda5050`): orders taken, finished, cancelled, failed; VDA errors by type. */
    vda5050?: {
      ordersTaken: number;
      ordersFinished: number;
      ordersCancelled: number;
      ordersFailed: number;
      errors: Record<string, number>;
    };
    collisions: number;
    /** Contacts the robots caused: moving or turning into something (sim/contacts.ts). */
    robotCausedContacts: number;
    /** Contacts by kind of object and cause (`person:robot_caused`, `person:hit_standing`, ...). */
    contactsByCause: Record<string, number>;
    minClearanceM: number;
    /** [m] minimum clearance over all robots per kind of object (capped at 2 m). */
    minClearanceByKindM: ClearanceByKind;
    /** [m/s] highest robot speed while a person was within 1 m / 2 m of its footprint. */
    speedNearPeopleMps: SpeedNearPeople;
    distanceM: number;
    tasksOk: number;
    tasksFailed: number;
    safetyStops: number;
    decisions: {
      sent: number;
      accepted: number;
      rejectedByBridge: Record<string, number>;
      rejectedByExecutive: Record<string, number>;
      ended: Record<string, number>;
      /**
       * By the `keyId` that signed them (`(unsigned)`: none), from whoever sent them, the built-in planner
       * or an outside national side: decisions seen on the robots' decision topics (each decisionId once),
       * accepted by a robot, and the round trip from the robot's request to its acceptance [ms].
       */
      bySender: Record<
        string,
        { sent: number; accepted: number; roundTripMs: { count: number; p50?: number; p99?: number; max?: number } }
      >;
    };
    injected: { total: number; rejected: number; rejectedAsExpected: number; acceptedByRobot: number };
    events: {
      sent: number;
      received: number;
      /** Received with every seq before them settled: what the planner acknowledged (or would, in `none`). */
      acknowledged: number;
      /** Sent and never acknowledged by the planner (sent − acknowledged). */
      lost: number;
      /** Of the lost, declared so by the robots (loss events' floorSeq). */
      declaredLost: number;
      /** Arrived above a gap: the broker dropped or delayed the ones before them (re-sent later). */
      outOfOrder: number;
      duplicates: number;
      pendingAtEnd: number;
      droppedFromOutbox: number;
      /** [count] events the national side received, by type (duplicates included). */
      byType: Record<string, number>;
    };
    link: {
      longestOutageS: number;
      totalOutageS: number;
      /** Robots whose link never came up (each was down the whole run). */
      neverConnected: number;
      /** Robots by the last error of their link (CONNACK refusals by code and reason): why links were down. */
      lastErrors: Record<string, number>;
      /** Robots by the index of the broker node (in the --broker list) they were on last. */
      byBrokerNode: Record<string, number>;
    };
    decisionRoundTripMs: { count: number; p50?: number; p99?: number; max?: number };
    wire: { bytes: number; bytesPerRobotPerSimS: number; bytesPerRobotPerWallS: number };
    simTimeS: number;
    wallTimeS: number;
    realTimeFactor: number;
    cpuTimeS: number;
    cpuUserS: number;
    cpuSystemS: number;
    peakRssMB: number;
    drainS: number;
    /**
     * Local pauses by people on site: how many, [s] paused in all, [m] farthest a robot moved while
     * paused (after braking), decisions the executives refused while paused (LOCAL_PAUSE).
     */
    localPause: { pauses: number; pausedS: number; movedWhilePausedM: number; refused: number };
    /** [count] announcements the robots made to the people around them (kizuna_msgs/Announcement). */
    announcements: number;
    /** Steps that waited for MQTT at --speed 0, the wall time they took, messages given up on. */
    networkSync?: SyncTotals;
  };
  perRobot: Array<
    Omit<RobotResult, 'path' | 'stops' | 'acceptedIds'> & {
      eventsReceived: number;
      eventsAcknowledged: number;
      eventsLost: number;
    }
  >;
  injections: Injection[];
  collisions: CollisionRecord[];
  stops: StopRecord[];
  /** What the robots said to people, in time order (the first 200 per robot). */
  announcements: AnnouncementRecord[];
  /**
   * Every incident the robots' black boxes saw, in time order, with the MCAP file that holds it (absent
   * when it was a repeat within min_interval_s, or the run kept no black-box files).
   */
  incidents: Array<{ t: number; robotId: string; kind: string; detail: string; outcome: string; file?: string }>;
}

/** The `q`-quantile (0..1) of `xs` by nearest rank, undefined for none. */
/** Count, p50, p99 and max [ms] of round trips (only the count when there are none). */
function roundTripFigures(xs: readonly number[]): { count: number; p50?: number; p99?: number; max?: number } {
  if (xs.length === 0) return { count: 0 };
  return { count: xs.length, p50: quantile(xs, 0.5)!, p99: quantile(xs, 0.99)!, max: Math.max(...xs) };
}

export function quantile(xs: readonly number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Builds the report from what the run measured, with the pass verdict. */
export function buildReport(f: RunFacts): SimReport {
  const robots = f.shards.flatMap((s) => s.robots);
  const cloud = new Map(f.cloud.map((c) => [c.robotId, c]));
  const collisions = f.shards.flatMap((s) => s.collisions).sort((a, b) => a.t - b.t);
  const stops = robots.flatMap((r) => r.stops).sort((a, b) => a.t - b.t);
  const rejectedByBridge: Record<string, number> = {};
  const rejectedByExecutive: Record<string, number> = {};
  const ended: Record<string, number> = {};
  let sent = 0;
  let received = 0;
  let acknowledged = 0;
  let declaredLost = 0;
  let outOfOrder = 0;
  let lost = 0;
  let duplicates = 0;
  let pending = 0;
  let dropped = 0;
  let bytes = 0;
  const byType: Record<string, number> = {};
  const perRobot: SimReport['perRobot'] = robots.map((r) => {
    add(rejectedByBridge, r.bridge.rejectedByReason);
    add(rejectedByExecutive, r.rejectedByExecutive);
    add(ended, r.ended);
    const c = cloud.get(r.robotId);
    const got = c ? [...c.received].filter((s) => s >= 1 && s <= r.bridge.lastEventSeq).length : 0;
    const acked = c ? Math.min(c.acknowledged, r.bridge.lastEventSeq) : 0;
    // Lost = sent and never acknowledged: received above a gap that never closed counts as lost too.
    const robotLost = r.bridge.lastEventSeq - acked;
    sent += r.bridge.lastEventSeq;
    received += got;
    acknowledged += acked;
    declaredLost += c?.declaredLost ?? 0;
    if (c) add(byType, c.eventsByType);
    outOfOrder += c?.outOfOrder ?? 0;
    lost += robotLost;
    duplicates += c?.duplicates ?? 0;
    pending += r.bridge.outboxDepth;
    dropped += r.bridge.outboxDropped;
    bytes += r.bytesUp + r.bytesDown;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { path, stops: _s, acceptedIds, ...rest } = r;
    return { ...rest, eventsReceived: got, eventsAcknowledged: acked, eventsLost: robotLost };
  });
  const accepted = new Set(robots.flatMap((r) => r.acceptedIds));
  const inj = f.injections;
  const injected = {
    total: inj.length,
    rejected: inj.filter((i) => i.rejectedWith !== undefined).length,
    rejectedAsExpected: inj.filter((i) => i.rejectedWith === i.expectedReason).length,
    acceptedByRobot: inj.filter(
      (i) => i.decisionId !== undefined && i.attack !== 'replayed' && accepted.has(i.decisionId),
    ).length,
  };
  const tasksOk = robots.reduce((a, r) => a + r.tasksOk, 0);
  const tasksFailed = robots.reduce((a, r) => a + r.tasksFailed, 0);
  const distanceM = robots.reduce((a, r) => a + r.distanceM, 0);
  const minClearanceM = robots.reduce((a, r) => Math.min(a, r.minClearanceM), Infinity);
  const n = Math.max(1, robots.length);
  const robotCausedContacts = collisions.filter((c) => c.robotCaused).length;
  const contactsByCause: Record<string, number> = {};
  for (const c of collisions) {
    const k = `${c.with.kind}:${c.robotCaused ? 'robot_caused' : c.robotSpeedMps > 0 ? 'hit_while_creeping' : 'hit_standing'}`;
    contactsByCause[k] = (contactsByCause[k] ?? 0) + 1;
  }
  const minClearanceByKindM = Object.fromEntries(
    CONTACT_KINDS.map((k) => [k, robots.reduce((a, r) => Math.min(a, r.minClearanceByKindM[k]), 2)]),
  ) as ClearanceByKind;
  const speedNearPeopleMps: SpeedNearPeople = {
    within1m: robots.reduce((a, r) => Math.max(a, r.speedNearPeopleMps.within1m), 0),
    within2m: robots.reduce((a, r) => Math.max(a, r.speedNearPeopleMps.within2m), 0),
  };
  const movedInWindowsM = (f.scenario.pass.stands_still ?? []).map((w) => {
    const path = robots.find((r) => r.robotId === w.robot)?.path;
    const inside = path?.filter((p) => p[0] >= w.from_s - 1e-9 && p[0] <= w.to_s + 1e-9) ?? [];
    if (inside.length === 0) return undefined;
    const [, x0, y0] = inside[0]!;
    return r3(Math.max(...inside.map((p) => Math.hypot(p[1] - x0, p[2] - y0))));
  });
  const localPause = {
    pauses: robots.reduce((a, r) => a + r.localPause.pauses, 0),
    pausedS: r3(robots.reduce((a, r) => a + r.localPause.pausedS, 0)),
    movedWhilePausedM: robots.reduce((a, r) => Math.max(a, r.localPause.movedWhilePausedM), 0),
    refused: robots.reduce((a, r) => a + r.localPause.refused, 0),
  };
  const criteria = evaluatePass(f.scenario.pass, {
    movedInWindowsM,
    ...(localPause.pauses > 0 ? { movedWhilePausedM: localPause.movedWhilePausedM } : {}),
    collisions: collisions.length,
    robotCausedContacts,
    minClearanceM: Number.isFinite(minClearanceM) ? minClearanceM : undefined,
    tasksCompleted: tasksOk,
    tasksFailed,
    eventsLost: lost,
    injectedDecisions: injected.total,
    injectedRejected: Math.min(injected.rejectedAsExpected, injected.total - injected.acceptedByRobot),
    distanceM: r3(distanceM),
  });
  return {
    kizuna: f.version,
    scenario: f.scenario.name,
    source: f.source,
    ...(f.scenario.description ? { description: f.scenario.description } : {}),
    seed: f.scenario.seed,
    dtS: f.scenario.dt_s,
    robots: robots.length,
    workers: f.workers,
    broker: f.broker,
    trustedKeys: f.trustedKeys,
    planner: f.planner,
    pass: criteria.every((c) => c.pass),
    criteria,
    metrics: {
      ...vdaTotals(robots),
      collisions: collisions.length,
      robotCausedContacts,
      contactsByCause,
      minClearanceM: Number.isFinite(minClearanceM) ? minClearanceM : 0,
      minClearanceByKindM,
      speedNearPeopleMps,
      distanceM: r3(distanceM),
      tasksOk,
      tasksFailed,
      safetyStops: stops.length,
      decisions: {
        sent: f.planner.decisionsSent,
        accepted: robots.reduce((a, r) => a + r.accepted, 0),
        rejectedByBridge,
        rejectedByExecutive,
        ended,
        bySender: Object.fromEntries(
          Object.entries(f.bySender).map(([keyId, b]) => [
            keyId,
            { sent: b.sent, accepted: b.accepted, roundTripMs: roundTripFigures(b.roundTripsMs) },
          ]),
        ),
      },
      injected,
      events: {
        sent,
        received,
        acknowledged,
        lost,
        declaredLost,
        outOfOrder,
        duplicates,
        pendingAtEnd: pending,
        droppedFromOutbox: dropped,
        byType,
      },
      link: {
        longestOutageS: robots.reduce((a, r) => Math.max(a, r.longestLinkOutageS), 0),
        totalOutageS: r3(robots.reduce((a, r) => a + r.linkDownS, 0)),
        neverConnected: robots.filter((r) => !r.bridge.everConnected).length,
        lastErrors: countBy(robots.filter((r) => r.bridge.lastError).map((r) => linkErrorKey(r.bridge.lastError))),
        byBrokerNode: countBy(robots.map((r) => String(r.bridge.brokerIndex))),
      },
      decisionRoundTripMs: roundTripFigures(f.roundTripsMs),
      wire: {
        bytes,
        bytesPerRobotPerSimS: Math.round(bytes / n / Math.max(1e-9, f.simTimeS)),
        bytesPerRobotPerWallS: Math.round(bytes / n / Math.max(1e-9, f.wallTimeS)),
      },
      simTimeS: r3(f.simTimeS),
      wallTimeS: r3(f.wallTimeS),
      realTimeFactor: r3(f.simTimeS / Math.max(1e-9, f.wallTimeS)),
      cpuTimeS: r3(f.cpuUserS + f.cpuSystemS),
      cpuUserS: r3(f.cpuUserS),
      cpuSystemS: r3(f.cpuSystemS),
      peakRssMB: Math.round(f.peakRssMB),
      drainS: r3(f.drainS),
      localPause,
      announcements: robots.reduce((a, r) => a + r.announcements.length, 0),
      ...(f.networkSync ? { networkSync: { ...f.networkSync, waitedS: r3(f.networkSync.waitedS) } } : {}),
    },
    perRobot,
    injections: inj,
    collisions,
    stops,
    announcements: robots.flatMap((r) => r.announcements).sort((a, b) => a.t - b.t),
    incidents: robots
      .flatMap((r) => (r.blackBox?.incidents ?? []).map((i) => ({ robotId: r.robotId, ...i })))
      .sort((a, b) => a.t - b.t),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

const fmtCounts = (o: Record<string, number>): string =>
  Object.entries(o)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** Counts of each distinct string. */
function countBy(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/**
 * A link error without what differs per robot (its proxy's port), so robots refused alike count as one:
 * `mqtt://127.0.0.1:41234: CONNACK refused 0x86 ...` → `CONNACK refused 0x86 ...`.
 */
/** The VDA 5050 totals over the robots that speak it; nothing when none does. */
function vdaTotals(robots: RobotResult[]): { vda5050?: NonNullable<SimReport['metrics']['vda5050']> } {
  const vda = robots.flatMap((r) => (r.bridge.vda5050 ? [r.bridge.vda5050] : []));
  if (vda.length === 0) return {};
  const errors: Record<string, number> = {};
  for (const v of vda) add(errors, v.errors);
  const sum = (k: 'ordersTaken' | 'ordersFinished' | 'ordersCancelled' | 'ordersFailed'): number =>
    vda.reduce((a, v) => a + v[k], 0);
  return {
    vda5050: {
      ordersTaken: sum('ordersTaken'),
      ordersFinished: sum('ordersFinished'),
      ordersCancelled: sum('ordersCancelled'),
      ordersFailed: sum('ordersFailed'),
      errors,
    },
  };
}

export function linkErrorKey(text: string): string {
  return text.replace(/^mqtts?:\/\/[^\s]+?:\d+:\s*/, '').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:*');
}

/** The summary printed at the end of a run (plain text, one table per robot and the totals). */
export function summaryText(r: SimReport): string {
  const m = r.metrics;
  const perRobot = table([
    [
      'robot',
      'profile',
      'dist m',
      'tasks ok',
      'failed',
      'stops',
      'collisions',
      'min clear m',
      'events',
      'lost',
      'link down s',
      'battery',
    ],
    ...r.perRobot.map((p) => [
      p.robotId,
      p.profile,
      p.distanceM.toFixed(1),
      String(p.tasksOk),
      String(p.tasksFailed),
      String(r.stops.filter((s) => s.robotId === p.robotId).length),
      String(p.collisions),
      p.minClearanceM.toFixed(2),
      `${p.eventsReceived}/${p.bridge.lastEventSeq}`,
      String(p.eventsLost),
      p.linkDownS.toFixed(1),
      `${Math.round(p.finalBattery * 100)} %`,
    ]),
  ]);
  const rt = m.decisionRoundTripMs;
  const lines = [
    `scenario ${r.scenario}: ${r.robots} robot(s), ${m.simTimeS} s sim in ${m.wallTimeS} s wall (${m.realTimeFactor}x real time), ${r.workers} shard(s)`,
    '',
    perRobot,
    '',
    table([
      ['metric', 'value'],
      ['collisions (robot-caused)', `${m.collisions} (${m.robotCausedContacts})`],
      ['minimum clearance', `${m.minClearanceM.toFixed(3)} m`],
      [
        'min clearance wall / obstacle / person / robot',
        CONTACT_KINDS.map((k) => m.minClearanceByKindM[k].toFixed(2)).join(' / ') + ' m',
      ],
      [
        'max speed, person within 1 m / 2 m',
        `${m.speedNearPeopleMps.within1m.toFixed(2)} / ${m.speedNearPeopleMps.within2m.toFixed(2)} m/s`,
      ],
      ['distance travelled', `${m.distanceM.toFixed(1)} m`],
      ['tasks ok / failed', `${m.tasksOk} / ${m.tasksFailed}`],
      ...(m.vda5050
        ? [
            [
              'VDA 5050 orders taken / finished / cancelled / failed',
              `${m.vda5050.ordersTaken} / ${m.vda5050.ordersFinished} / ${m.vda5050.ordersCancelled} / ${m.vda5050.ordersFailed}`,
            ] as [string, string],
            ['VDA 5050 errors', fmtCounts(m.vda5050.errors)],
          ]
        : []),
      ['safety stops', String(m.safetyStops)],
      [
        'black-box incidents / files',
        `${r.incidents.length} / ${new Set(r.incidents.flatMap((i) => (i.file ? [i.file] : []))).size}`,
      ],
      ['announcements to people', String(m.announcements)],
      ['trusted keys', r.trustedKeys.map((k) => `${k.keyId} (${k.source.split(':')[0]})`).join(', ')],
      ['decisions sent / accepted', `${m.decisions.sent} / ${m.decisions.accepted}`],
      ['rejected by the bridge', fmtCounts(m.decisions.rejectedByBridge)],
      ['rejected by the executive', fmtCounts(m.decisions.rejectedByExecutive)],
      ['injected / rejected as expected', `${m.injected.total} / ${m.injected.rejectedAsExpected}`],
      ...(m.localPause.pauses > 0
        ? [
            [
              'local pauses / paused / moved while paused / refused',
              `${m.localPause.pauses} / ${m.localPause.pausedS.toFixed(1)} s / ${m.localPause.movedWhilePausedM.toFixed(3)} m / ${m.localPause.refused}`,
            ] as [string, string],
          ]
        : []),
      [
        'events sent / acknowledged / lost (duplicates)',
        `${m.events.sent} / ${m.events.acknowledged} / ${m.events.lost} (${m.events.duplicates})`,
      ],
      ['longest link outage', `${m.link.longestOutageS.toFixed(1)} s`],
      ...(m.link.neverConnected > 0
        ? [['links never up', `${m.link.neverConnected} of ${r.robots}`] as [string, string]]
        : []),
      ...(Object.keys(m.link.lastErrors).length > 0
        ? [['last link errors', fmtCounts(m.link.lastErrors)] as [string, string]]
        : []),
      ['decision round trip p50 / p99', rt.count ? `${rt.p50} / ${rt.p99} ms (${rt.count})` : 'none measured'],
      ['wire bytes per robot per sim s', String(m.wire.bytesPerRobotPerSimS)],
      ['CPU time', `${m.cpuTimeS.toFixed(1)} s`],
      ['peak RSS', `${m.peakRssMB} MB`],
    ]),
    '',
    ...(r.criteria.length === 0
      ? ['no pass criteria in the scenario']
      : r.criteria.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.criterion}: ${c.actual} (expected ${c.expected})`)),
    r.pass ? 'result: PASS' : 'result: FAIL',
  ];
  return lines.join('\n');
}
