/**
 * Parameters changed while a node runs, the way `ros2 param set` changes them: through the standard
 * rcl_interfaces services `~/get_parameters`, `~/set_parameters`, `~/list_parameters`,
 * `~/describe_parameters` and `~/get_parameter_types`. A change is validated by the node's own zod
 * schema (the whole parameter set, so cross-field rules hold); a refused one is answered with the reason
 * and changes nothing. Only the parameters a node lists as settable (speed caps, zone sizes, timeouts)
 * change; the others are read-only and their descriptor says so. An accepted change is applied to the
 * node's parameter object in place, then the node's on-change hook runs (to rebuild what it derived).
 *
 * `applyParameterChanges` is the pure part; `serveParameters` wires it onto a node.
 */
import type { z } from 'zod';
import { describeParameters, type ParamDescriptor, type ParamValue, type RosParamType } from './graph/params';
import type { ParamChangeRequest, ParamChangeResult, RosNode } from './graph/types';
import type { MessageOf } from './interfaces';

type ParameterValueMsg = MessageOf<'rcl_interfaces/msg/ParameterValue'>;
type DescriptorMsg = MessageOf<'rcl_interfaces/msg/ParameterDescriptor'>;

/** rcl_interfaces/msg/ParameterType constants. */
export const PARAMETER_TYPE: Readonly<Record<RosParamType | 'not_set', number>> = {
  not_set: 0,
  bool: 1,
  integer: 2,
  double: 3,
  string: 4,
  bool_array: 6,
  integer_array: 7,
  double_array: 8,
  string_array: 9,
};

/** One requested change. */
export type ParamChange = ParamChangeRequest;
/** The answer to one change, as rcl_interfaces/msg/SetParametersResult. */
export type ChangeResult = ParamChangeResult;

export interface RuntimeParamsOptions<S extends z.ZodObject> {
  /** Names that may change while running; every other parameter is read-only. */
  settable: ReadonlyArray<keyof z.infer<S> & string>;
  /** Runs after accepted changes were applied to the values, with the names that changed. */
  onChange?: (changed: string[]) => void;
}

/**
 * Validates and applies `changes` one by one (as SetParameters does): each is checked against the
 * settable list, the declared type and the schema with every other value as it is now. Accepted ones are
 * written into `values` (the object the node reads). Returns one result per change and the names changed.
 */
export function applyParameterChanges<S extends z.ZodObject>(
  schema: S,
  values: z.infer<S>,
  descriptors: ReadonlyArray<ParamDescriptor>,
  settable: ReadonlySet<string>,
  changes: ReadonlyArray<ParamChange>,
): { results: ChangeResult[]; changed: string[] } {
  const results: ChangeResult[] = [];
  const changed: string[] = [];
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  const current = values as Record<string, unknown>;
  for (const { name, value } of changes) {
    const d = byName.get(name);
    if (!d) {
      results.push({ successful: false, reason: `parameter '${name}' is not declared` });
      continue;
    }
    if (!settable.has(name)) {
      results.push({
        successful: false,
        reason: `parameter '${name}' is read-only while the node runs: change it in the parameter file and restart`,
      });
      continue;
    }
    if (value === undefined) {
      results.push({ successful: false, reason: `parameter '${name}' cannot be unset` });
      continue;
    }
    const candidate = { ...current, [name]: value };
    const parsed = schema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.map(String).join('.') : name;
      results.push({
        successful: false,
        reason: `${where}: ${issue?.message ?? 'invalid'} (got ${JSON.stringify(value)}); nothing changed`,
      });
      continue;
    }
    const next = (parsed.data as Record<string, unknown>)[name];
    if (JSON.stringify(next) !== JSON.stringify(current[name])) {
      current[name] = next;
      changed.push(name);
    }
    results.push({ successful: true, reason: '' });
  }
  return { results, changed };
}

/** A ParameterValue message from a value of a declared type (PARAMETER_NOT_SET when undefined). */
export function toParameterValue(type: RosParamType | undefined, v: unknown): ParameterValueMsg {
  const msg: ParameterValueMsg = {
    type: 0,
    bool_value: false,
    integer_value: 0n as unknown as ParameterValueMsg['integer_value'],
    double_value: 0,
    string_value: '',
    byte_array_value: [] as unknown as ParameterValueMsg['byte_array_value'],
    bool_array_value: [],
    integer_array_value: [] as unknown as ParameterValueMsg['integer_array_value'],
    double_array_value: [],
    string_array_value: [],
  };
  if (type === undefined || v === undefined) return msg;
  msg.type = PARAMETER_TYPE[type];
  switch (type) {
    case 'bool':
      msg.bool_value = v as boolean;
      break;
    case 'integer':
      msg.integer_value = BigInt(v as number) as unknown as ParameterValueMsg['integer_value'];
      break;
    case 'double':
      msg.double_value = v as number;
      break;
    case 'string':
      msg.string_value = v as string;
      break;
    case 'bool_array':
      msg.bool_array_value = v as boolean[];
      break;
    case 'integer_array':
      msg.integer_array_value = (v as number[]).map((x) =>
        BigInt(x),
      ) as unknown as ParameterValueMsg['integer_array_value'];
      break;
    case 'double_array':
      msg.double_array_value = v as number[];
      break;
    case 'string_array':
      msg.string_array_value = v as string[];
      break;
  }
  return msg;
}

