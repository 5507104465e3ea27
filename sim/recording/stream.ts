/**
 * A sim run as a stream of channels and messages, the same for the MCAP recording and the Foxglove
 * live view: the robots' ROS 2 topics as the shards tapped them (CDR, `ros2msg` schemas), and what the
 * runner adds from ground truth — `/clock`, `/tf`, each robot's `pose`, travelled `path` and safety
 * zones — plus the site (walls, obstacles, stations, people) as foxglove_msgs/msg/SceneUpdate and the log
 * lines as foxglove_msgs/msg/Log: Foxglove's own schemas as ROS 2 messages (nodes/core/mcap/foxglove.ts), so
 * every channel is `ros2msg` + CDR and the recording is a rosbag2 for ROS tools too.
 */
import type { MessageOf, MessageTypeName } from '../../nodes/core/interfaces';
import type { McapSchema } from '../../nodes/core/mcap/writer';
import { ros2Type } from '../../nodes/core/mcap/ros2';
import { foxgloveRos2Type, type FoxgloveRos2Name } from '../../nodes/core/mcap/foxglove';
import { overridesForNode } from '../../nodes/core/graph/ros-args';
import { profileBlocks } from '../fleet/robot-stack';
import type { Footprint } from '../geometry';
import { scenarioWorld, type Scenario } from '../scenario';
import { recordedFrame, robotTopics, type TapBatch, type TapFrame, type TapLog } from './tap';

/** A channel of the stream. */
export interface StreamChannel {
  topic: string;
  schema: McapSchema;
}

/** A message of the stream: index into `channels`, time [ns], payload. */
export interface StreamMessage {
  channel: number;
  timeNs: bigint;
  data: Uint8Array;
}

/** Topics of the whole site (not per robot). */
export const SITE_TOPICS = { clock: '/clock', tf: '/tf', scene: '/kizuna/scene', log: '/kizuna/log' } as const;

/** [s] how often the site, the zones and the travelled paths are sent again (late joiners, seeking). */
const SLOW_PERIOD_S = 1;
/** [s] of travelled path kept in `/<robot>/path`. */
const PATH_KEEP_S = 120;

function ros2Schema(type: MessageTypeName | 'tf2_msgs/msg/TFMessage'): McapSchema {
  return { name: type, encoding: 'ros2msg', text: ros2Type(type).schemaText };
}

function foxgloveSchema(type: FoxgloveRos2Name): McapSchema {
  return { name: type, encoding: 'ros2msg', text: foxgloveRos2Type(type).schemaText };
}

const SCENE_TYPE = 'foxglove_msgs/msg/SceneUpdate';
const LOG_TYPE = 'foxglove_msgs/msg/Log';
const SCENE = foxgloveSchema(SCENE_TYPE);
const LOG = foxgloveSchema(LOG_TYPE);
const sceneType = foxgloveRos2Type(SCENE_TYPE);
const logType = foxgloveRos2Type(LOG_TYPE);

/** builtin_interfaces/Time of `t` [s]. */
const stamp = (t: number): { sec: number; nanosec: number } => {
  const sec = Math.floor(t + 1e-9);
  return { sec, nanosec: Math.max(0, Math.min(999_999_999, Math.round((t - sec) * 1e9))) };
};
const rosStamp = stamp;
const ns = (t: number): bigint => BigInt(Math.round(t * 1e9));
const quat = (yaw: number): { x: number; y: number; z: number; w: number } => ({
  x: 0,
  y: 0,
  z: Math.sin(yaw / 2),
  w: Math.cos(yaw / 2),
});
const pose3 = (x: number, y: number, yaw: number, z = 0) => ({ position: { x, y, z }, orientation: quat(yaw) });
type Rgba = { r: number; g: number; b: number; a: number };

