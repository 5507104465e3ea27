/**
 * ROS 2 messages as MCAP stores them: the `ros2msg` schema text of a type (the root .msg followed by
 * every type it uses, as rosbag2 writes it) and its CDR encoding, both from kizuna's generated
 * interface definitions through @foxglove/rosmsg (stringify) and @foxglove/rosmsg2-serialization.
 * Each type is compiled once into a schema and a writer; encoding a message then walks no description.
 */
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';
import { stringify } from '@foxglove/rosmsg';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { KizunaError } from '../errors';
import type { FieldDef, MsgDef } from '../interfaces/definition';
import { MESSAGES } from '../interfaces/definitions.generated';

/**
 * Types kizuna does not otherwise use but that a recording needs: `/tf` as tf2_msgs/TFMessage, so
 * that ROS tools and Foxglove's 3D panel read the transforms as they would on a robot.
 */
const EXTRA: Record<string, MsgDef> = {
  'tf2_msgs/msg/TFMessage': {
    name: 'tf2_msgs/msg/TFMessage',
    fields: [{ name: 'transforms', type: 'geometry_msgs/msg/TransformStamped', isComplex: true, isArray: true }],
    constants: [],
  },
};

/** The definition of a full type name (`pkg/msg/Type`), or KZ_ERR_UNKNOWN_TYPE. */
function definition(name: string): MsgDef {
  const def = MESSAGES[name] ?? EXTRA[name];
  if (def === undefined) throw new KizunaError('KZ_ERR_UNKNOWN_TYPE', `no ROS 2 message definition for ${name}`);
  return def;
}

/** `pkg/msg/Type` → `pkg/Type`, the spelling of .msg files and of rosbag2's `MSG:` sections. */
function short(name: string): string {
  return name.replace('/msg/', '/');
}

function field(f: FieldDef): MessageDefinitionField {
  const out: MessageDefinitionField = {
    name: f.name,
    type: f.isComplex ? short(f.type) : f.type,
    isComplex: f.isComplex,
    isArray: f.isArray,
  };
  if (f.arrayLength !== undefined) out.arrayLength = f.arrayLength;
  if (f.arrayUpperBound !== undefined) out.arrayUpperBound = f.arrayUpperBound;
  if (f.stringUpperBound !== undefined) out.upperBound = f.stringUpperBound;
  if (f.defaultValue !== undefined) out.defaultValue = f.defaultValue;
  return out;
}

/** The root type first, then every type it uses (each once), as @foxglove/rosmsg's parse returns them. */
function definitions(root: string): MessageDefinition[] {
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    order.push(name);
    for (const f of definition(name).fields) if (f.isComplex) visit(f.type);
  };
  visit(root);
  return order.map((name, i) => {
    const d = definition(name);
    const constants: MessageDefinitionField[] = d.constants.map((c) => ({
      name: c.name,
      type: c.type,
      isConstant: true,
      value: c.value,
      valueText: String(c.value),
    }));
    return { ...(i === 0 ? {} : { name: short(name) }), definitions: [...constants, ...d.fields.map(field)] };
  });
}

/** A compiled ROS 2 type: its MCAP schema and a CDR writer. */
export interface Ros2Type {
  /** Full name, `pkg/msg/Type` (the MCAP schema name, as rosbag2 writes it). */
  name: string;
  /** `ros2msg` schema text. */
  schemaText: string;
  /** The message as CDR (encapsulation header included), as rosbag2 stores it. */
  encode(msg: unknown): Uint8Array;
}

const compiled = new Map<string, Ros2Type>();

/** The compiled ROS 2 type `name` (`pkg/msg/Type`), built once per process. */
export function ros2Type(name: string): Ros2Type {
  let t = compiled.get(name);
  if (t) return t;
  const defs = definitions(name);
  t = { name, schemaText: stringify(defs), encode: cdrEncoder(name, defs) };
  compiled.set(name, t);
  return t;
}

/** The CDR writer of `name` from its parsed definitions; a message that does not fit is KZ_ERR_MSG_INVALID. */
export function cdrEncoder(name: string, defs: ConstructorParameters<typeof MessageWriter>[0]): Ros2Type['encode'] {
  const writer = new MessageWriter(defs);
  return (msg) => {
    try {
      return writer.writeMessage(msg);
    } catch (err) {
      throw new KizunaError('KZ_ERR_MSG_INVALID', `cannot encode ${name} as CDR: ${(err as Error).message}`, {
        entity: name,
        cause: err,
      });
    }
  };
}

/** A reader of type `name` (for tests and tools reading recordings back). */
export function ros2Reader(name: string): MessageReader {
  return new MessageReader(definitions(name));
}
