/**
 * Drains the durable outbox to the broker: in id order, at most `maxInflight` unacknowledged at a
 * time, rate-limited by a token bucket, removing a message only on its PUBACK. After a reconnect it
 * starts again from the oldest waiting message (at least once, in order). Time is passed in.
 */
import type { BridgeStore, OutboxRow } from './store';

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
}

/** Publishes one row; calls `done(true)` on PUBACK, `done(false)` when the connection ended first. */
export type PublishRow = (row: OutboxRow, done: (acked: boolean) => void) => void;

export class OutboxSender {
  private cursor = 0;
  private generation = 0;
  private readonly inflight = new Set<number>();
  private tokens: number;
  private lastRefillMs: number | undefined;
  /** [count] acknowledged since start. */
  acked = 0;
  /** [ms] PUBACK latency of the last acknowledged message. */
  lastAckLatencyMs = 0;

  constructor(
    private readonly store: BridgeStore,
    private readonly opts: SenderOptions,
  ) {
    this.tokens = opts.burst;
  }

  private acks: number[] = [];

  private ackRow(id: number): void {
    const defer = this.opts.defer;
    if (!defer) return this.store.ack(id);
    this.acks.push(id);
    if (this.acks.length === 1) defer(() => this.flushAcks());
  }

  /** Removes the acknowledged messages collected so far from the store. */
  flushAcks(): void {
    if (this.acks.length === 0) return;
    const ids = this.acks;
    this.acks = [];
    this.store.ackMany(ids);
  }

  /** Starts over from the oldest waiting message (call on every new connection). */
  reset(): void {
    this.flushAcks();
    this.generation++;
    this.cursor = 0;
    this.inflight.clear();
  }

  /** [count] publishes waiting for PUBACK. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /**
   * Publishes what the window and the rate allow at `nowMs` through `publish`. Returns [ms] until it
   * should be called again when messages remain that it could not send for lack of tokens, else undefined.
   */
  pump(nowMs: number, publish: PublishRow, nowForAck: () => number): number | undefined {
    if (this.lastRefillMs !== undefined) {
      this.tokens = Math.min(
        this.opts.burst,
        this.tokens + ((nowMs - this.lastRefillMs) / 1000) * this.opts.ratePerSec,
      );
    }
    this.lastRefillMs = nowMs;
    const room = Math.min(this.opts.maxInflight - this.inflight.size, Math.floor(this.tokens));
    if (room <= 0) {
      return this.inflight.size < this.opts.maxInflight && this.store.depth > this.inflight.size
        ? Math.ceil(((1 - this.tokens) / this.opts.ratePerSec) * 1000)
        : undefined;
    }
    const rows = this.store.peek(this.cursor, room);
    const gen = this.generation;
    for (const row of rows) {
      this.cursor = row.id;
      this.inflight.add(row.id);
      this.tokens -= 1;
      const sentAt = nowForAck();
      publish(row, (acked) => {
        if (acked) {
          this.ackRow(row.id);
          this.acked++;
          this.lastAckLatencyMs = nowForAck() - sentAt;
        }
        if (gen === this.generation) this.inflight.delete(row.id);
      });
    }
    const more = this.store.depth > this.inflight.size && this.store.peek(this.cursor, 1).length > 0;
    if (!more) return undefined;
    if (this.tokens >= 1) return this.inflight.size < this.opts.maxInflight ? 0 : undefined;
    return Math.ceil(((1 - this.tokens) / this.opts.ratePerSec) * 1000);
  }
}
