/**
 * The audit log survives kill -9: the bridge, a process of its own (child.ts), is killed at random
 * points of a burst, again and again, with its audit files rotating; after every kill the log reads
 * back with its chain intact (at most the last record torn, which the next start cuts off and records),
 * and every event the broker received has its packet record: nothing left the robot unrecorded.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditSummer, readAudit } from '../../../nodes/core/audit/read';
import type { AuditRecord } from '../../../nodes/core/audit/record';
import { startAedes, type AedesBroker } from '../../helpers/brokers';
import { TEST_KEYS_JSON, uniqueRoot } from './harness';
import { exited, spawnBridge } from './child-process';

describe('cloud_bridge audit log: kill -9 leaves no torn record and nothing unrecorded', () => {
  let broker: AedesBroker;
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-audit-kill9-'));
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after each of 8 kills mid-burst the chain verifies; at the end every event the broker saw is in the log', async () => {
    const root = uniqueRoot();
    const audit = join(dir, 'audit');
    writeFileSync(join(dir, 'keys.json'), TEST_KEYS_JSON);
    const params = {
      robot_id: 'care-9',
      fleet: 'home',
      profile: 'care',
      topic_root: root,
      broker_url: broker.url,
      mqtt_version: 4,
      trusted_keys_file: join(dir, 'keys.json'),
      store_path: join(dir, 'bridge.sqlite'),
      reconnect_min_s: 0.05,
      reconnect_max_s: 0.2,
      outbox_rate_per_s: 2000,
      audit_dir: audit,
      // Payloads make records long (more of them cross a page) and files rotate during the kills.
      audit_payloads: true,
      audit_file_max_bytes: 65536,
    };
    const atBroker = new Set<number>();
    broker.onPublish((topic, payload) => {
      // (a zero-length message is the bridge clearing stray retained ones at connect: not an event)
      if (topic.startsWith(root) && topic.endsWith('/events') && payload.length > 0)
        atBroker.add((JSON.parse(payload.toString()) as { seq: number }).seq);
    });
    const kills = 8;
    let torn = 0;
    for (let k = 0; k < kills; k++) {
      const b = spawnBridge(params, 200);
      await b.wait(/^ready$/, 15_000);
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
      b.proc.kill('SIGKILL');
      await exited(b.proc);
      expect(b.proc.signalCode).toBe('SIGKILL');
      const chain = readAudit(audit, () => undefined);
      expect(chain.firstBreak).toBeUndefined();
      expect(chain.ok).toBe(true);
      if (chain.tornTail) torn++;
    }
    const last = spawnBridge(params, 20);
    await last.wait(/^drained \d+$/, 30_000);
    last.proc.kill('SIGTERM');
    await exited(last.proc);

    const recs: AuditRecord[] = [];
    const chain = readAudit(audit, (r) => recs.push(r));
    expect(chain.ok).toBe(true);
    expect(chain.tornTail).toBeUndefined();
    expect(chain.rotatedOut).toBe(false);
    expect(recs.filter((r) => r.k === 'start')).toHaveLength(kills + 1);
    // Every torn tail seen after a kill was cut off, and said so, at the next start.
    expect(recs.filter((r) => r.k === 'recovered')).toHaveLength(torn);
    expect(readdirSync(audit).length).toBeGreaterThan(1);
    const recorded = new Set(recs.flatMap((r) => (r.k === 'pkt' && r.c === 'events' && r.seq ? [r.seq] : [])));
    expect(atBroker.size).toBeGreaterThan(200);
    const unrecorded = [...atBroker].filter((s) => !recorded.has(s));
    expect(unrecorded).toEqual([]);
    // Connections that ended with a session record (at least the last, stopped cleanly): every byte the
    // bridge counted on them is in a packet record.
    const sum = new AuditSummer('category');
    recs.forEach((r) => sum.add(r));
    const sessions = sum.result().sessions;
    expect(sessions.closed).toBeGreaterThanOrEqual(1);
    expect(sessions.unaccounted).toEqual({ out: 0, in: 0 });
  }, 120_000);
});
