/** Small text helpers shared by the renderers: literals, TSDoc, type names. */
import { TYPED_ARRAY_OF, type FieldDef, type PrimitiveType } from '../../../nodes/core/interfaces/definition';

/** Splits `pkg/sub/Name` into its three parts. */
export function splitName(full: string): { pkg: string; sub: string; name: string } {
  const [pkg, sub, name, ...rest] = full.split('/');
  if (pkg === undefined || sub === undefined || name === undefined || rest.length > 0) {
    throw new Error(`'${full}' is not a full type name like pkg/msg/Name`);
  }
  return { pkg, sub, name };
}

/** The TypeScript reference to a message interface: `std_msgs.msg.Header`. */
export function tsRef(full: string): string {
  return full.split('/').join('.');
}

const SCALAR_TS: Record<PrimitiveType, string> = {
  bool: 'boolean',
  byte: 'number',
  char: 'number',
  int8: 'number',
  uint8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  uint64: 'bigint',
  float32: 'number',
  float64: 'number',
  string: 'string',
  wstring: 'string',
};

const TYPED_ARRAY = TYPED_ARRAY_OF;

/** Global names the typings use bare; a message with one of these names would shadow it. */
export const RESERVED_GLOBALS: ReadonlySet<string> = new Set(Object.values(TYPED_ARRAY));

/** The TypeScript type of a primitive scalar (`int64` → `bigint`). */
export function scalarTs(type: PrimitiveType): string {
  return SCALAR_TS[type];
}

/** The TypeScript type of a field's value, e.g. `number[] | Float32Array`. */
export function fieldTs(field: FieldDef): string {
  const base = field.isComplex ? tsRef(field.type) : SCALAR_TS[field.type as PrimitiveType];
  if (!field.isArray) return base;
  const typed = field.isComplex ? undefined : TYPED_ARRAY[field.type as PrimitiveType];
  return typed === undefined ? `${base}[]` : `${base}[] | ${typed}`;
}

/** A single-quoted TypeScript string literal (JSON's escaping, quotes swapped). */
export function tsString(value: string): string {
  const inner = JSON.stringify(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${inner}'`;
}

/** A TypeScript literal for a constant or default value (bigint as `5n`). */
export function tsLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(', ')}]`;
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`non-finite literal ${value}`);
      return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean':
      return String(value);
    case 'string':
      return tsString(value);
    default:
      throw new Error(`cannot write a literal for ${String(value)}`);
  }
}

/** A TSDoc block for `lines` at `indent`, or nothing when there is nothing to say. */
export function tsDoc(lines: readonly string[], indent: string): string[] {
  const clean = lines.map((l) => l.replace(/\*\//g, '*\\/').trimEnd());
  if (clean.length === 0) return [];
  if (clean.length === 1) return [`${indent}/** ${clean[0]} */`];
  return [`${indent}/**`, ...clean.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`];
}

/** Facts about a field that its TS type cannot carry (bounds, fixed length, default). */
export function fieldNotes(field: FieldDef): string[] {
  const notes: string[] = [];
  if (field.arrayLength !== undefined) notes.push(`Exactly ${field.arrayLength} elements.`);
  if (field.arrayUpperBound !== undefined) notes.push(`At most ${field.arrayUpperBound} elements.`);
  if (field.stringUpperBound !== undefined) notes.push(`At most ${field.stringUpperBound} characters.`);
  if (field.defaultValue !== undefined) notes.push(`Default: ${tsLiteral(field.defaultValue)}.`);
  if (field.type === 'byte' || field.type === 'char') notes.push(`ROS type \`${field.type}\`.`);
  return notes;
}
