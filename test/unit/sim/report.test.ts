/**
 * The report and the map from hand-made shard results: events lost are the numbered events the cloud
 * never acknowledged; injected decisions count as rejected only with their own reason; the verdict
 * follows the scenario's criteria; the SVG is well-formed, shows every robot, stops and collisions,
 * and escapes names.
 */
import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadScenario } from '../../../sim/scenario';
import { buildReport, quantile, summaryText, type RunFacts } from '../../../sim/report/report';
import { renderSvg } from '../../../sim/report/svg';
import type { RobotResult, ShardReport } from '../../../sim/fleet/shard';

const scenario = loadScenario(join(__dirname, '../../../sim/scenarios/forged-decision-attack.yaml'));

function robot(id: string, profile: 'care' | 'delivery', over: Partial<RobotResult> = {}): RobotResult {
  return {
    robotId: id,
    profile,
    distanceM: 10,
    collisions: 0,
    minClearanceM: 0.5,
    minClearanceAtS: 3,
    invalidCommands: 0,
    robotCausedContacts: 0,
    minClearanceByKindM: { wall: 0.5, obstacle: 2, person: 1.2, robot: 2 },
    speedNearPeopleMps: { within1m: 0, within2m: 0.3 },
    path: [
      [0, 1, 1, 1],
      [1, 2, 1, 1],
      [2, 3, 1, 4],
      [3, 3, 1, 4],
      [4, 4, 1, 1],
    ],
    stops: [{ t: 2, robotId: id, x: 3, y: 1, state: 'stop', detail: 'stop zone: point at 0.5 m, 0 rad' }],
    accepted: 3,
    acceptedIds: ['d1', 'd2', 'd3'],
    rejectedByExecutive: {},
    localPause: { pauses: 0, pausedS: 0, movedWhilePausedM: 0, refused: 0 },
    blackBox: { incidents: [], files: [] },
    announcements: [],
    ended: { 'perform_task:succeeded': 1 },
    tasksOk: 1,
    tasksFailed: 0,
    bridge: {
      connected: true,
      lastEventSeq: 10,
      outboxDepth: 0,
      outboxDropped: 0,
      rejectedByReason: {},
      reconnects: 0,
      forwarded: 3,
      lastError: '',
      everConnected: true,
      brokerIndex: 0,
    },
    linkDownS: 0,
    longestLinkOutageS: 0,
    bytesUp: 5000,
    bytesDown: 3000,
    finalBattery: 0.9,
    ...over,
  };
}

