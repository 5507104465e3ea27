/**
 * Message checkers compiled once per type from the parsed definitions (definitions.generated.ts), in the
 * spirit of ajv or protobufjs: the hot path never interprets a definition, never builds a path string and
 * never allocates a closure per message.
 *
 * `check` validates and copies in one pass, reading every field and element once (a getter is read once,
 * so what was checked is what is delivered): numeric arrays become typed arrays (a typed array of the
 * field's own element type is accepted as it is, O(1) to check, and copied with one memcpy), plain numeric
 * arrays are checked in one tight loop, 64-bit integers become bigint, float32 values are rounded as a C
 * float stores them. When it refuses a value, the interpreter in validate.ts runs once to name every
 * problem with its path.
 */
import { KizunaError } from '../errors';
import type { FieldDef, MsgDef } from './definition';
import { messageDefinition } from './index';
import { invalidMessageError, messageProblems } from './validate';
import { FLOAT32_MAX, INT_RANGE, utf8Length } from './limits';

/** A compiled message type. */
export interface MessageCodec {
  readonly type: string;
  /**
   * An owned, checked copy of `value` (what a subscriber receives). Throws KZ_ERR_MSG_INVALID naming `topic`
   * (when given) and every bad field.
   */
  check(value: unknown, topic?: string): unknown;
  /** A deep copy of a value `check` returned (no validation: it is already checked). */
  clone(checked: unknown): unknown;
}

type Conv = (v: unknown) => unknown;
type TypedCtor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** Thrown (never allocated per message) when the fast path refuses a value. */
const REFUSED: unique symbol = Symbol('kizuna.codec.refused');
function refuse(): never {
  throw REFUSED;
}

const TYPED: Record<string, TypedCtor | undefined> = {
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

const NEG_FLOAT32_MAX = -FLOAT32_MAX;

function scalarConv(field: FieldDef): Conv {
  const type = field.type;
  switch (type) {
    case 'bool':
      return (v) => (typeof v === 'boolean' ? v : refuse());
    case 'string': {
      const bound = field.stringUpperBound;
      if (bound === undefined) return (v) => (typeof v === 'string' ? v : refuse());
      // Each UTF-16 unit is at most 3 UTF-8 bytes: only long strings need counting.
      return (v) => (typeof v === 'string' && (v.length * 3 <= bound || utf8Length(v) <= bound) ? v : refuse());
    }
    case 'wstring': {
      const bound = field.stringUpperBound ?? Infinity;
      return (v) => (typeof v === 'string' && v.length <= bound ? v : refuse());
    }
    case 'float64':
      return (v) => (typeof v === 'number' ? v : refuse());
    case 'float32':
      return (v) => {
        if (typeof v !== 'number') refuse();
        if ((v > FLOAT32_MAX || v < NEG_FLOAT32_MAX) && Number.isFinite(v)) refuse();
        return Math.fround(v);
      };
    case 'int64':
    case 'uint64': {
      const [lo, hi] = INT_RANGE[type]!;
      return (v) => {
        if (typeof v === 'bigint') return v >= lo && v <= hi ? v : refuse();
        if (typeof v === 'number' && Number.isSafeInteger(v)) {
          const b = BigInt(v);
          return b >= lo && b <= hi ? b : refuse();
        }
        return refuse();
      };
    }
    default: {
      const range = INT_RANGE[type];
      if (!range) return () => refuse();
      const lo = Number(range[0]);
      const hi = Number(range[1]);
      return (v) => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : refuse());
    }
  }
}

/** Length rules of an array field, applied to what was built. */
function lengthOk(field: FieldDef, n: number): boolean {
  if (field.arrayLength !== undefined) return n === field.arrayLength;
  if (field.arrayUpperBound !== undefined) return n <= field.arrayUpperBound;
  return true;
}

