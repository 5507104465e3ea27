import { describe, it, expect } from '@jest/globals';
import { Rng, deriveSeed, hashString } from '../../../sim/random';

describe('sim random', () => {
  it('implements xoshiro128** (first outputs from state 1,2,3,4 computed by hand)', () => {
    const r = Rng.fromState(1, 2, 3, 4);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(sa);
    for (const x of sa) expect(x >= 0 && x < 1).toBe(true);
  });

  it('draws Gaussians with the requested mean and spread', () => {
    const r = new Rng(7);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.gaussian(2, 0.5);
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    expect(mean).toBeCloseTo(2, 1);
    expect(std).toBeCloseTo(0.5, 1);
    expect(r.gaussian(3, 0)).toBe(3);
  });

  it('derives distinct per-entity seeds from the run seed and an id', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(deriveSeed(1, 'robot-1')).toBe(deriveSeed(1, 'robot-1'));
    expect(deriveSeed(1, 'robot-1')).not.toBe(deriveSeed(1, 'robot-2'));
    expect(deriveSeed(1, 'robot-1')).not.toBe(deriveSeed(2, 'robot-1'));
  });
});
