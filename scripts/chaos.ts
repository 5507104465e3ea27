/**
 * `npm run chaos [-- --kills N] [-- --parallel P] [-- --burst B] [-- --seed S] [-- --json FILE] [-- --broker aedes]`:
 * kill -9 of the cloud_bridge process at N random points during event bursts (issue 20), P bridges (each
 * its own robot and SQLite outbox) in parallel against mosquitto on a loopback port, counted at the far
 * end: a subscriber on the broker records every event's sequence number per robot. After each kill the
 * outbox file is opened and checked (`PRAGMA integrity_check`, its size on disk); after its share of kills
 * each bridge is started once more, drains, and stops. Reported (JSON on stdout, and in FILE): events
 * numbered, arrived, lost (numbered, never arrived), duplicates (arrived more than once: flagged by
 * sequence, as the contract lets the national side do), first arrivals out of order, torn stores, the
 * largest store file. Exit status 1 when an event is lost, a first arrival is out of order or a store is
 * torn. `npm test` runs a short fixed slice of the same (test/integration/cloud_bridge/kill9.test.ts).
 *
 * `--only kill9,outage,flap,diskfull,skew,broker-restart,soak` (all by default) picks the experiments, each in scripts/chaos/ and
 * each printed as JSON with its checks (figure, bound, pass); exit status 1 when any check fails.
 * outage (`--hours H` represented, `--rate R` outbox_rate_per_s, `--max-bytes B` outbox_max_bytes): the
 * link cut while H hours of outbox traffic are produced, then the drain. flap (`--flap-s S`): the link
 * cut and restored every 2 s for S seconds under a stream of events. diskfull: the store on a tmpfs
 * that fills up (root needed to mount it; skipped, with the reason, otherwise). skew: robots whose
 * clocks run 5 min ahead of and behind the planner's (and 20 s / 35 s behind, either side of the 30 s
 * tolerance) judge the same signed decisions, each sent twice; every verdict must be the one
 * docs/contract.md gives. broker-restart (`--robots N`, `--restart-signal SIGKILL|SIGTERM`, `--e2e
 * required|off`): N bridges in this process publish a burst of events to their own mosquitto (the
 * shipped persistence settings), killed 2 s into it and started again 2 s later; a national consumer
 * on a persistent session counts and acknowledges. soak (`--soak-robots N`, `--soak-hours H`): a fleet
 * of N full robot stacks runs H simulated hours as fast as it can while memory, descriptors and handles
 * are sampled (scripts/chaos/soak.ts). `--quick`: 1 h outage, 20 s of flapping, a 0.1 h soak.
 */
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mosquittoSkipReason, startAedes, startMosquitto, type TestBroker } from '../test/helpers/brokers';
import { TEST_KEYS_JSON, uniqueRoot } from '../test/integration/cloud_bridge/harness';
import { exited, spawnBridge } from '../test/integration/cloud_bridge/child-process';
import { outage } from './chaos/outage';
import { flap } from './chaos/flap';
import { diskfull } from './chaos/diskfull';
import { skew } from './chaos/skew';
import { brokerRestart } from './chaos/broker-restart';
import { soak } from './chaos/soak';
import { rng, storeBytes } from './chaos/common';

interface Options {
  kills: number;
  parallel: number;
  burst: number;
  seed: number;
  json?: string;
  broker: 'mosquitto' | 'aedes';
  only: Experiment[];
  hours: number;
  rate: number;
  maxBytes?: number;
  flapS: number;
  robots: number;
  restartSignal: 'SIGKILL' | 'SIGTERM';
  e2e: 'required' | 'off';
  soakRobots: number;
  soakHours: number;
}

const EXPERIMENTS = ['kill9', 'outage', 'flap', 'diskfull', 'skew', 'broker-restart', 'soak'] as const;
type Experiment = (typeof EXPERIMENTS)[number];

/** [MB per simulated hour] the soak's bound on the heap after a full collection (20 robots). */
const SOAK_HEAP_SLOPE_MB = 32;

/** [s] decision lifetimes of the skew experiment: around the ±5 min skew (304 s: 4 s left at +5 min). */
const SKEW_LIFETIMES_S = [10, 60, 290, 304, 310, 600, 3600, 86400];

