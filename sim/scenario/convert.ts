/** From a validated scenario to the World's inputs (profile defaults filled in). */
import { fullCircle } from '../lidar';
import type { PersonConfig } from '../people';
import { type LidarLayout, PROFILE_DEFAULTS } from '../profile-defaults';
import type { SimRobotConfig, WorldMap, WorldOptions } from '../world';
import type { Scenario } from './index';
import { footprintOf } from './robots';

// ---------------------------------------------------------------------------------------------
// From a scenario to the World's inputs

/**
 * The World's inputs for a scenario: map, robots with profile defaults applied, people, options.
 * `only` keeps just the robots with those ids (a shard's share of the fleet; robots in other
 * shards' Worlds are neither seen nor touched, so shard by building or area).
 */
export function scenarioWorld(
  s: Scenario,
  only?: ReadonlySet<string>,
): {
  map: WorldMap;
  robots: SimRobotConfig[];
  people: PersonConfig[];
  options: WorldOptions;
} {
  const map: WorldMap = {
    walls: s.world.walls.map((w) => ({ id: w.id, points: w.points.map(([x, y]) => ({ x, y })), closed: w.closed })),
    obstacles: s.world.obstacles.map((o) => ({
      id: o.id,
      points: o.points.map(([x, y]) => ({ x, y })),
      ...(o.appear_s !== undefined ? { appearS: o.appear_s } : {}),
      ...(o.vanish_s !== undefined ? { vanishS: o.vanish_s } : {}),
    })),
    docks: s.world.stations.filter((st) => st.kind === 'dock').map((st) => st.pose),
  };
  const robots = s.robots
    .filter((r) => !only || only.has(r.id))
    .map((r): SimRobotConfig => {
      const d = PROFILE_DEFAULTS[r.profile];
      const l = r.limits;
      const b = r.battery;
      const full = fullCircle(r.lidar.beams);
      const layouts: LidarLayout[] = r.lidars
        ? r.lidars.map((x) => ({
            topic: x.topic,
            frame: x.frame,
            mount: x.mount,
            ...(x.angle_min_rad !== undefined ? { angleMinRad: x.angle_min_rad, angleMaxRad: x.angle_max_rad! } : {}),
          }))
        : d.lidars;
      return {
        id: r.id,
        start: r.start,
        footprint: footprintOf(r.footprint, r.profile),
        limits: {
          maxLinearMps: l.max_linear_mps ?? d.limits.maxLinearMps,
          maxReverseMps: l.max_reverse_mps ?? d.limits.maxReverseMps,
          maxAngularRadps: l.max_angular_radps ?? d.limits.maxAngularRadps,
          linearAccelMps2: l.linear_accel_mps2 ?? d.limits.linearAccelMps2,
          linearDecelMps2: l.linear_decel_mps2 ?? d.limits.linearDecelMps2,
          angularAccelRadps2: l.angular_accel_radps2 ?? d.limits.angularAccelRadps2,
        },
        noise: {
          odomLinearRatio: r.odom.linear_noise_ratio,
          odomAngularRatio: r.odom.angular_noise_ratio,
          gyroStdRadps: r.imu.gyro_noise_std_radps,
          accelStdMps2: r.imu.accel_noise_std_mps2,
        },
        // Field of view: what the file says (a `lidars` entry, then the robot-wide `lidar`), then the
        // profile's layout, then a full circle.
        lidars: layouts.map((x) => {
          const own = r.lidars !== undefined;
          const lo = own ? (x.angleMinRad ?? r.lidar.angle_min_rad) : (r.lidar.angle_min_rad ?? x.angleMinRad);
          const hi = own ? (x.angleMaxRad ?? r.lidar.angle_max_rad) : (r.lidar.angle_max_rad ?? x.angleMaxRad);
          return {
            topic: x.topic,
            frame: x.frame,
            mount: x.mount,
            beams: r.lidar.beams,
            angleMinRad: lo ?? full.angleMinRad,
            angleMaxRad: hi ?? full.angleMaxRad,
            rangeMinM: r.lidar.range_min_m,
            rangeMaxM: r.lidar.range_max_m,
            rateHz: r.lidar.rate_hz,
            noiseStdM: r.lidar.noise_std_m,
          };
        }),
        battery: {
          capacityWh: b.capacity_wh ?? d.battery.capacityWh,
          fullVoltageV: b.full_voltage_v ?? d.battery.fullVoltageV,
          emptyVoltageV: b.empty_voltage_v ?? d.battery.emptyVoltageV,
          idlePowerW: b.idle_power_w ?? d.battery.idlePowerW,
          drivePowerWPerMps: b.drive_power_w_per_mps ?? d.battery.drivePowerWPerMps,
          turnPowerWPerRadps: b.turn_power_w_per_radps ?? d.battery.turnPowerWPerRadps,
          chargePowerW: b.charge_power_w ?? d.battery.chargePowerW,
          dockRadiusM: b.dock_radius_m ?? d.battery.dockRadiusM,
          initialPercentage: b.initial_percentage,
        },
        odomRateHz: r.odom.rate_hz,
        imuRateHz: r.imu.rate_hz,
        batteryRateHz: b.rate_hz,
        estopRateHz: r.estop_rate_hz,
        cmdTimeoutS: r.cmd_timeout_s,
      };
    });
  const people = s.people.map((p): PersonConfig => ({
    id: p.id,
    radiusM: p.radius_m,
    speedMps: p.speed_mps,
    pauseS: p.pause_s,
    mode: p.mode,
    startS: p.start_s,
    waypoints: p.waypoints.map((w) => ({
      x: w.x,
      y: w.y,
      ...(w.pause_s !== undefined ? { pauseS: w.pause_s } : {}),
      ...(w.speed_mps !== undefined ? { speedMps: w.speed_mps } : {}),
    })),
    ...(p.react ? { react: { withinM: p.react.within_m, action: p.react.action, asideM: p.react.aside_m } } : {}),
  }));
  return { map, robots, people, options: { dtS: s.dt_s, seed: s.seed, estopCutsDrive: s.world.estop_cuts_drive } };
}
