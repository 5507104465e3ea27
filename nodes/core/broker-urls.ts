/**
 * A list of MQTT broker URLs and the failover between them (pure: no MQTT, no clock). Every kizuna
 * MQTT client (cloud_bridge, the sim's planner, `kizuna doctor` / `status`) takes one URL or a
 * comma-separated list; when an attempt fails or a session ends, the next URL is tried after
 * `failoverDelayMs`, and only when a whole round of the list failed does the exponential backoff
 * apply. MQTT.js has the same idea (`servers`, tried in turn on reconnect), but kizuna's link makes a
 * fresh client per attempt, so the rotation lives here where it is tested alone.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** How a client walks its URL list. */
export const BROKER_ORDERS = ['in_order', 'sticky', 'spread'] as const;
export type BrokerOrder = (typeof BROKER_ORDERS)[number];

const URL_RE = /^(mqtts?|wss?):\/\/[^\s,]+$/;

/** The URLs of `text` (one URL or a comma-separated list; blanks around commas ignored). */
export function splitBrokerUrls(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** zod schema of a broker URL parameter: one mqtt://, mqtts://, ws:// or wss:// URL or a comma-separated list of them. */
export const brokerUrlsSchema = z.string().superRefine((text, ctx) => {
  const urls = splitBrokerUrls(text);
  if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one broker URL' });
  if (urls.length > 16) ctx.addIssue({ code: 'custom', message: `at most 16 broker URLs, got ${urls.length}` });
  for (const u of urls) {
    if (!URL_RE.test(u))
      ctx.addIssue({ code: 'custom', message: `'${u}' is not an mqtt://, mqtts://, ws:// or wss:// URL` });
  }
  if (new Set(urls).size !== urls.length) ctx.addIssue({ code: 'custom', message: 'a broker URL is listed twice' });
});

/** Index in [0, n) picked by the hash of `key`: the same client always starts at the same URL. */
export function spreadIndex(key: string, n: number): number {
  if (n <= 1) return 0;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % n;
}

/** Delay [ms] before retry `n` (0-based): min·2^n capped at max, with "equal jitter" in [d/2, d). */
export function backoffDelayMs(n: number, minMs: number, maxMs: number, random: number): number {
  const d = Math.min(maxMs, minMs * 2 ** Math.min(n, 30));
  return Math.round(d / 2 + (d / 2) * random);
}

export interface FailoverOptions {
  urls: readonly string[];
  order: BrokerOrder;
  /** Names the client for `spread` (its client id). */
  key: string;
  /** [ms] wait before trying the next URL of the same round. */
  failoverDelayMs: number;
  /** [ms] first delay and cap of the exponential backoff between rounds. */
  backoffMinMs: number;
  backoffMaxMs: number;
}

/**
 * Which URL to try next and after how long. `in_order`: every round starts at the first URL (the
 * preferred broker). `sticky`: the first round starts at the first URL, later rounds at the last URL
 * that connected (after a failover a client stays on the node that took over). `spread`: as sticky,
 * but the first URL is picked by the hash of the client id, so a fleet spreads over the list.
 */
export class BrokerFailover {
  private current: number;
  private lastGood: number;
  /** URLs tried in this round without a connection. */
  private tried = 0;
  /** Whole rounds failed since the last stable connection: the backoff exponent. */
  private rounds = 0;

  constructor(private readonly o: FailoverOptions) {
    if (o.urls.length === 0) throw new RangeError('BrokerFailover needs at least one URL');
    this.current = o.order === 'spread' ? spreadIndex(o.key, o.urls.length) : 0;
    this.lastGood = this.current;
  }

  /** The URL of the attempt in progress (or the next one). */
  get url(): string {
    return this.o.urls[this.current]!;
  }

  get index(): number {
    return this.current;
  }

  /** The attempt on {@link url} connected. */
  connected(): void {
    this.lastGood = this.current;
    this.tried = 0;
  }

  /** The connection lasted long enough to call it stable: backoff starts again from its minimum. */
  stable(): void {
    this.rounds = 0;
  }

  /**
   * The attempt failed or the session ended: moves to the next URL and returns the delay [ms] before
   * trying it (`random` uniform in [0, 1) for the jitter).
   */
  next(random: number): number {
    const n = this.o.urls.length;
    this.tried++;
    if (this.tried < n) {
      this.current = (this.current + 1) % n;
      return this.o.failoverDelayMs;
    }
    this.tried = 0;
    this.current = this.o.order === 'in_order' ? 0 : this.lastGood;
    return backoffDelayMs(this.rounds++, this.o.backoffMinMs, this.o.backoffMaxMs, random);
  }
}
