/**
 * The VDA 5050 side of cloud_bridge without MQTT or ROS: the vendored 2.0 schemas (byte for byte what
 * the package ships), inbound reading, the order checks, the agent's order / instant action state
 * machine, and the state, connection and factsheet it writes (checked against the 2.0 schemas and
 * against vda-5050-lib's own validator).
 */
import { describe, it, expect } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { loadParamsFile, overridesForNode } from '../../../nodes/core/graph/ros-args';
import { PROFILE_NAMES } from '../../../nodes/core/profiles';
import { PROFILE_POLICIES } from '../../../nodes/cloud_bridge/policy';
import { schemaIssues } from '../../../nodes/cloud_bridge/vda5050/schemas';
import { readInstantActions, readOrder } from '../../../nodes/cloud_bridge/vda5050/inbound';
import { orderProblem, type OrderCheckConfig } from '../../../nodes/cloud_bridge/vda5050/order-check';
import { VdaAgent, type AgentConfig, type RobotView } from '../../../nodes/cloud_bridge/vda5050/agent';
import {
  Headers,
  VdaPicture,
  buildConnection,
  buildFactsheet,
  buildState,
  buildVisualization,
} from '../../../nodes/cloud_bridge/vda5050/state';
import { PROFILE_BODY, PROFILE_NODE_ACTIONS } from '../../../nodes/cloud_bridge/vda5050/profiles';
import { checkVdaTrust } from '../../../nodes/cloud_bridge/vda5050/bridge';
import { paramsSchema } from '../../../nodes/cloud_bridge/params';
import { publishCategory } from '../../../nodes/cloud_bridge/audit-tap';
import { robotTopics } from '../../../nodes/core/contract';
import { vdaTopics, type VdaAction, type VdaOrder } from '../../../nodes/cloud_bridge/vda5050/types';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require('vda-5050-lib/common/vda-5050-validators-2.0') as Record<
  'validateState' | 'validateConnection' | 'validateVisualization' | 'validateFactsheet',
  (o: unknown) => boolean
>;

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const schemaDir = join(__dirname, '..', '..', '..', 'nodes', 'cloud_bridge', 'vda5050', 'schema');
const HDR = {
  headerId: 1,
  timestamp: '2026-01-01T00:00:00.00Z',
  version: '2.0.0',
  manufacturer: 'kizuna',
  serialNumber: 'amr1',
};
const CTX = { retained: false, maxBytes: 65536, manufacturer: 'kizuna', serialNumber: 'amr1' };

const node = (
  nodeId: string,
  sequenceId: number,
  x: number,
  y: number,
  released = true,
  actions: VdaAction[] = [],
) => ({
  nodeId,
  sequenceId,
  released,
  nodePosition: { x, y, mapId: 'map' },
  actions,
});
const edge = (edgeId: string, sequenceId: number, startNodeId: string, endNodeId: string, released = true) => ({
  edgeId,
  sequenceId,
  released,
  startNodeId,
  endNodeId,
  actions: [] as VdaAction[],
});
const act = (actionId: string, actionType: string, params: Record<string, unknown> = {}): VdaAction => ({
  actionId,
  actionType,
  blockingType: 'HARD',
  actionParameters: Object.entries(params).map(([key, value]) => ({ key, value })),
});
const order = (
  orderId: string,
  orderUpdateId: number,
  nodes: VdaOrder['nodes'],
  edges: VdaOrder['edges'],
): VdaOrder => ({
  ...HDR,
  orderId,
  orderUpdateId,
  nodes,
  edges,
});
/** o1: (0,0) with a pick → (3,0) → (3,2) with a drop. */
const threeNodes = (): VdaOrder =>
  order(
    'o1',
    0,
    [
      node('a', 0, 0, 0, true, [act('pick', 'pick', { loadId: 'L1' })]),
      node('b', 2, 3, 0),
      node('c', 4, 3, 2, true, [act('drop', 'drop', { loadId: 'L1' })]),
    ],
    [edge('ab', 1, 'a', 'b'), edge('bc', 3, 'b', 'c')],
  );

const CHECK: OrderCheckConfig = { mapId: 'map', nodeActions: new Set(['pick', 'drop']), geofence: [] };
const CFG: AgentConfig = {
  ...CHECK,
  maxSpeedMps: 1.5,
  nodeDeviationM: 0.5,
  initPositionToleranceM: 0.5,
  loadHandlingS: 2,
};
const AT = (x: number, y: number, over: Partial<RobotView> = {}): RobotView => ({
  pose: { x, y, theta: 0 },
  localPause: '',
  driving: false,
  ...over,
});

