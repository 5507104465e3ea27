/**
 * Checks a JavaScript value against its ROS 2 message definition, field by field, the way a typed
 * middleware would refuse it: unknown or missing fields, wrong types, integer overflow, float32 overflow,
 * wrong fixed-array length, exceeded bounds. Non-finite floats are allowed here (REP 117 uses ±Inf and NaN
 * in LaserScan); rejecting them where they make no sense is the receiving node's job.
 */
import { KizunaError } from '../errors';
import type { FieldDef, MsgDef } from './definition';
import { messageDefinition } from './index';

/** One way a value fails its definition: the dotted path of the field and why. */
export interface MessageProblem {
  path: string;
  why: string;
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  byte: [0n, 255n],
  char: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint64: [0n, 18446744073709551615n],
};

const FLOAT32_MAX = 3.4028234663852886e38;

const TYPED_ARRAY: Record<string, (new (values: ArrayLike<number>) => ArrayLike<number>) | undefined> = {
  byte: Uint8Array,
  uint8: Uint8Array,
  char: Int8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

const MAX_PROBLEMS = 10;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

function nearest(name: string, candidates: string[]): string | undefined {
  // Cheap edit-distance hint for misspelled fields ("rangs" -> "ranges").
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function checkPrimitive(type: string, v: unknown, path: string, field: FieldDef, out: MessageProblem[]): void {
  switch (type) {
    case 'bool':
      if (typeof v !== 'boolean') out.push({ path, why: `expected bool, got ${describe(v)}` });
      return;
    case 'string':
    case 'wstring':
      if (typeof v !== 'string') out.push({ path, why: `expected string, got ${describe(v)}` });
      else if (field.stringUpperBound !== undefined && v.length > field.stringUpperBound) {
        out.push({ path, why: `string longer than its bound ${field.stringUpperBound}` });
      }
      return;
    case 'float32':
    case 'float64':
      if (typeof v !== 'number') out.push({ path, why: `expected ${type} (number), got ${describe(v)}` });
      else if (type === 'float32' && Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX) {
        out.push({ path, why: `${v} overflows float32` });
      }
      return;
    default: {
      const range = INT_RANGE[type];
      if (!range) {
        out.push({ path, why: `unsupported primitive type '${type}'` });
        return;
      }
      let big: bigint;
      if (typeof v === 'bigint') big = v;
      else if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
      else {
        out.push({ path, why: `expected ${type} (integer), got ${describe(v)}` });
        return;
      }
      if (big < range[0] || big > range[1])
        out.push({ path, why: `${String(v)} is out of ${type} range [${range[0]}, ${range[1]}]` });
    }
  }
}

function checkValue(field: FieldDef, v: unknown, path: string, out: MessageProblem[]): void {
  if (field.isComplex) checkMessage(messageDefinition(field.type), v, path, out);
  else checkPrimitive(field.type, v, path, field, out);
}

function checkField(field: FieldDef, v: unknown, path: string, out: MessageProblem[]): void {
  if (!field.isArray) {
    checkValue(field, v, path, out);
    return;
  }
  const isTyped = ArrayBuffer.isView(v) && !(v instanceof DataView);
  if (!Array.isArray(v) && !isTyped) {
    out.push({ path, why: `expected an array of ${field.type}, got ${describe(v)}` });
    return;
  }
  const arr = v as ArrayLike<unknown>;
  if (field.arrayLength !== undefined && arr.length !== field.arrayLength) {
    out.push({ path, why: `fixed-size array needs exactly ${field.arrayLength} elements, got ${arr.length}` });
    return;
  }
  if (field.arrayUpperBound !== undefined && arr.length > field.arrayUpperBound) {
    out.push({ path, why: `bounded array allows at most ${field.arrayUpperBound} elements, got ${arr.length}` });
    return;
  }
  for (let i = 0; i < arr.length && out.length < MAX_PROBLEMS; i++) checkValue(field, arr[i], `${path}[${i}]`, out);
}

function checkMessage(def: MsgDef, v: unknown, path: string, out: MessageProblem[]): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    out.push({ path: path || '(message)', why: `expected a ${def.name} object, got ${describe(v)}` });
    return;
  }
  const obj = v as Record<string, unknown>;
  const names = def.fields.map((f) => f.name);
  for (const key of Object.keys(obj)) {
    if (!names.includes(key)) {
      const hint = nearest(key, names);
      out.push({
        path: path ? `${path}.${key}` : key,
        why: `unknown field of ${def.name}${hint ? ` (did you mean '${hint}'?)` : ''}`,
      });
    }
  }
  for (const field of def.fields) {
    if (out.length >= MAX_PROBLEMS) return;
    const fpath = path ? `${path}.${field.name}` : field.name;
    if (!Object.prototype.hasOwnProperty.call(obj, field.name) || obj[field.name] === undefined) {
      out.push({ path: fpath, why: `missing field (${field.type}${field.isArray ? '[]' : ''})` });
      continue;
    }
    checkField(field, obj[field.name], fpath, out);
  }
}

