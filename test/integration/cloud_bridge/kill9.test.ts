import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAedes, type AedesBroker } from '../../helpers/brokers';
import { TEST_KEYS_JSON, uniqueRoot } from './harness';

const child = join(__dirname, 'child.ts');

/** Spawns the bridge process; resolves with it and a promise of each stdout line. */
function spawnBridge(
  params: Record<string, unknown>,
  burst: number,
): { proc: ChildProcess; lines: string[]; wait(re: RegExp, ms: number): Promise<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(params), String(burst)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KIZUNA_LOG_LEVEL: 'error' },
  });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  proc.stderr!.on('data', () => undefined);
  return {
    proc,
    lines,
    wait: (re, ms) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + ms;
        const poll = (): void => {
          const hit = lines.find((l) => re.test(l));
          if (hit) return resolve(hit);
          if (proc.exitCode !== null || proc.signalCode !== null)
            return reject(new Error(`bridge exited before ${re}`));
          if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${re}`));
          setTimeout(poll, 10);
        };
        poll();
      }),
  };
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => proc.once('exit', () => r()));
}

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
      if (!topic.startsWith(root) || !topic.endsWith('/events')) return;
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
