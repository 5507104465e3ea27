/**
 * The in-process graph's per-message costs (issue 6), each next to a baseline measured in the same run:
 * - publish → callback of a 1,080-beam Float32Array LaserScan and of a Twist, against an EventEmitter
 *   that delivers on setImmediate a structuredClone of the message (what the graph does at its
 *   simplest: an asynchronous, copied delivery) — targets 3× and 1.5×;
 * - validation alone of that scan (Float32Array ranges, and plain-array ranges) against the definition
 *   interpreter the compiled checkers replaced — targets 1 µs and 3 µs.
 */
import { EventEmitter } from 'node:events';
import { InProcessGraph } from '../nodes/core/graph/inprocess/graph';
import { codecFor, createMessage, messageProblems } from '../nodes/core/interfaces/validate';
import type { MessageOf, MessageTypeName } from '../nodes/core/interfaces';
import { limitResult, percentile, ratioResult, type Benchmark, type BenchResult, type Figure } from './harness';

const BEAMS = 1080;

function laserScan(ranges: ArrayLike<number>): MessageOf<'sensor_msgs/msg/LaserScan'> {
  const m = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
  m.header.frame_id = 'laser';
  m.angle_min = -Math.PI;
  m.angle_max = Math.PI;
  m.angle_increment = (2 * Math.PI) / BEAMS;
  m.range_min = 0.1;
  m.range_max = 30;
  m.ranges = ranges as number[];
  m.intensities = new Float32Array(BEAMS);
  return m;
}

const twist = (): MessageOf<'geometry_msgs/msg/Twist'> => ({
  linear: { x: 0.5, y: 0, z: 0 },
  angular: { x: 0, y: 0, z: 0.25 },
});

/** Latencies [µs] of `n` sequential publish → callback round trips through `send`. */
async function roundTrips(n: number, send: (done: () => void) => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => send(resolve));
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}

async function graphRoundTrips<T extends MessageTypeName>(type: T, msg: MessageOf<T>, n: number): Promise<number[]> {
  const graph = new InProcessGraph();
  const node = graph.createNode('bench');
  let done: (() => void) | undefined;
  node.createSubscription(type, '/bench', () => done?.(), 'sensor_data');
  const pub = node.createPublisher(type, '/bench', 'sensor_data');
  const samples = await roundTrips(n, (d) => {
    done = d;
    pub.publish(msg);
  });
  await graph.shutdown();
  return samples;
}

async function emitterRoundTrips(msg: unknown, n: number, clone: boolean): Promise<number[]> {
  const em = new EventEmitter();
  let done: (() => void) | undefined;
  em.on('m', () => done?.());
  return roundTrips(n, (d) => {
    done = d;
    setImmediate(() => em.emit('m', clone ? structuredClone(msg) : msg));
  });
}

/** Mean time [µs] of `fn` over enough calls to last about `ms`. */
function timePerCall(fn: () => void, ms = 400): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up (and let the JIT settle)
  let calls = 0;
  const t0 = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 500; i++) fn();
    calls += 500;
    elapsed = process.hrtime.bigint() - t0;
  }
  return Number(elapsed) / 1000 / calls;
}

function p50(id: string, samples: number[], description: string): Figure {
  return { id, value: percentile(samples, 50), unit: 'µs', description };
}

async function publishToCallback(log: (line: string) => void): Promise<BenchResult[]> {
  const N = 3000;
  const scan = laserScan(new Float32Array(BEAMS).fill(4));
  const tw = twist();
  // Interleaved warm-up so the JIT has seen both paths before anything is measured.
  await graphRoundTrips('sensor_msgs/msg/LaserScan', scan, 500);
  await emitterRoundTrips(scan, 500, true);
  await graphRoundTrips('geometry_msgs/msg/Twist', tw, 500);
  const scanGraph = await graphRoundTrips('sensor_msgs/msg/LaserScan', scan, N);
  const scanClone = await emitterRoundTrips(scan, N, true);
  const scanBare = await emitterRoundTrips(scan, N, false);
  const twGraph = await graphRoundTrips('geometry_msgs/msg/Twist', tw, N);
  const twClone = await emitterRoundTrips(tw, N, true);
  const twBare = await emitterRoundTrips(tw, N, false);
  log(`round trips: ${N} each`);
  const bare = (s: number[], g: number[]): Record<string, unknown> => ({
    samples: N,
    emitterSetImmediateNoCloneP50Us: percentile(s, 50),
    ratioToNoClone: percentile(g, 50) / percentile(s, 50),
    p99Us: percentile(g, 99),
  });
  return [
    ratioResult(
      p50(
        'graph.scan1080_float32.publish_to_callback.p50',
        scanGraph,
        'in-process publish → subscription callback, 1,080-beam LaserScan with Float32Array ranges',
      ),
      p50(
        'baseline.emitter_setImmediate_structuredClone.scan1080.p50',
        scanClone,
        'EventEmitter.emit on setImmediate of a structuredClone',
      ),
      3,
      bare(scanBare, scanGraph),
    ),
    ratioResult(
      p50('graph.twist.publish_to_callback.p50', twGraph, 'in-process publish → subscription callback, Twist'),
      p50(
        'baseline.emitter_setImmediate_structuredClone.twist.p50',
        twClone,
        'EventEmitter.emit on setImmediate of a structuredClone',
      ),
      1.5,
      bare(twBare, twGraph),
    ),
  ];
}

async function validation(log: (line: string) => void): Promise<BenchResult[]> {
  const codec = codecFor('sensor_msgs/msg/LaserScan');
  const typed = laserScan(new Float32Array(BEAMS).fill(4));
  const plain = laserScan(Array.from({ length: BEAMS }, (_, i) => 0.1 + i * 0.01));
  plain.intensities = [];
  const out: BenchResult[] = [];
  for (const [name, msg, limit] of [
    ['float32array', typed, 1],
    ['plain_array', plain, 3],
  ] as const) {
    const compiled = timePerCall(() => codec.validate(msg));
    const interpreted = timePerCall(() => messageProblems('sensor_msgs/msg/LaserScan', msg), 300);
    const withCopy = timePerCall(() => codec.check(msg));
    log(`validate ${name}: ${compiled.toFixed(3)} µs (interpreter ${interpreted.toFixed(1)} µs)`);
    out.push({
      ...limitResult(
        {
          id: `graph.scan1080_${name}.validate`,
          value: compiled,
          unit: 'µs',
          description: `validation alone of a 1,080-beam LaserScan (${name} ranges), compiled checker`,
        },
        limit,
        { checkAndCopyUs: withCopy },
      ),
      baseline: {
        id: `baseline.interpreter.scan1080_${name}.validate`,
        value: interpreted,
        unit: 'µs',
        description: 'the per-message definition interpreter (what publish ran before the compiled checkers)',
      },
      ratio: compiled / interpreted,
    });
  }
  return out;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'graph',
    async run(log) {
      return [...(await publishToCallback(log)), ...(await validation(log))];
    },
  },
];
