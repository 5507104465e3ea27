/**
 * Topics of the in-process graph: publishers and subscriptions matched by name, type and QoS as DDS
 * matches them, keep_last queues that drop the oldest, transient_local history for late joiners, and
 * deadline monitoring. Each publisher caches its matched subscriptions (invalidated when an endpoint on
 * its topic comes or goes), and a publish validates once into an owned copy, then hands each subscription
 * its own copy: no closure and no string is built per delivery.
 */
import type { MessageOf, MessageTypeName } from '../../interfaces';
import { codecFor, type MessageCodec } from '../../interfaces/validate';
import { KizunaError } from '../../errors';
import type { Logger } from '../../logging';
import { incompatibilityText, incompatiblePolicy, type QoSProfile } from '../qos';
import type { DeadlineMissedEvent, IncompatibleQoSEvent, Publisher, Subscription } from '../types';
import { Ring, type Executor, type Runnable } from './executor';
import { invokeCallback, invokeWith } from '../callbacks';
import { DeadlineWatch } from '../deadline';

type AnyMsg = unknown;

/** Reports a callback's failure without throwing into the executor. */
export type ErrorSink = (err: KizunaError) => void;

/** Creates a deadline watch on the owning node's clock (a timer that `touch` restarts). */
export type DeadlineWatchFactory = (
  side: 'publisher' | 'subscription',
  topic: string,
  periodSec: number,
) => DeadlineWatch;

interface Topic {
  name: string;
  pubs: Set<AnyPub>;
  subs: Set<AnySub>;
}

export class InProcessPublisher<T extends MessageTypeName> implements Publisher<T> {
  /** Last `depth` messages, kept for transient_local late joiners. */
  readonly history = new Ring<AnyMsg>(4);
  readonly qosListeners: Array<(ev: IncompatibleQoSEvent) => void> = [];
  destroyed = false;
  /** Matched subscriptions, recomputed after the topic's endpoints change. */
  matched: AnySub[] | undefined;
  readonly codec: MessageCodec;
  readonly deadline: DeadlineWatch | undefined;

  constructor(
    private readonly bus: TopicBus,
    readonly type: T,
    readonly topic: string,
    readonly qos: QoSProfile,
    readonly logger: Logger,
    readonly onError: ErrorSink,
    deadlines: DeadlineWatchFactory,
    /** A managed node's lifecycle gate: false drops the message (lifecycle publisher). */
    private readonly gate?: (topic: string) => boolean,
  ) {
    this.codec = codecFor(type);
    this.deadline = qos.deadlineSec !== undefined ? deadlines('publisher', topic, qos.deadlineSec) : undefined;
  }

  publish(msg: MessageOf<T>): void {
    if (this.destroyed) {
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `publisher on '${this.topic}' is destroyed`, {
        entity: this.topic,
      });
    }
    if (this.gate && !this.gate(this.topic)) return;
    this.bus.publish(this as unknown as AnyPub, this.codec.check(msg, this.topic));
  }

  destroy(): void {
    this.bus.removePublisher(this as unknown as AnyPub);
  }

  subscriptionCount(): number {
    return this.destroyed ? 0 : this.bus.matchedSubscriptions(this as unknown as AnyPub).length;
  }

  onIncompatibleQoS(cb: (ev: IncompatibleQoSEvent) => void): void {
    this.qosListeners.push(cb);
  }

  onDeadlineMissed(cb: (ev: DeadlineMissedEvent) => void): void {
    this.deadline?.listen(cb);
  }
}

export class InProcessSubscription<T extends MessageTypeName> implements Subscription<T>, Runnable {
  readonly queue = new Ring<AnyMsg>(4);
  readonly qosListeners: Array<(ev: IncompatibleQoSEvent) => void> = [];
  destroyed = false;
  queued = false;
  /** Messages dropped because the keep_last queue was full. */
  dropped = 0;
  readonly codec: MessageCodec;
  readonly deadline: DeadlineWatch | undefined;
  private readonly what: string;
  private readonly depth: number;