describe('VDA 5050 2.0 schemas', () => {
  it('are byte for byte the files vda-5050-cli 2.4.0 ships (schema/SOURCE.json)', () => {
    const source = JSON.parse(readFileSync(join(schemaDir, 'SOURCE.json'), 'utf8')) as {
      package: string;
      version: string;
      files: Record<string, string>;
    };
    expect(`${source.package}@${source.version}`).toBe('vda-5050-cli@2.4.0');
    expect(Object.keys(source.files)).toHaveLength(9);
    for (const [file, sha] of Object.entries(source.files)) {
      expect([
        file,
        createHash('sha256')
          .update(readFileSync(join(schemaDir, file)))
          .digest('hex'),
      ]).toEqual([file, sha]);
    }
  });

  it('accept a minimal valid order and name what is wrong with an invalid one', () => {
    expect(schemaIssues('order', threeNodes())).toEqual([]);
    const { nodes: _n, ...noNodes } = threeNodes();
    expect(schemaIssues('order', noNodes)).toEqual([
      { path: '/nodes', message: "must have required property 'nodes'" },
    ]);
    expect(schemaIssues('order', { ...threeNodes(), timestamp: 'yesterday' })[0]!.path).toBe('/timestamp');
  });
});

describe('VDA 5050 mode and trust', () => {
  const params = (over: Record<string, unknown>) =>
    paramsSchema.parse({ robot_id: 'amr1', fleet: 'hall', profile: 'factory', ...over });

  it('protocol defaults to kizuna; vda5050 without signatures needs mutual TLS or allow_unsigned', () => {
    expect(params({}).protocol).toBe('kizuna');
    expect(() => checkVdaTrust(params({ protocol: 'vda5050' }), 'cloud_bridge')).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_BRIDGE_CONFIG', message: expect.stringMatching(/mutual TLS/) }),
    );
    expect(() => checkVdaTrust(params({ protocol: 'vda5050', tls_cert_file: '/c.pem' }), 'cloud_bridge')).toThrow();
    expect(() =>
      checkVdaTrust(params({ protocol: 'vda5050', tls_cert_file: '/c.pem', tls_key_file: '/k.pem' }), 'cloud_bridge'),
    ).not.toThrow();
    expect(() => checkVdaTrust(params({ protocol: 'vda5050', allow_unsigned: true }), 'cloud_bridge')).not.toThrow();
    expect(() => params({ protocol: 'opcua' })).toThrow();
    expect(() => params({ vda5050_state_period_s: 31 })).toThrow(); // the standard: at least every 30 s
  });
});

describe('inbound VDA 5050 messages', () => {
  const bytes = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

  it('an order passes; retained, oversize, not JSON, schema, another vehicle and version 3 are validationErrors', () => {
    expect(readOrder(bytes(threeNodes()), CTX)).toEqual({ ok: true, order: threeNodes() });
    const refused = (payload: Buffer, ctx = CTX): string => {
      const r = readOrder(payload, ctx);
      if (r.ok) throw new Error('taken');
      return r.description;
    };
    expect(refused(bytes(threeNodes()), { ...CTX, retained: true })).toMatch(/retained/);
    expect(refused(bytes(threeNodes()), { ...CTX, maxBytes: 100 })).toMatch(/more than 100/);
    expect(refused(Buffer.from('{"headerId":'))).toMatch(/not UTF-8 JSON/);
    expect(refused(bytes({ ...threeNodes(), orderUpdateId: -1 }))).toMatch(/schema.*orderUpdateId/);
    expect(refused(bytes({ ...threeNodes(), serialNumber: 'amr2' }))).toMatch(/kizuna\/amr2.*kizuna\/amr1/);
    expect(refused(bytes({ ...threeNodes(), version: '3.0.0' }))).toMatch(/2\.x/);
    const r = readOrder(bytes({ ...threeNodes(), serialNumber: 'amr2' }), CTX);
    expect(!r.ok && r.refs).toEqual([
      { referenceKey: 'topic', referenceValue: 'order' },
      { referenceKey: 'headerId', referenceValue: '1' },
      { referenceKey: 'orderId', referenceValue: 'o1' },
      { referenceKey: 'orderUpdateId', referenceValue: '0' },
    ]);
  });

  it('instant actions under `actions` (the 2.0 schema) and under `instantActions` (vda-5050-lib) are both read', () => {
    const a = [act('s1', 'stateRequest')];
    expect(readInstantActions(bytes({ ...HDR, actions: a }), CTX)).toEqual({ ok: true, actions: a });
    expect(readInstantActions(bytes({ ...HDR, instantActions: a }), CTX)).toEqual({ ok: true, actions: a });
    const r = readInstantActions(bytes({ ...HDR }), CTX);
    expect(r.ok).toBe(false);
  });
});

