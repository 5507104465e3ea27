/**
 * Simulator cost: a lidar scan in the default fleet world, and one world step per robot, each next
 * to a baseline measured in the same run.
 *
 * - `sim.lidar.<beams>.scan`: one full scan (ray casting, limits, Float32Array out) from poses
 *   spread over the fleet world. Baselines: a single pass over a ranges array of the same length
 *   (the least any consumer of the scan does), and the brute-force caster (every beam against every
 *   primitive), which the fast path must beat.
 * - `sim.world.step_per_robot`: one World step (kinematics, collision and clearance checks, sensors
 *   due) divided by the robot count, for the fleet scenario's robots copied across a grid of
 *   buildings; baseline: the kinematics alone (driveMotion + applyMotion) for the same robots.
 *
 * Budget behind the targets: the simulated world of 1,000 robots must cost well under one core,
 * leaving the rest for the node stacks: one 360-beam scan <= 50 µs (10 scans/s × 1,000 robots = half
 * a core), one step per robot <= 25 µs (20 steps/s × 1,000 robots = half a core, default sensors).
 * Times are CPU time of this process (the machine is shared), run through tsx.
 */
import { join } from 'node:path';
import { type BenchResult, type Benchmark, type Figure, limitResult, ratioResult } from './harness';
import { SegmentGrid, polylineSegments, type Pose } from '../sim/geometry';
import { Lidar, castRawBruteForce, fullCircle, type LidarScene } from '../sim/lidar';
import { Rng } from '../sim/random';
import { NO_NOISE, applyMotion, driveMotion, initialDriveState } from '../sim/robot';
import { loadScenario, scenarioWorld } from '../sim/scenario';
import { World, type SimRobotConfig, type WorldMap } from '../sim/world';

/** A figure shown next to its baseline, with no target of its own (the targets are stated separately). */
function withBaseline(figure: Figure, baseline: Figure, details?: Record<string, unknown>): BenchResult {
  return { ...figure, baseline, ratio: figure.value / baseline.value, ...(details ? { details } : {}) };
}

