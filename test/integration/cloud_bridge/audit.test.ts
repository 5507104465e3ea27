/**
 * The audit log of a real bridge against a real broker, through the sim's link proxy: every byte the
 * proxy carried each way is in the log (packet records), the bridge's own counters agree, the policy's
 * removals and the chain are there, and no payload is kept unless asked for.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { AuditSummer, readAudit } from '../../../nodes/core/audit/read';
import type { AuditRecord } from '../../../nodes/core/audit/record';
import { LinkProxy } from '../../../sim/link-proxy';
import { mosquittoSkipReason, startAedes, startMosquitto, type TestBroker } from '../../helpers/brokers';
import { Cloud, Robot, signedDecision, uniqueRoot, until } from './harness';

type Req = MessageOf<'kizuna_msgs/msg/DecisionRequest'>;
type Status = MessageOf<'kizuna_msgs/msg/DecisionStatus'>;

function readAll(dir: string): { recs: AuditRecord[]; chain: ReturnType<typeof readAudit> } {
  const recs: AuditRecord[] = [];
  const chain = readAudit(dir, (r) => recs.push(r));
  return { recs, chain };
}

const dirs: string[] = [];

async function exercise(broker: TestBroker, protocol: 4 | 5, payloads: boolean) {
  const root = uniqueRoot();
  const proxy = await LinkProxy.start('127.0.0.1', broker.port);
  const cloud = await Cloud.connect(broker.url, root, protocol);
  const robot = Robot.start({
    url: proxy.url,
    root,
    protocol,
    profile: 'care',
    params: { audit_payloads: payloads, end_to_end_ack: 'off', keepalive_s: 5 },
  });
  try {
    await robot.connected();
    const status = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
    const request = robot.probe.createPublisher('kizuna_msgs/msg/DecisionRequest', 'kizuna/decision_request');
    const base = createMessage('kizuna_msgs/msg/DecisionStatus') as unknown as Status;
    for (let i = 0; i < 20; i++) {
      status.publish({ ...base, decision_id: `d${i}`, state: 3, source: 1, kind: 1, message: 'Mrs Sato asked' });
      if (i % 5 === 4) await robot.graph.flush(); // within the subscription's depth of 10
    }
    const req = createMessage('kizuna_msgs/msg/DecisionRequest') as unknown as Req;
    request.publish({ ...req, request_id: 'r1', reason: 0, detail: 'room 12, Mr Tanaka' });
    await robot.graph.flush();
    // Decisions down: one valid, one forged.
    await cloud.publish(robot.topics.decision, JSON.stringify(signedDecision(robot.robotId)));
    await cloud.publish(robot.topics.decision, '{"not":"a decision"}');
    await until(() => cloud.events().filter((e) => e.type === 'decision_started').length >= 20, '20 events');
    await until(() => robot.decisions.length === 1, 'the decision');
    await until(() => cloud.events().some((e) => e.type === 'decision_rejected'), 'the rejection event');
    await until(() => robot.bridge.store.depth === 0, 'the outbox to empty');
  } finally {
    await robot.stop(true);
    await cloud.close();
  }
  expect(await proxy.idle()).toBe(true);
  await proxy.close();
  dirs.push(robot.dir);
  return { robot, proxy };
}

describe('cloud_bridge audit log: every byte through the link accounted for', () => {
  let aedes: Awaited<ReturnType<typeof startAedes>>;
  beforeAll(async () => {
    aedes = await startAedes();
  });
  afterAll(async () => {
    await aedes.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("on aedes (MQTT 3.1.1): packet bytes each way equal the link proxy's, and the bridge's counters; policy removals recorded; no payloads", async () => {
    const { robot, proxy } = await exercise(aedes, 4, false);
    const dir = join(robot.dir, 'bridge.audit');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const { recs, chain } = readAll(dir);
    expect(chain.ok).toBe(true);
    expect(chain.firstBreak).toBeUndefined();
    const s = new AuditSummer('category');
    recs.forEach((r) => s.add(r));
    const sum = s.result();
    expect(proxy.bytesUp).toBeGreaterThan(1000);
    expect(sum.total.out.bytes).toBe(proxy.bytesUp);
    expect(sum.total.in.bytes).toBe(proxy.bytesDown);
    expect(sum.sessions.closed).toBe(1);
    expect(sum.sessions.counters).toEqual({ out: proxy.bytesUp, in: proxy.bytesDown });
    expect(sum.sessions.unaccounted).toEqual({ out: 0, in: 0 });
    expect(robot.bridge.audit!.tap.bytesOut).toBe(proxy.bytesUp);
    expect(robot.bridge.audit!.tap.bytesIn).toBe(proxy.bytesDown);
    const row = (k: string) => sum.rows.find((r) => r.key === k);
    expect(row('events')!.out.messages).toBeGreaterThanOrEqual(21); // 20 started + the rejection
    // the request, and the zero-length retained message that clears the topic at connect
    expect(row('decision_request')!.out.messages).toBe(2);
    const clears = recs.filter((r) => r.k === 'pkt' && r.d === 'out' && r.pb === 0 && r.r === true);
    expect(clears.map((r) => r.k === 'pkt' && r.c).sort()).toEqual(['decision_request', 'events', 'state']);
    expect(row('decision')!.in.messages).toBe(2);
    expect(row('status')!.out.messages).toBeGreaterThanOrEqual(2); // birth and the shutdown status
    expect(row('mqtt_session')!.out.messages).toBe(2); // CONNECT and DISCONNECT
    // care withholds free text: the request's detail and the events' messages, each recorded.
    expect(sum.removed).toEqual(
      expect.arrayContaining([
        { category: 'decision_request', field: 'detail', messages: 1 },
        { category: 'events', field: 'message', messages: 21 }, // the 20 statuses and the rejection of the forged decision
      ]),
    );
    // No payloads kept: no name that was withheld or sent appears in the files.
    const text = chain.records > 0 ? readFileSync(join(dir, 'audit-000001.jsonl'), 'utf8') : '';
    expect(text).not.toContain('Tanaka');
    expect(text).not.toContain('"pl"');
    expect(text).not.toContain('decisionId');
    expect(statSync(join(dir, 'audit-000001.jsonl')).mode & 0o777).toBe(0o600);
    robot.bridge.audit!.log.close();
  }, 30_000);

  it('keeps the payloads when audit_payloads is on', async () => {
    const { robot } = await exercise(aedes, 4, true);
    const { recs, chain } = readAll(join(robot.dir, 'bridge.audit'));
    expect(chain.ok).toBe(true);
    const req = recs.find((r) => r.k === 'pkt' && r.c === 'decision_request' && r.pb! > 0);
    expect(req && req.k === 'pkt' && JSON.parse(req.pl!)).toMatchObject({ requestId: 'r1' });
    const dec = recs.filter((r) => r.k === 'pkt' && r.c === 'decision');
    expect(dec.some((r) => r.k === 'pkt' && r.pl === '{"not":"a decision"}')).toBe(true);
  }, 30_000);

  it('a bridge whose audit directory cannot be made does not start (KZ_ERR_AUDIT_WRITE naming it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-audit-bad-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'plain-file'), 'x');
    expect(() =>
      Robot.start({
        url: aedes.url,
        root: uniqueRoot(),
        protocol: 4,
        dir,
        params: { audit_dir: join(dir, 'plain-file', 'audit') },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'KZ_ERR_AUDIT_WRITE',
        message: expect.stringContaining(join(dir, 'plain-file', 'audit')),
      }),
    );
  });

  const skip = mosquittoSkipReason();
  (skip ? it.skip : it)(
    `on mosquitto (MQTT 5, properties on every publish)${skip ? ` — skipped: ${skip}` : ''}`,
    async () => {
      const m = await startMosquitto();
      try {
        const { robot, proxy } = await exercise(m, 5, false);
        const { recs, chain } = readAll(join(robot.dir, 'bridge.audit'));
        expect(chain.ok).toBe(true);
        const s = new AuditSummer('topic');
        recs.forEach((r) => s.add(r));
        const sum = s.result();
        expect(sum.total.out.bytes).toBe(proxy.bytesUp);
        expect(sum.total.in.bytes).toBe(proxy.bytesDown);
        expect(sum.sessions.unaccounted).toEqual({ out: 0, in: 0 });
      } finally {
        await m.close();
      }
    },
    30_000,
  );
});
