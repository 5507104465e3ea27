/**
 * An SVG map of a run: walls, obstacles, stations, each robot's path coloured by its safety state,
 * people's paths, where robots were brought to a stop, and every collision. Pure: scenario and shard
 * reports in, SVG text out (well-formed XML; every robot is a `<g class="robot" data-robot="id">`).
 */
import type { Scenario } from '../scenario';
import type { ShardReport } from '../fleet/shard';
import type { CollisionRecord } from '../world';

/** Path colours by safety state index (SAFETY_NAMES: unknown, clear, approach, slowdown, stop, estop). */
export const SAFETY_COLOURS = ['#9e9e9e', '#2e7d32', '#f9a825', '#ef6c00', '#c62828', '#6a1b9a'] as const;
const LABELS = ['unknown', 'clear', 'approach', 'slowdown', 'stop', 'e-stop'];
const ROBOT_PALETTE = ['#1565c0', '#00838f', '#5d4037', '#ad1457', '#283593', '#558b2f', '#4e342e', '#00695c'];

/** XML-escapes text for element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The SVG map of a run. `maxPointsPerRobot` thins long paths (the first and last points always stay). */
export function renderSvg(s: Scenario, shards: readonly ShardReport[], maxPointsPerRobot = 2000): string {
  const robots = shards.flatMap((r) => r.robots);
  // Each shard records the people of its own tiles (an untiled scenario's people appear in every shard).
  const people = [...new Map(shards.flatMap((r) => r.people).map((p) => [p.id, p])).values()];
  const collisions: CollisionRecord[] = shards.flatMap((r) => r.collisions);
  const xs: number[] = [];
  const ys: number[] = [];
  const take = (x: number, y: number): void => {
    xs.push(x);
    ys.push(y);
  };
  for (const w of s.world.walls) for (const [x, y] of w.points) take(x, y);
  for (const o of s.world.obstacles) for (const [x, y] of o.points) take(x, y);
  for (const st of s.world.stations) take(st.pose.x, st.pose.y);
  for (const r of robots) for (const p of r.path) take(p[1], p[2]);
  for (const p of people) for (const [x, y] of p.path) take(x, y);
  for (const r of s.robots) take(r.start.x, r.start.y);
  const margin = 1;
  const minX = Math.min(...xs) - margin;
  const maxX = Math.max(...xs) + margin;
  const minY = Math.min(...ys) - margin;
  const maxY = Math.max(...ys) + margin;
  const widthM = Math.max(1, maxX - minX);
  const heightM = Math.max(1, maxY - minY);
  const scale = Math.min(60, 1200 / widthM);
  const legendH = 70;
  const W = Math.ceil(widthM * scale);
  const H = Math.ceil(heightM * scale) + legendH;
  // Map y grows upwards; SVG y grows downwards.
  const X = (x: number): string => ((x - minX) * scale).toFixed(1);
  const Y = (y: number): string => ((maxY - y) * scale).toFixed(1);
  const pts = (p: ReadonlyArray<readonly [number, number]>): string => p.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ');
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<title>${esc(`kizuna sim: ${s.name}`)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push('<g class="walls" stroke="#212121" stroke-width="3" fill="none">');
  for (const w of s.world.walls) {
    const p = w.points.map(([x, y]) => [x, y] as const);
    out.push(
      w.closed
        ? `<polygon data-id="${esc(w.id)}" points="${pts(p)}"/>`
        : `<polyline data-id="${esc(w.id)}" points="${pts(p)}"/>`,
    );
  }
  out.push('</g>');
  out.push('<g class="obstacles" fill="#757575" stroke="#424242">');
  for (const o of s.world.obstacles)
    out.push(`<polygon data-id="${esc(o.id)}" points="${pts(o.points.map(([x, y]) => [x, y] as const))}"/>`);
  out.push('</g>');
  out.push('<g class="stations">');
  for (const st of s.world.stations) {
    const cx = X(st.pose.x);
    const cy = Y(st.pose.y);
    const fill = st.kind === 'dock' ? '#1e88e5' : '#ffffff';
    out.push(
      `<g data-station="${esc(st.name)}"><rect x="${(Number(cx) - 5).toFixed(1)}" y="${(Number(cy) - 5).toFixed(1)}" width="10" height="10" fill="${fill}" stroke="#1e88e5" stroke-width="1.5"/>` +
        `<text x="${(Number(cx) + 7).toFixed(1)}" y="${(Number(cy) - 6).toFixed(1)}" fill="#0d47a1">${esc(st.name)}</text></g>`,
    );
  }
  out.push('</g>');
  out.push('<g class="people" fill="none" stroke="#8e24aa" stroke-width="1.5" stroke-dasharray="4 3" opacity="0.7">');
  for (const p of people) {
    if (p.path.length === 0) continue;
    const path = thin(p.path, maxPointsPerRobot);
    out.push(`<polyline data-person="${esc(p.id)}" points="${pts(path)}"/>`);
  }
  out.push('</g>');
  robots.forEach((r, i) => {
    const colour = ROBOT_PALETTE[i % ROBOT_PALETTE.length]!;
    out.push(`<g class="robot" data-robot="${esc(r.robotId)}" data-profile="${r.profile}">`);
    const path = thin(r.path, maxPointsPerRobot);
    // One polyline per run of the same safety state, so the colour shows where the gate limited it.
    let runStart = 0;
    for (let k = 1; k <= path.length; k++) {
      if (k < path.length && path[k]![3] === path[runStart]![3]) continue;
      // From the last point of the previous run, so the path stays continuous and a one-point run shows.
      const seg = path.slice(Math.max(0, runStart - 1), k).map((p) => [p[1], p[2]] as const);
      const st = path[runStart]![3];
      if (seg.length >= 2) {
        out.push(
          `<polyline points="${pts(seg)}" fill="none" stroke="${SAFETY_COLOURS[st] ?? SAFETY_COLOURS[0]}" stroke-width="3" stroke-linecap="round" data-safety="${LABELS[st] ?? 'unknown'}"/>`,
        );
      }
      runStart = k;
    }
    const start = s.robots.find((x) => x.id === r.robotId)?.start;
    if (start) {
      out.push(
        `<circle cx="${X(start.x)}" cy="${Y(start.y)}" r="6" fill="${colour}" stroke="#ffffff" stroke-width="1.5"/>`,
      );
      out.push(
        `<text x="${(Number(X(start.x)) + 8).toFixed(1)}" y="${(Number(Y(start.y)) + 14).toFixed(1)}" fill="${colour}" font-weight="bold">${esc(r.robotId)}</text>`,
      );
    }
    const last = path[path.length - 1];
    if (last)
      out.push(`<circle cx="${X(last[1])}" cy="${Y(last[2])}" r="4" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const stp of r.stops) {
      const cx = Number(X(stp.x));
      const cy = Number(Y(stp.y));
      out.push(
        `<polygon class="stop" points="${[0, 1, 2, 3, 4, 5, 6, 7]
          .map(
            (k) =>
              `${(cx + 6 * Math.cos((k * Math.PI) / 4 + Math.PI / 8)).toFixed(1)},${(cy + 6 * Math.sin((k * Math.PI) / 4 + Math.PI / 8)).toFixed(1)}`,
          )
          .join(
            ' ',
          )}" fill="${stp.state === 'estop' ? SAFETY_COLOURS[5] : SAFETY_COLOURS[4]}" opacity="0.85"><title>${esc(`${stp.robotId} ${stp.state} at ${stp.t} s: ${stp.detail}`)}</title></polygon>`,
      );
    }
    for (const a of r.announcements ?? []) {
      const cx = Number(X(a.x));
      const cy = Number(Y(a.y));
      out.push(
        `<path class="announcement" d="M${cx.toFixed(1)},${(cy - 9).toFixed(1)} l5,-7 h7 v-6 h-18 v6 h2 z" fill="#ffffff" stroke="${colour}" stroke-width="1.2"><title>${esc(`${a.robotId} said at ${a.t} s (${a.intent}): ${a.en} / ${a.ja}`)}</title></path>`,
      );
    }
    out.push('</g>');
  });
  out.push('<g class="collisions" stroke="#d50000" stroke-width="3">');
  for (const c of collisions) {
    const cx = Number(X(c.where.x));
    const cy = Number(Y(c.where.y));
    out.push(
      `<g class="collision"><line x1="${cx - 7}" y1="${cy - 7}" x2="${cx + 7}" y2="${cy + 7}"/><line x1="${cx - 7}" y1="${cy + 7}" x2="${cx + 7}" y2="${cy - 7}"/><title>${esc(`${c.robotId} hit ${c.with.kind} ${c.with.id} at ${c.t.toFixed(2)} s`)}</title></g>`,
    );
  }
  out.push('</g>');
  // Legend
  const ly = H - legendH + 18;
  out.push(`<g class="legend" transform="translate(8,${ly})">`);
  LABELS.forEach((l, i) => {
    out.push(`<line x1="${i * 95}" y1="0" x2="${i * 95 + 24}" y2="0" stroke="${SAFETY_COLOURS[i]}" stroke-width="4"/>`);
    out.push(`<text x="${i * 95 + 28}" y="4">${l}</text>`);
  });
  out.push(
    `<text x="0" y="24">octagon: a safety stop · red cross: a collision (${collisions.length}) · dashed purple: people · blue squares: stations</text>`,
  );
  out.push(`<text x="0" y="42">${esc(`${s.name}: ${robots.length} robot(s), ${s.duration_s} s`)}</text>`);
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]!);
  out.push(xs[xs.length - 1]!);
  return out;
}
