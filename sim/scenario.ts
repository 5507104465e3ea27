/**
 * The scenario file format: one YAML file describes a run of the built-in simulation — the world,
 * the robots, scripted people, faults at given times, the planner and the pass criteria. The zod
 * schema below is the format (sim/README.md documents every field with an example); objects are
 * strict, so a misspelled key is an error, and every error names the path to the bad field
 * (`robots[2].start.yaw: expected number, received string`) and its line in the file.
 *
 * `scenarioWorld()` turns a validated scenario into the World's inputs (profile defaults filled in);
 * `faultTimeline()` and `applyWorldFault()` schedule faults; `evaluatePass()` checks the criteria.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { REJECT_REASONS, type RejectReason } from '../nodes/core/contract/schemas';
import { KizunaError } from '../nodes/core/errors';
import { PROFILE_NAMES, type ProfileName, pose2dSchema, taskNames, taskSchema } from '../nodes/core/profiles';
import {
  type Footprint,
  footprintRadius,
  placeFootprint,
  pointInPolygon,
  polygonArea,
  polylineSegments,
  shapePolygonDistance,
  shapeSegmentDistance,
  segmentsIntersect,
  shapeShapeDistance,
} from './geometry';
import { fullCircle } from './lidar';
import type { PersonConfig } from './people';
import { type LidarLayout, PROFILE_DEFAULTS } from './profile-defaults';
import { SENSORS, type SimRobotConfig, type World, type WorldMap, type WorldOptions } from './world';

// ---------------------------------------------------------------------------------------------
// Building blocks

/** [m] a coordinate in the map frame: within 1,000 km of the origin (keeps the world's grids finite). */
const coord = z.number().min(-1e6).max(1e6);
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const ratio = z.number().min(0).max(1);

/** Robot ids become ROS namespaces and MQTT topic levels: letters, digits and `_`, starting with a letter. */
const robotId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'expected a robot id: a letter, then letters, digits or _ (at most 64)');
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a name: letters, digits, _ . - (at most 64)');

/** A point [x, y] in metres. */
const point = z.tuple([coord, coord]).describe('[m] [x, y] in the map frame');
const pose = pose2dSchema;

const polygon = z
  .array(point)
  .min(3)
  .refine((pts) => Math.abs(polygonArea(pts.map(([x, y]) => ({ x, y })))) > 1e-9, 'polygon has zero area');

// ---------------------------------------------------------------------------------------------
// World

const wallSchema = z.strictObject({
  id: name,
  points: z.array(point).min(2).describe('polyline vertices'),
  closed: z.boolean().default(false).describe('join the last point to the first'),
});

const obstacleSchema = z.strictObject({
  id: name,
  points: polygon.describe('closed polygon, solid inside'),
});

export const STATION_KINDS = [
  'dock',
  'pickup',
  'dropoff',
  'room',
  'row_start',
  'row_end',
  'survey',
  'waypoint',
] as const;

const stationSchema = z.strictObject({
  name,
  kind: z.enum(STATION_KINDS),
  pose,
  profiles: z.array(z.enum(PROFILE_NAMES)).min(1).optional().describe('profiles that use it (default: all)'),
});

const worldSchema = z.strictObject({
  walls: z.array(wallSchema).default([]),
  obstacles: z.array(obstacleSchema).default([]),
  stations: z.array(stationSchema).default([]),
  estop_cuts_drive: z.boolean().default(false),
});

// ---------------------------------------------------------------------------------------------
// Robots

const footprintSchema = z.union([
  z.strictObject({ radius_m: positive.max(5) }),
  z.strictObject({ polygon: polygon.describe('[m] vertices in base_link') }),
]);

const limitsSchema = z.strictObject({
  max_linear_mps: positive.max(20).optional(),
  max_reverse_mps: nonNegative.max(20).optional(),
  max_angular_radps: positive.max(20).optional(),
  linear_accel_mps2: positive.max(100).optional(),
  linear_decel_mps2: positive.max(100).optional(),
  angular_accel_radps2: positive.max(100).optional(),
});

const lidarSchema = z.strictObject({
  beams: z.number().int().min(2).max(8192).default(180),
  angle_min_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
  angle_max_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
  range_min_m: nonNegative.default(0.12),
  range_max_m: positive.max(200).default(12),
  rate_hz: positive.max(100).default(10),
  noise_std_m: nonNegative.max(1).default(0.01),
});

/** A relative or absolute ROS 2 topic name (the robot's namespace applies to relative ones). */
const topicName = z
  .string()
  .regex(/^\/?[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)*$/, 'expected a ROS 2 topic name such as scan_front');

