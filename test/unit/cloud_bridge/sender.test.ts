import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeStore, type OutboxRow } from '../../../nodes/cloud_bridge/store';
import { OutboxSender } from '../../../nodes/cloud_bridge/sender';
import { backoffDelayMs } from '../../../nodes/cloud_bridge/link';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-sender-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
function store(n: number): BridgeStore {
  const s = new BridgeStore(join(dir, `s${++k}.sqlite`), {
    robotId: 'r',
    synchronous: 'normal',
    softMaxMessages: 1000,
    maxMessages: 1000,
    maxBytes: 1 << 20,
  });
  for (let i = 0; i < n; i++) s.enqueueEvent('e', 'event', i, (seq) => Buffer.from(String(seq)));
  return s;
}

describe('outbox sender', () => {
  it('publishes in seq order within the in-flight window, removes only on acknowledgement, and replays the rest after a reset', () => {
    const s = store(10);
    const sender = new OutboxSender(s, { maxInflight: 3, ratePerSec: 1000, burst: 1000 });
    const pending: Array<{ row: OutboxRow; done: (ok: boolean) => void }> = [];
    const publish = (row: OutboxRow, done: (ok: boolean) => void): void => void pending.push({ row, done });
    sender.pump(0, publish, () => 0);
    expect(pending.map((p) => p.row.seq)).toEqual([1, 2, 3]);
    pending[0]!.done(true);
    pending[1]!.done(false); // the connection ended before its PUBACK
    expect(s.depth).toBe(9);
    sender.reset(); // new connection: start again from the oldest waiting
    pending.length = 0;
    sender.pump(1, publish, () => 0);
    expect(pending.map((p) => p.row.seq)).toEqual([2, 3, 4]);
    for (const p of pending) p.done(true);
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    s.close();
  });

  it('paces publishing with its token bucket and says when to come back', () => {
    const s = store(20);
    const sender = new OutboxSender(s, { maxInflight: 100, ratePerSec: 10, burst: 5 });
    const sent: number[] = [];
    const publish = (row: OutboxRow, done: (ok: boolean) => void): void => {
      sent.push(row.seq!);
      done(true);
    };
    const wait = sender.pump(0, publish, () => 0);
    expect(sent).toHaveLength(5);
    expect(wait).toBe(100);
    sender.pump(500, publish, () => 0);
    expect(sent).toHaveLength(10);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    s.close();
  });
});

describe('reconnect backoff', () => {
  it('doubles from the minimum up to the cap, with jitter in [d/2, d]', () => {
    expect(backoffDelayMs(0, 100, 5000, 0)).toBe(50);
    expect(backoffDelayMs(0, 100, 5000, 1)).toBe(100);
    expect(backoffDelayMs(3, 100, 5000, 0.5)).toBe(600);
    expect(backoffDelayMs(20, 100, 5000, 1)).toBe(5000);
    expect(backoffDelayMs(1000, 100, 5000, 0)).toBe(2500);
  });
});
