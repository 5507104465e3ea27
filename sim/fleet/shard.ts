/**
 * A shard of a fleet simulation: a share of the scenario's robots, each wholly here, in one World and
 * one in-process graph. The shard drives its World at the scenario's fixed dt and, after each step,
 * publishes what a robot's drivers would — `/clock`, and per robot (in its namespace) the lidar scans,
 * odometry, IMU, battery, e-stop and detected people — then lets the nodes run (graph flush) before
 * the next step, reading each robot's `cmd_vel` (the safety gate's output) into the World. Each
 * robot's bridge reaches the broker through its own LinkProxy (link faults cut one robot).
 *
 * The same class runs in the main thread (`--workers 1`) or inside a worker thread (shard-worker.ts);
 * it is driven by plain-data commands either way, and never assumes it is the only shard.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import type { Publisher, RosNode } from '../../nodes/core/graph/types';
import type { MessageOf } from '../../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { createLogger } from '../../nodes/core/logging';
import { TOPICS } from '../../nodes/core/topics';
import type { ProfileName } from '../../nodes/core/profiles';
import type { ClearanceByKind, SpeedNearPeople } from '../contacts';
import { composePose, type Pose } from '../geometry';
import {
  batteryStateMessage,
  clockMessage,
  commandFromTwist,
  estopMessage,
  imuMessage,
  laserScanMessage,
  odometryMessage,
  robotFrames,
  stampFromSeconds,
} from '../messages';
import {
  applyWorldFault,
  expandFault,
  scenarioWorld,
  triggerHolds,
  triggeredFaults,
  type Scenario,
  type ScenarioFault,
  type TimedFault,
} from '../scenario';
import { type FaultSensor, SensorFaults } from '../sensor-faults';
import { World, type CollisionRecord } from '../world';
import { LinkProxies } from '../link-proxy';
import { ShardTap, type TapBatch } from '../recording/tap';
import { startRobotStack, type RobotStack } from './robot-stack';
import type { VdaCounts } from '../../nodes/cloud_bridge/vda5050/bridge';
import { tileOfRobot, tileOfStation } from './scale';
import type { RobotFlow } from './sync';
import { PauseWatch, type LocalPauseResult } from '../local-pause';

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const DK = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];

/** Safety states by SafetyState.STATE_* value (index). */
export const SAFETY_NAMES = ['unknown', 'clear', 'approach', 'slowdown', 'stop', 'estop'] as const;
/** Decision kinds by Decision.KIND_* value (index). */
const KIND_NAMES = ['unknown', 'navigate_to', 'dock', 'hold', 'stop', 'resume', 'set_speed_limit', 'perform_task'];
/** Decisions that move the robot to do work: these count as tasks. */
const TASK_KINDS = new Set<number>([DK.KIND_NAVIGATE_TO, DK.KIND_DOCK, DK.KIND_TASK]);
/** [s] sim time a link may take to come up at start before the wait counts as an outage. */
export const STARTUP_GRACE_S = 5;

/** What a shard is built from (plain data: it crosses into a worker thread). */
export interface ShardInit {
  shardIndex: number;
  scenario: Scenario;
  robotIds: string[];
  fleet: string;
  /** The broker's nodes (one, or a cluster's): each robot gets a link proxy to each, as its failover list. */
  brokers: Array<{ host: string; port: number }>;
  mqttVersion: 4 | 5;
  trustedKeysFile: string;
  storeDir: string;
  /** Log level of the nodes (default warn). */
  logLevel?: string;
  /** [s] path sample period for the map (default 0.25). */
  pathPeriodS?: number;
  /** Record the paths of the people in this shard's World (for the map). */
  recordPeople?: boolean;
  /** cloud_bridge `end_to_end_ack` of every robot (default: the bridge's, auto). */
  endToEndAck?: 'auto' | 'required' | 'off';
  /** Extra cloud_bridge parameters of every robot, applied last (SimRunOptions.bridgeOverrides). */
  bridgeOverrides?: Record<string, string | number | boolean | number[]>;
  /** Keep each robot's audit log in `<auditDir>/<robotId>` (default: beside its store, deleted with it). */
  auditDir?: string;
  /** Keep each robot's black-box files in `<blackBoxDir>/<robotId>` (default: beside its store, deleted with it). */
  blackBoxDir?: string;
  /** Robots' client ids `<fleet><sep><robot_id>` instead of the bridge's default `<fleet>.<robot_id>` (a broker refusing "."). */
  clientIdSeparator?: string;
}

/** [bytes] a robot's link proxy carried each way, counted after its bridge stopped (every byte in). */
export interface LinkBytes {
  robotId: string;
  bytesUp: number;
  bytesDown: number;
}

/** A point of a robot's path: sim time, map x, y, safety state index (SAFETY_NAMES). */
export type PathPoint = [t: number, x: number, y: number, safety: number];

/** Where and why a robot was brought to a stop. */
export interface StopRecord {
  t: number;
  robotId: string;
  x: number;
  y: number;
  /** 'stop' or 'estop'. */
  state: string;
  detail: string;
}

