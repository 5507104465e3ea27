import { describe, it, expect } from '@jest/globals';
import {
  type DriveLimits,
  type DriveState,
  GRAVITY_MPS2,
  NO_NOISE,
  applyMotion,
  driveMotion,
  imuReading,
  initialDriveState,
  integrateArc,
  limitTwist,
  odometryReading,
  ramp,
  rampAsymmetric,
} from '../../../sim/robot';
import { Rng } from '../../../sim/random';

const fast: DriveLimits = {
  maxLinearMps: 2,
  maxReverseMps: 0.5,
  maxAngularRadps: 3,
  linearAccelMps2: 1e9,
  linearDecelMps2: 1e9,
  angularAccelRadps2: 1e9,
};

function run(
  state: DriveState,
  cmd: { linear: number; angular: number },
  limits: DriveLimits,
  dt: number,
  steps: number,
) {
  const rng = new Rng(1);
  for (let i = 0; i < steps; i++) state = applyMotion(state, driveMotion(state, cmd, limits, dt), 1, dt, NO_NOISE, rng);
  return state;
}

describe('sim robot: differential drive', () => {
  it('a constant twist of 1 m/s and π/2 rad/s for 1 s drives a quarter circle of radius 2/π', () => {
    const start = { ...initialDriveState({ x: 0, y: 0, yaw: 0 }), twist: { linear: 1, angular: Math.PI / 2 } };
    const end = run(start, { linear: 1, angular: Math.PI / 2 }, fast, 0.1, 10);
    const R = 2 / Math.PI;
    expect(end.pose.x).toBeCloseTo(R, 10);
    expect(end.pose.y).toBeCloseTo(R, 10);
    expect(end.pose.yaw).toBeCloseTo(Math.PI / 2, 10);
    // A full circle (4 s) comes back to the start.
    const full = run(start, { linear: 1, angular: Math.PI / 2 }, fast, 0.05, 80);
    expect(full.pose.x).toBeCloseTo(0, 9);
    expect(full.pose.y).toBeCloseTo(0, 9);
  });

  it('integrates a straight line and a turn on the spot exactly', () => {
    expect(integrateArc({ x: 1, y: 1, yaw: Math.PI / 2 }, 2, 0)).toEqual({
      x: 1 + 2 * Math.cos(Math.PI / 2),
      y: 3,
      yaw: Math.PI / 2,
    });
    const spin = integrateArc({ x: 1, y: 1, yaw: 0 }, 0, 1);
    expect(spin).toEqual({ x: 1, y: 1, yaw: 1 });
  });

  it('reaches 1 m/s at 0.5 m/s² after exactly 2 s, having covered 1 m (½·a·t²)', () => {
    const limits = { ...fast, linearAccelMps2: 0.5 };
    let s = initialDriveState({ x: 0, y: 0, yaw: 0 });
    s = run(s, { linear: 1, angular: 0 }, limits, 0.1, 19);
    expect(s.twist.linear).toBeCloseTo(0.95, 12);
    expect(s.accelMps2).toBeCloseTo(0.5, 9);
    s = run(s, { linear: 1, angular: 0 }, limits, 0.1, 1);
    expect(s.twist.linear).toBeCloseTo(1, 12);
    expect(s.pose.x).toBeCloseTo(1, 12);
    s = run(s, { linear: 1, angular: 0 }, limits, 0.1, 10);
    expect(s.pose.x).toBeCloseTo(2, 12);
    expect(s.accelMps2).toBe(0);
  });

  it('reaches the target inside a step when the step does not divide the ramp (dt 0.3 s → 1.1 m at 2.1 s)', () => {
    const r = ramp(0.9, 1, 0.5, 0.3);
    expect(r.end).toBe(1);
    expect(r.distance).toBeCloseTo(0.29, 12);
    const limits = { ...fast, linearAccelMps2: 0.5 };
    const s = run(initialDriveState({ x: 0, y: 0, yaw: 0 }), { linear: 1, angular: 0 }, limits, 0.3, 7);
    expect(s.pose.x).toBeCloseTo(1.1, 12);
  });

  it('brakes at the braking limit: from 1 m/s to rest at 0.5 m/s² in 2 s over 1 m', () => {
    const limits = { ...fast, linearAccelMps2: 0.1, linearDecelMps2: 0.5 };
    const moving = { ...initialDriveState({ x: 0, y: 0, yaw: 0 }), twist: { linear: 1, angular: 0 } };
    const s = run(moving, { linear: 0, angular: 0 }, limits, 0.1, 25);
    expect(s.twist.linear).toBe(0);
    expect(s.pose.x).toBeCloseTo(1, 12);
  });

  it('reverses by braking to a stop, then speeding up the other way, each at its own limit', () => {
    // From +0.5 m/s towards -1 m/s, braking at 1 m/s², speeding up at 0.5 m/s², over 1 s:
    // stop after 0.5 s having covered 0.125 m, then 0.5 s at 0.5 m/s² backwards: -0.0625 m, -0.25 m/s.
    const r = rampAsymmetric(0.5, -1, 0.5, 1, 1);
    expect(r.end).toBeCloseTo(-0.25, 12);
    expect(r.distance).toBeCloseTo(0.125 - 0.0625, 12);
    // Braking that does not reach zero within the step, and plain braking to a lower speed.
    expect(rampAsymmetric(2, -1, 0.5, 1, 1)).toEqual({ end: 1, distance: 1.5 });
    expect(rampAsymmetric(-2, -1, 0.5, 1, 0.5)).toEqual({ end: -1.5, distance: -0.875 });
    // Speeding up uses the acceleration limit.
    expect(rampAsymmetric(0, 1, 0.5, 1, 1)).toEqual({ end: 0.5, distance: 0.25 });
  });

  it('reaches 0.5 rad/s at 1 rad/s² after 0.5 s', () => {
    const limits = { ...fast, angularAccelRadps2: 1 };
    const s = run(initialDriveState({ x: 0, y: 0, yaw: 0 }), { linear: 0, angular: 0.5 }, limits, 0.1, 5);
    expect(s.twist.angular).toBeCloseTo(0.5, 12);
    expect(s.pose.yaw).toBeCloseTo(0.125, 12); // ½·1·0.5²
  });

  it('clamps commands to the velocity limits and treats non-finite components as 0', () => {
    expect(limitTwist({ linear: 5, angular: -9 }, fast)).toEqual({ linear: 2, angular: -3 });
    expect(limitTwist({ linear: -5, angular: Number.NaN }, fast)).toEqual({ linear: -0.5, angular: 0 });
    expect(limitTwist({ linear: Infinity, angular: 1 }, fast)).toEqual({ linear: 0, angular: 1 });
  });

  it('a blocked step covers only its fraction and leaves the base standing', () => {
    const s0 = { ...initialDriveState({ x: 0, y: 0, yaw: 0 }), twist: { linear: 1, angular: 0 } };
    const m = driveMotion(s0, { linear: 1, angular: 0 }, fast, 0.1);
    const s = applyMotion(s0, m, 0.5, 0.1, NO_NOISE, new Rng(1));
    expect(s.pose.x).toBeCloseTo(0.05, 12);
    expect(s.twist).toEqual({ linear: 0, angular: 0 });
  });
});

