/**
 * Reads the text of a .msg/.srv/.action file into sections of raw fields and
 * constants. Each definition line goes through @foxglove/rosmsg's ROS 2 parser; this
 * module adds what that parser drops: the type exactly as written (it folds
 * byte/char into uint8 and builtin_interfaces/Time into "time"), the comments, and
 * line numbers for error messages.
 */
import { parse } from '@foxglove/rosmsg';
import type { FieldDef } from '../../../nodes/core/interfaces/definition';
import { MsgGenError } from './errors';

/** A field as written, before its type is resolved to a full name. */
export interface RawField {
  name: string;
  /** The type token as written, without bounds or brackets: `byte`, `Header`, `geometry_msgs/Pose`. */
  rawType: string;
  line: number;
  isArray: boolean;
  arrayLength?: number;
  arrayUpperBound?: number;
  stringUpperBound?: number;
  defaultValue?: FieldDef['defaultValue'];
  doc: string[];
}

/** A constant as written (`uint8 KIND_STOP=4`). */
export interface RawConstant {
  name: string;
  rawType: string;
  line: number;
  value: boolean | number | bigint | string;
  doc: string[];
}

/** One message: a whole .msg file, or one `---`-separated part of a .srv/.action. */
export interface RawSection {
  doc: string[];
  fields: RawField[];
  constants: RawConstant[];
}

/**
 * Splits `text` at `---` lines into `expectedSections` sections and parses each.
 * Throws MsgGenError naming `file` and the line on any malformed input.
 */
export function parseInterfaceText(text: string, file: string, expectedSections: number): RawSection[] {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').split('\n');
  let current: { start: number; lines: string[] } = { start: 0, lines: [] };
  const sections = [current];
  lines.forEach((line, index) => {
    if (line.trim() === '---') sections.push((current = { start: index + 1, lines: [] }));
    else current.lines.push(line);
  });
  if (sections.length !== expectedSections) {
    throw new MsgGenError(
      file,
      `expected ${expectedSections} section(s) separated by '---' lines, found ${sections.length}`,
    );
  }
  return sections.map((section) => parseSection(section.lines, section.start, file));
}

function parseSection(lines: string[], firstLineIndex: number, file: string): RawSection {
  const result: RawSection = { doc: [], fields: [], constants: [] };
  // A comment block at the top describes the message when a blank line separates it
  // from the first definition; otherwise it describes that definition.
  let index = lines.findIndex((line) => !line.trim().startsWith('#'));
  if (index === -1) index = lines.length;
  const leading = lines.slice(0, index).map((line) => commentText(line.trim()));
  let pending: string[] = [];
  if ((lines[index] ?? '').trim() === '') result.doc = trimBlank(leading);
  else pending = leading;

  let last: { doc: string[] } | undefined;
  for (; index < lines.length; index++) {
    const lineNo = firstLineIndex + index + 1;
    const where = `${file}:${lineNo}`;
    const raw = lines[index] ?? '';
    // As in rosidl, the first '#' starts a comment, even inside a quoted value.
    const hash = raw.indexOf('#');
    const code = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    const comment = hash === -1 ? undefined : commentText(raw.slice(hash));
    if (code === '') {
      // A comment block followed by a blank line is a heading, not a field's doc.
      if (comment === undefined) {
        pending = [];
        continue;
      }
      // An indented comment continues the element above it, as rosidl reads it.
      if (/^\s/.test(raw) && last) last.doc.push(comment);
      else pending.push(comment);
      continue;
    }
    const doc = trimBlank([...pending, ...(comment !== undefined ? [comment] : [])]);
    pending = [];
    last = parseDefinition(code, lineNo, where, doc, result);
  }
  checkUnique(result, file);
  return result;
}

function parseDefinition(
  code: string,
  line: number,
  where: string,
  doc: string[],
  into: RawSection,
): { doc: string[] } {
  const rawType = /^[A-Za-z0-9_/]+/.exec(code)?.[0];
  if (rawType === undefined) throw new MsgGenError(where, `cannot read a type at the start of '${code}'`);
  let parsed;
  try {
    parsed = parse(code, { ros2: true, skipTypeFixup: true })[0]?.definitions[0];
  } catch (err) {
    throw new MsgGenError(where, (err as Error).message);
  }
  if (parsed === undefined) throw new MsgGenError(where, `cannot parse '${code}'`);
  if (parsed.isConstant === true) {
    if (parsed.value === undefined) throw new MsgGenError(where, `constant ${parsed.name} has no value`);
    const constant: RawConstant = { name: parsed.name, rawType, line, value: parsed.value, doc };
    into.constants.push(constant);
    return constant;
  }
  const field: RawField = { name: parsed.name, rawType, line, isArray: parsed.isArray === true, doc };
  if (parsed.arrayLength !== undefined) field.arrayLength = parsed.arrayLength;
  if (parsed.arrayUpperBound !== undefined) field.arrayUpperBound = parsed.arrayUpperBound;
  if (parsed.upperBound !== undefined) field.stringUpperBound = parsed.upperBound;
  if (parsed.defaultValue !== undefined) field.defaultValue = parsed.defaultValue;
  into.fields.push(field);
  return field;
}

function checkUnique(section: RawSection, file: string): void {
  const seen = new Map<string, number>();
  for (const item of [...section.constants, ...section.fields]) {
    const previous = seen.get(item.name);
    if (previous !== undefined) {
      throw new MsgGenError(`${file}:${item.line}`, `'${item.name}' is already defined on line ${previous}`);
    }
    seen.set(item.name, item.line);
  }
}

function commentText(comment: string): string {
  return comment.replace(/^#+/, '').trim();
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end);
}
