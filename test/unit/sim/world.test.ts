import { describe, it, expect } from '@jest/globals';
import {
  placeFootprint,
  polylineSegments,
  shapeCircleDistance,
  shapePolygonDistance,
  shapeSegmentDistance,
  shapeShapeDistance,
} from '../../../sim/geometry';
import { Rng } from '../../../sim/random';
import type { PersonConfig } from '../../../sim/people';
import { type WorldMap, World } from '../../../sim/world';
import { robot } from '../../helpers/sim-robot';

const wallAt3: WorldMap = {
  walls: [
    {
      id: 'east',
      points: [
        { x: 3, y: -2 },
        { x: 3, y: 2 },
      ],
    },
  ],
  obstacles: [],
  docks: [],
};

function runFor(world: World, seconds: number, cmd?: Record<string, { linear: number; angular: number }>): void {
  const steps = Math.round(seconds / world.options.dtS);
  for (let i = 0; i < steps; i++) world.step(i === 0 ? cmd : undefined);
}

describe('sim world: collisions', () => {
  it('driving into a wall at 0.5 m/s: one collision at 5.6 s at (3, 0), the robot stopped at contact', () => {
    const world = new World(wallAt3, [robot('r1')], [], { dtS: 0.1, seed: 1 });
    runFor(world, 9, { r1: { linear: 0.5, angular: 0 } }); // keeps pushing for 3.4 s after contact
    expect(world.collisions).toHaveLength(1);
    const c = world.collisions[0]!;
    expect(c.robotId).toBe('r1');
    expect(c.with).toEqual({ kind: 'wall', id: 'east' });
    expect(c.t).toBeCloseTo(5.6, 6);
    expect(c.where.x).toBeCloseTo(3, 9);
    expect(c.where.y).toBeCloseTo(0, 9);
    expect(c.robotSpeedMps).toBeCloseTo(0.5, 9);
    const snap = world.snapshot()[0]!;
    expect(snap.pose.x).toBeCloseTo(2.8, 6);
    expect(snap.pose.x).toBeLessThanOrEqual(2.8);
    expect(snap.twist.linear).toBe(0);
    const m = world.metrics()[0]!;
    expect(m.collisions).toBe(1);
    expect(m.minClearanceM).toBe(0);
    expect(m.distanceM).toBeCloseTo(2.8, 6);
  });

  it('counts a second contact episode only after backing off beyond the release distance', () => {
    const world = new World(wallAt3, [robot('r1')], [], { dtS: 0.1, seed: 1 });
    runFor(world, 7, { r1: { linear: 0.5, angular: 0 } });
    runFor(world, 1, { r1: { linear: -0.5, angular: 0 } }); // 0.5 m back
    expect(world.snapshot()[0]!.pose.x).toBeCloseTo(2.3, 6);
    expect(world.collisions).toHaveLength(1);
    runFor(world, 2, { r1: { linear: 0.5, angular: 0 } });
    expect(world.collisions).toHaveLength(2);
    expect(world.collisions[1]!.t).toBeCloseTo(9, 6); // back at 8 s, 0.5 m forward takes 1 s
    expect(world.metrics()[0]!.collisions).toBe(2);
  });

  it('a fast small robot cannot jump through a thin wall in one step', () => {
    const world = new World(wallAt3, [robot('r1', { footprint: { kind: 'circle', radius: 0.05 } })], [], {
      dtS: 0.1,
      seed: 1,
    });
    runFor(world, 3, { r1: { linear: 2, angular: 0 } }); // 0.2 m per step, 4× the robot's radius
    expect(world.snapshot()[0]!.pose.x).toBeCloseTo(2.95, 6);
    expect(world.collisions).toHaveLength(1);
  });

  it('tracks minimum clearance: passing 0.5 m from an obstacle, no collision', () => {
    const map: WorldMap = {
      walls: [],
      obstacles: [
        {
          id: 'crate',
          points: [
            { x: 1.5, y: 0.75 },
            { x: 2.5, y: 0.75 },
            { x: 2.5, y: 1.25 },
            { x: 1.5, y: 1.25 },
          ],
        },
      ],
      docks: [],
    };
    const world = new World(map, [robot('r1', { footprint: { kind: 'circle', radius: 0.25 } })], [], {
      dtS: 0.05,
      seed: 1,
    });
    runFor(world, 8, { r1: { linear: 0.5, angular: 0 } });
    const m = world.metrics()[0]!;
    expect(m.collisions).toBe(0);
    expect(m.minClearanceM).toBeCloseTo(0.5, 9);
    expect(m.minClearanceAtS).toBeGreaterThanOrEqual(3);
    expect(m.distanceM).toBeCloseTo(4, 6);
  });

  it('a robot placed inside an obstacle is a collision at t = 0', () => {
    const map: WorldMap = {
      walls: [],
      obstacles: [
        {
          id: 'big',
          points: [
            { x: -5, y: -5 },
            { x: 5, y: -5 },
            { x: 5, y: 5 },
            { x: -5, y: 5 },
          ],
        },
      ],
      docks: [],
    };
    const world = new World(map, [robot('r1')], [], { dtS: 0.1, seed: 1 });
    expect(world.collisions).toEqual([
      expect.objectContaining({ t: 0, robotId: 'r1', with: { kind: 'obstacle', id: 'big' } }),
    ]);
  });

  it('a person walking into a standing robot is counted, with the robot speed 0', () => {
    const person: PersonConfig = {
      id: 'walker',
      radiusM: 0.3,
      speedMps: 1,
      pauseS: 0,
      mode: 'once',
      startS: 0,
      waypoints: [
        { x: -3, y: 0 },
        { x: 3, y: 0 },
      ],
    };
    const world = new World({ walls: [], obstacles: [], docks: [] }, [robot('r1')], [person], { dtS: 0.05, seed: 1 });
    runFor(world, 8);
    expect(world.collisions).toHaveLength(1);
    const c = world.collisions[0]!;
    expect(c.with).toEqual({ kind: 'person', id: 'walker' });
    expect(c.robotSpeedMps).toBe(0);
    // Contact when the centres are 0.5 m apart: person at x = -0.5, i.e. 2.5 s after starting at -3.
    expect(c.t).toBeCloseTo(2.5, 6);
    expect(world.peopleCircles()[0]!.x).toBe(3);
  });

  it('two robots driving head-on stop at contact and the contact is recorded', () => {
    const world = new World(
      { walls: [], obstacles: [], docks: [] },
      [robot('a', { start: { x: 0, y: 0, yaw: 0 } }), robot('b', { start: { x: 2, y: 0, yaw: Math.PI } })],
      [],
      { dtS: 0.1, seed: 1 },
    );
    runFor(world, 3, { a: { linear: 0.5, angular: 0 }, b: { linear: 0.5, angular: 0 } });
    const [a, b] = world.snapshot();
    expect(b!.pose.x - a!.pose.x).toBeGreaterThanOrEqual(0.4 - 1e-6);
    expect(b!.pose.x - a!.pose.x).toBeCloseTo(0.4, 5);
    expect(world.collisions.length).toBeGreaterThanOrEqual(1);
    expect(world.collisions.every((c) => c.with.kind === 'robot')).toBe(true);
    expect(world.collisions[0]!.t).toBeCloseTo(1.6, 5); // 1.6 m closed at 1 m/s
    expect(world.collisions[0]!.where.x).toBeCloseTo(1, 5); // they met half way
  });

  it('a robot driving into a rectangular robot records the point on its side', () => {
    const rect = {
      kind: 'polygon',
      points: [
        { x: 0.5, y: 0.3 },
        { x: -0.5, y: 0.3 },
        { x: -0.5, y: -0.3 },
        { x: 0.5, y: -0.3 },
      ],
    } as const;
    const world = new World(
      { walls: [], obstacles: [], docks: [] },
      [
        robot('a', { start: { x: 0, y: -2, yaw: Math.PI / 2 } }),
        robot('b', { start: { x: 0.1, y: 0, yaw: 0 }, footprint: rect }),
      ],
      [],
      { dtS: 0.1, seed: 1 },
    );
    runFor(world, 4, { a: { linear: 0.5, angular: 0 } });
    expect(world.collisions).toHaveLength(1);
    const c = world.collisions[0]!;
    expect(c.with).toEqual({ kind: 'robot', id: 'b' });
    expect(c.where.x).toBeCloseTo(0, 6); // on b's lower side, straight ahead of a
    expect(c.where.y).toBeCloseTo(-0.3, 6);
    expect(c.t).toBeCloseTo(3, 5); // a's front (r 0.2) meets y = -0.3 after 1.5 m at 0.5 m/s
  });
});