describe('order checks beyond the schema', () => {
  const problem = (o: VdaOrder, cfg = CHECK) => orderProblem(o, cfg);

  it('a well-formed order of three nodes with pick and drop has none', () => {
    expect(problem(threeNodes())).toBeUndefined();
  });

  it('refuses a broken graph: edge count, an edge joining other nodes, sequenceIds, released after the horizon', () => {
    const o = threeNodes();
    expect(problem({ ...o, edges: o.edges.slice(1) })?.description).toMatch(/3 nodes need 2 edges, not 1/);
    expect(problem({ ...o, edges: [edge('ab', 1, 'a', 'c'), o.edges[1]!] })?.description).toMatch(/joins 'a' to 'c'/);
    expect(problem({ ...o, nodes: [o.nodes[0]!, { ...o.nodes[1]!, sequenceId: 1 }, o.nodes[2]!] })?.errorType).toBe(
      'validationError',
    );
    const horizonFirst = order(
      'o',
      0,
      [node('a', 0, 0, 0), node('b', 2, 1, 0, false), node('c', 4, 2, 0)],
      [edge('ab', 1, 'a', 'b', false), edge('bc', 3, 'b', 'c', false)],
    );
    expect(problem(horizonFirst)?.description).toMatch(/node 'c' is released after the horizon began/);
  });

  it('refuses what kizuna cannot do: no position, another map, trajectory, edge actions, unsupported node actions', () => {
    const o = threeNodes();
    const { nodePosition: _p, ...noPos } = o.nodes[1]!;
    expect(problem({ ...o, nodes: [o.nodes[0]!, noPos as never, o.nodes[2]!] })?.description).toMatch(
      /no nodePosition/,
    );
    expect(
      problem({
        ...o,
        nodes: [o.nodes[0]!, { ...o.nodes[1]!, nodePosition: { x: 3, y: 0, mapId: 'floor2' } }, o.nodes[2]!],
      })?.description,
    ).toMatch(/map 'floor2'/);
    expect(
      problem({
        ...o,
        edges: [{ ...o.edges[0]!, trajectory: { degree: 1, knotVector: [], controlPoints: [] } }, o.edges[1]!],
      })?.description,
    ).toMatch(/trajectory is not supported/);
    expect(problem({ ...o, edges: [{ ...o.edges[0]!, actions: [act('x', 'pick')] }, o.edges[1]!] })).toMatchObject({
      errorType: 'orderError',
      refs: expect.arrayContaining([{ referenceKey: 'actionId', referenceValue: 'x' }]),
    });
    const fine = problem({
      ...o,
      nodes: [o.nodes[0]!, { ...o.nodes[1]!, actions: [act('f', 'finePositioning')] }, o.nodes[2]!],
    });
    expect(fine).toMatchObject({
      errorType: 'orderError',
      description: expect.stringMatching(/action not supported: 'finePositioning'/),
      refs: expect.arrayContaining([
        { referenceKey: 'actionId', referenceValue: 'f' },
        { referenceKey: 'actionType', referenceValue: 'finePositioning' },
      ]),
    });
    expect(problem(o, { ...CHECK, nodeActions: new Set() })?.description).toMatch(/'pick'.*carries out: none/);
    for (const p of PROFILE_NAMES) {
      const acts = new Set(PROFILE_NODE_ACTIONS[p]);
      expect([p, acts.has('startCharging'), acts.has('pick')]).toEqual([p, true, p === 'factory' || p === 'delivery']);
    }
  });

  it('refuses a node outside the geofence, and an edge whose straight line leaves a concave one', () => {
    const box = [-1, -1, 10, -1, 10, 10, -1, 10];
    expect(problem(threeNodes(), { ...CHECK, geofence: box })).toBeUndefined();
    expect(problem(threeNodes(), { ...CHECK, geofence: [-1, -1, 2, -1, 2, 10, -1, 10] })?.description).toMatch(
      /node 'b' at \(3, 0\) lies outside/,
    );
    // a U: both ends of a-b inside, the line between them crosses the notch
    const u = [-1, -1, 4, -1, 4, 3, 2, 3, 2, 0.5, 1, 0.5, 1, 3, -1, 3];
    const o = order('o', 0, [node('a', 0, 0, 2), node('b', 2, 3, 2)], [edge('ab', 1, 'a', 'b')]);
    expect(problem(o, { ...CHECK, geofence: u })?.description).toMatch(/line from 'a' to 'b' leaves the geofence/);
  });
});

/** An agent with a fresh outbox: drains after each step. */
function agent(): VdaAgent {
  return new VdaAgent(CFG, 'test');
}

