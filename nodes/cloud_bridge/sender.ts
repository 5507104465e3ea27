/**
 * Drains the durable outbox to the broker: in id order, at most `maxInflight` unacknowledged by the
 * broker at a time, rate-limited by a token bucket. After a reconnect it starts again from the oldest
 * waiting message (at least once, in order). Time is passed in.
 *
 * What removes a message: a decision request, its PUBACK; an event, the national side's end-to-end
 * acknowledgement (contract 1.2, `events/ack`) when that is in force (`ack.mode` `required`, or `auto`
 * once the national side has acknowledged this outbox at least once), else its PUBACK as in 1.1. Events
 * waiting for the national side are at most `ack.window` at a time; when the oldest of them saw no
 * acknowledgement progress for the retransmit timeout, everything from it on is sent again, in order
 * (go-back-N: a cumulative ack says only where the receiver's books stop), and the timeout doubles up
 * to `ack.timeoutMaxMs`; any progress resets it.
 */
import type { BridgeStore, OutboxRow } from './store';

/** How events leave the outbox: see the parameter `end_to_end_ack` (params.ts). */
export type EndToEndAckMode = 'required' | 'auto' | 'off';

export interface AckOptions {
  mode: EndToEndAckMode;
  /** [ms] first retransmit timeout: no acknowledgement progress this long after sending → send again. */
  timeoutMs: number;
  /** [ms] longest retransmit timeout (it doubles per timeout without progress). */
  timeoutMaxMs: number;
  /** [count] events sent and not yet acknowledged end to end at once. */
  window: number;
}

export interface SenderOptions {
  /** [count] QoS 1 publishes waiting for their PUBACK at once. */
  maxInflight: number;
  /** [messages/s] sustained publish rate (replay after an outage is paced by it). */
  ratePerSec: number;
  /** [messages] bucket size: how many may go at once after an idle period. */
  burst: number;
  /**
   * When given, acknowledgements are collected and removed from the store in one transaction when
   * `defer` calls back (e.g. setImmediate: every PUBACK read in one I/O turn, one commit). A crash
   * before that commit only means those messages are sent again: at least once still holds.
   */
  defer?: (flush: () => void) => void;
  /** End-to-end acknowledgement of events; default: off (removed on PUBACK, contract 1.1). */
  ack?: AckOptions;
}

/** Publishes one row; calls `done(true)` on PUBACK, `done(false)` when the connection ended first. */
export type PublishRow = (row: OutboxRow, done: (acked: boolean) => void) => void;

const ACK_OFF: AckOptions = { mode: 'off', timeoutMs: 5000, timeoutMaxMs: 60000, window: 256 };

export class OutboxSender {
  private cursor = 0;
  private generation = 0;
  private readonly inflight = new Set<number>();
  private tokens: number;
  private lastRefillMs: number | undefined;
  private readonly ackOpts: AckOptions;
  /** Events sent in this pass and not yet acknowledged end to end, oldest first. */
  private awaiting: Array<{ id: number; seq: number }> = [];
  private awaitingHead = 0;
  /** [ms] when the retransmit timer of the oldest awaiting event started (its send, or the last progress). */
  private timerFromMs = 0;
  /** [ms] the current retransmit timeout. */
  private timeoutMs: number;
  /** [count] acknowledged by the broker since start. */
  acked = 0;
  /** [ms] PUBACK latency of the last acknowledged message. */
  lastAckLatencyMs = 0;
  /** [count] retransmit timeouts (each sends again from the oldest unacknowledged event). */
  retransmits = 0;

  constructor(
    private readonly store: BridgeStore,
    private readonly opts: SenderOptions,
  ) {
    this.tokens = opts.burst;
    this.ackOpts = opts.ack ?? ACK_OFF;
    this.timeoutMs = this.ackOpts.timeoutMs;
  }

  private acks: number[] = [];

  /** Whether events now wait for the national side's acknowledgement (else their PUBACK removes them). */
  get endToEnd(): boolean {
    const m = this.ackOpts.mode;
    return m === 'required' || (m === 'auto' && this.store.endToEndAckSeen);
  }

  /** [count] events sent and waiting for the national side's acknowledgement. */
  get awaitingCount(): number {
    return this.awaiting.length - this.awaitingHead;
  }

  /** [ms] the retransmit timeout now in force. */
  get retransmitTimeoutMs(): number {
    return this.timeoutMs;
  }

  private ackRow(id: number): void {
    const defer = this.opts.defer;
    if (!defer) return this.store.ack(id);
    this.acks.push(id);
    if (this.acks.length === 1) defer(() => this.flushAcks());
  }

  /**
   * Removes the acknowledged messages collected so far from the store. When the store refuses (its
   * filesystem full: a delete needs room in the WAL too) they are kept for the next call, so they leave
   * the outbox once there is room instead of staying in it, sent, until the next start.
   */
  flushAcks(): void {
    if (this.acks.length === 0) return;
    const ids = this.acks;
    this.acks = [];
    try {
      this.store.ackMany(ids);
    } catch (err) {
      this.acks = ids.concat(this.acks);
      throw err;
    }
  }

