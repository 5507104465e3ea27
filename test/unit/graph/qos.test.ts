import { describe, it, expect } from '@jest/globals';
import { incompatiblePolicy, QOS_PROFILES, resolveQoS } from '../../../nodes/core/graph/qos';

describe('QoS profiles and matching', () => {
  it('resolves names, depths and partial profiles over the default profile', () => {
    expect(resolveQoS(undefined)).toEqual(QOS_PROFILES.default);
    expect(resolveQoS('sensor_data')).toEqual({
      history: 'keep_last',
      depth: 5,
      reliability: 'best_effort',
      durability: 'volatile',
    });
    expect(resolveQoS(1)).toEqual({ ...QOS_PROFILES.default, depth: 1 });
    expect(resolveQoS({ durability: 'transient_local', depth: 1 })).toEqual({
      history: 'keep_last',
      depth: 1,
      reliability: 'reliable',
      durability: 'transient_local',
    });
    expect(resolveQoS({ base: 'sensor_data', depth: 1 }).reliability).toBe('best_effort');
  });

  it('rejects depth 0 with keep_last and unknown policies', () => {
    expect(() => resolveQoS(0)).toThrow(expect.objectContaining({ code: 'KZ_ERR_QOS_INVALID' }));
    expect(() => resolveQoS({ reliability: 'sometimes' as never })).toThrow(
      /reliability must be reliable or best_effort/,
    );
    expect(() => resolveQoS('fast' as never)).toThrow(/unknown QoS profile 'fast'/);
    expect(resolveQoS({ history: 'keep_all', depth: 0 }).history).toBe('keep_all');
  });

  it('matches request against offer like DDS: the offer must be at least as strong', () => {
    const be = QOS_PROFILES.sensor_data;
    const rel = QOS_PROFILES.default;
    const latched = { ...rel, durability: 'transient_local' as const };
    expect(incompatiblePolicy(be, rel)).toBe('reliability');
    expect(incompatiblePolicy(rel, be)).toBeUndefined();
    expect(incompatiblePolicy(rel, latched)).toBe('durability');
    expect(incompatiblePolicy(latched, rel)).toBeUndefined();
    expect(incompatiblePolicy(latched, latched)).toBeUndefined();
  });

  it('resolves system_default per side as Fast DDS does, and refuses unknown or unsupported keys by name', () => {
    expect(resolveQoS('system_default', 'publisher').reliability).toBe('reliable');
    expect(resolveQoS('system_default', 'subscription').reliability).toBe('best_effort');
    expect(resolveQoS({ base: 'system_default' }, 'subscription').depth).toBe(1);
    expect(() => resolveQoS({ durabilty: 'volatile' } as never)).toThrow(/unknown QoS key 'durabilty'.*'durability'/);
    expect(() => resolveQoS({ lifespanSec: 1 } as never)).toThrow(/'lifespanSec': lifespan is not supported/);
    expect(resolveQoS({ deadlineSec: 0.1 }).deadlineSec).toBe(0.1);
    expect(resolveQoS({ deadlineSec: Infinity }).deadlineSec).toBeUndefined();
    expect(() => resolveQoS({ deadlineSec: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_QOS_INVALID' }),
    );
  });
});
