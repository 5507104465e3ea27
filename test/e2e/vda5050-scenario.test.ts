/**
 * The scenario sim/scenarios/vda5050-factory.yaml: vda-5050-lib's MasterControlClient drives its two
 * factory robots in the built-in world (embedded broker), each through an order with a pick and a drop,
 * and sends one of them an invalid order; the run's report counts the orders taken and finished and the
 * VDA errors, and passes its criteria (no collision, clearance).
 */
import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import { MasterControlClient } from 'vda-5050-lib';
import mqtt from 'mqtt';
import { loadScenario, parseScenarioYaml } from '../../sim/scenario';
import { runSim } from '../../sim/fleet/run';

jest.setTimeout(240_000);

interface State {
  lastNodeId: string;
  nodeStates: unknown[];
  actionStates: Array<{ actionId: string; actionStatus: string }>;
  agvPosition?: { x: number; y: number };
}

const node = (nodeId: string, sequenceId: number, x: number, y: number, actions: unknown[] = []) => ({
  nodeId,
  sequenceId,
  released: true,
  nodePosition: { x, y, mapId: 'map' },
  actions,
});
const edge = (edgeId: string, sequenceId: number, startNodeId: string, endNodeId: string) => ({
  edgeId,
  sequenceId,
  released: true,
  startNodeId,
  endNodeId,
  actions: [],
});
const action = (actionId: string, actionType: string) => ({ actionId, actionType, blockingType: 'HARD' });

describe('sim/scenarios/vda5050-factory.yaml', () => {
  it('needs planner mode none', () => {
    expect(() =>
      parseScenarioYaml(
        [
          'name: x',
          'duration_s: 10',
          'protocol: vda5050',
          'world: { walls: [] }',
          'robots: [{ id: a, profile: factory, start: { x: 0, y: 0 } }]',
        ].join('\n'),
      ),
    ).toThrow(/protocol vda5050 needs planner mode none/);
  });

  it('a master control drives both robots through pick and drop; the report counts orders and VDA errors', async () => {
    const scenario = loadScenario(join(__dirname, '..', '..', 'sim', 'scenarios', 'vda5050-factory.yaml'));
    const abort = new AbortController();
    let ready: (url: string) => void;
    const url = new Promise<string>((r) => (ready = r));
    const run = runSim({
      scenario,
      source: 'vda5050-factory',
      speed: 2,
      signal: abort.signal,
      drainTimeoutS: 1,
      onReady: (r) => ready(r.brokerUrl),
    });
    const brokerUrl = await url;
    const master = new MasterControlClient({ interfaceName: 'uagv', transport: { brokerUrl }, vdaVersion: '2.0.0' });
    await master.start();
    const last = new Map<string, State>();
    await master.subscribe('state', { manufacturer: 'kizuna' }, (s, agv) => {
      last.set(agv.serialNumber, s as unknown as State);
    });
    const until = async (pred: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 150_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...last])}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until(
        () => last.get('amr1')?.agvPosition !== undefined && last.get('amr2')?.agvPosition !== undefined,
        'both robots',
      );
      for (const [id, y] of [
        ['amr1', 2.5],
        ['amr2', 7.5],
      ] as const) {
        await master.publish('order', { manufacturer: 'kizuna', serialNumber: id }, {
          orderId: `move-${id}`,
          orderUpdateId: 0,
          nodes: [
            node('bay', 0, 2, y),
            node('pick', 2, 6, y, [action(`pick-${id}`, 'pick')]),
            node('drop', 4, 16, y, [action(`drop-${id}`, 'drop')]),
          ],
          edges: [edge('e1', 1, 'bay', 'pick'), edge('e2', 3, 'pick', 'drop')],
        } as never);
      }
      // an invalid order (no nodes), published raw: the library would refuse to send it
      const raw = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4 });
      await raw.publishAsync(
        'uagv/v2/kizuna/amr2/order',
        JSON.stringify({
          headerId: 1,
          timestamp: new Date().toISOString(),
          version: '2.0.0',
          manufacturer: 'kizuna',
          serialNumber: 'amr2',
          orderId: 'bad',
          orderUpdateId: 0,
          edges: [],
        }),
      );
      await raw.endAsync();
      const done = (id: string): boolean => {
        const s = last.get(id);
        return (
          !!s &&
          s.lastNodeId === 'drop' &&
          s.actionStates.some((a) => a.actionId === `drop-${id}` && a.actionStatus === 'FINISHED')
        );
      };
      await until(() => done('amr1') && done('amr2'), 'both orders finished');
      await new Promise((r) => setTimeout(r, 500)); // a tick to count them
    } finally {
      abort.abort();
      await master.stop();
    }
    const { report } = await run;
    expect(report.metrics.vda5050).toEqual({
      ordersTaken: 2,
      ordersFinished: 2,
      ordersCancelled: 0,
      ordersFailed: 0,
      errors: { validationError: 1 },
    });
    expect(report.metrics.collisions).toBe(0);
    expect(report.pass).toBe(true);
  });
});
