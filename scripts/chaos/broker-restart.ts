/**
 * The broker-restart experiment: many robots (each a cloud_bridge on its own in-process graph, with its
 * own SQLite outbox, in this one process) publish a burst of events to mosquitto; mid-burst mosquitto is
 * killed (SIGKILL by default: nothing saved since its last autosave) and started again on the same port
 * with its persistence, as the shipped configuration (launch/mosquitto/mosquitto.conf: persistence on,
 * autosave every 60 s, 32 in flight, 100,000 queued). The far end is a national consumer on a persistent
 * MQTT 5 session that keeps the contract's books per robot (sim/planner/acks.ts) and acknowledges end to
 * end every 100 ms, as docs/contract.md asks. Counted there: events lost (numbered by a robot, never
 * arrived), first arrivals out of seq order, duplicates; and how long after the restart every robot and
 * the consumer were connected again.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { eventSchema, robotTopics } from '../../nodes/core/contract';
import { EventBook } from '../../sim/planner/acks';
import { startMosquitto, type MosquittoBroker } from '../../test/helpers/brokers';
import { Robot, uniqueRoot } from '../../test/integration/cloud_bridge/harness';
import { Producer, check, sleep, waitFor, type Check } from './common';

export interface BrokerRestartOptions {
  /** [count] robots (bridges), all in this process. */
  robots: number;
  /** [count] events each robot raises during the burst. */
  eventsPerRobot: number;
  /** [s] how long the burst lasts (events evenly spread). */
  burstS: number;
  /** [s] into the burst, the broker is killed. */
  killAtS: number;
  /** [s] the broker stays down. */
  downS: number;
  /** How the broker is stopped: SIGKILL (no save) or SIGTERM (it saves its persistence on the way out). */
  signal: 'SIGKILL' | 'SIGTERM';
  /**
   * The bridges' end_to_end_ack: `required` (the national side's acks release events, contract 1.2) or
   * `off` (the broker's PUBACK does, contract 1.1: shows what a broker crash costs without them).
   */
  endToEndAck: 'required' | 'off';
}

/** The shipped broker settings that matter here (launch/mosquitto/mosquitto.conf). */
const SHIPPED_LINES = [
  'autosave_interval 60',
  'persistent_client_expiration 8d',
  'max_inflight_messages 32',
  'max_queued_bytes 134217728',
];

/** One robot's events as the far end saw them. */
interface Seen {
  book: EventBook;
  firsts: number;
  maxFirst: number;
  outOfOrder: number;
}