const lidarLayoutSchema = z.strictObject({
  topic: topicName,
  frame: z.string().regex(/^[A-Za-z][A-Za-z0-9_/]{0,127}$/, 'expected a frame id such as laser_front'),
  mount: pose.describe('the laser frame in base_link'),
  angle_min_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
  angle_max_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
});

const odomSchema = z.strictObject({
  rate_hz: positive.max(1000).default(20),
  linear_noise_ratio: nonNegative.max(1).default(0.01),
  angular_noise_ratio: nonNegative.max(1).default(0.01),
});

const imuSchema = z.strictObject({
  rate_hz: positive.max(1000).default(20),
  gyro_noise_std_radps: nonNegative.max(1).default(0.002),
  accel_noise_std_mps2: nonNegative.max(10).default(0.02),
});

const batterySchema = z.strictObject({
  initial_percentage: ratio.default(1),
  rate_hz: positive.max(100).default(1),
  capacity_wh: positive.optional(),
  full_voltage_v: positive.optional(),
  empty_voltage_v: positive.optional(),
  idle_power_w: nonNegative.optional(),
  drive_power_w_per_mps: nonNegative.optional(),
  turn_power_w_per_radps: nonNegative.optional(),
  charge_power_w: nonNegative.optional(),
  dock_radius_m: positive.optional(),
});

const robotSchema = z.strictObject({
  id: robotId,
  profile: z.enum(PROFILE_NAMES),
  start: pose,
  footprint: footprintSchema.optional(),
  limits: limitsSchema.default({}),
  lidar: lidarSchema.default(lidarSchema.parse({})),
  lidars: z.array(lidarLayoutSchema).min(1).max(8).optional(),
  odom: odomSchema.default(odomSchema.parse({})),
  imu: imuSchema.default(imuSchema.parse({})),
  battery: batterySchema.default(batterySchema.parse({})),
  cmd_timeout_s: positive.max(10).default(0.5),
  estop_rate_hz: positive.max(100).default(10).describe('[Hz] e-stop state reports (std_msgs/Bool)'),
});

// ---------------------------------------------------------------------------------------------
// People

const waypointSchema = z.strictObject({ x: coord, y: coord, pause_s: nonNegative.optional() });

const personSchema = z.strictObject({
  id: name,
  radius_m: positive.max(2).default(0.3),
  speed_mps: positive.max(5).default(1),
  pause_s: nonNegative.default(0),
  mode: z.enum(['once', 'loop']).default('once'),
  start_s: nonNegative.default(0),
  waypoints: z.array(waypointSchema).min(1),
});

// ---------------------------------------------------------------------------------------------
// Faults

const at = nonNegative.describe('[s] sim time');

/**
 * Ways an injected decision is forged or malformed: one per reason code the bridge rejects with
 * (nodes/core/contract REJECT_REASONS, in lower case), so each attack names the rejection it must get.
 */
export const DECISION_ATTACKS = REJECT_REASONS.map((r) => r.toLowerCase() as Lowercase<RejectReason>);
export type DecisionAttack = Lowercase<RejectReason>;

