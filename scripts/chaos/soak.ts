/**
 * The soak (issue 20): a fleet of full robot stacks (the default fleet scenario tiled to `robots`, each
 * robot five real nodes and its bridge with its SQLite outbox, the reference planner, the embedded
 * broker, all in this thread: up to 20 robots are one shard) runs `simHours` of sim time as fast as the
 * machine goes, while this process's resident set, V8 heap, open file descriptors and active handles
 * (timers, sockets) are sampled about once per wall second. Reported: each one's least-squares slope per simulated hour over the run after
 * its first fifth (warm-up), and the first and last values.
 *
 * Bounds: descriptors and handles must not grow (last − first of the measured part ≤ 4: a reconnect in
 * flight at a sample may hold one more); the V8 heap right after a full collection (taken before every
 * 30th sample) may grow by at most `heapSlopeBoundMB` per simulated hour. The resident set's slope is
 * reported beside it (it also holds what the allocator keeps and SQLite's caches). What grows by design is
 * the sim's own record of the run: each robot's path for the map (sampled once a minute here, not four
 * times a second as in `kizuna sim`), every event seq the planner has seen and every decision id accepted,
 * for the report; their counts are in the result.
 */
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { loadScenario } from '../../sim/scenario';
import { adjustScenario } from '../../sim/fleet/scale';
import { runSim } from '../../sim/fleet/run';
import { check, type Check } from './common';

export interface SoakOptions {
  robots: number;
  simHours: number;
  seed: number;
  /** [MB per simulated hour] the allowed slope of the heap after a full collection. */
  heapSlopeBoundMB: number;
  /** A full collection before every n-th sample, whose heap is then the slope's figure. Default 30. */
  gcEverySamples?: number;
  /** Called with each sample (progress). */
  onSample?: (s: SoakSample) => void;
}

export interface SoakSample {
  simS: number;
  wallS: number;
  rssMB: number;
  heapMB: number;
  fds: number;
  handles: number;
  /** The heap right after a full collection (every `gcEverySamples`-th sample only). */
  heapAfterGcMB?: number;
}

/** V8's full collection, made callable at run time (the same as node --expose-gc). */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

export async function soak(o: SoakOptions): Promise<Record<string, unknown> & { pass: boolean }> {
  const file = join(__dirname, '..', '..', 'sim', 'scenarios', 'fleet.yaml');
  const scenario = adjustScenario(
    loadScenario(file),
    { robots: o.robots, durationS: Math.round(o.simHours * 3600), seed: o.seed },
    file,
  );
  const samples: SoakSample[] = [];
  const gc = fullGc();
  const gcEvery = o.gcEverySamples ?? 30;
  const result = await runSim({
    scenario,
    source: file,
    speed: 0,
    drainTimeoutS: 30,
    // the map's path record grows with sim time by design (about 100 B per point): once a minute here
    pathPeriodS: 60,
    onProgress: (p) => {
      const collect = samples.length % gcEvery === 0;
      if (collect) gc();
      const m = process.memoryUsage();
      const s: SoakSample = {
        simS: p.t,
        wallS: p.wallS,
        rssMB: m.rss / 2 ** 20,
        heapMB: m.heapUsed / 2 ** 20,
        fds: openFds(),
        handles: process.getActiveResourcesInfo().length,
        ...(collect ? { heapAfterGcMB: m.heapUsed / 2 ** 20 } : {}),
      };
      samples.push(s);
      o.onSample?.(s);
    },
  });
  const warm = scenario.duration_s / 5;
  const measured = samples.filter((s) => s.simS >= warm);
  const hours = measured.map((s) => s.simS / 3600);
  const per = (k: 'rssMB' | 'heapMB'): number =>
    slope(
      hours,
      measured.map((s) => s[k]),
    );
  const gced = measured.filter((s) => s.heapAfterGcMB !== undefined);
  const heapAfterGcSlope = slope(
    gced.map((s) => s.simS / 3600),
    gced.map((s) => s.heapAfterGcMB!),
  );
  const first = measured[0];
  const last = measured[measured.length - 1];
  const r = result.report;
  const pathPoints = result.shards.reduce((a, sh) => a + sh.robots.reduce((b, rb) => b + rb.path.length, 0), 0);
  const growth = (k: 'fds' | 'handles'): number => (first && last ? last[k] - first[k] : 0);
  const checks: Record<string, Check> = {
    heapAfterGcSlopeMBPerSimHour: check(
      round(heapAfterGcSlope),
      `<= ${o.heapSlopeBoundMB} MB per simulated hour`,
      heapAfterGcSlope <= o.heapSlopeBoundMB,
    ),
    fdGrowth: check(growth('fds'), '<= 4 (after warm-up)', growth('fds') <= 4),
    handleGrowth: check(growth('handles'), '<= 4 (after warm-up)', growth('handles') <= 4),
    samples: check(measured.length, '>= 10 after warm-up', measured.length >= 10),
    eventsLost: check(r.metrics.events.lost, '0', r.metrics.events.lost === 0),
  };
  return {
    experiment: 'soak',
    robots: o.robots,
    simHours: o.simHours,
    seed: o.seed,
    wallS: round(r.metrics.wallTimeS),
    realTimeFactor: r.metrics.realTimeFactor,
    rssSlopeMBPerSimHour: round(per('rssMB')),
    heapSlopeMBPerSimHour: round(per('heapMB')),
    heapAfterGcMB: gced.map((s) => [Math.round(s.simS), round(s.heapAfterGcMB!)]),
    first: first ?? null,
    last: last ?? null,
    peak: {
      rssMB: round(Math.max(...samples.map((s) => s.rssMB))),
      fds: Math.max(...samples.map((s) => s.fds)),
      handles: Math.max(...samples.map((s) => s.handles)),
    },
    runRecords: { pathPoints, eventsSeenByPlanner: r.metrics.events.received, tasksOk: r.metrics.tasksOk },
    checks,
    pass: Object.values(checks).every((c) => c.pass),
  };
}

const round = (v: number): number => Math.round(v * 100) / 100;
