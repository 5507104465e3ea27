import { describe, it, expect } from '@jest/globals';
import { paramsSchema } from '../../../nodes/perception/params';
import { Perception, significant } from '../../../nodes/perception/logic';

const p = paramsSchema.parse({ imu_timeout_s: 1 });
const quat = (roll: number) => ({ x: Math.sin(roll / 2), y: 0, z: 0, w: Math.cos(roll / 2) });

describe('Perception', () => {
  it('refuses NaN inputs with a reason and keeps the last good value', () => {
    const m = new Perception(p);
    expect(m.onBattery({ voltage: 24, percentage: 0.6, power_supply_status: 2 }, 0)).toBeUndefined();
    expect(m.onBattery({ voltage: 24, percentage: Number.NaN, power_supply_status: 2 }, 0.1)).toMatch(/0..1 scale/);
    expect(m.summary(0.2).batteryPercentage).toBe(0.6);
    const odom = {
      header: { frame_id: 'odom' },
      pose: { pose: { position: { x: Number.NaN, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } },
      twist: { twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } } },
    };
    expect(m.onOdom(odom, 0.2)).toMatch(/pose has NaN/);
    expect(m.summary(0.2).poseValid).toBe(false);
    expect(
      m.onPeople(
        [
          { x: 1, y: Number.NaN, z: 0 },
          { x: 2, y: 0, z: 0 },
        ],
        'base_link',
        0.2,
      ),
    ).toMatch(/1 person/);
    expect(m.summary(0.3)).toMatchObject({ peopleCount: 1, personDistance: 2 });
    expect(m.onPeople([], 'map', 0.3)).toMatch(/expected 'base_link'/);
    // straight behind is +pi, not -pi: bearings are in (-pi, pi]
    m.onPeople([{ x: -1, y: -0, z: 0 }], 'base_link', 0.3);
    expect(m.summary(0.3).personBearing).toBe(Math.PI);
  });

  it('raises TILT from the IMU and lists never-received sources as stale', () => {
    const m = new Perception(p);
    m.onImu({ orientation: quat(0.6), orientation_covariance: [0, 0, 0, 0, 0, 0, 0, 0, 0] }, 0);
    const s = m.summary(0.1);
    expect(s.faults.map((f) => f.code)).toContain('TILT');
    expect(s.sources.find((x) => x.name === 'odom')).toMatchObject({ received: false, stale: true, age: 0 });
    expect(s.faults.find((f) => f.code === 'ODOM_STALE')!.since).toBe(0.1);
    // a fault keeps its start time while it lasts
    expect(m.summary(0.5).faults.find((f) => f.code === 'ODOM_STALE')!.since).toBe(0.1);
  });

  it('calls a change significant by thresholds, not by noise', () => {
    const m = new Perception(p);
    const a = m.summary(0);
    const b = { ...a, obstacleDistance: a.obstacleDistance + 0.1 };
    expect(significant(a, b, p)).toBe(false);
    expect(significant(a, { ...a, obstacleDistance: a.obstacleDistance + 0.3 }, p)).toBe(true);
    expect(significant(a, { ...a, peopleCount: 1 }, p)).toBe(true);
    expect(significant(undefined, a, p)).toBe(true);
  });
});
