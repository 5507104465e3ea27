/**
 * MQTT 5 topic aliases on a real bridge against a real mosquitto (Topic Alias Maximum 10), through the
 * sim's link proxy: the national side still gets every message on its full topic, the robot sends
 * fewer bytes by exactly what the aliases save, the audit log keeps full topics and accounts for every
 * byte, and a new connection sends each topic in full again (no stale alias).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { AuditSummer, readAudit } from '../../../nodes/core/audit/read';
import type { AuditRecord } from '../../../nodes/core/audit/record';
import { LinkProxy } from '../../../sim/link-proxy';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { Cloud, Robot, uniqueRoot, until } from './harness';

type Status = MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
type Pkt = Extract<AuditRecord, { k: 'pkt' }>;

/** [bytes] of the Topic Alias property in a PUBLISH: identifier 0x23 and a two-byte integer. */
const ALIAS_PROPERTY_BYTES = 3;
const N = 60;

const dirs: string[] = [];

function auditOf(robot: Robot): { pkts: Pkt[]; sum: ReturnType<AuditSummer['result']>; ok: boolean } {
  const recs: AuditRecord[] = [];
  const chain = readAudit(join(robot.dir, 'bridge.audit'), (r) => recs.push(r));
  const s = new AuditSummer('topic');
  recs.forEach((r) => s.add(r));
  return { pkts: recs.filter((r): r is Pkt => r.k === 'pkt'), sum: s.result(), ok: chain.ok };
}

/** Watches every PUBLISH the robot's next clients write (topic as sent and alias), from the next connect on. */
function watchPublishes(robot: Robot): Array<{ session: number; topic: string; alias: number | undefined }> {
  const seen: Array<{ session: number; topic: string; alias: number | undefined }> = [];
  const opts = (robot.bridge.link as unknown as { opts: { onClient?: (c: MqttClient) => void } }).opts;
  const prev = opts.onClient;
  let session = robot.bridge.link.connects;
  opts.onClient = (c) => {
    prev?.(c);
    const mine = ++session;
    c.on('packetsend', (p) => {
      if (p.cmd !== 'publish') return;
      const pub = p as IPublishPacket;
      seen.push({ session: mine, topic: String(pub.topic), alias: pub.properties?.topicAlias });
    });
  };
  return seen;
}

async function sendStatuses(robot: Robot, from: number, count: number): Promise<void> {
  const status = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
  const base = createMessage('kizuna_msgs/msg/DecisionStatus') as unknown as Status;
  for (let i = from; i < from + count; i++) {
    status.publish({ ...base, decision_id: `d-${String(i).padStart(4, '0')}`, state: 3, source: 1, kind: 1 });
    if (i % 5 === 4) await robot.graph.flush(); // within the subscription's depth of 10
  }
  await robot.graph.flush();
}

/** One robot sends N decision_started events through a link proxy; returns what each side saw. */
async function run(broker: MosquittoBroker, aliases: boolean, root: string) {
  const proxy = await LinkProxy.start('127.0.0.1', broker.port);
  const cloud = await Cloud.connect(broker.url, root, 5);
  const robot = Robot.start({
    url: proxy.url,
    root,
    protocol: 5,
    profile: 'care',
    params: { topic_aliases: aliases, end_to_end_ack: 'off', state_period_s: 3600 },
  });
  let started: Array<Record<string, unknown>> = [];
  try {
    await robot.connected();
    await sendStatuses(robot, 0, N);
    await until(() => cloud.events().filter((e) => e.type === 'decision_started').length >= N, `${N} events`);
    await until(() => robot.bridge.store.depth === 0, 'the outbox to empty');
    started = cloud.events().filter((e) => e.type === 'decision_started');
  } finally {
    await robot.stop(true);
    await cloud.close();
  }
  expect(await proxy.idle()).toBe(true);
  await proxy.close();
  dirs.push(robot.dir);
  return { robot, proxy, cloud, started, ...auditOf(robot) };
}

const skip = mosquittoSkipReason();

