/**
 * Helpers for the CDR tests: turn our generated definitions into the form
 * @foxglove/rosmsg2-serialization reads, and build zero and sample messages.
 */
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';
import type { FieldDef, MsgDef } from '../../../nodes/core/interfaces/definition';

/** Definitions for a CDR writer/reader of `root`: the root first, then every type it uses. */
export function toFoxgloveDefinitions(root: string, messages: Record<string, MsgDef>): MessageDefinition[] {
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    const def = definition(name, messages);
    order.push(name);
    for (const field of def.fields) if (field.isComplex) visit(field.type);
  };
  visit(root);
  return order.map((name, i) => ({
    ...(i === 0 ? {} : { name }),
    definitions: definition(name, messages).fields.map(toFoxgloveField),
  }));
}

function definition(name: string, messages: Record<string, MsgDef>): MsgDef {
  const def = messages[name];
  if (def === undefined) throw new Error(`no definition for ${name}`);
  return def;
}

function toFoxgloveField(field: FieldDef): MessageDefinitionField {
  // On the wire byte and char are single octets (ROS 2 maps them to octet and uint8).
  const type = field.type === 'byte' || field.type === 'char' ? 'uint8' : field.type;
  const out: MessageDefinitionField = { name: field.name, type, isComplex: field.isComplex, isArray: field.isArray };
  if (field.arrayLength !== undefined) out.arrayLength = field.arrayLength;
  if (field.arrayUpperBound !== undefined) out.arrayUpperBound = field.arrayUpperBound;
  if (field.stringUpperBound !== undefined) out.upperBound = field.stringUpperBound;
  if (field.defaultValue !== undefined) out.defaultValue = field.defaultValue;
  return out;
}

type Value = unknown;

/** A message of type `name` with every field zero, false, empty or of fixed length. */
export function zeroMessage(name: string, messages: Record<string, MsgDef>): Record<string, Value> {
  return build(name, messages, undefined);
}

/**
 * A message of type `name` with small non-zero values that survive float32, and two
 * elements in every variable-length array (at most the bound).
 */
export function sampleMessage(name: string, messages: Record<string, MsgDef>): Record<string, Value> {
  let counter = 0;
  return build(name, messages, () => (counter = (counter % 100) + 1));
}

/** Builds a message; `next` yields the values to use, or is undefined for all-zero. */
function build(
  name: string,
  messages: Record<string, MsgDef>,
  next: (() => number) | undefined,
): Record<string, Value> {
  const msg: Record<string, Value> = {};
  for (const field of definition(name, messages).fields) {
    const one = (): Value =>
      field.isComplex ? build(field.type, messages, next) : primitive(field.type, next === undefined ? 0 : next());
    if (!field.isArray) {
      msg[field.name] = one();
      continue;
    }
    const length = field.arrayLength ?? (next === undefined ? 0 : Math.min(2, field.arrayUpperBound ?? 2));
    msg[field.name] = Array.from({ length }, one);
  }
  return msg;
}

function primitive(type: string, n: number): Value {
  switch (type) {
    case 'bool':
      return n % 2 === 1;
    case 'string':
    case 'wstring':
      return n === 0 ? '' : `s${n}`;
    case 'int64':
    case 'uint64':
      return BigInt(n);
    case 'float32':
    case 'float64':
      return n === 0 ? 0 : n + 0.5;
    default:
      return n;
  }
}

/** Deep copy with typed arrays turned into plain arrays, for comparing decoded messages. */
export function plain(value: Value): Value {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<Value>);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
