/**
 * Turns parsed source files into the resolved set of messages, services and actions:
 * every field type becomes a full name (`std_msgs/msg/Header`), and each action gets
 * the derived types rosidl generates for it (SendGoal, GetResult, FeedbackMessage).
 */
import type {
  ActionDef,
  ConstantDef,
  FieldDef,
  MsgDef,
  PrimitiveType,
  SrvDef,
} from '../../../nodes/core/interfaces/definition';
import { MsgGenError } from './errors';
import { parseInterfaceText, type RawField, type RawSection } from './parse';
import { compare, fullName, type SourceFile } from './sources';

/** Comments carried from the source file, for TSDoc in the generated typings. */
export interface MessageDocs {
  summary: string[];
  fields: Record<string, string[]>;
  constants: Record<string, string[]>;
}

export interface MessageEntry {
  def: MsgDef;
  docs: MessageDocs;
  /** Source file (repository-relative), or the action it was derived from. */
  origin: string;
}

/** Everything the generator knows, keyed by full type name. */
export interface InterfaceSet {
  messages: Map<string, MessageEntry>;
  /** Services from .srv files. */
  services: Map<string, SrvDef>;
  actions: Map<string, ActionDef>;
  /** `Name_SendGoal` / `Name_GetResult` services rosidl derives for each action. */
  actionServices: Map<string, SrvDef>;
}

export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set<PrimitiveType>([
  'bool',
  'byte',
  'char',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
  'wstring',
]);

const SECTION_NAMES: Record<SourceFile['kind'], string[]> = {
  msg: [''],
  srv: ['_Request', '_Response'],
  action: ['_Goal', '_Result', '_Feedback'],
};

const UUID = 'unique_identifier_msgs/msg/UUID';
const TIME = 'builtin_interfaces/msg/Time';

interface Pending {
  name: string;
  pkg: string;
  file: string;
  section: RawSection;
}

/** Parses and resolves `sources`; throws MsgGenError naming file, line and field on any problem. */
export function buildInterfaceSet(sources: readonly SourceFile[]): InterfaceSet {
  const set: InterfaceSet = { messages: new Map(), services: new Map(), actions: new Map(), actionServices: new Map() };
  const pending: Pending[] = [];
  for (const source of sources) {
    const base = fullName(source);
    const sections = parseInterfaceText(source.text, source.path, SECTION_NAMES[source.kind].length);
    sections.forEach((section, i) => {
      pending.push({ name: base + SECTION_NAMES[source.kind][i], pkg: source.pkg, file: source.path, section });
    });
    if (source.kind === 'srv') {
      set.services.set(base, { name: base, request: `${base}_Request`, response: `${base}_Response` });
    } else if (source.kind === 'action') {
      set.actions.set(base, {
        name: base,
        goal: `${base}_Goal`,
        result: `${base}_Result`,
        feedback: `${base}_Feedback`,
      });
    }
  }
  const derived = [...set.actions.values()].flatMap((action) => deriveActionTypes(action, set));
  const known = new Set([...pending.map((p) => p.name), ...derived.map((d) => d.def.name)]);
  for (const p of pending) {
    set.messages.set(p.name, {
      def: {
        name: p.name,
        fields: p.section.fields.map((f) => resolveField(f, p, known)),
        constants: p.section.constants.map((c): ConstantDef => {
          if (!PRIMITIVE_TYPES.has(c.rawType)) {
            throw new MsgGenError(
              `${p.file}:${c.line}`,
              `constant ${c.name} of ${p.name} must have a primitive type, not '${c.rawType}'`,
            );
          }
          return { name: c.name, type: c.rawType as PrimitiveType, value: c.value };
        }),
      },
      docs: {
        summary: p.section.doc,
        fields: Object.fromEntries(p.section.fields.map((f) => [f.name, f.doc])),
        constants: Object.fromEntries(p.section.constants.map((c) => [c.name, c.doc])),
      },
      origin: p.file,
    });
  }
  for (const entry of derived) {
    for (const field of entry.def.fields) {
      if (field.isComplex && !known.has(field.type)) {
        throw new MsgGenError(entry.origin, `ROS 2 actions need ${field.type}, which no input package defines`);
      }
    }
    set.messages.set(entry.def.name, entry);
  }
  return set;
}

