/**
 * The scenario features hostile tests need: timed and thin obstacles, people with a speed per leg who
 * react to robots, sensor corruption (sim/sensor-faults.ts), position-triggered faults, and the rules
 * that refuse a bad file with a specific error.
 */
import { describe, it, expect } from '@jest/globals';
import { isKizunaError } from '../../../nodes/core/errors';
import { laserScanMessage, odometryMessage, robotFrames } from '../../../sim/messages';
import { parseScenario, scenarioWorld, triggerHolds } from '../../../sim/scenario';
import { SensorFaults } from '../../../sim/sensor-faults';
import { World } from '../../../sim/world';

const base = {
  name: 'features',
  duration_s: 20,
  world: {
    walls: [
      {
        id: 'box',
        points: [
          [-5, -5],
          [15, -5],
          [15, 5],
          [-5, 5],
        ],
        closed: true,
      },
    ],
  },
  robots: [{ id: 'r1', profile: 'farm', start: { x: 0, y: 0, yaw: 0 }, lidar: { noise_std_m: 0 } }],
  planner: { mode: 'none' },
};

function problems(data: unknown): string {
  try {
    parseScenario(data, 'x.yaml');
  } catch (err) {
    if (isKizunaError(err, 'KZ_ERR_SCENARIO_INVALID')) return err.message;
    throw err;
  }
  return 'valid';
}

function worldOf(data: Record<string, unknown>): World {
  const w = scenarioWorld(parseScenario({ ...base, ...data }));
  return new World(w.map, w.robots, w.people, w.options);
}

function minRange(world: World, untilS: number): number {
  let min = Infinity;
  while (world.time < untilS - 1e-9) {
    for (const r of world.step().readings)
      for (const s of r.scans ?? []) for (const x of s.scan.ranges) if (x < min) min = x;
  }
  return min;
}

describe('obstacles', () => {
  it('a 3 cm stake (circle) is seen by the lidar and stops a robot driving into it: a robot-caused contact', () => {
    const world = worldOf({
      world: { ...base.world, obstacles: [{ id: 'stake', circle: { x: 4, y: 0, radius_m: 0.015 } }] },
    });
    for (let i = 0; i < 120; i++) world.step({ r1: { linear: 1, angular: 0 } });
    expect(world.collisions[0]).toEqual(
      expect.objectContaining({ with: { kind: 'obstacle', id: 'stake' }, robotCaused: true }),
    );
  });

  it('a timed obstacle is absent before appear_s and after vanish_s', () => {
    const world = worldOf({
      world: {
        ...base.world,
        obstacles: [
          {
            id: 'crate',
            points: [
              [3, -0.5],
              [3.5, -0.5],
              [3.5, 0.5],
              [3, 0.5],
            ],
            appear_s: 2,
            vanish_s: 4,
          },
        ],
      },
    });
    expect(minRange(world, 1.9)).toBeGreaterThan(4);
    expect(minRange(world, 3.9)).toBeLessThan(3.1);
    expect(world.activeTimedObstacles()).toEqual(['crate']);
    minRange(world, 4.2);
    expect(world.activeTimedObstacles()).toEqual([]);
    expect(minRange(world, 5)).toBeGreaterThan(4);
  });

  it('refuses an obstacle with both or neither of points and circle, and vanish_s before appear_s', () => {
    expect(problems({ ...base, world: { obstacles: [{ id: 'o' }] } })).toMatch(
      /world\.obstacles\[0\].*exactly one of points or circle/,
    );
    expect(
      problems({
        ...base,
        world: { obstacles: [{ id: 'o', circle: { x: 9, y: 0, radius_m: 0.1 }, appear_s: 5, vanish_s: 2 }] },
      }),
    ).toMatch(/vanish_s.*must be after appear_s/);
  });
});

describe('people', () => {
  it('walk each leg at its waypoint’s speed_mps', () => {
    const world = worldOf({
      people: [
        {
          id: 'p',
          speed_mps: 1,
          waypoints: [
            { x: 5, y: 3, speed_mps: 2 },
            { x: 9, y: 3 },
            { x: 13, y: 3 },
          ],
        },
      ],
    });
    for (let i = 0; i < 40; i++) world.step(); // 2 s at 2 m/s: the first leg (4 m) done
    expect(world.peopleCircles()[0]!.x).toBeCloseTo(9, 6);
    for (let i = 0; i < 40; i++) world.step(); // 2 s at 1 m/s
    expect(world.peopleCircles()[0]!.x).toBeCloseTo(11, 6);
  });

  it('react stop: a person stands while a robot is within within_m, and walks on once it is gone', () => {
    const world = worldOf({
      people: [
        {
          id: 'p',
          speed_mps: 1,
          waypoints: [
            { x: 4, y: 0 },
            { x: -4, y: 0 },
          ],
          react: { within_m: 1, action: 'stop' },
        },
      ],
    });
    for (let i = 0; i < 100; i++) world.step();
    const p = world.peopleCircles()[0]!;
    // The farm robot's footprint reaches ~1.2 m from its centre: the person stopped about 1 m from it.
    expect(p.x).toBeGreaterThan(1.5);
    expect(world.collisions).toEqual([]);
  });

  it('react step_aside: the person moves sideways past a standing robot instead of into it', () => {
    const world = worldOf({
      people: [
        {
          id: 'p',
          speed_mps: 1,
          waypoints: [
            { x: 4, y: 0 },
            { x: -4, y: 0 },
          ],
          react: { within_m: 1, action: 'step_aside', aside_m: 2 },
        },
      ],
    });
    for (let i = 0; i < 200; i++) world.step();
    expect(world.collisions).toEqual([]);
    expect(world.peopleCircles()[0]!.x).toBeLessThan(-3);
  });

  it('a person placed overlapping a robot at the start is a scenario error', () => {
    expect(problems({ ...base, people: [{ id: 'p', waypoints: [{ x: 0.5, y: 0 }] }] })).toMatch(
      /robots\[0\]\.start: footprint overlaps person 'p'/,
    );
  });
});