function options(): Options {
  const { values } = parseArgs({
    options: {
      kills: { type: 'string', default: '1000' },
      parallel: { type: 'string', default: '4' },
      burst: { type: 'string', default: '150' },
      seed: { type: 'string' },
      json: { type: 'string' },
      broker: { type: 'string', default: 'mosquitto' },
      only: { type: 'string', default: EXPERIMENTS.join(',') },
      hours: { type: 'string', default: '24' },
      rate: { type: 'string', default: '200' },
      'max-bytes': { type: 'string' },
      'flap-s': { type: 'string', default: '600' },
      quick: { type: 'boolean', default: false },
      robots: { type: 'string', default: '100' },
      'restart-signal': { type: 'string', default: 'SIGKILL' },
      e2e: { type: 'string', default: 'required' },
      'soak-robots': { type: 'string', default: '20' },
      'soak-hours': { type: 'string', default: '1' },
    },
    strict: true,
  });
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`KZ_ERR_CLI: --${name} must be an integer from ${min} to ${max}, got '${v}'`);
    }
    return n;
  };
  const positive = (name: string, v: string, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new Error(`KZ_ERR_CLI: --${name} must be a number above 0 and at most ${max}, got '${v}'`);
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, v: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(v)) {
      throw new Error(`KZ_ERR_CLI: --${name} takes ${allowed.join(' or ')}, got '${v}'`);
    }
    return v as T;
  };
  if (values.broker !== 'mosquitto' && values.broker !== 'aedes') {
    throw new Error(`KZ_ERR_CLI: --broker must be mosquitto or aedes, got '${values.broker}'`);
  }
  return {
    kills: int('kills', values.kills, 1, 100_000),
    parallel: int('parallel', values.parallel, 1, 64),
    burst: int('burst', values.burst, 1, 100_000),
    seed: values.seed !== undefined ? int('seed', values.seed, 0, 2 ** 31 - 1) : Date.now() % 2 ** 31,
    ...(values.json !== undefined ? { json: values.json } : {}),
    broker: values.broker,
    only: values.only.split(',').map((x) => {
      if (!(EXPERIMENTS as readonly string[]).includes(x)) {
        throw new Error(`KZ_ERR_CLI: --only takes ${EXPERIMENTS.join(', ')}, got '${x}'`);
      }
      return x as Experiment;
    }),
    hours: values.quick ? 1 : int('hours', values.hours, 1, 720),
    rate: int('rate', values.rate, 1, 100_000),
    ...(values['max-bytes'] !== undefined ? { maxBytes: int('max-bytes', values['max-bytes'], 1024, 2 ** 32) } : {}),
    flapS: values.quick ? 20 : int('flap-s', values['flap-s'], 4, 86_400),
    robots: int('robots', values.robots, 1, 1000),
    restartSignal: oneOf('restart-signal', values['restart-signal'], ['SIGKILL', 'SIGTERM'] as const),
    e2e: oneOf('e2e', values.e2e, ['required', 'off'] as const),
    soakRobots: int('soak-robots', values['soak-robots'], 1, 20),
    soakHours: values.quick ? 0.1 : positive('soak-hours', values['soak-hours'], 24),
  };
}

/** What the far end saw of one robot's events. */
interface Seen {
  arrivals: Map<number, number>;
  maxFirst: number;
  outOfOrder: number;
}

interface RobotResult {
  robot: string;
  kills: number;
  numbered: number;
  lost: number[];
  tornStores: number;
  maxStoreBytes: number;
}

async function robotRun(
  o: Options,
  broker: TestBroker,
  root: string,
  dir: string,
  robot: string,
  kills: number,
  random: () => number,
): Promise<RobotResult> {
  const store = join(dir, `${robot}.sqlite`);
  const params = {
    robot_id: robot,
    fleet: 'chaos',
    profile: 'farm',
    topic_root: root,
    broker_url: broker.url,
    mqtt_version: 5,
    trusted_keys_file: join(dir, 'keys.json'),
    store_path: store,
    reconnect_min_s: 0.05,
    reconnect_max_s: 0.2,
    outbox_rate_per_s: 2000,
  };
  let torn = 0;
  let maxBytes = 0;
  for (let k = 0; k < kills; k++) {
    const b = spawnBridge(params, o.burst);
    await b.wait(/^ready$/, 60_000);
    // a random point in the burst: enqueueing, publishing, or the replay of what the last kill left
    await new Promise((r) => setTimeout(r, 20 + random() * 400));
    b.proc.kill('SIGKILL');
    await exited(b.proc);
    if (existsSync(store)) {
      maxBytes = Math.max(maxBytes, storeBytes(store));
      const db = new Database(store, { readonly: true, fileMustExist: true });
      try {
        const r = db.pragma('integrity_check', { simple: true });
        if (r !== 'ok') torn++;
      } catch {
        torn++;
      } finally {
        db.close();
      }
    }
  }
  const last = spawnBridge(params, 0);
  const drained = await last.wait(/^drained \d+$/, 120_000);
  last.proc.kill('SIGTERM');
  await exited(last.proc);
  maxBytes = Math.max(maxBytes, storeBytes(store));
  return { robot, kills, numbered: Number(drained.split(' ')[1]), lost: [], tornStores: torn, maxStoreBytes: maxBytes };
}

