/**
 * Topics of the in-process graph: publishers and subscriptions matched by name, type and QoS as DDS
 * matches them, keep_last queues that drop the oldest, and transient_local history for late joiners.
 */
import type { MessageOf, MessageTypeName } from '../../interfaces';
import { assertMessage, deliveryCopy } from '../../interfaces/validate';
import { KizunaError } from '../../errors';
import type { Logger } from '../../logging';
import { incompatibilityText, incompatiblePolicy, type QoSProfile } from '../qos';
import type { IncompatibleQoSEvent, Publisher, Subscription } from '../types';
import type { Executor } from './executor';
import { invokeCallback } from '../callbacks';

type AnyMsg = unknown;

/** Reports a callback's failure without throwing into the executor. */
export type ErrorSink = (err: KizunaError) => void;

export class InProcessPublisher<T extends MessageTypeName> implements Publisher<T> {
  /** Last `depth` messages, kept for transient_local late joiners. */
  readonly history: AnyMsg[] = [];
  readonly qosListeners: Array<(ev: IncompatibleQoSEvent) => void> = [];
  destroyed = false;

  constructor(
    private readonly bus: TopicBus,
    readonly type: T,
    readonly topic: string,
    readonly qos: QoSProfile,
    readonly logger: Logger,
    readonly onError: ErrorSink,
  ) {}

  publish(msg: MessageOf<T>): void {
    if (this.destroyed) {
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `publisher on '${this.topic}' is destroyed`, {
        entity: this.topic,
      });
    }
    assertMessage(this.type, msg, this.topic);
    this.bus.publish(this, msg);
  }

  subscriptionCount(): number {
    return this.bus.matchedSubscriptions(this).length;
  }

  onIncompatibleQoS(cb: (ev: IncompatibleQoSEvent) => void): void {
    this.qosListeners.push(cb);
  }
}

export class InProcessSubscription<T extends MessageTypeName> implements Subscription<T> {
  readonly queue: AnyMsg[] = [];
  readonly qosListeners: Array<(ev: IncompatibleQoSEvent) => void> = [];
  destroyed = false;
  /** Messages dropped because the keep_last queue was full. */
  dropped = 0;
  /** True while a delivery task for this subscription waits in the executor. */
  drainScheduled = false;

  constructor(
    private readonly bus: TopicBus,
    readonly type: T,
    readonly topic: string,
    readonly qos: QoSProfile,
    readonly callback: (msg: MessageOf<T>) => void,
    readonly onError: ErrorSink,
    readonly logger: Logger,
  ) {}

  publisherCount(): number {
    return this.bus.matchedPublishers(this as unknown as AnySub).length;
  }

  onIncompatibleQoS(cb: (ev: IncompatibleQoSEvent) => void): void {
    this.qosListeners.push(cb);
  }

  /** Adds a delivered copy, dropping the oldest beyond keep_last depth. */
  enqueue(copy: AnyMsg): void {
    this.queue.push(copy);
    if (this.qos.history === 'keep_last' && this.queue.length > this.qos.depth) {
      this.queue.shift();
      this.dropped++;
    }
  }
}

type AnyPub = InProcessPublisher<MessageTypeName>;
type AnySub = InProcessSubscription<MessageTypeName>;

interface Topic {
  pubs: Set<AnyPub>;
  subs: Set<AnySub>;
}

export class TopicBus {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly executor: Executor) {}

  private topicOf(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { pubs: new Set(), subs: new Set() };
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

  addPublisher(pub: AnyPub): void {
    const t = this.topicOf(pub.topic);
    this.warnTypeMismatch(t, pub);
    t.pubs.add(pub);
    for (const sub of t.subs) if (sub.type === pub.type) this.checkQoS(pub, sub);
  }

  addSubscription(sub: AnySub): void {
    const t = this.topicOf(sub.topic);
    this.warnTypeMismatch(t, sub);
    t.subs.add(sub);
    for (const pub of t.pubs) {
      if (pub.type !== sub.type || !this.checkQoS(pub, sub)) continue;
      // A transient_local subscription matched to a transient_local publisher gets its history.
      if (sub.qos.durability === 'transient_local' && pub.qos.durability === 'transient_local') {
        for (const m of pub.history) sub.enqueue(deliveryCopy(sub.type, m));
        if (pub.history.length > 0) this.scheduleDrain(sub);
      }
    }
  }

  removePublisher(pub: AnyPub): void {
    pub.destroyed = true;
    this.topics.get(pub.topic)?.pubs.delete(pub);
  }

  removeSubscription(sub: AnySub): void {
    sub.destroyed = true;
    sub.queue.length = 0;
    this.topics.get(sub.topic)?.subs.delete(sub);
  }

  private warnTypeMismatch(t: Topic, entity: AnyPub | AnySub): void {
    const other = [...t.pubs, ...t.subs].find((e) => e.type !== entity.type);
    if (other) {
      entity.logger.warn(
        `topic '${entity.topic}' already carries ${other.type}; ${entity.type} endpoints will not connect to it`,
        { code: 'KZ_ERR_TYPE_MISMATCH', topic: entity.topic },
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
    const t = this.topics.get(pub.topic);
    if (!t) return [];
    return [...t.subs].filter((s) => s.type === pub.type && !incompatiblePolicy(pub.qos, s.qos));
  }

  matchedPublishers(sub: AnySub): AnyPub[] {
    const t = this.topics.get(sub.topic);
    if (!t) return [];
    return [...t.pubs].filter((p) => p.type === sub.type && !incompatiblePolicy(p.qos, sub.qos));
  }

  publish(pub: AnyPub, msg: AnyMsg): void {
    if (pub.qos.durability === 'transient_local') {
      pub.history.push(deliveryCopy(pub.type, msg));
      const keep = pub.qos.history === 'keep_last' ? pub.qos.depth : Infinity;
      while (pub.history.length > keep) pub.history.shift();
    }
    for (const sub of this.matchedSubscriptions(pub)) {
      sub.enqueue(deliveryCopy(sub.type, msg));
      this.scheduleDrain(sub);
    }
  }

  /** Queues one executor task that delivers everything waiting in `sub`'s queue, oldest first. */
  private scheduleDrain(sub: AnySub): void {
    if (sub.drainScheduled) return;
    sub.drainScheduled = true;
    this.executor.enqueue(() => {
      sub.drainScheduled = false;
      while (sub.queue.length > 0 && !sub.destroyed) {
        const msg = sub.queue.shift();
        invokeCallback(
          () => sub.callback(msg as never),
          `subscription callback on '${sub.topic}'`,
          sub.topic,
          sub.onError,
        );
      }
    });
  }
}