describe('the VDA agent: orders', () => {
  it('takes a new order at the first node, runs its pick, drives edge by edge, drops, reports loads', () => {
    const a = agent();
    expect(a.onOrder(threeNodes(), AT(0.1, 0))).toBe('accepted');
    let v = a.view();
    expect([v.orderId, v.lastNodeId, v.nodeStates.map((n) => n.nodeId), v.edgeStates.map((e) => e.edgeId)]).toEqual([
      'o1',
      'a',
      ['b', 'c'],
      ['ab', 'bc'],
    ]);
    expect(v.actionStates.map((s) => [s.actionId, s.actionStatus])).toEqual([
      ['pick', 'WAITING'],
      ['drop', 'WAITING'],
    ]);
    a.tick(0, AT(0.1, 0));
    expect(a.view().actionStates[0]!.actionStatus).toBe('RUNNING');
    expect(a.drain().commands).toEqual([]); // no driving while the pick runs
    a.tick(1, AT(0.1, 0));
    a.tick(2.1, AT(0.1, 0));
    v = a.view();
    expect(v.actionStates[0]).toMatchObject({ actionStatus: 'FINISHED' });
    expect(v.loads).toEqual([{ loadId: 'L1' }]);
    a.tick(2.2, AT(0.1, 0));
    const [drive] = a.drain().commands;
    expect(drive).toMatchObject({ kind: 'navigate', x: 3, y: 0, yaw: 0, speedLimit: 0 });
    a.tick(2.3, AT(1, 0));
    expect(a.drain().commands).toEqual([]); // one drive at a time
    a.onDecision(drive!.id, 'active', '', '', AT(1, 0));
    a.onDecision(drive!.id, 'succeeded', '', 'done', AT(3, 0));
    v = a.view();
    expect([v.lastNodeId, v.lastNodeSequenceId, v.nodeStates.map((n) => n.nodeId)]).toEqual(['b', 2, ['c']]);
    a.tick(2.4, AT(3, 0));
    const [second] = a.drain().commands;
    expect(second).toMatchObject({ kind: 'navigate', x: 3, y: 2 });
    expect((second as { yaw: number }).yaw).toBeCloseTo(Math.PI / 2);
    a.onDecision(second!.id, 'succeeded', '', '', AT(3, 2));
    for (let t = 2.5; t < 5; t += 0.5) a.tick(t, AT(3, 2));
    v = a.view();
    expect(v.actionStates.find((s) => s.actionId === 'drop')!.actionStatus).toBe('FINISHED');
    expect(v.loads).toEqual([]);
    expect(v.nodeStates).toEqual([]);
    expect(a.orderActive).toBe(false);
    expect(v.errors).toEqual([]);
  });

  it('caps an edge maxSpeed at the profile top speed', () => {
    const a = agent();
    const o = order('o', 0, [node('a', 0, 0, 0), node('b', 2, 3, 0)], [{ ...edge('ab', 1, 'a', 'b'), maxSpeed: 9 }]);
    a.onOrder(o, AT(0, 0));
    a.tick(0, AT(0, 0));
    expect(a.drain().commands[0]).toMatchObject({ speedLimit: 1.5 });
  });

  it("each node's own allowedDeviationXY / allowedDeviationTheta become its drive's goal tolerances; none: the executive's", () => {
    const a = agent();
    const at = (n: ReturnType<typeof node>, pos: Record<string, number>) => ({
      ...n,
      nodePosition: { ...n.nodePosition, ...pos },
    });
    const o = order(
      'o',
      0,
      [
        at(node('a', 0, 0, 0), { allowedDeviationXY: 0.8 }),
        at(node('b', 2, 3, 0), { allowedDeviationXY: 0.3, allowedDeviationTheta: 0.2 }),
        at(node('c', 4, 3, 2), { allowedDeviationXy: 9, allowedDeviationTheta: 0 }),
        node('d', 6, 3, 4),
      ],
      [edge('ab', 1, 'a', 'b'), edge('bc', 3, 'b', 'c'), edge('cd', 5, 'c', 'd')],
    );
    expect(a.onOrder(o, AT(0.7, 0))).toBe('accepted'); // the first node's own deviation: 0.7 m is within 0.8
    const drives: Array<Record<string, unknown>> = [];
    for (const id of ['b', 'c', 'd']) {
      a.tick(0, AT(0, 0));
      const cmd = a.drain().commands[0]!;
      drives.push(cmd);
      a.onDecision(cmd.id, 'succeeded', '', '', AT(0, 0));
      expect(a.view().lastNodeId).toBe(id);
    }
    expect(drives[0]).toMatchObject({ goalToleranceM: 0.3, yawToleranceRad: 0.2 });
    // the schema files' spelling is read too; a deviation beyond what the executive takes is capped at 5 m;
    // 0 means none
    expect(drives[1]).toMatchObject({ goalToleranceM: 5 });
    expect(drives[1]).not.toHaveProperty('yawToleranceRad');
    expect(drives[2]).not.toHaveProperty('goalToleranceM');
    expect(drives[2]).not.toHaveProperty('yawToleranceRad');
  });

  it('refuses a first node away from the robot (noRouteError) and any order while it does not know where it is', () => {
    const a = agent();
    expect(a.onOrder(threeNodes(), AT(2, 0))).toBe('rejected');
    expect(a.view().errors[0]).toMatchObject({ errorType: 'noRouteError', errorLevel: 'WARNING' });
    expect(a.onOrder(threeNodes(), { localPause: '', driving: false })).toBe('rejected');
    // allowedDeviationXY of the node itself counts (either spelling)
    const wide = threeNodes();
    wide.nodes[0]!.nodePosition!.allowedDeviationXy = 3;
    expect(a.onOrder(wide, AT(2, 0))).toBe('accepted');
    expect(a.view().errors).toEqual([]); // taken: the refusals before it are cleared
  });

  it('orderUpdateId: a stale one is refused, the same one ignored, a new order refused while one is active', () => {
    const a = agent();
    const o = threeNodes();
    a.onOrder({ ...o, orderUpdateId: 3 }, AT(0, 0));
    expect(a.onOrder({ ...o, orderUpdateId: 2 }, AT(0, 0))).toBe('rejected');
    expect(a.view().errors.at(-1)).toMatchObject({
      errorType: 'orderUpdateError',
      errorReferences: [
        { referenceKey: 'orderId', referenceValue: 'o1' },
        { referenceKey: 'orderUpdateId', referenceValue: '2' },
      ],
    });
    expect(a.view().orderUpdateId).toBe(3);
    expect(a.onOrder({ ...o, orderUpdateId: 3 }, AT(0, 0))).toBe('ignored');
    expect(a.onOrder({ ...o, orderId: 'o2' }, AT(0, 0))).toBe('rejected');
    expect(a.view().errors.at(-1)!.errorDescription).toMatch(/still active/);
  });

  it('drives the base only, asks for a new base at its end, and stitches an update onto it', () => {
    const a = agent();
    const o = order(
      'o',
      0,
      [node('a', 0, 0, 0), node('b', 2, 2, 0), node('c', 4, 4, 0, false)],
      [edge('ab', 1, 'a', 'b'), edge('bc', 3, 'b', 'c', false)],
    );
    a.onOrder(o, AT(0, 0));
    expect(a.view().newBaseRequest).toBe(true);
    a.tick(0, AT(0, 0));
    const [d] = a.drain().commands;
    a.onDecision(d!.id, 'succeeded', '', '', AT(2, 0));
    a.tick(1, AT(2, 0));
    expect(a.drain().commands).toEqual([]); // c is horizon
    expect(a.orderActive).toBe(false); // the base is done: a new order would be taken
    // an update that does not start at the end of the base is refused
    const wrong = order('o', 1, [node('a', 0, 0, 0), node('c', 4, 4, 0)], [edge('ac', 3, 'a', 'c')]);
    expect(a.onOrder(wrong, AT(2, 0))).toBe('rejected');
    expect(a.view().errors.at(-1)!.errorType).toBe('orderUpdateError');
    const upd = order(
      'o',
      1,
      [node('b', 2, 2, 0), node('c', 4, 4, 0, true, [act('drop', 'drop')])],
      [edge('bc', 3, 'b', 'c')],
    );
    expect(a.onOrder(upd, AT(2, 0))).toBe('updated');
    expect(a.view().errors).toEqual([]);
    expect(a.view().actionStates.map((s) => s.actionId)).toEqual(['drop']);
    a.tick(2, AT(2, 0));
    expect(a.drain().commands[0]).toMatchObject({ kind: 'navigate', x: 4, y: 0 });
  });

  it('a drive the executive fails ends the order with an error (FATAL for an e-stop); LOCAL_PAUSE is retried', () => {
    const a = agent();
    a.onOrder(threeNodes(), AT(0, 0));
    for (let t = 0; t <= 2.5; t += 0.5) a.tick(t, AT(0, 0));
    let [d] = a.drain().commands;
    a.onDecision(d!.id, 'rejected', 'LOCAL_PAUSE', 'paused by a person', AT(0, 0));
    a.tick(3, AT(0, 0));
    [d] = a.drain().commands;
    expect(d).toMatchObject({ kind: 'navigate' }); // sent again
    a.onDecision(d!.id, 'failed', 'ESTOP', 'abandoned: emergency stop', AT(1, 0));
    const v = a.view();
    expect(v.errors.at(-1)).toMatchObject({ errorType: 'navigationError', errorLevel: 'FATAL' });
    expect(v.nodeStates).toEqual([]);
    expect(v.actionStates.find((s) => s.actionId === 'drop')!.actionStatus).toBe('FAILED');
    expect(a.orderActive).toBe(false);
    a.tick(4, AT(1, 0));
    expect(a.drain().commands).toEqual([]);
  });
});