async function kill9(o: Options, broker: TestBroker): Promise<{ pass: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-chaos-'));
  writeFileSync(join(dir, 'keys.json'), TEST_KEYS_JSON);
  const root = uniqueRoot();
  const seen = new Map<string, Seen>();
  const sub = await mqtt.connectAsync(broker.url, { clientId: `chaos-far-end-${process.pid}`, clean: true });
  sub.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    const robot = topic.split('/').at(-2)!;
    const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
    let s = seen.get(robot);
    if (!s) seen.set(robot, (s = { arrivals: new Map(), maxFirst: 0, outOfOrder: 0 }));
    const n = s.arrivals.get(seq) ?? 0;
    s.arrivals.set(seq, n + 1);
    if (n === 0) {
      if (seq < s.maxFirst) s.outOfOrder++;
      else s.maxFirst = seq;
    }
  });
  await sub.subscribeAsync(`${root}/+/+/events`, { qos: 1 });
  const started = Date.now();
  const random = rng(o.seed);
  const share = (i: number): number => Math.floor(o.kills / o.parallel) + (i < o.kills % o.parallel ? 1 : 0);
  let done = 0;
  const progress = setInterval(() => {
    process.stderr.write(
      `chaos: ${done} of ${o.parallel} bridges finished, ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
  }, 30_000);
  const results = await Promise.all(
    Array.from({ length: o.parallel }, (_, i) => {
      const r = rng(Math.floor(random() * 2 ** 31));
      return robotRun(o, broker, root, dir, `r${i}`, share(i), r).finally(() => done++);
    }),
  );
  clearInterval(progress);
  // the last events may still be on their way to the far end
  await new Promise((r) => setTimeout(r, 500));
  await sub.endAsync();
  let duplicates = 0;
  let outOfOrder = 0;
  let arrived = 0;
  for (const r of results) {
    const s = seen.get(r.robot) ?? { arrivals: new Map<number, number>(), maxFirst: 0, outOfOrder: 0 };
    for (let q = 1; q <= r.numbered; q++) if (!s.arrivals.has(q)) r.lost.push(q);
    for (const n of s.arrivals.values()) duplicates += n - 1;
    arrived += s.arrivals.size;
    outOfOrder += s.outOfOrder;
  }
  const lost = results.reduce((a, r) => a + r.lost.length, 0);
  const torn = results.reduce((a, r) => a + r.tornStores, 0);
  const report = {
    experiment: 'kill -9 of cloud_bridge during event bursts',
    broker: broker.kind,
    seed: o.seed,
    kills: o.kills,
    parallel: o.parallel,
    burstPerStart: o.burst,
    eventsNumbered: results.reduce((a, r) => a + r.numbered, 0),
    eventsArrived: arrived,
    eventsLost: lost,
    duplicates,
    firstArrivalsOutOfOrder: outOfOrder,
    tornStores: torn,
    maxStoreBytes: Math.max(...results.map((r) => r.maxStoreBytes)),
    wallS: Math.round((Date.now() - started) / 100) / 10,
    lostSample: results.flatMap((r) => r.lost.slice(0, 5).map((q) => `${r.robot}#${q}`)).slice(0, 20),
    pass: lost === 0 && outOfOrder === 0 && torn === 0,
  };
  rmSync(dir, { recursive: true, force: true });
  return report;
}

async function main(): Promise<void> {
  const o = options();
  if (o.broker === 'mosquitto' && mosquittoSkipReason()) {
    throw new Error(`KZ_ERR_CHAOS: ${mosquittoSkipReason()} (or run with --broker aedes)`);
  }
  const broker: TestBroker = o.broker === 'mosquitto' ? await startMosquitto() : await startAedes();
  const reports: Array<{ pass: boolean }> = [];
  let soakSamples = 0;
  try {
    for (const x of o.only) {
      const r =
        x === 'kill9'
          ? await kill9(o, broker)
          : x === 'outage'
            ? await outage(broker, {
                hours: o.hours,
                eventPeriodS: 20,
                telemetryPeriodS: 1,
                outbox: { outbox_rate_per_s: o.rate, ...(o.maxBytes ? { outbox_max_bytes: o.maxBytes } : {}) },
              })
            : x === 'flap'
              ? await flap(broker, { durationS: o.flapS, periodS: 2, eventsPerS: 20, seed: o.seed })
              : x === 'diskfull'
                ? await diskfull(broker)
                : x === 'broker-restart'
                  ? await brokerRestart({
                      robots: o.robots,
                      eventsPerRobot: 60,
                      burstS: 6,
                      killAtS: 2,
                      downS: 2,
                      signal: o.restartSignal,
                      endToEndAck: o.e2e,
                    })
                  : x === 'soak'
                    ? await soak({
                        robots: o.soakRobots,
                        simHours: o.soakHours,
                        seed: o.seed,
                        heapSlopeBoundMB: SOAK_HEAP_SLOPE_MB,
                        onSample: (smp) => {
                          if (++soakSamples % 60 === 0) process.stderr.write(`soak: ${JSON.stringify(smp)}\n`);
                        },
                      })
                    : await skew(broker, {
                        skewsS: [-300, -35, -20, 0, 300],
                        lifetimesS: SKEW_LIFETIMES_S,
                        replayAfterS: 6,
                      });
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      reports.push(r);
    }
  } finally {
    await broker.close();
  }
  if (o.json) writeFileSync(o.json, `${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  process.exitCode = reports.every((r) => r.pass) ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
