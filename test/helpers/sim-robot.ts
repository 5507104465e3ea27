/**
 * A small test robot for the bare World: a 0.2 m disc with fast motors, one noiseless 36-beam lidar,
 * a half-full battery; `over` replaces any field.
 */
import { fullCircle } from '../../sim/lidar';
import { NO_NOISE } from '../../sim/robot';
import type { SimRobotConfig } from '../../sim/world';

export function robot(id: string, over: Partial<SimRobotConfig> = {}): SimRobotConfig {
  return {
    id,
    start: { x: 0, y: 0, yaw: 0 },
    footprint: { kind: 'circle', radius: 0.2 },
    limits: {
      maxLinearMps: 2,
      maxReverseMps: 1,
      maxAngularRadps: 2,
      linearAccelMps2: 1e9,
      linearDecelMps2: 1e9,
      angularAccelRadps2: 1e9,
    },
    noise: NO_NOISE,
    lidars: [
      {
        topic: 'scan',
        frame: 'laser',
        beams: 36,
        ...fullCircle(36),
        rangeMinM: 0.05,
        rangeMaxM: 10,
        rateHz: 10,
        noiseStdM: 0,
        mount: { x: 0, y: 0, yaw: 0 },
      },
    ],
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
    estopRateHz: 10,
    cmdTimeoutS: 1000,
    ...over,
  };
}
