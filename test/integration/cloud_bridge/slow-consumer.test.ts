/**
 * End-to-end delivery against mosquitto with its default queue limit (`max_queued_messages` 1000 per
 * client) and a deliberately slow national consumer: the broker drops events it already PUBACKed to
 * the robots, and still every event of a robot that waits for the national side's acknowledgement
 * (`end_to_end_ack: required`) arrives, late, while a robot left at contract 1.1's delivery
 * (`end_to_end_ack: off`) in the same run loses events at the broker without knowing it.
 */
import { describe, it, expect, afterAll, beforeAll } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { Robot, until, uniqueRoot } from './harness';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';
import { eventSchema, robotTopics } from '../../../nodes/core/contract';
import { EventBook } from '../../../sim/planner/acks';

const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const skip = mosquittoSkipReason();
if (skip && process.env.CI === 'true') throw new Error(`slow-consumer suite cannot run in CI: ${skip}`);
const d = skip ? describe.skip : describe;

/** [count] events each robot sends in one burst. */
const EVENTS = 600;
/** [ms] the consumer spends on each message, one at a time, before its PUBACK. */
const SLOW_MS = 5;

/**
 * A national consumer on a persistent MQTT 5 session that takes SLOW_MS per message and keeps the
 * reference planner's books, acknowledging each robot's events every 100 ms.
 */
class SlowNational {
  readonly books = new Map<string, EventBook>();
  messages = 0;
  private readonly timer: NodeJS.Timeout;
  /** One message at a time: the next one's work starts when the previous one's is done. */
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    readonly client: MqttClient,
    private readonly root: string,
  ) {
    client.handleMessage = (packet, done) => {
      // A zero-length message is a robot clearing stray retained ones at connect: not an event.
      if (packet.payload.length === 0) return done();
      this.messages++;
      const robotId = packet.topic.split('/').at(-2)!;
      const ev = eventSchema.parse(JSON.parse(packet.payload.toString()));
      let book = this.books.get(robotId);
      if (!book) this.books.set(robotId, (book = new EventBook()));
      book.receive(ev.epoch, ev.seq, ev.type === 'loss' ? ev.floorSeq : undefined);
      this.chain = this.chain.then(() => new Promise((r) => setTimeout(r, SLOW_MS))).then(() => done());
    };
    this.timer = setInterval(() => {
      for (const [robotId, book] of this.books) {
        if (!book.ackDue) continue;
        const payload = book.ackPayload(robotId, Date.now());
        if (payload) client.publish(robotTopics(root, 'tokyo-1', robotId).eventsAck, payload, { qos: 1 });
      }
    }, 100);
  }

  static async connect(url: string, root: string): Promise<SlowNational> {
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      clientId: `national-${Math.random().toString(36).slice(2)}`,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
      reconnectPeriod: 200,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(`${root}/tokyo-1/+/events`, { qos: 1 });
    return new SlowNational(client, root);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client.endAsync(true);
  }
}

/** Publishes `n` decision lifecycle events on the robot's ROS graph (each one an outbox event). */
async function burst(robot: Robot, n: number): Promise<void> {
  const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
  const base = createMessage(
    'kizuna_msgs/msg/DecisionStatus',
  ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
  for (let i = 0; i < n; i++) {
    pub.publish({ ...base, decision_id: `d-${robot.robotId}-${i}`, state: DS.STATE_ACCEPTED, source: 1, kind: 1 });
    if (i % 5 === 4) await robot.graph.flush(); // within the subscription's queue depth
  }
  await robot.graph.flush();
}

d('end-to-end delivery through mosquitto with its default queue limit and a slow national consumer', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ maxQueuedMessages: 'mosquitto-default' });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('the broker drops, and still every event of the robots that wait for acknowledgements arrives (late); a 1.1-style robot loses some', async () => {
    const root = uniqueRoot();
    const national = await SlowNational.connect(broker.url, root);
    const fast = { outbox_rate_per_s: 100000, outbox_max_inflight: 64, state_period_s: 3600 };
    const acked = ['care-001', 'care-002', 'care-003'].map((robotId) =>
      Robot.start({
        url: broker.url,
        root,
        protocol: 5,
        robotId,
        params: {
          ...fast,
          end_to_end_ack: 'required',
          ack_window_messages: 512,
          ack_timeout_s: 1,
          ack_timeout_max_s: 4,
        },
      }),
    );
    const legacy = Robot.start({
      url: broker.url,
      root,
      protocol: 5,
      robotId: 'care-004',
      params: { ...fast, end_to_end_ack: 'off' },
    });
    const robots = [...acked, legacy];
    try {
      for (const r of robots) await r.connected();
      // Three robots fill the consumer's queue far past 1,000; the fourth sends into the full queue.
      await Promise.all(acked.map((r) => burst(r, EVENTS)));
      await burst(legacy, EVENTS);
      const book = (r: Robot): EventBook | undefined => national.books.get(r.robotId);
      await until(
        () => acked.every((r) => r.bridge.store.depth === 0 && book(r)?.acknowledged === r.bridge.store.lastSeq),
        'every event of the acknowledging robots acknowledged',
        120_000,
      );
      // The 1.1-style robot's outbox emptied long ago on PUBACKs; give what the broker kept time to arrive.
      await until(() => legacy.bridge.store.depth === 0, "the legacy robot's outbox empty", 30_000);
      let seen = -1;
      await until(
        () => {
          const quiet = national.messages === seen;
          seen = national.messages;
          return quiet;
        },
        'the consumer idle',
        30_000,
      );

      // The broker did drop: events arrived above gaps and were sent again (duplicates), and it says so.
      const outOfOrder = acked.reduce((a, r) => a + book(r)!.outOfOrder, 0);
      const duplicates = acked.reduce((a, r) => a + book(r)!.duplicates, 0);
      expect(outOfOrder).toBeGreaterThan(0);
      expect(duplicates).toBeGreaterThan(0);
      expect(broker.log()).toMatch(/Outgoing messages are being dropped for client national-/);
      // ...and still nothing is lost end to end: every seq of every acknowledging robot, none declared lost.
      for (const r of acked) {
        expect([r.robotId, r.bridge.store.lastSeq]).toEqual([r.robotId, EVENTS]);
        expect([r.robotId, book(r)!.received.size, book(r)!.declaredLost]).toEqual([r.robotId, EVENTS, 0]);
        expect(r.bridge.store.ackedSeq).toBe(EVENTS);
      }
      // The control: the same broker lost events of the robot that trusted its PUBACK.
      expect(legacy.bridge.store.lastSeq).toBe(EVENTS);
      expect(book(legacy)?.received.size ?? 0).toBeLessThan(EVENTS);
    } finally {
      for (const r of robots) await r.stop();
      await national.close();
    }
  }, 180_000);
});
