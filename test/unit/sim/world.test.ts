import { describe, it, expect } from '@jest/globals';
import { fullCircle } from '../../../sim/lidar';
import type { PersonConfig } from '../../../sim/people';
import { NO_NOISE } from '../../../sim/robot';
import { type SimRobotConfig, type WorldMap, World } from '../../../sim/world';

function robot(id: string, over: Partial<SimRobotConfig> = {}): SimRobotConfig {
  return {
    id,
    start: { x: 0, y: 0, yaw: 0 },
    footprint: { kind: 'circle', radius: 0.2 },
    limits: { maxLinearMps: 2, maxReverseMps: 1, maxAngularRadps: 2, linearAccelMps2: 1e9, angularAccelRadps2: 1e9 },
    noise: NO_NOISE,
    lidar: {
      beams: 36,
      ...fullCircle(36),
      rangeMinM: 0.05,
      rangeMaxM: 10,
      rateHz: 10,
      noiseStdM: 0,
      mount: { x: 0, y: 0, yaw: 0 },
    },
    battery: {
      capacityWh: 100,
      fullVoltageV: 25,
      emptyVoltageV: 21,
      idlePowerW: 10,
      drivePowerWPerMps: 20,
      turnPowerWPerRadps: 5,
      chargePowerW: 110,
      dockRadiusM: 0.3,
      initialPercentage: 0.5,
    },
    odomRateHz: 20,
    imuRateHz: 20,
    batteryRateHz: 1,
    cmdTimeoutS: 1000,
    ...over,
  };
}

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
  });
});

describe('sim world: control, sensors and faults', () => {
  it('emits readings at their rates: in 1 s at dt 0.05, 10 scans, 20 odometry, 1 battery', () => {
    const world = new World(wallAt3, [robot('r1')], [], { dtS: 0.05, seed: 1 });
    const counts = { scan: 0, odom: 0, imu: 0, battery: 0 };
    for (let i = 0; i < 20; i++) {
      for (const r of world.step().readings) {
        if (r.scan) counts.scan++;
        if (r.odom) counts.odom++;
        if (r.imu) counts.imu++;
        if (r.battery) counts.battery++;
      }
    }
    expect(counts).toEqual({ scan: 10, odom: 20, imu: 20, battery: 1 });
    expect(world.time).toBeCloseTo(1, 12);
  });

  it('the lidar sees the wall 3 m ahead and sensor dropout withholds scans', () => {
    const world = new World(wallAt3, [robot('r1')], [], { dtS: 0.05, seed: 1 });
    world.step();
    const scan = world.step().readings[0]!.scan!;
    expect(scan.ranges[18]).toBeCloseTo(3, 5); // beam 18 of 36 points along +x
    world.setSensorEnabled('r1', 'scan', false);
    for (let i = 0; i < 10; i++) expect(world.step().readings[0]?.scan).toBeUndefined();
    world.setSensorEnabled('r1', 'scan', true);
    world.step();
    expect(world.step().readings[0]!.scan).toBeDefined();
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
});

describe('sim world: determinism', () => {
  function noisyRun(seed: number) {
    const noisy = robot('r1', {
      noise: { odomLinearRatio: 0.05, odomAngularRatio: 0.05, gyroStdRadps: 0.02, accelStdMps2: 0.1 },
      lidar: { ...robot('x').lidar, noiseStdM: 0.02 },
    });
    const world = new World(wallAt3, [noisy, robot('r2', { start: { x: -1, y: 1, yaw: 0 } })], [], { dtS: 0.05, seed });
    const trace: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const rep = world.step({ r1: { linear: 0.4, angular: Math.sin(i / 10) }, r2: { linear: 0.2, angular: 0.3 } });
      trace.push(rep.readings.map((r) => ({ ...r, scan: r.scan && Array.from(r.scan.ranges) })));
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