/** What one robot did, as the shard saw it on the robot side (ROS topics and the World). */
export interface RobotResult {
  robotId: string;
  profile: ProfileName;
  distanceM: number;
  collisions: number;
  minClearanceM: number;
  minClearanceAtS: number;
  invalidCommands: number;
  /** Contacts this robot caused (sim/contacts.ts). */
  robotCausedContacts: number;
  /** [m] minimum clearance per kind of object (capped at 2 m). */
  minClearanceByKindM: ClearanceByKind;
  /** [m/s] highest speed while a person was within 1 m / 2 m of the footprint. */
  speedNearPeopleMps: SpeedNearPeople;
  path: PathPoint[];
  stops: StopRecord[];
  /** Executive statuses, counted per state name, and decision ids by terminal state. */
  accepted: number;
  rejectedByExecutive: Record<string, number>;
  ended: Record<string, number>;
  tasksOk: number;
  tasksFailed: number;
  /** Decision ids the executive accepted (to check that no injected decision ever was). */
  acceptedIds: string[];
  /** Local pauses (sim/local-pause.ts) and the decisions the executive refused while paused (LOCAL_PAUSE). */
  localPause: LocalPauseResult & { refused: number };
  /** What it said to the people around it, where (up to MAX_ANNOUNCEMENTS). */
  announcements: AnnouncementRecord[];
  /** Its black_box: every incident it saw and the files it wrote. */
  blackBox: BlackBoxResult;
  /** From the bridge itself at the end. */
  bridge: {
    connected: boolean;
    lastEventSeq: number;
    outboxDepth: number;
    outboxDropped: number;
    rejectedByReason: Record<string, number>;
    reconnects: number;
    forwarded: number;
    /** The link's last error (a CONNACK refusal by code and reason, a socket error), '' if none. */
    lastError: string;
    /** The broker's last CONNACK refusal while it refused, if it did: the link never came up because of it. */
    refusal?: { code: number; reason: string };
    /** Whether the link ever connected during the run. */
    everConnected: boolean;
    /** Index in the broker list of the node the link was on last (-1: never connected). */
    brokerIndex: number;
    /** A robot speaking VDA 5050: its orders and VDA errors. */
    vda5050?: VdaCounts;
  };
  /**
   * [s] sim time the bridge spent disconnected, and its longest stretch. A link that never came up was
   * down the whole run; a first connection later than STARTUP_GRACE_S counts from 0.
   */
  linkDownS: number;
  longestLinkOutageS: number;
  /** [bytes] through the robot's link proxy. */
  bytesUp: number;
  bytesDown: number;
  finalBattery: number;
}

/** What a robot's black_box saw and wrote. */
export interface BlackBoxResult {
  /** Sim time [s], kind, detail, and whether it started a file, joined one or was a repeat. */
  incidents: Array<{ t: number; kind: string; detail: string; outcome: string; file?: string }>;
  /** The MCAP files, in the order written (paths under the run's black-box folder). */
  files: Array<{ id: string; path: string; kinds: string[]; messages: number }>;
}

/** A shard's result. */
export interface ShardReport {
  robots: RobotResult[];
  collisions: CollisionRecord[];
  people: Array<{ id: string; path: Array<[number, number]> }>;
}

/** Progress after a step command. */
/** One announcement as the sim heard it: sim time, where the robot was, what it said. */
export interface AnnouncementRecord {
  t: number;
  robotId: string;
  intent: string;
  en: string;
  ja: string;
  x: number;
  y: number;
}

/** Announcements kept per robot for the report and the map. */
export const MAX_ANNOUNCEMENTS = 200;

export interface ShardProgress {
  t: number;
  tasksOk: number;
  tasksFailed: number;
  accepted: number;
  rejected: number;
  stops: number;
  linksUp: number;
  robots: number;
  collisions: number;
  /** The last error of a link that is down (a CONNACK refusal first), '' when every link is up or none said why. */
  linkError: string;
  /**
   * Faults whose position trigger fired in this shard but that it does not own (broker, injected
   * decisions, another shard's robot): the runner applies them. Each is reported once.
   */
  fired: TimedFault[];
  /** What the tap recorded during the step (only while tapping: `--mcap`, `--foxglove` with a subscriber). */
  tap?: TapBatch;
  /** What the robots said to people during the step (kizuna_msgs/Announcement). */
  said: AnnouncementRecord[];
}

interface RobotRuntime {
  id: string;
  profile: ProfileName;
  start: Pose;
  stack: RobotStack;
  proxy: LinkProxies;
  pubs: {
    scans: Map<string, Publisher<'sensor_msgs/msg/LaserScan'>>;
    odom: Publisher<'nav_msgs/msg/Odometry'>;
    imu: Publisher<'sensor_msgs/msg/Imu'>;
    battery: Publisher<'sensor_msgs/msg/BatteryState'>;
    estop: Publisher<'std_msgs/msg/Bool'>;
    estopReset: Publisher<'std_msgs/msg/Empty'>;
    people: Publisher<'geometry_msgs/msg/PoseArray'>;
    pauseButton: Publisher<'std_msgs/msg/Bool'>;
    localCommand: Publisher<'kizuna_msgs/msg/LocalCommand'>;
    /** A contact sensor: true on the step a collision begins, false on the next. */
    bumper: Publisher<'std_msgs/msg/Bool'>;
  };
  /** The bumper reported a contact last step (false follows). */
  bumped: boolean;
  /** Local pauses a person made (the local_pause faults) as the gate held them. */
  pause: PauseWatch;
  /** What the robot said to the people around it (kizuna_msgs/Announcement), up to MAX_ANNOUNCEMENTS. */
  announcements: AnnouncementRecord[];
  gyroStd: number;
  accelStd: number;
  /** [count] decision requests its executive published (for the network sync, sync.ts). */
  requests: number;
  safety: number;
  safetyDetail: string;
  /** What limits it, for KIZUNA_SIM_TRACE. */
  safetyLimit?: string;
  traceNav?: string;
  traceCmd?: string;
  path: PathPoint[];
  stops: StopRecord[];
  accepted: number;
  acceptedIds: string[];
  rejectedByExecutive: Record<string, number>;
  ended: Record<string, number>;
  tasksOk: number;
  tasksFailed: number;
  terminal: Set<string>;
  connected: boolean;
  downSince: number | undefined;
  /** Index in the broker list of the node the link was on last (-1: never connected). */
  brokerIndex: number;
  linkDownS: number;
  longestOutageS: number;
  resetAt: number | undefined;
  /** The bridge's latest BridgeStatus. */
  bridgeStatus: MessageOf<'kizuna_msgs/msg/BridgeStatus'> | undefined;
  /** Sensor corruption between the World's readings and the topics. */
  sensorFaults: SensorFaults;
}

