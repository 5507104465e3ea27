/**
 * Message checkers compiled once per type from the parsed definitions (definitions.generated.ts), the way
 * ajv compiles a JSON Schema or protobufjs an encoder: each message type becomes generated JavaScript
 * with its fields unrolled, nested messages inlined and one specialised loop per array field, so the hot
 * path never interprets a definition, never builds a path string and never allocates a closure.
 *
 * - `check` validates and copies in one pass, reading every field and element once (a getter is read once,
 *   so what was checked is what is delivered): numeric arrays become typed arrays (a typed array of the
 *   field's own element type is accepted as it is, O(1) to check, copied with one memcpy), plain numeric
 *   arrays are checked in one tight loop, 64-bit integers become bigint, float32 values are rounded as a C
 *   float stores them.
 * - `validate` checks without copying (what rclnodejs's own conversion then copies).
 * - When either refuses a value, the interpreter in validate.ts runs once to name every problem with its
 *   path: error text is only ever built for an error.
 */
import { KizunaError } from '../errors';
import { TYPED_ARRAY_OF, type FieldDef, type MsgDef } from './definition';
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
  /** Checks `value` without copying it. Throws KZ_ERR_MSG_INVALID like `check`. */
  validate(value: unknown, topic?: string): void;
  /** A deep copy of a value `check` returned (no validation: it is already checked). */
  clone(checked: unknown): unknown;
}

/** Thrown (never allocated per message) when generated code refuses a value. */
const REFUSED: unique symbol = Symbol('kizuna.codec.refused');

const TYPED = TYPED_ARRAY_OF as Readonly<Record<string, string | undefined>>;

type Fn = (v: unknown) => unknown;

/** Generated functions of one type, filled lazily so that nested types compile on first use. */
interface Compiled {
  check: Fn;
  validate: Fn;
  clone: Fn;
}

/** Helpers the generated code reaches through `H`. */
interface Helpers {
  R: typeof REFUSED;
  U: (s: string) => number;
  /** Converter of a nested message type (for arrays of messages): `C(type).check` etc. */
  C: (type: string) => Compiled;
}

const H: Helpers = { R: REFUSED, U: utf8Length, C: (type) => compile(type) };

class Gen {
  private n = 0;
  readonly lines: string[] = [];

