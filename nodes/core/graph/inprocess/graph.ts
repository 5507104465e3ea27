/**
 * The in-process ROS graph: every node in one Node.js process, behaving like ROS 2 for them — real
 * message definitions enforced on every publish, QoS matching, keep_last queues, transient_local
 * late joiners, asynchronous delivery, parameters, timers on ROS/sim/manual time, services and actions.
 * Used by the tests and the built-in simulation.
 */
import { EventEmitter } from 'node:events';
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
import { KizunaError } from '../../errors';
import { childLogger, defaultLogger, type Logger } from '../../logging';
import { Executor } from './executor';
import { InProcessPublisher, InProcessSubscription, TopicBus, type DeadlineWatchFactory } from './topics';
import { ServiceRegistry, type ClientOwner } from './services';
import { PendingCalls } from '../pending';
import { TimerService, type InProcessTimer } from './timers';
import { SettableClock, SystemClock, periodToNs, timeFromNs, type Clock, type RosTime } from '../clock';
import { errorText, invokeWith, nodeErrorReporter } from '../callbacks';
import { DeadlineWatch } from '../deadline';
import { InProcessLifecycle } from './lifecycle';
import { resolveQoS, type QoSSpec } from '../qos';
import { fullyQualifiedNodeName, newNodeIdentity, resolveName } from '../names';
import { prepareDeclaration, useSimTimeFrom, type ParamValue } from '../params';
import type {
  ActionClient,
  ActionServer,
  ActionServerHandlers,
  DeclareOptions,
  NodeEvents,
  NodeOptions,
  Publisher,
  RemapRule,
  RosGraph,
  RosNode,
  ServiceClient,
  ServiceServer,
  Subscription,
  Timer,
  TimerInfo,
} from '../types';

export interface InProcessGraphOptions {
  /**
   * Time source for nodes without use_sim_time: `system` (wall clock, default) or `manual`, a clock that
   * moves only on {@link InProcessGraph.advance} — for deterministic tests.
   */
  clock?: 'system' | 'manual';
  /** Root logger; nodes log through children of it. Default: a shared logger at level warn. */
  logger?: Logger;
  /** Robot id stamped on every node's log lines. */
  robot?: string;
}

/** QoS of /clock, as rclcpp's ClockQoS: keep_last 1, best_effort. */
const CLOCK_QOS: QoSSpec = { history: 'keep_last', depth: 1, reliability: 'best_effort', durability: 'volatile' };

export class InProcessGraph implements RosGraph {
  readonly implementation = 'inprocess' as const;
  readonly logger: Logger;
  readonly executor: Executor;
  readonly topics: TopicBus;
  readonly services: ServiceRegistry;
  /** Clock shared by nodes that do not use sim time. */
  readonly clock: Clock;
  readonly robot: string | undefined;
  private readonly nodes = new Map<string, InProcessNode>();
  private down = false;
  /** Timers on `clock`, in one ordered queue. */
  readonly timers: TimerService;
  /** Sim time shared by every use_sim_time node, driven by the graph's one /clock subscription. */
  private sim: { clock: SettableClock; timers: TimerService; sub: InProcessSubscription<MessageTypeName> } | undefined;
  private simUsers = 0;

  constructor(options: InProcessGraphOptions = {}) {
    if (options.clock !== undefined && options.clock !== 'system' && options.clock !== 'manual') {
      throw new KizunaError('KZ_ERR_CLOCK', `graph clock must be 'system' or 'manual', got '${String(options.clock)}'`);
    }
    this.clock = options.clock === 'manual' ? new SettableClock('manual') : new SystemClock();
    this.logger = options.logger ?? defaultLogger();
    this.robot = options.robot;
    this.executor = new Executor((err) => this.logger.error(`in-process executor task failed: ${errorText(err)}`));
    this.topics = new TopicBus(this.executor);
    this.services = new ServiceRegistry(this.executor);
    this.timers = new TimerService(this.clock, this.executor);
  }

