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

  it('keeps events after their PUBACK until the national side acknowledges them, within its window; requests go on PUBACK', () => {
    const s = store(6);
    s.enqueue('r', 'request', 6, Buffer.from('{}'));
    const ack = { mode: 'required' as const, timeoutMs: 1000, timeoutMaxMs: 4000, window: 4 };
    const sender = new OutboxSender(s, { maxInflight: 100, ratePerSec: 1000, burst: 1000, ack });
    const sent: Array<number | null> = [];
    const publish = (row: OutboxRow, done: (ok: boolean) => void): void => {
      sent.push(row.seq);
      done(true); // every PUBACK arrives
    };
    expect(sender.pump(0, publish, () => 0)).toBe(1000); // window full: back when the timer runs out
    expect(sent).toEqual([1, 2, 3, 4]);
    expect(s.depth).toBe(7); // PUBACKed, still held
    s.ackThrough(2);
    sender.onEndToEndAck(2, 100);
    sender.pump(100, publish, () => 0);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6]); // in order: the request behind them waits for room too
    s.ackThrough(3);
    sender.onEndToEndAck(3, 200);
    sender.pump(200, publish, () => 0);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, null]);
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([4, 5, 6]); // the request left on its PUBACK
    s.close();
  });

  it('sends again, in order, from the oldest unacknowledged event after the timeout, doubling it until progress resets it', () => {
    const s = store(5);
    const ack = { mode: 'required' as const, timeoutMs: 1000, timeoutMaxMs: 3000, window: 100 };
    const sender = new OutboxSender(s, { maxInflight: 100, ratePerSec: 1000, burst: 1000, ack });
    const sent: number[] = [];
    const publish = (row: OutboxRow, done: (ok: boolean) => void): void => {
      sent.push(row.seq!);
      done(true);
    };
    sender.pump(0, publish, () => 0);
    s.ackThrough(2); // the receiver has 1 and 2; 3 was dropped by the broker
    sender.onEndToEndAck(2, 500);
    expect(sender.pump(1400, publish, () => 0)).toBe(100); // 1000 ms after the progress at 500
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    expect(sender.pump(1500, publish, () => 0)).toBe(2000);
    expect(sent).toEqual([1, 2, 3, 4, 5, 3, 4, 5]);
    expect([sender.retransmits, sender.retransmitTimeoutMs]).toEqual([1, 2000]);
    sender.pump(3500, publish, () => 0);
    sender.pump(6500, publish, () => 0); // capped at 3000
    expect([sender.retransmits, sender.retransmitTimeoutMs]).toEqual([3, 3000]);
    expect(sent.slice(8)).toEqual([3, 4, 5, 3, 4, 5]);
    s.ackThrough(4);
    sender.onEndToEndAck(4, 7000);
    expect(sender.retransmitTimeoutMs).toBe(1000);
    expect(sender.pump(7000, publish, () => 0)).toBe(1000);
    s.close();
  });

  it('auto: removes events on PUBACK until the national side first acknowledges one, then keeps them for its acks', () => {
    const s = store(3);
    const ack = { mode: 'auto' as const, timeoutMs: 1000, timeoutMaxMs: 3000, window: 100 };
    const sender = new OutboxSender(s, { maxInflight: 100, ratePerSec: 1000, burst: 1000, ack });
    const publish = (_row: OutboxRow, done: (ok: boolean) => void): void => done(true);
    expect(sender.endToEnd).toBe(false);
    sender.pump(0, publish, () => 0);
    expect(s.depth).toBe(0); // an old national side that never acknowledges: 1.1 behaviour
    s.ackThrough(3); // the first ack of a 1.2 national side
    sender.onEndToEndAck(3, 10);
    expect(sender.endToEnd).toBe(true);
    for (let i = 0; i < 2; i++) s.enqueueEvent('e', 'event', 20 + i, (seq) => Buffer.from(String(seq)));
    sender.pump(20, publish, () => 0);
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([4, 5]);
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
