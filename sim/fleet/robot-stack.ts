/**
 * One simulated robot's software: the real kizuna nodes (perception, safety_gate, executive, health,
 * cloud_bridge, black_box) on an in-process graph, in the robot's namespace (`/<robot id>`), all with
 * use_sim_time, configured from the robot's profile file `launch/params/<profile>.yaml` exactly as
 * `ros2 launch` would, plus the few overrides a simulated site needs (SIM_OVERRIDES below).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RosGraph, RosNode } from '../../nodes/core/graph/types';
import type { ParamValue } from '../../nodes/core/graph/params';
import { loadParamsFile, overridesForNode, type ParamBlock } from '../../nodes/core/graph/ros-args';
import type { ProfileName } from '../../nodes/core/profiles';
import { start as startPerception } from '../../nodes/perception/node';
import { start as startGate } from '../../nodes/safety_gate/node';
import { start as startExecutive } from '../../nodes/executive/node';
import { start as startHealth } from '../../nodes/health/node';
import { startAnyBridge, type AnyBridge } from '../../nodes/cloud_bridge/node';
import { startBlackBox, type BlackBoxHandle } from '../../nodes/black_box/node';
import type { Pose } from '../geometry';

/** Names of the nodes every simulated robot runs, in start order. */
export const STACK_NODES = ['perception', 'safety_gate', 'executive', 'health', 'cloud_bridge', 'black_box'] as const;

/** What a robot's stack needs besides its profile. */
export interface RobotStackOptions {
  robotId: string;
  profile: ProfileName;
  fleet: string;
  /** URL the bridge connects to (the robot's link proxy). */
  brokerUrl: string;
  /** 4 (MQTT 3.1.1) or 5. */
  mqttVersion: 4 | 5;
  /** Trusted keys file holding the planner's public key. */
  trustedKeysFile: string;
  /** Directory for the bridge's SQLite store. */
  storeDir: string;
  /** black_box's folder. Default `<storeDir>/black_box/<robotId>`. */
  blackBoxDir?: string;
  /** The robot's lidar topics (black_box records them). Default `[scan]`. */
  scanTopics?: readonly string[];
  /** Dock approach pose (the executive's fallback dock). */
  dockPose: Pose;
  /** [m] geofence polygon x1,y1,... around the site (empty: none). */
  geofence: number[];
  /** Nodes on /clock (the sim's time). Default true; false: wall time (a test on real ROS 2). */
  useSimTime?: boolean;
  /** Extra overrides per node name, applied last. */
  overrides?: Partial<Record<(typeof STACK_NODES)[number], Record<string, ParamValue>>>;
}

/**
 * Overrides of the profile files for the simulated site, per node: the built-in controller instead
 * of Nav2 (there is no Nav2 in the sim), waits inside tasks short enough for a run of a minute, and
 * quick reconnects on a loopback link.
 */
export const SIM_OVERRIDES: Record<string, Record<string, ParamValue>> = {
  executive: {
    navigation_backend: 'builtin',
    load_wait_s: 2,
    reminder_wait_s: 3,
    survey_dwell_s: 1,
    dock_charge_timeout_s: 15,
    request_period_s: 3,
    stall_timeout_s: 15,
  },
  cloud_bridge: {
    store_sync: 'normal',
    reconnect_min_s: 0.2,
    reconnect_max_s: 2,
    keepalive_s: 10,
    // A loopback broker: an event not acknowledged within 2 s was dropped, not slow; re-send soon.
    ack_timeout_s: 2,
    ack_timeout_max_s: 8,
    // VDA 5050 mode (when a run asks for it): pick and drop as short as the tasks' load wait above
    vda5050_load_handling_s: 2,
  },
};

let profileDir: string | undefined;

/** The folder holding the profile files (launch/params), found above this file in source and dist/ trees. */
export function profileParamsDir(): string {
  if (profileDir) return profileDir;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'launch', 'params');
    if (existsSync(join(candidate, 'care.yaml'))) return (profileDir = candidate);
  }
  throw new Error('launch/params not found above ' + __dirname);
}

const blockCache = new Map<ProfileName, ParamBlock[]>();

/** The parsed parameter blocks of a profile file (cached). */
export function profileBlocks(profile: ProfileName): ParamBlock[] {
  let b = blockCache.get(profile);
  if (!b) {
    b = loadParamsFile(join(profileParamsDir(), `${profile}.yaml`));
    blockCache.set(profile, b);
  }
  return b;
}

/** A started stack: its nodes by name, the bridge and the black box. */
export interface RobotStack {
  namespace: string;
  nodes: Map<string, RosNode>;
  bridge: AnyBridge;
  blackBox: BlackBoxHandle;
}

/** Starts the robot's six nodes on `graph` (either implementation) in `/<robotId>`, with use_sim_time unless told. */
export function startRobotStack(graph: Pick<RosGraph, 'createNode'>, o: RobotStackOptions): RobotStack {
  const namespace = `/${o.robotId}`;
  const blocks = profileBlocks(o.profile);
  const nodes = new Map<string, RosNode>();
  const params = (name: string, extra: Record<string, ParamValue>): Record<string, ParamValue> => ({
    // The profile files name nodes without a namespace (`perception:`), so they are matched as if the
    // node were at the root; the robot's own namespace is applied by the launcher, as ros2 launch does
    // with a params file passed to a namespaced node.
    ...overridesForNode(blocks, { params: {}, nodeParams: {} }, name, '/'),
    ...SIM_OVERRIDES[name],
    ...extra,
    ...o.overrides?.[name as (typeof STACK_NODES)[number]],
    use_sim_time: o.useSimTime ?? true,
  });
  const make = (name: string, extra: Record<string, ParamValue> = {}): RosNode => {
    const n = graph.createNode(name, { namespace, parameterOverrides: params(name, extra) });
    nodes.set(name, n);
    return n;
  };
  startPerception(make('perception'));
  startGate(make('safety_gate'));
  startExecutive(
    make('executive', {
      profile: o.profile,
      dock_pose: [o.dockPose.x, o.dockPose.y, o.dockPose.yaw],
      geofence: o.geofence,
    }),
  );
  startHealth(make('health'));
  const bridge = startAnyBridge(
    make('cloud_bridge', {
      robot_id: o.robotId,
      fleet: o.fleet,
      profile: o.profile,
      broker_url: o.brokerUrl,
      // With a cluster's nodes in the list, each robot starts at the node its id hashes to: the fleet spreads.
      broker_order: 'spread',
      mqtt_version: o.mqttVersion,
      trusted_keys_file: o.trustedKeysFile,
      store_path: join(o.storeDir, `cloud_bridge-${o.robotId}.sqlite`),
      // the executive's geofence: in VDA 5050 mode an order leaving it is refused whole
      vda5050_geofence: o.geofence,
    }),
  );
  const blackBox = startBlackBox(
    make('black_box', {
      profile: o.profile,
      dir: o.blackBoxDir ?? join(o.storeDir, 'black_box', o.robotId),
      scan_topics: [...(o.scanTopics ?? ['scan'])],
      // the sim's nodes are not managed: no transition events to record
      lifecycle_nodes: [],
    }),
  );
  return { namespace, nodes, bridge, blackBox };
}
