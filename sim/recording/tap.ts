/**
 * What a shard hands out of a run for recording and the live view: every message on the robots' ROS
 * topics that explain what they did, CDR-encoded as rosbag2 stores them; log lines for decisions,
 * their statuses, bridge rejections and safety state changes; and ground-truth frames (robot poses and
 * people) for the scene. A tap subscribes only while it is on (a run nobody records or watches pays
 * nothing), and its batches are plain data that cross from a worker thread.
 */
import type { Subscription, RosNode } from '../../nodes/core/graph/types';
import type { MessageOf, MessageTypeName } from '../../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { ros2Type } from '../../nodes/core/mcap/ros2';
import { TOPICS } from '../../nodes/core/topics';

/** One recorded message: the topic's absolute name, its type, sim time [s] and CDR bytes. */
export interface TapMessage {
  topic: string;
  type: MessageTypeName;
  t: number;
  data: Uint8Array;
}

/** A line for the log (foxglove_msgs/msg/Log): sim time [s], the robot, level and text. */
export interface TapLog {
  t: number;
  robot: string;
  level: 'info' | 'warning' | 'error';
  text: string;
}

/** Ground truth at one instant: robots in the map frame and people. */
export interface TapFrame {
  t: number;
  robots: Array<{ id: string; x: number; y: number; yaw: number }>;
  people: Array<{ x: number; y: number; r: number }>;
}

/** What a shard hands out after a step. */
export interface TapBatch {
  messages: TapMessage[];
  logs: TapLog[];
  frames: TapFrame[];
}

/** [s] period of the ground-truth frames (scene, /tf, /clock in recordings). */
export const TAP_FRAME_PERIOD_S = 0.1;

/** The topics recorded per robot (relative to its namespace), besides its lidars' scans. */
export const ROBOT_TOPICS: ReadonlyArray<{ topic: string; type: MessageTypeName }> = [
  { topic: TOPICS.odom, type: 'nav_msgs/msg/Odometry' },
  { topic: TOPICS.imu, type: 'sensor_msgs/msg/Imu' },
  { topic: TOPICS.battery, type: 'sensor_msgs/msg/BatteryState' },
  { topic: TOPICS.estop, type: 'std_msgs/msg/Bool' },
  { topic: TOPICS.people, type: 'geometry_msgs/msg/PoseArray' },
  { topic: TOPICS.cmdVelNav, type: 'geometry_msgs/msg/Twist' },
  { topic: TOPICS.cmdVel, type: 'geometry_msgs/msg/Twist' },
  { topic: TOPICS.safetyState, type: 'kizuna_msgs/msg/SafetyState' },
  { topic: TOPICS.worldSummary, type: 'kizuna_msgs/msg/WorldSummary' },
  { topic: TOPICS.decision, type: 'kizuna_msgs/msg/Decision' },
  { topic: TOPICS.decisionStatus, type: 'kizuna_msgs/msg/DecisionStatus' },
  { topic: TOPICS.decisionRequest, type: 'kizuna_msgs/msg/DecisionRequest' },
  { topic: TOPICS.speedLimit, type: 'std_msgs/msg/Float32' },
  { topic: TOPICS.health, type: 'kizuna_msgs/msg/HealthSummary' },
  { topic: TOPICS.bridgeStatus, type: 'kizuna_msgs/msg/BridgeStatus' },
];

/** Every topic recorded for a robot with these lidar topics, as absolute names with types. */
export function robotTopics(
  robotId: string,
  lidarTopics: readonly string[],
): Array<{ topic: string; type: MessageTypeName }> {
  return [
    ...lidarTopics.map((t) => ({ topic: t, type: 'sensor_msgs/msg/LaserScan' as MessageTypeName })),
    ...ROBOT_TOPICS,
  ].map((x) => ({ topic: `/${robotId}/${x.topic}`, type: x.type }));
}

/**
 * Frame ids in a recording carry the robot's name (`care1/laser`, `care1/base_link`), so that one 3D
 * view holds every robot; `map` is shared. The robots' own messages keep their unprefixed frames.
 */
export function recordedFrame(robotId: string, frame: string): string {
  return frame === '' || frame === 'map' || frame.startsWith(`${robotId}/`) ? frame : `${robotId}/${frame}`;
}

interface Headed {
  header?: { frame_id: string };
  child_frame_id?: string;
}

/** The message with its frame ids prefixed by the robot's name (a shallow copy when anything changes). */
function withRobotFrames(robotId: string, msg: unknown): unknown {
  const m = msg as Headed;
  if (m.header === undefined) return msg;
  const out: Headed = { ...m, header: { ...m.header, frame_id: recordedFrame(robotId, m.header.frame_id) } };
  if (typeof m.child_frame_id === 'string') out.child_frame_id = recordedFrame(robotId, m.child_frame_id);
  return out;
}

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const SAFETY = ['unknown', 'clear', 'approach', 'slowdown', 'stop', 'estop'];
const KINDS = ['unknown', 'navigate_to', 'dock', 'hold', 'stop', 'resume', 'set_speed_limit', 'perform_task'];
const STATUS = ['unknown', 'accepted', 'rejected', 'active', 'succeeded', 'failed', 'canceled', 'expired', 'preempted'];

