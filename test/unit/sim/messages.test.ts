import { describe, it, expect } from '@jest/globals';
import { messageProblems } from '../../../nodes/core/interfaces/validate';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';
import { POWER_SUPPLY_STATUS, batteryReading } from '../../../sim/battery';
import { SegmentGrid } from '../../../sim/geometry';
import { Lidar, fullCircle } from '../../../sim/lidar';
import {
  batteryStateMessage,
  clockMessage,
  commandFromTwist,
  estopMessage,
  imuMessage,
  laserScanMessage,
  odometryMessage,
  peopleMessage,
  prefixFrame,
  robotFrames,
  stampFromSeconds,
  yawToQuaternion,
} from '../../../sim/messages';
import { Rng } from '../../../sim/random';

const frames = robotFrames('robot1');

describe('sim messages', () => {
  it('names frames per REP 105 with the robot prefix, sharing map', () => {
    expect(frames).toEqual({ map: 'map', odom: 'robot1/odom', base: 'robot1/base_link', imu: 'robot1/imu_link' });
    expect(robotFrames()).toEqual({ map: 'map', odom: 'odom', base: 'base_link', imu: 'imu_link' });
    expect(prefixFrame('robot1', 'laser_front')).toBe('robot1/laser_front');
    expect(prefixFrame('', 'laser')).toBe('laser');
  });

  it('converts seconds to a stamp and yaw to a quaternion', () => {
    expect(stampFromSeconds(12.25)).toEqual({ sec: 12, nanosec: 250000000 });
    expect(stampFromSeconds(0.9999999999)).toEqual({ sec: 1, nanosec: 0 });
    const q = yawToQuaternion(Math.PI / 2);
    expect(q.z).toBeCloseTo(Math.SQRT1_2, 12);
    expect(q.w).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('builds a valid nav_msgs/Odometry from odom to base_link', () => {
    const msg = odometryMessage({ t: 3.5, pose: { x: 1, y: 2, yaw: 0 }, twist: { linear: 0.5, angular: 0.1 } }, frames);
    expect(messageProblems('nav_msgs/msg/Odometry', msg)).toEqual([]);
    expect(msg.header.frame_id).toBe('robot1/odom');
    expect(msg.child_frame_id).toBe('robot1/base_link');
    expect(msg.pose.pose.position).toEqual({ x: 1, y: 2, z: 0 });
    expect(msg.twist.twist.linear.x).toBe(0.5);
    expect(msg.twist.twist.angular.z).toBe(0.1);
  });

  it('builds a valid sensor_msgs/Imu with non-zero covariances', () => {
    const msg = imuMessage(
      { t: 1, yaw: 0.3, angularVelocityZ: 0.2, linearAcceleration: { x: 0.1, y: 0, z: 9.80665 } },
      frames,
      0.01,
      0.05,
    );
    expect(messageProblems('sensor_msgs/msg/Imu', msg)).toEqual([]);
    expect(msg.header.frame_id).toBe('robot1/imu_link');
    expect(msg.angular_velocity_covariance[8]).toBeCloseTo(1e-4, 12);
    expect(msg.linear_acceleration_covariance[0]).toBeCloseTo(0.0025, 12);
    // Yaw from the gyro integrated every 0.05 s for 1 s: variance 0.01² · 0.05 · 1.
    expect(msg.orientation_covariance[8]).toBeCloseTo(5e-6, 15);
  });

  it('builds a valid sensor_msgs/LaserScan with ±Inf kept and Float32Array ranges', () => {
    const lidar = new Lidar({
      beams: 4,
      ...fullCircle(4),
      rangeMinM: 0.5,
      rangeMaxM: 5,
      rateHz: 10,
      noiseStdM: 0,
      mount: { x: 0, y: 0, yaw: 0 },
    });
    const grid = new SegmentGrid([
      { ax: 1, ay: -1, bx: 1, by: 1 },
      { ax: -0.2, ay: -1, bx: -0.2, by: 1 },
    ]);
    const scan = lidar.scan(
      2,
      { x: 0, y: 0, yaw: 0 },
      { grid, circles: [], circleOwner: [], segments: [], segmentOwner: [] },
      -1,
      new Rng(1),
    );
    const msg = laserScanMessage(scan, 'laser');
    expect(messageProblems('sensor_msgs/msg/LaserScan', msg)).toEqual([]);
    expect(Array.from(msg.ranges)).toEqual([-Infinity, Infinity, 1, Infinity]);
    expect(msg.header.frame_id).toBe('laser');
    expect(msg.ranges).toBeInstanceOf(Float32Array);
  });

  it('builds a valid sensor_msgs/BatteryState whose status values are the real constants', () => {
    const c = MESSAGE_CONSTANTS['sensor_msgs/msg/BatteryState'];
    expect(POWER_SUPPLY_STATUS).toEqual({
      CHARGING: c.POWER_SUPPLY_STATUS_CHARGING,
      DISCHARGING: c.POWER_SUPPLY_STATUS_DISCHARGING,
      FULL: c.POWER_SUPPLY_STATUS_FULL,
    });
    const cfg = {
      capacityWh: 100,
      fullVoltageV: 25,
      emptyVoltageV: 21,
      idlePowerW: 10,
      drivePowerWPerMps: 20,
      turnPowerWPerRadps: 5,
      chargePowerW: 110,
      dockRadiusM: 0.3,
    };
    const msg = batteryStateMessage(
      batteryReading({ percentage: 0.4, onCharger: true, netPowerW: 100 }, cfg, 7),
      frames,
    );
    expect(messageProblems('sensor_msgs/msg/BatteryState', msg)).toEqual([]);
    expect(msg.percentage).toBe(0.4);
    expect(msg.power_supply_status).toBe(c.POWER_SUPPLY_STATUS_CHARGING);
    expect(msg.power_supply_health).toBe(c.POWER_SUPPLY_HEALTH_GOOD);
    expect(msg.power_supply_technology).toBe(c.POWER_SUPPLY_TECHNOLOGY_LION);
  });

  it('builds valid /clock and estop messages', () => {
    const clock = clockMessage(61.5);
    expect(messageProblems('rosgraph_msgs/msg/Clock', clock)).toEqual([]);
    expect(clock).toEqual({ clock: { sec: 61, nanosec: 500000000 } });
    expect(messageProblems('std_msgs/msg/Bool', estopMessage(true))).toEqual([]);
    expect(estopMessage(false)).toEqual({ data: false });
  });

  it('takes the planar command from a Twist', () => {
    const twist = { linear: { x: 0.4, y: 0.9, z: 0 }, angular: { x: 0, y: 0.1, z: -0.3 } };
    expect(commandFromTwist(twist)).toEqual({ linear: 0.4, angular: -0.3 });
  });

  it('builds a valid geometry_msgs/PoseArray of people', () => {
    const msg = peopleMessage(2.5, [{ x: 1, y: -0.5 }], 'base_link');
    expect(messageProblems('geometry_msgs/msg/PoseArray', msg)).toEqual([]);
    expect(msg.header).toEqual({ stamp: { sec: 2, nanosec: 500000000 }, frame_id: 'base_link' });
    expect(msg.poses[0]!.position).toEqual({ x: 1, y: -0.5, z: 0 });
  });
});
