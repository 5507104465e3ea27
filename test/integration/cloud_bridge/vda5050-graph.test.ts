/**
 * cloud_bridge in VDA 5050 mode on an in-process graph with a real aedes broker: logReport answered by a
 * real black_box node beside it (the incident file written on the robot, named in the action state) or
 * FAILED when there is none; the retained ONLINE refreshed over a forged OFFLINE.
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { InProcessGraph } from '../../../nodes/core/graph/inprocess/graph';
import { startAnyBridge } from '../../../nodes/cloud_bridge/node';
import type { VdaBridge } from '../../../nodes/cloud_bridge/vda5050/bridge';
import { startBlackBox, type BlackBoxHandle } from '../../../nodes/black_box/node';
import { listIncidentFiles } from '../../../nodes/black_box/store';
import { startAedes } from '../../helpers/brokers';
import { until } from './harness';

jest.setTimeout(30_000);

interface VdaState {
  actionStates: Array<{ actionId: string; actionType?: string; actionStatus: string; resultDescription?: string }>;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

let unique = 0;

/** One robot `/amr1`: cloud_bridge (vda5050) and, when asked, black_box; a master control client. */
async function robot(o: { blackBox: boolean; params?: Record<string, number | string | boolean> }) {
  const broker = await startAedes();
  cleanup.push(() => broker.stop());
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-vda-graph-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const iface = `vdat${process.pid}x${++unique}`;
  const graph = new InProcessGraph();
  cleanup.push(() => graph.shutdown());
  let blackBox: BlackBoxHandle | undefined;
  if (o.blackBox) {
    const n = graph.createNode('black_box', {
      namespace: '/amr1',
      parameterOverrides: { profile: 'factory', dir: join(dir, 'bb'), pre_s: 1, post_s: 0.2, lifecycle_nodes: [] },
    });
    blackBox = startBlackBox(n);
  }
  const node = graph.createNode('cloud_bridge', {
    namespace: '/amr1',
    parameterOverrides: {
      protocol: 'vda5050',
      allow_unsigned: true,
      robot_id: 'amr1',
      fleet: 'f1',
      profile: 'factory',
      broker_url: broker.url,
      vda5050_interface_name: iface,
      store_path: join(dir, 'bridge.sqlite'),
      audit_enabled: false,
      mqtt_version: 4,
      reconnect_min_s: 0.1,
      reconnect_max_s: 0.5,
      ...o.params,
    },
  });
  const bridge = startAnyBridge(node) as VdaBridge;
  cleanup.push(() => bridge.stop());
  const master = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  cleanup.push(() => master.endAsync(true));
  const states: VdaState[] = [];
  master.on('message', (topic, payload) => {
    if (topic === bridge.topics.state) states.push(JSON.parse(payload.toString()) as VdaState);
  });
  await master.subscribeAsync(bridge.topics.state, { qos: 0 });
  await until(() => bridge.link.connected, 'the bridge to connect');
  let headerId = 0;
  const instant = (actionId: string, actionType: string) =>
    master.publishAsync(
      bridge.topics.instantActions,
      JSON.stringify({
        headerId: headerId++,
        timestamp: new Date().toISOString(),
        version: '2.0.0',
        manufacturer: 'kizuna',
        serialNumber: 'amr1',
        actions: [
          {
            actionId,
            actionType,
            blockingType: 'NONE',
            actionParameters: [{ key: 'reason', value: 'shift end' }],
          },
        ],
      }),
      { qos: 1 },
    );
  const action = (id: string) => states.at(-1)?.actionStates.find((a) => a.actionId === id);
  return { broker, bridge, blackBox, master, dir, instant, action };
}

describe('VDA 5050 logReport is answered from black_box', () => {
  it('a black_box capture is requested; FINISHED names the incident file, which is written on the robot', async () => {
    const r = await robot({ blackBox: true });
    await r.instant('log-1', 'logReport');
    await until(() => ['FINISHED', 'FAILED'].includes(r.action('log-1')?.actionStatus ?? ''), 'logReport to end');
    const a = r.action('log-1')!;
    expect(a.actionStatus).toBe('FINISHED');
    const m = /^black_box incident (\d{6}-operator_request): (.+\.mcap) \(kept on the robot\)$/.exec(
      a.resultDescription ?? '',
    );
    expect(m).not.toBeNull();
    expect(m![2]).toBe(join(r.dir, 'bb', `${m![1]}.mcap`));
    expect(r.blackBox!.incidents.map((i) => i.kind)).toEqual(['operator_request']);
    // the capture ends post_s later and its file is complete in black_box's folder (nothing is uploaded)
    await until(() => listIncidentFiles(join(r.dir, 'bb')).some((f) => f.id === m![1]), 'the incident file', 10_000);
  });

  it('without a black_box, logReport FAILS saying so; the bridge goes on', async () => {
    const r = await robot({ blackBox: false, params: { vda5050_log_report_timeout_s: 0.3 } });
    await r.instant('log-2', 'logReport');
    await until(() => ['FINISHED', 'FAILED'].includes(r.action('log-2')?.actionStatus ?? ''), 'logReport to end');
    expect(r.action('log-2')).toMatchObject({
      actionStatus: 'FAILED',
      resultDescription: 'no black_box on this robot: /amr1/black_box/capture not offered within 0.3 s',
    });
    await r.instant('s-1', 'stateRequest');
    await until(() => r.action('s-1')?.actionStatus === 'FINISHED', 'a stateRequest after it');
  });
});

describe('VDA 5050 connection', () => {
  it('re-publishes the retained ONLINE every status_refresh_s, so a forged retained OFFLINE does not stand', async () => {
    const r = await robot({ blackBox: false, params: { status_refresh_s: 5 } });
    const retained = async (): Promise<Record<string, unknown>> => {
      const c = await mqtt.connectAsync(r.broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
      try {
        const got = new Promise<Buffer>((resolve) => c.once('message', (_t, p) => resolve(p)));
        await c.subscribeAsync(r.bridge.topics.connection, { qos: 1 });
        return JSON.parse((await got).toString()) as Record<string, unknown>;
      } finally {
        await c.endAsync(true);
      }
    };
    const online = await retained();
    expect(online).toMatchObject({ connectionState: 'ONLINE', manufacturer: 'kizuna', serialNumber: 'amr1' });
    const forged = { ...online, headerId: 9999, connectionState: 'OFFLINE' };
    await r.master.publishAsync(r.bridge.topics.connection, JSON.stringify(forged), { qos: 1, retain: true });
    expect(await retained()).toMatchObject({ connectionState: 'OFFLINE', headerId: 9999 });
    const forgedAt = Date.now();
    let now = await retained();
    while (now.connectionState !== 'ONLINE' && Date.now() - forgedAt < 9_000) {
      await new Promise((res) => setTimeout(res, 250));
      now = await retained();
    }
    expect(Date.now() - forgedAt).toBeLessThan(7_000);
    // the refresh repeats the connect's ONLINE unchanged (headerId, timestamp): not a new connection
    expect(now).toEqual(online);
  });
});
