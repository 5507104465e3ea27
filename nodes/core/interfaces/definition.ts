/**
 * Shape of a parsed ROS 2 interface definition as kizuna keeps it at run time.
 * The generator (scripts/gen-msgs.ts) writes these from .msg/.srv/.action files;
 * the in-process graph validates every message against them.
 */

/** A primitive type name as written in a .msg file (ROS 2 IDL mapping). */
export type PrimitiveType =
  | 'bool'
  | 'byte'
  | 'char'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'string'
  | 'wstring';

/**
 * The typed array that holds a numeric array field, as rclnodejs delivers and accepts them (64-bit
 * integers have none: they are bigint arrays). Used by the run-time checkers and the type generator.
 */
export const TYPED_ARRAY_OF: Readonly<Partial<Record<PrimitiveType, string>>> = {
  byte: 'Uint8Array',
  uint8: 'Uint8Array',
  char: 'Int8Array',
  int8: 'Int8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  float32: 'Float32Array',
  float64: 'Float64Array',
};

/** One field of a message. */
export interface FieldDef {
  name: string;
  /** A primitive type, or a full message type name such as `std_msgs/msg/Header`. */
  type: string;
  /** True when `type` names another message. */
  isComplex: boolean;
  isArray: boolean;
  /** Fixed array length, for `T[N]`. */
  arrayLength?: number;
  /** Upper bound of a bounded sequence, for `T[<=N]`. */
  arrayUpperBound?: number;
  /** Upper bound of a bounded string, for `string<=N`. */
  stringUpperBound?: number;
  /** Default value written in the .msg file (`float32 x 1.0`), if any. */
  defaultValue?: boolean | number | bigint | string | boolean[] | number[] | bigint[] | string[];
}

/** A constant of a message (`uint8 KIND_STOP=4`). */
export interface ConstantDef {
  name: string;
  type: PrimitiveType;
  value: boolean | number | bigint | string;
}

/** A message type: `pkg/msg/Name`, or the request/response/goal/... parts of a srv/action. */
export interface MsgDef {
  /** Full name, e.g. `sensor_msgs/msg/LaserScan` or `std_srvs/srv/Trigger_Request`. */
  name: string;
  fields: FieldDef[];
  constants: ConstantDef[];
}

/** A service type: `pkg/srv/Name`, with its two message parts. */
export interface SrvDef {
  name: string;
  /** Message type name of the request, `pkg/srv/Name_Request`. */
  request: string;
  /** Message type name of the response, `pkg/srv/Name_Response`. */
  response: string;
}

/** An action type: `pkg/action/Name`, with its three message parts. */
export interface ActionDef {
  name: string;
  /** `pkg/action/Name_Goal` */
  goal: string;
  /** `pkg/action/Name_Result` */
  result: string;
  /** `pkg/action/Name_Feedback` */
  feedback: string;
}