/** The reason code the bridge must reject an injected decision with (the attack's name in upper case). */
export function expectedRejectReason(attack: DecisionAttack): RejectReason {
  return attack.toUpperCase() as RejectReason;
}

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('broker_down'), at_s: at }),
  z.strictObject({ kind: z.literal('broker_up'), at_s: at }),
  z.strictObject({ kind: z.literal('link_down'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('link_up'), at_s: at, robot: robotId }),
  z.strictObject({
    kind: z.literal('sensor_dropout'),
    at_s: at,
    robot: robotId,
    sensor: z.enum(SENSORS),
    duration_s: positive.optional().describe('[s] restore after this long (default: until sensor_restore)'),
  }),
  z.strictObject({ kind: z.literal('sensor_restore'), at_s: at, robot: robotId, sensor: z.enum(SENSORS) }),
  z.strictObject({ kind: z.literal('estop_press'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('estop_release'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('battery_drop'), at_s: at, robot: robotId, percentage: ratio }),
  z.strictObject({
    kind: z.literal('inject_decision'),
    at_s: at,
    robot: robotId,
    attack: z.enum(DECISION_ATTACKS as [DecisionAttack, ...DecisionAttack[]]),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Planner

const target = {
  station: name.optional().describe('a station name from world.stations'),
  pose: pose.optional(),
};

const decisionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('navigate_to'),
    at_s: at,
    robot: robotId,
    ...target,
    max_speed_mps: positive.max(20).optional().describe('[m/s] speed cap for this trip'),
  }),
  z.strictObject({
    kind: z.literal('dock'),
    at_s: at,
    robot: robotId,
    station: name.optional().describe('a dock station (default: the nearest dock for the robot)'),
  }),
  z.strictObject({
    kind: z.literal('hold'),
    at_s: at,
    robot: robotId,
    duration_s: positive.optional().describe('[s] then resume (default: hold until a resume)'),
  }),
  z.strictObject({ kind: z.literal('stop'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('resume'), at_s: at, robot: robotId }),
  z.strictObject({
    kind: z.literal('set_speed_limit'),
    at_s: at,
    robot: robotId,
    speed_mps: nonNegative.max(20).describe('[m/s] max linear speed until changed; 0 clears the limit'),
  }),
  z.strictObject({
    kind: z.literal('perform_task'),
    at_s: at,
    robot: robotId,
    task: z.string().min(1),
    args: z.record(z.string(), z.unknown()).default({}),
  }),
]);

/** The decision kinds a scripted planner can send (the contract's kinds, checked by a test). */
export const SCENARIO_DECISION_KINDS = decisionSchema.options.map((o) => o.shape.kind.value);

const plannerSchema = z.strictObject({
  mode: z.enum(['reference', 'scripted', 'none']).default('reference'),
  decisions: z.array(decisionSchema).optional().describe('only with mode scripted'),
});

// ---------------------------------------------------------------------------------------------
// Pass criteria

const passSchema = z.strictObject({
  no_collisions: z.boolean().optional(),
  min_clearance_m: nonNegative.optional(),
  tasks_completed_at_least: z.number().int().nonnegative().optional(),
  tasks_failed_max: z.number().int().nonnegative().optional(),
  events_lost_max: z.number().int().nonnegative().optional(),
  injected_decisions_rejected: z.boolean().optional(),
  distance_travelled_at_least_m: nonNegative.optional(),
});

// ---------------------------------------------------------------------------------------------
// The file

const scenarioObject = z.strictObject({
  name,
  description: z.string().max(2000).optional(),
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  duration_s: positive.max(86400),
  dt_s: positive.max(0.5).default(0.05),
  world: worldSchema,
  robots: z.array(robotSchema).min(1).max(10000),
  people: z.array(personSchema).default([]),
  faults: z.array(faultSchema).default([]),
  planner: plannerSchema.default({ mode: 'reference' }),
  pass: passSchema.default({}),
});

type Ctx = z.core.$RefinementCtx<z.infer<typeof scenarioObject>>;

function issue(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/** Reports every repeat of an id or name across `lists` (each with its path, e.g. ['world', 'walls']). */
function uniqueIds(
  ctx: Ctx,
  lists: ReadonlyArray<[path: (string | number)[], items: readonly { id?: string; name?: string }[]]>,
  key: 'id' | 'name',
): void {
  const seen = new Set<string>();
  for (const [path, items] of lists) {
    items.forEach((it, i) => {
      const v = it[key]!;
      if (seen.has(v)) issue(ctx, [...path, i, key], `duplicate ${key} '${v}'`);
      seen.add(v);
    });
  }
}

function footprintOf(fp: z.infer<typeof footprintSchema> | undefined, profile: ProfileName): Footprint {
  if (!fp) return PROFILE_DEFAULTS[profile].footprint;
  if ('radius_m' in fp) return { kind: 'circle', radius: fp.radius_m };
  return { kind: 'polygon', points: fp.polygon.map(([x, y]) => ({ x, y })) };
}

/** Cross-field rules: references resolve, ids are unique, ranges are ordered, robots start clear. */
function crossCheck(s: z.infer<typeof scenarioObject>, ctx: Ctx): void {
  uniqueIds(ctx, [[['robots'], s.robots]], 'id');
  uniqueIds(ctx, [[['people'], s.people]], 'id');
  uniqueIds(ctx, [[['world', 'stations'], s.world.stations]], 'name');
  uniqueIds(
    ctx,
    [
      [['world', 'walls'], s.world.walls],
      [['world', 'obstacles'], s.world.obstacles],
    ],
    'id',
  );

  const profiles = new Map(s.robots.map((r) => [r.id, r.profile]));
  const stations = new Set(s.world.stations.map((st) => st.name));

  s.robots.forEach((r, i) => {
    const l = r.lidar;
    const angles = (a: { angle_min_rad?: number; angle_max_rad?: number }, path: (string | number)[]) => {
      if ((a.angle_min_rad === undefined) !== (a.angle_max_rad === undefined)) {
        issue(ctx, path, 'give both angle_min_rad and angle_max_rad, or neither (full circle)');
      } else if (a.angle_min_rad !== undefined && a.angle_max_rad! <= a.angle_min_rad) {
        issue(ctx, [...path, 'angle_max_rad'], 'must be greater than angle_min_rad');
      }
    };
    angles(l, ['robots', i, 'lidar']);
    r.lidars?.forEach((layout, k) => angles(layout, ['robots', i, 'lidars', k]));
    uniqueBy(ctx, r.lidars ?? [], ['robots', i, 'lidars'], 'topic');
    if (l.range_max_m <= l.range_min_m)
      issue(ctx, ['robots', i, 'lidar', 'range_max_m'], 'must be greater than range_min_m');
    // A sensor cannot report more often than the world steps.
    const stepHz = 1 / s.dt_s;
    for (const [sensor, rate] of [
      ['lidar', l.rate_hz],
      ['odom', r.odom.rate_hz],
      ['imu', r.imu.rate_hz],
      ['battery', r.battery.rate_hz],
      ['estop', r.estop_rate_hz],
    ] as const) {
      if (rate > stepHz + 1e-9) {
        issue(
          ctx,
          sensor === 'estop' ? ['robots', i, 'estop_rate_hz'] : ['robots', i, sensor, 'rate_hz'],
          `${rate} Hz is faster than the world steps (1 / dt_s = ${stepHz} Hz)`,
        );
      }
    }
    const b = { ...PROFILE_DEFAULTS[r.profile].battery, ...stripUndefined(r.battery) };
    if ((r.battery.full_voltage_v ?? b.fullVoltageV) <= (r.battery.empty_voltage_v ?? b.emptyVoltageV)) {
      issue(ctx, ['robots', i, 'battery', 'full_voltage_v'], 'must be greater than empty_voltage_v');
    }
  });

  // Robots must start clear of walls, obstacles and each other (a scenario that starts in a
  // collision is a mistake in the file, not a result).
  const walls = s.world.walls.map((w) => ({
    w,
    segs: polylineSegments(
      w.points.map(([x, y]) => ({ x, y })),
      w.closed,
    ),
  }));
  const obstacles = s.world.obstacles.map((o) => {
    const pts = o.points.map(([x, y]) => ({ x, y }));
    return { o, pts, edges: polylineSegments(pts, true) };
  });
  const footprints = s.robots.map((r) => footprintOf(r.footprint, r.profile));
  const placed = s.robots.map((r, i) => placeFootprint(footprints[i]!, r.start));
  const reach = footprints.map(footprintRadius);
  placed.forEach((shape, i) => {
    const where = ['robots', i, 'start'];
    for (const { w, segs } of walls) {
      if (segs.some((seg) => shapeSegmentDistance(shape, seg) === 0))
        issue(ctx, where, `footprint touches wall '${w.id}'`);
    }
    for (const { o, pts, edges } of obstacles) {
      if (shapePolygonDistance(shape, pts, edges) === 0) issue(ctx, where, `footprint touches obstacle '${o.id}'`);
    }
    const a = s.robots[i]!.start;
    for (let j = 0; j < i; j++) {
      // Bounding circles first: large fleets have many robots and few neighbours.
      const b = s.robots[j]!.start;
      if (Math.hypot(a.x - b.x, a.y - b.y) > reach[i]! + reach[j]!) continue;
      if (shapeShapeDistance(shape, placed[j]!) === 0)
        issue(ctx, where, `footprint touches robot '${s.robots[j]!.id}'`);
    }
  });

  // People walk from waypoint to waypoint in straight lines: none may go through a wall or an
  // obstacle, nor stand inside one.
  s.people.forEach((p, i) => {
    const wps = p.waypoints;
    const legs = p.mode === 'loop' && wps.length > 1 ? wps.length : wps.length - 1;
    wps.forEach((w, j) => {
      for (const { o, pts } of obstacles) {
        if (pointInPolygon(w.x, w.y, pts)) issue(ctx, ['people', i, 'waypoints', j], `inside obstacle '${o.id}'`);
      }
    });
    for (let j = 0; j < legs; j++) {
      const a = wps[j]!;
      const b = wps[(j + 1) % wps.length]!;
      const leg = { ax: a.x, ay: a.y, bx: b.x, by: b.y };
      const hit =
        walls.find(({ segs }) => segs.some((seg) => segmentsIntersect(leg, seg)))?.w.id ??
        obstacles.find(({ edges }) => edges.some((seg) => segmentsIntersect(leg, seg)))?.o.id;
      if (hit !== undefined) {
        issue(ctx, ['people', i, 'waypoints', j], `the walk to the next waypoint goes through '${hit}'`);
      }
    }
  });

  s.faults.forEach((f, i) => {
    if (f.at_s > s.duration_s)
      issue(ctx, ['faults', i, 'at_s'], `after the end of the run (duration_s ${s.duration_s})`);
    if ('robot' in f && !profiles.has(f.robot)) issue(ctx, ['faults', i, 'robot'], `no robot with id '${f.robot}'`);
  });

  const decisions = s.planner.decisions;
  if (s.planner.mode === 'scripted' && (!decisions || decisions.length === 0)) {
    issue(ctx, ['planner', 'decisions'], "mode 'scripted' needs at least one decision");
  }
  if (s.planner.mode !== 'scripted' && decisions !== undefined) {
    issue(ctx, ['planner', 'decisions'], `only allowed with mode 'scripted' (mode is '${s.planner.mode}')`);
  }
  (decisions ?? []).forEach((d, i) => {
    const p = ['planner', 'decisions', i];
    if (d.at_s > s.duration_s) issue(ctx, [...p, 'at_s'], `after the end of the run (duration_s ${s.duration_s})`);
    const profile = profiles.get(d.robot);
    if (!profile) {
      issue(ctx, [...p, 'robot'], `no robot with id '${d.robot}'`);
      return;
    }
    if ('station' in d && d.station !== undefined && !stations.has(d.station)) {
      issue(ctx, [...p, 'station'], `no station named '${d.station}'`);
    }
    if (d.kind === 'navigate_to' && (d.station === undefined) === (d.pose === undefined)) {
      issue(ctx, p, 'navigate_to needs exactly one of station or pose');
    }
    if (d.kind === 'perform_task') {
      const schema = taskSchema(profile, d.task);
      if (!schema) {
        issue(
          ctx,
          [...p, 'task'],
          `profile '${profile}' has no task '${d.task}' (tasks: ${taskNames(profile).join(', ')})`,
        );
        return;
      }
      const parsed = schema.safeParse(d.args, { error: zodMessage });
      if (!parsed.success) {
        for (const is of parsed.error.issues) {
          const base = [...p, 'args', ...(is.path as (string | number)[])];
          if (is.code === 'unrecognized_keys') for (const k of is.keys) issue(ctx, [...base, k], 'unknown key');
          else issue(ctx, base, is.message);
        }
      }
    }
  });
}

/** Reports repeats of `key` among `items` (within one list). */
function uniqueBy<K extends string>(
  ctx: Ctx,
  items: readonly Record<K, string>[],
  path: (string | number)[],
  key: K,
): void {
  const seen = new Set<string>();
  items.forEach((it, i) => {
    if (seen.has(it[key])) issue(ctx, [...path, i, key], `duplicate ${key} '${it[key]}'`);
    seen.add(it[key]);
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * perform_task arguments as their task schema parses them (defaults filled in, e.g. water_row's
 * litres_per_metre); crossCheck has already refused any that do not parse.
 */
function parseTaskArgs(s: z.infer<typeof scenarioObject>): z.infer<typeof scenarioObject> {
  const profiles = new Map(s.robots.map((r) => [r.id, r.profile]));
  const decisions = s.planner.decisions?.map((d) => {
    if (d.kind !== 'perform_task') return d;
    const schema = taskSchema(profiles.get(d.robot)!, d.task)!;
    return { ...d, args: schema.parse(d.args) as Record<string, unknown> };
  });
  return decisions ? { ...s, planner: { ...s.planner, decisions } } : s;
}

/** The scenario schema (zod), cross-field rules included. */
export const scenarioSchema = scenarioObject.superRefine(crossCheck).transform(parseTaskArgs);

/** A validated scenario, defaults filled in. */
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioFault = Scenario['faults'][number];
export type ScenarioDecision = NonNullable<Scenario['planner']['decisions']>[number];
export type PassCriteria = Scenario['pass'];

// ---------------------------------------------------------------------------------------------
// Errors that name the field

/** One problem in a scenario: the path to the field (`robots[2].start.yaw`), its line, and why. */
export interface ScenarioProblem {
  path: string;
  line?: number;
  message: string;
}

/** `['robots', 2, 'start', 'yaw']` → `robots[2].start.yaw`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(top level)' : out;
}

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)}`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

/** Issue messages in the scenario's terms (zod error map). */
function zodMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return `required (expected ${iss.expected})`;
      return `expected ${iss.expected}, received ${describeInput(iss.input)}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_union':
      if ('discriminator' in iss && 'options' in iss) {
        const opts = (iss.options as unknown[]).map((o) => `'${String(o)}'`).join(' | ');
        const input = iss.input as Record<string, unknown> | undefined;
        const value = input && typeof input === 'object' ? input[String(iss.discriminator)] : input;
        if (value === undefined) return `required (expected one of ${opts})`;
        return `expected one of ${opts}, received ${describeInput(value)}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function problemsOf(error: z.ZodError, doc?: Document, lc?: LineCounter): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  for (const iss of error.issues) {
    const paths: PropertyKey[][] =
      iss.code === 'unrecognized_keys' ? iss.keys.map((k) => [...iss.path, k]) : [[...iss.path]];
    for (const p of paths) {
      const line = doc && lc ? lineOf(doc, lc, p) : undefined;
      out.push({ path: formatPath(p), ...(line !== undefined ? { line } : {}), message: iss.message });
    }
  }
  return out;
}

/** The 1-based line of the deepest node that exists along `path` (the key itself for unknown keys). */
function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

function scenarioError(source: string, problems: ScenarioProblem[]): KizunaError {
  const where = (p: ScenarioProblem): string => `${p.path}${p.line !== undefined ? ` (line ${p.line})` : ''}`;
  const lines = problems.slice(0, 20).map((p) => `  ${where(p)}: ${p.message}`);
  const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '';
  const first = problems[0]!;
  const rest = problems.length > 1 ? `\n${lines.join('\n')}${more}` : '';
  return new KizunaError(
    'KZ_ERR_SCENARIO_INVALID',
    `scenario ${source} is invalid: ${where(first)}: ${first.message}${rest}`,
    {
      entity: source,
      field: first.path,
      problems,
    },
  );
}

/** The validated scenario from plain data (e.g. parsed YAML); throws KZ_ERR_SCENARIO_INVALID naming each bad field. */
export function parseScenario(data: unknown, source = '(inline)'): Scenario {
  const r = scenarioSchema.safeParse(data, { error: zodMessage });
  if (!r.success) throw scenarioError(source, problemsOf(r.error));
  return r.data;
}

/** The validated scenario from YAML text; errors also give the line of the bad field. */
export function parseScenarioYaml(text: string, source = '(inline)'): Scenario {
  const lc = new LineCounter();
  // logLevel 'error': the yaml package would print warnings (e.g. a mapping used as a key) to stderr;
  // such a key becomes a string here, which the strict schema then reports as an unknown key.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new KizunaError(
      'KZ_ERR_SCENARIO_INVALID',
      `scenario ${source} is not valid YAML${line !== undefined ? ` (line ${line})` : ''}: ${e.message.split('\n')[0]}`,
      { entity: source, ...(line !== undefined ? { line } : {}) },
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias without its anchor, or an alias bomb, is only found while building the data.
    throw new KizunaError(
      'KZ_ERR_SCENARIO_INVALID',
      `scenario ${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      { entity: source },
      { cause: err },
    );
  }
  const r = scenarioSchema.safeParse(data, { error: zodMessage });
  if (!r.success) throw scenarioError(source, problemsOf(r.error, doc, lc));
  return r.data;
}

/** Reads and validates a scenario file; a missing or unreadable file is KZ_ERR_SCENARIO_INVALID too. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(err);
    throw new KizunaError(
      'KZ_ERR_SCENARIO_INVALID',
      `cannot read scenario file ${file}: ${why}`,
      { entity: file },
      { cause: err },
    );
  }
  return parseScenarioYaml(text, file);
}

// ---------------------------------------------------------------------------------------------
// From a scenario to the World's inputs

/**
 * The World's inputs for a scenario: map, robots with profile defaults applied, people, options.
 * `only` keeps just the robots with those ids (a shard's share of the fleet; robots in other
 * shards' Worlds are neither seen nor touched, so shard by building or area).
 */
export function scenarioWorld(
  s: Scenario,
  only?: ReadonlySet<string>,
): {
  map: WorldMap;
  robots: SimRobotConfig[];
  people: PersonConfig[];
  options: WorldOptions;
} {
  const map: WorldMap = {
    walls: s.world.walls.map((w) => ({ id: w.id, points: w.points.map(([x, y]) => ({ x, y })), closed: w.closed })),
    obstacles: s.world.obstacles.map((o) => ({ id: o.id, points: o.points.map(([x, y]) => ({ x, y })) })),
    docks: s.world.stations.filter((st) => st.kind === 'dock').map((st) => st.pose),
  };
  const robots = s.robots
    .filter((r) => !only || only.has(r.id))
    .map((r): SimRobotConfig => {
      const d = PROFILE_DEFAULTS[r.profile];
      const l = r.limits;
      const b = r.battery;
      const full = fullCircle(r.lidar.beams);
      const layouts: LidarLayout[] = r.lidars
        ? r.lidars.map((x) => ({
            topic: x.topic,
            frame: x.frame,
            mount: x.mount,
            ...(x.angle_min_rad !== undefined ? { angleMinRad: x.angle_min_rad, angleMaxRad: x.angle_max_rad! } : {}),
          }))
        : d.lidars;
      return {
        id: r.id,
        start: r.start,
        footprint: footprintOf(r.footprint, r.profile),
        limits: {
          maxLinearMps: l.max_linear_mps ?? d.limits.maxLinearMps,
          maxReverseMps: l.max_reverse_mps ?? d.limits.maxReverseMps,
          maxAngularRadps: l.max_angular_radps ?? d.limits.maxAngularRadps,
          linearAccelMps2: l.linear_accel_mps2 ?? d.limits.linearAccelMps2,
          linearDecelMps2: l.linear_decel_mps2 ?? d.limits.linearDecelMps2,
          angularAccelRadps2: l.angular_accel_radps2 ?? d.limits.angularAccelRadps2,
        },
        noise: {
          odomLinearRatio: r.odom.linear_noise_ratio,
          odomAngularRatio: r.odom.angular_noise_ratio,
          gyroStdRadps: r.imu.gyro_noise_std_radps,
          accelStdMps2: r.imu.accel_noise_std_mps2,
        },
        // Field of view: what the file says (a `lidars` entry, then the robot-wide `lidar`), then the
        // profile's layout, then a full circle.
        lidars: layouts.map((x) => {
          const own = r.lidars !== undefined;
          const lo = own ? (x.angleMinRad ?? r.lidar.angle_min_rad) : (r.lidar.angle_min_rad ?? x.angleMinRad);
          const hi = own ? (x.angleMaxRad ?? r.lidar.angle_max_rad) : (r.lidar.angle_max_rad ?? x.angleMaxRad);
          return {
            topic: x.topic,
            frame: x.frame,
            mount: x.mount,
            beams: r.lidar.beams,
            angleMinRad: lo ?? full.angleMinRad,
            angleMaxRad: hi ?? full.angleMaxRad,
            rangeMinM: r.lidar.range_min_m,
            rangeMaxM: r.lidar.range_max_m,
            rateHz: r.lidar.rate_hz,
            noiseStdM: r.lidar.noise_std_m,
          };
        }),
        battery: {
          capacityWh: b.capacity_wh ?? d.battery.capacityWh,
          fullVoltageV: b.full_voltage_v ?? d.battery.fullVoltageV,
          emptyVoltageV: b.empty_voltage_v ?? d.battery.emptyVoltageV,
          idlePowerW: b.idle_power_w ?? d.battery.idlePowerW,
          drivePowerWPerMps: b.drive_power_w_per_mps ?? d.battery.drivePowerWPerMps,
          turnPowerWPerRadps: b.turn_power_w_per_radps ?? d.battery.turnPowerWPerRadps,
          chargePowerW: b.charge_power_w ?? d.battery.chargePowerW,
          dockRadiusM: b.dock_radius_m ?? d.battery.dockRadiusM,
          initialPercentage: b.initial_percentage,
        },
        odomRateHz: r.odom.rate_hz,
        imuRateHz: r.imu.rate_hz,
        batteryRateHz: b.rate_hz,
        estopRateHz: r.estop_rate_hz,
        cmdTimeoutS: r.cmd_timeout_s,
      };
    });
  const people = s.people.map((p): PersonConfig => ({
    id: p.id,
    radiusM: p.radius_m,
    speedMps: p.speed_mps,
    pauseS: p.pause_s,
    mode: p.mode,
    startS: p.start_s,
    waypoints: p.waypoints.map((w) => ({ x: w.x, y: w.y, ...(w.pause_s !== undefined ? { pauseS: w.pause_s } : {}) })),
  }));
  return { map, robots, people, options: { dtS: s.dt_s, seed: s.seed, estopCutsDrive: s.world.estop_cuts_drive } };
}

// ---------------------------------------------------------------------------------------------
// Faults over time

/** A fault at its time; a sensor dropout with a duration becomes a dropout and a restore. */
export type TimedFault =
  | Exclude<ScenarioFault, { kind: 'sensor_dropout' }>
  | (Extract<ScenarioFault, { kind: 'sensor_dropout' }> & { duration_s?: undefined });

/** Every fault in time order (stable for equal times), dropouts with a duration expanded. */
export function faultTimeline(s: Scenario): TimedFault[] {
  const out: TimedFault[] = [];
  for (const f of s.faults) {
    if (f.kind === 'sensor_dropout' && f.duration_s !== undefined) {
      out.push({ kind: 'sensor_dropout', at_s: f.at_s, robot: f.robot, sensor: f.sensor });
      out.push({ kind: 'sensor_restore', at_s: f.at_s + f.duration_s, robot: f.robot, sensor: f.sensor });
    } else out.push(f as TimedFault);
  }
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.at_s - b.f.at_s || a.i - b.i)
    .map(({ f }) => f);
}

/**
 * Applies a fault that lives in the world (sensor dropout/restore, e-stop, battery drop) and returns
 * true; returns false for faults the runner owns (broker, link, injected decisions).
 */
export function applyWorldFault(world: World, f: TimedFault): boolean {
  switch (f.kind) {
    case 'sensor_dropout':
      world.setSensorEnabled(f.robot, f.sensor, false);
      return true;
    case 'sensor_restore':
      world.setSensorEnabled(f.robot, f.sensor, true);
      return true;
    case 'estop_press':
      world.setEstop(f.robot, true);
      return true;
    case 'estop_release':
      world.setEstop(f.robot, false);
      return true;
    case 'battery_drop':
      world.setBatteryPercentage(f.robot, f.percentage);
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Pass criteria

/** What a run measured; a criterion whose metric is missing fails as "not measured". */
export interface RunMetrics {
  collisions?: number;
  minClearanceM?: number;
  tasksCompleted?: number;
  tasksFailed?: number;
  eventsLost?: number;
  injectedDecisions?: number;
  /** Injected decisions rejected with the reason their attack names (see expectedRejectReason). */
  injectedRejected?: number;
  distanceM?: number;
}

/** One criterion's verdict. */
export interface CriterionResult {
  criterion: keyof PassCriteria;
  expected: string;
  actual: string;
  pass: boolean;
}

/** Every criterion set in `pass`, checked against `m`; the run passes when all pass. */
export function evaluatePass(pass: PassCriteria, m: RunMetrics): CriterionResult[] {
  const out: CriterionResult[] = [];
  const check = (
    criterion: keyof PassCriteria,
    expected: string,
    value: number | undefined,
    ok: (v: number) => boolean,
  ) =>
    out.push({
      criterion,
      expected,
      actual: value === undefined ? 'not measured' : String(value),
      pass: value !== undefined && ok(value),
    });
  if (pass.no_collisions) check('no_collisions', '0 collisions', m.collisions, (v) => v === 0);
  if (pass.min_clearance_m !== undefined) {
    const lim = pass.min_clearance_m;
    check('min_clearance_m', `>= ${lim} m`, m.minClearanceM, (v) => v >= lim);
  }
  if (pass.tasks_completed_at_least !== undefined) {
    const lim = pass.tasks_completed_at_least;
    check('tasks_completed_at_least', `>= ${lim}`, m.tasksCompleted, (v) => v >= lim);
  }
  if (pass.tasks_failed_max !== undefined) {
    const lim = pass.tasks_failed_max;
    check('tasks_failed_max', `<= ${lim}`, m.tasksFailed, (v) => v <= lim);
  }
  if (pass.events_lost_max !== undefined) {
    const lim = pass.events_lost_max;
    check('events_lost_max', `<= ${lim}`, m.eventsLost, (v) => v <= lim);
  }
  if (pass.injected_decisions_rejected) {
    const total = m.injectedDecisions;
    check(
      'injected_decisions_rejected',
      `all ${total ?? '?'} rejected`,
      m.injectedRejected,
      (v) => total !== undefined && v === total,
    );
  }
  if (pass.distance_travelled_at_least_m !== undefined) {
    const lim = pass.distance_travelled_at_least_m;
    check('distance_travelled_at_least_m', `>= ${lim} m`, m.distanceM, (v) => v >= lim);
  }
  return out;
}
