import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAedes, type AedesBroker } from '../../helpers/brokers';
import { TEST_KEYS_JSON, uniqueRoot } from './harness';
import { exited, spawnBridge } from './child-process';

describe('cloud_bridge durability: kill -9 at random points loses no event', () => {
  let broker: AedesBroker;
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-kill9-'));
  beforeAll(async () => {
    broker = await startAedes();
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every seq the bridge ever numbered arrives at the broker at least once, in spite of repeated kill -9', async () => {
    const root = uniqueRoot();
    writeFileSync(join(dir, 'keys.json'), TEST_KEYS_JSON);
    const params = {
      robot_id: 'farm-3',
      fleet: 'f1',
      profile: 'farm',
      topic_root: root,
      broker_url: broker.url,
      mqtt_version: 4,
      trusted_keys_file: join(dir, 'keys.json'),
      store_path: join(dir, 'bridge.sqlite'),
      reconnect_min_s: 0.05,
      reconnect_max_s: 0.2,
      outbox_rate_per_s: 2000,
    };
    const seqs = new Map<number, number>();
    broker.onPublish((topic, payload) => {
      // (a zero-length message is the bridge clearing stray retained ones at connect: not an event)
      if (!topic.startsWith(root) || !topic.endsWith('/events') || payload.length === 0) return;
      const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
      seqs.set(seq, (seqs.get(seq) ?? 0) + 1);
    });
    const kills = 6;
    for (let k = 0; k < kills; k++) {
      const b = spawnBridge(params, 150);
      await b.wait(/^ready$/, 15_000);
      // A random point in the burst, the enqueueing or the replay.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
      b.proc.kill('SIGKILL');
      await exited(b.proc);
      expect(b.proc.signalCode).toBe('SIGKILL');
    }
    const last = spawnBridge(params, 50);
    const drained = await last.wait(/^drained \d+$/, 30_000);
    const lastSeq = Number(drained.split(' ')[1]);
    last.proc.kill('SIGTERM');
    await exited(last.proc);
    const missing: number[] = [];
    for (let s = 1; s <= lastSeq; s++) if (!seqs.has(s)) missing.push(s);
    expect(missing).toEqual([]);
    // Something really happened across the kills: at least the final burst, and more before it.
    expect(lastSeq).toBeGreaterThan(50);
    expect(Math.max(...seqs.keys())).toBe(lastSeq);
  }, 90_000);
});
