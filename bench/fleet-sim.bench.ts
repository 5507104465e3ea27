/**
 * The fleet simulation at scale (issue 9): `kizuna sim --robots N` for N = 10, 100, 500, 1,000 against
 * mosquitto, each robot a full stack of the real nodes (perception, safety_gate, executive, health,
 * cloud_bridge) with its own MQTT connection through its own link proxy, sharded over worker threads
 * (one per core), the reference planner answering over MQTT 5 on a shared subscription.
 *
 * Figures per N, each next to a baseline from the same run:
 * - `fleet_sim.<N>.real_time_factor`: simulated seconds per wall second (higher is better); baseline:
 *   the bare World (physics and sensors, no nodes, no MQTT) for the same N robots in this process.
 *   Target (N = 1,000 only): ≥ 1× real time.
 * - `fleet_sim.<N>.cpu_per_sim_s`: CPU seconds (all threads of the sim process; mosquitto not
 *   included) per simulated second; baseline: the same for the bare World.
 * - `fleet_sim.<N>.decision_round_trip.p99`: robot asks (decision/request) → planner answers → the
 *   robot's decision_accepted event reaches the planner, wall ms; baseline: the p99 of a raw
 *   three-hop MQTT ping (A → B → A → B) between two mqtt.js clients on the same broker.
 * - `fleet_sim.<N>.bytes_per_robot_per_s`: bytes on the wire per robot per simulated second (both
 *   directions, counted at each robot's link proxy).
 * - `fleet_sim.<N>.events_lost`: events the robots sent that the planner never acknowledged end to end
 *   (contract 1.2), target 0, against mosquitto with its default queue limit (`max_queued_messages`
 *   1000 per client: the planner is a slow consumer at 1,000 robots and the broker drops; the robots
 *   send again what was not acknowledged).
 *
 * Settings: KIZUNA_FLEET_SIM_SIZES (`10,100,500,1000`), KIZUNA_FLEET_SIM_S (simulated seconds per run:
 * 20 for N ≤ 100, else 10), KIZUNA_FLEET_SIM_WORKERS (one per core), KIZUNA_FLEET_SIM_LIGHT (`0`: no
 * light run), KIZUNA_FLEET_SIM_MAX_QUEUED (mosquitto's `max_queued_messages`; default: mosquitto's own). Sensors: the scenario defaults
 * (sim/README.md: 180-beam lidar at 10 Hz, odometry and IMU at 20 Hz, battery at 1 Hz, world step
 * 0.05 s) for every N; for the largest N also a `light` run (90 beams at 5 Hz, odometry and IMU at
 * 10 Hz, world step 0.1 s), figures `fleet_sim.<N>.light.*`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parse, stringify } from 'yaml';
import { type Benchmark, type BenchResult, type Figure, limitResult, percentile } from './harness';
import { loadScenario, scenarioWorld } from '../sim/scenario';
import { adjustScenario } from '../sim/fleet/scale';
import { World } from '../sim/world';
import { ownTiles } from '../sim/fleet/shard';
import { planShards } from '../nodes/core/graph/inprocess/shards';
import type { SimReport } from '../sim/report/report';
import { mosquittoSkipReason, startMosquitto } from '../test/helpers/brokers';

const root = join(__dirname, '..');
const SIZES = (process.env.KIZUNA_FLEET_SIM_SIZES ?? '10,100,500,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const WORKERS = Number(process.env.KIZUNA_FLEET_SIM_WORKERS) || availableParallelism();
const LIGHT = process.env.KIZUNA_FLEET_SIM_LIGHT !== '0';
const MAX_QUEUED = Number(process.env.KIZUNA_FLEET_SIM_MAX_QUEUED) || ('mosquitto-default' as const);
const simSeconds = (n: number): number => Number(process.env.KIZUNA_FLEET_SIM_S) || (n <= 100 ? 20 : 10);

const DEFAULT_SENSORS =
  'lidar 180 beams @ 10 Hz (factory: two), odometry 20 Hz, IMU 20 Hz, battery 1 Hz, people and e-stop 10 Hz, world step 0.05 s';
const LIGHT_SENSORS =
  'lidar 90 beams @ 5 Hz (factory: two), odometry 10 Hz, IMU 10 Hz, battery 1 Hz, people and e-stop 10 Hz, world step 0.1 s';

/** The fleet scenario with lighter sensors, written to `dir`; returns its path. */
function lightScenario(dir: string): string {
  const doc = parse(readFileSync(join(root, 'sim', 'scenarios', 'fleet.yaml'), 'utf8')) as {
    dt_s: number;
    robots: Array<Record<string, unknown>>;
  };
  doc.dt_s = 0.1;
  for (const r of doc.robots) {
    r.lidar = { beams: 90, rate_hz: 5 };
    r.odom = { rate_hz: 10 };
    r.imu = { rate_hz: 10 };
  }
  const file = join(dir, 'fleet-light.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** Runs `kizuna sim` as a child process; resolves with its report. */
function runCli(args: string[], log: (line: string) => void): Promise<SimReport> {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-fleet-bench-'));
  const report = join(dir, 'report.json');
  return new Promise((resolve, reject) => {
    const p = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'nodes', 'cli', 'kizuna.ts'), 'sim', ...args, '--report', report],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const last = d.toString().trim().split('\n').pop();
      if (last && last.startsWith('sim ')) log(`  ${last}`);
    });
    p.on('exit', () => {
      try {
        resolve(JSON.parse(readFileSync(report, 'utf8')) as SimReport);
      } catch {
        reject(new Error(`kizuna sim ${args.join(' ')} wrote no report: ${err.slice(-2000)}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** The bare World for N robots of the tiled fleet: simulated seconds per wall second and CPU per sim second. */
function bareWorld(n: number, simS: number, light: boolean): { rtf: number; cpuPerSimS: number } {
  const base = loadScenario(join(root, 'sim', 'scenarios', 'fleet.yaml'));
  if (light) {
    base.dt_s = 0.1;
    for (const r of base.robots) {
      r.lidar = { ...r.lidar, beams: 90, rate_hz: 5 };
      r.odom = { ...r.odom, rate_hz: 10 };
      r.imu = { ...r.imu, rate_hz: 10 };
    }
  }
  const s = adjustScenario(base, { robots: n, durationS: simS }, 'fleet');
  // One World per shard, as the runner builds them (each with its own tiles only), stepped in turn.
  const worlds = planShards(
    s.robots.map((r) => r.id),
    Math.min(WORKERS, n),
  ).map((ids) => {
    const w = scenarioWorld(ownTiles(s, ids), new Set(ids));
    return new World(w.map, w.robots, w.people, w.options);
  });
  const drive = (): void => {
    for (const world of worlds) for (const id of world.robotIds) world.setCommand(id, { linear: 0.5, angular: 0.2 });
  };
  const steps = Math.round(simS / s.dt_s);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    if (i % 5 === 0) drive();
    for (const world of worlds) world.step();
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rtf: simS / wall, cpuPerSimS: (cpu.user + cpu.system) / 1e6 / simS };
}

/** p99 [ms] of a raw three-hop MQTT ping (A → B → A → B) on the broker at `url`. */
async function rawRoundTrip(url: string, samples = 200): Promise<number> {
  const connect = (id: string): Promise<mqtt.MqttClient> =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(url, { clientId: id, protocolVersion: 5 });
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
  const a = await connect(`bench-a-${process.pid}`);
  const b = await connect(`bench-b-${process.pid}`);
  await a.subscribeAsync('bench/rt/a', { qos: 1 });
  await b.subscribeAsync('bench/rt/b', { qos: 1 });
  b.on('message', (_t, payload) => {
    if (payload.toString().startsWith('req')) b.publish('bench/rt/a', payload, { qos: 1 });
  });
  a.on('message', (_t, payload) =>
    a.publish('bench/rt/b', Buffer.from(`ack${payload.toString().slice(3)}`), { qos: 1 }),
  );
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const onAck = (_t: string, payload: Buffer): void => {
        if (payload.toString() === `ack${i}`) {
          b.off('message', onAck);
          resolve();
        }
      };
      b.on('message', onAck);
      a.publish('bench/rt/b', Buffer.from(`req${i}`), { qos: 1 });
    });
    times.push(performance.now() - t0);
  }
  await a.endAsync(true);
  await b.endAsync(true);
  return percentile(times, 99);
}

export const benchmarks: Benchmark[] = [
  {
    name: 'fleet-sim',
    async run(log) {
      const skip = mosquittoSkipReason();
      if (skip) {
        log(`fleet-sim: skipped: ${skip}`);
        return [];
      }
      const broker = await startMosquitto({ maxQueuedMessages: MAX_QUEUED });
      const out: BenchResult[] = [];
      try {
        const rawP99 = await rawRoundTrip(broker.url);
        log(`fleet-sim: raw three-hop MQTT ping p99 ${rawP99.toFixed(2)} ms on mosquitto`);
        const scratch = mkdtempSync(join(tmpdir(), 'kizuna-fleet-bench-scn-'));
        const largest = Math.max(...SIZES);
        const runs = [
          ...SIZES.map((n) => ({ n, light: false })),
          ...(SIZES.length && LIGHT ? [{ n: largest, light: true }] : []),
        ];
        for (const { n, light } of runs) {
          const tag = light ? `${n}.light` : `${n}`;
          const simS = simSeconds(n);
          const bare = bareWorld(n, simS, light);
          log(
            `fleet-sim: ${n} robots${light ? ' (light sensors)' : ''}, ${simS} s simulated, ${Math.min(WORKERS, n)} worker(s); bare World ${bare.rtf.toFixed(1)}x real time`,
          );
          const t0 = performance.now();
          const r = await runCli(
            [
              ...(light ? ['--scenario', lightScenario(scratch)] : []),
              '--robots',
              String(n),
              '--duration',
              String(simS),
              '--speed',
              '0',
              // how fast the machine steps the fleet, as in the figures before the network sync: MQTT
              // runs free against the sim clock (sim/fleet/sync.ts would wait for it after each step)
              '--no-network-sync',
              '--broker',
              broker.url,
              '--workers',
              String(Math.min(WORKERS, n)),
              '--fleet',
              `bench${tag.replace('.', '-')}`,
            ],
            log,
          );
          const m = r.metrics;
          log(
            `fleet-sim: ${n} robots: ${m.realTimeFactor}x real time, CPU ${m.cpuTimeS} s, round trip p99 ${m.decisionRoundTripMs.p99 ?? '-'} ms, ${m.wire.bytesPerRobotPerSimS} B/robot/s, RSS ${m.peakRssMB} MB, total ${((performance.now() - t0) / 1000).toFixed(0)} s`,
          );
          const details = {
            robots: n,
            simulatedS: m.simTimeS,
            wallS: m.wallTimeS,
            workers: r.workers,
            broker: 'mosquitto (MQTT 5)',
            sensors: light ? LIGHT_SENSORS : DEFAULT_SENSORS,
            nodesPerRobot: 6, // with black_box (issue 16)
            peakRssMB: m.peakRssMB,
            eventsLost: m.events.lost,
            events: m.events,
            brokerMaxQueuedMessages: MAX_QUEUED === 'mosquitto-default' ? 1000 : MAX_QUEUED,
            tasksOk: m.tasksOk,
            collisions: m.collisions,
          };
          const rtf: Figure = {
            id: `fleet_sim.${tag}.real_time_factor`,
            value: m.realTimeFactor,
            unit: 'x',
            higherIsBetter: true,
            description: `simulated s per wall s, ${n} robots with full node stacks`,
          };
          const rtfBase: Figure = {
            id: `baseline.fleet_sim.${tag}.bare_world.real_time_factor`,
            value: Math.round(bare.rtf * 10) / 10,
            unit: 'x',
            higherIsBetter: true,
            description: "the shards' Worlds alone (no nodes, no MQTT), same robots, stepped in turn on one core",
          };
          out.push(
            n === 1000
              ? { ...limitResult(rtf, 1, details), baseline: rtfBase, ratio: rtf.value / rtfBase.value }
              : { ...rtf, baseline: rtfBase, ratio: rtf.value / rtfBase.value, details },
          );
          const cpuPer = m.cpuTimeS / Math.max(1e-9, m.simTimeS);
          out.push({
            id: `fleet_sim.${tag}.cpu_per_sim_s`,
            value: Math.round(cpuPer * 1000) / 1000,
            unit: 'CPU s',
            description: 'CPU seconds of the sim process (all threads) per simulated second',
            baseline: {
              id: `baseline.fleet_sim.${tag}.bare_world.cpu_per_sim_s`,
              value: Math.round(bare.cpuPerSimS * 10000) / 10000,
              unit: 'CPU s',
              description: 'the World alone',
            },
            ratio: cpuPer / Math.max(1e-9, bare.cpuPerSimS),
          });
          if (m.decisionRoundTripMs.p99 !== undefined) {
            out.push({
              id: `fleet_sim.${tag}.decision_round_trip.p99`,
              value: m.decisionRoundTripMs.p99,
              unit: 'ms',
              description: `request → signed decision → acceptance event back at the planner (${m.decisionRoundTripMs.count} samples)`,
              baseline: {
                id: 'baseline.mqtt_three_hop_ping.p99',
                value: Math.round(rawP99 * 100) / 100,
                unit: 'ms',
                description: 'raw mqtt.js A → B → A → B on the same broker, idle',
              },
              ratio: m.decisionRoundTripMs.p99 / rawP99,
            });
          }
          out.push(
            limitResult(
              {
                id: `fleet_sim.${tag}.events_lost`,
                value: m.events.lost,
                unit: 'events',
                description: `sent by the robots and never acknowledged by the planner (of ${m.events.sent}; ${m.events.duplicates} duplicates, ${m.events.outOfOrder} out of order)`,
              },
              0,
              { events: m.events },
            ),
          );
          out.push({
            id: `fleet_sim.${tag}.bytes_per_robot_per_s`,
            value: m.wire.bytesPerRobotPerSimS,
            unit: 'B/s',
            description: 'MQTT bytes per robot per simulated second, both directions, at the link proxy',
          });
        }
        rmSync(scratch, { recursive: true, force: true });
      } finally {
        await broker.close();
      }
      return out;
    },
  },
];