/** An empty foxglove_msgs/SceneEntity with every array the schema names. */
function entity(t: number, frame: string, id: string): Record<string, unknown> {
  return {
    timestamp: stamp(t),
    frame_id: frame,
    id,
    lifetime: { sec: 0, nanosec: 0 },
    frame_locked: true,
    metadata: [],
    arrows: [],
    cubes: [],
    spheres: [],
    cylinders: [],
    lines: [],
    triangles: [],
    texts: [],
    models: [],
  };
}

function line(points: ReadonlyArray<readonly [number, number]>, color: Rgba, thickness: number, closed: boolean) {
  return {
    type: closed ? 1 : 0, // LINE_LOOP : LINE_STRIP
    pose: pose3(0, 0, 0),
    thickness,
    scale_invariant: false,
    points: points.map(([x, y]) => ({ x, y, z: 0 })),
    color,
    colors: [],
    indices: [],
  };
}

/** A rectangle around the footprint grown by `margin` [m] (the gate's zones), as a closed outline. */
function grown(fp: Footprint, margin: number): Array<[number, number]> {
  if (fp.kind === 'circle') {
    const r = fp.radius + margin;
    return Array.from({ length: 24 }, (_, i): [number, number] => [
      r * Math.cos((i * Math.PI) / 12),
      r * Math.sin((i * Math.PI) / 12),
    ]);
  }
  const xs = fp.points.map((p) => p.x);
  const ys = fp.points.map((p) => p.y);
  const [x0, x1, y0, y1] = [
    Math.min(...xs) - margin,
    Math.max(...xs) + margin,
    Math.min(...ys) - margin,
    Math.max(...ys) + margin,
  ];
  return [
    [x1, y1],
    [x0, y1],
    [x0, y0],
    [x1, y0],
  ];
}

interface RobotInfo {
  id: string;
  footprint: Footprint;
  lidars: Array<{ frame: string; x: number; y: number; yaw: number }>;
  stopMarginM: number | undefined;
  slowdownMarginM: number | undefined;
  path: Array<[number, number, number]>;
  poseCh: number;
  pathCh: number;
  zonesCh: number;
}

/** The channels of a run and the conversion of the shards' batches into messages on them. */
export class SimStream {
  readonly channels: StreamChannel[] = [];
  private readonly index = new Map<string, number>();
  private readonly robots: RobotInfo[] = [];
  private readonly byId = new Map<string, RobotInfo>();
  private nextSlowT = 0;

  constructor(private readonly scenario: Scenario) {
    const add = (topic: string, schema: McapSchema): number => {
      this.channels.push({ topic, schema });
      this.index.set(topic, this.channels.length - 1);
      return this.channels.length - 1;
    };
    add(SITE_TOPICS.clock, ros2Schema('rosgraph_msgs/msg/Clock'));
    add(SITE_TOPICS.tf, ros2Schema('tf2_msgs/msg/TFMessage'));
    add(SITE_TOPICS.scene, SCENE);
    add(SITE_TOPICS.log, LOG);
    for (const r of scenarioWorld(scenario).robots) {
      for (const x of robotTopics(
        r.id,
        r.lidars.map((l) => l.topic),
      ))
        add(x.topic, ros2Schema(x.type));
      const profile = scenario.robots.find((sr) => sr.id === r.id)!.profile;
      const gate = overridesForNode(profileBlocks(profile), { params: {}, nodeParams: {} }, 'safety_gate', '/');
      const info: RobotInfo = {
        id: r.id,
        footprint: r.footprint,
        lidars: r.lidars.map((l) => ({ frame: l.frame, x: l.mount.x, y: l.mount.y, yaw: l.mount.yaw })),
        stopMarginM: typeof gate.stop_margin_m === 'number' ? gate.stop_margin_m : undefined,
        slowdownMarginM: typeof gate.slowdown_margin_m === 'number' ? gate.slowdown_margin_m : undefined,
        path: [],
        poseCh: add(`/${r.id}/pose`, ros2Schema('geometry_msgs/msg/PoseStamped')),
        pathCh: add(`/${r.id}/path`, ros2Schema('nav_msgs/msg/Path')),
        zonesCh: add(`/${r.id}/safety_zones`, SCENE),
      };
      this.robots.push(info);
      this.byId.set(r.id, info);
    }
  }

