import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROFILE_NAMES } from '../../../nodes/core/profiles';
import { PROFILE_DEFAULTS } from '../../../sim/profile-defaults';

type Params = Record<string, number | string | number[] | string[] | boolean>;

function nodeParams(profile: string, node: string): Params {
  const doc = parse(readFileSync(join(__dirname, '../../../launch/params', `${profile}.yaml`), 'utf8')) as Record<
    string,
    { ros__parameters: Params }
  >;
  const section = doc[node];
  if (!section) throw new Error(`launch/params/${profile}.yaml has no ${node} section`);
  return section.ros__parameters;
}

describe('sim profile defaults agree with the nodes’ profile parameters (launch/params)', () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: the footprint is the safety gate's, the lidars are where perception and the gate expect them`, () => {
      const gate = nodeParams(profile, 'safety_gate');
      const d = PROFILE_DEFAULTS[profile];
      expect(d.footprint.kind).toBe('polygon');
      const pts = d.footprint.kind === 'polygon' ? d.footprint.points : [];
      const xs = pts.map((p) => p.x);
      const ys = pts.map((p) => p.y);
      expect(Math.max(...xs)).toBeCloseTo(gate.footprint_front_m as number, 9);
      expect(-Math.min(...xs)).toBeCloseTo(gate.footprint_rear_m as number, 9);
      expect(Math.max(...ys)).toBeCloseTo(gate.footprint_half_width_m as number, 9);
      expect(-Math.min(...ys)).toBeCloseTo(gate.footprint_half_width_m as number, 9);

      for (const node of ['safety_gate', 'perception']) {
        const p = nodeParams(profile, node);
        expect(d.lidars.map((l) => l.topic)).toEqual(p.scan_topics);
        expect(d.lidars.map((l) => l.frame)).toEqual(p.scan_frames);
        const poses = p.scan_poses as number[];
        d.lidars.forEach((l, k) => {
          expect(l.mount.x).toBeCloseTo(poses[3 * k]!, 5);
          expect(l.mount.y).toBeCloseTo(poses[3 * k + 1]!, 5);
          expect(l.mount.yaw).toBeCloseTo(poses[3 * k + 2]!, 5);
        });
      }
    });

    it(`${profile}: the motors can do at least what the safety gate and the executive allow`, () => {
      const gate = nodeParams(profile, 'safety_gate');
      const m = PROFILE_DEFAULTS[profile].limits;
      expect(m.maxLinearMps).toBeGreaterThanOrEqual(gate.max_linear_speed_mps as number);
      expect(m.maxReverseMps).toBeGreaterThanOrEqual(gate.max_reverse_speed_mps as number);
      expect(m.maxAngularRadps).toBeGreaterThanOrEqual(gate.max_angular_speed_rps as number);
      expect(m.linearAccelMps2).toBeGreaterThanOrEqual(gate.max_linear_accel_mps2 as number);
      expect(m.linearDecelMps2).toBeGreaterThanOrEqual(gate.max_linear_decel_mps2 as number);
      expect(m.angularAccelRadps2).toBeGreaterThanOrEqual(gate.max_angular_accel_rps2 as number);
      const exec = nodeParams(profile, 'executive');
      if (typeof exec.max_linear_speed_mps === 'number')
        expect(m.maxLinearMps).toBeGreaterThanOrEqual(exec.max_linear_speed_mps);
      if (typeof exec.max_angular_speed_rps === 'number') {
        expect(m.maxAngularRadps).toBeGreaterThanOrEqual(exec.max_angular_speed_rps);
      }
    });
  }
});
