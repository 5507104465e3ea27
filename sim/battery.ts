/**
 * Battery model: drains with an idle load plus a load proportional to speed and turn rate, charges
 * when the robot stands at a dock, and reports sensor_msgs/BatteryState content. Pure: every step
 * takes dt and returns a new state.
 */
import { type Pose, length } from './geometry';

/** Battery settings (units in the names). */
export interface BatteryConfig {
  /** [Wh] usable energy of a full battery. */
  capacityWh: number;
  /** [V] voltage at 100 % and at 0 % (linear in between). */
  fullVoltageV: number;
  emptyVoltageV: number;
  /** [W] drawn all the time (computers, sensors). */
  idlePowerW: number;
  /** [W per m/s] extra draw while driving. */
  drivePowerWPerMps: number;
  /** [W per rad/s] extra draw while turning. */
  turnPowerWPerRadps: number;
  /** [W] delivered by a dock's charger. */
  chargePowerW: number;
  /** [m] how close to a dock pose the robot must stand to charge. */
  dockRadiusM: number;
}

/** The battery's state. */
export interface BatteryModelState {
  /** Charge, 0..1. */
  percentage: number;
  /** True while on a dock's charger. */
  onCharger: boolean;
  /** [W] net power into the battery over the last step (negative when discharging). */
  netPowerW: number;
}

/** The motion and position inputs of one step. */
export interface BatteryInput {
  /** [m/s], [rad/s] the base's velocity. */
  linearMps: number;
  angularRadps: number;
  /** True when the robot stands at a dock (see `isDocked`). */
  docked: boolean;
}

/** [m/s], [rad/s] at or below which a robot counts as standing still on a dock. */
export const DOCKED_MAX_LINEAR_MPS = 0.05;
export const DOCKED_MAX_ANGULAR_RADPS = 0.1;

/** True when `pose` is within `radiusM` of one of `docks` and the robot is standing still. */
export function isDocked(
  pose: Pose,
  linearMps: number,
  angularRadps: number,
  docks: readonly Pose[],
  radiusM: number,
): boolean {
  if (Math.abs(linearMps) > DOCKED_MAX_LINEAR_MPS || Math.abs(angularRadps) > DOCKED_MAX_ANGULAR_RADPS) return false;
  for (const d of docks) if (length(pose.x - d.x, pose.y - d.y) <= radiusM) return true;
  return false;
}

/** [W] the load drawn at the given velocity. */
export function loadPowerW(cfg: BatteryConfig, linearMps: number, angularRadps: number): number {
  return cfg.idlePowerW + cfg.drivePowerWPerMps * Math.abs(linearMps) + cfg.turnPowerWPerRadps * Math.abs(angularRadps);
}

/** The battery after `dt` seconds with `input`; charge stays within 0..1. */
export function batteryStep(
  state: BatteryModelState,
  cfg: BatteryConfig,
  input: BatteryInput,
  dt: number,
): BatteryModelState {
  const load = loadPowerW(cfg, input.linearMps, input.angularRadps);
  const net = (input.docked ? cfg.chargePowerW : 0) - load;
  const pct = state.percentage + (net * dt) / 3600 / cfg.capacityWh;
  return { percentage: Math.min(1, Math.max(0, pct)), onCharger: input.docked, netPowerW: net };
}

/** sensor_msgs/BatteryState POWER_SUPPLY_STATUS_* values used here. */
export const POWER_SUPPLY_STATUS = { CHARGING: 1, DISCHARGING: 2, FULL: 4 } as const;

/** A battery reading as plain data, ready for sim/messages.ts. */
export interface BatteryData {
  t: number;
  /** 0..1 */
  percentage: number;
  /** [V] */
  voltage: number;
  /** [A] negative when discharging. */
  currentA: number;
  /** [Ah] charge now and capacity when full (at the mean of full and empty voltage). */
  chargeAh: number;
  capacityAh: number;
  /** POWER_SUPPLY_STATUS_CHARGING, _DISCHARGING, or _FULL (on the charger at 100 %). */
  status: number;
}

/** The reading of `state` at time `t`. */
export function batteryReading(state: BatteryModelState, cfg: BatteryConfig, t: number): BatteryData {
  const voltage = cfg.emptyVoltageV + (cfg.fullVoltageV - cfg.emptyVoltageV) * state.percentage;
  const nominal = (cfg.fullVoltageV + cfg.emptyVoltageV) / 2;
  const capacityAh = cfg.capacityWh / nominal;
  let status: number = POWER_SUPPLY_STATUS.DISCHARGING;
  if (state.onCharger) status = state.percentage >= 1 ? POWER_SUPPLY_STATUS.FULL : POWER_SUPPLY_STATUS.CHARGING;
  return {
    t,
    percentage: state.percentage,
    voltage,
    currentA: state.netPowerW / voltage,
    chargeAh: capacityAh * state.percentage,
    capacityAh,
    status,
  };
}
