import { describe, it, expect } from '@jest/globals';
import { type PersonConfig, compilePerson, personAt } from '../../../sim/people';

// A 3-4-5 triangle: (0,0) → (3,0) is 3 m, (3,0) → (3,4) is 4 m, back to (0,0) is 5 m.
const base: PersonConfig = {
  id: 'p1',
  radiusM: 0.3,
  speedMps: 1,
  pauseS: 0,
  mode: 'once',
  startS: 2,
  waypoints: [
    { x: 0, y: 0 },
    { x: 3, y: 0, pauseS: 1 },
    { x: 3, y: 4 },
  ],
};

describe('sim people', () => {
  it('stands at the first waypoint until its start time', () => {
    const tr = compilePerson(base);
    expect(personAt(tr, 0)).toEqual({ x: 0, y: 0, vx: 0, vy: 0, heading: 0 });
    expect(personAt(tr, 2)).toEqual({ x: 0, y: 0, vx: 0, vy: 0, heading: 0 });
  });

  it('walks at its speed, pauses on arrival, then walks the next leg (positions by hand)', () => {
    const tr = compilePerson(base);
    expect(tr.period).toBe(8); // 3 s + 1 s pause + 4 s
    const a = personAt(tr, 3.5); // 1.5 m along the first leg
    expect(a).toEqual({ x: 1.5, y: 0, vx: 1, vy: 0, heading: 0 });
    const paused = personAt(tr, 5.5); // arrived at 5 s, pausing until 6 s
    expect(paused).toMatchObject({ x: 3, y: 0, vx: 0, vy: 0 });
    const b = personAt(tr, 8); // 2 m up the second leg
    expect(b.x).toBeCloseTo(3, 12);
    expect(b.y).toBeCloseTo(2, 12);
    expect(b.vy).toBeCloseTo(1, 12);
    expect(b.heading).toBeCloseTo(Math.PI / 2, 12);
  });

  it("'once' stops at the last waypoint", () => {
    const tr = compilePerson(base);
    expect(personAt(tr, 100)).toEqual({ x: 3, y: 4, vx: 0, vy: 0, heading: Math.PI / 2 });
  });

  it("'loop' walks back to the first waypoint and repeats with its period", () => {
    const tr = compilePerson({ ...base, mode: 'loop', pauseS: 0.5 });
    // 3 + 1 (override) + 4 + 0.5 + 5 + 0.5 = 14 s per lap
    expect(tr.period).toBe(14);
    // The way back starts at 3 + 1 + 4 + 0.5 = 8.5 s; 2.5 m along it, half way from (3,4) to (0,0).
    const back = personAt(tr, 2 + 8.5 + 2.5);
    expect(back.x).toBeCloseTo(1.5, 12);
    expect(back.y).toBeCloseTo(2, 12);
    expect(back.vx).toBeCloseTo(-0.6, 12);
    expect(back.vy).toBeCloseTo(-0.8, 12);
    const lap2 = personAt(tr, 2 + 14 + 1.5);
    expect(lap2.x).toBeCloseTo(1.5, 12);
    expect(lap2.y).toBeCloseTo(0, 12);
  });

  it('a single waypoint is a person standing still', () => {
    const tr = compilePerson({ ...base, mode: 'loop', waypoints: [{ x: 7, y: 1 }] });
    expect(personAt(tr, 50)).toEqual({ x: 7, y: 1, vx: 0, vy: 0, heading: 0 });
  });
});
