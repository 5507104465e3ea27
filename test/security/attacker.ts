/**
 * A thief with one robot credential, in its own process (so its work does not stall the measuring
 * process's event loop): `node --import tsx attacker.ts '<json>'`, stopped with SIGTERM, when it prints
 * one JSON line of what it did. Modes:
 * - `subscribe`: `connections` MQTT 5 clients with the same certificate, each with its own client id,
 *   each back about `reconnectMs` (0.5 to 1.5 of it, at random) after the broker closed it, each asking
 *   for `#`, `kizuna/v1/#` and the national side's shared subscription at every connect (the issue's
 *   "300 connections subscribed to #");
 * - `publish`: one client publishing QoS 1 events of `bytes` bytes on the credential's own events topic
 *   as fast as the broker takes them (32 in flight).
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';

interface Args {
  mode: 'subscribe' | 'publish';
  url: string;
  ca: string;
  cert: string;
  key: string;
  topic: string;
  connections?: number;
  reconnectMs?: number;
  bytes?: number;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const tls = { ca: readFileSync(a.ca), cert: readFileSync(a.cert), key: readFileSync(a.key) };
const counts = { connects: 0, subscribeRefused: 0, subscribeGranted: 0, published: 0, errors: 0 };
const clients: mqtt.MqttClient[] = [];
let stopping = false;

if (a.mode === 'subscribe') {
  const period = a.reconnectMs ?? 1000;
  for (let i = 0; i < (a.connections ?? 300); i++) {
    const c = mqtt.connect(a.url, {
      ...tls,
      protocolVersion: 5,
      clientId: `thief-${i}`,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    c.on('error', () => counts.errors++);
    c.on('connect', () => {
      counts.connects++;
      c.subscribe(['#', 'kizuna/v1/#', '$share/national/kizuna/v1/+/+/events'], { qos: 1 }, (err, granted) => {
        if (err) return;
        for (const g of granted ?? []) {
          if (g.qos === 128 || g.qos > 2) counts.subscribeRefused++;
          else counts.subscribeGranted++;
        }
      });
    });
    // Back again after about `period` (0.5 to 1.5 of it), each on its own: a steady stream of connections.
    c.on('close', () => {
      if (!stopping) setTimeout(() => !stopping && c.reconnect(), period * (0.5 + Math.random()));
    });
    clients.push(c);
  }
} else {
  const c = mqtt.connect(a.url, { ...tls, protocolVersion: 5, clientId: 'thief', reconnectPeriod: 200 });
  c.on('error', () => counts.errors++);
  const payload = Buffer.alloc(a.bytes ?? 1024, 'x');
  let inflight = 0;
  const pump = (): void => {
    while (inflight < 32 && c.connected) {
      inflight++;
      c.publish(a.topic, payload, { qos: 1 }, (err) => {
        inflight--;
        if (err) counts.errors++;
        else counts.published++;
        setImmediate(pump);
      });
    }
  };
  c.on('connect', () => {
    counts.connects++;
    inflight = 0;
    pump();
  });
  clients.push(c);
}

process.on('SIGTERM', () => {
  stopping = true;
  for (const c of clients) c.end(true);
  process.stdout.write(`${JSON.stringify(counts)}\n`, () => process.exit(0));
});