  /**
   * @internal The sim clock for a use_sim_time node. The graph subscribes to /clock once for all of them
   * (rclcpp's ClockQoS: keep_last 1, best_effort), instead of once per node, and drops that subscription
   * when the last of them is destroyed. Returns the clock, its timers and the release function.
   */
  acquireSimClock(): { clock: SettableClock; timers: TimerService; release: () => void } {
    if (!this.sim) {
      const clock = new SettableClock('sim');
      const timers = new TimerService(clock, this.executor);
      const logger = childLogger(this.logger, { node: '(graph /clock)', ...(this.robot ? { robot: this.robot } : {}) });
      const sub = new InProcessSubscription(
        this.topics,
        'rosgraph_msgs/msg/Clock',
        '/clock',
        resolveQoS(CLOCK_QOS, 'subscription'),
        (msg: MessageOf<'rosgraph_msgs/msg/Clock'>) => {
          clock.set(BigInt(msg.clock.sec) * 1_000_000_000n + BigInt(msg.clock.nanosec));
        },
        (err) => logger.error(err.message, { code: err.code }),
        logger,
        () => {
          throw new KizunaError('KZ_ERR_QOS_INVALID', 'the /clock subscription has no deadline');
        },
      ) as unknown as InProcessSubscription<MessageTypeName>;
      this.topics.addSubscription(sub);
      this.sim = { clock, timers, sub };
    }
    this.simUsers++;
    const sim = this.sim;
    let released = false;
    return {
      clock: sim.clock,
      timers: sim.timers,
      release: () => {
        if (released) return;
        released = true;
        if (--this.simUsers > 0 || this.sim !== sim) return;
        this.topics.removeSubscription(sim.sub);
        sim.timers.stop();
        this.sim = undefined;
      },
    };
  }

  createNode(name: string, options: NodeOptions = {}): RosNode {
    if (this.down)
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', 'the in-process graph is shut down', { entity: name });
    const { namespace, fqn } = newNodeIdentity(name, options.namespace, (f) => this.nodes.has(f), options.remappings);
    const node = new InProcessNode(this, name, namespace, options);
    this.nodes.set(fqn, node);
    return node;
  }

  /** @internal */
  forget(node: InProcessNode): void {
    this.nodes.delete(node.fullyQualifiedName);
  }

  /** Fully qualified names of live nodes, like `ros2 node list`. */
  nodeNames(): string[] {
    return [...this.nodes.keys()].sort();
  }

  /** Resolves once every queued callback (and what those queued) has run. */
  async flush(): Promise<void> {
    // Two passes: promise continuations of a drained callback may queue more work after the first idle.
    await this.executor.idle();
    await new Promise((r) => setImmediate(r));
    await this.executor.idle();
  }

  /** Moves the manual clock forward by `sec` seconds, runs the timers that came due, and flushes. */
  async advance(sec: number): Promise<void> {
    if (!(this.clock instanceof SettableClock)) {
      throw new KizunaError('KZ_ERR_CLOCK', "advance() needs a graph created with { clock: 'manual' }");
    }
    this.clock.advance(sec);
    await this.flush();
  }

  async shutdown(): Promise<void> {
    if (this.down) return;
    for (const node of [...this.nodes.values()]) node.destroy();
    this.down = true;
    this.services.shutdown();
    this.timers.stop();
    this.sim?.timers.stop();
    this.executor.stop();
  }
}

class InProcessNode implements RosNode {
  readonly fullyQualifiedName: string;
  readonly implementation = 'inprocess' as const;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly lifecycle: InProcessLifecycle | undefined;
  private readonly emitter = new EventEmitter();
  private readonly remaps: ReadonlyArray<RemapRule>;
  private readonly overrides: Readonly<Record<string, ParamValue>>;
  private readonly params = new Map<string, ParamValue>();
  /** The values object declareParameters returned, by parameter name. */
  private readonly liveParams = new Map<string, Record<string, unknown>>();
  private readonly cleanups: Array<() => void> = [];
  private readonly timers: TimerService;
  private destroyed = false;
  private readonly reportError: (err: KizunaError) => void;
  private readonly deadlines: DeadlineWatchFactory;
  /** What this node's service and action clients wait on; closed when the node is destroyed. */
  private readonly owner: ClientOwner;