describe('the VDA agent: charging at a node', () => {
  const chargeOrder = (): VdaOrder =>
    order('ch', 0, [node('dock', 0, 0, 0, true, [act('c1', 'startCharging'), act('c2', 'stopCharging')])], []);
  const st = (a: VdaAgent, id: string) => a.view().actionStates.find((s) => s.actionId === id);

  it('startCharging docks at the node (a DOCK decision) and finishes when it charges; stopCharging only when not charging', () => {
    const a = new VdaAgent({ ...CFG, nodeActions: new Set(['startCharging', 'stopCharging']) }, 'test');
    expect(a.onOrder(chargeOrder(), AT(0.1, 0))).toBe('accepted');
    a.tick(0, AT(0.1, 0));
    const [dock] = a.drain().commands;
    expect(dock).toMatchObject({ kind: 'dock', x: 0, y: 0 });
    expect(st(a, 'c1')!.actionStatus).toBe('RUNNING');
    a.tick(100, AT(0.1, 0)); // no dwell: it waits for the executive
    expect(st(a, 'c1')!.actionStatus).toBe('RUNNING');
    a.onDecision(dock!.id, 'succeeded', '', '', AT(0.1, 0, { charging: true }));
    expect(st(a, 'c1')!.actionStatus).toBe('FINISHED');
    a.tick(101, AT(0.1, 0, { charging: true }));
    expect(st(a, 'c2')).toMatchObject({
      actionStatus: 'FAILED',
      resultDescription: expect.stringMatching(/cannot switch a charger off/),
    });
    expect(a.view().errors.at(-1)).toMatchObject({ errorType: 'orderActionError', errorLevel: 'WARNING' });
  });

  it('a dock the executive fails (NOT_CHARGING) fails startCharging with an orderActionError; the order goes on', () => {
    const a = new VdaAgent({ ...CFG, nodeActions: new Set(['startCharging', 'stopCharging']) }, 'test');
    a.onOrder(chargeOrder(), AT(0, 0));
    a.tick(0, AT(0, 0));
    const [dock] = a.drain().commands;
    a.onDecision(dock!.id, 'failed', 'NOT_CHARGING', 'no charging within 30 s at the dock', AT(0, 0));
    expect(st(a, 'c1')).toMatchObject({
      actionStatus: 'FAILED',
      resultDescription: expect.stringMatching(/NOT_CHARGING/),
    });
    expect(a.view().errors.at(-1)!.errorReferences).toEqual(
      expect.arrayContaining([{ referenceKey: 'actionId', referenceValue: 'c1' }]),
    );
    a.tick(1, AT(0, 0));
    expect(st(a, 'c2')!.actionStatus).toBe('FINISHED'); // not charging
    expect(a.orderActive).toBe(false);
  });
});

