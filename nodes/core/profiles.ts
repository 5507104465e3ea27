/**
 * The five robot profiles and the tasks each can perform. One module, shared by the MQTT contract
 * (typed task arguments in `perform_task` decisions), cloud_bridge (contract → kizuna_msgs/Decision)
 * and executive (Decision → behaviour), so the three cannot disagree on a task's arguments.
 *
 * On the ROS side a task travels as Decision.task_name + Decision.task_args (diagnostic_msgs/KeyValue
 * strings). `encodeTaskArgs` / `decodeTaskArgs` are the only conversion between the two forms:
 * numbers as decimal strings, a pose as `"x,y,yaw"` ([m, m, rad] in the map frame), a list of poses
 * as poses joined by `;`.
 */
import { z } from 'zod';

/** Robot profiles, one per kind of task robot in the fleet. */
export const PROFILE_NAMES = ['care', 'factory', 'delivery', 'farm', 'construction'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export const profileNameSchema = z.enum(PROFILE_NAMES);

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** A 2D pose in the map frame: x, y [m], yaw [rad]. */
export const pose2dSchema = z.strictObject({
  x: finite.describe('[m] x in the map frame'),
  y: finite.describe('[m] y in the map frame'),
  yaw: finite.describe('[rad] heading, counter-clockwise from +x').default(0),
});
export type Pose2D = z.infer<typeof pose2dSchema>;

const id = z.string().min(1).max(64);

/** Arguments of every task, by profile then task name. Units in each field's description. */
export const TASKS = {
  care: {
    accompany: z.strictObject({
      person_id: id.describe('person to accompany, an opaque id (never a name)'),
      destination: pose2dSchema.describe('where to walk the person to'),
      max_speed: finite.positive().max(1).optional().describe('[m/s] walking pace cap'),
    }),
    remind_medication: z.strictObject({
      room: pose2dSchema.describe('pose in front of the room to visit'),
      reminder_id: id.describe('which reminder to give; the text stays on the robot'),
    }),
  },
  delivery: {
    deliver_package: z.strictObject({
      pickup: pose2dSchema.describe('pickup station pose'),
      dropoff: pose2dSchema.describe('dropoff station pose'),
      package_id: id.describe('package id'),
    }),
  },
  factory: {
    move_material: z.strictObject({
      from: pose2dSchema.describe('pose to load at'),
      to: pose2dSchema.describe('pose to unload at'),
      material_id: id.describe('material or carrier id'),
    }),
  },
  farm: {
    water_row: z.strictObject({
      row_start: pose2dSchema.describe('start of the row'),
      row_end: pose2dSchema.describe('end of the row'),
      litres_per_metre: finite.positive().max(20).default(1).describe('[L/m] water per metre of row'),
    }),
  },
  construction: {
    survey_area: z.strictObject({
      waypoints: z.array(pose2dSchema).min(1).max(64).describe('survey waypoints, visited in order'),
    }),
  },
} as const satisfies Record<ProfileName, Record<string, z.ZodObject>>;

/** Names of the tasks `profile` can perform. */
export function taskNames(profile: ProfileName): string[] {
  return Object.keys(TASKS[profile]);
}

/** The argument schema of `task` in `profile`, or undefined when the profile has no such task. */
export function taskSchema(profile: ProfileName, task: string): z.ZodObject | undefined {
  const tasks = TASKS[profile] as Record<string, z.ZodObject>;
  return Object.prototype.hasOwnProperty.call(tasks, task) ? tasks[task] : undefined;
}

type ArgValue = number | string | Pose2D | Pose2D[] | undefined;

function encodePose(p: Pose2D): string {
  return `${p.x},${p.y},${p.yaw}`;
}

function decodePose(s: string): Pose2D | string {
  const parts = s.split(',');
  if (parts.length !== 3) return s;
  const [x, y, yaw] = parts.map(Number) as [number, number, number];
  return { x, y, yaw };
}

/** Task arguments (already validated) as Decision.task_args key/value strings, keys sorted. */
export function encodeTaskArgs(args: Record<string, ArgValue>): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  for (const key of Object.keys(args).sort()) {
    const v = args[key];
    if (v === undefined) continue;
    let value: string;
    if (Array.isArray(v)) value = v.map(encodePose).join(';');
    else if (typeof v === 'object') value = encodePose(v);
    else value = String(v);
    out.push({ key, value });
  }
  return out;
}

type FieldKind = 'poses' | 'pose' | 'number' | 'string';
const fieldKindCache = new Map<string, Map<string, FieldKind>>();

/** How each argument of a task is encoded as a string, worked out once per task from its schema. */
function fieldKinds(profile: ProfileName, task: string, schema: z.ZodObject): Map<string, FieldKind> {
  const cacheKey = `${profile}/${task}`;
  let kinds = fieldKindCache.get(cacheKey);
  if (kinds) return kinds;
  kinds = new Map();
  for (const [key, field] of Object.entries(schema.shape)) {
    const desc = JSON.stringify(z.toJSONSchema(field as z.ZodType, { unrepresentable: 'any', io: 'input' }));
    kinds.set(
      key,
      desc.includes('"type":"array"')
        ? 'poses'
        : desc.includes('"x"')
          ? 'pose'
          : desc.includes('"type":"number"')
            ? 'number'
            : 'string',
    );
  }
  fieldKindCache.set(cacheKey, kinds);
  return kinds;
}

/**
 * Decision.task_args back into typed, validated arguments of `task` in `profile`. Returns the zod
 * result so the caller can report the first issue's path.
 */
export function decodeTaskArgs(
  profile: ProfileName,
  task: string,
  kv: ReadonlyArray<{ key: string; value: string }>,
): { success: true; data: Record<string, unknown> } | { success: false; error: string } {
  const schema = taskSchema(profile, task);
  if (!schema) return { success: false, error: `profile '${profile}' has no task '${task}'` };
  const kinds = fieldKinds(profile, task, schema);
  const raw: Record<string, unknown> = {};
  for (const { key, value } of kv) {
    const kind = kinds.get(key);
    if (kind === 'poses') raw[key] = value === '' ? [] : value.split(';').map(decodePose);
    else if (kind === 'pose') raw[key] = decodePose(value);
    else if (kind === 'number') raw[key] = value.trim() === '' ? Number.NaN : Number(value);
    else raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { success: true, data: parsed.data as Record<string, unknown> };
  const issue = parsed.error.issues[0];
  return { success: false, error: `${issue?.path.join('.') || '(args)'}: ${issue?.message ?? 'invalid'}` };
}
