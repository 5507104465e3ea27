/**
 * A RosNode backed by an rclnodejs Node. Names, parameters and message checks are kizuna's own (the
 * same code the in-process graph runs); rclnodejs carries the traffic. Every callback handed to
 * rclnodejs catches what the node's code throws and reports it on the node's 'error' event, because a
 * throw inside rclnodejs's executor would end spinning for the whole process.
 */
import { EventEmitter } from 'node:events';
import type * as rclnodejs from 'rclnodejs';
import type { z } from 'zod';
import type {
  ActionTypeName,
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ServiceTypeName,
} from '../../interfaces';
import { messageDefinition } from '../../interfaces';
import { codecFor } from '../../interfaces/validate';
import { KizunaError } from '../../errors';
import type { Logger } from '../../logging';
import { periodToNs, timeFromNs, type Clock, type RosTime } from '../clock';
import { resolveQoS, type QoSSpec } from '../qos';
import { fullyQualifiedNodeName, resolveName } from '../names';
import { prepareDeclaration, type ParamValue } from '../params';
import { errorText, invokeCallback, invokeWith, nodeErrorReporter } from '../callbacks';
import { DeadlineWatch } from '../deadline';
import type {
  ActionClient,
  ActionServer,
  ActionServerHandlers,
  DeclareOptions,
  NodeEvents,
  ParamChangeRequest,
  ParamChangeResult,
  Publisher,
  RemapRule,
  RosNode,
  ServiceClient,
  ServiceServer,
  Subscription,
  Timer,
  TimerInfo,
} from '../types';
import {
  endpointCount,
  fromRclParamValue,
  toRclDescriptor,
  toRclParamType,
  toRclParamValue,
  toRclQoS,
  withInterface,
  type Rclnodejs,
  type RclMessageType,
} from './convert';
import { IncompatibleQoSWatcher } from './qos-events';
import { RclLifecycle } from './lifecycle';
import { attachRmwEvents, type RclEventNative } from './rmw-events';
import type { RclLogger } from './rosout';
import {
  createRclActionClient,
  createRclActionServer,
  createRclClient,
  createRclService,
  PendingCalls,
  type EntityContext,
} from './services';

/** What a node needs from its graph. */
export interface NodeHost {
  readonly rcl: Rclnodejs;
  /** rclnodejs's native addon, for rmw event handles; undefined when it could not be reached. */
  readonly rclNative: RclEventNative | undefined;
  /** False once the graph's rcl context is shut down (then rclnodejs handles must not be touched). */
  contextAlive(): boolean;
  forget(node: RclnodejsNode): void;
  /** Claims a service or action server name in this graph; throws KZ_ERR_TYPE_MISMATCH when taken. */
  claimServerName(kind: 'service' | 'action', name: string, type: string): () => void;
}

/** Error text of a thrown value. */
export class RclnodejsNode implements RosNode {
  readonly fullyQualifiedName: string;
  readonly implementation = 'rclnodejs' as const;
  readonly clock: Clock;
  readonly lifecycle: RclLifecycle | undefined;
  private readonly emitter = new EventEmitter();
  private readonly declared = new Set<string>(['use_sim_time']);
  private readonly cleanups: Array<() => void> = [];
  private readonly qosWatcher: IncompatibleQoSWatcher;
  private readonly entities: EntityContext;
  private readonly pending: PendingCalls;
  private destroyed = false;

  constructor(
    private readonly host: NodeHost,
    private readonly rclNode: rclnodejs.Node,
    readonly name: string,
    readonly namespace: string,
    readonly logger: Logger,
    useSimTime: boolean,
    private readonly overrides: Readonly<Record<string, ParamValue>>,
    private readonly remaps: ReadonlyArray<RemapRule>,
  ) {
    this.fullyQualifiedName = fullyQualifiedNodeName(namespace, name);
    this.reportError = nodeErrorReporter(
      this.fullyQualifiedName,
      () => this.emitter.listenerCount('error'),
      (err) => this.emitter.emit('error', err),
      logger,
    );
    // rclnodejs's TimeSource drives this clock from /clock when use_sim_time was set at construction.
    const rosClock = rclNode.getClock();
    this.clock = { source: useSimTime ? 'sim' : 'system', nowNs: () => rosClock.now().nanoseconds };
    this.qosWatcher = new IncompatibleQoSWatcher(
      {
        publishersOn: (topic) => rclNode.getPublishersInfoByTopic(topic, false),
        subscriptionsOn: (topic) => rclNode.getSubscriptionsInfoByTopic(topic, false),
      },
      logger,
      this.reportError,
    );
    this.cleanups.push(() => this.qosWatcher.stop());
    this.pending = new PendingCalls(this.fullyQualifiedName);
    this.entities = {
      rcl: host.rcl,
      rclNode,
      reportError: this.reportError,
      logger,
      isAlive: () => !this.destroyed,
      pending: this.pending,
    };
    this.lifecycle =
      rclNode instanceof host.rcl.lifecycle.LifecycleNode
        ? new RclLifecycle(host.rcl, rclNode, this.fullyQualifiedName, logger)
        : undefined;
  }