describe('the VDA agent: instant actions', () => {
  /** An agent driving the first edge of the three-node order (pick done). */
  function driving(): { a: VdaAgent; id: string } {
    const a = agent();
    a.onOrder(threeNodes(), AT(0, 0));
    for (let t = 0; t <= 2.5; t += 0.5) a.tick(t, AT(0, 0));
    const [d] = a.drain().commands;
    a.onDecision(d!.id, 'active', '', '', AT(0.5, 0, { driving: true }));
    return { a, id: d!.id };
  }
  const status = (a: VdaAgent, id: string) => a.view().actionStates.find((s) => s.actionId === id)?.actionStatus;

  it('startPause holds the drive (HOLD), stopPause resumes it (RESUME); paused in between', () => {
    const { a } = driving();
    a.onInstantActions([act('p', 'startPause')], AT(1, 0, { driving: true }));
    const [hold] = a.drain().commands;
    expect(hold).toMatchObject({ kind: 'hold' });
    expect([status(a, 'p'), a.view().paused]).toEqual(['RUNNING', true]);
    a.onDecision(hold!.id, 'active', '', 'holding', AT(1, 0));
    expect(status(a, 'p')).toBe('FINISHED');
    a.tick(5, AT(1, 0));
    expect(a.drain().commands).toEqual([]);
    a.onInstantActions([act('r', 'stopPause')], AT(1, 0));
    const [resume] = a.drain().commands;
    expect(resume).toMatchObject({ kind: 'resume' });
    a.onDecision(resume!.id, 'succeeded', '', '', AT(1, 0));
    expect([status(a, 'r'), a.view().paused]).toEqual(['FINISHED', false]);
  });

  it("a person's local pause wins: startPause and stopPause fail while it holds", () => {
    const { a } = driving();
    a.onInstantActions([act('p', 'startPause'), act('r', 'stopPause')], AT(1, 0, { localPause: 'button' }));
    expect([status(a, 'p'), status(a, 'r')]).toEqual(['FAILED', 'FAILED']);
    expect(a.view().actionStates.find((s) => s.actionId === 'p')!.resultDescription).toMatch(/person on site/);
    expect(a.drain().commands).toEqual([]);
  });

  it('cancelOrder stops the drive, fails the open actions, finishes once the robot stands; then noOrderToCancel', () => {
    const { a, id } = driving();
    a.onInstantActions([act('c', 'cancelOrder')], AT(1, 0, { driving: true }));
    const [stop] = a.drain().commands;
    expect(stop).toMatchObject({ kind: 'stop' });
    expect(status(a, 'c')).toBe('RUNNING');
    expect(status(a, 'drop')).toBe('FAILED');
    expect(a.view().nodeStates).toEqual([]);
    a.onDecision(id, 'canceled', 'STOP', '', AT(1, 0, { driving: true }));
    a.onDecision(stop!.id, 'succeeded', '', 'stopped', AT(1, 0, { driving: true }));
    expect(status(a, 'c')).toBe('RUNNING'); // still rolling
    a.tick(10, AT(1.1, 0));
    expect(status(a, 'c')).toBe('FINISHED');
    expect(a.view().errors).toEqual([]); // a cancelled drive is no error
    a.onInstantActions([act('c2', 'cancelOrder')], AT(1.1, 0));
    expect(status(a, 'c2')).toBe('FAILED');
    expect(a.view().errors.at(-1)).toMatchObject({
      errorType: 'noOrderToCancel',
      errorLevel: 'WARNING',
      errorReferences: expect.arrayContaining([{ referenceKey: 'actionId', referenceValue: 'c2' }]),
    });
  });

  it('initPosition confirms a pose near where the robot localises itself and refuses one far from it', () => {
    const a = agent();
    a.onInstantActions(
      [act('i1', 'initPosition', { x: 0.2, y: 0, theta: 0, mapId: 'map', lastNodeId: 'home' })],
      AT(0, 0),
    );
    expect([status(a, 'i1'), a.view().lastNodeId]).toEqual(['FINISHED', 'home']);
    a.onInstantActions(
      [act('i2', 'initPosition', { x: 5, y: 0, theta: 0, mapId: 'map', lastNodeId: 'far' })],
      AT(0, 0),
    );
    expect([status(a, 'i2'), a.view().lastNodeId]).toEqual(['FAILED', 'home']);
    expect(a.view().errors.at(-1)!.errorDescription).toMatch(/does not take its pose from the network/);
  });

  it('stateRequest and factsheetRequest ask for a message; logReport asks for a black_box capture; others are not supported', () => {
    const a = agent();
    a.onInstantActions(
      [act('s', 'stateRequest'), act('f', 'factsheetRequest'), act('l', 'logReport'), act('x', 'pick')],
      AT(0, 0),
    );
    const out = a.drain();
    expect([out.stateRequested, out.factsheetRequested, out.logReports]).toEqual([true, true, ['l']]);
    expect(['s', 'f', 'l', 'x'].map((id) => status(a, id))).toEqual(['FINISHED', 'FINISHED', 'RUNNING', 'FAILED']);
    expect(a.view().errors.map((e) => e.errorType)).toEqual(['instantActionError']);
    // the same actionId again is a re-sent message: not run twice
    a.onInstantActions([act('s', 'stateRequest'), act('l', 'logReport')], AT(0, 0));
    const again = a.drain();
    expect([again.stateRequested, again.logReports]).toEqual([false, []]);
  });

  it("logReport ends with black_box's answer: FINISHED naming the file, or FAILED with the reason", () => {
    const a = agent();
    a.onInstantActions([act('l1', 'logReport'), act('l2', 'logReport')], AT(0, 0));
    a.drain();
    a.onLogReport('l1', true, 'black_box incident 000003-operator_request: /var/bb/000003-operator_request.mcap');
    a.onLogReport('l2', false, 'no black_box on this robot: /amr1/black_box/capture not offered within 5 s');
    // a late second answer changes nothing
    a.onLogReport('l1', false, 'late');
    const st = (id: string) => a.view().actionStates.find((x) => x.actionId === id)!;
    expect(st('l1')).toMatchObject({
      actionStatus: 'FINISHED',
      resultDescription: expect.stringMatching(/000003-operator_request\.mcap$/),
    });
    expect(st('l2')).toMatchObject({
      actionStatus: 'FAILED',
      resultDescription: expect.stringMatching(/^no black_box/),
    });
    expect(a.view().errors).toEqual([]);
  });
});