/** [µs] CPU time used by this process so far (robust to other load on a shared machine). */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median per-call CPU time [µs] of `fn` over `rounds` rounds of `calls` calls. */
function timePerCall(fn: (i: number) => void, calls: number, rounds = 7): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuUs();
    for (let i = 0; i < calls; i++) fn(i);
    samples.push((cpuUs() - t0) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

function fleetScene(): { scene: LidarScene; poses: Pose[] } {
  const s = loadScenario(join(__dirname, '../sim/scenarios/fleet.yaml'));
  const w = scenarioWorld(s);
  const segs = [
    ...w.map.walls.flatMap((wall) => polylineSegments(wall.points, wall.closed ?? false)),
    ...w.map.obstacles.flatMap((o) => polylineSegments(o.points, true)),
  ];
  const scene: LidarScene = {
    grid: new SegmentGrid(segs),
    circles: [
      { x: 4, y: 4, r: 0.3 },
      { x: 11, y: 6.5, r: 0.3 },
      { x: 13, y: 12.6, r: 0.3 },
    ],
    circleOwner: [-1, -1, -1],
    segments: [],
    segmentOwner: [],
  };
  const rng = new Rng(7);
  const poses = w.robots.map((r) => r.start);
  for (let i = 0; i < 27; i++)
    poses.push({ x: 0.5 + rng.next() * 23, y: 0.5 + rng.next() * 13, yaw: rng.next() * 6.28 });
  return { scene, poses };
}

function lidarBench(beams: number): BenchResult[] {
  const { scene, poses } = fleetScene();
  const cfg = {
    beams,
    ...fullCircle(beams),
    rangeMinM: 0.12,
    rangeMaxM: 12,
    rateHz: 10,
    noiseStdM: 0.01,
    mount: { x: 0, y: 0, yaw: 0 },
  };
  const lidar = new Lidar(cfg);
  const rng = new Rng(1);
  let sink = 0;
  const scanUs = timePerCall((i) => {
    sink += lidar.scan(0, poses[i % poses.length]!, scene, -1, rng).ranges[0]!;
  }, 2000);
  const ranges = new Float32Array(beams).map((_, i) => 1 + (i % 7));
  const passUs = timePerCall(() => {
    let m = Infinity;
    for (let i = 0; i < ranges.length; i++) if (ranges[i]! < m) m = ranges[i]!;
    sink += m;
  }, 20000);
  const bruteUs = timePerCall((i) => {
    sink += castRawBruteForce(cfg, poses[i % poses.length]!, scene, -1)[0]!;
  }, 200);
  if (sink === 42) console.error('');
  const segments = scene.grid.segments.length;
  const figure = {
    id: `sim.lidar.${beams}.scan`,
    value: scanUs,
    unit: 'µs',
    description: `one ${beams}-beam scan in the fleet world (${segments} segments, 3 people), noise on`,
  };
  return [
    withBaseline(
      figure,
      { id: `sim.lidar.${beams}.single_pass`, value: passUs, unit: 'µs', description: 'min over a ranges array' },
      { segments, poses: poses.length },
    ),
    ratioResult(
      { ...figure, id: `sim.lidar.${beams}.scan_vs_brute_force` },
      { id: `sim.lidar.${beams}.brute_force`, value: bruteUs, unit: 'µs', description: 'every beam × every primitive' },
      0.5,
    ),
    ...(beams === 360 ? [limitResult({ ...figure, id: 'sim.lidar.360.scan_budget' }, 50)] : []),
  ];
}

function tiledWorld(copies: number): { map: WorldMap; robots: SimRobotConfig[] } {
  const s = loadScenario(join(__dirname, '../sim/scenarios/fleet.yaml'));
  const w = scenarioWorld(s);
  const side = Math.ceil(Math.sqrt(copies));
  const map: WorldMap = { walls: [], obstacles: [], docks: [] };
  const robots: SimRobotConfig[] = [];
  for (let c = 0; c < copies; c++) {
    const dx = (c % side) * 30;
    const dy = Math.floor(c / side) * 20;
    const mv = (p: { x: number; y: number }) => ({ x: p.x + dx, y: p.y + dy });
    (map.walls as WorldMap['walls'][number][]).push(
      ...w.map.walls.map((wall) => ({ ...wall, id: `${wall.id}-${c}`, points: wall.points.map(mv) })),
    );
    (map.obstacles as WorldMap['obstacles'][number][]).push(
      ...w.map.obstacles.map((o) => ({ id: `${o.id}-${c}`, points: o.points.map(mv) })),
    );
    for (const r of w.robots) robots.push({ ...r, id: `${r.id}_${c}`, start: { ...r.start, ...mv(r.start) } });
  }
  return { map, robots };
}

/**
 * 'circling': tight circles near each dock, every robot moving all the time close to walls, shelves
 * and each other. 'pushing': wider circles that run every robot into a wall, where it keeps pushing
 * (in contact every step, the worst case; a safety gate would have stopped it).
 */
function worldBench(copies: number, workload: 'circling' | 'pushing'): BenchResult[] {
  const { map, robots } = tiledWorld(copies);
  const world = new World(map, robots, [], { dtS: 0.05, seed: 1 });
  const cmds: Record<string, { linear: number; angular: number }> = {};
  const [v, w] = workload === 'circling' ? [0.2, 0.8] : [0.3, 0.4];
  robots.forEach((r, i) => (cmds[r.id] = { linear: v, angular: i % 2 === 0 ? w : -w }));
  const n = robots.length;
  for (let i = 0; i < 200; i++) world.step(cmds); // warm up the JIT
  const stepUs = timePerCall(() => world.step(cmds), 100, 5) / n;
  const states = robots.map((r) => initialDriveState(r.start));
  const rng = new Rng(1);
  const kinUs =
    timePerCall(
      () => {
        for (let i = 0; i < n; i++) {
          const m = driveMotion(states[i]!, cmds[robots[i]!.id]!, robots[i]!.limits, 0.05);
          states[i] = applyMotion(states[i]!, m, 1, 0.05, NO_NOISE, rng);
        }
      },
      2000,
      5,
    ) / n;
  const results = [
    withBaseline(
      {
        id: `sim.world.${n}_robots.${workload}.step_per_robot`,
        value: stepUs,
        unit: 'µs',
        description: `one World step / robot, ${n} robots ${workload} in ${copies} buildings, default sensors`,
      },
      { id: `sim.world.${n}_robots.kinematics_per_robot`, value: kinUs, unit: 'µs', description: 'kinematics only' },
      { robots: n, workload, collisions: world.collisions.length },
    ),
  ];
  if (copies > 1 && workload === 'circling') {
    const { value, unit, description } = results[0]!;
    results.push(limitResult({ id: `sim.world.${n}_robots.step_budget`, value, unit, description }, 25));
  }
  return results;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'sim',
    async run(log) {
      const out: BenchResult[] = [];
      for (const beams of [360, 1080]) {
        log(`lidar ${beams} beams`);
        out.push(...lidarBench(beams));
      }
      worldBench(20, 'circling'); // warm-up run, not reported: the first world to run pays for the JIT
      for (const [copies, workload] of [
        [1, 'circling'],
        [20, 'circling'],
        [20, 'pushing'],
      ] as const) {
        log(`world step, ${copies} building(s), ${workload}`);
        out.push(...worldBench(copies, workload));
      }
      return out;
    },
  },
];
