/**
 * 2D geometry of the simulated world: vectors, segments (walls and the edges of obstacles),
 * polygons, circles (people), robot footprints, ray casts and distances. Pure functions, SI units
 * (metres, radians), angles counter-clockwise from +x (REP 103).
 *
 * Distances between shapes are >= 0: 0 means touching or overlapping (a collision). Ray casts
 * return the distance along a unit direction to the first hit at or after the origin, or +Infinity.
 */

/** A point or vector [m]. */
export interface Vec2 {
  x: number;
  y: number;
}

/** A pose in the plane: position [m] and heading [rad]. */
export interface Pose {
  x: number;
  y: number;
  yaw: number;
}

/** A line segment from (ax, ay) to (bx, by) [m]. */
export interface Segment {
  ax: number;
  ay: number;
  bx: number;
  by: number;
}

/** A circle: centre [m] and radius [m]. */
export interface Circle {
  x: number;
  y: number;
  r: number;
}

/** A robot's footprint in its base_link frame: a circle about the origin or a convex or concave polygon. */
export type Footprint = { kind: 'circle'; radius: number } | { kind: 'polygon'; points: readonly Vec2[] };

/** A footprint placed in the world at a pose. */
export type PlacedShape =
  { kind: 'circle'; circle: Circle } | { kind: 'polygon'; points: Vec2[]; edges: Segment[]; bounds: Bounds };

/** Axis-aligned bounds [m]. */
export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Wraps an angle into (-π, π]. */
export function wrapAngle(a: number): number {
  const twoPi = 2 * Math.PI;
  let r = a % twoPi;
  if (r <= -Math.PI) r += twoPi;
  else if (r > Math.PI) r -= twoPi;
  return r;
}

/** Euclidean length of (x, y). */
export function length(x: number, y: number): number {
  return Math.sqrt(x * x + y * y);
}

/** The point `p` (in the frame of `pose`) expressed in the world frame. */
export function transformPoint(pose: Pose, p: Vec2): Vec2 {
  const c = Math.cos(pose.yaw);
  const s = Math.sin(pose.yaw);
  return { x: pose.x + c * p.x - s * p.y, y: pose.y + s * p.x + c * p.y };
}

/** The pose `local` (relative to `parent`) expressed in the world frame. */
export function composePose(parent: Pose, local: Pose): Pose {
  const p = transformPoint(parent, local);
  return { x: p.x, y: p.y, yaw: wrapAngle(parent.yaw + local.yaw) };
}

/** A segment from two points. */
export function segment(a: Vec2, b: Vec2): Segment {
  return { ax: a.x, ay: a.y, bx: b.x, by: b.y };
}

/** The segments of a polyline; `closed` adds the edge from the last point back to the first. */
export function polylineSegments(points: readonly Vec2[], closed: boolean): Segment[] {
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) out.push(segment(points[i]!, points[i + 1]!));
  if (closed && points.length > 2) out.push(segment(points[points.length - 1]!, points[0]!));
  return out;
}

/** Bounds of a set of points. */
export function pointsBounds(points: readonly Vec2[]): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  return { minX, minY, maxX, maxY };
}

/** Bounds of a placed shape. */
export function shapeBounds(shape: PlacedShape): Bounds {
  if (shape.kind === 'polygon') return shape.bounds;
  const { x, y, r } = shape.circle;
  return { minX: x - r, minY: y - r, maxX: x + r, maxY: y + r };
}

/** Polygon signed area [m²]: positive when the points run counter-clockwise. */
export function polygonArea(points: readonly Vec2[]): number {
  let a = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    a += points[j]!.x * points[i]!.y - points[i]!.x * points[j]!.y;
  }
  return a / 2;
}

/** True when (px, py) is inside the polygon (even–odd rule; points on an edge may go either way). */
export function pointInPolygon(px: number, py: number, points: readonly Vec2[]): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const pi = points[i]!;
    const pj = points[j]!;
    if (pi.y > py !== pj.y > py && px < ((pj.x - pi.x) * (py - pi.y)) / (pj.y - pi.y) + pi.x) inside = !inside;
  }
  return inside;
}

