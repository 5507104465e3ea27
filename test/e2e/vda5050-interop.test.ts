/**
 * VDA 5050 2.0 interoperability with a peer nobody here wrote: vda-5050-lib's MasterControlClient (the
 * npm package, its own MQTT client and validators) drives a simulated kizuna factory robot — the real
 * nodes of `kizuna sim`, its cloud_bridge in `protocol: vda5050` — over mosquitto on a free loopback port
 * (aedes when mosquitto is not installed). Every state the master control receives is checked by
 * vda-5050-lib's own 2.0 validator.
 *
 * Cases (issue 19): an order of three nodes and two edges with a pick and a drop; an order update that
 * extends the horizon; startPause / stopPause; cancelOrder mid-edge; logReport (black_box); an invalid order (schema error
 * reported); a stale orderUpdateId (refused); the robot's connection OFFLINE on shutdown.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { MasterControlClient } from 'vda-5050-lib';
import mqtt from 'mqtt';
import { parseScenarioYaml } from '../../sim/scenario';
import { runSim, type SimRunResult } from '../../sim/fleet/run';
import { mosquittoSkipReason, startMosquitto, type TestBroker } from '../helpers/brokers';

jest.setTimeout(240_000);

/** vda-5050-lib's own compiled 2.0 state validator (the one its clients run on every inbound state). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { validateState } = require('vda-5050-lib/common/vda-5050-validators-2.0') as {
  validateState: ((o: unknown) => boolean) & { errors?: unknown };
};

const AGV = { manufacturer: 'kizuna', serialNumber: 'amr1' };
const IF = 'uagv';

interface State {
  headerId: number;
  orderId: string;
  orderUpdateId: number;
  lastNodeId: string;
  lastNodeSequenceId: number;
  driving: boolean;
  paused?: boolean;
  newBaseRequest?: boolean;
  nodeStates: Array<{ nodeId: string; sequenceId: number; released: boolean }>;
  edgeStates: Array<{ edgeId: string; sequenceId: number; released: boolean }>;
  actionStates: Array<{ actionId: string; actionType?: string; actionStatus: string; resultDescription?: string }>;
  errors: Array<{
    errorType: string;
    errorLevel: string;
    errorDescription?: string;
    errorReferences?: Array<{ referenceKey: string; referenceValue: string }>;
  }>;
  agvPosition?: { x: number; y: number; theta: number; mapId: string; positionInitialized: boolean };
  loads?: Array<{ loadId?: string }>;
  safetyState: { eStop: string; fieldViolation: boolean };
}

const scenario = parseScenarioYaml(
  [
    'name: vda5050-interop',
    'seed: 3',
    'duration_s: 400',
    'world:',
    '  walls:',
    '    - { id: hall, points: [[0, 0], [20, 0], [20, 10], [0, 10]], closed: true }',
    'robots:',
    '  - { id: amr1, profile: factory, start: { x: 2, y: 5, yaw: 0 } }',
    'planner: { mode: none }',
    'pass:',
    '  no_collisions: true',
    '',
  ].join('\n'),
);

let broker: TestBroker | undefined;
let master: MasterControlClient;
let raw: mqtt.MqttClient;
const abort = new AbortController();
let run: Promise<SimRunResult> | undefined;
const states: State[] = [];
const invalid: string[] = [];
const connections: string[] = [];
let waiters: Array<() => void> = [];

const node = (id: string, seq: number, x: number, y: number, released = true, actions: unknown[] = []) => ({
  nodeId: id,
  sequenceId: seq,
  released,
  nodePosition: { x, y, mapId: 'map' },
  actions,
});
const edge = (id: string, seq: number, from: string, to: string, released = true) => ({
  edgeId: id,
  sequenceId: seq,
  released,
  startNodeId: from,
  endNodeId: to,
  actions: [],
});
const action = (actionId: string, actionType: string, params: Record<string, string> = {}) => ({
  actionId,
  actionType,
  blockingType: 'HARD' as const,
  actionParameters: Object.entries(params).map(([key, value]) => ({ key, value })),
});

function last(): State {
  const s = states.at(-1);
  if (!s) throw new Error('no state received yet');
  return s;
}

/** Resolves when a received state satisfies `pred` (checked on every state), or rejects after `ms`. */
function waitState(pred: (s: State) => boolean, what: string, ms = 60_000): Promise<State> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const s = states.at(-1);
      if (s && pred(s)) {
        clearTimeout(t);
        resolve(s);
        return true;
      }
      return false;
    };
    const t = setTimeout(() => {
      waiters = waiters.filter((w) => w !== fn);
      reject(new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(states.at(-1))}`));
    }, ms);
    const fn = (): void => {
      if (check()) waiters = waiters.filter((w) => w !== fn);
    };
    if (!check()) waiters.push(fn);
  });
}

const actionStatus = (s: State, id: string): string | undefined =>
  s.actionStates.find((a) => a.actionId === id)?.actionStatus;

beforeAll(async () => {
  broker = mosquittoSkipReason() ? undefined : await startMosquitto();
  let ready: (url: string) => void;
  const brokerUrl = new Promise<string>((r) => (ready = r));
  run = runSim({
    scenario,
    source: 'vda5050-interop',
    ...(broker ? { brokerUrl: broker.url } : {}),
    plannerMode: 'none',
    speed: 1,
    signal: abort.signal,
    drainTimeoutS: 1,
    bridgeOverrides: { protocol: 'vda5050', allow_unsigned: true, vda5050_state_period_s: 5 },
    onReady: (r) => ready(r.brokerUrl),
  });
  const url = await brokerUrl;
  const u = new URL(url);
  master = new MasterControlClient({
    interfaceName: IF,
    transport: { brokerUrl: url },
    vdaVersion: '2.0.0',
    topicObjectValidation: { inbound: false, outbound: true },
  });
  await master.start();
  // Every state as it arrives, checked by the library's own validator.
  await master.subscribe('state', AGV, (s) => {
    if (!validateState(s)) invalid.push(JSON.stringify(validateState.errors));
    states.push(s as unknown as State);
    for (const w of [...waiters]) w();
  });
  raw = mqtt.connect(`mqtt://${u.hostname}:${u.port}`, { protocolVersion: 4 });
  raw.on('message', (topic, payload) => {
    if (topic.endsWith('/connection'))
      connections.push((JSON.parse(payload.toString()) as { connectionState: string }).connectionState);
  });
  await raw.subscribeAsync(`${IF}/v2/${AGV.manufacturer}/${AGV.serialNumber}/connection`);
  await waitState((s) => s.agvPosition?.positionInitialized === true, 'a state with the robot localised');
});

