import { describe, it, expect } from '@jest/globals';
import {
  SegmentGrid,
  composePose,
  footprintRadius,
  placeFootprint,
  pointInPolygon,
  pointSegmentDistance,
  polygonArea,
  polylineSegments,
  rayCircle,
  raySegment,
  segment,
  segmentSegmentDistance,
  segmentsIntersect,
  shapeCircleDistance,
  shapePolygonDistance,
  shapeSegmentDistance,
  shapeShapeDistance,
  transformPoint,
  wrapAngle,
  type Footprint,
  type Segment,
} from '../../../sim/geometry';

const wallX3: Segment = { ax: 3, ay: -1, bx: 3, by: 1 };
const square = [
  { x: 0, y: 0 },
  { x: 2, y: 0 },
  { x: 2, y: 2 },
  { x: 0, y: 2 },
];

describe('sim geometry: rays', () => {
  it('a beam along +x hits a wall at x = 3 at distance 3', () => {
    expect(raySegment(0, 0, 1, 0, wallX3)).toBe(3);
  });

  it('a beam at 45° hits the wall x = 3 at distance 3·√2 only when the wall reaches y = 3', () => {
    const d = Math.SQRT1_2;
    expect(raySegment(0, 0, d, d, wallX3)).toBe(Infinity);
    expect(raySegment(0, 0, d, d, { ax: 3, ay: -5, bx: 3, by: 5 })).toBeCloseTo(3 * Math.SQRT2, 12);
  });

  it('misses a wall behind the origin, and hits a wall end exactly', () => {
    expect(raySegment(0, 0, -1, 0, wallX3)).toBe(Infinity);
    expect(raySegment(0, 1, 1, 0, wallX3)).toBe(3);
  });

  it('a collinear segment ahead is hit at its nearer end; one containing the origin at 0', () => {
    expect(raySegment(0, 0, 1, 0, { ax: 5, ay: 0, bx: 2, by: 0 })).toBe(2);
    expect(raySegment(0, 0, 1, 0, { ax: -1, ay: 0, bx: 2, by: 0 })).toBe(0);
    expect(raySegment(0, 0, 1, 0, { ax: -5, ay: 0, bx: -2, by: 0 })).toBe(Infinity);
  });

  it('a beam hits a circle of radius 0.5 centred 4 m ahead at 3.5 m, and one off-axis at the chord', () => {
    expect(rayCircle(0, 0, 1, 0, { x: 4, y: 0, r: 0.5 })).toBe(3.5);
    // centre (4, 0.3): entry where (x-4)² + 0.09 = 0.25 → x = 4 - 0.4
    expect(rayCircle(0, 0, 1, 0, { x: 4, y: 0.3, r: 0.5 })).toBeCloseTo(3.6, 12);
    expect(rayCircle(0, 0, 1, 0, { x: 4, y: 0.6, r: 0.5 })).toBe(Infinity);
    expect(rayCircle(0, 0, -1, 0, { x: 4, y: 0, r: 0.5 })).toBe(Infinity);
    expect(rayCircle(0, 0, 1, 0, { x: 0.1, y: 0, r: 0.5 })).toBe(0);
  });
});

