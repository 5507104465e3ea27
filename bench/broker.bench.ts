/**
 * Brokers side by side in one run (`npm run bench -- --only broker`): mosquitto (one node, the
 * baseline), an Artemis 2.40.0 primary + replicated backup pair (MQTT 5) and a 3-node NATS 2.15.3
 * JetStream cluster (MQTT 3.1.1), all on this machine's loopback:
 * - QoS 1 messages/s end to end (one publisher with 64 in flight → one subscriber, 256-byte payloads,
 *   the size of a state message), mosquitto measured with the same MQTT version as the engine;
 * - failover: kill -9 of the node cloud_bridge's link is on, to the first QoS 1 round trip through the
 *   link again (the bridge's own MqttLink with the cluster's URL list, failover 0.1 s, backoff 0.1–1 s);
 *   for mosquitto, which has no second node, a restart of its one node (the outage a single broker means);
 * - resident memory per node after the throughput run.
 * Engines from `npm run broker:cluster`; one that is missing is reported as skipped, not measured.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { limitResult, ratioResult, type Benchmark, type BenchResult, type Figure } from './harness';
import { mosquittoSkipReason, startMosquitto } from '../test/helpers/brokers';
import { ArtemisPair, artemisMissing } from '../scripts/lib/brokers/artemis';
import { NatsCluster, natsMissing } from '../scripts/lib/brokers/nats';
import { brokerCacheDir, rssMB } from '../scripts/lib/brokers/common';
import { MqttLink } from '../nodes/cloud_bridge/link';

const N = 20_000;
const WINDOW = 64;

/** [messages/s] QoS 1 from one publisher (WINDOW in flight) to one subscriber, first publish to last delivery. */
async function throughput(url: string, version: 4 | 5): Promise<number> {
  const opts = { protocolVersion: version, reconnectPeriod: 0, clean: true } as const;
  const sub = await mqtt.connectAsync(url, { ...opts, clientId: `bench-sub-${Math.random().toString(36).slice(2)}` });
  const pub = await mqtt.connectAsync(url, { ...opts, clientId: `bench-pub-${Math.random().toString(36).slice(2)}` });
  try {
    const topic = `bench/${Math.random().toString(36).slice(2)}`;
    await sub.subscribeAsync(topic, { qos: 1 });
    const payload = Buffer.alloc(256, 'x');
    let got = 0;
    const done = new Promise<void>((res) =>
      sub.on('message', () => {
        if (++got === N) res();
      }),
    );
    const t0 = performance.now();
    let sent = 0;
    await new Promise<void>((res, rej) => {
      let inflight = 0;
      const pump = (): void => {
        while (inflight < WINDOW && sent < N) {
          inflight++;
          sent++;
          pub.publish(topic, payload, { qos: 1 }, (err) => {
            if (err) return rej(err);
            inflight--;
            if (sent === N && inflight === 0) res();
            else pump();
          });
        }
      };
      pump();
    });
    await Promise.race([
      done,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`${got}/${N} delivered after 120 s`)), 120_000)),
    ]);
    return N / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
  }
}