/** A numeric array field stored as a typed array (rclnodejs's representation). */
function typedArrayConv(field: FieldDef, Typed: TypedCtor): Conv {
  const type = field.type;
  const kind = type === 'float64' ? 0 : type === 'float32' ? 1 : 2;
  const range = INT_RANGE[type];
  const lo = range ? Number(range[0]) : 0;
  const hi = range ? Number(range[1]) : 0;
  const fixed = field.arrayLength;
  const bound = field.arrayUpperBound;
  return (v) => {
    let n: number;
    let out: InstanceType<TypedCtor>;
    if (v instanceof Typed) {
      // Its elements cannot hold a value the field cannot: only the length is checked.
      n = v.length;
      if ((fixed !== undefined && n !== fixed) || (bound !== undefined && n > bound)) refuse();
      return new Typed(v as never);
    }
    if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      const a = v as ArrayLike<unknown>;
      n = a.length;
      if ((fixed !== undefined && n !== fixed) || (bound !== undefined && n > bound)) refuse();
      out = new Typed(n);
      if (kind === 0) {
        for (let i = 0; i < n; i++) {
          const x = a[i];
          if (typeof x !== 'number') refuse();
          out[i] = x;
        }
      } else if (kind === 1) {
        for (let i = 0; i < n; i++) {
          const x = a[i];
          if (typeof x !== 'number' || ((x > FLOAT32_MAX || x < NEG_FLOAT32_MAX) && x !== Infinity && x !== -Infinity))
            refuse();
          out[i] = x;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const x = a[i];
          if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) refuse();
          out[i] = x;
        }
      }
      return out;
    }
    return refuse();
  };
}

/** Any other array field (bool, string, 64-bit integers, messages): a plain array of converted elements. */
function plainArrayConv(field: FieldDef, elem: Conv): Conv {
  return (v) => {
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) refuse();
    const a = v as ArrayLike<unknown>;
    const n = a.length;
    if (!lengthOk(field, n)) refuse();
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = elem(a[i]);
    return out;
  };
}

interface Compiled {
  conv: Conv;
  clone: (v: unknown) => unknown;
}

const compiled = new Map<string, Compiled>();

function fieldConv(field: FieldDef): Conv {
  const one: Conv = field.isComplex ? (v) => compile(field.type).conv(v) : scalarConv(field);
  if (!field.isArray) return one;
  const Typed = field.isComplex ? undefined : TYPED[field.type];
  return Typed ? typedArrayConv(field, Typed) : plainArrayConv(field, one);
}

function fieldClone(field: FieldDef): ((v: unknown) => unknown) | undefined {
  if (field.isComplex) {
    const nested = (v: unknown): unknown => compile(field.type).clone(v);
    if (!field.isArray) return nested;
    return (v) => (v as unknown[]).map(nested);
  }
  if (!field.isArray) return undefined; // primitives are immutable
  const Typed = TYPED[field.type];
  if (Typed) return (v) => new Typed(v as never);
  return (v) => (v as unknown[]).slice();
}

function compileDef(def: MsgDef): Compiled {
  const names = def.fields.map((f) => f.name);
  const n = names.length;
  // Filled on first use, so recursive definitions compile lazily.
  let convs: Conv[] | undefined;
  let clones: Array<((v: unknown) => unknown) | undefined> | undefined;
  const conv: Conv = (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) refuse();
    const src = v as Record<string, unknown>;
    const cs = (convs ??= def.fields.map(fieldConv));
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const x = src[names[i]!];
      if (x === undefined) refuse();
      out[names[i]!] = cs[i]!(x);
    }
    // No key beyond the definition's: with every field present, any extra key makes the count differ.
    let keys = 0;
    for (const k in src) if (Object.prototype.hasOwnProperty.call(src, k)) keys++;
    if (keys !== n) refuse();
    return out;
  };
  const clone = (v: unknown): unknown => {
    const src = v as Record<string, unknown>;
    const cl = (clones ??= def.fields.map(fieldClone));
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const c = cl[i];
      const x = src[names[i]!];
      out[names[i]!] = c ? c(x) : x;
    }
    return out;
  };
  return { conv, clone };
}

function compile(type: string): Compiled {
  let c = compiled.get(type);
  if (!c) {
    c = compileDef(messageDefinition(type));
    compiled.set(type, c);
  }
  return c;
}

const codecs = new Map<string, MessageCodec>();

/** The compiled codec of message type `type` (compiled on first use, then cached). Throws KZ_ERR_UNKNOWN_TYPE. */
export function codecFor(type: string): MessageCodec {
  let codec = codecs.get(type);
  if (codec) return codec;
  const { conv, clone } = compile(type);
  codec = {
    type,
    check(value: unknown, topic?: string): unknown {
      try {
        return conv(value);
      } catch (err) {
        if (err !== REFUSED && err instanceof KizunaError) throw err;
        // Refused (or a getter/proxy threw): name every problem, with paths, once.
        const problems = messageProblems(type, value);
        if (problems.length === 0) {
          problems.push({
            path: '(message)',
            why:
              err === REFUSED
                ? 'a field changed while it was read (a getter returning different values?)'
                : `cannot be read: ${(err as Error)?.message ?? String(err)}`,
          });
        }
        throw invalidMessageError(type, problems, topic);
      }
    },
    clone,
  };
  codecs.set(type, codec);
  return codec;
}
