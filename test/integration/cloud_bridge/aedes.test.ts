import { describe, it, expect } from '@jest/globals';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { startAedes, type AedesBroker } from '../../helpers/brokers';
import { bridgeSuite } from './suite';
import { sessionSuite } from './session-suite';
import { Robot, uniqueRoot, until } from './harness';

// aedes speaks MQTT 3.1.1 only.
bridgeSuite({
  name: 'aedes',
  start: startAedes,
  protocols: [4],
  observe: (broker, cb) => (broker as AedesBroker).onPublish((topic, payload) => cb(topic, payload)),
});

describe('cloud_bridge on aedes: a storm of broker restarts', () => {
  it('ends with exactly one live connection of the bridge and every event delivered', async () => {
    const broker = await startAedes();
    const root = uniqueRoot();
    const live = new Map<string, number>();
    const seqs = new Set<number>();
    broker.onPublish((topic, payload) => {
      // (a zero-length message is the bridge clearing stray retained ones at connect: not an event)
      if (topic.startsWith(root) && topic.endsWith('/events') && payload.length > 0)
        seqs.add((JSON.parse(payload.toString()) as { seq: number }).seq);
    });
    const watch = (): void => {
      broker.aedes.on('client', (c) => live.set(c.id, (live.get(c.id) ?? 0) + 1));
      broker.aedes.on('clientDisconnect', (c) => live.set(c.id, (live.get(c.id) ?? 0) - 1));
    };
    watch();
    const robot = Robot.start({
      url: broker.url,
      root,
      protocol: 4,
      params: { reconnect_min_s: 0.05, reconnect_max_s: 0.2 },
    });
    try {
      await robot.connected();
      const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
      const base = createMessage(
        'kizuna_msgs/msg/DecisionStatus',
      ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 5; i++)
          pub.publish({ ...base, decision_id: `s${round}-${i}`, state: 1, source: 1, kind: 1 });
        await robot.graph.flush();
        await broker.stop();
        live.clear();
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
        await broker.start();
        watch();
        await new Promise((r) => setTimeout(r, Math.random() * 200));
      }
      await until(() => robot.bridge.link.connected && robot.bridge.store.depth === 0, 'the bridge to settle', 15_000);
      const last = robot.bridge.store.lastSeq;
      expect(last).toBe(25);
      for (let q = 1; q <= last; q++) expect(seqs.has(q)).toBe(true);
      expect(live.get('tokyo-1.care-007')).toBe(1);
    } finally {
      await robot.stop();
      await broker.close();
    }
  }, 30_000);
});

sessionSuite({ name: 'aedes', start: startAedes, protocols: [4] });
