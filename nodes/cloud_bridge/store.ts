/**
 * The bridge's durable state in one SQLite file (better-sqlite3, WAL): the outbox of events and
 * decision requests, the per-robot event `seq` and the outbox's `epoch` (a random id made with the
 * file: seq starts again at 1 only with a new epoch), loss counters, the highest seq the national side
 * acknowledged end to end, and the replay window of accepted decisionIds. A message enters the outbox
 * in the same transaction that numbers it, and leaves only when it was acknowledged (events: by the
 * national side's `events/ack`, or by the broker's PUBACK where end-to-end acknowledgement is not in
 * force; requests: by PUBACK), so a kill -9 at any point loses nothing.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KizunaError } from '../core/errors';
import type { ReplayStore } from './validate';
import { DiskBudget, STORE_DISK_ALLOWANCE_BYTES, configureDisk, configureWal } from './store-disk';
import type { LossCounts, OutboxClass, OutboxRow, StoreOptions } from './store-types';

export type { LossCounts, OutboxClass, OutboxRow, StoreOptions } from './store-types';
export { STORE_DISK_ALLOWANCE_BYTES };

const LOSS_KEYS = ['loss_events', 'loss_requests', 'loss_telemetry', 'loss_bytes', 'loss_first_seq', 'loss_last_seq'];

export class BridgeStore {
  /** Id of this outbox's seq sequence (16 hex digits), sent as `epoch` in every event and echoed by acks. */
  readonly epoch: string;
  private readonly db: Database.Database;
  private count: number;
  private bytes: number;
  private readonly st: {
    getMeta: Database.Statement<[string], { v: number | string }>;
    setMeta: Database.Statement<[string, number | string]>;
    insert: Database.Statement<[string, Buffer, string, number | null, number, number]>;
    peek: Database.Statement<
      [number, number],
      { id: number; topic: string; payload: Buffer; cls: OutboxClass; seq: number | null; created_ms: number }
    >;
    del: Database.Statement<[number], { bytes: number } | undefined>;
    delThrough: Database.Statement<[number], { bytes: number }>;
    lowestSeq: Database.Statement<[], { s: number | null }>;
    oldest: Database.Statement<[], { created_ms: number } | undefined>;
    oldestOf: Database.Statement<[string, number], { id: number; cls: OutboxClass; seq: number | null; bytes: number }>;
    oldestAny: Database.Statement<[number], { id: number; cls: OutboxClass; seq: number | null; bytes: number }>;
    seenHas: Database.Statement<[string], { x: number } | undefined>;
    seenAdd: Database.Statement<[string, number]>;
    seenPrune: Database.Statement<[number]>;
  };
  /** The database's pages against outbox_max_bytes (store-disk.ts). */
  private readonly disk: DiskBudget;

  /** Opens (creating) the store at `path`. Throws KZ_ERR_BRIDGE_STORE when it cannot, or when it belongs to another robot. */
  constructor(
    readonly path: string,
    private readonly opts: StoreOptions,
  ) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      configureDisk(this.db);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      configureWal(this.db);
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL,
          cls TEXT NOT NULL, seq INTEGER, created_ms INTEGER NOT NULL, bytes INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS outbox_cls ON outbox (cls, id);
        CREATE INDEX IF NOT EXISTS outbox_seq ON outbox (seq) WHERE seq IS NOT NULL;
        CREATE TABLE IF NOT EXISTS seen (decision_id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
      `);
    } catch (err) {
      throw new KizunaError(
        'KZ_ERR_BRIDGE_STORE',
        `cannot open the bridge store '${path}': ${(err as Error).message}`,
        { entity: path },
        { cause: err },
      );
    }
    const db = this.db;
    this.st = {
      getMeta: db.prepare('SELECT v FROM meta WHERE k = ?'),
      setMeta: db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v'),
      insert: db.prepare('INSERT INTO outbox (topic, payload, cls, seq, created_ms, bytes) VALUES (?, ?, ?, ?, ?, ?)'),
      peek: db.prepare('SELECT id, topic, payload, cls, seq, created_ms FROM outbox WHERE id > ? ORDER BY id LIMIT ?'),
      del: db.prepare('DELETE FROM outbox WHERE id = ? RETURNING bytes'),
      delThrough: db.prepare('DELETE FROM outbox WHERE seq IS NOT NULL AND seq <= ? RETURNING bytes'),
      lowestSeq: db.prepare('SELECT min(seq) AS s FROM outbox WHERE seq IS NOT NULL'),
      oldest: db.prepare('SELECT created_ms FROM outbox ORDER BY id LIMIT 1'),
      oldestOf: db.prepare('SELECT id, cls, seq, bytes FROM outbox WHERE cls = ? ORDER BY id LIMIT ?'),
      oldestAny: db.prepare('SELECT id, cls, seq, bytes FROM outbox ORDER BY id LIMIT ?'),
      seenHas: db.prepare('SELECT 1 AS x FROM seen WHERE decision_id = ?'),
      seenAdd: db.prepare('INSERT OR REPLACE INTO seen (decision_id, expires_ms) VALUES (?, ?)'),
      seenPrune: db.prepare('DELETE FROM seen WHERE expires_ms < ?'),
    };
    this.disk = new DiskBudget(db, opts.maxBytes);
    const owner = this.meta('robot_id');
    if (owner === undefined) this.st.setMeta.run('robot_id', opts.robotId);
    else if (owner !== opts.robotId) {
      this.db.close();
      throw new KizunaError(
        'KZ_ERR_BRIDGE_STORE',
        `the bridge store '${path}' belongs to robot '${String(owner)}', not '${opts.robotId}'`,
        { entity: path },
      );
    }
    const epoch = this.meta('epoch');
    if (typeof epoch === 'string') this.epoch = epoch;
    else {
      // A new outbox (or one of a release before epochs): its seq sequence gets a name from now on.
      this.epoch = randomBytes(8).toString('hex');
      this.st.setMeta.run('epoch', this.epoch);
    }
    this.count = 0;
    this.bytes = 0;
    this.recount();
    // A bound lowered since the last run (or a file of a release that bounded payload bytes only).
    if (this.disk.over()) this.tx(() => this.enforceBounds());
    if (this.disk.fileOver()) this.disk.shrink();
    else this.shrink();
  }

  /**
   * Runs `fn` in a transaction. When it fails (e.g. SQLITE_FULL at commit: the filesystem is full), SQLite
   * rolls everything back, so the counters of waiting messages are read again from the file: they must
   * not keep what was rolled back (an inflated count would drop telemetry early and never read 0).
   */
  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      if (this.db.open && !this.db.inTransaction) this.recount();
      throw err;
    }
  }

  private recount(): void {
    const agg = this.db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM outbox').get() as {
      n: number;
      b: number;
    };
    this.count = agg.n;
    this.bytes = agg.b;
  }

  private meta(k: string): number | string | undefined {
    return this.st.getMeta.get(k)?.v;
  }

  private metaNum(k: string): number {
    const v = this.meta(k);
    return typeof v === 'number' ? v : 0;
  }

  /** The last event seq handed out (0 before the first event). */
  get lastSeq(): number {
    return this.metaNum('seq');
  }

  /** The highest seq the national side acknowledged end to end (0 before the first ack). */
  get ackedSeq(): number {
    return this.metaNum('acked_seq');
  }

  /** Whether the national side ever acknowledged an event of this outbox end to end. */
  get endToEndAckSeen(): boolean {
    return this.metaNum('e2e_ack_seen') === 1;
  }

  /** The lowest event seq still waiting, or undefined when no event is. */
  lowestHeldSeq(): number | undefined {
    return this.st.lowestSeq.get()?.s ?? undefined;
  }

  /**
   * Removes every waiting event with seq ≤ `seq` (the national side's cumulative acknowledgement) and
   * remembers that it acknowledges. Returns [count] events removed. An ack below the last one only
   * removes what is left below it (nothing).
   */
  ackThrough(seq: number): number {
    const n = this.tx(() => {
      const gone = this.st.delThrough.all(seq);
      let bytes = 0;
      for (const r of gone) bytes += r.bytes;
      this.count -= gone.length;
      this.bytes -= bytes;
      if (seq > this.ackedSeq) this.st.setMeta.run('acked_seq', seq);
      if (!this.endToEndAckSeen) this.st.setMeta.run('e2e_ack_seen', 1);
      return gone.length;
    });
    this.shrink();
    return n;
  }

  /** [count] messages waiting. */
  get depth(): number {
    return this.count;
  }

  /** [bytes] payload bytes waiting. */
  get depthBytes(): number {
    return this.bytes;
  }

  /** [ms since epoch] creation time of the oldest waiting message, or undefined when empty. */
  oldestCreatedMs(): number | undefined {
    return this.st.oldest.get()?.created_ms;
  }

  /**
   * Numbers the next event, builds its payload with `build(seq)` and stores it, all in one
   * transaction; then enforces the bounds. Returns the row id and seq.
   */
  enqueueEvent(
    topic: string,
    cls: 'event' | 'telemetry',
    nowMs: number,
    build: (seq: number) => Buffer,
  ): { id: number; seq: number } {
    return this.tx(() => {
      const seq = this.metaNum('seq') + 1;
      const payload = build(seq);
      this.st.setMeta.run('seq', seq);
      const id = Number(this.st.insert.run(topic, payload, cls, seq, nowMs, payload.byteLength).lastInsertRowid);
      this.count++;
      this.bytes += payload.byteLength;
      this.enforceBounds();
      return { id, seq };
    });
  }

  /** Stores a message without a seq (decision requests). Returns its row id. */
  enqueue(topic: string, cls: OutboxClass, nowMs: number, payload: Buffer): number {
    return this.tx(() => {
      const id = Number(this.st.insert.run(topic, payload, cls, null, nowMs, payload.byteLength).lastInsertRowid);
      this.count++;
      this.bytes += payload.byteLength;
      this.enforceBounds();
      return id;
    });
  }

  private drop(rows: Array<{ id: number; cls: OutboxClass; seq: number | null; bytes: number }>): void {
    if (rows.length === 0) return;
    const add = (k: string, n: number): void => void this.st.setMeta.run(k, this.metaNum(k) + n);
    let events = 0;
    let requests = 0;
    let telemetry = 0;
    let bytes = 0;
    let first = this.metaNum('loss_first_seq');
    let last = this.metaNum('loss_last_seq');
    for (const r of rows) {
      this.st.del.get(r.id);
      bytes += r.bytes;
      if (r.cls === 'event') events++;
      else if (r.cls === 'request') requests++;
      else telemetry++;
      if (r.seq !== null) {
        if (first === 0 || r.seq < first) first = r.seq;
        if (r.seq > last) last = r.seq;
      }
    }
    this.count -= rows.length;
    this.bytes -= bytes;
    add('loss_events', events);
    add('loss_requests', requests);
    add('loss_telemetry', telemetry);
    add('loss_bytes', bytes);
    this.st.setMeta.run('loss_first_seq', first);
    this.st.setMeta.run('loss_last_seq', last);
  }

  private enforceBounds(): void {
    const { softMaxMessages, maxMessages } = this.opts;
    if (this.count > softMaxMessages) {
      this.drop(this.st.oldestOf.all('telemetry', this.count - softMaxMessages));
    }
    while (this.count > maxMessages) {
      const over = this.count - maxMessages;
      const tele = this.st.oldestOf.all('telemetry', over);
      const rows = tele.length > 0 ? tele : this.st.oldestAny.all(over);
      if (rows.length === 0) break;
      this.drop(rows);
    }
    // On disk: what a message really costs is the pages it takes (payload, topic, index entries, slack),
    // read from SQLite itself. Drop one at a time: a page is freed once its rows are gone.
    while (this.count > 0 && this.disk.over()) {
      const tele = this.st.oldestOf.all('telemetry', 1);
      this.drop(tele.length > 0 ? tele : this.st.oldestAny.all(1));
    }
  }

  /** Gives free pages back once the outbox is empty (after a backlog drained). */
  private shrink(): void {
    if (this.count === 0) this.disk.shrink();
  }

  /** What was dropped since the last call that built a loss event, or undefined when nothing was. */
  pendingLoss(): Omit<LossCounts, 'floorSeq'> | undefined {
    const c: Omit<LossCounts, 'floorSeq'> = {
      events: this.metaNum('loss_events'),
      requests: this.metaNum('loss_requests'),
      telemetry: this.metaNum('loss_telemetry'),
      bytes: this.metaNum('loss_bytes'),
      firstSeq: this.metaNum('loss_first_seq') || undefined,
      lastSeq: this.metaNum('loss_last_seq') || undefined,
    };
    return c.events + c.requests + c.telemetry > 0 ? c : undefined;
  }

  /**
   * Enqueues the loss event built by `build` and resets the loss counters, in one transaction. Without
   * `floorOnly`, only when something was dropped; with it, also with every count 0 (a floor declaration
   * for a receiver whose acknowledgement is stuck below seqs this outbox no longer holds).
   */
  enqueueLossEvent(
    topic: string,
    nowMs: number,
    floorOnly: boolean,
    build: (seq: number, loss: LossCounts) => Buffer,
  ): number | undefined {
    return this.tx(() => {
      const pending = this.pendingLoss();
      if (!pending && !floorOnly) return undefined;
      const loss: Omit<LossCounts, 'floorSeq'> = pending ?? {
        events: 0,
        requests: 0,
        telemetry: 0,
        bytes: 0,
        firstSeq: undefined,
        lastSeq: undefined,
      };
      for (const k of LOSS_KEYS) this.st.setMeta.run(k, 0);
      const held = this.lowestHeldSeq();
      return this.enqueueEvent(topic, 'event', nowMs, (seq) =>
        build(seq, { ...loss, floorSeq: held === undefined ? seq : Math.min(held, seq) }),
      ).seq;
    });
  }

  /** Up to `limit` waiting messages with id > `afterId`, oldest first. */
  peek(afterId: number, limit: number): OutboxRow[] {
    return this.st.peek.all(afterId, limit).map((r) => ({
      id: r.id,
      topic: r.topic,
      payload: r.payload,
      cls: r.cls,
      seq: r.seq,
      createdMs: r.created_ms,
    }));
  }

  /** Removes an acknowledged message (idempotent: a row already removed or dropped is ignored). */
  ack(id: number): void {
    if (this.db.inTransaction) return this.ackRow(id);
    this.tx(() => this.ackRow(id));
    this.shrink();
  }

  private ackRow(id: number): void {
    const r = this.st.del.get(id);
    if (r) {
      this.count--;
      this.bytes -= r.bytes;
    }
  }

  /** Removes several acknowledged messages in one transaction (one commit, one sync). */
  ackMany(ids: readonly number[]): void {
    this.tx(() => {
      for (const id of ids) this.ackRow(id);
    });
    this.shrink();
  }

  /** The persisted replay window (survives restarts). */
  replayStore(): ReplayStore {
    return {
      has: (id) => this.st.seenHas.get(id) !== undefined,
      add: (id, exp) => void this.st.seenAdd.run(id, exp),
      prune: (now, grace) => void this.st.seenPrune.run(now - grace),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