/** Returns the names of `set.messages` in output order. */
export function sortedMessageNames(set: InterfaceSet): string[] {
  return [...set.messages.keys()].sort(compare);
}

function resolveField(field: RawField, owner: Pending, known: ReadonlySet<string>): FieldDef {
  const where = `${owner.file}:${field.line}`;
  const def: FieldDef = { name: field.name, type: field.rawType, isComplex: false, isArray: field.isArray };
  if (!PRIMITIVE_TYPES.has(field.rawType)) {
    def.type = resolveTypeName(field.rawType, owner.pkg, where, `field '${field.name}' of ${owner.name}`);
    def.isComplex = true;
    if (!known.has(def.type)) {
      const hint =
        field.rawType === 'Header'
          ? " ROS 2 has no implicit Header: write 'std_msgs/Header'."
          : ' Add its package to the generator inputs or fix the name.';
      throw new MsgGenError(
        where,
        `field '${field.name}' of ${owner.name} has type '${field.rawType}', which resolves to ${def.type}; no such message is known.${hint}`,
      );
    }
  }
  if (field.arrayLength !== undefined) def.arrayLength = field.arrayLength;
  if (field.arrayUpperBound !== undefined) def.arrayUpperBound = field.arrayUpperBound;
  if (field.stringUpperBound !== undefined) def.stringUpperBound = field.stringUpperBound;
  if (field.defaultValue !== undefined) def.defaultValue = field.defaultValue;
  return def;
}

/**
 * Applies rosidl's rules for a non-primitive type in a .msg/.srv/.action file: `Name`
 * means a message of the same package, `pkg/Name` means `pkg/msg/Name`.
 */
function resolveTypeName(raw: string, pkg: string, where: string, what: string): string {
  if (raw === 'time' || raw === 'duration') {
    throw new MsgGenError(
      where,
      `${what} uses the ROS 1 type '${raw}'; write builtin_interfaces/${raw === 'time' ? 'Time' : 'Duration'}`,
    );
  }
  const parts = raw.split('/');
  if (parts.length === 1) return `${pkg}/msg/${raw}`;
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return `${parts[0]}/msg/${parts[1]}`;
  throw new MsgGenError(
    where,
    `${what} has type '${raw}'; a .msg file refers to other messages as 'Name' or 'pkg/Name'`,
  );
}

/**
 * The messages rosidl derives for an action (rosidl_parser/definition.py, class
 * Action): SendGoal request/response, GetResult request/response and FeedbackMessage.
 * Also records the two derived services in `set.actionServices`.
 */
function deriveActionTypes(action: ActionDef, set: InterfaceSet): MessageEntry[] {
  const base = action.name;
  const complex = (name: string, type: string): FieldDef => ({ name, type, isComplex: true, isArray: false });
  const primitive = (name: string, type: PrimitiveType): FieldDef => ({ name, type, isComplex: false, isArray: false });
  const entry = (name: string, summary: string, fields: FieldDef[]): MessageEntry => ({
    def: { name, fields, constants: [] },
    docs: { summary: [summary], fields: {}, constants: {} },
    origin: base,
  });
  for (const service of ['_SendGoal', '_GetResult']) {
    const name = base + service;
    set.actionServices.set(name, { name, request: `${name}_Request`, response: `${name}_Response` });
  }
  return [
    entry(`${base}_SendGoal_Request`, `Goal request of ${base} (derived by rosidl).`, [
      complex('goal_id', UUID),
      complex('goal', action.goal),
    ]),
    entry(`${base}_SendGoal_Response`, `Goal response of ${base} (derived by rosidl).`, [
      primitive('accepted', 'bool'),
      complex('stamp', TIME),
    ]),
    entry(`${base}_GetResult_Request`, `Result request of ${base} (derived by rosidl).`, [complex('goal_id', UUID)]),
    entry(`${base}_GetResult_Response`, `Result response of ${base} (derived by rosidl).`, [
      primitive('status', 'int8'),
      complex('result', action.result),
    ]),
    entry(`${base}_FeedbackMessage`, `Feedback topic message of ${base} (derived by rosidl).`, [
      complex('goal_id', UUID),
      complex('feedback', action.feedback),
    ]),
  ];
}