describe('sim geometry: distances and containment', () => {
  it('point to segment: perpendicular foot, or the nearer end', () => {
    expect(pointSegmentDistance(0, 0, wallX3)).toBe(3);
    expect(pointSegmentDistance(3, 4, wallX3)).toBe(3);
    expect(pointSegmentDistance(7, 4, wallX3)).toBe(5);
  });

  it('segment to segment: 0 when crossing or touching, otherwise the nearest end', () => {
    const a = segment({ x: 0, y: 0 }, { x: 2, y: 2 });
    expect(segmentsIntersect(a, segment({ x: 0, y: 2 }, { x: 2, y: 0 }))).toBe(true);
    expect(segmentSegmentDistance(a, segment({ x: 2, y: 2 }, { x: 4, y: 0 }))).toBe(0);
    expect(segmentSegmentDistance(a, segment({ x: 3, y: 0 }, { x: 5, y: 0 }))).toBeCloseTo(Math.SQRT2 * 1.5, 12);
    expect(
      segmentSegmentDistance(segment({ x: 0, y: 0 }, { x: 1, y: 0 }), segment({ x: 2, y: 0 }, { x: 3, y: 0 })),
    ).toBe(1);
  });

  it('point in polygon and signed area', () => {
    expect(pointInPolygon(1, 1, square)).toBe(true);
    expect(pointInPolygon(3, 1, square)).toBe(false);
    expect(polygonArea(square)).toBe(4);
    expect(polygonArea([...square].reverse())).toBe(-4);
  });

  it('poses compose and angles wrap into (-π, π]', () => {
    expect(wrapAngle(3 * Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapAngle(-Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapAngle(-0.5)).toBe(-0.5);
    const p = transformPoint({ x: 1, y: 1, yaw: Math.PI / 2 }, { x: 1, y: 0 });
    expect(p.x).toBeCloseTo(1, 12);
    expect(p.y).toBeCloseTo(2, 12);
    const c = composePose({ x: 1, y: 0, yaw: Math.PI }, { x: 1, y: 0, yaw: Math.PI });
    expect(c.x).toBeCloseTo(0, 12);
    expect(c.yaw).toBeCloseTo(0, 12);
  });

  it('a circular footprint of radius 0.3 at x = 2 is 0.7 m from the wall x = 3, and touching at x = 2.7', () => {
    const fp: Footprint = { kind: 'circle', radius: 0.3 };
    expect(shapeSegmentDistance(placeFootprint(fp, { x: 2, y: 0, yaw: 0 }), wallX3)).toBeCloseTo(0.7, 12);
    expect(shapeSegmentDistance(placeFootprint(fp, { x: 2.7, y: 0, yaw: 0 }), wallX3)).toBe(0);
    expect(shapeSegmentDistance(placeFootprint(fp, { x: 2.9, y: 0, yaw: 0 }), wallX3)).toBe(0);
  });

  it('a rectangular footprint turned by 90° presents its long side (clearance computed by hand)', () => {
    // 1.0 m long (x) × 0.4 m wide (y), centred on base_link.
    const rect: Footprint = {
      kind: 'polygon',
      points: [
        { x: 0.5, y: 0.2 },
        { x: -0.5, y: 0.2 },
        { x: -0.5, y: -0.2 },
        { x: 0.5, y: -0.2 },
      ],
    };
    expect(shapeSegmentDistance(placeFootprint(rect, { x: 2, y: 0, yaw: 0 }), wallX3)).toBeCloseTo(0.5, 12);
    expect(shapeSegmentDistance(placeFootprint(rect, { x: 2, y: 0, yaw: Math.PI / 2 }), wallX3)).toBeCloseTo(0.8, 12);
    expect(footprintRadius(rect)).toBeCloseTo(Math.sqrt(0.29), 12);
    // A person (circle r 0.25) 1 m ahead of the front edge.
    const placed = placeFootprint(rect, { x: 0, y: 0, yaw: 0 });
    expect(shapeCircleDistance(placed, { x: 1.75, y: 0, r: 0.25 })).toBeCloseTo(1, 12);
    expect(shapeCircleDistance(placed, { x: 0, y: 0, r: 0.1 })).toBe(0);
  });

  it('a footprint inside an obstacle polygon, or an obstacle inside a footprint, is overlap', () => {
    const edges = polylineSegments(square, true);
    const big: Footprint = { kind: 'circle', radius: 0.2 };
    expect(shapePolygonDistance(placeFootprint(big, { x: 1, y: 1, yaw: 0 }), square, edges)).toBe(0);
    expect(shapePolygonDistance(placeFootprint(big, { x: 3, y: 1, yaw: 0 }), square, edges)).toBeCloseTo(0.8, 12);
    const huge: Footprint = {
      kind: 'polygon',
      points: [
        { x: -5, y: -5 },
        { x: 5, y: -5 },
        { x: 5, y: 5 },
        { x: -5, y: 5 },
      ],
    };
    expect(shapePolygonDistance(placeFootprint(huge, { x: 0, y: 0, yaw: 0 }), square, edges)).toBe(0);
  });

  it('circle to circle between two placed robots', () => {
    const a = placeFootprint({ kind: 'circle', radius: 0.3 }, { x: 0, y: 0, yaw: 0 });
    const b = placeFootprint({ kind: 'circle', radius: 0.2 }, { x: 0, y: 2, yaw: 1 });
    expect(shapeShapeDistance(a, b)).toBeCloseTo(1.5, 12);
  });
});

describe('sim geometry: segment grid', () => {
  it('returns each segment near the query box once, and not the far ones', () => {
    const segs: Segment[] = [
      { ax: 0, ay: 0, bx: 10, by: 0 }, // spans many cells
      { ax: 1, ay: 1, bx: 1.5, by: 1.5 },
      { ax: 50, ay: 50, bx: 51, by: 51 },
    ];
    const grid = new SegmentGrid(segs, 2);
    const seen: number[] = [];
    grid.query(0.5, -0.5, 6, 1.2, (i) => seen.push(i));
    expect(seen.sort()).toEqual([0, 1]);
    const again: number[] = [];
    grid.query(49, 49, 52, 52, (i) => again.push(i));
    expect(again).toEqual([2]);
  });
});