describe('sim robot: odometry and IMU', () => {
  it('odometry without noise is the true motion in the odom frame (origin at the start pose)', () => {
    const s = run(
      { ...initialDriveState({ x: 3, y: 4, yaw: Math.PI / 2 }), twist: { linear: 0.5, angular: 0 } },
      { linear: 0.5, angular: 0 },
      fast,
      0.1,
      20,
    );
    expect(s.pose.x).toBeCloseTo(3, 12);
    expect(s.pose.y).toBeCloseTo(5, 12);
    const odom = odometryReading(s, 2);
    expect(odom.pose.x).toBeCloseTo(1, 12);
    expect(odom.pose.y).toBeCloseTo(0, 12);
    expect(odom.pose.yaw).toBe(0);
    expect(odom.twist.linear).toBeCloseTo(0.5, 12);
  });

  it('the IMU reads the turn rate, v·ω sideways, +g up, and the ramp acceleration ahead', () => {
    const turning = { ...initialDriveState({ x: 0, y: 0, yaw: 0 }), twist: { linear: 0.4, angular: 0.5 } };
    const s = run(turning, { linear: 0.4, angular: 0.5 }, fast, 0.1, 10);
    const imu = imuReading(s, 1, NO_NOISE, new Rng(1));
    expect(imu.angularVelocityZ).toBeCloseTo(0.5, 12);
    expect(imu.linearAcceleration.y).toBeCloseTo(0.2, 12);
    expect(imu.linearAcceleration.z).toBe(GRAVITY_MPS2);
    expect(imu.yaw).toBeCloseTo(0.5, 12);
    const ramping = run(
      initialDriveState({ x: 0, y: 0, yaw: 0 }),
      { linear: 1, angular: 0 },
      { ...fast, linearAccelMps2: 0.8 },
      0.1,
      3,
    );
    expect(imuReading(ramping, 0.3, NO_NOISE, new Rng(1)).linearAcceleration.x).toBeCloseTo(0.8, 9);
  });

  it('noisy odometry drifts from the truth, reproducibly for a seed, and not while standing still', () => {
    const noise = { odomLinearRatio: 0.05, odomAngularRatio: 0.05, gyroStdRadps: 0.01, accelStdMps2: 0.05 };
    const go = (seed: number) => {
      const rng = new Rng(seed);
      let s = { ...initialDriveState({ x: 0, y: 0, yaw: 0 }), twist: { linear: 1, angular: 0.3 } };
      for (let i = 0; i < 100; i++)
        s = applyMotion(s, driveMotion(s, { linear: 1, angular: 0.3 }, fast, 0.1), 1, 0.1, noise, rng);
      return s;
    };
    const a = go(5);
    const b = go(5);
    const c = go(6);
    expect(a).toEqual(b);
    expect(a.odomPose).not.toEqual(c.odomPose);
    expect(Math.abs(a.odomPose.x - a.pose.x) + Math.abs(a.odomPose.y - a.pose.y)).toBeGreaterThan(1e-3);

    const rng = new Rng(3);
    let still = initialDriveState({ x: 0, y: 0, yaw: 0 });
    for (let i = 0; i < 50; i++)
      still = applyMotion(still, driveMotion(still, { linear: 0, angular: 0 }, fast, 0.1), 1, 0.1, noise, rng);
    expect(still.odomPose).toEqual({ x: 0, y: 0, yaw: 0 });
  });
});
