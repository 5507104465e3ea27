/**
 * Scenario adjustments of `kizuna sim` flags: a fleet of N robots made by tiling the scenario's site
 * (each tile a copy of the building with its stations, people and robots, side by side), one profile
 * only, a shorter or longer run, another seed. The result is validated again as a scenario.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseScenario, type Scenario } from '../scenario';
import type { ProfileName } from '../../nodes/core/profiles';

/** The folder of the scenario library (sim/scenarios), found above this file in source and dist/ trees. */
export function scenarioLibraryDir(): string | undefined {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'sim', 'scenarios');
    if (existsSync(join(candidate, 'fleet.yaml'))) return candidate;
  }
  return undefined;
}

/** `_t<k>` on robot ids and `.t<k>` on station and object names of tile k (tile 0 keeps the names). */
export function tileOfRobot(id: string): number {
  const m = /_t(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
}

/** The tile a station belongs to (see tileOfRobot). */
export function tileOfStation(name: string): number {
  const m = /\.t(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

export interface ScaleOptions {
  robots?: number;
  profile?: ProfileName;
  durationS?: number;
  seed?: number;
  plannerMode?: 'reference' | 'scripted' | 'none';
}

/** The scenario adjusted by the flags, validated again (KZ_ERR_SCENARIO_INVALID naming the field if not). */
export function adjustScenario(s: Scenario, o: ScaleOptions, source: string): Scenario {
  let out: Scenario = structuredClone(s);
  if (o.profile) {
    const keep = new Set(out.robots.filter((r) => r.profile === o.profile).map((r) => r.id));
    out.robots = out.robots.filter((r) => keep.has(r.id));
    out.faults = out.faults.filter((f) => !('robot' in f) || keep.has(f.robot));
    if (out.planner.decisions) out.planner.decisions = out.planner.decisions.filter((d) => keep.has(d.robot));
  }
  if (o.durationS !== undefined) {
    const d = o.durationS;
    out.duration_s = d;
    out.faults = out.faults.filter((f) => f.at_s === undefined || f.at_s <= d);
    if (out.planner.decisions) out.planner.decisions = out.planner.decisions.filter((x) => x.at_s <= d);
  }
  if (o.seed !== undefined) out.seed = o.seed;
  // A mode change drops scripted decisions, never the trusted outside keys.
  const keys = out.planner.trusted_keys ? { trusted_keys: out.planner.trusted_keys } : {};
  if (o.plannerMode !== undefined && o.plannerMode !== out.planner.mode) {
    out.planner = o.plannerMode === 'scripted' ? out.planner : { mode: o.plannerMode, ...keys };
  }
  if (out.planner.mode === 'scripted' && (out.planner.decisions?.length ?? 0) === 0) {
    out.planner = { mode: 'none', ...keys };
  }
  if (o.robots !== undefined && o.robots !== out.robots.length) out = tile(out, o.robots);
  return parseScenario(out, source);
}

/** `s` with its site copied side by side until there are `n` robots (the last tile may be partial). */
function tile(s: Scenario, n: number): Scenario {
  const per = s.robots.length;
  if (per === 0) return s;
  if (n <= per) {
    const keep = new Set(s.robots.slice(0, n).map((r) => r.id));
    return {
      ...s,
      robots: s.robots.filter((r) => keep.has(r.id)),
      faults: s.faults.filter((f) => !('robot' in f) || keep.has(f.robot)),
      planner: s.planner.decisions
        ? { ...s.planner, decisions: s.planner.decisions.filter((d) => keep.has(d.robot)) }
        : s.planner,
    };
  }
  const xs = [...s.world.walls.flatMap((w) => w.points.map((p) => p[0])), ...s.robots.map((r) => r.start.x)];
  const ys = [...s.world.walls.flatMap((w) => w.points.map((p) => p[1])), ...s.robots.map((r) => r.start.y)];
  const w = Math.max(...xs) - Math.min(...xs) + 4;
  const h = Math.max(...ys) - Math.min(...ys) + 4;
  const tiles = Math.ceil(n / per);
  const cols = Math.ceil(Math.sqrt(tiles));
  const rid = (id: string, k: number): string => (k === 0 ? id : `${id}_t${k}`);
  const nm = (name: string, k: number): string => (k === 0 ? name : `${name}.t${k}`);
  const out: Scenario = {
    ...s,
    world: { ...s.world, walls: [], obstacles: [], stations: [] },
    robots: [],
    people: [],
    faults: [],
  };
  const decisions: NonNullable<Scenario['planner']['decisions']> = [];
  for (let k = 0; k < tiles; k++) {
    const dx = (k % cols) * w;
    const dy = Math.floor(k / cols) * h;
    const mv = ([x, y]: [number, number]): [number, number] => [x + dx, y + dy];
    const robots = s.robots.slice(0, Math.min(per, n - k * per));
    const ids = new Set(robots.map((r) => r.id));
    out.world.walls.push(...s.world.walls.map((x) => ({ ...x, id: nm(x.id, k), points: x.points.map(mv) })));
    out.world.obstacles.push(...s.world.obstacles.map((x) => ({ ...x, id: nm(x.id, k), points: x.points.map(mv) })));
    out.world.stations.push(
      ...s.world.stations.map((x) => ({
        ...x,
        name: nm(x.name, k),
        pose: { ...x.pose, x: x.pose.x + dx, y: x.pose.y + dy },
      })),
    );
    out.robots.push(
      ...robots.map((r) => ({ ...r, id: rid(r.id, k), start: { ...r.start, x: r.start.x + dx, y: r.start.y + dy } })),
    );
    out.people.push(
      ...s.people.map((p) => ({
        ...p,
        id: nm(p.id, k),
        waypoints: p.waypoints.map((q) => ({ ...q, x: q.x + dx, y: q.y + dy })),
      })),
    );
    out.faults.push(
      ...s.faults
        .filter((f) => !('robot' in f) || ids.has(f.robot))
        .filter((f) => k === 0 || 'robot' in f) // broker faults once, robot faults per tile
        .map((f) => ('robot' in f ? { ...f, robot: rid(f.robot, k) } : f))
        .map((f) =>
          f.when
            ? { ...f, when: { ...f.when, robot: rid(f.when.robot, k), of: mv(f.when.of as [number, number]) } }
            : f,
        ),
    );
    for (const d of s.planner.decisions ?? []) {
      if (!ids.has(d.robot)) continue;
      const moved = { ...d, robot: rid(d.robot, k) } as (typeof decisions)[number];
      if ('station' in moved && moved.station !== undefined)
        (moved as { station?: string }).station = nm(moved.station, k);
      if (moved.kind === 'navigate_to' && moved.pose)
        moved.pose = { ...moved.pose, x: moved.pose.x + dx, y: moved.pose.y + dy };
      if (moved.kind === 'perform_task') moved.args = shiftArgs(moved.args, dx, dy) as Record<string, unknown>;
      decisions.push(moved);
    }
  }
  if (s.planner.decisions) out.planner = { ...s.planner, decisions };
  return out;
}

/** Task arguments with every pose moved by (dx, dy). */
function shiftArgs(v: unknown, dx: number, dy: number): unknown {
  if (Array.isArray(v)) return v.map((x) => shiftArgs(x, dx, dy));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.x === 'number' && typeof o.y === 'number') return { ...o, x: o.x + dx, y: o.y + dy };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, shiftArgs(x, dx, dy)]));
  }
  return v;
}
