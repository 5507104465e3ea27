/**
 * Contact attribution and clearance per kind, in the bare World: driving or turning into a wall is
 * the robot's doing, a person walking into a standing robot is not, a person meeting a robot that
 * still moves faster than 0.1 m/s is; clearance is kept per kind and the speed near people is the
 * robot's highest speed while someone was within 1 m / 2 m.
 */
import { describe, it, expect } from '@jest/globals';
import type { PersonConfig } from '../../../sim/people';
import { robotCausedContact } from '../../../sim/contacts';
import { type WorldMap, World } from '../../../sim/world';
import { robot } from '../../helpers/sim-robot';

const empty: WorldMap = { walls: [], obstacles: [], docks: [] };

function walker(from: [number, number], to: [number, number], speedMps = 1): PersonConfig {
  return {
    id: 'walker',
    radiusM: 0.3,
    speedMps,
    pauseS: 0,
    mode: 'once',
    startS: 0,
    waypoints: [
      { x: from[0], y: from[1] },
      { x: to[0], y: to[1] },
    ],
  };
}

function runFor(world: World, seconds: number, cmd?: Record<string, { linear: number; angular: number }>): void {
  const steps = Math.round(seconds / world.options.dtS);
  for (let i = 0; i < steps; i++) world.step(i === 0 ? cmd : undefined);
}

describe('contact attribution', () => {
  it('the rules: walls and obstacles when moved into; people and robots above 0.1 m/s or when turned into', () => {
    expect(robotCausedContact('wall', true, 0.02, 0)).toBe(true);
    expect(robotCausedContact('obstacle', false, 0, 0)).toBe(false);
    expect(robotCausedContact('person', false, 0.3, 0)).toBe(true);
    expect(robotCausedContact('person', true, 0.05, 0)).toBe(false);
    expect(robotCausedContact('robot', true, 0, 0.5)).toBe(true);
    expect(robotCausedContact('person', false, 0.05, 0.5)).toBe(false);
  });

  it('driving into a wall is robot-caused, and the wall clearance is 0 while the person clearance stays capped', () => {
    const map: WorldMap = {
      ...empty,
      walls: [
        {
          id: 'east',
          points: [
            { x: 1, y: -2 },
            { x: 1, y: 2 },
          ],
        },
      ],
    };
    const world = new World(map, [robot('r1')], [], { dtS: 0.05, seed: 1 });
    runFor(world, 3, { r1: { linear: 0.5, angular: 0 } });
    expect(world.collisions).toEqual([
      expect.objectContaining({ with: { kind: 'wall', id: 'east' }, movedInto: true, robotCaused: true }),
    ]);
    const m = world.metrics()[0]!;
    expect(m.robotCausedContacts).toBe(1);
    expect(m.minClearanceByKindM.wall).toBe(0);
    expect(m.minClearanceByKindM.person).toBe(2);
  });

  it('a rectangular robot turning on the spot swings its corner into a wall: robot-caused at speed 0', () => {
    const map: WorldMap = {
      ...empty,
      walls: [
        {
          id: 'north',
          points: [
            { x: -3, y: 0.45 },
            { x: 3, y: 0.45 },
          ],
        },
      ],
    };
    const box = {
      kind: 'polygon' as const,
      points: [
        { x: 0.6, y: 0.3 },
        { x: -0.6, y: 0.3 },
        { x: -0.6, y: -0.3 },
        { x: 0.6, y: -0.3 },
      ],
    };
    const world = new World(map, [robot('r1', { footprint: box })], [], { dtS: 0.05, seed: 1 });
    runFor(world, 2, { r1: { linear: 0, angular: 1 } });
    expect(world.collisions).toEqual([
      expect.objectContaining({ with: { kind: 'wall', id: 'north' }, robotSpeedMps: 0, robotCaused: true }),
    ]);
  });

  it('a person walking into a standing robot is not robot-caused; one passing 1 m beside a driving robot sets its speed near people', () => {
    const standing = new World(empty, [robot('r1')], [walker([-3, 0], [3, 0])], { dtS: 0.05, seed: 1 });
    runFor(standing, 5);
    expect(standing.collisions).toEqual([
      expect.objectContaining({ with: { kind: 'person', id: 'walker' }, movedInto: false, robotCaused: false }),
    ]);
    expect(standing.metrics()[0]!.robotCausedContacts).toBe(0);

    // The robot drives along +x at 0.5 m/s; a person overtakes it on a parallel line 1.5 m to the side.
    const moving = new World(empty, [robot('r1')], [walker([-3, 1.5], [3, 1.5], 1.2)], { dtS: 0.05, seed: 1 });
    runFor(moving, 5, { r1: { linear: 0.5, angular: 0 } });
    expect(moving.collisions).toEqual([]);
    const m = moving.metrics()[0]!;
    expect(m.speedNearPeopleMps.within2m).toBeCloseTo(0.5, 6);
  });

  it('a child running at a robot from behind while it drives at 0.5 m/s: a robot-caused contact', () => {
    const world = new World(empty, [robot('r1')], [walker([-4, 0], [6, 0], 2)], { dtS: 0.05, seed: 1 });
    runFor(world, 6, { r1: { linear: 0.5, angular: 0 } });
    expect(world.collisions[0]).toEqual(
      expect.objectContaining({ with: { kind: 'person', id: 'walker' }, movedInto: false, robotCaused: true }),
    );
    expect(world.collisions[0]!.robotSpeedMps).toBeCloseTo(0.5, 6);
    const m = world.metrics()[0]!;
    expect(m.minClearanceByKindM.person).toBe(0);
    expect(m.speedNearPeopleMps.within1m).toBeCloseTo(0.5, 6);
  });
});
