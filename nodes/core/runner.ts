/**
 * Starts a node from a command line the way `ros2 run` would: `--ros-args` parameters, parameter files,
 * remapping, node name and namespace overrides, log level — on either graph implementation.
 */
import type { LifecycleCallbacks, RosGraph, RosNode } from './graph/types';
import { createGraph, type GraphKind } from './graph/index';
import { loadParamsFile, nodeIdentityFromArgs, overridesForNode, parseRosArgs } from './graph/ros-args';
import { createLogger, type Logger } from './logging';

/** What a node folder exports: its default name and the function that wires it onto a RosNode. */
export interface NodeDefinition {
  /** Default node name (ROS 2 `-r __node:=` overrides it). */
  name: string;
  /**
   * Wires the node. On a managed node (`--managed`) its publishers send only while it is active, and the
   * callbacks it returns run on the lifecycle transitions (e.g. the gate's zero velocity on deactivate).
   */
  start(node: RosNode): void | LifecycleCallbacks | Promise<void | LifecycleCallbacks>;
}

export interface LaunchOptions {
  /** Which graph implementation. Default `inprocess`. */
  graph?: GraphKind;
  /** Arguments, usually including `--ros-args ...`. */
  argv?: ReadonlyArray<string>;
  /** Force JSON logs (true) or readable logs (false). Default: JSON unless stderr is a terminal. */
  jsonLogs?: boolean;
  /** Log level when neither `--ros-args --log-level` nor a `log_level` parameter sets one. Default `info`. */
  logLevel?: string;
  /**
   * Start the node managed (lifecycle): unconfigured until a lifecycle manager or `ros2 lifecycle set`
   * configures and activates it. Default false.
   */
  managed?: boolean;
  /** Use this graph instead of creating one (several nodes in one process). */
  into?: { graph: RosGraph; logger: Logger };
}

export interface LaunchedNode {
  graph: RosGraph;
  node: RosNode;
  logger: Logger;
}

/** Creates the graph (unless given), the node with its resolved overrides and remaps, and starts it. */
export async function launchNode(def: NodeDefinition, options: LaunchOptions = {}): Promise<LaunchedNode> {
  const ros = parseRosArgs(options.argv ?? []);
  const blocks = ros.paramsFiles.flatMap((f) => loadParamsFile(f));
  const { name, namespace } = nodeIdentityFromArgs(ros, def.name);
  const overrides = overridesForNode(blocks, ros, name, namespace);
  const robot = typeof overrides.robot_id === 'string' ? overrides.robot_id : undefined;
  const paramLevel = typeof overrides.log_level === 'string' ? overrides.log_level : undefined;
  const logger =
    options.into?.logger ??
    createLogger({
      level: ros.logLevel ?? paramLevel ?? options.logLevel ?? 'info',
      json: options.jsonLogs ?? !process.stderr.isTTY,
    });
  const graph =
    options.into?.graph ?? (await createGraph(options.graph ?? 'inprocess', { logger, ...(robot ? { robot } : {}) }));
  const node = graph.createNode(name, {
    namespace,
    parameterOverrides: overrides,
    remappings: ros.remappings,
    managed: options.managed ?? false,
  });
  const callbacks = await def.start(node);
  node.lifecycle?.register(callbacks ?? {});
  return { graph, node, logger };
}
