import { describe, it, expect } from '@jest/globals';
import { type Circle, type Segment, SegmentGrid, composePose, polylineSegments } from '../../../sim/geometry';
import { BodyIndex, Lidar, type LidarConfig, type LidarScene, castRawBruteForce, fullCircle } from '../../../sim/lidar';
import { Rng } from '../../../sim/random';

const room = polylineSegments(
  [
    { x: -2, y: -2 },
    { x: 2, y: -2 },
    { x: 2, y: 2 },
    { x: -2, y: 2 },
  ],
  true,
);

function scene(segments: Segment[], extra: Partial<LidarScene> = {}): LidarScene {
  return { grid: new SegmentGrid(segments), circles: [], circleOwner: [], segments: [], segmentOwner: [], ...extra };
}

function config(over: Partial<LidarConfig> = {}): LidarConfig {
  return {
    beams: 8,
    ...fullCircle(8),
    rangeMinM: 0.1,
    rangeMaxM: 10,
    rateHz: 10,
    noiseStdM: 0,
    mount: { x: 0, y: 0, yaw: 0 },
    ...over,
  };
}

const rng = () => new Rng(1);

describe('sim lidar', () => {
  it('in a 4 m square room seen from the centre: 2 m along the axes, 2√2 m on the diagonals', () => {
    const lidar = new Lidar(config());
    const scan = lidar.scan(1.5, { x: 0, y: 0, yaw: 0 }, scene(room), -1, rng());
    expect(scan.angleIncrement).toBeCloseTo(Math.PI / 4, 12);
    expect(scan.angleMin).toBeCloseTo(-Math.PI, 12);
    expect(scan.angleMax).toBeCloseTo((3 * Math.PI) / 4, 12);
    expect(scan.ranges).toBeInstanceOf(Float32Array);
    const d = Math.fround(2 * Math.SQRT2);
    // beams at -π, -3π/4, -π/2, -π/4, 0, π/4, π/2, 3π/4
    const expected = [2, d, 2, d, 2, d, 2, d];
    expected.forEach((e, i) => expect(scan.ranges[i]).toBeCloseTo(e, 5));
    expect(scan.t).toBe(1.5);
    expect(scan.scanTime).toBeCloseTo(0.1, 12);
    expect(scan.timeIncrement).toBe(0);
  });

  it('returns beyond range_max are +Inf and closer than range_min are -Inf (REP 117)', () => {
    const lidar = new Lidar(config({ rangeMaxM: 2.5 }));
    const scan = lidar.scan(0, { x: 0, y: 0, yaw: 0 }, scene(room), -1, rng());
    expect(Array.from(scan.ranges)).toEqual([2, Infinity, 2, Infinity, 2, Infinity, 2, Infinity]);
    const near = new Lidar(config({ rangeMinM: 0.5 }));
    const s2 = near.scan(0, { x: 1.7, y: 0, yaw: 0 }, scene(room), -1, rng());
    expect(s2.ranges[4]).toBe(-Infinity); // 0.3 m to the wall at x = 2
    expect(s2.ranges[0]).toBeCloseTo(3.7, 5);
    const empty = new Lidar(config()).scan(0, { x: 0, y: 0, yaw: 0 }, scene([]), -1, rng());
    expect(Array.from(empty.ranges).every((r) => r === Infinity)).toBe(true);
  });

  it('uses the mount pose: a laser 0.1 m ahead of base_link on a robot facing +y', () => {
    const cfg = config({ mount: { x: 0.1, y: 0, yaw: 0 } });
    const lidar = new Lidar(cfg);
    const sensor = composePose({ x: 0, y: 0, yaw: Math.PI / 2 }, cfg.mount);
    const scan = lidar.scan(0, sensor, scene(room), -1, rng());
    expect(scan.ranges[4]).toBeCloseTo(1.9, 5); // forward (+y)
    expect(scan.ranges[0]).toBeCloseTo(2.1, 5); // backward (-y)
    expect(scan.ranges[2]).toBeCloseTo(2, 5); // laser -π/2, the robot's right: +x
  });

  it('sees a person (circle r 0.3) 1.5 m ahead at 1.2 m, and ignores its own body', () => {
    const person: Circle = { x: 1.5, y: 0, r: 0.3 };
    const self: Circle = { x: 0, y: 0, r: 0.25 };
    const lidar = new Lidar(config());
    const sc = scene(room, { circles: [person, self], circleOwner: [-1, 0] });
    const scan = lidar.scan(0, { x: 0, y: 0, yaw: 0 }, sc, 0, rng());
    expect(scan.ranges[4]).toBeCloseTo(1.2, 5);
    expect(scan.ranges[0]).toBeCloseTo(2, 5);
    // Another robot (owner 1) whose body contains the sensor blinds it: 0 < range_min → -Inf.
    const blind = lidar.scan(0, { x: 0, y: 0, yaw: 0 }, sc, 1, rng());
    expect(blind.ranges[0]).toBe(-Infinity);
  });

  it('keeps noisy returns inside [range_min, range_max] and is reproducible for a seed', () => {
    const lidar = new Lidar(config({ beams: 360, ...fullCircle(360), noiseStdM: 0.05, rangeMaxM: 2.05 }));
    const a = lidar.scan(0, { x: 0, y: 0, yaw: 0 }, scene(room), -1, new Rng(9));
    const b = lidar.scan(0, { x: 0, y: 0, yaw: 0 }, scene(room), -1, new Rng(9));
    expect(Array.from(a.ranges)).toEqual(Array.from(b.ranges));
    const finite = Array.from(a.ranges).filter(Number.isFinite);
    expect(finite.length).toBeGreaterThan(0);
    for (const r of finite) expect(r >= 0.1 && r <= Math.fround(2.05)).toBe(true);
    expect(finite.some((r) => Math.abs(r - 2) > 1e-3)).toBe(true);
  });

  it('matches brute force on random scenes (walls, polygon robots, people, any heading)', () => {
    const r = new Rng(2024);
    let finiteBeams = 0;
    for (let trial = 0; trial < 40; trial++) {
      const segs: Segment[] = [];
      for (let k = 0; k < 25; k++) {
        const ax = r.next() * 20 - 10;
        const ay = r.next() * 20 - 10;
        segs.push({ ax, ay, bx: ax + r.next() * 6 - 3, by: ay + r.next() * 6 - 3 });
      }
      const circles: Circle[] = [];
      const owners: number[] = [];
      for (let k = 0; k < 6; k++) {
        circles.push({ x: r.next() * 16 - 8, y: r.next() * 16 - 8, r: 0.1 + r.next() * 0.5 });
        owners.push(k % 3 === 0 ? 0 : -1);
      }
      const dyn: Segment[] = [{ ax: 1, ay: 1, bx: 2, by: 1.5 }];
      const sc = scene(segs, { circles, circleOwner: owners, segments: dyn, segmentOwner: [1] });
      const beams = 90 + Math.floor(r.next() * 300);
      const fov = r.next() < 0.5 ? fullCircle(beams) : { angleMinRad: -2, angleMaxRad: 2.2 };
      const cfg = config({ beams, ...fov, rangeMaxM: 4 + r.next() * 10 });
      const sensor = { x: r.next() * 10 - 5, y: r.next() * 10 - 5, yaw: r.next() * 20 - 10 };
      const slow = castRawBruteForce(cfg, sensor, sc, 0);
      // The same scene with and without the broad phase over moving bodies.
      for (const scene of [sc, { ...sc, bodies: new BodyIndex(circles, dyn) }]) {
        const fast = new Lidar(cfg).castRaw(sensor, scene, 0);
        for (let i = 0; i < beams; i++) {
          const f = fast[i]! > cfg.rangeMaxM ? Infinity : fast[i]!;
          const s = slow[i]! > cfg.rangeMaxM ? Infinity : slow[i]!;
          if (f !== s) expect({ trial, i, f }).toEqual({ trial, i, f: expect.closeTo(s, 9) });
          if (Number.isFinite(s)) finiteBeams++;
        }
      }
    }
    expect(finiteBeams).toBeGreaterThan(1000);
  });
});
