/**
 * Node parameters declared with a zod schema, resolved the way ROS 2 does it: declared default,
 * overridden by parameter files and `-p` flags, then validated. Both graph implementations use this,
 * so a bad value fails the same way on a robot and in a test.
 */
import { z } from 'zod';
import { KizunaError } from '../errors';
import type { Logger } from '../logging';

/** A ROS 2 parameter value (rcl_interfaces/msg/ParameterValue without byte arrays). */
export type ParamValue = boolean | number | string | boolean[] | number[] | string[];

/** The ROS 2 parameter type a schema maps to (rcl_interfaces/msg/ParameterType names). */
export type RosParamType =
  'bool' | 'integer' | 'double' | 'string' | 'bool_array' | 'integer_array' | 'double_array' | 'string_array';

/** What a node declares for one parameter: enough to build an rcl_interfaces/msg/ParameterDescriptor. */
export interface ParamDescriptor {
  name: string;
  type: RosParamType;
  /** From the schema's `.describe()`: should carry the unit, e.g. `[m] stop distance`. */
  description: string;
  /** Absent for a required parameter. */
  defaultValue?: ParamValue;
  required: boolean;
  /** Inclusive numeric range, when the schema sets one. */
  min?: number;
  max?: number;
}

interface JsonSchemaLike {
  type?: string;
  items?: JsonSchemaLike;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  anyOf?: JsonSchemaLike[];
}

const SCALAR: Record<string, RosParamType> = {
  boolean: 'bool',
  integer: 'integer',
  number: 'double',
  string: 'string',
};

/** The ROS 2 descriptors for every key of a parameter schema. Throws KZ_ERR_PARAM_INVALID for an unsupported type. */
export function describeParameters(schema: z.ZodObject, nodeName: string): ParamDescriptor[] {
  const out: ParamDescriptor[] = [];
  for (const [name, field] of Object.entries(schema.shape)) {
    const fieldSchema = field as z.ZodType;
    let js: JsonSchemaLike;
    try {
      js = z.toJSONSchema(fieldSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaLike;
    } catch (cause) {
      throw new KizunaError(
        'KZ_ERR_PARAM_INVALID',
        `${nodeName}: parameter '${name}' has a schema ROS 2 cannot represent`,
        {
          node: nodeName,
          entity: name,
        },
        { cause },
      );
    }
    const type = rosTypeOf(js);
    if (!type) {
      throw new KizunaError(
        'KZ_ERR_PARAM_INVALID',
        `${nodeName}: parameter '${name}' must be a bool, integer, double, string or an array of one of them`,
        { node: nodeName, entity: name },
      );
    }
    const optional = fieldSchema.safeParse(undefined).success;
    const defaultValue = js.default as ParamValue | undefined;
    out.push({
      name,
      type,
      description: js.description ?? fieldSchema.description ?? '',
      ...(defaultValue !== undefined ? { defaultValue } : {}),
      required: !optional,
      ...(js.minimum !== undefined ? { min: js.minimum } : {}),
      ...(js.maximum !== undefined ? { max: js.maximum } : {}),
    });
  }
  return out;
}

function rosTypeOf(js: JsonSchemaLike): RosParamType | undefined {
  if (js.type === 'array') {
    const item = js.items?.type ? SCALAR[js.items.type] : undefined;
    return item ? (`${item}_array` as RosParamType) : undefined;
  }
  if (js.type) return SCALAR[js.type];
  if (js.enum && js.enum.every((v) => typeof v === 'string')) return 'string';
  return undefined;
}

/**
 * Validates override values against a parameter schema and returns the typed parameters.
 * Throws one KZ_ERR_PARAM_INVALID that names the node and every bad key with its reason.
 */
export function resolveParameters<S extends z.ZodObject>(
  schema: S,
  overrides: Readonly<Record<string, ParamValue>>,
  nodeName: string,
): z.infer<S> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    if (Object.prototype.hasOwnProperty.call(overrides, key)) input[key] = overrides[key];
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(parameters)';
    const given = issue.path.length > 0 ? input[String(issue.path[0])] : undefined;
    const why = given === undefined && issue.code === 'invalid_type' ? 'required parameter is not set' : issue.message;
    return { key, why, given };
  });
  const text = problems
    .map((p) => `'${p.key}': ${p.why}${p.given !== undefined ? ` (got ${JSON.stringify(p.given)})` : ''}`)
    .join('; ');
  throw new KizunaError('KZ_ERR_PARAM_INVALID', `node '${nodeName}': invalid parameter ${text}`, {
    node: nodeName,
    entity: problems[0]?.key,
    problems,
  });
}

/**
 * Parameters every node understands without declaring them: `use_sim_time` (ROS 2) and `log_level`
 * (read by the runner before the node starts; `--ros-args --log-level` wins over it).
 */
export const NODE_LEVEL_PARAMETERS = ['use_sim_time', 'log_level'] as const;

/** Override keys that the schema does not declare (typos in a parameter file show up here). */
export function undeclaredOverrides(schema: z.ZodObject, overrides: Readonly<Record<string, ParamValue>>): string[] {
  const declared = new Set<string>([...Object.keys(schema.shape), ...NODE_LEVEL_PARAMETERS]);
  return Object.keys(overrides).filter((k) => !declared.has(k));
}

/** Reads `use_sim_time` from overrides (default false). Throws KZ_ERR_PARAM_INVALID when it is not a bool. */
export function useSimTimeFrom(overrides: Readonly<Record<string, ParamValue>> | undefined, nodeName: string): boolean {
  const v = overrides?.use_sim_time;
  if (v === undefined) return false;
  if (typeof v !== 'boolean') {
    throw new KizunaError(
      'KZ_ERR_PARAM_INVALID',
      `node '${nodeName}': parameter 'use_sim_time' must be a bool, got ${JSON.stringify(v)}`,
      {
        node: nodeName,
        entity: 'use_sim_time',
      },
    );
  }
  return v;
}

/**
 * The part of `declareParameters` both graph implementations share: refuses `use_sim_time` in the schema
 * and parameters already declared, validates the overrides, and warns about overrides nothing declares.
 * Returns the ROS descriptors and the typed values; the caller then declares them on its middleware.
 */
export function prepareDeclaration<S extends z.ZodObject>(
  schema: S,
  overrides: Readonly<Record<string, ParamValue>>,
  nodeName: string,
  isDeclared: (name: string) => boolean,
  logger: Logger,
): { descriptors: ParamDescriptor[]; values: z.infer<S> } {
  const refuse = (name: string, why: string): KizunaError =>
    new KizunaError('KZ_ERR_PARAM_INVALID', `node '${nodeName}': ${why}`, { node: nodeName, entity: name });
  if (Object.prototype.hasOwnProperty.call(schema.shape, 'use_sim_time')) {
    throw refuse('use_sim_time', "'use_sim_time' is declared by the node itself");
  }
  const descriptors = describeParameters(schema, nodeName);
  for (const d of descriptors) {
    if (isDeclared(d.name)) throw refuse(d.name, `parameter '${d.name}' is already declared`);
  }
  const values = resolveParameters(schema, overrides, nodeName);
  const unknown = undeclaredOverrides(schema, overrides);
  if (unknown.length > 0) {
    logger.warn(`parameter overrides for undeclared parameters ignored: ${unknown.join(', ')}`, {
      code: 'KZ_ERR_PARAM_UNDECLARED',
    });
  }
  return { descriptors, values };
}