/** Every way `value` fails to be a `type` message (at most 10), or an empty list when it is valid. */
export function messageProblems(type: string, value: unknown): MessageProblem[] {
  const out: MessageProblem[] = [];
  checkMessage(messageDefinition(type), value, '', out);
  return out;
}

/**
 * Throws KZ_ERR_MSG_INVALID when `value` is not a valid `type` message. The message names the topic
 * (when given) and each bad field: `topic '/scan' (sensor_msgs/msg/LaserScan): field 'rangs': unknown field`.
 */
export function assertMessage(type: string, value: unknown, topic?: string): void {
  const problems = messageProblems(type, value);
  if (problems.length === 0) return;
  const where = topic ? `topic '${topic}' (${type})` : type;
  const text = problems.map((p) => `field '${p.path}': ${p.why}`).join('; ');
  throw new KizunaError('KZ_ERR_MSG_INVALID', `invalid message on ${where}: ${text}`, {
    entity: topic ?? type,
    type,
    field: problems[0]!.path,
    problems,
  });
}

function defaultPrimitive(type: string): boolean | number | bigint | string {
  if (type === 'bool') return false;
  if (type === 'string' || type === 'wstring') return '';
  if (type === 'int64' || type === 'uint64') return 0n;
  return 0;
}

/** A message of `type` with every field at its .msg default (zero, empty, false), as rosidl would build it. */
export function createMessage(type: string): Record<string, unknown> {
  const def = messageDefinition(type);
  const msg: Record<string, unknown> = {};
  for (const f of def.fields) {
    const one = (): unknown => (f.isComplex ? createMessage(f.type) : defaultPrimitive(f.type));
    if (f.defaultValue !== undefined)
      msg[f.name] = Array.isArray(f.defaultValue) ? [...f.defaultValue] : f.defaultValue;
    else if (!f.isArray) msg[f.name] = one();
    else msg[f.name] = Array.from({ length: f.arrayLength ?? 0 }, one);
  }
  return msg;
}

/**
 * The copy a subscriber receives: a deep copy (no sharing with the publisher or other subscribers), with
 * numeric primitive arrays as typed arrays, which is how rclnodejs hands them to callbacks.
 */
export function deliveryCopy(type: string, value: unknown): unknown {
  const def = messageDefinition(type);
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    const v = src[f.name];
    if (f.isComplex) {
      out[f.name] = f.isArray
        ? Array.from(v as ArrayLike<unknown>, (e) => deliveryCopy(f.type, e))
        : deliveryCopy(f.type, v);
    } else if (f.type === 'int64' || f.type === 'uint64') {
      // 64-bit integers arrive as bigint, as rclnodejs delivers them, even when published as numbers.
      out[f.name] = f.isArray
        ? Array.from(v as ArrayLike<number | bigint>, (e) => BigInt(e))
        : BigInt(v as number | bigint);
    } else if (f.isArray) {
      const Typed = TYPED_ARRAY[f.type];
      out[f.name] = Typed ? new Typed(v as ArrayLike<number>) : Array.from(v as ArrayLike<unknown>);
    } else {
      out[f.name] = v;
    }
  }
  return out;
}
