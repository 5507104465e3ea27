/**
 * The ROS graph on a robot: kizuna's graph interface on rclnodejs 2.2.0 (ROS 2 Jazzy or Humble).
 * rclnodejs is loaded only when a graph is created, so importing this module never needs ROS 2.
 * Each graph owns one rcl context; nodes spin on the Node.js event loop.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as rclnodejs from 'rclnodejs';
import { KizunaError } from '../../errors';
import { childLogger, defaultLogger, type Logger } from '../../logging';
import { newNodeIdentity } from '../names';
import { useSimTimeFrom } from '../params';
import type { NodeOptions, RosGraph, RosNode } from '../types';
import { rclInitArgs, toRclParamType, type Rclnodejs } from './convert';
import { RclnodejsNode, type NodeHost } from './node';
import { errorText } from '../callbacks';
import type { RclEventNative } from './rmw-events';
import { rosoutTransport } from './rosout';
import type winston from 'winston';

/** The rclnodejs release kizuna is written and type-checked against. */
export const RCLNODEJS_VERSION = '2.2.0';

export interface RclnodejsGraphOptions {
  /** Root logger; nodes log through children of it. Default: a shared logger at level warn. */
  logger?: Logger;
  /** Robot id stamped on every node's log lines. */
  robot?: string;
  /**
   * Command line whose rcl-level `--ros-args` flags (enclave, log level) go to rcl init. Remaps and
   * parameters are not passed on: nodes get them through NodeOptions, resolved by kizuna. Default none.
   */
  argv?: string[];
  /**
   * Where incompatible-QoS reports come from: `rmw` events (default, where rclnodejs's addon has rcl event
   * handles, i.e. Jazzy and later) or `graph` polling every 200 ms (what Humble gets; kept selectable so
   * the fallback is tested and measured on the real middleware).
   */
  qosEvents?: 'rmw' | 'graph';
}