  v(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  emit(line: string): void {
    this.lines.push(line);
  }
}

const REFUSE = 'throw H.R;';

/** Code that checks number variable `x` against primitive `type` (numbers only: float and ≤32-bit ints). */
function numberTest(type: string, x: string): string {
  if (type === 'float64') return `typeof ${x} !== 'number'`;
  if (type === 'float32') {
    return `typeof ${x} !== 'number' || ((${x} > ${FLOAT32_MAX} || ${x} < -${FLOAT32_MAX}) && ${x} !== Infinity && ${x} !== -Infinity)`;
  }
  const range = INT_RANGE[type]!;
  return `typeof ${x} !== 'number' || !Number.isInteger(${x}) || ${x} < ${range[0]} || ${x} > ${range[1]}`;
}

/** Emits a check of scalar `x` of `field`'s primitive type; returns the expression of its copy. */
function emitScalar(g: Gen, field: FieldDef, x: string, copy: boolean): string {
  const type = field.type;
  switch (type) {
    case 'bool':
      g.emit(`if (typeof ${x} !== 'boolean') ${REFUSE}`);
      return x;
    case 'string':
      g.emit(`if (typeof ${x} !== 'string') ${REFUSE}`);
      if (field.stringUpperBound !== undefined) {
        // Each UTF-16 unit is at most 3 UTF-8 bytes: only long strings need counting.
        const b = field.stringUpperBound;
        g.emit(`if (${x}.length * 3 > ${b} && H.U(${x}) > ${b}) ${REFUSE}`);
      }
      return x;
    case 'wstring':
      g.emit(`if (typeof ${x} !== 'string') ${REFUSE}`);
      if (field.stringUpperBound !== undefined) g.emit(`if (${x}.length > ${field.stringUpperBound}) ${REFUSE}`);
      return x;
    case 'int64':
    case 'uint64': {
      const [lo, hi] = INT_RANGE[type]!;
      const y = g.v('w');
      g.emit(`let ${y};`);
      g.emit(`if (typeof ${x} === 'bigint') ${y} = ${x};`);
      g.emit(`else if (typeof ${x} === 'number' && Number.isSafeInteger(${x})) ${y} = BigInt(${x});`);
      g.emit(`else ${REFUSE}`);
      g.emit(`if (${y} < ${lo}n || ${y} > ${hi}n) ${REFUSE}`);
      return copy ? y : x;
    }
    default:
      if (!TYPED[type] && !INT_RANGE[type]) {
        g.emit(REFUSE);
        return x;
      }
      g.emit(`if (${numberTest(type, x)}) ${REFUSE}`);
      return copy && type === 'float32' ? `Math.fround(${x})` : x;
  }
}

function emitLength(g: Gen, field: FieldDef, n: string): void {
  if (field.arrayLength !== undefined) g.emit(`if (${n} !== ${field.arrayLength}) ${REFUSE}`);
  if (field.arrayUpperBound !== undefined) g.emit(`if (${n} > ${field.arrayUpperBound}) ${REFUSE}`);
}

/** Emits a check (and copy) of array `x` of `field`; returns the expression of the result. */
function emitArray(g: Gen, field: FieldDef, x: string, copy: boolean): string {
  const y = g.v('a');
  const n = g.v('n');
  const i = g.v('i');
  const e = g.v('e');
  const typed = field.isComplex ? undefined : TYPED[field.type];
  g.emit(`let ${y};`);
  if (typed) {
    // The field's own typed array cannot hold a bad element: only its length is checked.
    g.emit(`if (${x} instanceof ${typed}) {`);
    g.emit(`const ${n} = ${x}.length;`);
    emitLength(g, field, n);
    g.emit(`${y} = ${copy ? `new ${typed}(${x})` : x};`);
    for (const kind of ['array', 'view'] as const) {
      g.emit(
        kind === 'array'
          ? `} else if (Array.isArray(${x})) {`
          : `} else if (ArrayBuffer.isView(${x}) && !(${x} instanceof DataView)) {`,
      );
      g.emit(`const ${n} = ${x}.length;`);
      emitLength(g, field, n);
      if (copy) g.emit(`${y} = new ${typed}(${n});`);
      g.emit(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`);
      g.emit(`const ${e} = ${x}[${i}];`);
      g.emit(`if (${numberTest(field.type, e)}) ${REFUSE}`);
      if (copy) g.emit(`${y}[${i}] = ${e};`);
      g.emit('}');
    }
    g.emit(`} else ${REFUSE}`);
    return y;
  }
  g.emit(`if (!Array.isArray(${x}) && !(ArrayBuffer.isView(${x}) && !(${x} instanceof DataView))) ${REFUSE}`);
  g.emit(`const ${n} = ${x}.length;`);
  emitLength(g, field, n);
  if (copy) g.emit(`${y} = new Array(${n});`);
  g.emit(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`);
  g.emit(`const ${e} = ${x}[${i}];`);
  let out: string;
  if (field.isComplex) {
    out = `H.C(${JSON.stringify(field.type)}).${copy ? 'check' : 'validate'}(${e})`;
    if (!copy) g.emit(`${out};`);
  } else {
    out = emitScalar(g, field, e, copy);
  }
  if (copy) g.emit(`${y}[${i}] = ${out};`);
  g.emit('}');
  return copy ? y : x;
}

/** Emits a check (and copy) of message `x` of `def`, inlining nested messages; returns the result expression. */
function emitMessage(g: Gen, def: MsgDef, x: string, copy: boolean, depth: number): string {
  g.emit(`if (${x} === null || typeof ${x} !== 'object' || Array.isArray(${x}) || ArrayBuffer.isView(${x})) ${REFUSE}`);
  const outs: string[] = [];
  for (const field of def.fields) {
    const f = g.v('f');
    g.emit(`const ${f} = ${x}[${JSON.stringify(field.name)}];`);
    g.emit(`if (${f} === undefined) ${REFUSE}`);
    let out: string;
    if (field.isArray) out = emitArray(g, field, f, copy);
    else if (field.isComplex) {
      out =
        depth < 8
          ? emitMessage(g, messageDefinition(field.type), f, copy, depth + 1)
          : `H.C(${JSON.stringify(field.type)}).${copy ? 'check' : 'validate'}(${f})`;
    } else out = emitScalar(g, field, f, copy);
    outs.push(`${JSON.stringify(field.name)}: ${out}`);
  }
  // Every field is present, so any key beyond them makes the count differ.
  const k = g.v('k');
  g.emit(`let ${k} = 0;`);
  g.emit(`for (const _ in ${x}) ${k}++;`);
  g.emit(`if (${k} !== ${def.fields.length}) ${REFUSE}`);
  if (!copy) return x;
  const o = g.v('o');
  g.emit(`const ${o} = { ${outs.join(', ')} };`);
  return o;
}

/** Emits a deep copy of checked message `x`; returns the expression of the copy. */
function emitClone(g: Gen, def: MsgDef, x: string, depth: number): string {
  const outs: string[] = [];
  for (const field of def.fields) {
    const f = `${x}[${JSON.stringify(field.name)}]`;
    let out: string;
    if (field.isComplex && !field.isArray) {
      const v = g.v('c');
      g.emit(`const ${v} = ${f};`);
      out =
        depth < 8
          ? emitClone(g, messageDefinition(field.type), v, depth + 1)
          : `H.C(${JSON.stringify(field.type)}).clone(${v})`;
    } else if (field.isComplex) {
      out = `${f}.map(H.C(${JSON.stringify(field.type)}).clone)`;
    } else if (field.isArray) {
      const typed = TYPED[field.type];
      out = typed ? `new ${typed}(${f})` : `${f}.slice()`;
    } else out = f;
    outs.push(`${JSON.stringify(field.name)}: ${out}`);
  }
  const o = g.v('o');
  g.emit(`const ${o} = { ${outs.join(', ')} };`);
  return o;
}

function build(def: MsgDef, body: (g: Gen) => string): Fn {
  const g = new Gen();
  const result = body(g);
  const src = `${g.lines.join('\n')}\nreturn ${result};`;
  // Generated from the parsed .msg definitions only (names are JSON-quoted): no outside input reaches it.
  const factory = new Function('H', `return function ${fnName(def.name)}(v) {\n${src}\n};`) as (h: Helpers) => Fn;
  return factory(H);
}

function fnName(type: string): string {
  return `kz_${type.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

const compiled = new Map<string, Compiled>();

function compile(type: string): Compiled {
  let c = compiled.get(type);
  if (c) return c;
  const def = messageDefinition(type);
  let check: Fn | undefined;
  let validate: Fn | undefined;
  let clone: Fn | undefined;
  // Each generated function is built on first call, so recursive references resolve lazily.
  c = {
    check: (v) => (check ??= build(def, (g) => emitMessage(g, def, 'v', true, 0)))(v),
    validate: (v) => (validate ??= build(def, (g) => emitMessage(g, def, 'v', false, 0)))(v),
    clone: (v) => (clone ??= build(def, (g) => emitClone(g, def, 'v', 0)))(v),
  };
  compiled.set(type, c);
  return c;
}

const codecs = new Map<string, MessageCodec>();

/** The error for a value generated code refused (or that threw while being read): every problem, with paths. */
function refusal(type: string, value: unknown, err: unknown, topic: string | undefined): KizunaError {
  if (err !== REFUSED && err instanceof KizunaError) return err;
  const problems = messageProblems(type, value);
  if (problems.length === 0) {
    problems.push({
      path: '(message)',
      why:
        err === REFUSED
          ? 'it has inherited enumerable properties, or a field changed while it was read (a getter returning different values?)'
          : `cannot be read: ${(err as Error)?.message ?? String(err)}`,
    });
  }
  return invalidMessageError(type, problems, topic);
}

/** The compiled codec of message type `type` (compiled on first use, then cached). Throws KZ_ERR_UNKNOWN_TYPE. */
export function codecFor(type: string): MessageCodec {
  let codec = codecs.get(type);
  if (codec) return codec;
  const c = compile(type);
  const check = build(messageDefinition(type), (g) => emitMessage(g, messageDefinition(type), 'v', true, 0));
  const validate = build(messageDefinition(type), (g) => emitMessage(g, messageDefinition(type), 'v', false, 0));
  codec = {
    type,
    check(value: unknown, topic?: string): unknown {
      try {
        return check(value);
      } catch (err) {
        throw refusal(type, value, err, topic);
      }
    },
    validate(value: unknown, topic?: string): void {
      try {
        validate(value);
      } catch (err) {
        throw refusal(type, value, err, topic);
      }
    },
    clone: c.clone,
  };
  codecs.set(type, codec);
  return codec;
}
