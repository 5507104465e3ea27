/**
 * People as moving circles following scripted waypoints: walk at a constant speed from waypoint to
 * waypoint, pause on arrival, and either stop at the last waypoint ('once') or walk back to the first
 * and repeat ('loop'). Pure: a track is compiled once, then `personAt(track, t)` gives the position
 * at any sim time t (no state, no stepping), so people move identically however the sim is stepped.
 */
import { length } from './geometry';

/** A waypoint [m] with an optional pause on arrival [s] (overrides the person's default). */
export interface PersonWaypoint {
  x: number;
  y: number;
  pauseS?: number;
  /** [m/s] speed of the walk from this waypoint to the next (overrides the person's speedMps). */
  speedMps?: number;
}

/** How a person reacts to robots: stop while one is within `withinM`, or step `asideM` sideways. */
export interface PersonReaction {
  withinM: number;
  action: 'stop' | 'step_aside';
  asideM: number;
}

/** A scripted person (units in the names). */
export interface PersonConfig {
  id: string;
  /** [m] radius of the circle the person occupies. */
  radiusM: number;
  /** [m/s] walking speed (> 0). */
  speedMps: number;
  /** [s] default pause on arriving at each waypoint. */
  pauseS: number;
  /** 'once': stop at the last waypoint; 'loop': walk back to the first and repeat. */
  mode: 'once' | 'loop';
  /** [s] sim time at which the person starts walking (standing at the first waypoint until then). */
  startS: number;
  /** At least one; one waypoint means a person standing still. */
  waypoints: readonly PersonWaypoint[];
  /** Reaction to robots (the World applies it; without it the person follows the script blindly). */
  react?: PersonReaction;
}

/** Where a person is at a moment. */
export interface PersonState {
  x: number;
  y: number;
  /** [m/s] velocity (0 while pausing or standing). */
  vx: number;
  vy: number;
  /** [rad] direction of the current or last leg walked (0 before the first). */
  heading: number;
}

interface Phase {
  /** [s] end of the phase, relative to the start of the cycle. */
  end: number;
  start: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  heading: number;
}

/** A compiled track: the phases (walks and pauses) of one pass, relative to the start time. */
export interface PersonTrack {
  config: PersonConfig;
  phases: Phase[];
  /** [s] length of one pass (a full cycle for 'loop'). */
  period: number;
}

/** The fastest this person walks [m/s] (any leg). */
export function maxPersonSpeed(cfg: PersonConfig): number {
  return Math.max(cfg.speedMps, ...cfg.waypoints.map((w) => w.speedMps ?? 0));
}

/** The track of `cfg`: walks at each leg's speed (the waypoint's, else cfg.speedMps) and pauses, in order; zero-length legs are skipped. */
export function compilePerson(cfg: PersonConfig): PersonTrack {
  const wps = cfg.waypoints;
  const phases: Phase[] = [];
  let t = 0;
  let heading = 0;
  const legs = cfg.mode === 'loop' && wps.length > 1 ? wps.length : wps.length - 1;
  for (let i = 0; i < legs; i++) {
    const a = wps[i]!;
    const b = wps[(i + 1) % wps.length]!;
    const d = length(b.x - a.x, b.y - a.y);
    if (d > 0) {
      heading = Math.atan2(b.y - a.y, b.x - a.x);
      const dur = d / (a.speedMps ?? cfg.speedMps);
      phases.push({ start: t, end: t + dur, x0: a.x, y0: a.y, x1: b.x, y1: b.y, heading });
      t += dur;
    }
    const pause = b.pauseS ?? cfg.pauseS;
    if (pause > 0) {
      phases.push({ start: t, end: t + pause, x0: b.x, y0: b.y, x1: b.x, y1: b.y, heading });
      t += pause;
    }
  }
  return { config: cfg, phases, period: t };
}

/** The person's position and velocity at sim time `t` [s]. */
export function personAt(track: PersonTrack, t: number): PersonState {
  const { config: cfg, phases, period } = track;
  const first = cfg.waypoints[0]!;
  let rel = t - cfg.startS;
  if (rel <= 0 || phases.length === 0 || period <= 0) return { x: first.x, y: first.y, vx: 0, vy: 0, heading: 0 };
  if (rel >= period) {
    if (cfg.mode === 'once') {
      const last = phases[phases.length - 1]!;
      return { x: last.x1, y: last.y1, vx: 0, vy: 0, heading: last.heading };
    }
    rel %= period;
  }
  // Binary search for the first phase ending after rel.
  let lo = 0;
  let hi = phases.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (phases[mid]!.end > rel) hi = mid;
    else lo = mid + 1;
  }
  const p = phases[lo]!;
  const dur = p.end - p.start;
  const f = dur > 0 ? (rel - p.start) / dur : 1;
  const moving = p.x0 !== p.x1 || p.y0 !== p.y1;
  return {
    x: p.x0 + (p.x1 - p.x0) * f,
    y: p.y0 + (p.y1 - p.y0) * f,
    vx: moving ? (p.x1 - p.x0) / dur : 0,
    vy: moving ? (p.y1 - p.y0) / dur : 0,
    heading: p.heading,
  };
}
