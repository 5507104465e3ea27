/**
 * `kizuna launch`: starts one robot's stack without ROS 2 launch. Checks everything first (parameters
 * through each node's zod schema, certificates, the broker, the ROS 2 environment, disk), then runs each
 * node as a supervised child process (`kizuna run <node>`), restarting all but the safety gate, with
 * each line prefixed by its node; or, with --compose, all nodes in this one process. Ctrl-C stops the
 * nodes cleanly (cloud_bridge publishes its `offline` status). --dry-run checks and prints the plan.
 */
import type { Logger } from '../core/logging';
import { createLogger } from '../core/logging';
import { KizunaError } from '../core/errors';
import { createGraph } from '../core/graph/index';
import type { RosGraph } from '../core/graph/types';
import { launchNode } from '../core/runner';
import type { ProfileName } from '../core/profiles';
import { NODES } from '../registry';
import {
  checkBroker,
  checkCertificates,
  checkDisk,
  checkKizunaMsgs,
  checkNodeVersion,
  checkRos,
  defaultStorePath,
  formatChecks,
  type Check,
} from './doctor-checks';
import {
  CRITICAL_NODE,
  MANAGER_NODE,
  brokerProblem,
  levelProblem,
  planLaunch,
  profileParamsFile,
  profileProblem,
  type LaunchRequest,
  type Plan,
} from './launch-plan';
import { Supervisor, describeExit, spawnChild, type ProcessSpec, type RestartPolicy } from './supervisor';

export const LAUNCH_USAGE = `usage: kizuna launch --profile <profile> --robot-id <id> [options]

Checks the robot's setup, then starts its kizuna nodes (safety_gate, black_box, perception, executive,
health, cloud_bridge) on ROS 2 and supervises them until Ctrl-C.

required:
  --profile <profile>     care, factory, delivery, farm or construction
  --robot-id <id>         this robot's id, one MQTT topic level (letters, digits, '_', '-')

options:
  --fleet <id>            fleet id (default: default)
  --params <file>         ROS 2 parameter YAML for every node (default: the profile's, launch/params/<profile>.yaml)
  --broker <url>          MQTT broker, mqtt:// or mqtts:// (default: cloud_bridge's broker_url in the file)
  --compose               run every node in this one process (small onboard computers)
  --dry-run               check and print the plan; start nothing
  --no-cloud-bridge       start without the cloud link
  --no-lifecycle          start every node active, without lifecycle_manager (for robot makers who manage the
                          nodes themselves). By default every node starts as a managed (lifecycle) node,
                          unconfigured, and lifecycle_manager configures them all, then activates them all, in
                          start order (the safety gate first up, last down), watches their heartbeats and holds
                          the robot safe when one dies (--managed: that default, said explicitly)
  --log-level <level>     debug, info, warn, error or fatal (default: info)
  --graph <graph>         rclnodejs (default) or inprocess (testing without ROS 2: nodes in separate
                          processes then cannot talk to each other, so use it with --compose, or with
                          --no-lifecycle: the manager could never reach them)

Restarts: a node other than the safety gate that exits is started again after 1 s, doubling to 30 s,
at most ${5} times in 60 s; beyond that, or when the safety gate exits, everything stops (exit 1).

exit status: 0 stopped by Ctrl-C (or --dry-run with every check passing), 1 a check failed or the stack
stopped on a failure, 2 wrong command line`;

/** Restart policy of every non-critical node. */
export const RESTART_POLICY: RestartPolicy = { maxRestarts: 5, windowSec: 60, backoffInitialSec: 1, backoffMaxSec: 30 };

export interface LaunchOptions extends LaunchRequest {
  compose: boolean;
  dryRun: boolean;
}

