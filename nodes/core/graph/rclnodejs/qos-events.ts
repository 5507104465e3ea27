/**
 * Incompatible-QoS (and incompatible-type) reports for the rclnodejs graph.
 *
 * On Jazzy each watched endpoint gets real rmw events (`rmw-events.ts`): when rmw reports an incompatible
 * match, the graph is searched at once for the remote endpoint that caused it (rcl_get_publishers/
 * subscriptions_info_by_topic carry each endpoint's QoS), so the event names both profiles; if the graph
 * cache has not caught up after a few short retries, the event is reported from rmw's policy kind alone.
 * Where rmw events are unavailable (rclnodejs on Humble), the graph is polled every QOS_POLL_MS instead,
 * applying the same request-vs-offered rule as the in-process graph.
 */
import { incompatibilityText, incompatiblePolicy, type QoSProfile } from '../qos';
import { invokeCallback } from '../callbacks';
import type { IncompatibleQoSEvent } from '../types';
import type { Logger } from '../../logging';
import { KizunaError } from '../../errors';
import { fromRmwQoS } from './convert';
import {
  RMW_QOS_POLICY_DURABILITY,
  RMW_QOS_POLICY_RELIABILITY,
  type RmwEventCallbacks,
  type RmwIncompatibleQoS,
  type RmwIncompatibleType,
} from './rmw-events';

/** How often watched topics are checked without rmw events, in milliseconds. */
export const QOS_POLL_MS = 200;
/**
 * How often every watched topic is checked for endpoints of another type, in milliseconds. rmw_fastrtps_cpp
 * on Jazzy (Fast DDS 2.14) raises no incompatible-type event (measured: test/ros2/interop.test.ts), so the
 * graph is the only place to see a second type on a topic.
 */
export const TYPE_POLL_MS = 1000;
/** After an rmw event, how often and how many times the graph is searched for the endpoint behind it. */
const RESCAN_MS = 20;
const RESCANS = 10;

/** Registers rmw event callbacks for one endpoint; false when rmw events are unavailable. */
export type AttachRmwEvents = (callbacks: RmwEventCallbacks) => boolean;

/** Graph queries of the owning node: the raw endpoint-info objects rclnodejs returns for a topic. */
export interface EndpointQueries {
  publishersOn(topic: string): ReadonlyArray<object>;
  subscriptionsOn(topic: string): ReadonlyArray<object>;
}

interface WatchedEndpoint {
  side: 'publisher' | 'subscription';
  topic: string;
  type: string;
  qos: QoSProfile;
  listeners: Array<(ev: IncompatibleQoSEvent) => void>;
  /** Remote endpoints (by gid) already reported, so each incompatibility is reported once. */
  reported: Set<string>;
  /** True when rmw events drive the QoS reports (no QoS polling). */
  evented: boolean;
  /** Remote endpoints (by gid) of another type already warned about. */
  typeWarned: Set<string>;
}

/** The fields of an rclnodejs topic endpoint info object that matter here. */
interface RemoteEndpoint {
  gid: string;
  type: string;
  qos: QoSProfile;
}

function remoteEndpoint(info: object): RemoteEndpoint | undefined {
  const o = info as Record<string, unknown>;
  const qos = fromRmwQoS(o.qos_profile);
  if (!qos || typeof o.topic_type !== 'string') return undefined;
  const gid = Array.isArray(o.endpoint_gid)
    ? o.endpoint_gid.join('.')
    : `${String(o.node_namespace)}/${String(o.node_name)}`;
  return { gid, type: o.topic_type, qos };
}

/** One per node: polls while it has endpoints to watch. */
export class IncompatibleQoSWatcher {
  private readonly endpoints = new Set<WatchedEndpoint>();
  private timer: NodeJS.Timeout | undefined;
  private typeTimer: NodeJS.Timeout | undefined;
  private readonly rescans = new Set<NodeJS.Timeout>();

  constructor(
    private readonly queries: EndpointQueries,
    private readonly logger: Logger,
    private readonly reportError: (err: KizunaError) => void,
  ) {}

  /**
   * Starts watching one local endpoint; returns the function that adds a listener to it. Each remote
   * endpoint that cannot connect to it is reported once, with a warning log and an event.
   */
  watch(
    side: WatchedEndpoint['side'],
    topic: string,
    type: string,
    qos: QoSProfile,
    attach?: AttachRmwEvents,
  ): (listener: (ev: IncompatibleQoSEvent) => void) => void {
    const ep: WatchedEndpoint = {
      side,
      topic,
      type,
      qos,
      listeners: [],
      reported: new Set(),
      evented: false,
      typeWarned: new Set(),
    };
    this.endpoints.add(ep);
    ep.evented =
      attach?.({
        incompatibleQoS: (info) => this.onRmwIncompatibleQoS(ep, info),
        incompatibleType: (info) => this.onRmwIncompatibleType(ep, info),
      }) ?? false;
    if (!ep.evented && !this.timer) {
      this.timer = setInterval(() => this.poll(), QOS_POLL_MS);
      this.timer.unref();
    }
    if (!this.typeTimer) {
      this.typeTimer = setInterval(() => {
        for (const e of this.endpoints) this.typeScan(e);
      }, TYPE_POLL_MS);
      this.typeTimer.unref();
    }
    return (listener) => {
      ep.listeners.push(listener);
    };
  }

  /** Stops watching the endpoint `watch` was given with these `topic`, `side` and `qos` (it was destroyed). */
  unwatch(topic: string, side: WatchedEndpoint['side'], qos: QoSProfile): void {
    for (const ep of this.endpoints) {
      if (ep.topic === topic && ep.side === side && ep.qos === qos) {
        this.endpoints.delete(ep);
        return;
      }
    }
  }