  /** The channel index of `topic`. */
  channelOf(topic: string): number | undefined {
    return this.index.get(topic);
  }

  /** The messages of the shards' batches of one step, with what the runner derives, in time order. */
  convert(batches: readonly TapBatch[]): StreamMessage[] {
    const out: StreamMessage[] = [];
    for (const b of batches) {
      for (const m of b.messages) {
        const channel = this.index.get(m.topic);
        if (channel !== undefined) out.push({ channel, timeNs: ns(m.t), data: m.data });
      }
      for (const l of b.logs) out.push(this.log(l));
    }
    // Frames of the same instant from several shards make one frame of the site.
    const byT = new Map<number, TapFrame>();
    for (const b of batches)
      for (const f of b.frames) {
        const k = Math.round(f.t * 1e6);
        const had = byT.get(k);
        if (had) {
          had.robots.push(...f.robots);
          had.people.push(...f.people);
        } else byT.set(k, { t: f.t, robots: [...f.robots], people: [...f.people] });
      }
    for (const f of [...byT.values()].sort((a, b) => a.t - b.t)) out.push(...this.frame(f));
    // Stable: messages of one instant keep their order.
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }

  private log(l: TapLog): StreamMessage {
    const level = l.level === 'error' ? 4 : l.level === 'warning' ? 3 : 2;
    return {
      channel: this.index.get(SITE_TOPICS.log)!,
      timeNs: ns(l.t),
      data: logType.encode({ timestamp: stamp(l.t), level, message: l.text, name: l.robot, file: '', line: 0 }),
    };
  }

  private frame(f: TapFrame): StreamMessage[] {
    const t = f.t;
    const timeNs = ns(t);
    const out: StreamMessage[] = [];
    const ch = (topic: string): number => this.index.get(topic)!;
    out.push({
      channel: ch(SITE_TOPICS.clock),
      timeNs,
      data: ros2Type('rosgraph_msgs/msg/Clock').encode({ clock: rosStamp(t) }),
    });
    const transforms: Array<MessageOf<'geometry_msgs/msg/TransformStamped'>> = [];
    const tf = (parent: string, child: string, x: number, y: number, yaw: number): void => {
      transforms.push({
        header: { stamp: rosStamp(t), frame_id: parent },
        child_frame_id: child,
        transform: { translation: { x, y, z: 0 }, rotation: quat(yaw) },
      });
    };
    const slow = t + 1e-9 >= this.nextSlowT;
    if (slow) this.nextSlowT = t + SLOW_PERIOD_S - 1e-9;
    for (const r of f.robots) {
      const info = this.byId.get(r.id);
      if (!info) continue;
      // The sim's odom frame sits at the map origin (sim/README.md); odom → base_link here is ground truth.
      tf('map', recordedFrame(r.id, 'odom'), 0, 0, 0);
      tf(recordedFrame(r.id, 'odom'), recordedFrame(r.id, 'base_link'), r.x, r.y, r.yaw);
      tf(recordedFrame(r.id, 'base_link'), recordedFrame(r.id, 'imu_link'), 0, 0, 0);
      for (const l of info.lidars) tf(recordedFrame(r.id, 'base_link'), recordedFrame(r.id, l.frame), l.x, l.y, l.yaw);
      out.push({
        channel: info.poseCh,
        timeNs,
        data: ros2Type('geometry_msgs/msg/PoseStamped').encode({
          header: { stamp: rosStamp(t), frame_id: 'map' },
          pose: pose3(r.x, r.y, r.yaw),
        }),
      });
      const last = info.path[info.path.length - 1];
      if (!last || t - last[0] >= 0.5 - 1e-9) info.path.push([t, r.x, r.y]);
      while (info.path.length > 0 && t - info.path[0]![0] > PATH_KEEP_S) info.path.shift();
      if (slow) {
        out.push({
          channel: info.pathCh,
          timeNs,
          data: ros2Type('nav_msgs/msg/Path').encode({
            header: { stamp: rosStamp(t), frame_id: 'map' },
            poses: info.path.map(([pt, x, y]) => ({
              header: { stamp: rosStamp(pt), frame_id: 'map' },
              pose: pose3(x, y, 0),
            })),
          }),
        });
        out.push({ channel: info.zonesCh, timeNs, data: sceneType.encode(this.zones(info, t)) });
      }
    }
    out.push({ channel: ch(SITE_TOPICS.tf), timeNs, data: ros2Type('tf2_msgs/msg/TFMessage').encode({ transforms }) });
    out.push({ channel: ch(SITE_TOPICS.scene), timeNs, data: sceneType.encode(this.scene(f, slow)) });
    return out;
  }

