/**
 * Deterministic, fully filled messages for interop tests: every field of every nested message gets a
 * value that differs from its default and survives the wire exactly (float32 values are exact binary
 * fractions, 64-bit integers lie beyond 2^53 so they must travel as int64), and `plain()` turns a message
 * into the shape the rclpy peer reports, for field-by-field comparison.
 */
import { messageDefinition } from '../../../nodes/core/interfaces';
import type { FieldDef } from '../../../nodes/core/interfaces/definition';

function primitive(type: string, seed: number): unknown {
  switch (type) {
    case 'bool':
      return seed % 2 === 1;
    case 'byte':
    case 'char':
    case 'uint8':
      return 100 + (seed % 100);
    case 'int8':
      return -100 + (seed % 50);
    case 'int16':
      return -30000 + seed;
    case 'uint16':
      return 60000 + seed;
    case 'int32':
      return -2_000_000_000 + seed;
    case 'uint32':
      return 4_000_000_000 + seed;
    case 'int64':
      return -(2n ** 62n) - BigInt(seed);
    case 'uint64':
      return 2n ** 63n + BigInt(seed);
    case 'float32':
      return seed + 0.25;
    case 'float64':
      return seed + 0.1;
    default:
      return `s${seed}-ロボット`;
  }
}

function fieldValue(f: FieldDef, seed: number): unknown {
  const one = (s: number): unknown => (f.isComplex ? sampleMessage(f.type, s) : primitive(f.type, s));
  if (!f.isArray) return one(seed);
  const n = f.arrayLength ?? Math.min(2, f.arrayUpperBound ?? 2);
  return Array.from({ length: n }, (_, i) => one(seed + i + 1));
}

/** A `type` message with every field set from `seed`. */
export function sampleMessage(type: string, seed = 1): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  messageDefinition(type).fields.forEach((f, i) => {
    msg[f.name] = fieldValue(f, seed * 10 + i);
  });
  return msg;
}

/** `msg` as plain data: typed arrays as arrays, 64-bit integers as bigint, nested messages as objects. */
export function plain(type: string, msg: unknown): Record<string, unknown> {
  const src = msg as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of messageDefinition(type).fields) {
    const conv = (v: unknown): unknown =>
      f.isComplex ? plain(f.type, v) : f.type === 'int64' || f.type === 'uint64' ? BigInt(v as bigint) : v;
    const v = src[f.name];
    out[f.name] = f.isArray ? Array.from(v as ArrayLike<unknown>, conv) : conv(v);
  }
  return out;
}
