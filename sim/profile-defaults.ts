/**
 * Physical defaults per robot profile for the simulator: footprint, lidar layout, drive limits (what
 * the motors can do) and battery. A scenario may override any of them per robot.
 *
 * They follow the nodes' own profile parameters in launch/params/<profile>.yaml, so that a simulated
 * robot is the robot its safety gate believes it drives: the footprint is the gate's footprint
 * (front, rear, half width), the lidars publish on the gate's and perception's scan topics in their
 * frames at their poses, and the motors can do somewhat more than the gate allows (speeds × 1.25,
 * accelerations × 2), so the gate's limits, not the motors, shape the motion.
 * test/unit/sim/profile-defaults.test.ts fails when the two drift apart.
 */
import type { ProfileName } from '../nodes/core/profiles';
import type { BatteryConfig } from './battery';
import type { Footprint, Pose } from './geometry';
import type { DriveLimits } from './robot';

/** A rectangle footprint reaching `frontM` ahead of base_link, `rearM` behind, `halfWidthM` to each side. */
export function rectangle(frontM: number, rearM: number, halfWidthM: number): Footprint {
  return {
    kind: 'polygon',
    points: [
      { x: frontM, y: halfWidthM },
      { x: -rearM, y: halfWidthM },
      { x: -rearM, y: -halfWidthM },
      { x: frontM, y: -halfWidthM },
    ],
  };
}

/** Where a lidar sits and what it publishes: topic, frame_id, pose in base_link, field of view. */
export interface LidarLayout {
  topic: string;
  frame: string;
  mount: Pose;
  /** [rad] first and last beam; absent = a full circle. */
  angleMinRad?: number;
  angleMaxRad?: number;
}

export interface ProfileDefaults {
  footprint: Footprint;
  lidars: LidarLayout[];
  limits: DriveLimits;
  battery: BatteryConfig;
}

/** Motor limits a margin above the safety gate's speed and acceleration limits. */
function motors(gate: {
  maxLinear: number;
  maxReverse: number;
  maxAngular: number;
  accel: number;
  decel: number;
  angularAccel: number;
}): DriveLimits {
  return {
    maxLinearMps: gate.maxLinear * 1.25,
    maxReverseMps: gate.maxReverse * 1.25,
    maxAngularRadps: gate.maxAngular * 1.25,
    linearAccelMps2: gate.accel * 2,
    linearDecelMps2: gate.decel * 2,
    angularAccelRadps2: gate.angularAccel * 2,
  };
}

const battery = (capacityWh: number, idlePowerW: number, drivePowerWPerMps: number): BatteryConfig => ({
  capacityWh,
  fullVoltageV: 29.4,
  emptyVoltageV: 21,
  idlePowerW,
  drivePowerWPerMps,
  turnPowerWPerRadps: drivePowerWPerMps / 4,
  chargePowerW: capacityWh, // a 1 C charger
  dockRadiusM: 0.3,
});

const front = (x: number): LidarLayout[] => [{ topic: 'scan', frame: 'laser', mount: { x, y: 0, yaw: 0 } }];
const QUARTER3 = (3 * Math.PI) / 4;

/** Defaults by profile. */
export const PROFILE_DEFAULTS: Record<ProfileName, ProfileDefaults> = {
  care: {
    footprint: rectangle(0.25, 0.25, 0.25),
    lidars: front(0.15),
    limits: motors({ maxLinear: 0.6, maxReverse: 0.15, maxAngular: 0.8, accel: 0.3, decel: 0.6, angularAccel: 1 }),
    battery: battery(400, 40, 40),
  },
  delivery: {
    footprint: rectangle(0.4, 0.3, 0.3),
    lidars: front(0.3),
    limits: motors({ maxLinear: 1.6, maxReverse: 0.3, maxAngular: 1.2, accel: 0.6, decel: 1.2, angularAccel: 1.5 }),
    battery: battery(600, 50, 60),
  },
  factory: {
    footprint: rectangle(0.55, 0.55, 0.4),
    // Two 270° lidars on opposite corners of the footprint's axis, as on most factory AGVs.
    lidars: [
      {
        topic: 'scan_front',
        frame: 'laser_front',
        mount: { x: 0.5, y: 0, yaw: 0 },
        angleMinRad: -QUARTER3,
        angleMaxRad: QUARTER3,
      },
      {
        topic: 'scan_rear',
        frame: 'laser_rear',
        mount: { x: -0.5, y: 0, yaw: 3.14159 },
        angleMinRad: -QUARTER3,
        angleMaxRad: QUARTER3,
      },
    ],
    limits: motors({ maxLinear: 1.5, maxReverse: 0.3, maxAngular: 1, accel: 0.5, decel: 1, angularAccel: 1 }),
    battery: battery(1000, 60, 120),
  },
  farm: {
    footprint: rectangle(1.1, 1.0, 0.8),
    lidars: front(1.0),
    limits: motors({ maxLinear: 2, maxReverse: 0.5, maxAngular: 0.6, accel: 0.4, decel: 0.8, angularAccel: 0.6 }),
    battery: battery(1500, 60, 150),
  },
  construction: {
    footprint: rectangle(0.6, 0.6, 0.45),
    lidars: front(0.5),
    limits: motors({ maxLinear: 1, maxReverse: 0.3, maxAngular: 0.8, accel: 0.4, decel: 0.8, angularAccel: 0.8 }),
    battery: battery(2000, 80, 200),
  },
};