  constructor(
    private readonly bus: TopicBus,
    readonly type: T,
    readonly topic: string,
    readonly qos: QoSProfile,
    readonly callback: (msg: MessageOf<T>) => void,
    readonly onError: ErrorSink,
    readonly logger: Logger,
    deadlines: DeadlineWatchFactory,
  ) {
    this.codec = codecFor(type);
    this.what = `subscription callback on '${topic}'`;
    this.depth = qos.history === 'keep_last' ? qos.depth : Infinity;
    this.deadline = qos.deadlineSec !== undefined ? deadlines('subscription', topic, qos.deadlineSec) : undefined;
  }

  publisherCount(): number {
    return this.destroyed ? 0 : this.bus.matchedPublishers(this as unknown as AnySub).length;
  }

  onIncompatibleQoS(cb: (ev: IncompatibleQoSEvent) => void): void {
    this.qosListeners.push(cb);
  }

  onDeadlineMissed(cb: (ev: DeadlineMissedEvent) => void): void {
    this.deadline?.listen(cb);
  }

  destroy(): void {
    this.bus.removeSubscription(this as unknown as AnySub);
  }

  /** Adds a delivered copy, dropping the oldest beyond keep_last depth. */
  enqueue(copy: AnyMsg): void {
    this.queue.push(copy);
    if (this.queue.length > this.depth) {
      this.queue.shift();
      this.dropped++;
    }
    // A sample arrived: the requested deadline restarts (DDS counts arrivals, not callbacks).
    this.deadline?.touch();
  }

  /** Delivers the oldest queued message: one per executor turn. */
  runOne(): boolean {
    if (this.destroyed) return false;
    const msg = this.queue.shift();
    if (msg === undefined) return false;
    invokeWith(this.callback as (m: AnyMsg) => unknown, msg, this.what, this.topic, this.onError);
    return this.queue.length > 0;
  }
}

type AnyPub = InProcessPublisher<MessageTypeName>;
type AnySub = InProcessSubscription<MessageTypeName>;

