/**
 * Where the sensors have lately seen nothing: a rolling grid in the odom frame holding, per cell, the
 * time a beam last crossed it and went on beyond. A blind place (no sensor covers it now) that a beam
 * crossed within a few seconds is not unknown, so a robot whose lidar covers only its front may swing its
 * rear through space it has just looked at. A cell where a beam ended (something is there) is not free.
 * Pure: scans, poses and times arrive as arguments; nothing is allocated after construction.
 */
import type { ScanPoints } from './scan';

export interface SeenFreeConfig {
  /** [m] cell edge. */
  cellM: number;
  /** Cells per side of the rolling window (a power of two; the window must hold `rangeM` around the robot). */
  cells: number;
  /** [m] beams mark free space up to this far from the sensor. */
  rangeM: number;
}

export class SeenFree {
  private readonly t: Float64Array;
  private readonly ci: Int32Array;
  private readonly cj: Int32Array;
  private readonly mask: number;

  constructor(private readonly c: SeenFreeConfig) {
    const n = c.cells * c.cells;
    if (c.cells & (c.cells - 1)) throw new Error(`SeenFree: cells must be a power of two, got ${c.cells}`);
    this.t = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.ci = new Int32Array(n).fill(0x7fffffff);
    this.cj = new Int32Array(n).fill(0x7fffffff);
    this.mask = c.cells - 1;
  }

  /** Forgets everything (the odom frame jumped). */
  clear(): void {
    this.t.fill(Number.NEGATIVE_INFINITY);
    this.ci.fill(0x7fffffff);
  }

  private slot(i: number, j: number): number {
    return (i & this.mask) * this.c.cells + (j & this.mask);
  }

  private mark(px: number, py: number, t: number): void {
    const i = Math.floor(px / this.c.cellM);
    const j = Math.floor(py / this.c.cellM);
    const k = this.slot(i, j);
    this.t[k] = t;
    this.ci[k] = i;
    this.cj[k] = j;
  }

  /** The beams of the scan `src` just loaded, with the robot at (x, y, yaw) [m, rad] in odom at time `now` [s]. */
  observe(src: ScanPoints, x: number, y: number, yaw: number, now: number): void {
    const cy = Math.cos(yaw);
    const sy = Math.sin(yaw);
    const sp = src.pose;
    const ox = x + cy * sp.x - sy * sp.y;
    const oy = y + sy * sp.x + cy * sp.y;
    const cell = this.c.cellM;
    const step = 0.7 * cell;
    const far = Math.min(src.rangeMax, this.c.rangeM);
    const n = src.beams;
    // beams closer together than a cell at the far end mark the same cells: every `stride`-th will do
    const spacing = Math.abs(src.angleIncrement) * far;
    const stride = spacing > 0 ? Math.max(1, Math.floor(cell / spacing)) : 1;
    for (let b = 0; b < n; b += stride) {
      const r = src.ranges[b]!;
      let len: number;
      if (Number.isNaN(r) || r < src.rangeMin)
        continue; // no information (and -Inf: something at the sensor)
      else if (r >= src.rangeMax) len = far;
      else len = Math.min(r - cell, far);
      if (!(len > 0)) continue;
      const bc = src.beamCos(b);
      const bs = src.beamSin(b);
      const dx = cy * bc - sy * bs;
      const dy = sy * bc + cy * bs;
      for (let d = 0; d <= len; d += step) this.mark(ox + dx * d, oy + dy * d, now);
    }
    // where a beam ended something is: not free, whatever another beam said
    for (let b = 0; b < n; b++) {
      const r = src.ranges[b]!;
      if (!(r >= src.rangeMin && r < src.rangeMax) || r > this.c.rangeM) continue;
      const bc = src.beamCos(b);
      const bs = src.beamSin(b);
      this.mark(ox + (cy * bc - sy * bs) * r, oy + (sy * bc + cy * bs) * r, Number.NEGATIVE_INFINITY);
    }
  }

  /** Whether (px, py) [m, odom] was seen free at or after `since` [s]. */
  seenSince(px: number, py: number, since: number): boolean {
    const i = Math.floor(px / this.c.cellM);
    const j = Math.floor(py / this.c.cellM);
    const k = this.slot(i, j);
    return this.ci[k] === i && this.cj[k] === j && this.t[k]! >= since;
  }
}
