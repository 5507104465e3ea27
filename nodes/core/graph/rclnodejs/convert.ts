/**
 * Conversions between kizuna's graph vocabulary and rclnodejs 2.2.0's: QoS profiles, parameter types
 * and values, goal ids, and the command line handed to rcl. Pure functions; rclnodejs is passed in
 * (it is only ever loaded by graph.ts).
 */
import type * as rclnodejs from 'rclnodejs';
import type { QoSProfile } from '../qos';
import type { ParamDescriptor, ParamValue, RosParamType } from '../params';
import type { ActionTypeName, MessageTypeName, ServiceTypeName } from '../../interfaces';
import { codecFor } from '../../interfaces/validate';
import { KizunaError } from '../../errors';

/** The rclnodejs module object, as `require('rclnodejs')` returns it. */
export type Rclnodejs = typeof rclnodejs;

// Our type names that rclnodejs's interfaces.d.ts also declares. Assigning one of our names to these
// fails to compile unless every name we know is one rclnodejs knows, which keeps generated.ts and
// interfaces.d.ts in step; message data then checks against rclnodejs's own message shapes.
export type RclMessageType = MessageTypeName & rclnodejs.MessageTypeClassName;
export type RclServiceType = ServiceTypeName & rclnodejs.ServiceTypeClassName;
export type RclActionType = ActionTypeName & rclnodejs.ActionTypeClassName;