/** [Hz] people detections are published at this rate (the e-stop at each robot's `estop_rate_hz`). */
const PEOPLE_HZ = 10;
/** [m] people farther than this are not detected. */
const PEOPLE_RANGE_M = 10;
/** [s] after an e-stop release, the operator's explicit reset follows this much later. */
const RESET_DELAY_S = 0.5;

/** One shard: World + graph + the robots' stacks and link proxies. */
/** Debugging aid: KIZUNA_SIM_TRACE=all or a comma-separated list of robot ids prints their path lines on stderr. */
const TRACE = process.env.KIZUNA_SIM_TRACE;
const TRACE_CUTS = process.env.KIZUNA_SIM_TRACE_CUTS === '1';

export class SimShard {
  readonly world: World;
  readonly graph: InProcessGraph;
  private readonly driver: RosNode;
  private readonly clockPub: Publisher<'rosgraph_msgs/msg/Clock'>;
  private readonly robots: RobotRuntime[] = [];
  private readonly byId = new Map<string, RobotRuntime>();
  private readonly people: Array<{ id: string; path: Array<[number, number]> }>;
  private nextPathT = 0;
  private nextStatusT = 0;
  private nextPeopleT = 0;
  private readonly pathPeriod: number;
  /** Faults with a position trigger on this shard's robots, and whether each has fired. */
  private readonly triggers: Array<{ fault: ScenarioFault; fired: boolean }>;
  /** Faults a trigger expanded that are due later (restores after a duration). */
  private later: TimedFault[] = [];
  private readonly fired: TimedFault[] = [];
  /** Announcements since the last progress (for the runner's progress output). */
  private readonly said: AnnouncementRecord[] = [];
  private readonly frames = robotFrames();
  /** Recording and live-view taps (off unless asked for). */
  private readonly tap: ShardTap;