  constructor(
    private readonly graph: InProcessGraph,
    readonly name: string,
    readonly namespace: string,
    options: NodeOptions,
  ) {
    this.fullyQualifiedName = fullyQualifiedNodeName(namespace, name);
    this.logger = childLogger(graph.logger, {
      node: this.fullyQualifiedName,
      ...(graph.robot ? { robot: graph.robot } : {}),
    });
    this.remaps = options.remappings ?? [];
    this.overrides = options.parameterOverrides ?? {};
    this.reportError = nodeErrorReporter(
      this.fullyQualifiedName,
      () => this.emitter.listenerCount('error'),
      (err) => this.emitter.emit('error', err),
      this.logger,
    );
    this.owner = { pending: new PendingCalls(this.fullyQualifiedName), reportError: this.reportError };
    this.deadlines = (side, topic, periodSec) =>
      new DeadlineWatch(
        side,
        topic,
        periodSec,
        (p, tick) => this.newTimer(p, tick, 'deadline watch'),
        this.reportError,
      );
    const useSimTime = useSimTimeFrom(this.overrides, this.fullyQualifiedName);
    this.params.set('use_sim_time', useSimTime);
    if (useSimTime) {
      const sim = graph.acquireSimClock();
      this.clock = sim.clock;
      this.timers = sim.timers;
      this.cleanups.push(sim.release);
    } else {
      this.clock = graph.clock;
      this.timers = graph.timers;
    }
    this.lifecycle = options.managed
      ? new InProcessLifecycle({
          fullyQualifiedName: this.fullyQualifiedName,
          logger: this.logger,
          createService: (type, name, handler) => this.createService(type, name, handler),
          createUngatedPublisher: (type, topic, qos) => this.newPublisher(type, topic, qos, undefined),
        })
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

  now(): RosTime {
    return timeFromNs(this.clock.nowNs());
  }

  resolveName(name: string): string {
    return resolveName(name, this.name, this.namespace, this.remaps);
  }

  createPublisher<T extends MessageTypeName>(type: T, topic: string, qos?: QoSSpec): Publisher<T> {
    const gate = this.lifecycle?.gate;
    return this.newPublisher(type, topic, qos, gate ? (t) => gate.allows(t) : undefined);
  }

  private newPublisher<T extends MessageTypeName>(
    type: T,
    topic: string,
    qos: QoSSpec | undefined,
    gate: ((topic: string) => boolean) | undefined,
  ): Publisher<T> {
    this.ensureAlive(topic);
    messageDefinition(type);
    const pub = new InProcessPublisher(
      this.graph.topics,
      type,
      this.resolveName(topic),
      resolveQoS(qos, 'publisher'),
      this.logger,
      this.reportError,
      this.deadlines,
      gate,
    );
    this.graph.topics.addPublisher(pub as unknown as InProcessPublisher<MessageTypeName>);
    this.cleanups.push(() => this.graph.topics.removePublisher(pub as unknown as InProcessPublisher<MessageTypeName>));
    return pub;
  }

  createSubscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    callback: (msg: MessageOf<T>) => void,
    qos?: QoSSpec,
  ): Subscription<T> {
    this.ensureAlive(topic);
    messageDefinition(type);
    const sub = new InProcessSubscription(
      this.graph.topics,
      type,
      this.resolveName(topic),
      resolveQoS(qos, 'subscription'),
      callback,
      this.reportError,
      this.logger,
      this.deadlines,
    );
    this.graph.topics.addSubscription(sub as unknown as InProcessSubscription<MessageTypeName>);
    this.cleanups.push(() =>
      this.graph.topics.removeSubscription(sub as unknown as InProcessSubscription<MessageTypeName>),
    );
    return sub;
  }