export class TopicBus {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly executor: Executor) {}

  private topicOf(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { name, pubs: new Set(), subs: new Set() };
      this.topics.set(name, t);
    }
    return t;
  }

  /** Topic names with their types, like `ros2 topic list -t`. */
  topicNamesAndTypes(): Array<{ name: string; types: string[] }> {
    return [...this.topics.entries()]
      .map(([name, t]) => ({
        name,
        types: [...new Set([...t.pubs, ...t.subs].map((e) => e.type))].sort(),
      }))
      .filter((e) => e.types.length > 0)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Forgets every publisher's matched list on `t` (an endpoint came or went). */
  private invalidate(t: Topic): void {
    for (const p of t.pubs) p.matched = undefined;
  }

  addPublisher(pub: AnyPub): void {
    const t = this.topicOf(pub.topic);
    this.refuseTypeMismatch(t, pub);
    t.pubs.add(pub);
    this.invalidate(t);
    for (const sub of t.subs) if (sub.type === pub.type) this.checkQoS(pub, sub);
  }

  addSubscription(sub: AnySub): void {
    const t = this.topicOf(sub.topic);
    this.refuseTypeMismatch(t, sub);
    t.subs.add(sub);
    this.invalidate(t);
    for (const pub of t.pubs) {
      if (pub.type !== sub.type || !this.checkQoS(pub, sub)) continue;
      // A transient_local subscription matched to a transient_local publisher gets its history.
      if (sub.qos.durability === 'transient_local' && pub.qos.durability === 'transient_local') {
        for (const m of pub.history.toArray()) sub.enqueue(sub.codec.clone(m));
        if (pub.history.length > 0) this.executor.wake(sub);
      }
    }
  }

  removePublisher(pub: AnyPub): void {
    pub.destroyed = true;
    pub.deadline?.stop();
    const t = this.topics.get(pub.topic);
    if (!t) return;
    t.pubs.delete(pub);
    this.invalidate(t);
    this.dropIfEmpty(t);
  }

  removeSubscription(sub: AnySub): void {
    sub.destroyed = true;
    sub.deadline?.stop();
    sub.queue.clear();
    const t = this.topics.get(sub.topic);
    if (!t) return;
    t.subs.delete(sub);
    this.invalidate(t);
    this.dropIfEmpty(t);
  }

  private dropIfEmpty(t: Topic): void {
    if (t.pubs.size === 0 && t.subs.size === 0) this.topics.delete(t.name);
  }

  /**
   * Refuses an endpoint whose type differs from one already on the topic. An in-process graph is one
   * process, one DDS participant on a robot, and there Fast DDS refuses a second type on a topic (the
   * rclnodejs graph reports it as this same error). Across processes a robot only warns.
   */
  private refuseTypeMismatch(t: Topic, entity: AnyPub | AnySub): void {
    let other: AnyPub | AnySub | undefined;
    for (const e of t.pubs) if (e.type !== entity.type) other = e;
    for (const e of t.subs) if (e.type !== entity.type) other = e;
    if (other) {
      throw new KizunaError(
        'KZ_ERR_TYPE_MISMATCH',
        `topic '${entity.topic}' already carries another type than ${entity.type} (${other.type}); the middleware refuses a second type on it`,
        { entity: entity.topic },
      );
    }
  }

  /** True when pub and sub connect; otherwise reports the incompatibility to both sides and returns false. */
  private checkQoS(pub: AnyPub, sub: AnySub): boolean {
    const policy = incompatiblePolicy(pub.qos, sub.qos);
    if (!policy) return true;
    const base = { topic: pub.topic, policy, publisherQoS: pub.qos, subscriptionQoS: sub.qos };
    const text = incompatibilityText(pub.qos, sub.qos, policy);
    pub.logger.warn(`topic '${pub.topic}': ${text}`, { topic: pub.topic, policy, side: 'publisher' });
    sub.logger.warn(`topic '${sub.topic}': ${text}`, { topic: sub.topic, policy, side: 'subscription' });
    const pubEv: IncompatibleQoSEvent = { ...base, side: 'publisher' };
    const subEv: IncompatibleQoSEvent = { ...base, side: 'subscription' };
    // Events arrive from the executor, like rmw event callbacks.
    this.executor.enqueue(() => {
      for (const l of pub.qosListeners)
        invokeCallback(() => l(pubEv), 'incompatible-QoS listener', pub.topic, pub.onError);
      for (const l of sub.qosListeners)
        invokeCallback(() => l(subEv), 'incompatible-QoS listener', sub.topic, sub.onError);
    });
    return false;
  }

  matchedSubscriptions(pub: AnyPub): AnySub[] {
    if (pub.matched) return pub.matched;
    const t = this.topics.get(pub.topic);
    const out: AnySub[] = [];
    if (t) for (const s of t.subs) if (s.type === pub.type && !incompatiblePolicy(pub.qos, s.qos)) out.push(s);
    pub.matched = out;
    return out;
  }

  matchedPublishers(sub: AnySub): AnyPub[] {
    const t = this.topics.get(sub.topic);
    if (!t) return [];
    return [...t.pubs].filter((p) => p.type === sub.type && !incompatiblePolicy(p.qos, sub.qos));
  }

  /** Delivers `checked` (an owned, validated copy) to every matched subscription, each its own copy. */
  publish(pub: AnyPub, checked: AnyMsg): void {
    pub.deadline?.touch();
    const subs = pub.matched ?? this.matchedSubscriptions(pub);
    const codec = pub.codec;
    let own = checked;
    if (pub.qos.durability === 'transient_local') {
      pub.history.push(own);
      if (pub.qos.history === 'keep_last' && pub.history.length > pub.qos.depth) pub.history.shift();
      own = undefined;
    }
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!;
      // The checked copy goes to the last subscription; the others get clones of it.
      const copy = i === subs.length - 1 && own !== undefined ? own : codec.clone(checked);
      sub.enqueue(copy);
      this.executor.wake(sub);
    }
  }
}
