/**
 * Physical defaults per robot profile for the simulator: footprint, drive limits (what the motors can
 * do, not the speed the safety gate allows) and battery. A scenario may override any of them per
 * robot. Sizes are typical of the kind of robot, not of a particular product.
 */
import type { ProfileName } from '../nodes/core/profiles';
import type { BatteryConfig } from './battery';
import type { Footprint } from './geometry';
import type { DriveLimits } from './robot';

/** A rectangle footprint `lengthM` × `widthM` centred on base_link. */
export function rectangle(lengthM: number, widthM: number): Footprint {
  const x = lengthM / 2;
  const y = widthM / 2;
  return {
    kind: 'polygon',
    points: [
      { x, y },
      { x: -x, y },
      { x: -x, y: -y },
      { x, y: -y },
    ],
  };
}

export interface ProfileDefaults {
  footprint: Footprint;
  limits: DriveLimits;
  battery: BatteryConfig;
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

/** Defaults by profile. */
export const PROFILE_DEFAULTS: Record<ProfileName, ProfileDefaults> = {
  care: {
    footprint: { kind: 'circle', radius: 0.25 },
    limits: {
      maxLinearMps: 0.8,
      maxReverseMps: 0.2,
      maxAngularRadps: 1.5,
      linearAccelMps2: 0.5,
      angularAccelRadps2: 2,
    },
    battery: battery(400, 40, 40),
  },
  delivery: {
    footprint: { kind: 'circle', radius: 0.3 },
    limits: {
      maxLinearMps: 1.5,
      maxReverseMps: 0.3,
      maxAngularRadps: 1.5,
      linearAccelMps2: 0.8,
      angularAccelRadps2: 2,
    },
    battery: battery(600, 50, 60),
  },
  factory: {
    footprint: rectangle(0.9, 0.6),
    limits: {
      maxLinearMps: 1.2,
      maxReverseMps: 0.3,
      maxAngularRadps: 1,
      linearAccelMps2: 0.5,
      angularAccelRadps2: 1.5,
    },
    battery: battery(1000, 60, 120),
  },
  farm: {
    footprint: rectangle(1.0, 0.7),
    limits: { maxLinearMps: 1, maxReverseMps: 0.5, maxAngularRadps: 1, linearAccelMps2: 0.5, angularAccelRadps2: 1 },
    battery: battery(1500, 60, 150),
  },
  construction: {
    footprint: rectangle(1.1, 0.8),
    limits: {
      maxLinearMps: 0.8,
      maxReverseMps: 0.4,
      maxAngularRadps: 0.8,
      linearAccelMps2: 0.4,
      angularAccelRadps2: 1,
    },
    battery: battery(2000, 80, 200),
  },
};