(skip ? describe.skip : describe)(`cloud_bridge topic aliases on mosquitto (MQTT 5)${skip ? ` — ${skip}` : ''}`, () => {
  let m: MosquittoBroker;
  beforeAll(async () => {
    m = await startMosquitto();
  });
  afterAll(async () => {
    await m?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('sends each topic once, then its alias: the link carries fewer bytes by exactly the topics left out; consumers and the audit see full topics', async () => {
    // Roots of the same length: the CONNECT (will topic) and SUBSCRIBE packets match byte for byte.
    const base = uniqueRoot();
    const off = await run(m, false, base.replace(/\/v1$/, 'a/v1'));
    const on = await run(m, true, base.replace(/\/v1$/, 'b/v1'));
    for (const r of [off, on]) {
      // The national side: every event, on the robot's full events topic, in order.
      expect(r.started.map((e) => e.decisionId)).toEqual(
        Array.from({ length: N }, (_, i) => `d-${String(i).padStart(4, '0')}`),
      );
      expect(r.cloud.on('/events').every((msg) => msg.topic === r.robot.topics.events)).toBe(true);
      // The audit log: every byte through the link, no PUBLISH without its topic.
      expect(r.ok).toBe(true);
      expect(r.sum.total.out.bytes).toBe(r.proxy.bytesUp);
      expect(r.sum.total.in.bytes).toBe(r.proxy.bytesDown);
      expect(r.sum.sessions.unaccounted).toEqual({ out: 0, in: 0 });
      expect(r.pkts.filter((p) => p.p === 'publish' && !p.topic)).toEqual([]);
    }
    const outPubs = (r: typeof on): Pkt[] => r.pkts.filter((p) => p.d === 'out' && p.p === 'publish');
    const perTopic = (r: typeof on): Record<string, number> => {
      const o: Record<string, number> = {};
      for (const p of outPubs(r)) {
        const t = p.topic!.slice(p.topic!.indexOf('/tokyo-1/'));
        o[t] = (o[t] ?? 0) + 1;
      }
      return o;
    };
    // The same messages each way, categorised the same (the topics differ only by their unique root).
    expect(perTopic(on)).toEqual(perTopic(off));
    expect(on.sum.rows.find((r) => r.key === on.robot.topics.events)!.out.messages).toBeGreaterThanOrEqual(N);
    const categories = (r: typeof on): string[] => outPubs(r).map((p) => `${p.c} ${p.ev ?? ''}`);
    expect(categories(on)).toEqual(categories(off));
    // What the aliases save: the topic of every PUBLISH but the first on each topic, less the alias
    // property every aliased PUBLISH carries. Payload sizes can differ between the runs by a digit of a
    // timestamp; remaining lengths by one byte of their encoding where they cross 128.
    const counts = new Map<string, number>();
    for (const p of outPubs(on)) counts.set(p.topic!, (counts.get(p.topic!) ?? 0) + 1);
    let expected = 0;
    for (const [t, k] of counts) expected += (k - 1) * Buffer.byteLength(t) - k * ALIAS_PROPERTY_BYTES;
    const payloads = (r: typeof on): number => outPubs(r).reduce((a, p) => a + (p.pb ?? 0), 0);
    const saved = off.proxy.bytesUp - on.proxy.bytesUp - (payloads(off) - payloads(on));
    const k = outPubs(on).length;
    expect(Math.abs(saved - expected)).toBeLessThanOrEqual(k);
    expect(saved).toBeGreaterThan(N * (Buffer.byteLength(on.robot.topics.events) - ALIAS_PROPERTY_BYTES - 1));
    // Nothing else changed: the other packets the robot sent are the same, byte for byte.
    const others = (r: typeof on): number[] => r.pkts.filter((p) => p.d === 'out' && p.p !== 'publish').map((p) => p.b);
    expect(others(on)).toEqual(others(off));
    process.stdout.write(
      `topic aliases: ${k} PUBLISH up, ${off.proxy.bytesUp} B without, ${on.proxy.bytesUp} B with (saved ${saved} B, expected ${expected} ± ${k})\n`,
    );
  }, 60_000);

  it('a new connection sends each topic in full again: no alias of the last connection is used', async () => {
    const root = uniqueRoot();
    const proxy = await LinkProxy.start('127.0.0.1', m.port);
    const cloud = await Cloud.connect(m.url, root, 5);
    const robot = Robot.start({
      url: proxy.url,
      root,
      protocol: 5,
      profile: 'care',
      params: { topic_aliases: true, end_to_end_ack: 'off', state_period_s: 3600 },
    });
    dirs.push(robot.dir);
    try {
      await robot.connected();
      const seen = watchPublishes(robot);
      await sendStatuses(robot, 0, 10);
      await until(() => cloud.events().filter((e) => e.type === 'decision_started').length >= 10, '10 events');
      await until(() => robot.bridge.store.depth === 0, 'the outbox to empty');
      proxy.cut();
      await until(() => !robot.bridge.link.connected, 'the link to drop');
      proxy.restore();
      await until(() => robot.bridge.link.connects === 2, 'the reconnect', 15_000);
      await sendStatuses(robot, 10, 10);
      await until(() => cloud.events().filter((e) => e.type === 'decision_started').length >= 20, '20 events');
      const again = seen.filter((s) => s.session === 2);
      // The first PUBLISH of the new connection on each topic names it in full (with its new alias).
      const firstByAlias = new Map<number, string>();
      for (const s of again) {
        expect(s.alias).toBeDefined();
        if (!firstByAlias.has(s.alias!)) expect(s.topic).not.toBe('');
        if (s.topic !== '') firstByAlias.set(s.alias!, s.topic);
      }
      // events: in full once (the clear at connect), then the alias alone for the ten events
      expect(again.filter((s) => s.topic === robot.topics.events)).toHaveLength(1);
      expect(again.filter((s) => s.topic === '').length).toBeGreaterThanOrEqual(10);
      // mosquitto took every aliased PUBLISH (a stale alias is a protocol error: it would disconnect).
      expect(robot.bridge.link.connects).toBe(2);
      expect(proxy.connections).toBe(2);
      const started = cloud.events().filter((e) => e.type === 'decision_started');
      expect(new Set(started.map((e) => e.decisionId)).size).toBe(20);
      expect(cloud.on('/events').every((msg) => msg.topic === robot.topics.events)).toBe(true);
    } finally {
      await robot.stop(true);
      await cloud.close();
      await proxy.close();
    }
    const { pkts, sum, ok } = auditOf(robot);
    expect(ok).toBe(true);
    expect(sum.sessions.closed).toBe(2);
    expect(sum.sessions.unaccounted).toEqual({ out: 0, in: 0 });
    expect(pkts.filter((p) => p.p === 'publish' && !p.topic)).toEqual([]);
    const ev = pkts.filter((p) => p.d === 'out' && p.topic === robot.topics.events && p.ev === 'decision_started');
    expect(ev.length).toBeGreaterThanOrEqual(20);
    expect(ev.every((p) => p.c === 'events')).toBe(true);
  }, 60_000);
});