describe('what the bridge writes', () => {
  type WS = MessageOf<'kizuna_msgs/msg/WorldSummary'>;
  const world = (over: Partial<WS> = {}): WS =>
    ({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'map' },
      pose: { position: { x: 1.234, y: 2.345, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
      pose_valid: true,
      velocity: { linear: { x: 0.5, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0.1 } },
      obstacle_detected: false,
      nearest_obstacle_distance: 0,
      nearest_obstacle_bearing: 0,
      people_count: 0,
      nearest_person_distance: 0,
      nearest_person_bearing: 0,
      battery_valid: true,
      battery_percentage: 0.8,
      battery_voltage: 24.1,
      battery_charging: false,
      estop_active: false,
      sources: [],
      faults: [],
      ...over,
    }) as WS;
  const safety = (state: number, reason: number, over: Record<string, unknown> = {}) =>
    ({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' },
      state,
      linear_speed_cap: 0,
      angular_speed_cap: 0,
      estop_latched: false,
      local_pause: false,
      local_pause_source: '',
      teleop_active: false,
      timed_out_sources: [],
      obstacle_detected: false,
      nearest_obstacle_distance: 0,
      nearest_obstacle_bearing: 0,
      limiting_reason: reason,
      limiting_distance: 0,
      limiting_bearing: 0,
      path_clear_distance: 0,
      detail: '',
      ...over,
    }) as MessageOf<'kizuna_msgs/msg/SafetyState'>;

  it('a state passes the 2.0 schema and vda-5050-lib, with the robot read from kizuna’s own nodes', () => {
    const pic = new VdaPicture('map');
    const a = agent();
    const h = new Headers('kizuna', 'amr1');
    const empty = buildState(h.next('state', 0), a, pic, PROFILE_POLICIES.factory, true);
    expect([schemaIssues('state', empty), lib.validateState(empty)]).toEqual([[], true]);
    expect(empty.information!.map((i) => i.infoType)).toEqual(['batteryUnknown']);
    pic.onWorld(world());
    pic.onSafety(safety(SS.STATE_STOP, SS.REASON_PERSON, { local_pause: true, local_pause_source: 'button' }));
    a.onOrder(threeNodes(), AT(0, 0));
    const s = buildState(h.next('state', 1000), a, pic, PROFILE_POLICIES.factory, true);
    expect([schemaIssues('state', s), lib.validateState(s)]).toEqual([[], true]);
    expect(s).toMatchObject({
      headerId: 1,
      version: '2.0.0',
      orderId: 'o1',
      driving: true,
      paused: true,
      agvPosition: { x: 1.23, y: 2.35, theta: 0, mapId: 'map', positionInitialized: true },
      velocity: { vx: 0.5, vy: 0, omega: 0.1 },
      batteryState: { batteryCharge: 80, batteryVoltage: 24.1, charging: false },
      safetyState: { eStop: 'NONE', fieldViolation: true },
      loads: [],
      operatingMode: 'AUTOMATIC',
    });
    pic.onSafety(safety(SS.STATE_ESTOP, SS.REASON_ESTOP, { estop_latched: true }));
    expect(buildState(h.next('state', 2), a, pic, PROFILE_POLICIES.factory, false).safetyState).toEqual({
      eStop: 'MANUAL',
      fieldViolation: false,
    });
    // a pose precision of 0 (the data policy) withholds agvPosition
    expect(
      buildState(h.next('state', 3), a, pic, { ...PROFILE_POLICIES.factory, posePrecisionM: 0 }, false).agvPosition,
    ).toBeUndefined();
  });

  it('connection, visualization and factsheet pass both validators; the factsheet has the six blocks the official schema requires', () => {
    const h = new Headers('kizuna', 'amr1');
    const pic = new VdaPicture('map');
    pic.onWorld(world());
    for (const c of ['ONLINE', 'OFFLINE', 'CONNECTIONBROKEN'] as const) {
      const m = buildConnection(h.next('connection', 0), c);
      expect([schemaIssues('connection', m), lib.validateConnection(m)]).toEqual([[], true]);
    }
    const v = buildVisualization(h.next('visualization', 0), pic, PROFILE_POLICIES.factory);
    expect([schemaIssues('visualization', v), lib.validateVisualization(v)]).toEqual([[], true]);
    const f = buildFactsheet(h.next('factsheet', 0), {
      profile: 'factory',
      speedMax: 1.5,
      ...PROFILE_BODY.factory,
      heightMax: 0.4,
      nodeActions: ['pick', 'drop'],
      statePeriodS: 30,
      visualizationPeriodS: 1,
    });
    expect([schemaIssues('factsheet', f), lib.validateFactsheet(f)]).toEqual([[], true]);
    for (const k of [
      'typeSpecification',
      'physicalParameters',
      'protocolLimits',
      'protocolFeatures',
      'agvGeometry',
      'loadSpecification',
    ]) {
      expect(f).toHaveProperty(k);
    }
  });

  it('headerIds count per topic; topics follow <interfaceName>/v2/<manufacturer>/<serialNumber>/<topic>', () => {
    const h = new Headers('kizuna', 'amr1');
    expect([h.next('a', 0).headerId, h.next('a', 0).headerId, h.next('b', 0).headerId]).toEqual([0, 1, 0]);
    expect(vdaTopics('uagv', 'kizuna', 'amr1')).toEqual({
      order: 'uagv/v2/kizuna/amr1/order',
      instantActions: 'uagv/v2/kizuna/amr1/instantActions',
      state: 'uagv/v2/kizuna/amr1/state',
      visualization: 'uagv/v2/kizuna/amr1/visualization',
      connection: 'uagv/v2/kizuna/amr1/connection',
      factsheet: 'uagv/v2/kizuna/amr1/factsheet',
    });
  });

  it('the audit log files VDA 5050 packets under the same categories as the contract’s', () => {
    const t = vdaTopics('uagv', 'kizuna', 'amr1');
    const k = robotTopics('kizuna/v1', 'hall', 'amr1');
    const cat = (topic: string, d: 'in' | 'out') => publishCategory(topic, d, Buffer.from('{}'), k, t).c;
    expect([
      cat(t.state, 'out'),
      cat(t.connection, 'out'),
      cat(t.factsheet, 'out'),
      cat(t.visualization, 'out'),
    ]).toEqual(['state', 'status', 'status', 'telemetry']);
    expect([
      cat(t.order, 'in'),
      cat(t.instantActions, 'in'),
      cat(k.decision, 'in'),
      cat('uagv/v2/x/y/order', 'in'),
    ]).toEqual(['decision', 'decision', 'other', 'other']);
  });

  it("a profile file's vda5050_geofence, where it sets one, is its executive's geofence", () => {
    const blocks = loadParamsFile(join(__dirname, '..', '..', '..', 'launch', 'params', 'factory.yaml'));
    const bridge = overridesForNode(blocks, { params: {}, nodeParams: {} }, 'cloud_bridge', '/') as Record<
      string,
      unknown
    >;
    const exec = overridesForNode(blocks, { params: {}, nodeParams: {} }, 'executive', '/') as Record<string, unknown>;
    expect(bridge.protocol).toBeUndefined(); // no profile chooses VDA 5050 for a site
    expect(bridge.vda5050_geofence).toEqual(exec.geofence);
  });

  it("the factsheet body of each profile is its profile file's safety gate footprint and acceleration limits", () => {
    for (const profile of PROFILE_NAMES) {
      const blocks = loadParamsFile(join(__dirname, '..', '..', '..', 'launch', 'params', `${profile}.yaml`));
      const g = overridesForNode(blocks, { params: {}, nodeParams: {} }, 'safety_gate', '/') as Record<string, number>;
      const body = PROFILE_BODY[profile];
      expect([profile, body.length, body.width, body.accelerationMax, body.decelerationMax]).toEqual([
        profile,
        Number(((g.footprint_front_m ?? 0) + (g.footprint_rear_m ?? 0)).toFixed(3)),
        Number((2 * (g.footprint_half_width_m ?? 0)).toFixed(3)),
        g.max_linear_accel_mps2,
        g.max_linear_decel_mps2,
      ]);
    }
  });
});