  /** Stops all watching (node destroyed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.typeTimer) clearInterval(this.typeTimer);
    this.timer = undefined;
    this.typeTimer = undefined;
    for (const t of this.rescans) clearInterval(t);
    this.rescans.clear();
    this.endpoints.clear();
  }

  private poll(): void {
    for (const ep of this.endpoints) if (!ep.evented) this.scan(ep);
  }

  /** Reports each not yet reported remote endpoint incompatible with `ep`; returns how many. */
  private scan(ep: WatchedEndpoint): number {
    let remotes: ReadonlyArray<object>;
    try {
      remotes = ep.side === 'publisher' ? this.queries.subscriptionsOn(ep.topic) : this.queries.publishersOn(ep.topic);
    } catch {
      return 0; // the node is going away; stop() follows
    }
    let found = 0;
    for (const raw of remotes) {
      const remote = remoteEndpoint(raw);
      if (!remote || remote.type !== ep.type || ep.reported.has(remote.gid)) continue;
      const [pubQoS, subQoS] = ep.side === 'publisher' ? [ep.qos, remote.qos] : [remote.qos, ep.qos];
      const policy = incompatiblePolicy(pubQoS, subQoS);
      if (!policy) continue;
      ep.reported.add(remote.gid);
      found++;
      this.report(ep, pubQoS, subQoS, policy);
    }
    return found;
  }

  private report(
    ep: WatchedEndpoint,
    pubQoS: QoSProfile,
    subQoS: QoSProfile,
    policy: IncompatibleQoSEvent['policy'],
  ): void {
    this.logger.warn(`topic '${ep.topic}': ${incompatibilityText(pubQoS, subQoS, policy)}`, {
      topic: ep.topic,
      policy,
      side: ep.side,
    });
    const ev: IncompatibleQoSEvent = {
      topic: ep.topic,
      policy,
      side: ep.side,
      publisherQoS: pubQoS,
      subscriptionQoS: subQoS,
    };
    for (const l of ep.listeners) {
      invokeCallback(() => l(ev), `incompatible-QoS listener on '${ep.topic}'`, ep.topic, this.reportError);
    }
  }

  /** rmw matched `ep` with incompatible endpoints: name them from the graph, or report from rmw's data alone. */
  private onRmwIncompatibleQoS(ep: WatchedEndpoint, info: RmwIncompatibleQoS): void {
    if (!this.endpoints.has(ep) || info.totalCountChange <= 0) return;
    const policy =
      info.lastPolicyKind === RMW_QOS_POLICY_RELIABILITY
        ? 'reliability'
        : info.lastPolicyKind === RMW_QOS_POLICY_DURABILITY
          ? 'durability'
          : undefined;
    if (!policy) {
      // A policy kizuna never sets (deadline, liveliness, lifespan): rmw defaults on our side, so only a
      // remote endpoint's own settings can cause it. Logged, as there is no event kind for it.
      this.logger.warn(`topic '${ep.topic}': incompatible QoS (rmw policy kind ${info.lastPolicyKind})`, {
        topic: ep.topic,
        side: ep.side,
      });
      return;
    }
    let owed = info.totalCountChange - this.scan(ep);
    if (owed <= 0) return;
    let tries = 0;
    const timer = setInterval(() => {
      owed -= this.endpoints.has(ep) ? this.scan(ep) : owed;
      if (owed > 0 && ++tries < RESCANS) return;
      clearInterval(timer);
      this.rescans.delete(timer);
      // The graph never showed the remote endpoint's QoS: report what rmw said, with the remote profile
      // being ours with the offending policy on the other side of the rule.
      for (; owed > 0; owed--) {
        const other: QoSProfile =
          policy === 'reliability'
            ? { ...ep.qos, reliability: ep.side === 'publisher' ? 'reliable' : 'best_effort' }
            : { ...ep.qos, durability: ep.side === 'publisher' ? 'transient_local' : 'volatile' };
        const [pubQoS, subQoS] = ep.side === 'publisher' ? [ep.qos, other] : [other, ep.qos];
        this.report(ep, pubQoS, subQoS, policy);
      }
    }, RESCAN_MS);
    timer.unref();
    this.rescans.add(timer);
  }

  /** rmw matched `ep` with an endpoint of another type on its topic (rmw's that report it): check now. */
  private onRmwIncompatibleType(ep: WatchedEndpoint, info: RmwIncompatibleType): void {
    if (this.endpoints.has(ep) && info.totalCountChange > 0) this.typeScan(ep);
  }

  /** Warns once per endpoint of another type on `ep`'s topic, as the in-process graph does. */
  private typeScan(ep: WatchedEndpoint): void {
    let all: object[];
    try {
      all = [...this.queries.publishersOn(ep.topic), ...this.queries.subscriptionsOn(ep.topic)];
    } catch {
      return; // node going away
    }
    for (const raw of all) {
      const o = raw as Record<string, unknown>;
      if (typeof o.topic_type !== 'string' || o.topic_type === ep.type) continue;
      const gid = Array.isArray(o.endpoint_gid) ? o.endpoint_gid.join('.') : `${o.node_namespace}/${o.node_name}`;
      if (ep.typeWarned.has(gid)) continue;
      ep.typeWarned.add(gid);
      this.logger.warn(
        `topic '${ep.topic}' also carries ${o.topic_type}; ${ep.type} endpoints will not connect to it`,
        { code: 'KZ_ERR_TYPE_MISMATCH', topic: ep.topic, side: ep.side },
      );
    }
  }
}
