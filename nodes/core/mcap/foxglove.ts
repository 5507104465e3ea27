/**
 * Foxglove's own message schemas as ROS 2 messages (`foxglove_msgs/msg/SceneUpdate`, `foxglove_msgs/msg/Log`):
 * the `ros2msg` schema text that @foxglove/schemas generates for them (the .msg files of the foxglove_msgs
 * package, every type it uses in rosbag2's `MSG:` sections) and their CDR encoding through
 * @foxglove/rosmsg2-serialization. A recording whose channels are all `ros2msg` + CDR is a rosbag2 for
 * every ROS 2 tool (rosbags' bag reader refuses any other schema encoding), and Foxglove's 3D and log
 * panels read these types as they read foxglove.SceneUpdate and foxglove.Log. Compiled once per type.
 */
import { parse } from '@foxglove/rosmsg';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { foxgloveMessageSchemas, generateRosMsgMergedSchema } from '@foxglove/schemas/internal';
import { KizunaError } from '../errors';
import type { Ros2Type } from './ros2';

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
  const writer = new MessageWriter(defs);
  t = {
    name,
    schemaText,
    reader: new MessageReader(defs),
    encode: (msg) => {
      try {
        return writer.writeMessage(msg);
      } catch (err) {
        throw new KizunaError('KZ_ERR_MSG_INVALID', `cannot encode ${name} as CDR: ${(err as Error).message}`, {
          entity: name,
          cause: err,
        });
      }
    },
  };
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
