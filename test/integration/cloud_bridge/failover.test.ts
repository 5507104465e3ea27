/**
 * cloud_bridge on more than one broker, on real brokers: a list of URLs it fails over between when the
 * node it is on dies, and a broker that refuses the CONNECT reported by CONNACK code and reason in
 * BridgeStatus, the session diagnostics entry and health (CLOUD_BROKER_REFUSED), not as a silent
 * retry loop. aedes 0.51 speaks only MQTT 3.1.1: it is the 3.1.1-only broker refusing MQTT 5.
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { start as startHealth } from '../../../nodes/health/node';
import { mosquittoSkipReason, startAedes, startMosquitto, type TestBroker } from '../../helpers/brokers';
import { Cloud, Robot, uniqueRoot, until } from './harness';

type Diagnostics = MessageOf<'diagnostic_msgs/msg/DiagnosticArray'>;
type HealthSummary = MessageOf<'kizuna_msgs/msg/HealthSummary'>;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function withBroker(start: () => Promise<TestBroker>): Promise<TestBroker> {
  const b = await start();
  cleanup.push(() => b.close());
  return b;
}

/** A robot (bridge + health) whose diagnostics and health are recorded. */
function robotWithHealth(url: string, root: string, protocol: 4 | 5, params: Record<string, number | string> = {}) {
  const robot = Robot.start({ url, root, protocol, params });
  const diags: Diagnostics[] = [];
  const health: HealthSummary[] = [];
  robot.probe.createSubscription('diagnostic_msgs/msg/DiagnosticArray', 'diagnostics', (m) => diags.push(m));
  robot.probe.createSubscription('kizuna_msgs/msg/HealthSummary', 'kizuna/health', (m) => health.push(m));
  startHealth(robot.graph.createNode('health', { parameterOverrides: { watched_nodes: [], period_s: 0.2 } }));
  cleanup.push(() => robot.stop());
  const entry = () => diags.at(-1)?.status.find((s) => s.name === 'cloud_bridge: mqtt session');
  const fault = (code: string) => health.at(-1)?.faults.find((f) => f.code === code);
  return { robot, entry, fault };
}

describe('cloud_bridge reports a broker refusing the CONNECT', () => {
  it('a 3.1.1-only broker refusing MQTT 5: code and reason in BridgeStatus, diagnostics ERROR and CLOUD_BROKER_REFUSED in health', async () => {
    const broker = await withBroker(startAedes);
    const r = robotWithHealth(broker.url, uniqueRoot(), 5);
    await until(() => r.fault('CLOUD_BROKER_REFUSED') !== undefined, 'CLOUD_BROKER_REFUSED in health', 10_000);
    expect(r.robot.bridge.link.connected).toBe(false);
    expect(r.entry()).toMatchObject({ level: 2 });
    expect(r.entry()!.message).toBe(`${broker.url}: CONNACK refused 0x01 unacceptable protocol version`);
    expect(r.entry()!.values.find((v) => v.key === 'fix')?.value).toMatch(/mqtt_version/);
    await until(() => /CONNACK/.test(r.robot.lastStatus()?.last_error ?? ''), 'the refusal in BridgeStatus');
    expect(r.robot.lastStatus()?.last_error).toMatch(
      /CONNACK refused 0x01 unacceptable protocol version \(KZ_ERR_MQTT_REFUSED\)/,
    );
    expect(r.fault('CLOUD_BROKER_REFUSED')!.message).toMatch(/unacceptable protocol version/);
  }, 20_000);

  const skip = mosquittoSkipReason();
  (skip ? it.skip : it)(
    'mosquitto refusing an anonymous client: not authorised, cleared once a broker accepts it',
    async () => {
      const closed = await withBroker(() => startMosquitto({ anonymous: false }));
      const open = await withBroker(() => startMosquitto());
      const r = robotWithHealth(`${closed.url},${open.url}`, uniqueRoot(), 5, { broker_order: 'in_order' });
      // The open broker takes it; the refusal of the closed one was reported on the way.
      await r.robot.connected();
      expect(r.robot.bridge.link.url).toBe(open.url);
      await open.stop();
      await until(() => r.fault('CLOUD_BROKER_REFUSED') !== undefined, 'CLOUD_BROKER_REFUSED in health', 10_000);
      expect(r.entry()!.message).toBe(`${closed.url}: CONNACK refused 0x87 not authorized`);
      await open.start();
      await r.robot.connected();
      await until(() => r.fault('CLOUD_BROKER_REFUSED') === undefined, 'the fault to clear', 10_000);
      expect(r.entry()!.level).toBe(0);
    },
    40_000,
  );
});

describe('cloud_bridge fails over between the brokers of its list', () => {
  const skip = mosquittoSkipReason();
  (skip ? it.skip : it)(
    'the node it is on dies: the next URL takes it after failover_delay_s, not after the backoff, and its birth is there (mosquitto, MQTT 5)',
    async () => {
      const a = await withBroker(startMosquitto);
      const b = await withBroker(startMosquitto);
      const root = uniqueRoot();
      const cloudA = await Cloud.connect(a.url, root, 5);
      const cloudB = await Cloud.connect(b.url, root, 5);
      cleanup.push(
        () => cloudA.close(),
        () => cloudB.close(),
      );
      const r = robotWithHealth(`${a.url},${b.url}`, root, 5, { failover_delay_s: 0.1, reconnect_min_s: 2 });
      await r.robot.connected();
      expect(r.robot.bridge.link.url).toBe(a.url);
      await until(() => cloudA.on('/status').some((m) => m.json.status === 'online'), 'the birth on A');

      const killed = Date.now();
      await a.stop();
      // (connected() alone may still see the session on A before its loss is noticed)
      const link = r.robot.bridge.link;
      await until(() => link.connected && link.url === b.url, 'the bridge on B', 10_000);
      const failoverMs = Date.now() - killed;
      // The next URL after failover_delay_s, not after the backoff (reconnect_min_s 2 s).
      expect(failoverMs).toBeLessThan(1500);
      await until(() => cloudB.on('/status').some((m) => m.json.status === 'online'), 'the birth on B');
      expect(r.robot.lastStatus()?.reconnect_count).toBeGreaterThanOrEqual(1);
    },
    30_000,
  );
});