  createTimer(periodSec: number, callback: (info: TimerInfo) => void): Timer {
    this.ensureAlive('timer');
    return this.newTimer(periodSec, callback, 'timer callback');
  }

  /** A timer on the node's clock, destroyed with the node. */
  private newTimer(periodSec: number, callback: (info: TimerInfo) => void, what: string): Timer {
    let periodNs: bigint;
    try {
      periodNs = periodToNs(periodSec);
    } catch (err) {
      (err as KizunaError).context.node = this.fullyQualifiedName;
      throw err;
    }
    const entity = `timer(${periodSec}s)`;
    const fire = (info: TimerInfo): void => invokeWith(callback, info, what, entity, this.reportError);
    const timer: InProcessTimer = this.timers.create(periodSec, periodNs, fire, (missed) =>
      this.logger.warn(
        `${entity} ran late: ${missed} tick(s) missed (called once, as rcl does); the process is too busy`,
        { entity, missedTicks: missed, totalMissedTicks: timer.missedTicksTotal },
      ),
    );
    this.cleanups.push(() => {
      timer.alive = false;
      timer.cancel();
    });
    return timer;
  }

  // options.settable: the in-process graph has no rcl parameter services; runtime-params.ts serves them
  declareParameters<S extends z.ZodObject>(schema: S, _options?: DeclareOptions): z.infer<S> {
    this.ensureAlive('parameters');
    const { descriptors, values } = prepareDeclaration(
      schema,
      this.overrides,
      this.fullyQualifiedName,
      (name) => this.params.has(name),
      this.logger,
    );
    for (const d of descriptors) {
      const v = (values as Record<string, unknown>)[d.name];
      if (v !== undefined) {
        this.params.set(d.name, v as ParamValue);
        this.liveParams.set(d.name, values as Record<string, unknown>);
      }
    }
    return values;
  }

  getParameter(name: string): ParamValue {
    // read from the object the node holds, so a change made at run time (runtime-params.ts) shows here
    // as it does through rcl on rclnodejs
    const live = this.liveParams.get(name);
    const v = live ? (live[name] as ParamValue | undefined) : this.params.get(name);
    if (v === undefined) {
      throw new KizunaError(
        'KZ_ERR_PARAM_UNDECLARED',
        `node '${this.fullyQualifiedName}': parameter '${name}' is not declared`,
        {
          node: this.fullyQualifiedName,
          entity: name,
        },
      );
    }
    return v;
  }

  createService<T extends ServiceTypeName>(
    type: T,
    name: string,
    handler: (request: RequestOf<T>) => ResponseOf<T> | Promise<ResponseOf<T>>,
  ): ServiceServer {
    this.ensureAlive(name);
    const srv = this.graph.services.createService(type, this.resolveName(name), handler, this.reportError);
    this.cleanups.push(() => srv.destroy());
    return srv;
  }

  createClient<T extends ServiceTypeName>(type: T, name: string): ServiceClient<T> {
    this.ensureAlive(name);
    return this.graph.services.createClient(type, this.resolveName(name), this.owner);
  }

  createActionServer<T extends ActionTypeName>(type: T, name: string, handlers: ActionServerHandlers<T>): ActionServer {
    this.ensureAlive(name);
    const srv = this.graph.services.createActionServer(type, this.resolveName(name), handlers, this.reportError);
    this.cleanups.push(() => srv.destroy());
    return srv;
  }

  createActionClient<T extends ActionTypeName>(type: T, name: string): ActionClient<T> {
    this.ensureAlive(name);
    return this.graph.services.createActionClient(type, this.resolveName(name), this.owner);
  }

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): void {
    this.emitter.on(event, listener);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.owner.pending.close();
    for (const c of this.cleanups.splice(0).reverse()) c();
    this.graph.forget(this);
  }
}
