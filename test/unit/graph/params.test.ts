import { describe, it, expect } from '@jest/globals';
import { z } from 'zod';
import { describeParameters, resolveParameters, undeclaredOverrides } from '../../../nodes/core/graph/params';

const schema = z.object({
  stop_distance_m: z.number().min(0).max(5).default(0.5).describe('[m] stop distance'),
  rate_hz: z.number().int().positive().default(10).describe('[Hz] rate'),
  robot_id: z.string().min(1).describe('robot id (required)'),
  sources: z.array(z.string()).default(['scan']).describe('watched sources'),
  mode: z.enum(['care', 'factory']).default('care').describe('profile'),
  enabled: z.boolean().default(true).describe('on/off'),
});

describe('parameters from a zod schema', () => {
  it('describes each parameter with its ROS 2 type, unit-bearing description, default and range', () => {
    const d = describeParameters(schema, '/gate');
    expect(d.find((p) => p.name === 'stop_distance_m')).toEqual({
      name: 'stop_distance_m',
      type: 'double',
      description: '[m] stop distance',
      defaultValue: 0.5,
      required: false,
      min: 0,
      max: 5,
    });
    expect(d.find((p) => p.name === 'rate_hz')?.type).toBe('integer');
    expect(d.find((p) => p.name === 'robot_id')).toMatchObject({ type: 'string', required: true });
    expect(d.find((p) => p.name === 'robot_id')).not.toHaveProperty('defaultValue');
    expect(d.find((p) => p.name === 'sources')?.type).toBe('string_array');
    expect(d.find((p) => p.name === 'mode')?.type).toBe('string');
    expect(d.find((p) => p.name === 'enabled')?.type).toBe('bool');
  });

  it('refuses schema types ROS 2 parameters cannot hold', () => {
    expect(() => describeParameters(z.object({ nested: z.object({ a: z.number() }) }), '/n')).toThrow(
      /parameter 'nested' must be a bool, integer, double, string or an array/,
    );
  });

  it('lists every bad key at once, with the value it got', () => {
    try {
      resolveParameters(schema, { stop_distance_m: -1, rate_hz: 2.5, robot_id: 'r' }, '/gate');
      throw new Error('should have thrown');
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/node '\/gate'/);
      expect(msg).toMatch(/'stop_distance_m': .*>=0 \(got -1\)/);
      expect(msg).toMatch(/'rate_hz': .*int.* \(got 2\.5\)/);
    }
  });

  it('names override keys that no parameter declares', () => {
    expect(undeclaredOverrides(schema, { stop_distanse_m: 1, use_sim_time: true, rate_hz: 5 })).toEqual([
      'stop_distanse_m',
    ]);
  });
});
