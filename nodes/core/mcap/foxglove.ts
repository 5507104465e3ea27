/**
 * Foxglove's own message schemas as ROS 2 messages (`foxglove_msgs/msg/SceneUpdate`, `foxglove_msgs/msg/Log`):
 * the `ros2msg` schema text that @foxglove/schemas generates for them (the .msg files of the foxglove_msgs
 * package, every type it uses in rosbag2's `MSG:` sections) and their CDR encoding through
 * @foxglove/rosmsg2-serialization. A recording whose channels are all `ros2msg` + CDR is a rosbag2 for
 * every ROS 2 tool (rosbags' bag reader refuses any other schema encoding), and Foxglove's 3D and log
 * panels read these types as they read foxglove.SceneUpdate and foxglove.Log. Compiled once per type.
 */
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { foxgloveMessageSchemas, generateRosMsgMergedSchema } from '@foxglove/schemas/internal';
import { cdrEncoder, type Ros2Type } from './ros2';

/** The foxglove schemas kizuna records, by their ROS 2 name. */
const SCHEMAS = {
  'foxglove_msgs/msg/SceneUpdate': foxgloveMessageSchemas.SceneUpdate,
  'foxglove_msgs/msg/Log': foxgloveMessageSchemas.Log,
} as const;

export type FoxgloveRos2Name = keyof typeof SCHEMAS;

const compiled = new Map<FoxgloveRos2Name, Ros2Type & { reader: MessageReader }>();

function compile(name: FoxgloveRos2Name): Ros2Type & { reader: MessageReader } {
  let t = compiled.get(name);
  if (t) return t;
  const schemaText = generateRosMsgMergedSchema(SCHEMAS[name], { rosVersion: 2 });
  const defs = parse(schemaText, { ros2: true });
  t = { name, schemaText, reader: new MessageReader(defs), encode: cdrEncoder(name, defs) };
  compiled.set(name, t);
  return t;
}

/** The compiled foxglove_msgs type `name`: its `ros2msg` schema text and CDR writer (times as `{sec, nanosec}`). */
export function foxgloveRos2Type(name: FoxgloveRos2Name): Ros2Type {
  return compile(name);
}

/** A reader of the foxglove_msgs type `name` (for tests and tools reading recordings back). */
export function foxgloveRos2Reader(name: FoxgloveRos2Name): MessageReader {
  return compile(name).reader;
}