  /** Starts over from the oldest waiting message (call on every new connection). */
  reset(): void {
    try {
      this.flushAcks();
    } catch {
      // kept for the next flush (the periodic one retries); a message sent again meanwhile is a duplicate
    }
    this.generation++;
    this.cursor = 0;
    this.inflight.clear();
    this.awaiting = [];
    this.awaitingHead = 0;
    this.timeoutMs = this.ackOpts.timeoutMs;
  }

  /**
   * The national side acknowledged every event with seq ≤ `seq` at `nowMs` (already removed from the
   * store by the caller). Progress restarts the retransmit timer at its first timeout.
   */
  onEndToEndAck(seq: number, nowMs: number): void {
    const before = this.awaitingHead;
    while (this.awaitingHead < this.awaiting.length && this.awaiting[this.awaitingHead]!.seq <= seq)
      this.awaitingHead++;
    if (this.awaitingHead === before) return;
    if (this.awaitingHead > 1024 && this.awaitingHead * 2 > this.awaiting.length) {
      this.awaiting = this.awaiting.slice(this.awaitingHead);
      this.awaitingHead = 0;
    }
    this.timeoutMs = this.ackOpts.timeoutMs;
    this.timerFromMs = nowMs;
  }

  /** [count] publishes waiting for PUBACK. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Sends again from the oldest event awaiting acknowledgement when its timer ran out; true when it did. */
  private retransmitDue(nowMs: number): boolean {
    if (this.awaitingCount === 0 || nowMs - this.timerFromMs < this.timeoutMs) return false;
    const oldest = this.awaiting[this.awaitingHead]!;
    this.cursor = oldest.id - 1;
    this.awaiting = [];
    this.awaitingHead = 0;
    this.retransmits++;
    this.timeoutMs = Math.min(this.ackOpts.timeoutMaxMs, this.timeoutMs * 2);
    // PUBACKs of the first copies may still come: they must not free slots of the new pass.
    this.generation++;
    this.inflight.clear();
    return true;
  }

  /**
   * Publishes what the window and the rate allow at `nowMs` through `publish`. Returns [ms] until it
   * should be called again (for lack of tokens, or when the retransmit timer runs out), else undefined.
   */
  pump(nowMs: number, publish: PublishRow, nowForAck: () => number): number | undefined {
    if (this.lastRefillMs !== undefined) {
      this.tokens = Math.min(
        this.opts.burst,
        this.tokens + ((nowMs - this.lastRefillMs) / 1000) * this.opts.ratePerSec,
      );
    }
    this.lastRefillMs = nowMs;
    const e2e = this.endToEnd;
    if (e2e) this.retransmitDue(nowMs);
    const timer = (): number | undefined =>
      e2e && this.awaitingCount > 0 ? Math.max(0, this.timerFromMs + this.timeoutMs - nowMs) : undefined;
    const windowRoom = e2e ? this.ackOpts.window - this.awaitingCount : Infinity;
    const room = Math.min(this.opts.maxInflight - this.inflight.size, Math.floor(this.tokens), windowRoom);
    if (room <= 0) {
      const tokenWait =
        this.tokens < 1 && this.inflight.size < this.opts.maxInflight && this.store.depth > this.inflight.size
          ? Math.ceil(((1 - this.tokens) / this.opts.ratePerSec) * 1000)
          : undefined;
      return minDefined(tokenWait, timer());
    }
    const rows = this.store.peek(this.cursor, room);
    const gen = this.generation;
    for (const row of rows) {
      this.cursor = row.id;
      this.inflight.add(row.id);
      this.tokens -= 1;
      const waitsForNational = e2e && row.seq !== null;
      if (waitsForNational) {
        if (this.awaitingCount === 0) this.timerFromMs = nowMs;
        this.awaiting.push({ id: row.id, seq: row.seq! });
      }
      const sentAt = nowForAck();
      publish(row, (acked) => {
        if (acked) {
          // An event sent to wait for the national side stays; one sent before `auto` switched to end to
          // end goes as in 1.1 (should the receiver lack it, its ack shows a hole and a floor follows).
          if (!waitsForNational) this.ackRow(row.id);
          this.acked++;
          this.lastAckLatencyMs = nowForAck() - sentAt;
        }
        if (gen === this.generation) this.inflight.delete(row.id);
      });
    }
    const more = this.store.depth > this.inflight.size && this.store.peek(this.cursor, 1).length > 0;
    if (!more) return timer();
    if (e2e && this.awaitingCount >= this.ackOpts.window) return timer();
    if (this.tokens >= 1) return this.inflight.size < this.opts.maxInflight ? 0 : timer();
    return minDefined(Math.ceil(((1 - this.tokens) / this.opts.ratePerSec) * 1000), timer());
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
