/** Test helper: a 181-beam half-circle lidar scan (±90°) loaded into ScanPoints. */
import { ScanPoints } from '../../../nodes/safety_gate/scan';

/** A scan from a sensor at (`x`, 0) in base_link, each beam's range from `range(angle)`. */
export function halfScan(range: (a: number) => number, x = 0): ScanPoints {
  const n = 181;
  const ranges: number[] = [];
  for (let i = 0; i < n; i++) ranges.push(range(-Math.PI / 2 + (i * Math.PI) / (n - 1)));
  const pts = new ScanPoints({ x, y: 0, yaw: 0 });
  pts.load({
    header: { frame_id: 'laser' },
    angle_min: -Math.PI / 2,
    angle_max: Math.PI / 2,
    angle_increment: Math.PI / (n - 1),
    range_min: 0.05,
    range_max: 10,
    ranges,
  });
  return pts;
}
