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
import { InProcessPublisher, InProcessSubscription, TopicBus } from './topics';
import { ServiceRegistry } from './services';
import { SettableClock, SystemClock, secToNs, timeFromNs, timerStep, type Clock, type RosTime } from '../clock';
import { errorText, invokeCallback } from '../callbacks';
import { resolveQoS, type QoSSpec } from '../qos';
import { fullyQualifiedNodeName, newNodeIdentity, resolveName } from '../names';
import { prepareDeclaration, useSimTimeFrom, type ParamValue } from '../params';
import type {
  ActionClient,
  ActionServer,
  ActionServerHandlers,
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

  constructor(options: InProcessGraphOptions = {}) {
    this.clock = options.clock === 'manual' ? new SettableClock('manual') : new SystemClock();
    this.logger = options.logger ?? defaultLogger();
    this.robot = options.robot;
    this.executor = new Executor((err) => this.logger.error(`in-process executor task failed: ${errorText(err)}`));
    this.topics = new TopicBus(this.executor);
    this.services = new ServiceRegistry(this.executor);
  }

  createNode(name: string, options: NodeOptions = {}): RosNode {
    if (this.down)
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', 'the in-process graph is shut down', { entity: name });
    const { namespace, fqn } = newNodeIdentity(name, options.namespace, (f) => this.nodes.has(f));
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
    this.executor.stop();
  }
}

interface TimerState extends Timer {
  fire(nowNs: bigint): void;
}

class InProcessNode implements RosNode {
  readonly fullyQualifiedName: string;
  readonly logger: Logger;
  readonly clock: Clock;
  private readonly emitter = new EventEmitter();
  private readonly remaps: ReadonlyArray<RemapRule>;
  private readonly overrides: Readonly<Record<string, ParamValue>>;
  private readonly params = new Map<string, ParamValue>();
  private readonly cleanups: Array<() => void> = [];
  private destroyed = false;

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
    const useSimTime = useSimTimeFrom(this.overrides, this.fullyQualifiedName);
    this.params.set('use_sim_time', useSimTime);
    if (useSimTime) {
      const sim = new SettableClock('sim');
      this.clock = sim;
      this.createSubscription(
        'rosgraph_msgs/msg/Clock',
        '/clock',
        (msg) => {
          sim.set(BigInt(msg.clock.sec) * 1_000_000_000n + BigInt(msg.clock.nanosec));
        },
        CLOCK_QOS,
      );
    } else {
      this.clock = graph.clock;
    }
  }

  private ensureAlive(entity: string): void {
    if (this.destroyed) {
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `node '${this.fullyQualifiedName}' is destroyed`, {
        node: this.fullyQualifiedName,
        entity,
      });
    }
  }

  private reportError = (err: KizunaError): void => {
    err.context.node ??= this.fullyQualifiedName;
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', err);
    else this.logger.error(err.message, { code: err.code, entity: err.context.entity });
  };

  now(): RosTime {
    return timeFromNs(this.clock.nowNs());
  }

  resolveName(name: string): string {
    return resolveName(name, this.name, this.namespace, this.remaps);
  }

  createPublisher<T extends MessageTypeName>(type: T, topic: string, qos?: QoSSpec): Publisher<T> {
    this.ensureAlive(topic);
    messageDefinition(type);
    const pub = new InProcessPublisher(
      this.graph.topics,
      type,
      this.resolveName(topic),
      resolveQoS(qos),
      this.logger,
      this.reportError,
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
      resolveQoS(qos),
      callback,
      this.reportError,
      this.logger,
    );
    this.graph.topics.addSubscription(sub as unknown as InProcessSubscription<MessageTypeName>);
    this.cleanups.push(() =>
      this.graph.topics.removeSubscription(sub as unknown as InProcessSubscription<MessageTypeName>),
    );
    return sub;
  }

  createTimer(periodSec: number, callback: () => void): Timer {
    this.ensureAlive('timer');
    if (!Number.isFinite(periodSec) || periodSec <= 0) {
      throw new KizunaError('KZ_ERR_CLOCK', `timer period must be a finite number of seconds > 0, got ${periodSec}`, {
        node: this.fullyQualifiedName,
      });
    }
    const periodNs = secToNs(periodSec);
    const executor = this.graph.executor;
    let canceled = false;
    let nextNs = this.clock.nowNs() + periodNs;
    const run = (): void => {
      if (canceled || this.destroyed) return;
      invokeCallback(callback, 'timer callback', `timer(${periodSec}s)`, this.reportError);
    };
    const timer: TimerState = {
      periodSec,
      cancel: () => {
        canceled = true;
        stop();
      },
      isCanceled: () => canceled,
      fire: (nowNs: bigint) => {
        // The executor re-checks a timer that just fired, so a jump fires it at most twice (see timerStep).
        for (let step = timerStep(nextNs, periodNs, nowNs); !canceled; step = timerStep(nextNs, periodNs, nowNs)) {
          nextNs = step.nextNs;
          if (!step.fire) break;
          executor.enqueue(run);
        }
      },
    };
    let stop: () => void;
    if (this.clock instanceof SettableClock) {
      stop = this.clock.onChange((ns) => timer.fire(ns));
    } else {
      const handle = setInterval(() => executor.enqueue(run), Math.max(1, periodSec * 1000));
      stop = () => clearInterval(handle);
    }
    this.cleanups.push(() => timer.cancel());
    return timer;
  }

  declareParameters<S extends z.ZodObject>(schema: S): z.infer<S> {
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
      if (v !== undefined) this.params.set(d.name, v as ParamValue);
    }
    return values;
  }

  getParameter(name: string): ParamValue {
    const v = this.params.get(name);
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
    return this.graph.services.createClient(type, this.resolveName(name));
  }

  createActionServer<T extends ActionTypeName>(type: T, name: string, handlers: ActionServerHandlers<T>): ActionServer {
    this.ensureAlive(name);
    const srv = this.graph.services.createActionServer(type, this.resolveName(name), handlers, this.reportError);
    this.cleanups.push(() => srv.destroy());
    return srv;
  }

  createActionClient<T extends ActionTypeName>(type: T, name: string): ActionClient<T> {
    this.ensureAlive(name);
    return this.graph.services.createActionClient(type, this.resolveName(name), this.reportError);
  }

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): void {
    this.emitter.on(event, listener);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.cleanups.splice(0).reverse()) c();
    this.graph.forget(this);
  }
}
