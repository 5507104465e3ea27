/** Cross-field rules of a scenario: references resolve, ids are unique, ranges are ordered, nothing starts in contact. */
import type { z } from 'zod';
import { taskNames, taskSchema } from '../../nodes/core/profiles';
import {
  footprintRadius,
  placeFootprint,
  pointInPolygon,
  polylineSegments,
  shapeCircleDistance,
  shapePolygonDistance,
  shapeSegmentDistance,
  segmentsIntersect,
  shapeShapeDistance,
} from '../geometry';
import { PROFILE_DEFAULTS } from '../profile-defaults';
import { zodMessage } from './errors';
import { sensorFaultProblems } from './faults';
import { footprintOf } from './robots';
import type { scenarioObject } from './schema';

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

/** Cross-field rules: references resolve, ids are unique, ranges are ordered, robots start clear. */
export function crossCheck(s: z.infer<typeof scenarioObject>, ctx: Ctx): void {
  if (s.protocol === 'vda5050' && s.planner.mode !== 'none') {
    ctx.addIssue({
      code: 'custom',
      path: ['planner', 'mode'],
      message: 'protocol vda5050 needs planner mode none: a VDA 5050 master control drives the robots, not the planner',
    });
  }
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
  // (an obstacle that failed its own rules reaches here without points: zod runs this check anyway)
  const obstacles = s.world.obstacles
    .map((o) => {
      const pts = (o.points ?? []).map(([x, y]) => ({ x, y }));
      return { o, pts, edges: polylineSegments(pts, true) };
    })
    .filter((x) => x.pts.length >= 3);
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
      // A timed obstacle that appears later may appear on a robot (that is a test of what follows).
      if ((o.appear_s ?? 0) > 0) continue;
      if (shapePolygonDistance(shape, pts, edges) === 0) issue(ctx, where, `footprint touches obstacle '${o.id}'`);
    }
    // A person standing on a robot at the start is a mistake in the file (the contact would count).
    s.people.forEach((p) => {
      const w = p.waypoints[0];
      if (!w) return; // an empty list is reported by the schema itself
      if (shapeCircleDistance(shape, { x: w.x, y: w.y, r: p.radius_m }) === 0)
        issue(ctx, where, `footprint overlaps person '${p.id}' at the start (the person's first waypoint)`);
    });
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

  const lidarTopics = new Map(
    s.robots.map((r) => [r.id, (r.lidars ?? PROFILE_DEFAULTS[r.profile].lidars).map((l) => l.topic)]),
  );
  s.faults.forEach((f, i) => {
    const p = ['faults', i];
    if ((f.at_s === undefined) === (f.when === undefined)) issue(ctx, p, 'give exactly one of at_s or when');
    if (f.at_s !== undefined && f.at_s > s.duration_s)
      issue(ctx, [...p, 'at_s'], `after the end of the run (duration_s ${s.duration_s})`);
    if (f.when && !profiles.has(f.when.robot))
      issue(ctx, [...p, 'when', 'robot'], `no robot with id '${f.when.robot}'`);
    if ('robot' in f && !profiles.has(f.robot)) issue(ctx, [...p, 'robot'], `no robot with id '${f.robot}'`);
    if ('lidar' in f && f.lidar !== undefined && 'robot' in f && profiles.has(f.robot)) {
      const topics = lidarTopics.get(f.robot)!;
      if (!topics.includes(f.lidar))
        issue(ctx, [...p, 'lidar'], `robot '${f.robot}' has no lidar on '${f.lidar}' (lidars: ${topics.join(', ')})`);
    }
    if (f.kind === 'sensor_fault') for (const [sub, msg] of sensorFaultProblems(f)) issue(ctx, [...p, ...sub], msg);
  });

  (s.pass.stands_still ?? []).forEach((w, i) => {
    const p = ['pass', 'stands_still', i];
    if (!profiles.has(w.robot)) issue(ctx, [...p, 'robot'], `no robot with id '${w.robot}'`);
    if (w.to_s <= w.from_s) issue(ctx, [...p, 'to_s'], 'must be greater than from_s');
    if (w.to_s > s.duration_s) issue(ctx, [...p, 'to_s'], `after the end of the run (duration_s ${s.duration_s})`);
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
export function parseTaskArgs(s: z.infer<typeof scenarioObject>): z.infer<typeof scenarioObject> {
  const profiles = new Map(s.robots.map((r) => [r.id, r.profile]));
  const decisions = s.planner.decisions?.map((d) => {
    if (d.kind !== 'perform_task') return d;
    const schema = taskSchema(profiles.get(d.robot)!, d.task)!;
    return { ...d, args: schema.parse(d.args) as Record<string, unknown> };
  });
  return decisions ? { ...s, planner: { ...s.planner, decisions } } : s;
}

/** The scenario schema (zod), cross-field rules included. */