class National {
  readonly seen = new Map<string, Seen>();
  connects = 0;
  lastConnectMs = 0;
  /** Whether the broker resumed the consumer's session at its last connect. */
  lastSessionPresent = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly client: MqttClient,
    root: string,
  ) {
    client.on('connect', (connack) => {
      this.connects++;
      this.lastConnectMs = Date.now();
      this.lastSessionPresent = connack.sessionPresent;
      // a broker that lost the session (killed before it saved it) has no subscription for us
      if (!connack.sessionPresent) void client.subscribeAsync(`${root}/tokyo-1/+/events`, { qos: 1 }).catch(() => {});
    });
    client.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      const robot = topic.split('/').at(-2)!;
      const ev = eventSchema.parse(JSON.parse(payload.toString()));
      let s = this.seen.get(robot);
      if (!s) this.seen.set(robot, (s = { book: new EventBook(), firsts: 0, maxFirst: 0, outOfOrder: 0 }));
      const r = s.book.receive(ev.epoch, ev.seq, ev.type === 'loss' ? ev.floorSeq : undefined);
      if (r === 'new') {
        s.firsts++;
        if (ev.seq < s.maxFirst) s.outOfOrder++;
        else s.maxFirst = ev.seq;
      }
    });
    this.timer = setInterval(() => {
      if (!client.connected) return;
      for (const [robot, s] of this.seen) {
        if (!s.book.ackDue) continue;
        const payload = s.book.ackPayload(robot, Date.now());
        if (payload) client.publish(robotTopics(root, 'tokyo-1', robot).eventsAck, payload, { qos: 1 });
      }
    }, 100);
  }

  static async connect(url: string, root: string): Promise<National> {
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      clientId: `national-restart-${process.pid}-${Date.now()}`,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 200,
      resubscribe: false,
    });
    const n = new National(client, root);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(`${root}/tokyo-1/+/events`, { qos: 1 });
    return n;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client.endAsync(true);
  }
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function brokerRestart(o: BrokerRestartOptions): Promise<Record<string, unknown> & { pass: boolean }> {
  const broker: MosquittoBroker = await startMosquitto({ lines: SHIPPED_LINES, maxQueuedMessages: 100000 });
  const root = uniqueRoot();
  const robots: Robot[] = [];
  let national: National | undefined;
  const started = Date.now();
  try {
    national = await National.connect(broker.url, root);
    for (let i = 0; i < o.robots; i++) {
      robots.push(
        Robot.start({
          url: broker.url,
          root,
          protocol: 5,
          robotId: `r${i}`,
          // the bridge's own reconnect backoff (0.5 s doubling to 30 s), end-to-end acks in force
          params: { end_to_end_ack: o.endToEndAck, reconnect_min_s: 0.5, reconnect_max_s: 30 },
        }),
      );
    }
    const allUp = (): boolean => robots.every((r) => r.bridge.link.connected);
    if (!(await waitFor(allUp, 60_000))) throw new Error('KZ_ERR_CHAOS: the robots did not all connect within 60 s');
    const seqBefore = robots.map((r) => r.bridge.store.lastSeq);
    const producers = robots.map((r) => new Producer(r));
    const tickMs = 100;
    const ticks = Math.round((o.burstS * 1000) / tickMs);
    let killedAtMs = 0;
    let restartedAtMs = 0;
    let produced = 0;
    // when each robot is connected again after the restart (polled every 20 ms)
    const reconnected = new Map<number, number>();
    const watch = setInterval(() => {
      if (restartedAtMs === 0) return;
      robots.forEach((r, i) => {
        if (!reconnected.has(i) && r.bridge.link.connected) reconnected.set(i, Date.now());
      });
    }, 20);
    const burstStart = Date.now();
    const outage = (async () => {
      await sleep(o.killAtS * 1000);
      killedAtMs = Date.now();
      const pid = broker.pid();
      if (pid !== undefined && o.signal === 'SIGKILL') process.kill(pid, 'SIGKILL');
      await broker.stop();
      await sleep(o.downS * 1000);
      await broker.start();
      restartedAtMs = Date.now();
    })();
    for (let t = 0; t < ticks; t++) {
      const due = Math.round(((t + 1) * o.eventsPerRobot) / ticks) - Math.round((t * o.eventsPerRobot) / ticks);
      for (let i = 0; i < robots.length; i++) {
        for (let k = 0; k < due; k++) producers[i]!.event(`r${i}-e${produced / robots.length + k}`);
      }
      produced += due * robots.length;
      await Promise.all(producers.map((p) => p.flush()));
      const next = burstStart + (t + 1) * tickMs;
      if (next > Date.now()) await sleep(next - Date.now());
    }
    await outage;
    const everyoneBack = await waitFor(() => reconnected.size === robots.length, 120_000);
    const lastSeqs = robots.map((r) => r.bridge.store.lastSeq);
    const delivered = (): boolean =>
      robots.every((r, i) => {
        const s = national!.seen.get(r.robotId);
        return r.bridge.store.depth === 0 && s !== undefined && s.book.acked >= lastSeqs[i]!;
      });
    // without end-to-end acks a robot cannot re-send what the broker lost: wait for the outboxes only
    const emptied = (): boolean => robots.every((r) => r.bridge.store.depth === 0);
    const drained = await waitFor(o.endToEndAck === 'required' ? delivered : emptied, 180_000);
    if (o.endToEndAck === 'off') await sleep(2000);
    clearInterval(watch);
    let lost = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    let arrived = 0;
    let numbered = 0;
    const lostSample: string[] = [];
    robots.forEach((r, i) => {
      const s = national!.seen.get(r.robotId);
      numbered += lastSeqs[i]! - seqBefore[i]!;
      for (let q = seqBefore[i]! + 1; q <= lastSeqs[i]!; q++) {
        if (!s?.book.received.has(q)) {
          lost++;
          if (lostSample.length < 20) lostSample.push(`${r.robotId}#${q}`);
        }
      }
      duplicates += s?.book.duplicates ?? 0;
      outOfOrder += s?.outOfOrder ?? 0;
      arrived += s?.firsts ?? 0;
    });
    const backS = [...reconnected.values()].map((t) => (t - restartedAtMs) / 1000);
    const consumerBackS =
      national.lastConnectMs >= restartedAtMs ? (national.lastConnectMs - restartedAtMs) / 1000 : NaN;
    const checks: Record<string, Check> = {
      eventsLost: check(lost, '0', lost === 0),
      robotsReconnected: check(reconnected.size, `= ${robots.length}`, everyoneBack),
      allAcknowledged: check(
        drained ? 1 : 0,
        o.endToEndAck === 'required' ? '1 (every outbox empty, every seq in the books)' : '1 (every outbox empty)',
        drained,
      ),
      eventsProduced: check(produced, `= ${o.robots * o.eventsPerRobot}`, produced === o.robots * o.eventsPerRobot),
    };
    return {
      experiment: 'broker restart under many robots: mosquitto killed mid-burst, restarted with its persistence',
      broker: broker.kind,
      signal: o.signal,
      robots: o.robots,
      eventsPerRobot: o.eventsPerRobot,
      burstS: o.burstS,
      killAtS: Math.round((killedAtMs - burstStart) / 100) / 10,
      downS: Math.round((restartedAtMs - killedAtMs) / 100) / 10,
      eventsNumbered: numbered,
      eventsArrived: arrived,
      eventsLost: lost,
      lostSample,
      duplicates,
      firstArrivalsOutOfOrder: outOfOrder,
      reconnectAfterRestartS: {
        p50: Math.round(pct(backS, 50) * 100) / 100,
        max: Math.round(Math.max(...backS) * 100) / 100,
      },
      consumerReconnectAfterRestartS: Math.round(consumerBackS * 100) / 100,
      consumerConnects: national.connects,
      consumerSessionResumed: national.lastSessionPresent,
      robotSessionsResumed: robots.filter((r) => r.bridge.link.sessionPresent).length,
      endToEndAck: o.endToEndAck,
      deliveredAllS: Math.round((Date.now() - restartedAtMs) / 100) / 10,
      wallS: Math.round((Date.now() - started) / 100) / 10,
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e5) / 10,
      rssMB: Math.round(process.memoryUsage().rss / 1e5) / 10,
      checks,
      pass: Object.values(checks).every((c) => c.pass),
    };
  } finally {
    await Promise.all(robots.map((r) => r.stop()));
    await national?.close();
    await broker.close();
  }
}