afterAll(async () => {
  abort.abort();
  await run?.catch(() => undefined);
  await master?.stop();
  await raw?.endAsync();
  await broker?.close();
});

describe('VDA 5050 2.0: vda-5050-lib MasterControlClient drives a kizuna factory robot', () => {
  it('an order of three nodes and two edges with a pick and a drop is carried out', async () => {
    const p = last().agvPosition!;
    await master.publish('order', AGV, {
      orderId: 'o1',
      orderUpdateId: 0,
      nodes: [
        node('n0', 0, p.x, p.y, true, [
          action('pick-1', 'pick', { loadId: 'carrier-17', loadType: 'EPAL', stationType: 'floor' }),
        ]),
        node('n1', 2, p.x + 3, p.y),
        node('n2', 4, p.x + 3, p.y + 2, true, [
          action('drop-1', 'drop', { loadId: 'carrier-17', stationType: 'floor' }),
        ]),
      ],
      edges: [edge('e0', 1, 'n0', 'n1'), edge('e1', 3, 'n1', 'n2')],
    } as never);
    await waitState((s) => s.orderId === 'o1' && actionStatus(s, 'pick-1') === 'RUNNING', 'pick running');
    await waitState(
      (s) => actionStatus(s, 'pick-1') === 'FINISHED' && (s.loads?.length ?? 0) === 1,
      'pick finished, load on',
    );
    await waitState((s) => s.lastNodeId === 'n1', 'n1 traversed');
    const done = await waitState(
      (s) => s.lastNodeId === 'n2' && actionStatus(s, 'drop-1') === 'FINISHED' && s.nodeStates.length === 0,
      'n2 reached and drop finished',
    );
    expect(done.loads).toEqual([]);
    expect(done.errors).toEqual([]);
    expect(Math.hypot(done.agvPosition!.x - (p.x + 3), done.agvPosition!.y - (p.y + 2))).toBeLessThan(0.3);
  });

  it('an invalid order is refused with a validationError naming the schema violation; the robot stays put', async () => {
    const before = last();
    // published raw: vda-5050-lib refuses to send an order its own validator rejects
    await raw.publishAsync(
      `${IF}/v2/${AGV.manufacturer}/${AGV.serialNumber}/order`,
      JSON.stringify({
        headerId: 77,
        timestamp: new Date().toISOString(),
        version: '2.0.0',
        ...AGV,
        orderId: 'broken',
        orderUpdateId: 0,
        edges: [],
      }),
    );
    const s = await waitState((x) => x.errors.some((e) => e.errorType === 'validationError'), 'a validationError');
    const e = s.errors.find((x) => x.errorType === 'validationError')!;
    expect(e.errorLevel).toBe('WARNING');
    expect(e.errorDescription).toMatch(/schema.*nodes/);
    expect(e.errorReferences).toEqual(
      expect.arrayContaining([
        { referenceKey: 'topic', referenceValue: 'order' },
        { referenceKey: 'headerId', referenceValue: '77' },
        { referenceKey: 'orderId', referenceValue: 'broken' },
      ]),
    );
    expect(s.orderId).toBe(before.orderId);
    expect(s.lastNodeId).toBe(before.lastNodeId);
  });

  it('an order through the site geofence and one with an action the robot does not have (finePositioning) are refused whole; nothing moves', async () => {
    const before = last();
    const p = before.agvPosition!;
    // the sim's geofence is the hall's walls grown by 1 m: x in [-1, 21]
    await master.publish('order', AGV, {
      orderId: 'outside',
      orderUpdateId: 0,
      nodes: [node('s0', 0, p.x, p.y), node('s1', 2, 25, p.y)],
      edges: [edge('t0', 1, 's0', 's1')],
    } as never);
    const s = await waitState(
      (x) => x.errors.some((e) => /geofence/.test(e.errorDescription ?? '')),
      'geofence refusal',
    );
    expect(s.errors.find((e) => /geofence/.test(e.errorDescription ?? ''))).toMatchObject({
      errorType: 'orderError',
      errorReferences: expect.arrayContaining([{ referenceKey: 'nodeId', referenceValue: 's1' }]),
    });
    await master.publish('order', AGV, {
      orderId: 'fine',
      orderUpdateId: 0,
      nodes: [node('s0', 0, p.x, p.y, true, [action('f-1', 'finePositioning')])],
      edges: [],
    } as never);
    const c = await waitState(
      (x) => x.errors.some((e) => /action not supported/.test(e.errorDescription ?? '')),
      'unsupported action',
    );
    expect(c.errors.find((e) => /action not supported/.test(e.errorDescription ?? ''))!.errorReferences).toEqual(
      expect.arrayContaining([{ referenceKey: 'actionType', referenceValue: 'finePositioning' }]),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const after = last();
    expect([after.orderId, after.lastNodeId, after.driving]).toEqual([before.orderId, before.lastNodeId, false]);
    expect(Math.hypot(after.agvPosition!.x - p.x, after.agvPosition!.y - p.y)).toBeLessThan(0.05);
  });

  it('an order update extends the horizon; a stale orderUpdateId is refused and the order goes on', async () => {
    const p = last().agvPosition!;
    await master.publish('order', AGV, {
      orderId: 'o2',
      orderUpdateId: 0,
      nodes: [node('m0', 0, p.x, p.y), node('m1', 2, p.x + 3, p.y), node('m2', 4, p.x + 6, p.y, false)],
      edges: [edge('f0', 1, 'm0', 'm1'), edge('f1', 3, 'm1', 'm2', false)],
    } as never);
    // the validationError of the invalid order goes once a new order is taken
    const taken = await waitState((s) => s.orderId === 'o2', 'order o2 taken');
    expect(taken.errors).toEqual([]);
    const atBaseEnd = await waitState((s) => s.lastNodeId === 'm1', 'm1 (end of the base) reached');
    expect(atBaseEnd.newBaseRequest).toBe(true);
    expect(atBaseEnd.nodeStates).toEqual([
      { nodeId: 'm2', sequenceId: 4, released: false, nodePosition: expect.anything() },
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(last().lastNodeId).toBe('m1'); // the horizon is not driven
    await master.publish('order', AGV, {
      orderId: 'o2',
      orderUpdateId: 1,
      nodes: [node('m1', 2, p.x + 3, p.y), node('m2', 4, p.x + 6, p.y)],
      edges: [edge('f1', 3, 'm1', 'm2')],
    } as never);
    await waitState((s) => s.orderUpdateId === 1, 'update 1 taken');
    await master.publish('order', AGV, {
      orderId: 'o2',
      orderUpdateId: 0,
      nodes: [node('m0', 0, p.x, p.y), node('m1', 2, p.x + 3, p.y)],
      edges: [edge('f0', 1, 'm0', 'm1')],
    } as never);
    const stale = await waitState((s) => s.errors.some((e) => e.errorType === 'orderUpdateError'), 'orderUpdateError');
    expect(stale.orderUpdateId).toBe(1);
    expect(stale.errors.find((e) => e.errorType === 'orderUpdateError')!.errorReferences).toEqual(
      expect.arrayContaining([{ referenceKey: 'orderUpdateId', referenceValue: '0' }]),
    );
    const done = await waitState((s) => s.lastNodeId === 'm2' && s.nodeStates.length === 0, 'm2 reached');
    expect(done.orderId).toBe('o2');
  });

  it('startPause holds the robot mid-edge, stopPause lets it go on to the node', async () => {
    const p = last().agvPosition!;
    await master.publish('order', AGV, {
      orderId: 'o3',
      orderUpdateId: 0,
      nodes: [node('p0', 0, p.x, p.y), node('p1', 2, p.x, p.y - 4)],
      edges: [edge('g0', 1, 'p0', 'p1')],
    } as never);
    await waitState((s) => s.orderId === 'o3' && s.driving, 'driving on g0');
    await new Promise((r) => setTimeout(r, 1000));
    await master.publish('instantActions', AGV, { instantActions: [action('pause-1', 'startPause')] } as never);
    const paused = await waitState((s) => actionStatus(s, 'pause-1') === 'FINISHED' && s.paused === true, 'paused');
    await waitState((s) => !s.driving, 'standing');
    const at = last().agvPosition!;
    await new Promise((r) => setTimeout(r, 2000));
    const still = last();
    expect(still.paused).toBe(true);
    expect(Math.hypot(still.agvPosition!.x - at.x, still.agvPosition!.y - at.y)).toBeLessThan(0.05);
    expect(paused.lastNodeId).toBe('p0');
    expect(Math.hypot(at.x - p.x, at.y - (p.y - 4))).toBeGreaterThan(0.5); // held mid-edge
    await master.publish('instantActions', AGV, { instantActions: [action('resume-1', 'stopPause')] } as never);
    await waitState((s) => actionStatus(s, 'resume-1') === 'FINISHED' && s.paused === false, 'resumed');
    await waitState((s) => s.lastNodeId === 'p1' && s.nodeStates.length === 0, 'p1 reached');
  });

  it('cancelOrder mid-edge stops the robot where it is and ends the order', async () => {
    const p = last().agvPosition!;
    await master.publish('order', AGV, {
      orderId: 'o4',
      orderUpdateId: 0,
      nodes: [node('q0', 0, p.x, p.y), node('q1', 2, 3, 3, true, [action('drop-9', 'drop')])],
      edges: [edge('h0', 1, 'q0', 'q1')],
    } as never);
    await waitState((s) => s.orderId === 'o4' && s.driving, 'driving on h0');
    await new Promise((r) => setTimeout(r, 2000));
    await master.publish('instantActions', AGV, { instantActions: [action('cancel-1', 'cancelOrder')] } as never);
    const s = await waitState((x) => actionStatus(x, 'cancel-1') === 'FINISHED', 'cancelOrder finished');
    expect(s.driving).toBe(false);
    expect(s.nodeStates).toEqual([]);
    expect(s.edgeStates).toEqual([]);
    expect(s.lastNodeId).toBe('q0');
    expect(actionStatus(s, 'drop-9')).toBe('FAILED');
    expect(Math.hypot(s.agvPosition!.x - 3, s.agvPosition!.y - 3)).toBeGreaterThan(1); // stopped short of q1
    // a second cancelOrder has no order to cancel
    await master.publish('instantActions', AGV, { instantActions: [action('cancel-2', 'cancelOrder')] } as never);
    const again = await waitState((x) => actionStatus(x, 'cancel-2') === 'FAILED', 'second cancelOrder failed');
    expect(again.errors.map((e) => e.errorType)).toContain('noOrderToCancel');
  });

  it("logReport is answered from the robot's black_box: FINISHED naming the incident file kept on the robot", async () => {
    await master.publish('instantActions', AGV, {
      instantActions: [action('log-1', 'logReport', { reason: 'shift end' })],
    } as never);
    const s = await waitState(
      (x) => ['FINISHED', 'FAILED'].includes(actionStatus(x, 'log-1') ?? ''),
      'logReport ended',
    );
    const a = s.actionStates.find((x) => x.actionId === 'log-1')!;
    expect(a.actionStatus).toBe('FINISHED');
    expect(a.resultDescription).toMatch(/^black_box incident \d{6}-[a-z_]+: \S+\.mcap \(kept on the robot\)$/);
  });

  it('every state the master control received passes vda-5050-lib validation', () => {
    expect(states.length).toBeGreaterThan(20);
    expect(invalid).toEqual([]);
  });

  it('the robot says OFFLINE on its connection topic when it shuts down', async () => {
    expect(connections).toContain('ONLINE');
    abort.abort();
    await run;
    const deadline = Date.now() + 10_000;
    while (connections.at(-1) !== 'OFFLINE' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(connections.at(-1)).toBe('OFFLINE');
  });
});