/** The taps of one shard: subscriptions on the shard's driver node while on, and the batch filling up. */
export class ShardTap {
  private subs: Array<Subscription<MessageTypeName>> = [];
  private batch: TapBatch = { messages: [], logs: [], frames: [] };
  private nextFrameT = 0;
  private readonly safety = new Map<string, number>();
  private readonly rejected = new Map<string, bigint>();

  /**
   * @param node the shard's driver node
   * @param robots each robot's id and lidar topics (relative)
   * @param now [s] the shard's sim time
   */
  constructor(
    private readonly node: RosNode,
    private readonly robots: ReadonlyArray<{ id: string; lidarTopics: readonly string[] }>,
    private readonly now: () => number,
  ) {}

  get on(): boolean {
    return this.subs.length > 0;
  }

  /** Starts (true) or stops (false) tapping. */
  set(on: boolean): void {
    if (on === this.on) return;
    if (!on) {
      for (const s of this.subs) s.destroy();
      this.subs = [];
      return;
    }
    // best_effort matches reliable and best-effort publishers alike; the tap never holds anyone back.
    const qos = { reliability: 'best_effort', durability: 'volatile', history: 'keep_last', depth: 20 } as const;
    for (const r of this.robots) {
      for (const { topic, type } of robotTopics(r.id, r.lidarTopics)) {
        const codec = ros2Type(type);
        const sub = this.node.createSubscription(
          type,
          topic,
          (msg: unknown) => {
            const t = this.now();
            this.batch.messages.push({ topic, type, t, data: codec.encode(withRobotFrames(r.id, msg)) });
            this.explain(r.id, type, msg, t);
          },
          qos,
        );
        this.subs.push(sub as Subscription<MessageTypeName>);
      }
    }
  }

  /** A ground-truth frame at sim time t, at most every TAP_FRAME_PERIOD_S. */
  frame(t: number, robots: () => TapFrame['robots'], people: () => TapFrame['people']): void {
    if (!this.on || t + 1e-9 < this.nextFrameT) return;
    this.nextFrameT = t + TAP_FRAME_PERIOD_S - 1e-9;
    this.batch.frames.push({ t, robots: robots(), people: people() });
  }

  /** True when something was tapped and not yet taken (tapping may have stopped since). */
  get pending(): boolean {
    return this.batch.messages.length + this.batch.logs.length + this.batch.frames.length > 0;
  }

  /** What was tapped since the last call. */
  take(): TapBatch {
    const b = this.batch;
    this.batch = { messages: [], logs: [], frames: [] };
    return b;
  }

  /** Log lines for the messages that explain decisions and stops. */
  private explain(robot: string, type: MessageTypeName, msg: unknown, t: number): void {
    const log = (level: TapLog['level'], text: string): void => {
      this.batch.logs.push({ t, robot, level, text });
    };
    switch (type) {
      case 'kizuna_msgs/msg/Decision': {
        const d = msg as MessageOf<'kizuna_msgs/msg/Decision'>;
        log('info', `decision ${d.decision_id} ${KINDS[d.kind] ?? d.kind}`);
        return;
      }
      case 'kizuna_msgs/msg/DecisionStatus': {
        const s = msg as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
        const bad = s.state === DS.STATE_REJECTED || s.state === DS.STATE_FAILED || s.state === DS.STATE_EXPIRED;
        log(
          bad ? 'warning' : 'info',
          `decision ${s.decision_id} ${KINDS[s.kind] ?? s.kind} ${STATUS[s.state] ?? s.state}` +
            (s.reason_code ? ` ${s.reason_code}` : '') +
            (s.message ? `: ${s.message}` : ''),
        );
        return;
      }
      case 'kizuna_msgs/msg/SafetyState': {
        const s = msg as MessageOf<'kizuna_msgs/msg/SafetyState'>;
        const was = this.safety.get(robot);
        if (was === s.state) return;
        this.safety.set(robot, s.state);
        const level = s.state === SS.STATE_ESTOP ? 'error' : s.state === SS.STATE_STOP ? 'warning' : 'info';
        log(level, `safety ${SAFETY[s.state] ?? s.state}` + (s.detail ? `: ${s.detail}` : ''));
        return;
      }
      case 'kizuna_msgs/msg/BridgeStatus': {
        const b = msg as MessageOf<'kizuna_msgs/msg/BridgeStatus'>;
        const was = this.rejected.get(robot) ?? 0n;
        const now = BigInt(b.rejected_count);
        if (now <= was) return;
        this.rejected.set(robot, now);
        const why = b.reject_reasons.map((r, i) => `${r} ${b.reject_counts[i] ?? 0n}`).join(', ');
        log('warning', `bridge rejected ${now - was} decision(s); so far: ${why}`);
        return;
      }
      default:
        return;
    }
  }
}