  private ensureAlive(entity: string): void {
    if (this.destroyed) {
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `node '${this.fullyQualifiedName}' is destroyed`, {
        node: this.fullyQualifiedName,
        entity,
      });
    }
  }

  // A throwing 'error' listener is logged, never propagated (shared with the in-process graph).
  private readonly reportError: (err: KizunaError) => void;

  /** A QoS deadline watch (kizuna-side: rclnodejs 2.2.0 cannot pass deadlines to rmw), on a node timer. */
  private deadlineWatch(side: 'publisher' | 'subscription', topic: string, sec: number | undefined) {
    if (sec === undefined) return undefined;
    return new DeadlineWatch(side, topic, sec, (p, tick) => this.createTimer(p, tick), this.reportError);
  }

  now(): RosTime {
    return timeFromNs(this.clock.nowNs());
  }

  resolveName(name: string): string {
    return resolveName(name, this.name, this.namespace, this.remaps);
  }

  createPublisher<T extends MessageTypeName>(type: T, topic: string, qos?: QoSSpec): Publisher<T> {
    this.ensureAlive(topic);
    messageDefinition(type);
    const resolved = this.resolveName(topic);
    const profile = resolveQoS(qos, 'publisher');
    const rclType: RclMessageType = type;
    const deadline = this.deadlineWatch('publisher', resolved, profile.deadlineSec);
    const codec = codecFor(type);
    const pub = withInterface(this.host.rcl, type, () =>
      this.rclNode.createPublisher(rclType, resolved, { qos: toRclQoS(this.host.rcl, profile) }),
    );
    const addListener = this.qosWatcher.watch('publisher', resolved, type, profile, (callbacks) =>
      attachRmwEvents(this.host.rclNative, this.rclNode, pub, 'publisher', callbacks),
    );
    let gone = false;
    const isAlive = (): boolean => !this.destroyed && !gone;
    const gate = this.lifecycle?.gate;
    return {
      topic: resolved,
      type,
      qos: profile,
      publish(msg: MessageOf<T>): void {
        if (!isAlive()) {
          throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `publisher on '${resolved}' is destroyed`, {
            entity: resolved,
          });
        }
        if (gate && !gate.allows(resolved)) return;
        // One pass checks and converts (getters read once: what was checked is what is sent), into the
        // shapes rclnodejs's setters accept (bigint for 64-bit integers, typed arrays).
        pub.publish(codec.check(msg, resolved) as MessageOf<T>);
        deadline?.touch();
      },
      subscriptionCount: () => (isAlive() ? endpointCount(pub, 'subscriptionCount') : 0),
      onIncompatibleQoS: addListener,
      onDeadlineMissed: (cb) => deadline?.listen(cb),
      destroy: () => {
        if (!isAlive()) return;
        gone = true;
        deadline?.stop();
        this.qosWatcher.unwatch(resolved, 'publisher', profile);
        this.rclNode.destroyPublisher(pub);
      },
    };
  }

  createSubscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    callback: (msg: MessageOf<T>) => void,
    qos?: QoSSpec,
  ): Subscription<T> {
    this.ensureAlive(topic);
    messageDefinition(type);
    const resolved = this.resolveName(topic);
    const profile = resolveQoS(qos, 'subscription');
    const rclType: RclMessageType = type;
    const deadline = this.deadlineWatch('subscription', resolved, profile.deadlineSec);
    let gone = false;
    const onMessage = (msg: rclnodejs.MessageType<RclMessageType> | Buffer): void => {
      if (this.destroyed || gone) return;
      deadline?.touch();
      // rclnodejs hands over a plain object of `type` (numeric arrays as typed arrays), which is MessageOf<T>.
      invokeCallback(
        () => callback(msg as unknown as MessageOf<T>),
        `subscription callback on '${resolved}'`,
        resolved,
        this.reportError,
      );
    };
    const sub = withInterface(this.host.rcl, type, () =>
      this.rclNode.createSubscription(rclType, resolved, { qos: toRclQoS(this.host.rcl, profile) }, onMessage),
    );
    const addListener = this.qosWatcher.watch('subscription', resolved, type, profile, (callbacks) =>
      attachRmwEvents(this.host.rclNative, this.rclNode, sub, 'subscription', callbacks),
    );
    return {
      topic: resolved,
      type,
      qos: profile,
      publisherCount: () => (this.destroyed || gone ? 0 : endpointCount(sub, 'publisherCount')),
      onIncompatibleQoS: addListener,
      onDeadlineMissed: (cb) => deadline?.listen(cb),
      destroy: () => {
        if (this.destroyed || gone) return;
        gone = true;
        deadline?.stop();
        this.qosWatcher.unwatch(resolved, 'subscription', profile);
        this.rclNode.destroySubscription(sub);
      },
    };
  }

  createTimer(periodSec: number, callback: (info: TimerInfo) => void): Timer {
    this.ensureAlive('timer');
    const periodNs = periodToNs(periodSec);
    const entity = `timer(${periodSec}s)`;
    let canceled = false;
    let gone = false;
    let lastActualNs: bigint | undefined;
    // rclnodejs 2.x takes the period as bigint nanoseconds; the timer runs on the node's ROS clock. On
    // Jazzy it passes rcl's call info ({ expectedCallTime, actualCallTime }); on Humble there is none, and
    // the missed ticks are estimated from the time since the last call.
    const timer = this.rclNode.createTimer(
      periodNs,
      (rclInfo?: { expectedCallTime?: bigint; actualCallTime?: bigint }) => {
        if (canceled || this.destroyed) return;
        const actual = rclInfo?.actualCallTime ?? this.clock.nowNs();
        const expected = rclInfo?.expectedCallTime ?? (lastActualNs === undefined ? actual : lastActualNs + periodNs);
        lastActualNs = actual;
        const missedTicks = actual > expected ? Number((actual - expected) / periodNs) : 0;
        if (missedTicks > 0 && this.clock.source === 'system') {
          this.logger.warn(`${entity} ran late: ${missedTicks} tick(s) missed (called once, as rcl does)`, {
            entity,
            missedTicks,
          });
        }
        invokeWith(
          callback,
          { expectedCallNs: expected, actualCallNs: actual, missedTicks },
          'timer callback',
          entity,
          this.reportError,
        );
      },
    );
    return {
      periodSec,
      cancel: () => {
        if (canceled) return;
        canceled = true;
        if (!this.destroyed) timer.cancel();
      },
      isCanceled: () => canceled,
      destroy: () => {
        if (gone) return;
        gone = true;
        canceled = true;
        if (!this.destroyed) this.rclNode.destroyTimer(timer);
      },
      reset: () => {
        this.ensureAlive('timer');
        if (gone) {
          throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `timer (${periodSec} s) is destroyed`, { entity });
        }
        canceled = false;
        lastActualNs = undefined;
        timer.reset(); // rcl_timer_reset: restarts the period and un-cancels
      },
    };
  }

  declareParameters<S extends z.ZodObject>(schema: S, options: DeclareOptions = {}): z.infer<S> {
    this.ensureAlive('parameters');
    const fqn = this.fullyQualifiedName;
    // Validate first, exactly as the in-process graph does, so a bad value fails the same way and
    // nothing is declared; then declare the validated values, ignoring rclnodejs's own overrides
    // (kizuna resolved them already from the same files and flags).
    const prepared = prepareDeclaration(
      schema,
      this.overrides,
      fqn,
      (name) => this.declared.has(name) || this.rclNode.hasParameter(name),
      this.logger,
    );
    const { descriptors } = prepared;
    const values = prepared.values as Record<string, unknown>;
    const rcl = this.host.rcl;
    const settable = new Set(options.settable ?? []);
    const params: rclnodejs.Parameter[] = [];
    const rclDescriptors: rclnodejs.ParameterDescriptor[] = [];
    for (const d of descriptors) {
      const v = values[d.name];
      if (v === undefined) continue; // optional without default: left undeclared, as in-process
      params.push(new rcl.Parameter(d.name, toRclParamType(d.type), toRclParamValue(d.type, v as ParamValue)));
      rclDescriptors.push(toRclDescriptor(rcl, d, !settable.has(d.name)));
    }
    try {
      this.rclNode.declareParameters(params, rclDescriptors, true);
    } catch (cause) {
      throw new KizunaError(
        'KZ_ERR_PARAM_INVALID',
        `node '${fqn}': rclnodejs refused the parameters: ${errorText(cause)}`,
        {
          node: fqn,
          entity: params[0]?.name,
        },
        { cause },
      );
    }
    for (const p of params) this.declared.add(p.name);
    return values as z.infer<S>;
  }

  allowParameterSets(handler: (changes: ParamChangeRequest[]) => ParamChangeResult[]): void {
    this.ensureAlive('parameters');
    // declared writable only when settable (declareParameters); rcl refuses the read-only ones itself.
    // rcl's set_parameters runs this before it stores a value: the node's schema decides
    this.rclNode.addOnSetParametersCallback((params) => {
      const results = handler(params.map((p) => ({ name: p.name, value: fromRclParamValue(p.value) })));
      const refused = results.find((r) => !r.successful);
      return refused ? { successful: false, reason: refused.reason } : { successful: true, reason: '' };
    });
  }

  getParameter(name: string): ParamValue {
    if (!this.declared.has(name) || this.destroyed) {
      throw new KizunaError(
        'KZ_ERR_PARAM_UNDECLARED',
        `node '${this.fullyQualifiedName}': parameter '${name}' is not declared`,
        {
          node: this.fullyQualifiedName,
          entity: name,
        },
      );
    }
    return fromRclParamValue(this.rclNode.getParameter(name).value);
  }

  createService<T extends ServiceTypeName>(
    type: T,
    name: string,
    handler: (request: RequestOf<T>) => ResponseOf<T> | Promise<ResponseOf<T>>,
  ): ServiceServer {
    this.ensureAlive(name);
    const resolved = this.resolveName(name);
    return this.withServerName('service', resolved, type, () =>
      createRclService(this.entities, type, resolved, handler),
    );
  }

  createClient<T extends ServiceTypeName>(type: T, name: string): ServiceClient<T> {
    this.ensureAlive(name);
    return createRclClient(this.entities, type, this.resolveName(name));
  }

  createActionServer<T extends ActionTypeName>(type: T, name: string, handlers: ActionServerHandlers<T>): ActionServer {
    this.ensureAlive(name);
    const resolved = this.resolveName(name);
    return this.withServerName('action', resolved, type, () =>
      createRclActionServer(this.entities, type, resolved, handlers),
    );
  }

  /** Claims a server name for `create`, released with the node, or at once when `create` throws. */
  private withServerName<R>(kind: 'service' | 'action', name: string, type: string, create: () => R): R {
    const release = this.host.claimServerName(kind, name, type);
    try {
      const server = create();
      this.cleanups.push(release);
      return server;
    } catch (err) {
      release();
      throw err;
    }
  }

  createActionClient<T extends ActionTypeName>(type: T, name: string): ActionClient<T> {
    this.ensureAlive(name);
    return createRclActionClient(this.entities, type, this.resolveName(name));
  }

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): void {
    this.emitter.on(event, listener);
  }

  /** The node's rcl logger (its lines go to /rosout), or undefined once destroyed. */
  rclLogger(): RclLogger | undefined {
    return this.destroyed ? undefined : this.rclNode.getLogger();
  }

  /** Starts delivering callbacks (rclnodejs spins each node on the event loop). */
  spin(): void {
    this.rclNode.spin();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pending.close();
    for (const c of this.cleanups.splice(0).reverse()) c();
    // After a context shutdown rclnodejs has already destroyed the node; touching it again would
    // release its handle twice.
    if (this.host.contextAlive()) this.rclNode.destroy();
    this.host.forget(this);
  }
}
