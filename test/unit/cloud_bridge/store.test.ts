import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeStore, type StoreOptions } from '../../../nodes/cloud_bridge/store';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let k = 0;
const opts = (over: Partial<StoreOptions> = {}): StoreOptions => ({
  robotId: 'r1',
  synchronous: 'normal',
  softMaxMessages: 1000,
  maxMessages: 2000,
  maxBytes: 1 << 20,
  ...over,
});
const ev = (seq: number): Buffer => Buffer.from(JSON.stringify({ seq }));

describe('bridge store: outbox, seq, loss and replay window on SQLite', () => {
  it('keeps seq growing and unacknowledged messages waiting across a reopen; ack removes exactly one', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const a = new BridgeStore(path, opts());
    expect(a.enqueueEvent('t/events', 'event', 1000, ev).seq).toBe(1);
    const second = a.enqueueEvent('t/events', 'event', 1001, ev);
    a.enqueue('t/req', 'request', 1002, Buffer.from('{"r":1}'));
    expect(a.depth).toBe(3);
    a.ack(second.id);
    a.ack(second.id);
    expect(a.depth).toBe(2);
    a.close();
    const b = new BridgeStore(path, opts());
    expect(b.depth).toBe(2);
    expect(b.lastSeq).toBe(2);
    expect(b.oldestCreatedMs()).toBe(1000);
    expect(b.enqueueEvent('t/events', 'event', 1003, ev).seq).toBe(3);
    expect(b.peek(0, 10).map((r) => [r.topic, r.seq])).toEqual([
      ['t/events', 1],
      ['t/req', null],
      ['t/events', 3],
    ]);
    b.close();
  });

  it('drops the oldest telemetry past the soft cap, events only past the hard cap, and accounts for every drop', () => {
    const s = new BridgeStore(join(dir, `s${++k}.sqlite`), opts({ softMaxMessages: 5, maxMessages: 8 }));
    for (let i = 0; i < 4; i++) s.enqueueEvent('e', 'telemetry', i, ev);
    for (let i = 0; i < 4; i++) s.enqueueEvent('e', 'event', 10 + i, ev);
    // 8 messages > soft cap 5: the 3 oldest telemetry went first.
    expect(s.depth).toBe(5);
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([4, 5, 6, 7, 8]);
    for (let i = 0; i < 5; i++) s.enqueueEvent('e', 'event', 20 + i, ev);
    // Telemetry seq 4 dropped at the soft cap; event 5 only once the hard cap of 8 is passed.
    expect(s.depth).toBe(8);
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    const loss = s.pendingLoss();
    expect(loss).toMatchObject({ telemetry: 4, events: 1, requests: 0, firstSeq: 1, lastSeq: 5 });
    const seq = s.enqueueLossEvent('e', 30, (q, l) => Buffer.from(JSON.stringify({ seq: q, ...l })));
    expect(seq).toBe(14);
    // The loss event itself needed room at the hard cap: the next loss event will name seq 6.
    expect(s.pendingLoss()).toMatchObject({ events: 1, telemetry: 0, firstSeq: 6, lastSeq: 6 });
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
    s.close();
  });

  it('bounds the outbox by bytes as well as by count', () => {
    const s = new BridgeStore(join(dir, `s${++k}.sqlite`), opts({ maxBytes: 100 }));
    for (let i = 0; i < 20; i++) s.enqueue('r', 'request', i, Buffer.alloc(30, 0x20));
    expect(s.depthBytes).toBeLessThanOrEqual(100);
    expect(s.depth).toBe(3);
    expect(s.pendingLoss()).toMatchObject({ requests: 17, bytes: 510 });
    s.close();
  });

  it('remembers accepted decisionIds across a reopen until they expire', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const a = new BridgeStore(path, opts());
    a.replayStore().add('d-1', 5000);
    a.replayStore().add('d-2', 9000);
    a.close();
    const b = new BridgeStore(path, opts());
    const r = b.replayStore();
    expect(r.has('d-1')).toBe(true);
    r.prune(7000, 1000);
    expect(r.has('d-1')).toBe(false);
    expect(r.has('d-2')).toBe(true);
    b.close();
  });

  it("refuses to open another robot's store, naming both robots", () => {
    const path = join(dir, `s${++k}.sqlite`);
    new BridgeStore(path, opts()).close();
    expect(() => new BridgeStore(path, opts({ robotId: 'r2' }))).toThrow(/belongs to robot 'r1', not 'r2'/);
    const notADir = join(dir, `s${++k}.file`);
    writeFileSync(notADir, 'x');
    expect(() => new BridgeStore(join(notADir, 'x.sqlite'), opts())).toThrow(/cannot open the bridge store/);
  });
});
