import { describe, it, expect } from '@jest/globals';
import {
  type BatteryConfig,
  type BatteryModelState,
  POWER_SUPPLY_STATUS,
  batteryReading,
  batteryStep,
  isDocked,
} from '../../../sim/battery';

const cfg: BatteryConfig = {
  capacityWh: 100,
  fullVoltageV: 25,
  emptyVoltageV: 21,
  idlePowerW: 10,
  drivePowerWPerMps: 20,
  turnPowerWPerRadps: 5,
  chargePowerW: 110,
  dockRadiusM: 0.3,
};

function hold(state: BatteryModelState, input: Parameters<typeof batteryStep>[2], seconds: number, dt = 0.5) {
  for (let t = 0; t < seconds; t += dt) state = batteryStep(state, cfg, input, dt);
  return state;
}

const half: BatteryModelState = { percentage: 0.5, onCharger: false, netPowerW: 0 };

describe('sim battery', () => {
  it('idle 10 W from 100 Wh drains 1 % in 360 s; driving at 1 m/s (30 W) drains 3 %', () => {
    expect(hold(half, { linearMps: 0, angularRadps: 0, docked: false }, 360).percentage).toBeCloseTo(0.49, 9);
    expect(hold(half, { linearMps: 1, angularRadps: 0, docked: false }, 360).percentage).toBeCloseTo(0.47, 9);
    expect(hold(half, { linearMps: -1, angularRadps: 2, docked: false }, 360).percentage).toBeCloseTo(0.46, 9);
  });

  it('charges at the dock with 110 W minus the 10 W idle load: +10 % in 360 s, never above 100 %', () => {
    const s = hold(half, { linearMps: 0, angularRadps: 0, docked: true }, 360);
    expect(s.percentage).toBeCloseTo(0.6, 9);
    expect(s.netPowerW).toBe(100);
    expect(hold(half, { linearMps: 0, angularRadps: 0, docked: true }, 3600).percentage).toBe(1);
    expect(hold(half, { linearMps: 2, angularRadps: 0, docked: false }, 36000).percentage).toBe(0);
  });

  it('is docked only within the radius of a dock pose and standing still', () => {
    const docks = [{ x: 5, y: 5, yaw: 0 }];
    expect(isDocked({ x: 5.2, y: 5.2, yaw: 1 }, 0, 0, docks, 0.3)).toBe(true); // 0.283 m away
    expect(isDocked({ x: 5.3, y: 5.3, yaw: 0 }, 0, 0, docks, 0.3)).toBe(false); // 0.424 m away
    expect(isDocked({ x: 5, y: 5, yaw: 0 }, 0.2, 0, docks, 0.3)).toBe(false);
    expect(isDocked({ x: 5, y: 5, yaw: 0 }, 0, 0, [], 0.3)).toBe(false);
  });

  it('reports voltage, current sign and status as sensor_msgs/BatteryState defines them', () => {
    const discharging = batteryReading({ percentage: 0.5, onCharger: false, netPowerW: -23 }, cfg, 1);
    expect(discharging.voltage).toBe(23);
    expect(discharging.currentA).toBe(-1);
    expect(discharging.status).toBe(POWER_SUPPLY_STATUS.DISCHARGING);
    expect(discharging.capacityAh).toBeCloseTo(100 / 23, 12);
    expect(discharging.chargeAh).toBeCloseTo(50 / 23, 12);
    const charging = batteryReading({ percentage: 0.25, onCharger: true, netPowerW: 100 }, cfg, 1);
    expect(charging.voltage).toBe(22);
    expect(charging.currentA).toBeGreaterThan(0);
    expect(charging.status).toBe(POWER_SUPPLY_STATUS.CHARGING);
    expect(batteryReading({ percentage: 1, onCharger: true, netPowerW: 0 }, cfg, 1).status).toBe(
      POWER_SUPPLY_STATUS.FULL,
    );
  });
});
