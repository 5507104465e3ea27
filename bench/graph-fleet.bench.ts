/**
 * The fleet benchmark of issue 6: 1,000 robots × 5 trivial nodes (bench/graph-fleet/robot.ts: 10 Hz 1,080-beam
 * scans, 20 Hz Twist) on the in-process graph.
 * - Manual clock, one graph on one core (the main thread): simulated seconds per wall second, target ≥ 10×
 *   real time; baseline: real time itself (1 simulated second per wall second).
 * - Wall clock, sharded over worker threads (one per core, each robot wholly in one shard): timer ticks
 *   missed (target 0, next to the ticks called) and scan → safety-gate latency p99 (target ≤ 5 ms, next to
 *   the p50 of the same run).
 * Settings by environment: KIZUNA_FLEET_ROBOTS (1000), KIZUNA_FLEET_SIM_S (5), KIZUNA_FLEET_WALL_S (10),
 * KIZUNA_FLEET_SHARDS (cpu count), KIZUNA_FLEET_PARTS (`manual,wall`: which parts to run, e.g. `manual`
 * under `taskset -c 0` to hold the manual-clock run to one core).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InProcessGraph } from '../nodes/core/graph/inprocess/graph';
import { ShardPool, planShards } from '../nodes/core/graph/inprocess/shards';
import { addRobot, newStats, type FleetStats } from './graph-fleet/robot';
import { limitResult, percentile, type Benchmark, type BenchResult } from './harness';

const num = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};

const ROBOTS = num('KIZUNA_FLEET_ROBOTS', 1000);
const SIM_S = num('KIZUNA_FLEET_SIM_S', 5);
const WALL_S = num('KIZUNA_FLEET_WALL_S', 10);
const SHARDS = num('KIZUNA_FLEET_SHARDS', cpus().length);
const STEP_S = 0.01;
const PARTS = (process.env.KIZUNA_FLEET_PARTS ?? 'manual,wall').split(',');

const robotIds = (): string[] => Array.from({ length: ROBOTS }, (_, i) => `robot${i}`);

async function manualClock(log: (line: string) => void): Promise<BenchResult[]> {
  const graph = new InProcessGraph({ clock: 'manual' });
  const stats = newStats();
  const t0 = performance.now();
  for (const id of robotIds()) addRobot(graph, id, stats, false);
  log(`manual clock: ${ROBOTS} robots (${ROBOTS * 5} nodes) built in ${(performance.now() - t0).toFixed(0)} ms`);
  for (let i = 0; i < Math.round(1 / STEP_S); i++) await graph.advance(STEP_S); // warm-up: 1 simulated second
  Object.assign(stats, newStats());
  // Three trials; the figure is their median (the machine is shared, so one trial can land on a busy
  // moment). CPU time is reported next to wall time: it is what this thread itself used.
  const steps = Math.round(SIM_S / STEP_S);
  const trials: Array<{ wallS: number; cpuS: number }> = [];
  for (let trial = 0; trial < 3; trial++) {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < steps; i++) await graph.advance(STEP_S);
    const cpu = process.cpuUsage(cpu0);
    trials.push({ wallS: (performance.now() - start) / 1000, cpuS: (cpu.user + cpu.system) / 1e6 });
  }
  await graph.shutdown();
  const speeds = trials.map((t) => SIM_S / t.wallS);
  const speed = percentile([...speeds], 50);
  const cpuSpeed = percentile(
    trials.map((t) => SIM_S / t.cpuS),
    50,
  );
  log(
    `manual clock: ${SIM_S} s simulated per trial, speeds ${speeds.map((x) => x.toFixed(1)).join(', ')}× real time (CPU-time speed ${cpuSpeed.toFixed(1)}×)`,
  );
  const wallS = trials.map((t) => t.wallS);
  return [
    {
      ...limitResult(
        {
          id: 'fleet.manual_clock.one_core.speed',
          value: speed,
          unit: '× real time',
          higherIsBetter: true,
          description: `${ROBOTS} robots × 5 nodes, manual clock advanced in ${STEP_S * 1000} ms steps, one graph on one core`,
        },
        10,
        {
          robots: ROBOTS,
          simulatedSPerTrial: SIM_S,
          trialsWallS: wallS,
          trialsSpeed: speeds,
          cpuTimeSpeedMedian: cpuSpeed,
          scansPublished: stats.scansPublished,
          scansReceived: stats.scansReceived,
          twistsReceived: stats.twistsReceived,
          timerCalls: stats.timerCalls,
        },
      ),
      baseline: { id: 'baseline.real_time', value: 1, unit: '× real time', description: 'the wall clock itself' },
      ratio: speed,
    },
  ];
}

async function wallClockShards(log: (line: string) => void): Promise<BenchResult[]> {
  const plan = planShards(robotIds(), SHARDS);
  const pool = ShardPool.start(
    join(__dirname, 'graph-fleet', 'shard.ts'),
    plan.map((robots) => ({ robots })),
  );
  try {
    const built = (await pool.all('start')) as number[];
    log(`wall clock: ${built.join(' + ')} robots in ${pool.size} worker threads`);
    await new Promise((r) => setTimeout(r, 2000)); // warm-up
    await pool.all('reset');
    await new Promise((r) => setTimeout(r, WALL_S * 1000));
    const reports = (await pool.all('report')) as FleetStats[];
    const total = newStats();
    const latency: number[] = [];
    for (const r of reports) {
      total.scansPublished += r.scansPublished;
      total.scansReceived += r.scansReceived;
      total.twistsReceived += r.twistsReceived;
      total.timerCalls += r.timerCalls;
      total.missedTicks += r.missedTicks;
      for (const l of r.latencyUs) latency.push(l);
    }
    await pool.all('stop');
    const p50 = percentile(latency, 50) / 1000;
    const p99 = percentile(latency, 99) / 1000;
    const max = percentile(latency, 100) / 1000;
    log(
      `wall clock: ${total.timerCalls} timer calls, ${total.missedTicks} missed ticks; scan → gate p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(1)} ms`,
    );
    const details = {
      robots: ROBOTS,
      shards: pool.size,
      wallS: WALL_S,
      timerCalls: total.timerCalls,
      expectedTimerCalls: ROBOTS * 30 * WALL_S,
      scansPublished: total.scansPublished,
      scansReceived: total.scansReceived,
      twistsReceived: total.twistsReceived,
      latencySamples: latency.length,
      latencyMaxMs: max,
    };
    return [
      {
        ...limitResult(
          {
            id: 'fleet.wall_clock.shards.missed_ticks',
            value: total.missedTicks,
            unit: 'ticks',
            description: `timer ticks missed (TimerInfo.missedTicks) over ${WALL_S} s, ${ROBOTS} robots in ${pool.size} shards`,
          },
          0,
          details,
        ),
        baseline: {
          id: 'baseline.wall_clock.shards.timer_calls',
          value: total.timerCalls,
          unit: 'calls',
          description: 'timer calls made in the same run',
        },
      },
      {
        ...limitResult(
          {
            id: 'fleet.wall_clock.shards.scan_to_subscriber.p99',
            value: p99,
            unit: 'ms',
            description: 'lidar publish → safety-gate callback, wall clock, sharded',
          },
          5,
          details,
        ),
        baseline: {
          id: 'baseline.wall_clock.shards.scan_to_subscriber.p50',
          value: p50,
          unit: 'ms',
          description: 'p50 of the same samples',
        },
        ratio: p99 / p50,
      },
    ];
  } finally {
    await pool.close();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'fleet',
    async run(log) {
      return [
        ...(PARTS.includes('manual') ? await manualClock(log) : []),
        ...(PARTS.includes('wall') ? await wallClockShards(log) : []),
      ];
    },
  },
];
