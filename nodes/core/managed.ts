/**
 * A managed node's resources and transitions, shared by kizuna's nodes: what `on_configure` creates
 * (publishers, subscriptions, timers, anything with a `close`) is owned by one `Resources`, destroyed
 * together on cleanup and shutdown, so configure → cleanup → configure leaves nothing behind. A node
 * started unmanaged (`kizuna run` without --managed, the tests, the sim) is configured and activated at
 * once, so it behaves as before.
 */
import type { MessageOf, MessageTypeName } from './interfaces';
import type { QoSSpec } from './graph/qos';
import type {
  LifecycleCallbackReturn,
  LifecycleCallbacks,
  Publisher,
  RosNode,
  Subscription,
  Timer,
  TimerInfo,
} from './graph/types';
import { errorText } from './graph/callbacks';

/** The entities one configuration of a node owns; `close()` destroys them, newest first. */
export class Resources {
  private readonly owned: Array<() => void> = [];

  constructor(private readonly node: RosNode) {}

  /** A publisher owned by this configuration. */
  publisher<T extends MessageTypeName>(type: T, topic: string, qos?: QoSSpec): Publisher<T> {
    return this.own(this.node.createPublisher(type, topic, qos));
  }

  /** A subscription owned by this configuration. */
  subscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    callback: (msg: MessageOf<T>) => void,
    qos?: QoSSpec,
  ): Subscription<T> {
    return this.own(this.node.createSubscription(type, topic, callback, qos));
  }

  /** A timer owned by this configuration (period in seconds). */
  timer(periodSec: number, callback: (info: TimerInfo) => void): Timer {
    return this.own(this.node.createTimer(periodSec, callback));
  }

  /**
   * `node` as seen by code written against RosNode (the bridge): its createPublisher, createSubscription
   * and createTimer go through this configuration; everything else is the node's own.
   */
  asNode(): RosNode {
    const node = this.node;
    const own: Partial<RosNode> = {
      createPublisher: (type, topic, qos) => this.publisher(type, topic, qos),
      createSubscription: (type, topic, cb, qos) => this.subscription(type, topic, cb, qos),
      createTimer: (period, cb) => this.timer(period, cb),
    };
    return new Proxy(node, {
      get: (target, key) => {
        if (key in own) return own[key as keyof RosNode];
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  /** Runs `close` on cleanup (an MQTT link, a store): after the entities created later, before earlier ones. */
  onClose(close: () => void): void {
    this.owned.push(close);
  }

  /** Destroys everything, newest first. Idempotent; a failing close is logged and the rest still run. */
  close(): void {
    for (const f of this.owned.splice(0).reverse()) {
      try {
        f();
      } catch (err) {
        this.node.logger.error(`cleanup: ${errorText(err)}`, { code: 'KZ_ERR_LIFECYCLE_CALLBACK' });
      }
    }
  }

  private own<E extends { destroy(): void }>(entity: E): E {
    this.owned.push(() => entity.destroy());
    return entity;
  }
}

/** What a node does in each transition, given the state `configure` built. */
export interface ManagedParts<S> {
  /** Creates the node's resources in `res` and returns its running state. A throw fails configure (error). */
  configure(res: Resources): S;
  /**
   * Starts output and acting; timers that only produce output go in `live`, destroyed when the node leaves
   * active. `failure` keeps the node inactive.
   */
  activate?(state: S, live: Resources): LifecycleCallbackReturn | void;
  /**
   * Stops output (a last message may go out: publishers are still active). `failure` keeps it active (and
   * `live` running).
   */
  deactivate?(state: S): LifecycleCallbackReturn | void;
  /** Leaving active by shutdown: what must go out before the publishers fall silent (default: deactivate's). */
  shutdownFromActive?(state: S): void;
}

/**
 * The lifecycle callbacks of a node made of `parts`. When `node` is not managed, configures and activates
 * it at once (throwing configure's error) and returns the callbacks anyway.
 */
export function managedNode<S>(node: RosNode, parts: ManagedParts<S>): LifecycleCallbacks {
  let res: Resources | undefined;
  let live: Resources | undefined;
  let state: S | undefined;
  const stopLive = (): void => {
    live?.close();
    live = undefined;
  };
  const free = (): void => {
    stopLive();
    res?.close();
    res = undefined;
    state = undefined;
  };
  const configure = (): void => {
    free();
    res = new Resources(node);
    state = parts.configure(res);
  };
  const activate = (s: S): LifecycleCallbackReturn => {
    live = new Resources(node);
    const r = parts.activate?.(s, live) ?? 'success';
    if (r !== 'success') stopLive();
    return r;
  };
  const guarded = (what: string, f: () => LifecycleCallbackReturn): LifecycleCallbackReturn => {
    try {
      return f();
    } catch (err) {
      node.logger.error(`${what} failed: ${errorText(err)}`, { code: 'KZ_ERR_LIFECYCLE_CALLBACK' });
      return 'error';
    }
  };
  const callbacks: LifecycleCallbacks = {
    onConfigure: () =>
      guarded('configure', () => {
        configure();
        return 'success';
      }),
    onActivate: () => guarded('activate', () => (state === undefined ? 'failure' : activate(state))),
    onDeactivate: () =>
      guarded('deactivate', () => {
        const r = state === undefined ? 'success' : (parts.deactivate?.(state) ?? 'success');
        if (r === 'success') stopLive();
        return r;
      }),
    onCleanup: () => {
      free();
      return 'success';
    },
    onShutdown: (previous) => {
      if (previous === 'active' && state !== undefined) {
        try {
          if (parts.shutdownFromActive) parts.shutdownFromActive(state);
          else parts.deactivate?.(state);
        } catch (err) {
          node.logger.error(`shutdown: ${errorText(err)}`, { code: 'KZ_ERR_LIFECYCLE_CALLBACK' });
        }
      }
      free();
      return 'success';
    },
    onError: () => {
      free();
      return 'success';
    },
  };
  if (!node.lifecycle) {
    configure();
    activate(state as S);
  }
  return callbacks;
}