/** An rclnodejs QoS carrying exactly the policies of `profile` (deadline, lifespan, liveliness stay at rmw defaults). */
export function toRclQoS(rcl: Rclnodejs, profile: QoSProfile): rclnodejs.QoS {
  const { HistoryPolicy, ReliabilityPolicy, DurabilityPolicy } = rcl.QoS;
  return new rcl.QoS(
    profile.history === 'keep_all'
      ? HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_ALL
      : HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    profile.depth,
    profile.reliability === 'best_effort'
      ? ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT
      : ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
    profile.durability === 'transient_local'
      ? DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
      : DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

// rmw_qos_profile_t enum values as rcl reports them in graph queries (rmw/types.h); anything else
// (system default, unknown, best available) is not a concrete policy and cannot be matched.
const RMW_HISTORY: Record<number, QoSProfile['history']> = { 1: 'keep_last', 2: 'keep_all' };
const RMW_RELIABILITY: Record<number, QoSProfile['reliability']> = { 1: 'reliable', 2: 'best_effort' };
const RMW_DURABILITY: Record<number, QoSProfile['durability']> = { 1: 'transient_local', 2: 'volatile' };

/**
 * Our profile from the `qos_profile` object of a graph endpoint query, or undefined when reliability or
 * durability is not concrete. History and depth of a discovered endpoint are not on the wire (DDS
 * discovery carries no history), so rmw reports them as unknown; matching does not need them.
 */
export function fromRmwQoS(qos: unknown): QoSProfile | undefined {
  if (qos === null || typeof qos !== 'object') return undefined;
  const q = qos as Record<string, unknown>;
  const reliability = RMW_RELIABILITY[Number(q.reliability)];
  const durability = RMW_DURABILITY[Number(q.durability)];
  if (!reliability || !durability) return undefined;
  return {
    history: RMW_HISTORY[Number(q.history)] ?? 'keep_last',
    depth: Number(q.depth) || 0,
    reliability,
    durability,
  };
}

/**
 * A publisher's subscription count or a subscription's publisher count. rclnodejs 2.2.0's declarations
 * say method, its JavaScript says getter (lib/publisher.js `get subscriptionCount()`); accept both.
 */
export function endpointCount(entity: object, key: 'subscriptionCount' | 'publisherCount'): number {
  const v: unknown = (entity as Record<string, unknown>)[key];
  return Number(typeof v === 'function' ? (v as () => unknown).call(entity) : (v ?? 0));
}

/**
 * rcl_interfaces/msg/ParameterType values for our parameter types. rclnodejs declares ParameterType as
 * an ambient const enum, which isolatedModules forbids reading at run time; each entry is typed as its
 * enum member instead, so tsc still checks every number against rclnodejs's declaration.
 */
const PARAM_TYPES: {
  bool: rclnodejs.ParameterType.PARAMETER_BOOL;
  integer: rclnodejs.ParameterType.PARAMETER_INTEGER;
  double: rclnodejs.ParameterType.PARAMETER_DOUBLE;
  string: rclnodejs.ParameterType.PARAMETER_STRING;
  bool_array: rclnodejs.ParameterType.PARAMETER_BOOL_ARRAY;
  integer_array: rclnodejs.ParameterType.PARAMETER_INTEGER_ARRAY;
  double_array: rclnodejs.ParameterType.PARAMETER_DOUBLE_ARRAY;
  string_array: rclnodejs.ParameterType.PARAMETER_STRING_ARRAY;
} = { bool: 1, integer: 2, double: 3, string: 4, bool_array: 6, integer_array: 7, double_array: 8, string_array: 9 };

/** The rclnodejs ParameterType of one of our parameter types. */
export function toRclParamType(type: RosParamType): rclnodejs.ParameterType {
  return PARAM_TYPES[type];
}

/** A value as rclnodejs stores it: integers (and integer arrays) as bigint, everything else unchanged. */
export function toRclParamValue(type: RosParamType, value: ParamValue): unknown {
  if (type === 'integer' && typeof value === 'number') return BigInt(value);
  if (type === 'integer_array' && Array.isArray(value)) return (value as number[]).map((v) => BigInt(v));
  return value;
}

/** A value read back from rclnodejs as a ParamValue: bigints become numbers, typed arrays plain arrays. */
export function fromRclParamValue(value: unknown): ParamValue {
  const one = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);
  if (Array.isArray(value) || ArrayBuffer.isView(value))
    return Array.from(value as ArrayLike<unknown>, one) as ParamValue;
  return one(value) as ParamValue;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The rclnodejs descriptor for a parameter: its type, description and range; read-only unless the node
 * declared it settable at run time (nodes/core/runtime-params.ts validates and applies those changes).
 */
export function toRclDescriptor(rcl: Rclnodejs, d: ParamDescriptor, readOnly = true): rclnodejs.ParameterDescriptor {
  const type = toRclParamType(d.type);
  const hasRange = d.min !== undefined || d.max !== undefined;
  let range: rclnodejs.Range | undefined;
  if (hasRange && (d.type === 'integer' || d.type === 'integer_array')) {
    const lo = d.min !== undefined ? BigInt(Math.ceil(d.min)) : INT64_MIN;
    const hi = d.max !== undefined ? BigInt(Math.floor(d.max)) : INT64_MAX;
    range = new rcl.IntegerRange(lo > INT64_MIN ? lo : INT64_MIN, hi < INT64_MAX ? hi : INT64_MAX, 0n);
  } else if (hasRange && (d.type === 'double' || d.type === 'double_array')) {
    // Step 0: any value in [min, max] (rclnodejs's default step of 1 would only admit whole steps).
    range = new rcl.FloatingPointRange(d.min ?? -Number.MAX_VALUE, d.max ?? Number.MAX_VALUE, 0);
  }
  return new rcl.ParameterDescriptor(d.name, type, d.description, readOnly, range);
}

/** A goal id (unique_identifier_msgs/msg/UUID bytes) as the canonical 8-4-4-4-12 UUID string. */
export function uuidString(bytes: ArrayLike<number>): string {
  const hex = Array.from(bytes, (b) => (b & 0xff).toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The checked copy of an outgoing message that rclnodejs's generated setters accept: 64-bit integers as
 * bigint (rosidl_gen/templates/message-template.cjs throws `must be type of bigint` on a number) and
 * numeric arrays as the typed arrays rclnodejs itself uses. Validates and copies in one pass (a getter is
 * read once: what was checked is what is sent); throws KZ_ERR_MSG_INVALID naming `where` and the field.
 * Typed as its input, so tsc still checks the message against rclnodejs's shapes.
 */
export function rclMessage<M>(type: string, msg: M, where?: string): M {
  return codecFor(type).check(msg, where) as M;
}

/** Node's largest timer delay; a longer one fires after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay as rclnodejs's timeouts need it: whole milliseconds in [min, 2^31 - 1], NaN as `min`.
 * `sendRequestAsync`'s `AbortSignal.timeout(ms)` (lib/client.js) throws ERR_OUT_OF_RANGE on a fraction,
 * and rclnodejs's waits treat NaN as "wait forever".
 */
export function clampMs(ms: number, min = 0): number {
  if (Number.isNaN(ms)) return min;
  return Math.min(MAX_TIMER_MS, Math.max(min, Math.ceil(ms)));
}

/** `--ros-args` flags that take a value and that kizuna resolves itself (remaps, parameters). */
const OURS_WITH_VALUE = new Set(['-r', '--remap', '-p', '--param', '--params-file']);
/** rcl-level flags passed through to rcl: they configure the process, not names or parameters. */
const RCL_WITH_VALUE = new Set(['-e', '--enclave', '--log-level']);

/**
 * The argv for rcl init: only rcl-level `--ros-args` flags (enclave, log level, log outputs). Remaps and
 * parameters are left out because kizuna applies them itself; rcl applying them again would remap twice
 * and rename every node in the process on `-r __node:=`. Never returns process.argv's other arguments.
 */
export function rclInitArgs(argv: ReadonlyArray<string>): string[] {
  const kept: string[] = [];
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--ros-args') inRos = true;
    else if (arg === '--') inRos = false;
    else if (!inRos) continue;
    else if (OURS_WITH_VALUE.has(arg)) i++;
    else if (RCL_WITH_VALUE.has(arg)) {
      const value = argv[++i];
      if (value !== undefined) kept.push(arg, value);
    } else if (arg.startsWith('--') && arg.endsWith('-logs')) kept.push(arg);
  }
  return kept.length > 0 ? ['kizuna', '--ros-args', ...kept] : ['kizuna'];
}

/**
 * Runs an rclnodejs entity constructor; a type rclnodejs cannot find in the sourced ROS 2 environment
 * (rclnodejs's MESSAGE_NOT_FOUND) becomes KZ_ERR_UNKNOWN_TYPE, since kizuna itself knows the type, and
 * Fast DDS's refusal of a second type on a topic this process already uses becomes KZ_ERR_TYPE_MISMATCH.
 */
export function withInterface<R>(rcl: Rclnodejs, type: string, create: () => R): R {
  try {
    return create();
  } catch (cause) {
    if (cause instanceof rcl.RclNodeError && cause.code === 'MESSAGE_NOT_FOUND') {
      throw new KizunaError(
        'KZ_ERR_UNKNOWN_TYPE',
        `type '${type}' is not available in the sourced ROS 2 environment: build its package (msgs/ for kizuna_msgs) and source its install/setup.bash`,
        { entity: type },
        { cause },
      );
    }
    // rmw_fastrtps keeps one DDS topic per name and participant: a second type on it is refused at creation.
    const text = cause instanceof Error ? cause.message : String(cause);
    if (/existing topic name .* with incompatible type/.test(text)) {
      throw new KizunaError(
        'KZ_ERR_TYPE_MISMATCH',
        `a topic used in this process already carries another type than ${type}; the middleware refuses a second type on it (${text.split(', at ')[0]})`,
        { entity: type, type },
        { cause },
      );
    }
    throw cause;
  }
}
