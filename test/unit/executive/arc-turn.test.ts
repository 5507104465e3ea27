/** Turning where turning on the spot is refused: a forward arc, widened while refused, narrowed when free. */
import { describe, it, expect } from '@jest/globals';
import { ArcTurn, type ControlOutput } from '../../../nodes/executive/controller';

const CFG = { radius: 1.2, speed: 0.3, afterSec: 1 };
const spin = (w: number, err = 3): ControlOutput => ({ v: 0, w, done: false, distance: 5, err });

describe('ArcTurn', () => {
  it('passes the controller through until turning on the spot has been refused for afterSec', () => {
    const a = new ArcTurn(CFG);
    expect(a.step(0, spin(-1, -1), false)).toEqual({ v: 0, w: -1 });
    expect(a.step(0.5, spin(-1, -1), true)).toEqual({ v: 0, w: -1 });
    const arc = a.step(1.5, spin(-1, -1), true);
    expect(arc.v).toBeCloseTo(0.3, 9);
    expect(arc.w).toBeCloseTo(-0.3 / 1.2, 9); // the controller's side
    expect(a.active).toBe(true);
    // driving on (not turning any more): back to the controller
    expect(a.step(2, { v: 0.5, w: 0.1, done: false, distance: 4, err: 0.05 }, false)).toEqual({ v: 0.5, w: 0.1 });
    expect(a.active).toBe(false);
  });

  it('turns away from the nearest obstacle when the goal is right behind', () => {
    const a = new ArcTurn(CFG);
    a.step(0, spin(1, 3), true);
    expect(a.step(1, spin(1, 3), true, 0.8).w).toBeLessThan(0); // obstacle on the left: turn right
    const b = new ArcTurn(CFG);
    b.step(0, spin(-1, -3), true);
    expect(b.step(1, spin(-1, -3), true, -0.8).w).toBeGreaterThan(0);
  });

  it('widens a refused arc (up to 8 times), narrows one running freely, then tries the spot turn again', () => {
    const a = new ArcTurn(CFG);
    a.step(0, spin(-1, -1), true);
    a.step(1, spin(-1, -1), true); // arc at 1.2 m
    a.step(1.5, spin(-1, -1), true);
    const wide = a.step(2.5, spin(-1, -1), true); // refused a second: 2.4 m
    expect(0.3 / -wide.w).toBeCloseTo(2.4, 9);
    for (let t = 3; t < 12; t += 1) a.step(t, spin(-1, -1), true);
    expect(0.3 / -a.step(12, spin(-1, -1), true).w).toBeCloseTo(9.6, 9);
    // free for 2 s: half as wide, step by step down to 1.2 m, then the controller's own turn
    let out = a.step(13, spin(-1, -1), false);
    out = a.step(15, spin(-1, -1), false);
    expect(0.3 / -out.w).toBeCloseTo(4.8, 9);
    expect(0.3 / -a.step(17, spin(-1, -1), false).w).toBeCloseTo(2.4, 9);
    expect(0.3 / -a.step(19, spin(-1, -1), false).w).toBeCloseTo(1.2, 9);
    expect(a.step(21, spin(-1, -1), false)).toEqual({ v: 0, w: -1 });
    expect(a.active).toBe(false);
  });

  it('tightens an arc that something ahead stops (down to minRadius), and widens it back once it runs freely', () => {
    const a = new ArcTurn({ ...CFG, minRadius: 0.4 });
    a.step(0, spin(-1, -1), true);
    a.step(1, spin(-1, -1), true, undefined, 0.6); // arc at 1.2 m
    a.step(1.5, spin(-1, -1), true, undefined, 0.6);
    expect(0.3 / -a.step(2.5, spin(-1, -1), true, undefined, 0.6).w).toBeCloseTo(0.6, 9);
    a.step(3, spin(-1, -1), true, undefined, 0.6);
    expect(0.3 / -a.step(4, spin(-1, -1), true, undefined, 0.6).w).toBeCloseTo(0.4, 9); // not below minRadius
    a.step(5, spin(-1, -1), true, undefined, 0.6);
    expect(0.3 / -a.step(6, spin(-1, -1), true, undefined, 0.6).w).toBeCloseTo(0.4, 9);
    // something behind stops it: wider again
    a.step(6.5, spin(-1, -1), true, undefined, 2.8);
    expect(0.3 / -a.step(7.5, spin(-1, -1), true, undefined, 2.8).w).toBeCloseTo(0.8, 9);
    // free: back toward the configured radius
    a.step(8, spin(-1, -1), false);
    expect(0.3 / -a.step(10, spin(-1, -1), false).w).toBeCloseTo(1.2, 9);
  });

  it('does nothing with a radius of 0, or when the goal is reached', () => {
    const a = new ArcTurn({ ...CFG, radius: 0 });
    a.step(0, spin(-1), true);
    expect(a.step(5, spin(-1), true)).toEqual({ v: 0, w: -1 });
    const b = new ArcTurn(CFG);
    expect(b.step(5, { v: 0, w: 0, done: true, distance: 0, err: 0 }, true)).toEqual({ v: 0, w: 0 });
  });
  it('takes over a refused turn wider than its own arc too, widens it while the limit is beside, and keeps it while the controller turns tighter', () => {
    // a right turn of 1.22 m radius (the controller's), refused: the left flank is blind
    const turn: ControlOutput = { v: 1.36, w: -1.11, done: false, distance: 6, err: -1.5 };
    const a = new ArcTurn(CFG);
    expect(a.step(0, turn, true, 1.5, 1.12)).toEqual({ v: 1.36, w: -1.11 });
    expect(a.step(1, turn, true, 1.5, 1.12)).toEqual({ v: 0.3, w: -0.25 }); // the configured arc
    expect(a.step(2, turn, true, 1.5, 1.12)).toEqual({ v: 0.3, w: -0.25 }); // the arc refused too
    const wide = a.step(3, turn, true, 1.5, 1.12); // for afterSec, beside: twice as wide
    expect(wide.v).toBe(0.3);
    expect(wide.w).toBeCloseTo(-0.125, 9);
    expect(a.step(3.1, turn, false, 1.5, undefined)).toEqual(wide); // let through: kept while the controller turns tighter
    // the controller's own turn now gentler than the arc running: back to it
    const gentle: ControlOutput = { v: 1.5, w: -0.3, done: false, distance: 5, err: -0.2 };
    expect(a.step(3.2, gentle, false)).toEqual({ v: 1.5, w: -0.3 });
    expect(a.active).toBe(false);
  });
});
