import { describe, it, expect, afterAll } from '@jest/globals';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeStore, STORE_DISK_ALLOWANCE_BYTES, type StoreOptions } from '../../../nodes/cloud_bridge/store';

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
/** [bytes] the store file, its WAL and its shared memory. */
const storeFiles = (path: string): number =>
  [path, `${path}-wal`, `${path}-shm`].reduce((a, f) => a + (existsSync(f) ? statSync(f).size : 0), 0);

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
    const seq = s.enqueueLossEvent('e', 30, false, (q, l) => Buffer.from(JSON.stringify({ seq: q, ...l })));
    expect(seq).toBe(14);
    // The loss event itself needed room at the hard cap: the next loss event will name seq 6.
    expect(s.pendingLoss()).toMatchObject({ events: 1, telemetry: 0, firstSeq: 6, lastSeq: 6 });
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
    s.close();
  });

  it('names its seq sequence with an epoch kept across reopens; a new file gets another', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const a = new BridgeStore(path, opts());
    const epoch = a.epoch;
    expect(epoch).toMatch(/^[0-9a-f]{16}$/);
    a.close();
    const b = new BridgeStore(path, opts());
    expect(b.epoch).toBe(epoch);
    b.close();
    const c = new BridgeStore(join(dir, `s${++k}.sqlite`), opts());
    expect(c.epoch).not.toBe(epoch);
    c.close();
  });

  it("removes events up to the national side's cumulative ack, never requests, and remembers the ack across a reopen", () => {
    const path = join(dir, `s${++k}.sqlite`);
    const a = new BridgeStore(path, opts());
    for (let i = 0; i < 3; i++) a.enqueueEvent('e', 'event', i, ev);
    a.enqueue('r', 'request', 3, Buffer.from('{}'));
    for (let i = 0; i < 3; i++) a.enqueueEvent('e', 'telemetry', 4 + i, ev);
    expect(a.endToEndAckSeen).toBe(false);
    expect(a.lowestHeldSeq()).toBe(1);
    expect(a.ackThrough(4)).toBe(4);
    expect(a.peek(0, 100).map((r) => r.seq)).toEqual([null, 5, 6]);
    expect(a.depth).toBe(3);
    expect(a.depthBytes).toBe(2 + 2 * ev(5).byteLength);
    expect(a.lowestHeldSeq()).toBe(5);
    // An older ack arriving late removes nothing and does not lower the acknowledged seq.
    expect(a.ackThrough(2)).toBe(0);
    expect(a.ackedSeq).toBe(4);
    a.close();
    const b = new BridgeStore(path, opts());
    expect([b.ackedSeq, b.endToEndAckSeen, b.depth]).toEqual([4, true, 3]);
    b.ackThrough(6);
    expect(b.lowestHeldSeq()).toBeUndefined();
    b.close();
  });

  it('gives a loss event the lowest seq still held as its floor, and builds a floor with nothing dropped only when asked', () => {
    const s = new BridgeStore(join(dir, `s${++k}.sqlite`), opts({ softMaxMessages: 3, maxMessages: 10 }));
    for (let i = 0; i < 3; i++) s.enqueueEvent('e', 'telemetry', i, ev);
    for (let i = 0; i < 2; i++) s.enqueueEvent('e', 'event', 3 + i, ev);
    // 5 > soft cap 3: telemetry 1 and 2 went; 3, 4, 5 held.
    expect(s.peek(0, 100).map((r) => r.seq)).toEqual([3, 4, 5]);
    const built: Array<{ seq: number; floorSeq: number; telemetry: number }> = [];
    const build = (seq: number, l: { floorSeq: number; telemetry: number }): Buffer => {
      built.push({ seq, floorSeq: l.floorSeq, telemetry: l.telemetry });
      return ev(seq);
    };
    s.ackThrough(3);
    expect(s.enqueueLossEvent('e', 10, false, build)).toBe(6);
    expect(built).toEqual([{ seq: 6, floorSeq: 4, telemetry: 2 }]);
    expect(s.enqueueLossEvent('e', 11, false, build)).toBeUndefined();
    s.ackThrough(6);
    // Nothing held any more: the floor is the floor event's own seq.
    expect(s.enqueueLossEvent('e', 12, true, build)).toBe(7);
    expect(built[1]).toEqual({ seq: 7, floorSeq: 7, telemetry: 0 });
    s.close();
  });

  it('keeps the files on disk within outbox_max_bytes plus the allowance, dropping telemetry before events', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const maxBytes = 256 * 1024;
    const s = new BridgeStore(path, opts({ maxBytes, softMaxMessages: 100_000, maxMessages: 100_000 }));
    const body = (seq: number): Buffer => Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(150) }));
    let largest = 0;
    // 20 telemetry messages to an event, as in an outage: 6,000 messages of ~170 bytes, about 4x the bound.
    for (let i = 0; i < 6000; i++) {
      s.enqueueEvent('kizuna/v1/fleet/robot/events', i % 20 === 19 ? 'event' : 'telemetry', i, body);
      if (i % 50 === 0) largest = Math.max(largest, storeFiles(path));
    }
    largest = Math.max(largest, storeFiles(path));
    expect(largest).toBeLessThanOrEqual(maxBytes + STORE_DISK_ALLOWANCE_BYTES);
    expect(statSync(path).size).toBeLessThanOrEqual(maxBytes + 2 * 4096);
    // every one of the 300 events is still held; only telemetry went, oldest first, all counted
    const held = s.peek(0, 100_000);
    expect(held.filter((r) => r.cls === 'event')).toHaveLength(300);
    const loss = s.pendingLoss()!;
    expect(loss.events).toBe(0);
    expect(loss.telemetry).toBe(6000 - held.length);
    const tele = held.filter((r) => r.cls === 'telemetry').map((r) => r.seq!);
    expect(Math.min(...tele)).toBeGreaterThan(loss.lastSeq!);
    // past the point where only events are left, events go too, oldest first, counted
    for (let i = 0; i < 3000; i++) s.enqueueEvent('kizuna/v1/fleet/robot/events', 'event', i, body);
    expect(storeFiles(path)).toBeLessThanOrEqual(maxBytes + STORE_DISK_ALLOWANCE_BYTES);
    expect(s.pendingLoss()!.events).toBeGreaterThan(0);
    expect(s.peek(0, 1)[0]!.seq).toBe(s.pendingLoss()!.lastSeq! + 1);
    s.close();
  });

  it('gives the disk back once a backlog has drained: the file shrinks, the WAL is truncated', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const s = new BridgeStore(path, opts({ maxBytes: 1 << 20 }));
    for (let i = 0; i < 3000; i++) s.enqueueEvent('e', 'event', i, (seq) => Buffer.alloc(300, seq % 256));
    expect(storeFiles(path)).toBeGreaterThan(700 * 1024);
    let rows;
    while ((rows = s.peek(0, 256)).length > 0) s.ackMany(rows.map((r) => r.id));
    expect(s.depth).toBe(0);
    expect(statSync(path).size).toBeLessThanOrEqual(64 * 1024);
    expect(statSync(`${path}-wal`).size).toBe(0);
    // and it still works, seq going on
    expect(s.enqueueEvent('e', 'event', 1, ev).seq).toBe(3001);
    s.close();
  });

  it('converts a file made without auto_vacuum, once its outbox is empty, and shrinks it', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE filler (x BLOB)');
    const ins = old.prepare('INSERT INTO filler (x) VALUES (?)');
    for (let i = 0; i < 200; i++) ins.run(Buffer.alloc(4000));
    old.exec('DROP TABLE filler');
    old.close();
    expect(statSync(path).size).toBeGreaterThan(800 * 1024);
    const s = new BridgeStore(path, opts());
    expect(statSync(path).size).toBeLessThanOrEqual(64 * 1024);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    db.close();
    s.close();
  });

  it('brings a store over a lowered bound within it when it opens: oldest telemetry first, counted, the file shrunk', () => {
    const path = join(dir, `s${++k}.sqlite`);
    const big = new BridgeStore(path, opts({ maxBytes: 2 << 20, softMaxMessages: 100_000, maxMessages: 100_000 }));
    const body = (seq: number): Buffer => Buffer.alloc(300, seq % 256);
    for (let i = 0; i < 3000; i++) big.enqueueEvent('e', i % 10 === 9 ? 'event' : 'telemetry', i, body);
    big.close();
    expect(statSync(path).size).toBeGreaterThan(1 << 20);
    const small = new BridgeStore(path, opts({ maxBytes: 256 * 1024, softMaxMessages: 100_000, maxMessages: 100_000 }));
    expect(statSync(path).size).toBeLessThanOrEqual(256 * 1024 + 2 * 4096);
    expect(storeFiles(path)).toBeLessThanOrEqual(256 * 1024 + STORE_DISK_ALLOWANCE_BYTES);
    const loss = small.pendingLoss()!;
    expect(loss.events).toBe(0);
    expect(loss.telemetry).toBe(3000 - small.depth);
    expect(small.peek(0, 100_000).filter((r) => r.cls === 'event')).toHaveLength(300);
    small.close();
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