function usage(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${LAUNCH_USAGE}`);
}

/** Parses `kizuna launch` flags; throws KZ_ERR_CLI_USAGE naming the flag and the fix. */
export function parseLaunchArgs(args: ReadonlyArray<string>): LaunchOptions {
  let profile: string | undefined;
  let robotId: string | undefined;
  let fleet = 'default';
  let paramsFile: string | undefined;
  let brokerUrl: string | undefined;
  let graph: 'rclnodejs' | 'inprocess' = 'rclnodejs';
  let logLevel = 'info';
  let compose = false;
  let dryRun = false;
  let withCloudBridge = true;
  let managed: boolean | undefined;
  let sawProfile = false;
  let sawRobot = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = (): string | undefined => {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) return undefined;
      i += 1;
      return v;
    };
    switch (flag) {
      case '--profile': {
        sawProfile = true;
        profile = value();
        const p = profileProblem(profile);
        if (p) throw usage(p);
        break;
      }
      case '--robot-id': {
        sawRobot = true;
        robotId = value();
        const p = levelProblem('--robot-id', robotId);
        if (p) throw usage(p);
        break;
      }
      case '--fleet': {
        const v = value();
        const p = levelProblem('--fleet', v);
        if (p) throw usage(p);
        fleet = v as string;
        break;
      }
      case '--params': {
        const v = value();
        if (!v) throw usage('--params needs a file: a ROS 2 parameter YAML');
        paramsFile = v;
        break;
      }
      case '--broker': {
        const v = value();
        const p = brokerProblem(v);
        if (p) throw usage(p);
        brokerUrl = v;
        break;
      }
      case '--graph': {
        const v = value();
        if (v !== 'rclnodejs' && v !== 'inprocess')
          throw usage(`--graph must be rclnodejs or inprocess, got '${v ?? ''}'`);
        graph = v;
        break;
      }
      case '--log-level': {
        const v = value();
        if (!v || !['debug', 'info', 'warn', 'error', 'fatal'].includes(v)) {
          throw usage(`--log-level must be one of debug, info, warn, error, fatal, got '${v ?? ''}'`);
        }
        logLevel = v;
        break;
      }
      case '--compose':
        compose = true;
        break;
      case '--dry-run':
        dryRun = true;
        break;
      case '--no-cloud-bridge':
        withCloudBridge = false;
        break;
      case '--managed':
      case '--no-lifecycle': {
        const want = flag === '--managed';
        if (managed !== undefined && managed !== want)
          throw usage('--managed and --no-lifecycle contradict each other: give one (the default is managed)');
        managed = want;
        break;
      }
      default:
        throw usage(`unknown launch option '${flag}'`);
    }
  }
  if (!sawProfile) throw usage('launch needs --profile (care, factory, delivery, farm or construction)');
  if (!sawRobot) throw usage("launch needs --robot-id: this robot's id, e.g. --robot-id care-017");
  managed ??= true;
  if (managed && graph === 'inprocess' && !compose) {
    throw usage(
      '--graph inprocess runs each node in a process of its own where no other can reach it, so lifecycle_manager ' +
        'could never bring them up: add --compose (all in one process) or --no-lifecycle (every node starts active)',
    );
  }
  const prof = profile as ProfileName;
  return {
    profile: prof,
    robotId: robotId as string,
    fleet,
    paramsFile: paramsFile ?? profileParamsFile(prof),
    ...(brokerUrl ? { brokerUrl } : {}),
    graph,
    withCloudBridge,
    logLevel,
    managed,
    compose,
    dryRun,
  };
}

/**
 * Every check `launch` runs before starting. The broker being unreachable is a warning here (the
 * robot must start with its link down; cloud_bridge buffers and reconnects) but a failure in doctor.
 */
export async function launchChecks(
  plan: Plan,
  options: { env?: NodeJS.ProcessEnv; brokerTimeoutMs?: number } = {},
): Promise<Check[]> {
  const env = options.env ?? process.env;
  const checks: Check[] = [checkNodeVersion()];
  if (plan.request.graph === 'rclnodejs') checks.push(...checkRos(env), ...checkKizunaMsgs(env));
  checks.push(...plan.checks);
  if (plan.bridge) {
    checks.push(...checkCertificates(plan.bridge.files, plan.bridge.broker.url));
    const broker = await checkBroker(plan.bridge.broker, options.brokerTimeoutMs ?? 5000);
    checks.push(
      broker.level === 'fail'
        ? { ...broker, level: 'warn', detail: `${broker.detail} (cloud_bridge will keep retrying)` }
        : broker,
    );
    checks.push(
      checkDisk(plan.bridge.storePath || defaultStorePath(plan.request.robotId, env), plan.bridge.outboxMaxBytes),
    );
  }
  return checks;
}

/** The command line of one node as a child process: this same kizuna, `run <node>`. */
export function childCommand(plan: Plan, node: string): { command: string; args: string[] } {
  const self = process.argv[1] as string;
  const planned = plan.nodes.find((n) => n.name === node);
  const managed = plan.request.managed !== false && node !== MANAGER_NODE ? ['--managed'] : [];
  return {
    command: process.execPath,
    args: [
      ...process.execArgv,
      self,
      'run',
      node,
      '--graph',
      plan.request.graph,
      ...managed,
      ...(planned?.rosArgs ?? []),
    ],
  };
}

/** The plan as text: checks, then what would run. */
export function formatPlan(plan: Plan, checks: ReadonlyArray<Check>, compose: boolean): string {
  const r = plan.request;
  const lines = [
    `kizuna launch: robot ${r.robotId} (fleet ${r.fleet}, profile ${r.profile}) on the ${r.graph} graph, ` +
      (compose ? 'all nodes in one process (--compose)' : 'one process per node') +
      (r.managed !== false
        ? ', managed: lifecycle_manager configures, then activates them in order'
        : ', unmanaged (--no-lifecycle): every node starts active'),
    `parameters: ${r.paramsFile}`,
    ...(plan.bridge ? [`broker: ${plan.bridge.broker.url}`] : ['cloud link: not started (--no-cloud-bridge)']),
    '',
    'checks:',
    formatChecks(checks),
    '',
    compose ? 'nodes (one process):' : 'processes, in start order:',
  ];
  const policy = `restarts after 1 s (doubling to ${RESTART_POLICY.backoffMaxSec} s), at most ${RESTART_POLICY.maxRestarts} times in ${RESTART_POLICY.windowSec} s`;
  for (const n of plan.nodes) {
    lines.push(`  ${n.name.padEnd(13)} ${n.critical ? 'critical: its exit stops the stack' : compose ? '' : policy}`);
    if (!compose) {
      const { command, args } = childCommand(plan, n.name);
      lines.push(`      ${[command, ...args].join(' ')}`);
    } else lines.push(`      ${n.rosArgs.join(' ')}`);
  }
  return lines.join('\n');
}

export interface LaunchIO {
  out: (line: string) => void;
  err: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** `kizuna launch ...`; resolves with the exit status. */
export async function runLaunch(args: ReadonlyArray<string>, io: LaunchIO): Promise<number> {
  const opts = parseLaunchArgs(args);
  const plan = planLaunch(opts);
  const checks = await launchChecks(plan, { ...(io.env ? { env: io.env } : {}) });
  const failed = checks.filter((c) => c.level === 'fail');
  if (opts.dryRun) {
    io.out(formatPlan(plan, checks, opts.compose));
    io.out('');
    io.out(
      failed.length
        ? `would not start: ${failed.length} check(s) failed (--dry-run: nothing started)`
        : 'ready to start (--dry-run: nothing started)',
    );
    return failed.length ? 1 : 0;
  }
  if (failed.length) {
    io.err(formatChecks(checks));
    throw new KizunaError(
      'KZ_ERR_LAUNCH_CHECK_FAILED',
      `not started: ${failed.map((c) => c.name).join(', ')} failed (fixes above; kizuna doctor re-runs the checks)`,
    );
  }
  for (const c of checks.filter((x) => x.level === 'warn')) io.err(`kizuna launch: warn: ${c.name}: ${c.detail}`);
  return opts.compose ? runComposed(plan, opts, io) : runSupervised(plan, io);
}

/** Resolves on the first SIGINT or SIGTERM. */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function runSupervised(plan: Plan, io: LaunchIO): Promise<number> {
  const specs: ProcessSpec[] = plan.nodes.map((n) => ({
    name: n.name,
    ...childCommand(plan, n.name),
    critical: n.name === CRITICAL_NODE,
    restart: RESTART_POLICY,
  }));
  const width = Math.max(...specs.map((s) => s.name.length));
  const sup = new Supervisor(specs, {
    spawn: spawnChild(io.env ?? process.env),
    stopTimeoutSec: 10,
    onEvent: (e) => {
      switch (e.type) {
        case 'line':
          (e.stream === 'stderr' ? io.err : io.out)(`[${e.name.padEnd(width)}] ${e.line}`);
          break;
        case 'started':
          io.err(
            `kizuna launch: ${e.name} started (pid ${e.pid ?? '?'}${e.attempt > 1 ? `, start ${e.attempt}` : ''})`,
          );
          break;
        case 'exited':
          if (!e.expected) io.err(`kizuna launch: ${e.name} exited (${describeExit(e.code, e.signal)})`);
          break;
        case 'restart-scheduled':
          io.err(
            `kizuna launch: restarting ${e.name} in ${e.delaySec} s (restart ${e.restartsInWindow} within ${RESTART_POLICY.windowSec} s)`,
          );
          break;
        case 'gave-up':
          io.err(`kizuna launch: ${e.name} keeps exiting; giving up`);
          break;
        case 'stopping':
          io.err(`kizuna launch: stopping: ${e.reason}`);
          break;
        case 'killed':
          io.err(`kizuna launch: ${e.name} did not stop within 10 s; killed`);
          break;
        default:
          break;
      }
    },
  });
  const signal = nextSignal();
  sup.start();
  void signal.then((s) => sup.stop(`${s} received`));
  const result = await sup.done;
  if (result.failed) throw new KizunaError('KZ_ERR_NODE_EXITED', result.reason);
  io.err('kizuna launch: stopped');
  return 0;
}

async function runComposed(plan: Plan, opts: LaunchOptions, io: LaunchIO): Promise<number> {
  const logger: Logger = createLogger({ level: opts.logLevel, json: !process.stderr.isTTY });
  const graph: RosGraph = await createGraph(opts.graph, { logger, robot: opts.robotId });
  try {
    for (const n of plan.nodes) {
      const def = NODES[n.name];
      if (!def) throw new KizunaError('KZ_ERR_LAUNCH_CHECK_FAILED', `this kizuna build has no ${n.name} node`);
      const managed = opts.managed !== false && n.name !== MANAGER_NODE;
      const launched = await launchNode(def, { into: { graph, logger }, argv: n.rosArgs, managed });
      io.err(`kizuna launch: ${launched.node.fullyQualifiedName} running (composed)`);
    }
  } catch (err) {
    await graph.shutdown();
    throw err;
  }
  io.err(`kizuna launch: ${plan.nodes.length} nodes in one process on the ${opts.graph} graph; Ctrl-C stops them`);
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const s = await nextSignal();
  clearInterval(keepAlive);
  io.err(`kizuna launch: ${s} received; stopping`);
  await graph.shutdown();
  io.err('kizuna launch: stopped');
  return 0;
}