/** The bridge's link on `urls`, with a QoS 1 round trip through it (subscribed to its own topic). */
async function linkOn(
  urls: string[],
  version: 4 | 5,
): Promise<{ link: MqttLink; roundTrip: (timeoutMs: number) => Promise<void> }> {
  const topic = `bench/failover/${Math.random().toString(36).slice(2)}`;
  const link = new MqttLink({
    urls,
    order: 'sticky',
    failoverDelayMs: 100,
    protocolVersion: version,
    clientId: `bench-failover-${Math.random().toString(36).slice(2, 10)}`,
    sessionExpiryS: 3600,
    keepaliveS: 30,
    connectTimeoutS: 5,
    will: { topic: `${topic}/will`, payload: Buffer.from('gone') },
    subscriptions: [topic],
    backoffMinMs: 100,
    backoffMaxMs: 1000,
    stableMs: 5000,
  });
  link.on('error', () => undefined);
  link.on('refused', () => undefined);
  let seen = 0;
  link.on('message', () => seen++);
  link.start();
  const roundTrip = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const before = seen;
      if (link.publish(topic, Buffer.from('ping'), { qos: 1 })) {
        const until = Date.now() + 1000;
        while (seen === before && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        if (seen > before) return;
      }
      if (Date.now() > deadline) throw new Error(`no round trip through the link within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await roundTrip(30_000);
  return { link, roundTrip };
}

/** [ms] from `kill()` to the first round trip through the link again. */
async function failover(link: { roundTrip: (t: number) => Promise<void> }, kill: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await kill();
  await link.roundTrip(90_000);
  return performance.now() - t0;
}

const fig = (id: string, value: number, unit: string, description: string, higherIsBetter = false): Figure => ({
  id,
  value,
  unit,
  description,
  ...(higherIsBetter ? { higherIsBetter } : {}),
});

export const benchmarks: Benchmark[] = [
  {
    name: 'broker',
    async run(log) {
      const out: BenchResult[] = [];
      const skip = mosquittoSkipReason();
      if (skip) {
        log(`skipped: ${skip}`);
        return out;
      }
      const cache = brokerCacheDir();
      // Baseline: one mosquitto node, both MQTT versions.
      const mosq = await startMosquitto({ persistent: true });
      const base: Record<4 | 5, Figure> = {
        5: fig(
          'broker.mosquitto.mqtt5.qos1_msgs_per_s',
          await throughput(mosq.url, 5),
          'msg/s',
          'mosquitto, one node, MQTT 5',
          true,
        ),
        4: fig(
          'broker.mosquitto.mqtt311.qos1_msgs_per_s',
          await throughput(mosq.url, 4),
          'msg/s',
          'mosquitto, one node, MQTT 3.1.1',
          true,
        ),
      };
      log(`mosquitto: ${base[5].value.toFixed(0)} msg/s (5), ${base[4].value.toFixed(0)} msg/s (3.1.1)`);
      const mosqMemory = rssMB(mosq.pid());
      log(`mosquitto memory ${mosqMemory} MB`);
      out.push(
        { ...base[5], details: { messages: N, window: WINDOW, payloadBytes: 256, memoryMB: mosqMemory } },
        { ...base[4] },
      );
      {
        const l = await linkOn([mosq.url], 5);
        // No second node: the outage is a restart of the only one (its persistence on, as in the field).
        const ms = await failover(l, async () => {
          await mosq.stop();
          await mosq.start();
        });
        await l.link.stop();
        const f = fig(
          'broker.mosquitto.restart_to_round_trip_ms',
          ms,
          'ms',
          'mosquitto (no HA): stop + start of its one node to the first round trip through the link',
        );
        out.push(f);
        log(`mosquitto restart to round trip: ${ms.toFixed(0)} ms`);
      }
      await mosq.close();

      const am = artemisMissing(cache);
      if (am) log(`artemis skipped: ${am}`);
      else {
        const dir = mkdtempSync(join(tmpdir(), 'kizuna-bench-artemis-'));
        const pair = await ArtemisPair.create({ dir, cache });
        try {
          await pair.start();
          const mps = fig(
            'broker.artemis.mqtt5.qos1_msgs_per_s',
            await throughput(pair.urls[0]!, 5),
            'msg/s',
            'Artemis primary (replicating to its backup), MQTT 5',
            true,
          );
          const memory = pair.memoryMB();
          out.push(ratioResult(mps, base[5], 0.25, { memoryMBPerNode: memory }));
          log(`artemis: ${mps.value.toFixed(0)} msg/s, memory ${JSON.stringify(memory)} MB`);
          const l = await linkOn(pair.urls, 5);
          const ms = await failover(l, () => pair.kill9(pair.nodes[0]));
          await l.link.stop();
          out.push(
            limitResult(
              fig(
                'broker.artemis.failover_to_round_trip_ms',
                ms,
                'ms',
                'Artemis: kill -9 of the primary to the first round trip through the link on the backup',
              ),
              5000,
              { order: 'sticky', failoverDelayMs: 100, backoffMs: '100..1000' },
            ),
          );
          log(`artemis failover: ${ms.toFixed(0)} ms`);
        } finally {
          await pair.close(dir);
        }
      }

      const nm = natsMissing(cache);
      if (nm) log(`nats skipped: ${nm}`);
      else {
        const dir = mkdtempSync(join(tmpdir(), 'kizuna-bench-nats-'));
        const cluster = await NatsCluster.create({ dir, cache });
        try {
          await cluster.start();
          const mps = fig(
            'broker.nats.mqtt311.qos1_msgs_per_s',
            await throughput(cluster.urls[0]!, 4),
            'msg/s',
            'NATS, 3 nodes, JetStream R3, MQTT 3.1.1',
            true,
          );
          const memory = cluster.memoryMB();
          out.push(ratioResult(mps, base[4], 0.25, { memoryMBPerNode: memory }));
          log(`nats: ${mps.value.toFixed(0)} msg/s, memory ${JSON.stringify(memory)} MB`);
          const l = await linkOn(cluster.urls, 4);
          const ms = await failover(l, () => cluster.kill9(cluster.nodes[0]!));
          await l.link.stop();
          out.push(
            limitResult(
              fig(
                'broker.nats.failover_to_round_trip_ms',
                ms,
                'ms',
                'NATS: kill -9 of the node the link is on to the first round trip through another',
              ),
              15000,
              { order: 'sticky', failoverDelayMs: 100, backoffMs: '100..1000' },
            ),
          );
          log(`nats failover: ${ms.toFixed(0)} ms`);
        } finally {
          await cluster.close(dir);
        }
      }
      return out;
    },
  },
];
