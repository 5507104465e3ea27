/**
 * Checks a JavaScript value against its ROS 2 message definition, field by field, the way a typed
 * middleware would refuse it: unknown or missing fields, wrong types, integer overflow, float32 overflow,
 * wrong fixed-array length, exceeded bounds (strings in UTF-8 bytes, as rosidl counts them). Non-finite
 * floats are allowed here (REP 117 uses ±Inf and NaN in LaserScan); rejecting them where they make no
 * sense is the receiving node's job.
 *
 * Each type is compiled once into a checker (see codec.ts) that validates and copies in one pass, reading
 * every field once; the interpreter below only runs when that checker refuses a value, to name every
 * problem with its path.
 */
import { KizunaError, isKizunaError } from '../errors';
import type { FieldDef, MsgDef } from './definition';
import { messageDefinition } from './index';
import { codecFor } from './codec';
import { FLOAT32_MAX, INT_RANGE, utf8Length } from './limits';

export { codecFor, type MessageCodec } from './codec';
export { FLOAT32_MAX, INT_RANGE, utf8Length } from './limits';

/** One way a value fails its definition: the dotted path of the field and why. */
export interface MessageProblem {
  path: string;
  why: string;
}

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
      if (typeof v !== 'string') out.push({ path, why: `expected string, got ${describe(v)}` });
      else if (field.stringUpperBound !== undefined && utf8Length(v) > field.stringUpperBound) {
        out.push({ path, why: `string of ${utf8Length(v)} UTF-8 bytes exceeds its bound ${field.stringUpperBound}` });
      }
      return;
    case 'wstring':
      if (typeof v !== 'string') out.push({ path, why: `expected wstring, got ${describe(v)}` });
      else if (field.stringUpperBound !== undefined && v.length > field.stringUpperBound) {
        out.push({ path, why: `wstring longer than its bound ${field.stringUpperBound}` });
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
      const wide = type === 'int64' || type === 'uint64';
      let big: bigint;
      if (typeof v === 'bigint' && wide) big = v;
      else if (typeof v === 'bigint') {
        out.push({ path, why: `expected ${type} (integer number), got bigint ${v}: bigint is only for int64/uint64` });
        return;
      } else if (typeof v === 'number' && Number.isInteger(v)) {
        if (wide && !Number.isSafeInteger(v)) {
          out.push({
            path,
            why: `${v} is beyond the safe-integer range of a number; pass ${type} values this large as bigint`,
          });
          return;
        }
        big = BigInt(v);
      } else {
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
  for (let i = 0; i < arr.length && out.length < MAX_PROBLEMS; i++) {
    let e: unknown;
    try {
      e = arr[i];
    } catch (err) {
      out.push({ path: `${path}[${i}]`, why: `reading the element threw: ${(err as Error)?.message ?? String(err)}` });
      continue;
    }
    checkValue(field, e, `${path}[${i}]`, out);
  }
}

function checkMessage(def: MsgDef, v: unknown, path: string, out: MessageProblem[]): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) {
    out.push({ path: path || '(message)', why: `expected a ${def.name} object, got ${describe(v)}` });
    return;
  }
  const obj = v as Record<string, unknown>;
  const names = def.fields.map((f) => f.name);
  let keys: string[];
  try {
    keys = Object.keys(obj);
  } catch (err) {
    out.push({
      path: path || '(message)',
      why: `its fields cannot be listed: ${(err as Error)?.message ?? String(err)}`,
    });
    return;
  }
  for (const key of keys) {
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
    let value: unknown;
    try {
      value = obj[field.name];
    } catch (err) {
      out.push({ path: fpath, why: `reading the field threw: ${(err as Error)?.message ?? String(err)}` });
      continue;
    }
    if (value === undefined) {
      out.push({ path: fpath, why: `missing field (${field.type}${field.isArray ? '[]' : ''})` });
      continue;
    }
    checkField(field, value, fpath, out);
  }
}

/** Every way `value` fails to be a `type` message (at most 10), or an empty list when it is valid. */
export function messageProblems(type: string, value: unknown): MessageProblem[] {
  const out: MessageProblem[] = [];
  try {
    checkMessage(messageDefinition(type), value, '', out);
  } catch (err) {
    if (isKizunaError(err, 'KZ_ERR_UNKNOWN_TYPE')) throw err;
    // A proxy or exotic object that throws where a plain one would not: still a clear, coded refusal.
    out.push({ path: '(message)', why: `cannot be read: ${(err as Error)?.message ?? String(err)}` });
  }
  return out;
}

/** The KZ_ERR_MSG_INVALID error for `problems` of a `type` value (on `topic`, when given). */
export function invalidMessageError(type: string, problems: MessageProblem[], topic?: string): KizunaError {
  const where = topic ? `topic '${topic}' (${type})` : type;
  const text = problems.map((p) => `field '${p.path}': ${p.why}`).join('; ');
  return new KizunaError('KZ_ERR_MSG_INVALID', `invalid message on ${where}: ${text}`, {
    entity: topic ?? type,
    type,
    field: problems[0]?.path,
    problems,
  });
}

/**
 * Throws KZ_ERR_MSG_INVALID when `value` is not a valid `type` message. The message names the topic
 * (when given) and each bad field: `topic '/scan' (sensor_msgs/msg/LaserScan): field 'rangs': unknown field`.
 */
export function assertMessage(type: string, value: unknown, topic?: string): void {
  codecFor(type).validate(value, topic);
}

/**
 * The copy a subscriber receives: a checked deep copy (no sharing with the publisher or other subscribers),
 * with numeric primitive arrays as typed arrays and 64-bit integers as bigint, which is how rclnodejs hands
 * them to callbacks, and float32 values rounded as a C float stores them. Throws KZ_ERR_MSG_INVALID.
 */
export function deliveryCopy(type: string, value: unknown): unknown {
  return codecFor(type).check(value);
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