/**
 * Distance along the ray from (ox, oy) with unit direction (dx, dy) to segment `s`, or +Infinity when
 * the ray misses it. A ray running along a collinear segment hits its nearer end.
 */
export function raySegment(ox: number, oy: number, dx: number, dy: number, s: Segment): number {
  const ex = s.bx - s.ax;
  const ey = s.by - s.ay;
  const denom = dx * ey - dy * ex;
  const wx = s.ax - ox;
  const wy = s.ay - oy;
  if (denom === 0) {
    // Parallel: a hit only when collinear; then the nearest end point at or ahead of the origin.
    if (wx * dy - wy * dx !== 0) return Infinity;
    const ta = wx * dx + wy * dy;
    const tb = (s.bx - ox) * dx + (s.by - oy) * dy;
    if (ta >= 0 && tb >= 0) return Math.min(ta, tb);
    if (ta < 0 && tb < 0) return Infinity;
    return 0;
  }
  const t = (wx * ey - wy * ex) / denom; // along the ray
  const u = (wx * dy - wy * dx) / denom; // along the segment, 0..1
  return t >= 0 && u >= 0 && u <= 1 ? t : Infinity;
}

/**
 * Distance along the ray from (ox, oy) with unit direction (dx, dy) to the circle's boundary, or
 * +Infinity on a miss. A ray starting inside the circle returns 0 (the sensor is inside the body).
 */
export function rayCircle(ox: number, oy: number, dx: number, dy: number, c: Circle): number {
  const fx = ox - c.x;
  const fy = oy - c.y;
  const cc = fx * fx + fy * fy - c.r * c.r;
  if (cc <= 0) return 0;
  const b = fx * dx + fy * dy;
  if (b >= 0) return Infinity; // pointing away
  const disc = b * b - cc;
  if (disc < 0) return Infinity;
  return -b - Math.sqrt(disc);
}

/** The point of segment `s` closest to (px, py). */
export function closestPointOnSegment(px: number, py: number, s: Segment): Vec2 {
  const ex = s.bx - s.ax;
  const ey = s.by - s.ay;
  const len2 = ex * ex + ey * ey;
  let u = len2 === 0 ? 0 : ((px - s.ax) * ex + (py - s.ay) * ey) / len2;
  if (u < 0) u = 0;
  else if (u > 1) u = 1;
  return { x: s.ax + u * ex, y: s.ay + u * ey };
}

