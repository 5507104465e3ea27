/**
 * The packet tap on a plain mqtt.js client through a link proxy to a real aedes: payloads whose MQTT
 * remaining length takes 1, 2, 3 and 4 bytes, sent and received back, QoS 0 and 1 — the packet records
 * add up to the proxy's bytes each way, and each PUBLISH record has its payload size.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { AuditLog } from '../../../nodes/cloud_bridge/audit-log';
import { AuditTap } from '../../../nodes/cloud_bridge/audit-tap';
import { readAudit } from '../../../nodes/core/audit/read';
import type { AuditRecord } from '../../../nodes/core/audit/record';
import { robotTopics } from '../../../nodes/core/contract';
import { LinkProxy } from '../../../sim/link-proxy';
import { startAedes } from '../../helpers/brokers';
import { until } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-audit-tap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit tap: MQTT framing of every size', () => {
  it('records each packet with its exact size: the sums equal the link proxy each way', async () => {
    const broker = await startAedes();
    const proxy = await LinkProxy.start('127.0.0.1', broker.port);
    const topics = robotTopics('kz/v1', 'f', 'r1');
    const log = AuditLog.open(join(dir, 'a'), {
      robotId: 'r1',
      fleet: 'f',
      fileMaxBytes: 1 << 20,
      maxTotalBytes: 1 << 30,
      maxAgeMs: 0,
      now: Date.now,
    });
    const tap = new AuditTap(log, { topics, payloads: false, onError: () => undefined });
    const client = mqtt.connect(proxy.url, { protocolVersion: 4, manualConnect: true, reconnectPeriod: 0 });
    tap.attach(client);
    client.connect();
    await new Promise<void>((r) => client.once('connect', () => r()));
    const got: number[] = [];
    client.on('message', (_t, p) => got.push(p.length));
    await client.subscribeAsync(topics.decision, { qos: 1 });
    // Remaining lengths of 1 (< 128), 2 (< 16,384), 3 (< 2,097,152) and 4 bytes.
    const sizes = [10, 300, 20_000, 2_200_000];
    for (const [i, n] of sizes.entries()) {
      await client.publishAsync(topics.decision, Buffer.alloc(n, 65 + i), { qos: (i % 2) as 0 | 1 });
    }
    await until(() => got.length === sizes.length, 'every payload back', 20_000);
    await client.endAsync();
    tap.finish();
    log.close();
    expect(await proxy.idle()).toBe(true);
    const recs: AuditRecord[] = [];
    expect(readAudit(join(dir, 'a'), (r) => recs.push(r)).ok).toBe(true);
    const pkts = recs.filter((r): r is Extract<AuditRecord, { k: 'pkt' }> => r.k === 'pkt');
    const sum = (d: 'out' | 'in'): number => pkts.filter((r) => r.d === d).reduce((a, r) => a + r.b, 0);
    expect(sum('out')).toBe(proxy.bytesUp);
    expect(sum('in')).toBe(proxy.bytesDown);
    for (const d of ['out', 'in'] as const) {
      const pubs = pkts.filter((r) => r.d === d && r.p === 'publish');
      expect(pubs.map((r) => r.pb)).toEqual(sizes);
      // A robot never publishes on its decision topic: outside the contract going out, a decision coming in.
      expect(new Set(pubs.map((r) => r.c))).toEqual(new Set([d === 'out' ? 'other' : 'decision']));
    }
    expect(recs.filter((r) => r.k === 'session')).toEqual([
      expect.objectContaining({ out: proxy.bytesUp, in: proxy.bytesDown }),
    ]);
    expect(tap.bytesOut).toBe(proxy.bytesUp);
    await proxy.close();
    await broker.close();
  }, 60_000);
});