/** The plain value of a ParameterValue message, or undefined for PARAMETER_NOT_SET / byte arrays. */
export function fromParameterValue(m: ParameterValueMsg): ParamValue | undefined {
  switch (m.type) {
    case PARAMETER_TYPE.bool:
      return m.bool_value;
    case PARAMETER_TYPE.integer:
      return Number(m.integer_value);
    case PARAMETER_TYPE.double:
      return m.double_value;
    case PARAMETER_TYPE.string:
      return m.string_value;
    case PARAMETER_TYPE.bool_array:
      return [...m.bool_array_value];
    case PARAMETER_TYPE.integer_array:
      return Array.from(m.integer_array_value as ArrayLike<number | bigint>, (x) => Number(x));
    case PARAMETER_TYPE.double_array:
      return Array.from(m.double_array_value as ArrayLike<number>);
    case PARAMETER_TYPE.string_array:
      return [...m.string_array_value];
    default:
      return undefined;
  }
}

function descriptorMsg(d: ParamDescriptor, readOnly: boolean): DescriptorMsg {
  const msg: DescriptorMsg = {
    name: d.name,
    type: PARAMETER_TYPE[d.type],
    description: d.description,
    additional_constraints: readOnly ? 'read-only while the node runs' : 'validated by the node schema when set',
    read_only: readOnly,
    dynamic_typing: false,
    floating_point_range: [],
    integer_range: [],
  };
  if (d.type === 'double' && d.min !== undefined && d.max !== undefined) {
    msg.floating_point_range = [{ from_value: d.min, to_value: d.max, step: 0 }];
  } else if (d.type === 'integer' && d.min !== undefined && d.max !== undefined) {
    msg.integer_range = [
      {
        from_value: BigInt(d.min) as unknown as DescriptorMsg['integer_range'][number]['from_value'],
        to_value: BigInt(d.max) as unknown as DescriptorMsg['integer_range'][number]['to_value'],
        step: 1n as unknown as DescriptorMsg['integer_range'][number]['step'],
      },
    ];
  }
  return msg;
}

/**
 * Serves the rcl_interfaces parameter services for `node` over `values` (the object `declareParameters`
 * returned, which the node keeps reading). On rclnodejs, rcl serves these services itself for every
 * node: there the settable parameters are made writable and rcl's set requests go through the same
 * validation (RosNode.allowParameterSets).
 */
export function serveParameters<S extends z.ZodObject>(
  node: RosNode,
  schema: S,
  values: z.infer<S>,
  options: RuntimeParamsOptions<S>,
): { set(changes: ParamChange[]): ChangeResult[] } {
  const descriptors = describeParameters(schema, node.fullyQualifiedName);
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  const settable = new Set<string>(options.settable);
  const current = values as Record<string, unknown>;
  const set = (changes: ParamChange[]): ChangeResult[] => {
    const { results, changed } = applyParameterChanges(schema, values, descriptors, settable, changes);
    if (changed.length > 0) {
      node.logger.info(
        `parameters changed at run time: ${changed.map((n) => `${n}=${JSON.stringify(current[n])}`).join(', ')}`,
      );
      options.onChange?.(changed);
    }
    for (const [i, r] of results.entries()) {
      if (!r.successful) node.logger.warn(`parameter change refused: ${r.reason}`, { entity: changes[i]?.name });
    }
    return results;
  };
  if (node.implementation === 'rclnodejs') {
    // rcl serves the services; it routes every set through `set`
    node.allowParameterSets?.(set);
    return { set };
  }

  node.createService('rcl_interfaces/srv/GetParameters', '~/get_parameters', (req) => ({
    values: req.names.map((n) => toParameterValue(byName.get(n)?.type, current[n])),
  }));
  node.createService('rcl_interfaces/srv/GetParameterTypes', '~/get_parameter_types', (req) => ({
    types: req.names.map((n) => PARAMETER_TYPE[byName.get(n)?.type ?? 'not_set']),
  }));
  node.createService('rcl_interfaces/srv/DescribeParameters', '~/describe_parameters', (req) => ({
    descriptors: req.names.flatMap((n) => {
      const d = byName.get(n);
      return d ? [descriptorMsg(d, !settable.has(n))] : [];
    }),
  }));
  node.createService('rcl_interfaces/srv/ListParameters', '~/list_parameters', (req) => {
    const depth = Number(req.depth);
    const names = descriptors
      .map((d) => d.name)
      .filter((n) => req.prefixes.length === 0 || req.prefixes.some((p) => n === p || n.startsWith(`${p}.`)))
      .filter((n) => depth === 0 || n.split('.').length <= depth);
    return { result: { names, prefixes: [] } };
  });
  node.createService('rcl_interfaces/srv/SetParameters', '~/set_parameters', (req) => ({
    results: set(req.parameters.map((p) => ({ name: p.name, value: fromParameterValue(p.value) }))),
  }));
  return { set };
}
