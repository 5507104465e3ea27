/**
 * Incompatible-QoS reports for the rclnodejs graph, found by watching the ROS graph.
 *
 * rclnodejs 2.2.0 has rmw event callbacks (PublisherEventCallbacks / SubscriptionEventCallbacks), but
 * does not export those classes and types the `eventCallbacks` argument as a plain function, which its
 * own code rejects at run time (it checks `instanceof PublisherEventCallbacks`). So instead each watched
 * endpoint polls the graph for endpoints on its topic (rcl_get_publishers/subscriptions_info_by_topic,
 * which carry each endpoint's QoS) and applies the same request-vs-offered rule as the in-process graph.
 */
import { incompatibilityText, incompatiblePolicy, type QoSProfile } from '../qos';
import { invokeCallback } from '../callbacks';
import type { IncompatibleQoSEvent } from '../types';
import type { Logger } from '../../logging';
import { KizunaError } from '../../errors';
import { fromRmwQoS } from './convert';

/** How often watched topics are checked, in milliseconds. */
export const QOS_POLL_MS = 200;

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
  ): (listener: (ev: IncompatibleQoSEvent) => void) => void {
    const ep: WatchedEndpoint = { side, topic, type, qos, listeners: [], reported: new Set() };
    this.endpoints.add(ep);
    if (!this.timer) {
      this.timer = setInterval(() => this.poll(), QOS_POLL_MS);
      this.timer.unref();
    }
    return (listener) => {
      ep.listeners.push(listener);
    };
  }

  /** Stops all watching (node destroyed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.endpoints.clear();
  }

  private poll(): void {
    for (const ep of this.endpoints) {
      let remotes: ReadonlyArray<object>;
      try {
        remotes =
          ep.side === 'publisher' ? this.queries.subscriptionsOn(ep.topic) : this.queries.publishersOn(ep.topic);
      } catch {
        continue; // the node is going away; stop() follows
      }
      for (const raw of remotes) {
        const remote = remoteEndpoint(raw);
        if (!remote || remote.type !== ep.type || ep.reported.has(remote.gid)) continue;
        const [pubQoS, subQoS] = ep.side === 'publisher' ? [ep.qos, remote.qos] : [remote.qos, ep.qos];
        const policy = incompatiblePolicy(pubQoS, subQoS);
        if (!policy) continue;
        ep.reported.add(remote.gid);
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
    }
  }
}