/** Distance from (px, py) to segment `s` [m]. */
export function pointSegmentDistance(px: number, py: number, s: Segment): number {
  const ex = s.bx - s.ax;
  const ey = s.by - s.ay;
  const len2 = ex * ex + ey * ey;
  let u = len2 === 0 ? 0 : ((px - s.ax) * ex + (py - s.ay) * ey) / len2;
  if (u < 0) u = 0;
  else if (u > 1) u = 1;
  const dx = s.ax + u * ex - px;
  const dy = s.ay + u * ey - py;
  return Math.sqrt(dx * dx + dy * dy);
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/** True when segments `p` and `q` share at least one point. */
export function segmentsIntersect(p: Segment, q: Segment): boolean {
  const d1 = orient(q.ax, q.ay, q.bx, q.by, p.ax, p.ay);
  const d2 = orient(q.ax, q.ay, q.bx, q.by, p.bx, p.by);
  const d3 = orient(p.ax, p.ay, p.bx, p.by, q.ax, q.ay);
  const d4 = orient(p.ax, p.ay, p.bx, p.by, q.bx, q.by);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  // Touching or collinear cases: an end point lying on the other segment.
  return (
    (d1 === 0 && pointSegmentDistance(p.ax, p.ay, q) === 0) ||
    (d2 === 0 && pointSegmentDistance(p.bx, p.by, q) === 0) ||
    (d3 === 0 && pointSegmentDistance(q.ax, q.ay, p) === 0) ||
    (d4 === 0 && pointSegmentDistance(q.bx, q.by, p) === 0)
  );
}

/** Distance between two segments [m]; 0 when they intersect. */
export function segmentSegmentDistance(p: Segment, q: Segment): number {
  if (segmentsIntersect(p, q)) return 0;
  return Math.min(
    pointSegmentDistance(p.ax, p.ay, q),
    pointSegmentDistance(p.bx, p.by, q),
    pointSegmentDistance(q.ax, q.ay, p),
    pointSegmentDistance(q.bx, q.by, p),
  );
}

/** The footprint placed at `pose` in the world. */
export function placeFootprint(fp: Footprint, pose: Pose): PlacedShape {
  if (fp.kind === 'circle') return { kind: 'circle', circle: { x: pose.x, y: pose.y, r: fp.radius } };
  const points = fp.points.map((p) => transformPoint(pose, p));
  return { kind: 'polygon', points, edges: polylineSegments(points, true), bounds: pointsBounds(points) };
}

/** Distance from a placed shape to a segment [m]; 0 on contact or overlap. */
export function shapeSegmentDistance(shape: PlacedShape, s: Segment): number {
  if (shape.kind === 'circle') {
    const d = pointSegmentDistance(shape.circle.x, shape.circle.y, s) - shape.circle.r;
    return d > 0 ? d : 0;
  }
  // A segment wholly inside the polygon touches no edge but overlaps it.
  if (pointInPolygon(s.ax, s.ay, shape.points)) return 0;
  let best = Infinity;
  for (const e of shape.edges) {
    const d = segmentSegmentDistance(e, s);
    if (d < best) best = d;
    if (best === 0) return 0;
  }
  return best;
}

/** Distance from a placed shape to a circle [m]; 0 on contact or overlap. */
export function shapeCircleDistance(shape: PlacedShape, c: Circle): number {
  if (shape.kind === 'circle') {
    const d = length(shape.circle.x - c.x, shape.circle.y - c.y) - shape.circle.r - c.r;
    return d > 0 ? d : 0;
  }
  if (pointInPolygon(c.x, c.y, shape.points)) return 0;
  let best = Infinity;
  for (const e of shape.edges) {
    const d = pointSegmentDistance(c.x, c.y, e);
    if (d < best) best = d;
  }
  best -= c.r;
  return best > 0 ? best : 0;
}

/**
 * Distance from a placed shape to a closed polygon given by its points and edges [m]; 0 on contact,
 * overlap, or when either lies inside the other.
 */
export function shapePolygonDistance(shape: PlacedShape, points: readonly Vec2[], edges: readonly Segment[]): number {
  const inside =
    shape.kind === 'circle'
      ? pointInPolygon(shape.circle.x, shape.circle.y, points)
      : pointInPolygon(shape.points[0]!.x, shape.points[0]!.y, points) ||
        pointInPolygon(points[0]!.x, points[0]!.y, shape.points);
  if (inside) return 0;
  let best = Infinity;
  for (const e of edges) {
    const d = shapeSegmentDistance(shape, e);
    if (d < best) best = d;
    if (best === 0) return 0;
  }
  return best;
}

/** Distance between two placed shapes [m]; 0 on contact or overlap. */
export function shapeShapeDistance(a: PlacedShape, b: PlacedShape): number {
  if (b.kind === 'circle') return shapeCircleDistance(a, b.circle);
  if (a.kind === 'circle') return shapeCircleDistance(b, a.circle);
  return shapePolygonDistance(a, b.points, b.edges);
}

/** The centre of a placed shape (the circle's centre, the polygon's vertex mean). */
export function shapeCentre(shape: PlacedShape): Vec2 {
  if (shape.kind === 'circle') return { x: shape.circle.x, y: shape.circle.y };
  let x = 0;
  let y = 0;
  for (const p of shape.points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / shape.points.length, y: y / shape.points.length };
}

/** Radius of the smallest origin-centred circle containing the footprint [m]. */
export function footprintRadius(fp: Footprint): number {
  if (fp.kind === 'circle') return fp.radius;
  let r = 0;
  for (const p of fp.points) r = Math.max(r, length(p.x, p.y));
  return r;
}

/**
 * A uniform grid over segments: the broad phase for clearance, collision and lidar queries. Each
 * segment is listed in every cell its bounding box touches (cells stored densely, compressed-row
 * style, over the segments' bounds); a query visits each segment once. Queries are not re-entrant:
 * `visit` must not query the same grid.
 */
export class SegmentGrid {
  readonly segments: readonly Segment[];
  private readonly cell: number;
  private readonly ox: number;
  private readonly oy: number;
  private readonly nx: number;
  private readonly ny: number;
  /** Items of cell c are items[start[c]] .. items[start[c + 1] - 1]. */
  private readonly start: Int32Array;
  private readonly items: Int32Array;
  private readonly stamp: Uint32Array;
  private epoch = 0;

  /** `cellM` is the cell size [m] (a few metres suits rooms and corridors); grown for huge worlds. */
  constructor(segments: readonly Segment[], cellM = 2) {
    this.segments = segments;
    this.stamp = new Uint32Array(segments.length);
    const b = segments.length
      ? pointsBounds(
          segments.flatMap((s) => [
            { x: s.ax, y: s.ay },
            { x: s.bx, y: s.by },
          ]),
        )
      : { minX: 0, minY: 0, maxX: 0, maxY: 0 };
    const area = (b.maxX - b.minX + cellM) * (b.maxY - b.minY + cellM);
    this.cell = Math.max(cellM, Math.sqrt(area / 1e6));
    this.ox = b.minX;
    this.oy = b.minY;
    this.nx = Math.floor((b.maxX - b.minX) / this.cell) + 1;
    this.ny = Math.floor((b.maxY - b.minY) / this.cell) + 1;
    const counts = new Int32Array(this.nx * this.ny + 1);
    const span = (s: Segment, f: (c: number) => void): void => {
      const x0 = this.ix(Math.min(s.ax, s.bx));
      const x1 = this.ix(Math.max(s.ax, s.bx));
      const y0 = this.iy(Math.min(s.ay, s.by));
      const y1 = this.iy(Math.max(s.ay, s.by));
      for (let gx = x0; gx <= x1; gx++) for (let gy = y0; gy <= y1; gy++) f(gx * this.ny + gy);
    };
    for (const s of segments) span(s, (c) => counts[c + 1]!++);
    for (let c = 0; c < this.nx * this.ny; c++) counts[c + 1]! += counts[c]!;
    this.start = counts.slice();
    this.items = new Int32Array(counts[this.nx * this.ny]!);
    const fill = counts.slice();
    segments.forEach((s, i) => span(s, (c) => (this.items[fill[c]!++] = i)));
  }

  private ix(v: number): number {
    return Math.min(this.nx - 1, Math.max(0, Math.floor((v - this.ox) / this.cell)));
  }

  private iy(v: number): number {
    return Math.min(this.ny - 1, Math.max(0, Math.floor((v - this.oy) / this.cell)));
  }

  /** Calls `visit(index)` once for every segment whose cells overlap the box. */
  query(minX: number, minY: number, maxX: number, maxY: number, visit: (index: number) => void): void {
    if (this.items.length === 0) return;
    // Outside the segments' bounds there is nothing (clamping would otherwise pull in edge cells).
    if (
      maxX < this.ox ||
      maxY < this.oy ||
      minX > this.ox + this.nx * this.cell ||
      minY > this.oy + this.ny * this.cell
    ) {
      return;
    }
    this.epoch = (this.epoch + 1) >>> 0;
    if (this.epoch === 0) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    const x0 = this.ix(minX);
    const x1 = this.ix(maxX);
    const y0 = this.iy(minY);
    const y1 = this.iy(maxY);
    const { start, items, stamp } = this;
    for (let gx = x0; gx <= x1; gx++) {
      for (let gy = y0; gy <= y1; gy++) {
        const c = gx * this.ny + gy;
        for (let k = start[c]!; k < start[c + 1]!; k++) {
          const i = items[k]!;
          if (stamp[i] === epoch) continue;
          stamp[i] = epoch;
          visit(i);
        }
      }
    }
  }
}

/**
 * A small-integer key for grid cell (gx, gy). Coordinates wrap every 32,768 cells, so two cells that
 * far apart share a key; that only adds candidates (every caller checks exact distances), and keeps
 * keys as small integers, which Map hashes fastest.
 */
export function cellKey(gx: number, gy: number): number {
  return ((gx & 0x7fff) << 15) | (gy & 0x7fff);
}
