/**
 * What the chaos experiments (issue 20) share: a bridge on an in-process graph behind a loopback link
 * proxy (sim/link-proxy.ts: the robot's link, cut and restored at will), a producer of events and
 * telemetry on its ROS inputs, and the far end, an mqtt.js subscriber on the broker that records every
 * event and state that arrives.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkProxy } from '../../sim/link-proxy';
import type { TestBroker } from '../../test/helpers/brokers';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';
import { Robot, uniqueRoot } from '../../test/integration/cloud_bridge/harness';

/** A small seeded generator (mulberry32): a run is reproducible from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** [bytes] the store file with its WAL and shared-memory files. */
export function storeBytes(store: string): number {
  let n = 0;
  for (const f of [store, `${store}-wal`, `${store}-shm`]) if (existsSync(f)) n += statSync(f).size;
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One event as the far end received it. */
export interface Arrival {
  seq: number;
  type: string;
  decisionId: string | undefined;
  atMs: number;
  json: Record<string, unknown>;
}

let farEnds = 0;

/** The receiving end: every event (and state) of every robot under `root`, with its arrival time. */
export class FarEnd {
  readonly events: Arrival[] = [];
  readonly states: number[] = [];
  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      const now = Date.now();
      if (topic.endsWith('/state')) {
        this.states.push(now);
        return;
      }
      const json = JSON.parse(payload.toString()) as Record<string, unknown>;
      this.events.push({
        seq: json.seq as number,
        type: json.type as string,
        decisionId: json.decisionId as string | undefined,
        atMs: now,
        json,
      });
    });
  }

  static async connect(url: string, root: string): Promise<FarEnd> {
    // unique per far end: rigs opened in parallel (the skew experiment) must not take over each other's session
    const clientId = `chaos-far-${process.pid}-${Date.now()}-${++farEnds}`;
    const client = await mqtt.connectAsync(url, { clientId, clean: true });
    await client.subscribeAsync([`${root}/+/+/events`, `${root}/+/+/state`], { qos: 1 });
    return new FarEnd(client);
  }

  /** First arrivals out of seq order, duplicates (arrivals beyond the first), distinct seqs. */
  order(): { outOfOrder: number; duplicates: number; distinct: number } {
    const seen = new Set<number>();
    let max = 0;
    let outOfOrder = 0;
    let duplicates = 0;
    for (const e of this.events) {
      if (seen.has(e.seq)) {
        duplicates++;
        continue;
      }
      seen.add(e.seq);
      if (e.seq < max) outOfOrder++;
      else max = e.seq;
    }
    return { outOfOrder, duplicates, distinct: seen.size };
  }

  /** The first arrival of each decisionId. */
  firstById(): Map<string, Arrival> {
    const m = new Map<string, Arrival>();
    for (const e of this.events) if (e.decisionId !== undefined && !m.has(e.decisionId)) m.set(e.decisionId, e);
    return m;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/**
 * Feeds the bridge's DecisionStatus input: `event(id)` is a decision_accepted event (class event),
 * `telemetry()` a repeated ACTIVE report of one decision, i.e. decision_progress (class telemetry).
 */
export class Producer {
  private readonly pub;
  private readonly base: MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
  private progress = 0;
  constructor(private readonly robot: Robot) {
    this.pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
    this.base = createMessage(
      'kizuna_msgs/msg/DecisionStatus',
    ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
  }

  event(id: string): void {
    this.pub.publish({ ...this.base, decision_id: id, state: 1, source: 1, kind: 1 });
  }

  telemetry(): void {
    this.progress = (this.progress + 0.001) % 1;
    this.pub.publish({ ...this.base, decision_id: 'tele', state: 3, source: 1, kind: 1, progress: this.progress });
  }

  async flush(): Promise<void> {
    await this.robot.graph.flush();
  }
}

/** Waits until `pred` holds (polled every 20 ms); false after `ms`. */
export async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** A bound checked: its figure, the bound as text, pass or fail. */
export interface Check {
  value: number;
  bound: string;
  pass: boolean;
}

export const check = (value: number, bound: string, pass: boolean): Check => ({ value, bound, pass });

/** One robot's bridge behind a link proxy to the broker, the far end recording what arrives, and its folder. */
export interface Rig {
  dir: string;
  far: FarEnd;
  proxy: LinkProxy;
  robot: Robot;
  /** Stops the robot, the proxy and the far end, and removes the folder. */
  close(): Promise<void>;
}

/**
 * Starts a {@link Rig} for `robotId` on `broker` (MQTT 5, quick reconnects) with the bridge's `params`;
 * `now` is the robot's wall clock (Date.now by default).
 */
export async function openRig(
  broker: TestBroker,
  robotId: string,
  params: Record<string, unknown> = {},
  now?: () => number,
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), `kizuna-chaos-${robotId}-`));
  const root = uniqueRoot();
  const far = await FarEnd.connect(broker.url, root);
  const proxy = await LinkProxy.start('127.0.0.1', broker.port);
  const robot = Robot.start({
    url: proxy.url,
    root,
    protocol: 5,
    robotId,
    dir,
    // every telemetry() report is a decision_progress event (the robot's default sends one per 25 %)
    params: { progress_event_step: 0, ...params, reconnect_min_s: 0.1, reconnect_max_s: 0.5 },
    ...(now ? { now } : {}),
  });
  return {
    dir,
    far,
    proxy,
    robot,
    async close() {
      await robot.stop();
      await proxy.close();
      await far.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