function unavailable(why: string, cause?: unknown): KizunaError {
  return new KizunaError(
    'KZ_ERR_RCLNODEJS_UNAVAILABLE',
    'rclnodejs cannot be loaded: source ROS 2 (Jazzy or Humble), e.g. `source /opt/ros/jazzy/setup.bash`, ' +
      // Only the first line of a loader's message: Node appends a "Require stack" of internal paths.
      `then run \`npm install --save-optional --save-exact rclnodejs@${RCLNODEJS_VERSION}\` in this shell (${why.split('\n')[0]})`,
    { entity: 'rclnodejs' },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Loads rclnodejs; throws KZ_ERR_RCLNODEJS_UNAVAILABLE saying how to get it.
 *
 * Its native addon is loaded first, by kizuna: when the addon cannot load (ROS 2 not sourced, so librcl is
 * not found), rclnodejs 2.2.0's own loader falls back to rebuilding it from source at run time
 * (lib/native_loader.js: `npm run rebuild`, whose first step `node-gyp clean` deletes the working build,
 * and which fails without ROS 2 anyway). Checking here keeps a run without ROS 2 from destroying the install.
 */
function loadRclnodejs(): Rclnodejs {
  const req = createRequire(__filename);
  let addon: string;
  try {
    addon = join(dirname(req.resolve('rclnodejs/package.json')), 'build', 'Release', 'rclnodejs.node');
  } catch (cause) {
    throw unavailable('the rclnodejs package is not installed', cause);
  }
  if (!existsSync(addon)) throw unavailable('its native addon (build/Release/rclnodejs.node) was not built');
  try {
    req(addon);
  } catch (cause) {
    throw unavailable(`its native addon does not load: ${errorText(cause)}`, cause);
  }
  try {
    // require, not import(): the CommonJS build of rclnodejs loads under jest and tsx alike.
    return req('rclnodejs') as Rclnodejs;
  } catch (cause) {
    throw unavailable(errorText(cause), cause);
  }
}

/**
 * rclnodejs's native addon as its own modules load it (lib/native_loader.js, the same binary the package
 * entry uses), for the rmw event handles the entry does not expose; undefined when it cannot be loaded.
 */
function loadRclNative(): RclEventNative | undefined {
  try {
    const mod = createRequire(__filename)('rclnodejs/lib/native_loader.js') as { default?: RclEventNative };
    return mod.default;
  } catch {
    return undefined;
  }
}

/**
 * rcl arguments with rcl's console log output off unless the command line chose (`--enable-stdout-logs`):
 * kizuna's lines reach the console through winston and /rosout through rcl (rosout.ts); rcl printing them
 * too would show each line twice.
 */
export function withQuietConsole(args: string[]): string[] {
  if (args.some((a) => a.endsWith('-stdout-logs'))) return args;
  return args.includes('--ros-args')
    ? [...args, '--disable-stdout-logs']
    : [...args, '--ros-args', '--disable-stdout-logs'];
}

/** A RosGraph on rclnodejs: loads it, initialises a fresh rcl context, and returns the graph. */
export async function createRclnodejsGraph(options: RclnodejsGraphOptions = {}): Promise<RosGraph> {
  const rcl = loadRclnodejs();
  const context = new rcl.Context();
  try {
    await rcl.init(context, withQuietConsole(rclInitArgs(options.argv ?? [])));
  } catch (cause) {
    throw new KizunaError(
      'KZ_ERR_RCLNODEJS_UNAVAILABLE',
      `rclnodejs loaded but could not initialise ROS 2 (is the ROS 2 environment sourced?): ${errorText(cause)}`,
      { entity: 'rclnodejs' },
      { cause },
    );
  }
  // rclnodejs shuts every context down on SIGINT by itself; the graph's owner calls shutdown() instead,
  // so nodes are destroyed in order and never twice.
  rcl.removeSignalHandlers();
  return new RclnodejsGraph(rcl, options.qosEvents === 'graph' ? undefined : loadRclNative(), context, options);
}

class RclnodejsGraph implements RosGraph, NodeHost {
  readonly implementation = 'rclnodejs' as const;
  private readonly logger: Logger;
  private readonly nodes = new Map<string, RclnodejsNode>();
  private readonly serverNames = new Map<string, string>();
  private down = false;
  private readonly rosout: winston.transport;

  constructor(
    readonly rcl: Rclnodejs,
    readonly rclNative: RclEventNative | undefined,
    private readonly context: rclnodejs.Context,
    private readonly options: RclnodejsGraphOptions,
  ) {
    this.logger = options.logger ?? defaultLogger();
    this.rosout = rosoutTransport((fqn) => this.nodes.get(fqn)?.rclLogger());
    this.logger.add(this.rosout);
  }

  contextAlive(): boolean {
    return !this.context.isShutdown();
  }

  createNode(name: string, options: NodeOptions = {}): RosNode {
    if (this.down || !this.contextAlive()) {
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', 'the rclnodejs graph is shut down', { entity: name });
    }
    const { namespace, fqn } = newNodeIdentity(name, options.namespace, (f) => this.nodes.has(f), options.remappings);
    const overrides = options.parameterOverrides ?? {};
    const useSimTime = useSimTimeFrom(overrides, fqn);
    const { rcl } = this;
    // use_sim_time is the one override rclnodejs itself must see: its TimeSource reads it while the
    // node is constructed and then drives the node's clock (and timers) from /clock.
    const rclOptions = new rcl.NodeOptions();
    rclOptions.parameterOverrides = [new rcl.Parameter('use_sim_time', toRclParamType('bool'), useSimTime)];
    let rclNode: rclnodejs.Node;
    try {
      // A managed node is rclnodejs's LifecycleNode: rcl_lifecycle's state machine, services and events.
      rclNode = options.managed
        ? new rcl.lifecycle.LifecycleNode(name, namespace, this.context, rclOptions)
        : new rcl.Node(name, namespace, this.context, rclOptions);
    } catch (cause) {
      throw new KizunaError(
        'KZ_ERR_INVALID_NAME',
        `rcl refused node '${fqn}': ${errorText(cause).split('\n')[0]}`,
        {
          entity: fqn,
        },
        { cause },
      );
    }
    const logger = childLogger(this.logger, {
      node: fqn,
      ...(this.options.robot ? { robot: this.options.robot } : {}),
    });
    const node = new RclnodejsNode(
      this,
      rclNode,
      name,
      namespace,
      logger,
      useSimTime,
      overrides,
      options.remappings ?? [],
    );
    this.nodes.set(fqn, node);
    node.spin();
    return node;
  }

  forget(node: RclnodejsNode): void {
    this.nodes.delete(node.fullyQualifiedName);
  }

  claimServerName(kind: 'service' | 'action', name: string, type: string): () => void {
    const key = `${kind}:${name}`;
    const existing = this.serverNames.get(key);
    if (existing !== undefined) {
      throw new KizunaError(
        'KZ_ERR_TYPE_MISMATCH',
        `${kind} '${name}' already has a server in this graph (${existing})`,
        { entity: name },
      );
    }
    this.serverNames.set(key, type);
    return () => this.serverNames.delete(key);
  }

  /** Fully qualified names of this graph's live nodes. */
  nodeNames(): string[] {
    return [...this.nodes.keys()].sort();
  }

  async shutdown(): Promise<void> {
    if (this.down) return;
    this.down = true;
    for (const node of [...this.nodes.values()]) {
      try {
        node.destroy();
      } catch (err) {
        this.logger.warn(`destroying node '${node.fullyQualifiedName}' failed: ${errorText(err)}`);
      }
    }
    this.logger.remove(this.rosout);
    if (this.contextAlive()) this.rcl.shutdown(this.context);
  }
}
