import { describe, expect, it } from '@jest/globals';
import { mayDeactivate, type DeactivateLimits } from '../../../nodes/safety_gate/deactivate';

const limits: DeactivateLimits = {
  deactivate_max_linear_mps: 0.05,
  deactivate_max_angular_rps: 0.1,
  source_timeout_s: 0.3,
};
const at = (vx: number, vy: number, wz: number, atSec = 10) => ({ vx, vy, wz, atSec });

describe('mayDeactivate: the safety gate leaves active only with the base still', () => {
  it('allows it when fresh odometry shows the base still or creeping below both thresholds', () => {
    expect(mayDeactivate(at(0, 0, 0), 10.1, limits).allow).toBe(true);
    expect(mayDeactivate(at(0.04, 0, -0.09), 10.1, limits).allow).toBe(true);
  });

  it('refuses while the base drives faster than deactivate_max_linear_mps, naming the speed', () => {
    const d = mayDeactivate(at(0.5, 0, 0), 10.1, limits);
    expect(d).toEqual({
      allow: false,
      why: 'base moving at 0.500 m/s (above deactivate_max_linear_mps 0.05)',
    });
  });

  it('counts sideways and backwards motion (the speed is the length of vx, vy)', () => {
    expect(mayDeactivate(at(0, -0.06, 0), 10.1, limits).allow).toBe(false);
    expect(mayDeactivate(at(-0.04, 0.04, 0), 10.1, limits).allow).toBe(false); // 0.057 m/s
  });

  it('refuses while the base turns on the spot faster than deactivate_max_angular_rps', () => {
    const d = mayDeactivate(at(0, 0, -0.3), 10.1, limits);
    expect(d.allow).toBe(false);
    expect(d.why).toBe('base turning at 0.300 rad/s (above deactivate_max_angular_rps 0.1)');
  });

  it('allows it without odometry, or with odometry older than source_timeout_s (the gate already holds zero)', () => {
    expect(mayDeactivate(undefined, 10, limits)).toEqual({
      allow: true,
      why: 'no odometry yet: the gate holds zero velocity',
    });
    const stale = mayDeactivate(at(1, 0, 0, 10), 10.5, limits);
    expect(stale.allow).toBe(true);
    expect(stale.why).toBe('odometry 0.50 s old: the gate holds zero velocity');
  });

  it('a threshold of 0 refuses any measured motion', () => {
    const strict = { ...limits, deactivate_max_linear_mps: 0, deactivate_max_angular_rps: 0 };
    expect(mayDeactivate(at(0.001, 0, 0), 10, strict).allow).toBe(false);
    expect(mayDeactivate(at(0, 0, 0), 10, strict).allow).toBe(true);
  });
});
