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