function facts(shards: ShardReport[], over: Partial<RunFacts> = {}): RunFacts {
  return {
    scenario,
    source: 'forged-decision-attack.yaml',
    version: 'test',
    workers: 1,
    broker: { kind: 'embedded', url: 'mqtt://127.0.0.1:1', mqttVersion: 4 },
    trustedKeys: [
      { keyId: 'sim-planner-test', publicKey: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=', source: 'planner' },
    ],
    planner: {
      mode: 'reference',
      protocol: 4,
      sharedSubscription: false,
      decisionsSent: 6,
      requestsSeen: 6,
      requestsAnswered: 6,
    },
    simTimeS: 60,
    wallTimeS: 6,
    cpuUserS: 5,
    cpuSystemS: 1,
    peakRssMB: 200,
    roundTripsMs: [10, 20, 30, 40, 100],
    bySender: {
      'sim-planner-test': { sent: 5, accepted: 5, roundTripsMs: [10, 20, 30, 40, 100] },
      'national-py': { sent: 3, accepted: 2, roundTripsMs: [50, 70] },
      '(unsigned)': { sent: 1, accepted: 0, roundTripsMs: [] },
    },
    injections: [
      {
        atS: 5,
        robotId: 'care1',
        attack: 'unsigned',
        decisionId: 'x1',
        expectedReason: 'UNSIGNED',
        rejectedWith: 'UNSIGNED',
      },
      { atS: 8, robotId: 'care1', attack: 'not_json', expectedReason: 'NOT_JSON', rejectedWith: 'NOT_JSON' },
    ],
    cloud: [
      {
        robotId: 'care1',
        received: new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        acknowledged: 10,
        declaredLost: 0,
        outOfOrder: 0,
        duplicates: 2,
        eventsByType: { decision_accepted: 4, safety: 6, paused_by_person: 1 },
        rejectionsByReason: {},
      },
      // delivery1 numbered 10 events; the cloud got 8 of them (seq 4 and 9 never arrived, which the robot
      // declared with a loss event's floorSeq): acknowledged through 10, 8 of them received.
      {
        robotId: 'delivery1',
        received: new Set([1, 2, 3, 5, 6, 7, 8, 10]),
        acknowledged: 8,
        declaredLost: 2,
        outOfOrder: 2,
        duplicates: 0,
        eventsByType: { decision_accepted: 3, health: 5 },
        rejectionsByReason: {},
      },
    ],
    shards,
    drainS: 0.5,
    ...over,
  };
}

const shards: ShardReport[] = [
  {
    robots: [robot('care1', 'care')],
    collisions: [],
    people: [
      {
        id: 'nurse<&>',
        path: [
          [1, 1],
          [2, 2],
        ],
      },
    ],
  },
  { robots: [robot('delivery1', 'delivery')], collisions: [], people: [] },
];

describe('report', () => {
  it('counts as lost exactly the numbered events the cloud never acknowledged, and fails events_lost_max', () => {
    const r = buildReport(facts(shards));
    expect(r.metrics.events).toEqual({
      sent: 20,
      received: 18,
      acknowledged: 18,
      lost: 2,
      declaredLost: 2,
      outOfOrder: 2,
      duplicates: 2,
      pendingAtEnd: 0,
      droppedFromOutbox: 0,
      byType: { decision_accepted: 7, safety: 6, paused_by_person: 1, health: 5 },
    });
    expect(r.perRobot.find((p) => p.robotId === 'delivery1')!.eventsLost).toBe(2);
    const lost = r.criteria.find((c) => c.criterion === 'events_lost_max')!;
    expect(lost).toMatchObject({ pass: false, actual: '2' });
    expect(r.pass).toBe(false);
    expect(r.criteria.find((c) => c.criterion === 'injected_decisions_rejected')).toMatchObject({ pass: true });
    // Without the robot's floor, the cloud's acknowledgement stops below seq 4: 5..10 arrived, unacknowledged.
    const stuck = buildReport(
      facts(shards, {
        cloud: [{ ...facts(shards).cloud[0]! }, { ...facts(shards).cloud[1]!, acknowledged: 3, declaredLost: 0 }],
      }),
    );
    expect(stuck.metrics.events).toMatchObject({ received: 18, acknowledged: 13, lost: 7 });
    expect(stuck.perRobot.find((p) => p.robotId === 'delivery1')).toMatchObject({
      eventsReceived: 8,
      eventsAcknowledged: 3,
      eventsLost: 7,
    });
  });

  it('an injected decision rejected for another reason, or accepted by a robot, fails injected_decisions_rejected', () => {
    const wrongReason = buildReport(
      facts(shards, {
        injections: [
          {
            atS: 5,
            robotId: 'care1',
            attack: 'expired',
            decisionId: 'x1',
            expectedReason: 'EXPIRED',
            rejectedWith: 'SCHEMA_INVALID',
          },
        ],
      }),
    );
    expect(wrongReason.criteria.find((c) => c.criterion === 'injected_decisions_rejected')).toMatchObject({
      pass: false,
    });
    const accepted = buildReport(
      facts(shards, {
        injections: [{ atS: 5, robotId: 'care1', attack: 'unsigned', decisionId: 'd2', expectedReason: 'UNSIGNED' }],
      }),
    );
    expect(accepted.metrics.injected.acceptedByRobot).toBe(1);
    expect(accepted.criteria.find((c) => c.criterion === 'injected_decisions_rejected')).toMatchObject({ pass: false });
  });

  it('sums the fleet: distance, tasks, stops, wire bytes per robot per second, real-time factor, round-trip quantiles', () => {
    const r = buildReport(facts(shards));
    expect(r.metrics.distanceM).toBe(20);
    expect(r.metrics.tasksOk).toBe(2);
    expect(r.metrics.safetyStops).toBe(2);
    expect(r.metrics.wire).toEqual({
      bytes: 16000,
      bytesPerRobotPerSimS: Math.round(16000 / 2 / 60),
      bytesPerRobotPerWallS: Math.round(16000 / 2 / 6),
    });
    expect(r.metrics.realTimeFactor).toBe(10);
    expect(r.metrics.cpuTimeS).toBe(6);
    expect(r.metrics.decisionRoundTripMs).toEqual({ count: 5, p50: 30, p99: 100, max: 100 });
    // Every sender's decisions by keyId, the outside national side's and unsigned ones included.
    expect(r.metrics.decisions.bySender).toEqual({
      'sim-planner-test': { sent: 5, accepted: 5, roundTripMs: { count: 5, p50: 30, p99: 100, max: 100 } },
      'national-py': { sent: 3, accepted: 2, roundTripMs: { count: 2, p50: expect.any(Number), p99: 70, max: 70 } },
      '(unsigned)': { sent: 1, accepted: 0, roundTripMs: { count: 0 } },
    });
    expect(quantile([], 0.5)).toBeUndefined();
    const text = summaryText(r);
    expect(text).toMatch(/care1 +care +10\.0/);
    expect(text).toMatch(/FAIL +events_lost_max: 2/);
    expect(text).toMatch(/result: FAIL/);
  });
});

describe('SVG map', () => {
  it('is well-formed XML with every robot, its coloured path, stops, collisions and escaped names', () => {
    const withCollision: ShardReport[] = [
      {
        ...shards[0]!,
        collisions: [
          {
            t: 2.5,
            robotId: 'care1',
            with: { kind: 'person', id: 'nurse<&>' },
            where: { x: 3.2, y: 1 },
            pose: { x: 3, y: 1, yaw: 0 },
            robotSpeedMps: 0,
            robotTurnRadps: 0,
            movedInto: false,
            robotCaused: false,
          },
        ],
      },
      shards[1]!,
    ];
    const svg = renderSvg(scenario, withCollision);
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg) as {
      svg: { g: Array<Record<string, unknown>> };
    };
    const groups = doc.svg.g;
    const robots = groups.filter((g) => g.class === 'robot');
    expect(robots.map((g) => g['data-robot'])).toEqual(['care1', 'delivery1']);
    // Clear (green) and stop (red) stretches of the path are separate polylines.
    const lines = robots[0]!.polyline as Array<{ 'data-safety': string }>;
    expect(lines.map((l) => l['data-safety'])).toEqual(['clear', 'stop', 'clear']);
    expect(svg).toContain('class="stop"');
    expect(groups.find((g) => g.class === 'collisions')!.g).toBeDefined();
    expect(svg).toContain('nurse&lt;&amp;&gt;');
    expect(svg).not.toContain('nurse<&>');
  });
});
