/**
 * What seeing the robots costs (issue 16).
 *
 * - `recording.fleet<N>.mcap.cpu_per_sim_s`: CPU seconds per simulated second of `kizuna sim --robots N
 *   --mcap FILE` (the sim process, all threads); baseline: the same run without it. Target ratio ≤ 1.1.
 * - `recording.fleet<N>.foxglove.cpu_per_sim_s`: the same with `--foxglove 127.0.0.1:0` and one
 *   client (@foxglove/ws-protocol's FoxgloveClient in the bench process, subscribed to every channel;
 *   its own CPU is not the sim's); baseline: the run without. Target ratio ≤ 1.1.
 * - `recording.black_box.cpu_per_robot`: black_box's CPU per robot per second of robot time, fed the
 *   topics of a driving robot at their sim rates (below) on an in-process graph; baseline: the same
 *   publishing with no black box (the figure is the difference).
 * - `recording.black_box.heap_per_robot`: heap a robot's black box holds with its ring buffer full
 *   (pre_s 20 s of those topics), difference to the same graph without black boxes.
 *
 * Every sim run here also runs each robot's black_box (it is part of the robot's stack).
 * Settings: KIZUNA_RECORDING_BENCH_ROBOTS (100), KIZUNA_RECORDING_BENCH_S (simulated seconds per sim
 * run, 10), KIZUNA_RECORDING_BENCH_BB_ROBOTS (50).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FoxgloveClient } from '@foxglove/ws-protocol';
import WebSocket from 'ws';
import { type Benchmark, type BenchResult, ratioResult } from './harness';
import type { SimReport } from '../sim/report/report';
import { InProcessGraph } from '../nodes/core/graph/inprocess/graph';
import { createMessage } from '../nodes/core/interfaces/validate';
import type { MessageOf, MessageTypeName } from '../nodes/core/interfaces';
import { startBlackBox } from '../nodes/black_box/node';

const root = join(__dirname, '..');
const ROBOTS = Number(process.env.KIZUNA_RECORDING_BENCH_ROBOTS) || 100;
const SIM_S = Number(process.env.KIZUNA_RECORDING_BENCH_S) || 10;
const BB_ROBOTS = Number(process.env.KIZUNA_RECORDING_BENCH_BB_ROBOTS) || 50;

/** Runs `kizuna sim` as a child process with `extra` flags; `onFoxglove` gets the live view's URL. */
function runCli(extra: string[], log: (l: string) => void, onFoxglove?: (url: string) => void): Promise<SimReport> {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-rec-bench-'));
  const report = join(dir, 'report.json');
  const args = [
    join(root, 'nodes', 'cli', 'kizuna.ts'),
    'sim',
    '--robots',
    String(ROBOTS),
    '--duration',
    String(SIM_S),
    '--speed',
    '0',
    '--no-network-sync',
    '--report',
    report,
    ...extra.map((a) => a.replace('$DIR', dir)),
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(join(root, 'node_modules', '.bin', 'tsx'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const url = /kizuna sim: foxglove: (ws:\/\/\S+)/.exec(err);
      if (url && onFoxglove) {
        onFoxglove(url[1]!);
        onFoxglove = undefined;
      }
    });
    p.on('exit', () => {
      try {
        resolve(JSON.parse(readFileSync(report, 'utf8')) as SimReport);
      } catch {
        reject(new Error(`kizuna sim ${extra.join(' ')} wrote no report: ${err.slice(-2000)}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      log(`  ${extra.join(' ') || '(plain)'}: done`);
    });
  });
}

/** One client subscribed to every channel it is advertised; counts the messages it gets. */
function watch(url: string): { messages: () => number } {
  let n = 0;
  const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const client = new FoxgloveClient({ ws: ws as unknown as ConstructorParameters<typeof FoxgloveClient>[0]['ws'] });
  client.on('advertise', (chs) => {
    for (const c of chs) client.subscribe(c.id);
  });
  client.on('message', () => n++);
  client.on('error', () => undefined);
  return { messages: () => n };
}

/** A full garbage collection, so that the heap figures hold only what is still referenced. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const cpuPerSimS = (r: SimReport): number => r.metrics.cpuTimeS / Math.max(1e-9, r.metrics.simTimeS);

/**
 * Robots' topics at the sim's rates for `seconds` of manual-clock time, with or without a black box per
 * robot; returns CPU seconds and the heap in use at the end (after a GC when exposed).
 */
async function feed(robots: number, seconds: number, withBlackBox: boolean): Promise<{ cpuS: number; heap: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-bb-bench-'));
  const g = new InProcessGraph({ clock: 'manual' });
  const drivers = [];
  for (let i = 0; i < robots; i++) {
    const ns = `/r${i}`;
    if (withBlackBox)
      startBlackBox(
        g.createNode('black_box', { namespace: ns, parameterOverrides: { profile: 'delivery', dir: join(dir, ns) } }),
      );
    const d = g.createNode('driver', { namespace: ns });
    const pub = <T extends MessageTypeName>(type: T, topic: string) => ({
      p: d.createPublisher(type, topic),
      m: createMessage(type) as unknown as MessageOf<T>,
    });
    const scan = pub('sensor_msgs/msg/LaserScan', 'scan');
    scan.m.ranges = Array.from({ length: 180 }, (_, k) => 2 + (k % 30) / 10);
    scan.m.intensities = [];
    const safety = pub('kizuna_msgs/msg/SafetyState', 'kizuna/safety_state');
    safety.m.state = 1;
    safety.m.detail = 'clear';
    drivers.push({
      scan,
      safety,
      odom: pub('nav_msgs/msg/Odometry', 'odom'),
      nav: pub('geometry_msgs/msg/Twist', 'cmd_vel_nav'),
      out: pub('geometry_msgs/msg/Twist', 'cmd_vel'),
      world: pub('kizuna_msgs/msg/WorldSummary', 'kizuna/world_summary'),
      people: pub('geometry_msgs/msg/PoseArray', 'people'),
      estop: pub('std_msgs/msg/Bool', 'estop'),
      health: pub('kizuna_msgs/msg/HealthSummary', 'kizuna/health'),
      bridge: pub('kizuna_msgs/msg/BridgeStatus', 'kizuna/bridge_status'),
    });
  }
  const cpu0 = process.cpuUsage();
  const dt = 0.05;
  for (let step = 0; step < Math.round(seconds / dt); step++) {
    for (const x of drivers) {
      x.odom.m.twist.twist.linear.x = 0.5;
      x.odom.p.publish(x.odom.m); // 20 Hz, as the sim's odometry
      x.nav.p.publish(x.nav.m);
      x.out.p.publish(x.out.m);
      x.safety.p.publish(x.safety.m); // the gate at 20 Hz
      if (step % 2 === 0) {
        x.scan.p.publish(x.scan.m); // 10 Hz, 180 beams
        x.people.p.publish(x.people.m);
        x.estop.p.publish(x.estop.m);
      }
      if (step % 4 === 0) x.world.p.publish(x.world.m); // perception 5 Hz
      if (step % 20 === 0) {
        x.health.p.publish(x.health.m);
        x.bridge.p.publish(x.bridge.m);
      }
    }
    await g.advance(dt);
  }
  const cpu = process.cpuUsage(cpu0);
  gc();
  const heap = process.memoryUsage().heapUsed;
  await g.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { cpuS: (cpu.user + cpu.system) / 1e6, heap };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'recording',
    async run(log) {
      const out: BenchResult[] = [];
      log(`recording: ${ROBOTS} robots, ${SIM_S} s simulated per run, --speed 0, embedded broker`);
      const plain = await runCli([], log);
      const mcap = await runCli(['--mcap', '$DIR/run.mcap'], log);
      let client: { messages: () => number } | undefined;
      const fox = await runCli(['--foxglove', '127.0.0.1:0'], log, (url) => (client = watch(url)));
      const base = {
        id: `baseline.recording.fleet${ROBOTS}.plain.cpu_per_sim_s`,
        value: Math.round(cpuPerSimS(plain) * 1000) / 1000,
        unit: 'CPU s',
        description: `kizuna sim --robots ${ROBOTS} without --mcap or --foxglove`,
      };
      out.push(
        ratioResult(
          {
            id: `recording.fleet${ROBOTS}.mcap.cpu_per_sim_s`,
            value: Math.round(cpuPerSimS(mcap) * 1000) / 1000,
            unit: 'CPU s',
            description: `kizuna sim --robots ${ROBOTS} --mcap FILE: CPU s of the sim process per simulated s`,
          },
          base,
          1.1,
          { simulatedS: mcap.metrics.simTimeS, wallS: mcap.metrics.wallTimeS, peakRssMB: mcap.metrics.peakRssMB },
        ),
      );
      out.push(
        ratioResult(
          {
            id: `recording.fleet${ROBOTS}.foxglove.cpu_per_sim_s`,
            value: Math.round(cpuPerSimS(fox) * 1000) / 1000,
            unit: 'CPU s',
            description: `kizuna sim --robots ${ROBOTS} --foxglove with one client subscribed to every channel`,
          },
          base,
          1.1,
          {
            simulatedS: fox.metrics.simTimeS,
            wallS: fox.metrics.wallTimeS,
            clientMessages: client?.messages() ?? 0,
          },
        ),
      );
      log(
        `recording: CPU per sim s: plain ${base.value}, --mcap ${out[0]!.value}, --foxglove ${out[1]!.value} ` +
          `(client got ${client?.messages() ?? 0} messages)`,
      );

      const seconds = 25;
      const without = await feed(BB_ROBOTS, seconds, false);
      const withBb = await feed(BB_ROBOTS, seconds, true);
      const cpuPerRobot = (withBb.cpuS - without.cpuS) / BB_ROBOTS / seconds;
      out.push({
        id: 'recording.black_box.cpu_per_robot',
        value: Math.round(cpuPerRobot * 1e6) / 1e3,
        unit: 'CPU ms/s',
        description: `black_box's CPU per robot per second of robot time (${BB_ROBOTS} robots, ${seconds} s, ring buffer full after 20 s)`,
        baseline: {
          id: 'baseline.recording.black_box.publishing_per_robot',
          value: Math.round((without.cpuS / BB_ROBOTS / seconds) * 1e6) / 1e3,
          unit: 'CPU ms/s',
          description: 'the same topics published and delivered with no black box',
        },
        details: {
          topics:
            'odom, cmd_vel_nav, cmd_vel, safety_state 20 Hz; scan (180 beams), people, estop 10 Hz; world_summary 5 Hz; health, bridge_status 1 Hz',
        },
      });
      out.push({
        id: 'recording.black_box.heap_per_robot',
        value: Math.round(((withBb.heap - without.heap) / BB_ROBOTS / 1024 / 1024) * 100) / 100,
        unit: 'MiB',
        description: 'heap a black box holds with its ring buffer full (pre_s 20 s), over the same graph without',
        details: {
          robots: BB_ROBOTS,
          heapWithoutMiB: Math.round(without.heap / 1048576),
          heapWithMiB: Math.round(withBb.heap / 1048576),
        },
      });
      return out;
    },
  },
];