describe('faults', () => {
  it('a position trigger instead of at_s; exactly one of the two', () => {
    const ok = parseScenario({
      ...base,
      faults: [{ kind: 'estop_press', robot: 'r1', when: { robot: 'r1', within_m: 1.5, of: [6, 0] } }],
    });
    expect(triggerHolds(ok.faults[0]!.when!, 4.6, 0)).toBe(true);
    expect(triggerHolds(ok.faults[0]!.when!, 4.4, 0)).toBe(false);
    expect(problems({ ...base, faults: [{ kind: 'estop_press', robot: 'r1' }] })).toMatch(
      /faults\[0\]: give exactly one of at_s or when/,
    );
    expect(
      problems({
        ...base,
        faults: [{ kind: 'estop_press', robot: 'r1', when: { robot: 'r9', within_m: 1, of: [0, 0] } }],
      }),
    ).toMatch(/faults\[0\]\.when\.robot: no robot with id 'r9'/);
  });

  it('sensor_fault rules: sector needs its angles, delay its delay_s, a lidar must be the robot’s', () => {
    const f = (x: object) => problems({ ...base, faults: [{ at_s: 1, robot: 'r1', kind: 'sensor_fault', ...x }] });
    expect(f({ sensor: 'scan', mode: 'sector' })).toMatch(/mode sector needs from_rad and to_rad/);
    expect(f({ sensor: 'odom', mode: 'delay' })).toMatch(/delay_s.*required with mode delay/);
    expect(f({ sensor: 'odom', mode: 'wrong_length' })).toMatch(/applies to sensor scan only/);
    expect(f({ sensor: 'scan', lidar: 'scan_rear', mode: 'nan' })).toMatch(
      /has no lidar on 'scan_rear' \(lidars: scan\)/,
    );
    expect(f({ sensor: 'scan', mode: 'sector', from_rad: -0.5, to_rad: 0.5, range_m: 0.3, duration_s: 2 })).toBe(
      'valid',
    );
  });
});

describe('sensor corruption (SensorFaults)', () => {
  const frames = robotFrames();
  const scan = (t: number) =>
    laserScanMessage(
      {
        t,
        angleMin: -1,
        angleMax: 1,
        angleIncrement: 0.5,
        rangeMin: 0.1,
        rangeMax: 10,
        ranges: Float32Array.from([1, 2, 3, 4, 5]),
      } as never,
      'laser',
    );

  it('nan, inf, wrong_length and a blocked sector change a copy of the scan', () => {
    const sf = new SensorFaults();
    sf.add({ sensor: 'scan', mode: 'sector', fromRad: -0.6, toRad: 0.1, rangeM: 0.3 });
    const m = scan(1);
    const out = sf.pass('scan', 'scan', m, 1)!;
    // Beams at -1, -0.5, 0, 0.5, 1 rad: the two inside [-0.6, 0.1] read 0.3 m.
    expect(Array.from(out.ranges)).toEqual([1, expect.closeTo(0.3, 6), expect.closeTo(0.3, 6), 4, 5]);
    expect(Array.from(m.ranges)).toEqual([1, 2, 3, 4, 5]);
    sf.restore('scan');
    sf.add({ sensor: 'scan', mode: 'nan', fraction: 0.5 });
    expect(Array.from(sf.pass('scan', 'scan', scan(1), 1)!.ranges).map(Number.isNaN)).toEqual([
      true,
      false,
      true,
      false,
      true,
    ]);
    sf.restore('scan');
    sf.add({ sensor: 'scan', mode: 'wrong_length', length: 3 });
    expect(sf.pass('scan', 'scan', scan(1), 1)!.ranges.length).toBe(3);
  });

  it('freeze repeats the first data with fresh stamps; delay holds messages back; drop of one lidar leaves the other', () => {
    const sf = new SensorFaults();
    const odom = (t: number, x: number) =>
      odometryMessage({ t, pose: { x, y: 0, yaw: 0 }, twist: { linear: 0, angular: 0 } } as never, frames);
    sf.add({ sensor: 'odom', mode: 'freeze' });
    sf.pass('odom', 'odom', odom(1, 1), 1);
    const later = sf.pass('odom', 'odom', odom(2, 5), 2)!;
    expect(later.pose.pose.position.x).toBe(1);
    expect(later.header.stamp.sec).toBe(2);
    sf.restore('odom');
    sf.add({ sensor: 'odom', mode: 'delay', delayS: 0.5 });
    expect(sf.pass('odom', 'odom', odom(3, 3), 3)).toBeUndefined();
    expect(sf.due(3.4)).toEqual([]);
    expect(sf.due(3.5).map((d) => d.topic)).toEqual(['odom']);
    sf.add({ sensor: 'scan', lidar: 'scan_front', mode: 'drop' });
    expect(sf.pass('scan', 'scan_front', scan(1), 1)).toBeUndefined();
    expect(sf.pass('scan', 'scan_rear', scan(1), 1)).toBeDefined();
  });
});
