/**
 * rmw events (incompatible QoS, incompatible type) on rclnodejs 2.2.0 publishers and subscriptions.
 *
 * rclnodejs 2.2.0 implements them (lib/event_handler.js) but its CommonJS entry neither exports the
 * PublisherEventCallbacks / SubscriptionEventCallbacks classes nor accepts look-alikes (`instanceof`), and the
 * classes in lib/event_handler.js are different objects from the ones bundled into that entry. So kizuna
 * does what those classes do, with the same native calls: create an rcl event handle for the entity
 * (`createPublisherEventHandle` / `createSubscriptionEventHandle`), put an entity-like handler in the node's
 * `_events` (which the native executor adds to its wait set after `syncHandles()`), and take the event when
 * the executor reports it ready (`takeEvent`). The handler is registered as the entity's `events`, so
 * rclnodejs releases it with the publisher or subscription, exactly as its own handlers.
 *
 * Jazzy and later only (rcl event handles for these kinds do not exist in rclnodejs's Humble build); where
 * the native calls are missing, `attachRmwEvents` returns false and callers fall back to graph polling.
 */

/** The native calls used here (rclnodejs's addon, src/rcl_event_handle_bindings.cpp). */
export interface RclEventNative {
  createPublisherEventHandle(publisherHandle: object, eventType: number): object;
  createSubscriptionEventHandle(subscriptionHandle: object, eventType: number): object;
  takeEvent(eventHandle: object, kind: Record<string, number>): Record<string, unknown> | undefined;
}

/** rcl_publisher_event_type_t / rcl_subscription_event_type_t values (as rclnodejs's enums number them). */
const PUBLISHER_OFFERED_INCOMPATIBLE_QOS = 2;
const PUBLISHER_INCOMPATIBLE_TYPE = 3;
const SUBSCRIPTION_REQUESTED_INCOMPATIBLE_QOS = 2;
const SUBSCRIPTION_INCOMPATIBLE_TYPE = 4;

/** rmw_qos_policy_kind_t bits (rmw/incompatible_qos_events_statuses.h) for the policies kizuna matches. */
export const RMW_QOS_POLICY_DURABILITY = 1 << 1;
export const RMW_QOS_POLICY_RELIABILITY = 1 << 4;

/** What an incompatible-QoS event carries. */
export interface RmwIncompatibleQoS {
  totalCount: number;
  totalCountChange: number;
  /** rmw_qos_policy_kind_t of the last incompatibility. */
  lastPolicyKind: number;
}

/** What an incompatible-type event carries. */
export interface RmwIncompatibleType {
  totalCount: number;
  totalCountChange: number;
}

export interface RmwEventCallbacks {
  incompatibleQoS(info: RmwIncompatibleQoS): void;
  incompatibleType(info: RmwIncompatibleType): void;
}

/** The parts of rclnodejs's Node and Publisher/Subscription this touches (not in its type declarations). */
interface NodeInternals {
  _events: object[];
  syncHandles(): void;
}
interface EntityInternals {
  handle: object;
  events: object[] | undefined;
}

interface NativeHandle {
  release(): void;
}

const num = (v: unknown): number => Number(v ?? 0);

/** An rclnodejs-executor entity for one event handle (the shape of rclnodejs's own EventHandler). */
class EventEntity {
  private destroyed = false;
  constructor(
    readonly _handle: object,
    private readonly native: RclEventNative,
    private readonly kind: Record<string, number>,
    private readonly callback: (data: Record<string, unknown>) => void,
  ) {}

  get handle(): object {
    return this._handle;
  }

  /** Called by rclnodejs's executor when the event is ready. */
  takeData(): void {
    const data = this.native.takeEvent(this._handle, this.kind);
    if (data) this.callback(data);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Called by rclnodejs when the owning publisher/subscription is destroyed. */
  _destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    (this._handle as NativeHandle).release();
  }
}

/**
 * Registers incompatible-QoS and incompatible-type handlers on an rclnodejs publisher or subscription.
 * Returns false (and registers nothing) when this rclnodejs build has no rcl event handles.
 */
export function attachRmwEvents(
  native: RclEventNative | undefined,
  rclNode: object,
  entity: object,
  side: 'publisher' | 'subscription',
  callbacks: RmwEventCallbacks,
): boolean {
  if (
    !native ||
    typeof native.createPublisherEventHandle !== 'function' ||
    typeof native.createSubscriptionEventHandle !== 'function' ||
    typeof native.takeEvent !== 'function'
  ) {
    return false;
  }
  const node = rclNode as NodeInternals;
  const ent = entity as EntityInternals;
  if (!Array.isArray(node._events) || typeof node.syncHandles !== 'function') return false;
  const isPub = side === 'publisher';
  const create = (type: number): object =>
    isPub
      ? native.createPublisherEventHandle(ent.handle, type)
      : native.createSubscriptionEventHandle(ent.handle, type);
  const key = isPub ? 'publisher_event_type' : 'subscription_event_type';
  const qosType = isPub ? PUBLISHER_OFFERED_INCOMPATIBLE_QOS : SUBSCRIPTION_REQUESTED_INCOMPATIBLE_QOS;
  const typeType = isPub ? PUBLISHER_INCOMPATIBLE_TYPE : SUBSCRIPTION_INCOMPATIBLE_TYPE;
  const handlers = [
    new EventEntity(create(qosType), native, { [key]: qosType }, (d) =>
      callbacks.incompatibleQoS({
        totalCount: num(d.total_count),
        totalCountChange: num(d.total_count_change),
        lastPolicyKind: num(d.last_policy_kind),
      }),
    ),
  ];
  try {
    handlers.push(
      new EventEntity(create(typeType), native, { [key]: typeType }, (d) =>
        callbacks.incompatibleType({ totalCount: num(d.total_count), totalCountChange: num(d.total_count_change) }),
      ),
    );
  } catch {
    // An rmw without incompatible-type events (rcl returns RMW_RET_UNSUPPORTED): QoS events still work.
  }
  ent.events = [...(ent.events ?? []), ...handlers];
  node._events.push(...handlers);
  node.syncHandles();
  return true;
}
