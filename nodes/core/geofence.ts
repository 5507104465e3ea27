/** The site's geofence: a polygon the robot must stay inside, shared by the executive and cloud_bridge. Pure. */

/** Whether (x, y) lies inside the polygon given as flat x,y pairs (even-odd rule); true for an empty fence. */
export function insideGeofence(fence: ReadonlyArray<number>, x: number, y: number): boolean {
  const n = fence.length / 2;
  if (n < 3) return true;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = fence[2 * i]!;
    const yi = fence[2 * i + 1]!;
    const xj = fence[2 * j]!;
    const yj = fence[2 * j + 1]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
