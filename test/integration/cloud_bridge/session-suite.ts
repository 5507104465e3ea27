/**
 * Decisions during an outage, on every broker and MQTT version: the bridge keeps a persistent session,
 * so a decision the national side publishes (QoS 1) while the robot's link is down is queued by the
 * broker, delivered on reconnect and only then judged by the contract's expiry and replay rules.
 * The broker stays up; the robot's link is cut by a TCP proxy between it and the broker (the robot's
 * Wi-Fi, sim/link-proxy.ts) or by stopping and restarting the bridge itself.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { LinkProxy } from '../../../sim/link-proxy';
import type { TestBroker } from '../../helpers/brokers';
import { Cloud, Robot, signedDecision, uniqueRoot, until } from './harness';

export interface SessionTarget {
  name: string;
  start: () => Promise<TestBroker>;
  /** A broker of the same kind that forgets sessions when restarted (no persistence), when there is one. */
  startVolatile?: () => Promise<TestBroker>;
  skip?: string;
  protocols: Array<4 | 5>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let clients = 0;

export function sessionSuite(target: SessionTarget): void {
  const d = target.skip ? describe.skip : describe;
  for (const protocol of target.protocols) {
    d(`cloud_bridge decisions during an outage on ${target.name}, MQTT ${protocol === 5 ? '5' : '3.1.1'}`, () => {
      let broker: TestBroker;
      let proxy: LinkProxy;
      let cloud: Cloud | undefined;
      let robot: Robot | undefined;
      let root: string;
      let clientId: string;

      beforeAll(async () => {
        broker = await target.start();
      });
      afterAll(async () => {
        await broker.close();
      });
      afterEach(async () => {
        await robot?.stop();
        await cloud?.close();
        await proxy?.close();
        robot = undefined;
        cloud = undefined;
      });

      /** A robot behind its own link proxy, a unique topic root and client id, and the national side. */
      async function setUp(params: Record<string, number | string> = {}): Promise<Robot> {
        root = uniqueRoot();
        clientId = `kizuna-session-${process.pid}-${++clients}`;
        proxy = await LinkProxy.start('127.0.0.1', broker.port);
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({
          url: proxy.url,
          root,
          protocol,
          params: { client_id: clientId, reconnect_min_s: 0.1, reconnect_max_s: 0.3, ...params },
        });
        await robot.connected();
        // The first connect of a new client id never finds a session; its SUBACK is in before we go on.
        expect(robot.bridge.link.sessionPresent).toBe(false);
        await sleep(100);
        return robot;
      }

      /** Cuts the robot's link (the broker stays up) and waits until the bridge has noticed. */
      async function cut(r: Robot): Promise<void> {
        proxy.cut();
        await until(() => !r.bridge.link.connected, 'the bridge to notice the cut link');
        await sleep(100);
      }

      const rejections = (): Array<Record<string, unknown>> =>
        cloud!.events().filter((e) => e.type === 'decision_rejected');

      it('delivers a decision published while its link was down once it reconnects, and executes it exactly once', async () => {
        const r = await setUp();
        await cut(r);
        const own = signedDecision('care-007', { kind: { type: 'stop' }, priority: 200 });
        const fleet = signedDecision('*', { kind: { type: 'set_speed_limit', speedLimit: 0.3 } });
        await cloud!.publish(r.topics.decision, JSON.stringify(own), { qos: 1 });
        await cloud!.publish(r.topics.broadcastDecision, JSON.stringify(fleet), { qos: 1 });
        await sleep(300);
        expect(r.decisions).toHaveLength(0);
        proxy.restore();
        await until(() => r.decisions.length === 2, 'both queued decisions on ROS after the reconnect');
        expect(r.bridge.link.sessionPresent).toBe(true);
        expect(r.decisions.map((m) => m.decision_id).sort()).toEqual([own.decisionId, fleet.decisionId].sort());
        // Subscribing again on the resumed session did not double anything: one more decision, one more delivery.
        const after = signedDecision('care-007');
        await cloud!.publish(r.topics.decision, JSON.stringify(after), { qos: 1 });
        await until(() => r.decisions.length === 3, 'the decision sent after the reconnect');
        await sleep(500);
        expect(r.decisions).toHaveLength(3);
        expect(rejections()).toEqual([]);
      });

      it('judges what was queued by expiry and replay: expired EXPIRED, a second copy REPLAYED, the valid one executed', async () => {
        const r = await setUp();
        await cut(r);
        const now = Date.now();
        const expiring = signedDecision('care-007', { issuedAt: now - 500, expiresAt: now + 800 });
        const valid = signedDecision('care-007', { kind: { type: 'hold' } });
        await cloud!.publish(r.topics.decision, JSON.stringify(expiring), { qos: 1 });
        await cloud!.publish(r.topics.decision, JSON.stringify(valid), { qos: 1 });
        await cloud!.publish(r.topics.decision, JSON.stringify(valid), { qos: 1 });
        await until(() => Date.now() > (expiring.expiresAt as number) + 200, 'the first decision to expire', 5000);
        proxy.restore();
        await until(() => rejections().length === 2, 'two rejection events');
        expect(r.decisions.map((m) => m.decision_id)).toEqual([valid.decisionId]);
        expect(rejections().map((e) => [e.decisionId, e.reason, e.by])).toEqual([
          [expiring.decisionId, 'EXPIRED', 'bridge'],
          [valid.decisionId, 'REPLAYED', 'bridge'],
        ]);
        await until(() => (r.lastStatus()?.rejected_count ?? 0n) === 2n, 'BridgeStatus to count both');
        expect([...r.lastStatus()!.reject_reasons].sort()).toEqual(['EXPIRED', 'REPLAYED']);
      });

      it('keeps the session across a clean restart of the bridge: a decision sent while it was stopped arrives at start', async () => {
        const r = await setUp();
        const dir = r.dir;
        await r.stop(true);
        robot = undefined;
        const d1 = signedDecision('care-007');
        await cloud!.publish(`${root}/tokyo-1/care-007/decision`, JSON.stringify(d1), { qos: 1 });
        robot = Robot.start({
          url: proxy.url,
          root,
          protocol,
          dir,
          params: { client_id: clientId, reconnect_min_s: 0.1, reconnect_max_s: 0.3 },
        });
        await until(() => robot!.decisions.length === 1, 'the decision queued while the bridge was stopped');
        expect(robot.decisions[0]!.decision_id).toBe(d1.decisionId);
        expect(robot.bridge.link.sessionPresent).toBe(true);
      });

      it('with session_expiry_s 0 keeps the old clean session: what was sent during the outage is gone, later decisions arrive', async () => {
        const r = await setUp({ session_expiry_s: 0 });
        await cut(r);
        const lost = signedDecision('care-007');
        await cloud!.publish(r.topics.decision, JSON.stringify(lost), { qos: 1 });
        proxy.restore();
        await r.connected();
        expect(r.bridge.link.sessionPresent).toBe(false);
        await sleep(300);
        const later = signedDecision('care-007');
        await cloud!.publish(r.topics.decision, JSON.stringify(later), { qos: 1 });
        await until(() => r.decisions.length === 1, 'the decision sent after the reconnect');
        await sleep(300);
        expect(r.decisions.map((m) => m.decision_id)).toEqual([later.decisionId]);
      });

      if (protocol === 5) {
        it('after the session expired (MQTT 5 Session Expiry Interval) the queued decision is gone and the bridge subscribes anew', async () => {
          const r = await setUp({ session_expiry_s: 1 });
          await cut(r);
          const lost = signedDecision('care-007');
          await cloud!.publish(r.topics.decision, JSON.stringify(lost), { qos: 1 });
          await sleep(3000);
          proxy.restore();
          await r.connected();
          expect(r.bridge.link.sessionPresent).toBe(false);
          await sleep(300);
          const later = signedDecision('care-007');
          await cloud!.publish(r.topics.decision, JSON.stringify(later), { qos: 1 });
          await until(() => r.decisions.length === 1, 'the decision sent after the new session');
          await sleep(300);
          expect(r.decisions.map((m) => m.decision_id)).toEqual([later.decisionId]);
        }, 15_000);
      }

      if (target.startVolatile) {
        it('subscribes again when a restarted broker has forgotten the session (sessionPresent false)', async () => {
          const volatile = await target.startVolatile!();
          const own = root;
          try {
            const vroot = uniqueRoot();
            const vcloud = await Cloud.connect(volatile.url, vroot, protocol, { reconnectPeriod: 50 });
            const vr = Robot.start({
              url: volatile.url,
              root: vroot,
              protocol,
              params: { client_id: `kizuna-volatile-${process.pid}`, reconnect_min_s: 0.1, reconnect_max_s: 0.3 },
            });
            try {
              await vr.connected();
              await volatile.stop();
              await until(() => !vr.bridge.link.connected, 'the outage');
              await volatile.start();
              await vr.connected();
              expect(vr.bridge.link.sessionPresent).toBe(false);
              await until(() => vcloud.client.connected, 'the national side to reconnect');
              await vcloud.client.subscribeAsync(`${vroot}/#`, { qos: 1 });
              await sleep(300);
              const d1 = signedDecision('care-007');
              await vcloud.publish(vr.topics.decision, JSON.stringify(d1), { qos: 1 });
              await until(() => vr.decisions.length === 1, 'a decision through the new subscription');
            } finally {
              await vr.stop();
              await vcloud.close();
            }
          } finally {
            root = own;
            await volatile.close();
          }
        }, 20_000);
      }
    });
  }
}