  /** The robot's footprint, stop zone and slowdown zone in its base_link (they move with it through /tf). */
  private zones(r: RobotInfo, t: number): unknown {
    const e = entity(t, recordedFrame(r.id, 'base_link'), `${r.id}/zones`);
    const lines = [line(grown(r.footprint, 0), { r: 0.2, g: 0.4, b: 1, a: 1 }, 0.03, true)];
    if (r.stopMarginM !== undefined)
      lines.push(line(grown(r.footprint, r.stopMarginM), { r: 1, g: 0.1, b: 0.1, a: 0.9 }, 0.02, true));
    if (r.slowdownMarginM !== undefined)
      lines.push(line(grown(r.footprint, r.slowdownMarginM), { r: 1, g: 0.6, b: 0, a: 0.8 }, 0.02, true));
    e.lines = lines;
    e.texts = [
      {
        pose: pose3(0, 0, 0, 0.6),
        billboard: true,
        font_size: 14,
        scale_invariant: true,
        color: { r: 1, g: 1, b: 1, a: 1 },
        text: r.id,
      },
    ];
    return { deletions: [], entities: [e] };
  }

  /** People every frame; walls, obstacles (present now) and stations when `full`. */
  private scene(f: TapFrame, full: boolean): unknown {
    const t = f.t;
    const people = entity(t, 'map', 'people');
    people.frame_locked = false;
    people.cylinders = f.people.map((p) => ({
      pose: pose3(p.x, p.y, 0, 0.85),
      size: { x: 2 * p.r, y: 2 * p.r, z: 1.7 },
      bottom_scale: 1,
      top_scale: 1,
      color: { r: 0.6, g: 0.2, b: 0.8, a: 0.8 },
    }));
    const entities = [people];
    if (full) {
      const w = this.scenario.world;
      const site = entity(t, 'map', 'site');
      const obstacles = w.obstacles.filter((o) => (o.appear_s ?? 0) <= t && (o.vanish_s ?? Infinity) > t);
      site.lines = [
        ...w.walls.map((wl) => line(wl.points, { r: 0.9, g: 0.9, b: 0.9, a: 1 }, 0.05, wl.closed)),
        ...obstacles.map((o) => line(o.points, { r: 0.6, g: 0.6, b: 0.6, a: 1 }, 0.04, true)),
      ];
      site.cubes = w.stations.map((st) => ({
        pose: pose3(st.pose.x, st.pose.y, st.pose.yaw, 0.01),
        size: { x: 0.3, y: 0.3, z: 0.02 },
        color: st.kind === 'dock' ? { r: 0.1, g: 0.3, b: 1, a: 0.9 } : { r: 0.3, g: 0.6, b: 1, a: 0.5 },
      }));
      site.texts = w.stations.map((st) => ({
        pose: pose3(st.pose.x, st.pose.y, 0, 0.3),
        billboard: true,
        font_size: 12,
        scale_invariant: true,
        color: { r: 0.6, g: 0.8, b: 1, a: 1 },
        text: st.name,
      }));
      entities.push(site);
    }
    return { deletions: [], entities };
  }
}