  private constructor(
    readonly init: ShardInit,
    proxies: LinkProxies[],
  ) {
    const s = ownTiles(init.scenario, init.robotIds);
    const only = new Set(init.robotIds);
    const w = scenarioWorld(s, only);
    this.world = new World(w.map, w.robots, w.people, w.options);
    this.pathPeriod = init.pathPeriodS ?? 0.25;
    this.triggers = triggeredFaults(s)
      .filter((f) => only.has(f.when!.robot))
      .map((fault) => ({ fault, fired: false }));
    const logger = createLogger({ level: init.logLevel ?? 'warn', json: !process.stderr.isTTY });
    this.graph = new InProcessGraph({ logger });
    this.driver = this.graph.createNode(`sim_shard_${init.shardIndex}`);
    this.clockPub = this.driver.createPublisher('rosgraph_msgs/msg/Clock', '/clock', {
      history: 'keep_last',
      depth: 1,
      reliability: 'best_effort',
      durability: 'volatile',
    });
    this.people = init.recordPeople ? s.people.map((p) => ({ id: p.id, path: [] })) : [];
    mkdirSync(init.storeDir, { recursive: true });
    const docks = s.world.stations.filter((st) => st.kind === 'dock');
    const xs = [...s.world.walls.flatMap((wl) => wl.points.map((p) => p[0])), ...s.robots.map((r) => r.start.x)];
    const ys = [...s.world.walls.flatMap((wl) => wl.points.map((p) => p[1])), ...s.robots.map((r) => r.start.y)];
    const fence =
      xs.length > 0
        ? (() => {
            const [x0, x1, y0, y1] = [
              Math.min(...xs) - 1,
              Math.max(...xs) + 1,
              Math.min(...ys) - 1,
              Math.max(...ys) + 1,
            ];
            return [x0, y0, x1, y0, x1, y1, x0, y1];
          })()
        : [];
    const cfgById = new Map(w.robots.map((r) => [r.id, r]));
    s.robots
      .filter((r) => only.has(r.id))
      .forEach((r, i) => {
        const proxy = proxies[i]!;
        const dock =
          docks.find(
            (d) => d.profiles?.includes(r.profile) && Math.hypot(d.pose.x - r.start.x, d.pose.y - r.start.y) < 0.5,
          ) ??
          docks
            .filter((d) => !d.profiles || d.profiles.includes(r.profile))
            .sort(
              (a, b) =>
                Math.hypot(a.pose.x - r.start.x, a.pose.y - r.start.y) -
                Math.hypot(b.pose.x - r.start.x, b.pose.y - r.start.y),
            )[0];
        const cfg = cfgById.get(r.id)!;
        const stack = startRobotStack(this.graph, {
          robotId: r.id,
          scanTopics: cfg.lidars.map((l) => l.topic),
          ...(init.blackBoxDir ? { blackBoxDir: join(init.blackBoxDir, r.id) } : {}),
          profile: r.profile,
          fleet: init.fleet,
          brokerUrl: proxy.url,
          mqttVersion: init.mqttVersion,
          trustedKeysFile: init.trustedKeysFile,
          storeDir: init.storeDir,
          dockPose: dock?.pose ?? r.start,
          geofence: fence,
          overrides: {
            cloud_bridge: {
              ...(init.endToEndAck ? { end_to_end_ack: init.endToEndAck } : {}),
              ...(init.auditDir ? { audit_dir: join(init.auditDir, r.id) } : {}),
              ...(init.clientIdSeparator ? { client_id: `${init.fleet}${init.clientIdSeparator}${r.id}` } : {}),
              ...init.bridgeOverrides,
            },
          },
        });
        const ns = `/${r.id}`;
        const sensor = 'sensor_data' as const;
        const reliable1 = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1 } as const;
        const rt: RobotRuntime = {
          id: r.id,
          profile: r.profile,
          start: r.start,
          stack,
          proxy,
          pubs: {
            scans: new Map(
              cfg.lidars.map((l) => [
                l.topic,
                this.driver.createPublisher('sensor_msgs/msg/LaserScan', abs(ns, l.topic), sensor),
              ]),
            ),
            odom: this.driver.createPublisher('nav_msgs/msg/Odometry', abs(ns, TOPICS.odom), sensor),
            imu: this.driver.createPublisher('sensor_msgs/msg/Imu', abs(ns, TOPICS.imu), sensor),
            battery: this.driver.createPublisher('sensor_msgs/msg/BatteryState', abs(ns, TOPICS.battery), sensor),
            estop: this.driver.createPublisher('std_msgs/msg/Bool', abs(ns, TOPICS.estop), reliable1),
            estopReset: this.driver.createPublisher('std_msgs/msg/Empty', abs(ns, TOPICS.estopReset), reliable1),
            people: this.driver.createPublisher('geometry_msgs/msg/PoseArray', abs(ns, TOPICS.people), sensor),
            pauseButton: this.driver.createPublisher('std_msgs/msg/Bool', abs(ns, TOPICS.pauseButton), reliable1),
            localCommand: this.driver.createPublisher(
              'kizuna_msgs/msg/LocalCommand',
              abs(ns, TOPICS.localCommand),
              reliable1,
            ),
            bumper: this.driver.createPublisher('std_msgs/msg/Bool', abs(ns, 'bumper'), reliable1),
          },
          bumped: false,
          pause: new PauseWatch(),
          announcements: [],
          gyroStd: cfg.noise.gyroStdRadps,
          accelStd: cfg.noise.accelStdMps2,
          requests: 0,
          safety: 0,
          safetyDetail: '',
          path: [],
          stops: [],
          accepted: 0,
          acceptedIds: [],
          rejectedByExecutive: {},
          ended: {},
          tasksOk: 0,
          tasksFailed: 0,
          terminal: new Set(),
          connected: false,
          downSince: 0,
          brokerIndex: -1,
          linkDownS: 0,
          longestOutageS: 0,
          resetAt: undefined,
          bridgeStatus: undefined,
          sensorFaults: new SensorFaults(),
        };
        this.robots.push(rt);
        this.byId.set(r.id, rt);
        this.watch(rt, ns);
      });
    this.tap = new ShardTap(
      this.driver,
      this.robots.map((rt) => ({ id: rt.id, lidarTopics: [...rt.pubs.scans.keys()] })),
      () => this.world.time,
    );
  }

  /** Starts or stops the recording taps (sim/recording/tap.ts). */
  setTap(on: boolean): void {
    this.tap.set(on);
  }

  /** Builds a shard: one link proxy per robot towards the broker, then the World, graph and stacks. */
  static async create(init: ShardInit): Promise<SimShard> {
    const proxies: LinkProxies[] = [];
    for (let i = 0; i < init.robotIds.length; i++) proxies.push(await LinkProxies.start(init.brokers));
    return new SimShard(init, proxies);
  }

  private watch(rt: RobotRuntime, ns: string): void {
    const d = this.driver;
    d.createSubscription(
      'kizuna_msgs/msg/Announcement',
      abs(ns, TOPICS.announcement),
      (m) => {
        const sn = this.world.snapshotOf(rt.id)!;
        const a: AnnouncementRecord = {
          t: round3(this.world.time),
          robotId: rt.id,
          intent: m.intent,
          en: m.text_en,
          ja: m.text_ja,
          x: round3(sn.pose.x),
          y: round3(sn.pose.y),
        };
        if (this.said.length < MAX_ANNOUNCEMENTS) this.said.push(a);
        if (rt.announcements.length < MAX_ANNOUNCEMENTS) rt.announcements.push(a);
      },
      { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 20 },
    );
    d.createSubscription('kizuna_msgs/msg/DecisionRequest', abs(ns, TOPICS.decisionRequest), () => rt.requests++, {
      reliability: 'reliable',
      durability: 'volatile',
      history: 'keep_last',
      depth: 50,
    });
    d.createSubscription(
      'geometry_msgs/msg/Twist',
      abs(ns, TOPICS.cmdVel),
      (m) => {
        if (TRACE) rt.traceCmd = `out ${m.linear.x.toFixed(2)},${m.angular.z.toFixed(2)}`;
        this.world.setCommand(rt.id, commandFromTwist(m));
      },
      { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 1 },
    );
    if (TRACE && (TRACE === 'all' || TRACE.split(',').includes(rt.id)))
      d.createSubscription('geometry_msgs/msg/Twist', abs(ns, TOPICS.cmdVelNav), (m) => {
        rt.traceNav = `nav ${m.linear.x.toFixed(2)},${m.angular.z.toFixed(2)}`;
      });
    if (TRACE && (TRACE === 'all' || TRACE.split(',').includes(rt.id)))
      d.createSubscription('kizuna_msgs/msg/DecisionStatus', abs(ns, TOPICS.decisionStatus), (m) => {
        const x = m as unknown as { state: number; reason_code: string; message: string };
        process.stderr.write(
          `trace ${this.world.time.toFixed(2)} ${rt.id} status ${x.state} ${x.reason_code} ${x.message}\n`,
        );
      });
    d.createSubscription('kizuna_msgs/msg/BridgeStatus', abs(ns, TOPICS.bridgeStatus), (m) => {
      rt.bridgeStatus = m;
    });
    d.createSubscription('kizuna_msgs/msg/SafetyState', abs(ns, TOPICS.safetyState), (m) => {
      const was = rt.safety;
      rt.safety = m.state;
      rt.pause.onSafety(m.local_pause, this.world.time);
      rt.safetyDetail = m.detail;
      if (TRACE && TRACE_CUTS && m.linear_speed_cap < 0.9 && m.linear_speed_cap > 0)
        process.stderr.write(
          `cut ${this.world.time.toFixed(2)} ${rt.id} cap ${m.linear_speed_cap.toFixed(2)} lim ${m.limiting_distance.toFixed(2)}@${m.limiting_bearing.toFixed(2)} ${m.detail}\n`,
        );
      if (TRACE)
        rt.safetyLimit = `lim ${m.limiting_distance.toFixed(2)}@${m.limiting_bearing.toFixed(2)} cap ${m.linear_speed_cap.toFixed(2)} clear ${m.path_clear_distance.toFixed(1)}`;
      const stopped = m.state === SS.STATE_STOP || m.state === SS.STATE_ESTOP;
      const wasStopped = was === SS.STATE_STOP || was === SS.STATE_ESTOP;
      // A stop counts when the robot was moving into it (not the gate's stop before the first command).
      if (stopped && !wasStopped && was !== 0) {
        const snap = this.world.snapshotOf(rt.id)!;
        if (Math.abs(snap.twist.linear) > 0.02 || m.state === SS.STATE_ESTOP) {
          rt.stops.push({
            t: round3(this.world.time),
            robotId: rt.id,
            x: round3(snap.pose.x),
            y: round3(snap.pose.y),
            state: SAFETY_NAMES[m.state] ?? String(m.state),
            detail: m.detail.slice(0, 120),
          });
        }
      }
    });
    d.createSubscription(
      'kizuna_msgs/msg/DecisionStatus',
      abs(ns, TOPICS.decisionStatus),
      (m) => {
        if (m.state === DS.STATE_ACCEPTED) {
          rt.accepted++;
          rt.acceptedIds.push(m.decision_id);
        } else if (m.state === DS.STATE_REJECTED) {
          const why = m.reason_code || 'UNSPECIFIED';
          rt.rejectedByExecutive[why] = (rt.rejectedByExecutive[why] ?? 0) + 1;
        } else if (m.state >= DS.STATE_SUCCEEDED && !rt.terminal.has(m.decision_id)) {
          rt.terminal.add(m.decision_id);
          const name = ['', '', '', '', 'succeeded', 'failed', 'canceled', 'expired', 'preempted'][m.state] ?? 'other';
          const key = `${KIND_NAMES[m.kind] ?? 'unknown'}:${name}`;
          rt.ended[key] = (rt.ended[key] ?? 0) + 1;
          if (TASK_KINDS.has(m.kind)) {
            if (m.state === DS.STATE_SUCCEEDED) rt.tasksOk++;
            else if (m.state === DS.STATE_FAILED || m.state === DS.STATE_EXPIRED) rt.tasksFailed++;
          }
        }
      },
      { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 50 },
    );
  }

  /** Applies a fault that belongs to this shard's robots (world faults, sensor corruption and link cuts). */
  async fault(f: TimedFault): Promise<void> {
    if (f.kind === 'link_down' || f.kind === 'link_up') {
      const rt = this.byId.get(f.robot);
      if (!rt) return;
      if (f.kind === 'link_down') rt.proxy.cut();
      else rt.proxy.restore();
      return;
    }
    if (!('robot' in f)) return;
    const owner = this.byId.get(f.robot);
    if (!owner) return;
    const sf = owner.sensorFaults;
    if (f.kind === 'sensor_fault') {
      sf.add({
        sensor: f.sensor,
        mode: f.mode,
        ...(f.lidar !== undefined ? { lidar: f.lidar } : {}),
        ...(f.delay_s !== undefined ? { delayS: f.delay_s } : {}),
        ...(f.fraction !== undefined ? { fraction: f.fraction } : {}),
        ...(f.length !== undefined ? { length: f.length } : {}),
        ...(f.from_rad !== undefined ? { fromRad: f.from_rad, toRad: f.to_rad! } : {}),
        ...(f.range_m !== undefined ? { rangeM: f.range_m } : {}),
      });
      return;
    }
    if (f.kind === 'local_pause' || f.kind === 'local_resume') {
      const rt = this.byId.get(f.robot)!;
      if (f.input === 'button') {
        // a press and its release: the gate acts on the press (run before the release, which would
        // otherwise replace it in the keep_last(1) queue)
        rt.pubs.pauseButton.publish({ data: true });
        await this.graph.flush();
        rt.pubs.pauseButton.publish({ data: false });
      } else {
        const C = MESSAGE_CONSTANTS['kizuna_msgs/msg/LocalCommand'];
        rt.pubs.localCommand.publish({
          header: { stamp: stampFromSeconds(this.world.time), frame_id: '' },
          command: f.kind === 'local_pause' ? C.COMMAND_PAUSE : C.COMMAND_RESUME,
          source: f.input,
          reason: 'scenario',
        });
      }
      await this.graph.flush();
      return;
    }
    if (f.kind === 'odom_jump') {
      sf.jump(f.dx_m, f.dy_m, f.dyaw_rad);
      return;
    }
    if (f.kind === 'sensor_restore') sf.restore(f.sensor, f.lidar);
    if (f.kind === 'sensor_dropout' && (f.lidar !== undefined || f.sensor === 'people')) {
      sf.add({ sensor: f.sensor, mode: 'drop', ...(f.lidar !== undefined ? { lidar: f.lidar } : {}) });
      return;
    }
    applyWorldFault(this.world, f);
    if (f.kind === 'estop_press' || f.kind === 'estop_release') {
      const rt = this.byId.get(f.robot)!;
      if (f.kind === 'estop_release') rt.resetAt = this.world.time + RESET_DELAY_S;
      // An e-stop input reports every change at once (besides its periodic report), as a safety
      // relay's driver does: a press shorter than a world step, or than the report period, is still
      // seen by the gate. The graph runs it before anything else happens (a release right after it
      // must not overwrite it in the keep_last(1) queue). A dropped-out e-stop reports nothing.
      if (this.world.sensorEnabled(f.robot, 'estop')) {
        this.publishVia(rt, 'estop', TOPICS.estop, estopMessage(this.world.estop(f.robot)), this.world.time);
        await this.graph.flush();
      }
    }
  }

  /** Cuts (false) or restores (true) one robot's link; used by the planner's retained-decision attack. */
  setLink(robotId: string, up: boolean): boolean {
    const rt = this.byId.get(robotId);
    if (!rt) return false;
    if (up) rt.proxy.restore();
    else rt.proxy.cut();
    return true;
  }

  /** Steps the World until sim time `untilS`, running the nodes after every step. */
  async step(untilS: number): Promise<ShardProgress> {
    const dt = this.world.options.dtS;
    while (this.world.time + dt / 2 <= untilS) {
      const rep = this.world.step();
      const t = rep.t;
      this.clockPub.publish(clockMessage(t));
      await this.runTriggers(t);
      for (const r of rep.readings) this.publishReadings(r, t);
      this.publishBumpers(rep.collisions);
      for (const rt of this.robots) {
        if (!rt.sensorFaults.any) continue;
        for (const d of rt.sensorFaults.due(t)) this.publisherFor(rt, d.topic)?.publish(d.msg as never);
      }
      if (t + 1e-9 >= this.nextStatusT) {
        // cloud_bridge publishes BridgeStatus on a wall-clock timer (1 Hz); when sim time runs faster
        // than the wall clock, nodes on sim time would see it seldom and take the link for down. So
        // the runner also has each bridge publish it once per sim second (its own publishStatus()).
        this.nextStatusT += 1;
        for (const rt of this.robots) rt.stack.bridge.publishStatus();
      }
      for (const rt of this.robots) {
        if (rt.resetAt !== undefined && t + 1e-9 >= rt.resetAt) {
          rt.resetAt = undefined;
          rt.pubs.estopReset.publish({});
        }
      }
      const snaps = this.world.snapshot();
      for (const sn of snaps) this.byId.get(sn.robotId)?.pause.onPose(t, sn.pose.x, sn.pose.y);
      this.tap.frame(
        t,
        () => snaps.map((sn) => ({ id: sn.robotId, x: sn.pose.x, y: sn.pose.y, yaw: sn.pose.yaw })),
        () => this.world.peopleCircles().map((c) => ({ x: c.x, y: c.y, r: c.r })),
      );
      if (t + 1e-9 >= this.nextPeopleT) {
        this.nextPeopleT += 1 / PEOPLE_HZ;
        this.publishPeople(snaps, t);
      }
      if (t + 1e-9 >= this.nextPathT) {
        this.nextPathT += this.pathPeriod;
        snaps.forEach((sn, i) => {
          const rt = this.robots[i]!;
          rt.path.push([round3(t), round3(sn.pose.x), round3(sn.pose.y), rt.safety]);
          if (TRACE && (TRACE === 'all' || TRACE.split(',').includes(rt.id)))
            process.stderr.write(
              `trace ${t.toFixed(2)} ${rt.id} (${sn.pose.x.toFixed(2)},${sn.pose.y.toFixed(2)},${sn.pose.yaw.toFixed(2)}) ` +
                `v=${sn.twist.linear.toFixed(2)} w=${sn.twist.angular.toFixed(2)} s=${rt.safety} ${rt.traceNav ?? ''} ${rt.traceCmd ?? ''} ${rt.safetyLimit ?? ''} ${rt.safetyDetail ?? ''}\n`,
            );
        });
        const circles = this.world.peopleCircles();
        this.people.forEach((p, i) => p.path.push([round3(circles[i]!.x), round3(circles[i]!.y)]));
      }
      await this.graph.flush();
      for (const rt of this.robots) this.trackLink(rt, t);
    }
    return this.progress();
  }

  /** Each robot's contact sensor: true on the step a collision begins, false on the step after. */
  private publishBumpers(collisions: readonly CollisionRecord[]): void {
    const hit = new Set(collisions.map((c) => c.robotId));
    for (const rt of this.robots) {
      if (hit.has(rt.id)) rt.pubs.bumper.publish({ data: true });
      else if (rt.bumped) rt.pubs.bumper.publish({ data: false });
      rt.bumped = hit.has(rt.id);
    }
  }

  private trackLink(rt: RobotRuntime, t: number): void {
    const up = rt.stack.bridge.link.connected;
    if (up === rt.connected) return;
    rt.connected = up;
    if (up) rt.brokerIndex = rt.proxy.indexOf(rt.stack.bridge.link.url);
    if (up && rt.downSince !== undefined) {
      const d = t - rt.downSince;
      // The first connection at start-up is not an outage, unless it took longer than the grace.
      if (rt.downSince > 0 || rt.stack.bridge.link.connects > 1 || d > STARTUP_GRACE_S) {
        rt.linkDownS += d;
        rt.longestOutageS = Math.max(rt.longestOutageS, d);
      }
      rt.downSince = undefined;
    } else if (!up) rt.downSince = t;
  }

  /** Position triggers that hold now fire (once); expanded faults due now apply, later ones wait. */
  private async runTriggers(t: number): Promise<void> {
    if (this.triggers.length === 0 && this.later.length === 0) return;
    const due = this.later.filter((f) => f.at_s <= t + 1e-9);
    this.later = this.later.filter((f) => f.at_s > t + 1e-9);
    for (const tr of this.triggers) {
      if (tr.fired) continue;
      const w = tr.fault.when!;
      const pose = this.world.snapshotOf(w.robot)!.pose;
      if (!triggerHolds(w, pose.x, pose.y)) continue;
      tr.fired = true;
      for (const f of expandFault(tr.fault, t)) {
        const mine = 'robot' in f && this.byId.has(f.robot) && f.kind !== 'inject_decision';
        if (!mine) this.fired.push(f);
        else if (f.at_s <= t + 1e-9) due.push(f);
        else this.later.push(f);
      }
    }
    for (const f of due) await this.fault(f);
  }

  /** The publisher of `topic` (relative name) for robot `rt`. */
  private publisherFor(rt: RobotRuntime, topic: string): Publisher<never> | undefined {
    const p = rt.pubs;
    const byName: Record<string, unknown> = {
      [TOPICS.odom]: p.odom,
      [TOPICS.imu]: p.imu,
      [TOPICS.battery]: p.battery,
      [TOPICS.estop]: p.estop,
      [TOPICS.people]: p.people,
    };
    return (p.scans.get(topic) ?? byName[topic]) as Publisher<never> | undefined;
  }

  /** Publishes `msg` of `sensor` on `topic` through the robot's sensor faults (dropped, delayed, corrupted). */
  private publishVia(rt: RobotRuntime, sensor: FaultSensor, topic: string, msg: unknown, t: number): void {
    const out = rt.sensorFaults.any ? rt.sensorFaults.pass(sensor, topic, msg as never, t) : msg;
    if (out !== undefined) this.publisherFor(rt, topic)?.publish(out as never);
  }

  private publishReadings(r: { robotId: string } & Parameters<SimShard['publishOne']>[1], t: number): void {
    const rt = this.byId.get(r.robotId);
    if (rt) this.publishOne(rt, r, t);
  }

  private publishOne(
    rt: RobotRuntime,
    r: {
      scans?: Array<{ topic: string; frame: string; scan: Parameters<typeof laserScanMessage>[0] }>;
      odom?: Parameters<typeof odometryMessage>[0];
      imu?: Parameters<typeof imuMessage>[0];
      battery?: Parameters<typeof batteryStateMessage>[0];
      estop?: boolean;
    },
    t: number,
  ): void {
    for (const s of r.scans ?? []) this.publishVia(rt, 'scan', s.topic, laserScanMessage(s.scan, s.frame), t);
    if (r.odom) {
      // The odom frame is placed at the map origin (map → odom is the identity at start), so the
      // executive's built-in controller and the state sent to the cloud are in map coordinates;
      // odometry still drifts as the World's odometry noise says (and jumps as odom_jump faults say).
      const j = rt.sensorFaults.odomJump;
      let pose = composePose(rt.start, r.odom.pose);
      if (j.x !== 0 || j.y !== 0 || j.yaw !== 0) pose = { x: pose.x + j.x, y: pose.y + j.y, yaw: pose.yaw + j.yaw };
      this.publishVia(rt, 'odom', TOPICS.odom, odometryMessage({ ...r.odom, pose }, this.frames), t);
    }
    if (r.imu) {
      const msg = imuMessage(r.imu, this.frames, rt.gyroStd, rt.accelStd, this.world.options.dtS);
      this.publishVia(rt, 'imu', TOPICS.imu, msg, t);
    }
    if (r.battery) this.publishVia(rt, 'battery', TOPICS.battery, batteryStateMessage(r.battery, this.frames), t);
    // At the robot's own estop_rate_hz, and not at all while its e-stop input is dropped out.
    if (r.estop !== undefined) this.publishVia(rt, 'estop', TOPICS.estop, estopMessage(r.estop), t);
  }

  private publishPeople(snaps: ReturnType<World['snapshot']>, t: number): void {
    const circles = this.world.peopleCircles();
    snaps.forEach((sn, i) => {
      const rt = this.robots[i]!;
      const c = Math.cos(sn.pose.yaw);
      const s = Math.sin(sn.pose.yaw);
      const poses: MessageOf<'geometry_msgs/msg/PoseArray'>['poses'] = [];
      for (const p of circles) {
        const dx = p.x - sn.pose.x;
        const dy = p.y - sn.pose.y;
        if (dx * dx + dy * dy > PEOPLE_RANGE_M * PEOPLE_RANGE_M) continue;
        poses.push({
          position: { x: c * dx + s * dy, y: -s * dx + c * dy, z: 0 },
          orientation: { x: 0, y: 0, z: 0, w: 1 },
        });
      }
      const msg = { header: { stamp: stampFromSeconds(t), frame_id: this.frames.base }, poses };
      this.publishVia(rt, 'people', TOPICS.people, msg, t);
    });
  }

  /** Totals for the progress line. */
  progress(): ShardProgress {
    let tasksOk = 0;
    let tasksFailed = 0;
    let accepted = 0;
    let rejected = 0;
    let stops = 0;
    let linksUp = 0;
    let linkError = '';
    for (const rt of this.robots) {
      const link = rt.stack.bridge.link;
      if (!link.connected && link.lastError && (!linkError || link.lastRefusal)) linkError = link.lastError;
      tasksOk += rt.tasksOk;
      tasksFailed += rt.tasksFailed;
      accepted += rt.accepted;
      rejected += Object.values(rt.rejectedByExecutive).reduce((a, b) => a + b, 0);
      rejected += Number(rt.bridgeStatus?.rejected_count ?? 0n);
      stops += rt.stops.length;
      if (rt.stack.bridge.link.connected) linksUp++;
    }
    return {
      t: this.world.time,
      tasksOk,
      tasksFailed,
      accepted,
      rejected,
      stops,
      linksUp,
      linkError,
      robots: this.robots.length,
      collisions: this.world.collisions.length,
      fired: this.fired.splice(0),
      said: this.said.splice(0),
      ...(this.tap.on || this.tap.pending ? { tap: this.tap.take() } : {}),
    };
  }

  /** Each robot's requests, decisions received and link, for the runner's network sync (sync.ts). */
  flow(): RobotFlow[] {
    return this.robots.map((rt) => ({
      id: rt.id,
      requests: rt.requests,
      decisionsIn: rt.stack.bridge.decisionsReceived,
      connected: rt.stack.bridge.link.connected,
      linkUp: rt.proxy.up,
    }));
  }

  /** Outbox messages not yet acknowledged, summed over this shard's robots. */
  pending(): { outbox: number; connected: number } {
    let outbox = 0;
    let connected = 0;
    for (const rt of this.robots) {
      outbox += rt.stack.bridge.outboxDepth;
      if (rt.stack.bridge.link.connected) connected++;
    }
    return { outbox, connected };
  }

  /**
   * After the last step: each bridge publishes a fresh BridgeStatus and the graph runs what that and
   * anything still queued cause (events included), so the outboxes hold everything before the drain.
   */
  async settle(): Promise<void> {
    for (const rt of this.robots) rt.stack.bridge.publishStatus();
    await this.graph.flush();
    // A capture still recording ends with the run: its file keeps what was recorded.
    await Promise.all(this.robots.map((rt) => rt.stack.blackBox.flush()));
  }

  /** Everything this shard measured (call settle() and let the outboxes drain first). */
  report(): ShardReport {
    const metrics = new Map(this.world.metrics().map((m) => [m.robotId, m]));
    const snaps = new Map(this.world.snapshot().map((s) => [s.robotId, s]));
    const t = this.world.time;
    return {
      robots: this.robots.map((rt): RobotResult => {
        const m = metrics.get(rt.id)!;
        const b = rt.stack.bridge;
        const st = rt.bridgeStatus;
        const rejectedByReason: Record<string, number> = {};
        st?.reject_reasons.forEach((reason, i) => (rejectedByReason[reason] = Number(st.reject_counts[i] ?? 0n)));
        // Still down at the end: an outage since it went down; a link that never came up, the whole run.
        const openDown =
          rt.downSince !== undefined && (rt.downSince > 0 || b.link.connects > 0 || t - rt.downSince > STARTUP_GRACE_S)
            ? t - rt.downSince
            : 0;
        const refusal = b.link.lastRefusal;
        return {
          robotId: rt.id,
          profile: rt.profile,
          distanceM: round3(m.distanceM),
          collisions: m.collisions,
          minClearanceM: round3(m.minClearanceM),
          minClearanceAtS: round3(m.minClearanceAtS),
          invalidCommands: m.invalidCommands,
          robotCausedContacts: m.robotCausedContacts,
          minClearanceByKindM: {
            wall: round3(m.minClearanceByKindM.wall),
            obstacle: round3(m.minClearanceByKindM.obstacle),
            person: round3(m.minClearanceByKindM.person),
            robot: round3(m.minClearanceByKindM.robot),
          },
          speedNearPeopleMps: {
            within1m: round3(m.speedNearPeopleMps.within1m),
            within2m: round3(m.speedNearPeopleMps.within2m),
          },
          path: rt.path,
          stops: rt.stops,
          accepted: rt.accepted,
          acceptedIds: rt.acceptedIds,
          rejectedByExecutive: rt.rejectedByExecutive,
          ended: rt.ended,
          tasksOk: rt.tasksOk,
          tasksFailed: rt.tasksFailed,
          localPause: { ...rt.pause.result(t), refused: rt.rejectedByExecutive.LOCAL_PAUSE ?? 0 },
          announcements: rt.announcements,
          blackBox: {
            incidents: rt.stack.blackBox.incidents.map((i) => {
              const file = rt.stack.blackBox.written.find((w) =>
                w.incidents.some((x) => x.kind === i.kind && x.tNs === i.tNs),
              )?.path;
              return {
                t: round3(Number(i.tNs) / 1e9),
                kind: i.kind,
                detail: i.detail.slice(0, 200),
                outcome: i.outcome,
                ...(file ? { file } : {}),
              };
            }),
            files: rt.stack.blackBox.written.map((w) => ({
              id: w.id,
              path: w.path,
              kinds: w.incidents.map((i) => i.kind),
              messages: w.messages,
            })),
          },
          bridge: {
            connected: b.link.connected,
            lastEventSeq: 'store' in b ? b.store.lastSeq : 0,
            outboxDepth: b.outboxDepth,
            outboxDropped: Number(st?.outbox_dropped_count ?? 0n),
            rejectedByReason,
            reconnects: st?.reconnect_count ?? 0,
            forwarded: Number(st?.forwarded_count ?? 0n),
            lastError: b.link.lastError,
            ...(refusal ? { refusal: { code: refusal.code, reason: refusal.reason } } : {}),
            everConnected: b.link.connects > 0,
            brokerIndex: rt.brokerIndex,
            ...('vdaCounts' in b ? { vda5050: b.vdaCounts } : {}),
          },
          linkDownS: round3(rt.linkDownS + openDown),
          longestLinkOutageS: round3(Math.max(rt.longestOutageS, openDown)),
          bytesUp: rt.proxy.bytesUp,
          bytesDown: rt.proxy.bytesDown,
          finalBattery: round3(snaps.get(rt.id)!.batteryPercentage),
        };
      }),
      collisions: [...this.world.collisions],
      people: this.people,
    };
  }

  /** [bytes] through every proxy of this shard. */
  bytes(): number {
    return this.robots.reduce((a, rt) => a + rt.proxy.bytesUp + rt.proxy.bytesDown, 0);
  }

  /**
   * Stops the bridges (clean shutdown status), the graph and the proxies. Returns what each proxy carried
   * in all, once the bridge's connection through it closed.
   */
  async close(): Promise<LinkBytes[]> {
    await Promise.all(this.robots.map((rt) => rt.stack.bridge.stop().catch(() => undefined)));
    await Promise.all(this.robots.map((rt) => rt.proxy.idle(2000)));
    const bytes = this.robots.map((rt) => ({
      robotId: rt.id,
      bytesUp: rt.proxy.bytesUp,
      bytesDown: rt.proxy.bytesDown,
    }));
    await this.graph.shutdown();
    await Promise.all(this.robots.map((rt) => rt.proxy.close()));
    return bytes;
  }
}

function abs(ns: string, topic: string): string {
  return topic.startsWith('/') ? topic : `${ns}/${topic}`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The part of a tiled fleet (`--robots N`, scale.ts) that this shard's robots live in: walls,
 * obstacles, stations and people of their tiles only, so a shard's World does not carry every other
 * building. An untiled scenario is all tile 0 and is returned whole.
 */
export function ownTiles(s: Scenario, robotIds: readonly string[]): Scenario {
  const tiles = new Set(robotIds.map(tileOfRobot));
  const keep = (name: string): boolean => tiles.has(tileOfStation(name));
  return {
    ...s,
    world: {
      ...s.world,
      walls: s.world.walls.filter((w) => keep(w.id)),
      obstacles: s.world.obstacles.filter((o) => keep(o.id)),
      stations: s.world.stations.filter((st) => keep(st.name)),
    },
    people: s.people.filter((p) => keep(p.id)),
  };
}