describe('sim world: control, sensors and faults', () => {
  it('emits readings at their rates: in 1 s at dt 0.05, 10 scans, 20 odometry, 1 battery, 10 e-stop', () => {
    const world = new World(wallAt3, [robot('r1')], [], { dtS: 0.05, seed: 1 });
    const counts = { scan: 0, odom: 0, imu: 0, battery: 0, estop: 0 };
    for (let i = 0; i < 20; i++) {
      if (i === 10) world.setEstop('r1', true);
      for (const r of world.step().readings) {
        if (r.estop !== undefined) counts.estop++;
        if (r.estop !== undefined) expect(r.estop).toBe(i >= 10);
        if (r.scans) counts.scan += r.scans.length;
        if (r.odom) counts.odom++;
        if (r.imu) counts.imu++;
        if (r.battery) counts.battery++;
      }
    }
    expect(counts).toEqual({ scan: 10, odom: 20, imu: 20, battery: 1, estop: 10 });
    expect(world.time).toBeCloseTo(1, 12);
    world.setSensorEnabled('r1', 'estop', false); // a silent e-stop publisher
    for (let i = 0; i < 10; i++) expect(world.step().readings[0]?.estop).toBeUndefined();
  });

  it('staggers robots: at 10 Hz and dt 0.05 two robots scan on alternate steps, each 10 times a second', () => {
    const world = new World(wallAt3, [robot('a'), robot('b', { start: { x: -2, y: 0, yaw: 0 } })], [], {
      dtS: 0.05,
      seed: 1,
    });
    const steps: Record<string, number[]> = { a: [], b: [] };
    for (let i = 1; i <= 20; i++) {
      for (const r of world.step().readings) if (r.scans) steps[r.robotId]!.push(i);
    }
    expect(steps.a).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(steps.b).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  it('the lidar sees the wall 3 m ahead and sensor dropout withholds scans', () => {
    const world = new World(wallAt3, [robot('r1')], [], { dtS: 0.05, seed: 1 });
    world.step();
    const [reading] = world.step().readings[0]!.scans!;
    expect(reading!.topic).toBe('scan');
    expect(reading!.frame).toBe('laser');
    expect(reading!.scan.ranges[18]).toBeCloseTo(3, 5); // beam 18 of 36 points along +x
    world.setSensorEnabled('r1', 'scan', false);
    for (let i = 0; i < 10; i++) expect(world.step().readings[0]?.scans).toBeUndefined();
    world.setSensorEnabled('r1', 'scan', true);
    world.step();
    expect(world.step().readings[0]!.scans).toHaveLength(1);
  });

  it('a robot with a front and a rear lidar gets a scan from each, in its own frame', () => {
    const base = robot('x').lidars[0]!;
    const twoLidars = robot('r1', {
      lidars: [
        { ...base, topic: 'scan_front', frame: 'laser_front', mount: { x: 0.2, y: 0, yaw: 0 } },
        { ...base, topic: 'scan_rear', frame: 'laser_rear', mount: { x: -0.2, y: 0, yaw: Math.PI } },
      ],
    });
    const world = new World(wallAt3, [twoLidars], [], { dtS: 0.05, seed: 1 });
    world.step();
    const scans = world.step().readings[0]!.scans!;
    expect(scans.map((x) => [x.topic, x.frame])).toEqual([
      ['scan_front', 'laser_front'],
      ['scan_rear', 'laser_rear'],
    ]);
    // Straight ahead of the front laser (beam 18) the wall is 3 - 0.2 m away; behind the rear laser
    // (its beam 0 points at -π in its own frame, i.e. forward for the robot) it is 3 + 0.2 m.
    expect(scans[0]!.scan.ranges[18]).toBeCloseTo(2.8, 5);
    expect(scans[1]!.scan.ranges[0]).toBeCloseTo(3.2, 5);
    expect(scans[1]!.scan.ranges[18]).toBe(Infinity); // looking backwards: nothing
  });

  it('sees people in range and in line of sight, in base_link, nearest first', () => {
    const standing = (id: string, x: number, y: number): PersonConfig => ({
      id,
      radiusM: 0.3,
      speedMps: 1,
      pauseS: 0,
      mode: 'once',
      startS: 0,
      waypoints: [{ x, y }],
    });
    const world = new World(
      wallAt3,
      [robot('r1', { start: { x: 0, y: 0, yaw: Math.PI / 2 } })],
      [standing('ahead', 0, 2), standing('right', 1, 0), standing('behind-wall', 4, 0), standing('far', -9, 0)],
      { dtS: 0.1, seed: 1 },
    );
    const seen = world.peopleSeenBy('r1', 5);
    // Facing +y: the person at (1, 0) is 1 m to the robot's right (y = -1), the one at (0, 2) 2 m ahead.
    expect(seen).toHaveLength(2);
    expect(seen[0]!.x).toBeCloseTo(0, 12);
    expect(seen[0]!.y).toBeCloseTo(-1, 12);
    expect(seen[1]!.x).toBeCloseTo(2, 12);
    expect(seen[1]!.y).toBeCloseTo(0, 12);
    expect(world.peopleSeenBy('r1', 10)).toHaveLength(3); // 'far' is in range now; 'behind-wall' never
  });

  it('the base stops when commands stop arriving for cmdTimeoutS', () => {
    const world = new World({ walls: [], obstacles: [], docks: [] }, [robot('r1', { cmdTimeoutS: 0.5 })], [], {
      dtS: 0.1,
      seed: 1,
    });
    runFor(world, 2, { r1: { linear: 1, angular: 0 } });
    // Commanded at t = 0; steps starting at t <= 0.5 drive (6 steps of 0.1 m), then it stops.
    expect(world.snapshot()[0]!.pose.x).toBeCloseTo(0.6, 6);
    expect(world.snapshot()[0]!.twist.linear).toBe(0);
  });

  it('the e-stop is state for the nodes, and cuts the drive only when estopCutsDrive is set', () => {
    for (const cuts of [false, true]) {
      const world = new World({ walls: [], obstacles: [], docks: [] }, [robot('r1')], [], {
        dtS: 0.1,
        seed: 1,
        estopCutsDrive: cuts,
      });
      world.setEstop('r1', true);
      runFor(world, 1, { r1: { linear: 1, angular: 0 } });
      expect(world.estop('r1')).toBe(true);
      expect(world.snapshot()[0]!.pose.x).toBeCloseTo(cuts ? 0 : 1, 6);
      world.setEstop('r1', false);
      expect(world.snapshot()[0]!.estop).toBe(false);
    }
  });

  it('charges at a dock and an empty battery stops the base', () => {
    const world = new World(
      { walls: [], obstacles: [], docks: [{ x: 0.1, y: 0, yaw: 0 }] },
      [robot('r1'), robot('r2', { start: { x: 5, y: 0, yaw: 0 } })],
      [],
      { dtS: 0.5, seed: 1 },
    );
    runFor(world, 360);
    const [docked, away] = world.snapshot();
    expect(docked!.batteryPercentage).toBeCloseTo(0.6, 9);
    expect(away!.batteryPercentage).toBeCloseTo(0.49, 9);
    world.setBatteryPercentage('r2', 0);
    runFor(world, 1, { r2: { linear: 1, angular: 0 } });
    expect(world.snapshot()[1]!.pose.x).toBe(5);
    expect(() => world.setEstop('nobody', true)).toThrow(/unknown robot id 'nobody'/);
  });

  it('refuses a non-finite command: the base stops and the refusal is counted', () => {
    const world = new World({ walls: [], obstacles: [], docks: [] }, [robot('r1')], [], { dtS: 0.1, seed: 1 });
    runFor(world, 1, { r1: { linear: 1, angular: 0 } });
    runFor(world, 1, { r1: { linear: Number.NaN, angular: 0 } });
    runFor(world, 1, { r1: { linear: 1, angular: Infinity } });
    expect(world.snapshot()[0]!.pose.x).toBeCloseTo(1, 6);
    expect(world.metrics()[0]!.invalidCommands).toBe(2);
  });

  it('refuses duplicate robot ids and non-positive options with KZ_ERR_SIM_INVALID', () => {
    const empty = { walls: [], obstacles: [], docks: [] };
    expect(
      () => new World(empty, [robot('a'), robot('a', { start: { x: 5, y: 0, yaw: 0 } })], [], { dtS: 0.1, seed: 1 }),
    ).toThrow(expect.objectContaining({ code: 'KZ_ERR_SIM_INVALID', message: "duplicate robot id 'a'" }));
    const world = new World(empty, [robot('a')], [], { dtS: 0.1, seed: 1 });
    expect(() => world.setBatteryPercentage('a', Number.NaN)).toThrow(
      expect.objectContaining({
        code: 'KZ_ERR_SIM_INVALID',
        message: 'battery percentage must be a finite number, got NaN',
      }),
    );
    expect(() => new World(empty, [robot('a')], [], { dtS: 0, seed: 1 })).toThrow(
      expect.objectContaining({
        code: 'KZ_ERR_SIM_INVALID',
        message: 'world option dtS must be a finite number > 0, got 0',
      }),
    );
  });
});

describe('sim world: determinism', () => {
  function noisyRun(seed: number) {
    const noisy = robot('r1', {
      noise: { odomLinearRatio: 0.05, odomAngularRatio: 0.05, gyroStdRadps: 0.02, accelStdMps2: 0.1 },
      lidars: [{ ...robot('x').lidars[0]!, noiseStdM: 0.02 }],
    });
    const world = new World(wallAt3, [noisy, robot('r2', { start: { x: -1, y: 1, yaw: 0 } })], [], { dtS: 0.05, seed });
    const trace: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const rep = world.step({ r1: { linear: 0.4, angular: Math.sin(i / 10) }, r2: { linear: 0.2, angular: 0.3 } });
      trace.push(rep.readings.map((r) => ({ ...r, scans: r.scans?.map((x) => Array.from(x.scan.ranges)) })));
    }
    return { trace, snap: world.snapshot() };
  }

  it('the same seed gives identical trajectories and readings; another seed differs', () => {
    const a = noisyRun(11);
    const b = noisyRun(11);
    const c = noisyRun(12);
    expect(b).toEqual(a);
    expect(c.snap[0]!.odomPose).not.toEqual(a.snap[0]!.odomPose);
    expect(c.snap[0]!.pose).toEqual(a.snap[0]!.pose); // the true motion has no noise
  });
});

describe('sim world: clearance against brute force', () => {
  it('the minimum clearance equals the minimum over every step of the exact distance to everything', () => {
    const rng = new Rng(99);
    for (const footprint of [
      { kind: 'circle', radius: 0.3 } as const,
      {
        kind: 'polygon',
        points: [
          { x: 0.5, y: 0.3 },
          { x: -0.5, y: 0.3 },
          { x: -0.5, y: -0.3 },
          { x: 0.5, y: -0.3 },
        ],
      } as const,
    ]) {
      // The robot drives a circle of radius 1 m about (0, 1); boxes stand 2.2 to 4 m from that centre,
      // so the nearest object changes along the way and nothing is ever touched.
      const obstacles: WorldMap['obstacles'][number][] = [];
      for (let k = 0; k < 10; k++) {
        const a = rng.next() * 2 * Math.PI;
        const dist = 2.2 + rng.next() * 1.8;
        const x = dist * Math.cos(a);
        const y = 1 + dist * Math.sin(a);
        const w = 0.1 + rng.next() * 0.3;
        obstacles.push({
          id: `o${k}`,
          points: [
            { x: x - w, y: y - w },
            { x: x + w, y: y - w },
            { x: x + w, y: y + w },
            { x: x - w, y: y + w },
          ],
        });
      }
      const room = [
        { x: -10, y: -10 },
        { x: 10, y: -10 },
        { x: 10, y: 10 },
        { x: -10, y: 10 },
      ];
      const map: WorldMap = { walls: [{ id: 'room', points: room, closed: true }], obstacles, docks: [] };
      const person: PersonConfig = {
        id: 'p',
        radiusM: 0.3,
        speedMps: 0.7,
        pauseS: 0,
        mode: 'loop',
        startS: 0,
        waypoints: [
          { x: -6, y: -1.2 },
          { x: 6, y: -1.2 },
        ],
      };
      const world = new World(map, [robot('r', { footprint })], [person], { dtS: 0.1, seed: 1 });
      const statics = [...polylineSegments(room, true), ...obstacles.flatMap((o) => polylineSegments(o.points, true))];
      let expected = 2; // the clearance cap
      const nearest = new Set<string>();
      world.step({ r: { linear: 0.5, angular: 0.5 } });
      for (let i = 0; i < 300; i++) {
        if (i > 0) world.step();
        const shape = placeFootprint(footprint, world.snapshot()[0]!.pose);
        const ds: Array<[string, number]> = [
          ['wall', Math.min(...polylineSegments(room, true).map((s) => shapeSegmentDistance(shape, s)))],
          ...obstacles.map((o): [string, number] => [
            o.id,
            shapePolygonDistance(shape, o.points, polylineSegments(o.points, true)),
          ]),
          ['person', shapeCircleDistance(shape, world.peopleCircles()[0]!)],
        ];
        ds.sort((x, y) => x[1] - y[1]);
        nearest.add(ds[0]![0]);
        expected = Math.min(expected, ds[0]![1]);
      }
      expect(statics.length).toBeGreaterThan(4);
      expect(world.collisions).toEqual([]);
      expect(nearest.size).toBeGreaterThan(2); // the nearest object changed along the way
      expect(expected).toBeGreaterThan(0.05);
      expect(world.metrics()[0]!.minClearanceM).toBeCloseTo(expected, 9);
    }
  });
});

describe('sim world: clearance after skipped checks', () => {
  it('a person approaching a robot that stands in the open is measured, though the robot was nearer a wall before', () => {
    const map: WorldMap = {
      walls: [
        {
          id: 'south',
          points: [
            { x: -5, y: -0.5 },
            { x: 5, y: -0.5 },
          ],
        },
      ],
      obstacles: [],
      docks: [],
    };
    const person: PersonConfig = {
      id: 'p',
      radiusM: 0.3,
      speedMps: 1,
      pauseS: 0,
      mode: 'once',
      startS: 6,
      waypoints: [
        { x: 0, y: 6 },
        { x: 0, y: 2.6 },
      ],
    };
    // 0.2 m from the wall at the start; then 2 m away from it, standing, while the person comes close.
    const r = robot('r', {
      start: { x: 0, y: -0.05, yaw: Math.PI / 2 },
      footprint: { kind: 'circle', radius: 0.25 },
      cmdTimeoutS: 3.95,
    });
    const world = new World(map, [r], [person], { dtS: 0.1, seed: 1 });
    world.step({ r: { linear: 0.5, angular: 0 } });
    let expected = 0.2;
    for (let i = 0; i < 150; i++) {
      world.step();
      const pose = world.snapshot()[0]!.pose;
      const shape = placeFootprint(r.footprint, pose);
      expected = Math.min(
        expected,
        shapeSegmentDistance(shape, { ax: -5, ay: -0.5, bx: 5, by: -0.5 }),
        shapeCircleDistance(shape, world.peopleCircles()[0]!),
      );
    }
    expect(world.snapshot()[0]!.pose.y).toBeCloseTo(1.95, 6);
    expect(expected).toBeCloseTo(0.1, 6); // centres 2.6 - 1.95 = 0.65 apart, minus radii 0.25 + 0.3
    expect(world.metrics()[0]!.minClearanceM).toBeCloseTo(expected, 9);
    expect(world.collisions).toEqual([]);
  });
});

describe('sim world: many robots under random commands', () => {
  it('no robot ever ends a step inside a wall, an obstacle or another robot, and the clearance is bounded by brute force', () => {
    const rng = new Rng(5);
    const room = [
      { x: 0, y: 0 },
      { x: 12, y: 0 },
      { x: 12, y: 12 },
      { x: 0, y: 12 },
    ];
    const box = (x: number, y: number, s: number) => [
      { x, y },
      { x: x + s, y },
      { x: x + s, y: y + s },
      { x, y: y + s },
    ];
    const obstacles = [
      { id: 'a', points: box(3, 3, 1) },
      { id: 'b', points: box(8, 4, 0.6) },
      { id: 'c', points: box(5, 8, 1.5) },
    ];
    const map: WorldMap = { walls: [{ id: 'room', points: room, closed: true }], obstacles, docks: [] };
    const rect = {
      kind: 'polygon',
      points: [
        { x: 0.45, y: 0.3 },
        { x: -0.45, y: 0.3 },
        { x: -0.45, y: -0.3 },
        { x: 0.45, y: -0.3 },
      ],
    } as const;
    const starts = [
      [1.5, 1.5],
      [10.5, 1.5],
      [1.5, 10.5],
      [10.5, 10.5],
      [6, 1.5],
      [6, 6],
    ];
    const robots = starts.map(([x, y], i) =>
      robot(`r${i}`, { start: { x: x!, y: y!, yaw: i }, ...(i >= 4 ? { footprint: rect } : {}) }),
    );
    const people: PersonConfig[] = [
      {
        id: 'p1',
        radiusM: 0.3,
        speedMps: 1,
        pauseS: 1,
        mode: 'loop',
        startS: 0,
        waypoints: [
          { x: 1, y: 6 },
          { x: 11, y: 6 },
        ],
      },
      {
        id: 'p2',
        radiusM: 0.25,
        speedMps: 0.8,
        pauseS: 0,
        mode: 'loop',
        startS: 2,
        waypoints: [
          { x: 7, y: 11 },
          { x: 7, y: 1 },
        ],
      },
    ];
    const world = new World(map, robots, people, { dtS: 0.05, seed: 3 });
    const statics = [...polylineSegments(room, true), ...obstacles.flatMap((o) => polylineSegments(o.points, true))];
    const bruteMin = robots.map(() => 2);
    for (let i = 0; i < 600; i++) {
      const cmds =
        i % 10 === 0
          ? Object.fromEntries(
              robots.map((r) => [r.id, { linear: rng.next() * 2.4 - 0.6, angular: rng.next() * 3 - 1.5 }]),
            )
          : undefined;
      world.step(cmds);
      const shapes = world.snapshot().map((s, k) => placeFootprint(robots[k]!.footprint, s.pose));
      shapes.forEach((shape, k) => {
        const dStatic = Math.min(
          ...statics.map((s) => shapeSegmentDistance(shape, s)),
          ...obstacles.map((o) => shapePolygonDistance(shape, o.points, polylineSegments(o.points, true))),
        );
        expect({ step: i, robot: k, inside: dStatic === 0 }).toEqual({ step: i, robot: k, inside: false });
        shapes.forEach((other, j) => {
          if (j !== k)
            expect({ step: i, k, j, overlap: shapeShapeDistance(shape, other) === 0 }).toMatchObject({
              overlap: false,
            });
        });
        const dPeople = Math.min(...world.peopleCircles().map((c) => shapeCircleDistance(shape, c)));
        bruteMin[k] = Math.min(bruteMin[k]!, dStatic, dPeople);
      });
    }
    const metrics = world.metrics();
    expect(world.collisions.length).toBeGreaterThan(0); // random driving does hit things
    metrics.forEach((m, k) => {
      // The world also counts other robots, so it can only be nearer; and contact counts as 0.
      expect(m.minClearanceM).toBeLessThanOrEqual(bruteMin[k]! + 1e-9);
      if (m.collisions === 0) expect(m.minClearanceM).toBeGreaterThan(0);
      else expect(m.minClearanceM).toBe(0);
    });
  });
});
