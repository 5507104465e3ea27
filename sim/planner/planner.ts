/**
 * The reference planner: a stand-in for the national model that speaks the bridge contract over MQTT.
 * It reads every robot's `decision/request`, `state`, `events` and `status` (requests through an MQTT 5
 * shared subscription when the broker speaks MQTT 5, so several planners could share the load), and
 * answers with Ed25519-signed decisions:
 *
 * - `reference`: simple rules, not intelligence — a speed limit first, then the profile's tasks between
 *   the scenario's stations, trips to stations (one paused by a hold and resumed, one stopped), docking
 *   when the battery runs low (then a hold on the dock until charged, and a resume);
 * - `scripted`: the scenario's decisions at their sim times;
 * - `none`: no decisions (it still watches, so events can be counted).
 *
 * It also injects the forged and malformed decisions of `inject_decision` faults, and keeps the cloud
 * side's books: events per robot by (epoch, seq) — duplicates, gaps, declared losses — acknowledged end
 * to end on the robot's `events/ack` (contract 1.2; not in `none` mode, which only watches), rejections
 * by reason, decision round trips.
 */
import mqtt, { type MqttClient } from 'mqtt';
import {
  eventSchema,
  robotTopics,
  type DecisionKind,
  type RobotEvent,
  type RobotTopics,
} from '../../nodes/core/contract';
import type { ProfileName } from '../../nodes/core/profiles';
import { KizunaError } from '../../nodes/core/errors';
import { connackRefusal, refusalText } from '../../nodes/core/mqtt-refusal';
import { PROFILE_MAX_SPEED_MPS } from '../../nodes/cloud_bridge/params';
import type { Scenario, ScenarioDecision } from '../scenario';
import { EventBook } from './acks';
import {
  buildDecision,
  dockFor,
  injectedPayload,
  navigateFor,
  newPlannerKey,
  scriptedKind,
  sign,
  taskFor,
  type Attack,
  type PlannerKey,
} from './decisions';

export type PlannerMode = 'reference' | 'scripted' | 'none';

export interface PlannerOptions {
  /** The broker's URL, or its cluster nodes' (tried in turn on every reconnect: MQTT.js `servers`). */
  urls: readonly string[];
  /** MQTT version: 5 (the requests on a shared subscription) or 4 (3.1.1: a plain one). */
  mqttVersion: 4 | 5;
  root: string;
  fleet: string;
  mode: PlannerMode;
  scenario: Scenario;
  key: PlannerKey;
  /** [s] current sim time (the planner schedules holds and scripted decisions on it). */
  simTime: () => number;
  /** Cuts (false) or restores (true) one robot's link (for the retained-decision attack). */
  setLink: (robotId: string, up: boolean) => Promise<void>;
  /** [s] decision lifetime (wall clock). Default 600. */
  lifetimeS?: number;
  /** Battery fraction below which a robot is sent to dock. Default 0.3. */
  lowBattery?: number;
}

/** An injected decision and what became of it. */
export interface Injection {
  atS: number;
  robotId: string;
  attack: Attack;
  decisionId?: string;
  expectedReason: string;
  /** The reason the bridge gave, once its decision_rejected event arrived. */
  rejectedWith?: string;
}

interface RobotBook {
  id: string;
  profile: ProfileName;
  topics: RobotTopics;
  /** Events by (epoch, seq): dedupe, gaps, declared losses, the ack to send. */
  events: EventBook;
  eventsByType: Record<string, number>;
  rejectionsByReason: Record<string, number>;
  executiveRejections: Record<string, number>;
  lastState?: { bat?: number; chg?: boolean; mode?: string; ppl?: number; dec?: string; safety?: string };
  /** What each decision sent to this robot asked for (to re-issue it). */
  sent: Map<string, { kind: DecisionKind; priority: number }>;
  /** The robot was seen in e-stop and has not been restarted since. */
  inEstop: boolean;
  /** A task or trip that failed, to be given once more as the next answer (re-plan, not give up). */
  retry?: { kind: DecisionKind; priority: number };
  /** Failed decisions already given once more (each is re-planned only once). */
  retried?: Set<string>;
  online: boolean;
  /** [count] decision requests received from this robot. */
  requests: number;
  /** [count] QoS 1 messages published on its own decision topic (decisions and injected ones). */
  direct: number;
  /** Reference planner: where in its cycle the robot is. */
  step: number;
  tasks: number;
  trips: number;
  inflight?: { decisionId: string; sentMs: number };
  docking: boolean;
  chargingHold?: string;
  lastPayload?: Buffer;
  /** Decisions to follow up once they start: hold/resume or stop after some sim seconds. */
  followUp: Map<string, 'hold' | 'stop'>;
}

interface Timed {
  atS: number;
  robotId: string;
  kind: DecisionKind;
  priority: number;
  then?: 'resume';
  /** Only while the robot's state still names this decision as the one it carries out. */
  whileActive?: string;
  /** A restart after an e-stop: re-issue what the robot was doing (decided when due). */
  restart?: boolean;
}

const PRIORITY = { task: 100, control: 120, dock: 150 } as const;
/** [s] sim time after a trip starts before it is held / stopped, and how long a hold lasts. */
const HOLD_AFTER_S = 2;
const HOLD_FOR_S = 2;
const STOP_AFTER_S = 1.5;
/** [ms] how often due acknowledgements are sent (one per robot that sent events since the last). */
const ACK_PERIOD_MS = 100;
/** [s] sim time after an e-stop ends (released and reset) before the planner restarts the robot. */
const RESTART_AFTER_S = 1.5;
/** Decision kinds whose failure is re-planned (given once more). */
const WORK_KINDS = new Set(['navigate_to', 'dock', 'perform_task']);

/** The cloud stand-in. Create with {@link Planner.start}. */
export class Planner {
  readonly books = new Map<string, RobotBook>();
  readonly injections: Injection[] = [];
  /** [ms] request `at` → the answering decision's decision_accepted event at the cloud. */
  readonly roundTripsMs: number[] = [];
  decisionsSent = 0;
  requestsSeen = 0;
  requestsAnswered = 0;
  protocol: 4 | 5 = 4;
  sharedSubscription = false;
  private readonly forger = newPlannerKey('forger');
  private readonly requestAt = new Map<string, number>();
  /**
   * Every decision seen on the robots' decision topics, from any sender, by `keyId` (`(unsigned)` without
   * one): how many were sent, how many a robot accepted, and the round trips (request → accepted) of
   * those that answered a request. Seen at the broker, so an outside national side is counted too.
   */
  readonly bySender = new Map<string, { sent: number; accepted: number; roundTripsMs: number[] }>();
  private readonly seenDecisions = new Map<string, { keyId: string; requestId?: string }>();
  private readonly requestSeenAt = new Map<string, number>();
  private readonly answerOf = new Map<string, string>();
  private readonly timed: Timed[] = [];
  private scriptedNext = 0;
  /** The scenario's scripted decisions in time order (the file may list them in any order). */
  private readonly scripted: ScenarioDecision[];
  private seq = 0;
  private readonly runTag = Math.random().toString(36).slice(2, 8);
  private readonly lifetimeS: number;
  private readonly lowBattery: number;
  private readonly ackTimer: NodeJS.Timeout | undefined;
  /** [count] acknowledgements sent. */
  acksSent = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly o: PlannerOptions,
  ) {
    this.lifetimeS = o.lifetimeS ?? 600;
    this.lowBattery = o.lowBattery ?? 0.3;
    this.scripted = scriptedInOrder(o.scenario);
    for (const r of o.scenario.robots) {
      this.books.set(r.id, {
        id: r.id,
        profile: r.profile,
        topics: robotTopics(o.root, o.fleet, r.id),
        events: new EventBook(),
        eventsByType: {},
        rejectionsByReason: {},
        executiveRejections: {},
        online: false,
        requests: 0,
        direct: 0,
        step: 0,
        tasks: 0,
        trips: 0,
        docking: false,
        followUp: new Map(),
        sent: new Map(),
        inEstop: false,
      });
    }
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    // The national side acknowledges what it has; `none` only watches (an outside national side may be
    // the one that acknowledges).
    if (o.mode !== 'none') this.ackTimer = setInterval(() => this.sendAcks(), ACK_PERIOD_MS);
  }

  /** Sends the due acknowledgements: each robot's cumulative seq, once per period at most. */
  private sendAcks(): void {
    if (!this.client.connected) return;
    const now = Date.now();
    for (const b of this.books.values()) {
      if (!b.events.ackDue) continue;
      const payload = b.events.ackPayload(b.id, now);
      if (!payload) continue;
      this.client.publish(b.topics.eventsAck, payload, { qos: 1 });
      this.acksSent++;
    }
  }

  /**
   * Connects and subscribes. With several URLs, MQTT.js moves to the next one on each reconnect
   * (`servers`), so the planner follows a failover as the robots do. A CONNACK refusal ends the start
   * with KZ_ERR_MQTT_REFUSED naming it; a node that does not answer is passed over.
   */
  static async start(o: PlannerOptions): Promise<Planner> {
    const clientId = `kizuna-sim-planner-${Math.random().toString(36).slice(2, 10)}`;
    const protocol = o.mqttVersion;
    const servers = o.urls.map((u) => {
      const url = new URL(u);
      return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 1883), protocol: 'mqtt' as const };
    });
    const client = mqtt.connect({
      servers,
      protocolVersion: protocol,
      clientId,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      // A persistent session: after a broker restart, events the robots send before the planner is
      // back are queued for it by the broker, as a real cloud consumer's would be.
      clean: false,
      ...(protocol === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no broker node of ${o.urls.join(',')} accepted the planner within 20 s`)),
        20_000,
      );
      const fail = (err: Error): void => {
        clearTimeout(timer);
        client.off('connect', ok);
        client.off('error', onError);
        client.end(true);
        reject(err);
      };
      const ok = (): void => {
        clearTimeout(timer);
        client.off('error', onError);
        resolve();
      };
      const onError = (err: Error): void => {
        const r = connackRefusal(err);
        if (r) fail(new KizunaError('KZ_ERR_MQTT_REFUSED', `the broker refused the planner: ${refusalText(r)}`));
      };
      client.once('connect', ok);
      client.on('error', onError);
    });
    client.on('error', () => undefined); // reconnects on its own (broker outages are part of the run)
    const p = new Planner(client, o);
    p.protocol = protocol;
    const base = `${o.root}/${o.fleet}`;
    const requests = `${base}/+/decision/request`;
    p.sharedSubscription = protocol === 5;
    await client.subscribeAsync(
      [
        `${base}/+/events`,
        `${base}/+/state`,
        `${base}/+/status`,
        `${base}/+/decision`, // every sender's decisions (and the broadcast's), counted by keyId
        p.sharedSubscription ? `$share/kizuna-planner/${requests}` : requests,
      ],
      { qos: 1 },
    );
    return p;
  }

  private nextId(robotId: string, what: string): string {
    return `${what}-${robotId}-${++this.seq}-${this.runTag}`.slice(0, 64);
  }

  private send(robotId: string, kind: DecisionKind, priority: number, requestId?: string): string | undefined {
    const b = this.books.get(robotId);
    if (!b) return undefined;
    const decisionId = this.nextId(robotId, kind.type === 'perform_task' ? kind.task : kind.type);
    const d = sign(
      buildDecision(kind, {
        decisionId,
        robotId,
        fleetId: this.o.fleet,
        nowMs: Date.now(),
        lifetimeS: this.lifetimeS,
        priority,
        ...(requestId ? { requestId } : {}),
      }),
      this.o.key,
    );
    const payload = Buffer.from(JSON.stringify(d));
    b.lastPayload = payload;
    this.client.publish(b.topics.decision, payload, { qos: 1 });
    b.direct++;
    this.decisionsSent++;
    b.sent.set(decisionId, { kind, priority });
    return decisionId;
  }

  private onMessage(topic: string, payload: Buffer): void {
    // A zero-length message is a robot clearing stray retained messages at connect (state, events,
    // decision/request) or someone clearing a retained status or decision: it carries nothing.
    if (payload.length === 0) return;
    try {
      if (topic.endsWith('/decision')) {
        this.onDecisionSeen(payload);
        return;
      }
      const parts = topic.split('/');
      const robotId = parts[parts.length - (topic.endsWith('/decision/request') ? 3 : 2)]!;
      const b = this.books.get(robotId);
      if (!b) return;
      if (topic.endsWith('/events')) this.onEvent(b, payload);
      else if (topic.endsWith('/state')) {
        const s = JSON.parse(payload.toString('utf8')) as RobotBook['lastState'];
        b.lastState = s;
        this.onState(b);
      } else if (topic.endsWith('/status')) {
        const s = JSON.parse(payload.toString('utf8')) as { status?: string };
        b.online = s.status === 'online';
      } else if (topic.endsWith('/decision/request')) this.onRequest(b, payload);
    } catch {
      // A payload the planner cannot read is the robot's bug to report, not a reason to stop the run.
    }
  }

  private sender(keyId: string): { sent: number; accepted: number; roundTripsMs: number[] } {
    let s = this.bySender.get(keyId);
    if (!s) this.bySender.set(keyId, (s = { sent: 0, accepted: 0, roundTripsMs: [] }));
    return s;
  }

  /** A decision on a robot's or the broadcast topic, whoever sent it: counted once per decisionId. */
  private onDecisionSeen(payload: Buffer): void {
    const d = JSON.parse(payload.toString('utf8')) as { decisionId?: unknown; keyId?: unknown; requestId?: unknown };
    if (typeof d.decisionId !== 'string' || this.seenDecisions.has(d.decisionId)) return;
    const keyId = typeof d.keyId === 'string' ? d.keyId.slice(0, 64) : '(unsigned)';
    this.sender(keyId).sent++;
    remember(this.seenDecisions, d.decisionId, {
      keyId,
      ...(typeof d.requestId === 'string' ? { requestId: d.requestId } : {}),
    });
  }

  private onEvent(b: RobotBook, payload: Buffer): void {
    const parsed = eventSchema.safeParse(JSON.parse(payload.toString('utf8')));
    if (!parsed.success) return;
    const ev: RobotEvent = parsed.data;
    if (b.events.receive(ev.epoch, ev.seq, ev.type === 'loss' ? ev.floorSeq : undefined) === 'duplicate') return;
    b.eventsByType[ev.type] = (b.eventsByType[ev.type] ?? 0) + 1;
    if (ev.type === 'decision_rejected') {
      if (ev.by === 'bridge') {
        b.rejectionsByReason[ev.reason] = (b.rejectionsByReason[ev.reason] ?? 0) + 1;
        this.matchInjection(b.id, ev.reason, ev.decisionId);
      } else b.executiveRejections[ev.reason] = (b.executiveRejections[ev.reason] ?? 0) + 1;
      if (ev.decisionId && b.inflight?.decisionId === ev.decisionId) b.inflight = undefined;
      return;
    }
    if (ev.type === 'rejections_summary') {
      for (const [reason, n] of Object.entries(ev.counts)) {
        b.rejectionsByReason[reason] = (b.rejectionsByReason[reason] ?? 0) + (n ?? 0);
      }
      return;
    }
    if (ev.type === 'decision_accepted') {
      const seen = this.seenDecisions.get(ev.decisionId);
      if (seen) {
        const by = this.sender(seen.keyId);
        by.accepted++;
        const at = seen.requestId !== undefined ? this.requestSeenAt.get(seen.requestId) : undefined;
        if (at !== undefined) {
          by.roundTripsMs.push(Date.now() - at);
          this.requestSeenAt.delete(seen.requestId!);
        }
      }
      const req = this.answerOf.get(ev.decisionId);
      if (req !== undefined) {
        const at = this.requestAt.get(req);
        if (at !== undefined) this.roundTripsMs.push(Date.now() - at);
        this.answerOf.delete(ev.decisionId);
        this.requestAt.delete(req);
      }
      if (b.inflight?.decisionId === ev.decisionId) b.inflight = undefined;
      return;
    }
    if (ev.type === 'decision_failed' && this.o.mode === 'reference' && WORK_KINDS.has(ev.kind)) {
      // Blocked or failed (the executive backs off and retries first): give it once more as the next
      // answer, a fresh decision (a new deliberate start), rather than move on as if it were done.
      const was = b.sent.get(ev.decisionId);
      if (was && !b.retry && !b.retried?.has(ev.decisionId)) {
        b.retry = was;
        (b.retried ??= new Set()).add(ev.decisionId);
      }
      return;
    }
    if (ev.type === 'decision_started' && this.o.mode === 'reference') {
      const f = b.followUp.get(ev.decisionId);
      if (f) {
        b.followUp.delete(ev.decisionId);
        const now = this.o.simTime();
        if (f === 'hold') {
          this.timed.push({
            atS: now + HOLD_AFTER_S,
            robotId: b.id,
            kind: { type: 'hold' },
            priority: PRIORITY.control,
            then: 'resume',
            whileActive: ev.decisionId,
          });
        } else
          this.timed.push({
            atS: now + STOP_AFTER_S,
            robotId: b.id,
            kind: { type: 'stop' },
            priority: PRIORITY.control,
            whileActive: ev.decisionId,
          });
      }
    }
  }

  private matchInjection(robotId: string, reason: string, decisionId?: string): void {
    const open = this.injections.filter((i) => i.robotId === robotId && i.rejectedWith === undefined);
    // By decision id when the rejection names one; else (unparsable or retained payloads, which the
    // bridge refuses before reading an id) the earliest open injection expecting that reason.
    const hit =
      (decisionId !== undefined ? open.find((i) => i.decisionId === decisionId) : undefined) ??
      open.find((i) => i.expectedReason === reason);
    if (hit) hit.rejectedWith = reason;
  }

  /**
   * Reference planner: low battery sends a robot to its dock; a charged robot on its dock hold is
   * resumed; a robot whose e-stop ended is restarted with a new decision (after a reset the gate holds
   * it at zero until a new deliberate start, which the executive gives only for a new decision).
   */
  private onState(b: RobotBook): void {
    if (this.o.mode !== 'reference') return;
    const s = b.lastState;
    if (!s) return;
    const estop = s.mode === 'estop' || s.safety === 'estop';
    if (estop) b.inEstop = true;
    else if (b.inEstop) {
      b.inEstop = false;
      this.timed.push({
        atS: this.o.simTime() + RESTART_AFTER_S,
        robotId: b.id,
        kind: { type: 'resume' },
        priority: PRIORITY.control,
        restart: true,
      });
    }
    if (s.bat === undefined) return;
    if (!b.docking && !b.chargingHold && s.bat < this.lowBattery && !s.chg) {
      const robot = this.o.scenario.robots.find((r) => r.id === b.id)!;
      const dock = dockFor(this.o.scenario, b.profile, robot.start);
      if (!dock) return;
      b.docking = true;
      const id = this.send(b.id, { type: 'dock', approach: { ...dock.pose } }, PRIORITY.dock);
      if (id) b.inflight = { decisionId: id, sentMs: Date.now() };
    } else if (b.chargingHold && s.bat >= 0.9) {
      b.chargingHold = undefined;
      this.send(b.id, { type: 'resume' }, PRIORITY.dock);
    }
  }

  private onRequest(b: RobotBook, payload: Buffer): void {
    const req = JSON.parse(payload.toString('utf8')) as { requestId: string; at: number; reason: string };
    this.requestsSeen++;
    b.requests++;
    if (typeof req.requestId === 'string' && !this.requestSeenAt.has(req.requestId)) {
      remember(this.requestSeenAt, req.requestId, req.at);
    }
    if (this.o.mode !== 'reference') return;
    // A robot reporting its fallback may still be busy: answer it only when its state says idle.
    if (req.reason === 'node_asked' && b.lastState?.mode !== 'idle') return;
    // One answer at a time: while a decision is on its way, an idle robot's repeated asks wait.
    if (b.inflight && Date.now() - b.inflight.sentMs < 5000) return;
    const kind = this.nextFor(b);
    if (!kind) return;
    const decisionId = this.send(b.id, kind.kind, kind.priority, req.requestId);
    if (!decisionId) return;
    this.requestsAnswered++;
    b.inflight = { decisionId, sentMs: Date.now() };
    this.requestAt.set(req.requestId, req.at);
    this.answerOf.set(decisionId, req.requestId);
    if (kind.followUp) b.followUp.set(decisionId, kind.followUp);
  }

  /** The reference planner's next decision for an idle robot. */
  private nextFor(b: RobotBook): { kind: DecisionKind; priority: number; followUp?: 'hold' | 'stop' } | undefined {
    const s = this.o.scenario;
    // After docking: stay on the dock (a hold) until charged; onState resumes.
    if (b.docking) {
      b.docking = false;
      if (b.lastState?.chg) {
        b.chargingHold = 'hold';
        return { kind: { type: 'hold' }, priority: PRIORITY.dock };
      }
    }
    if (b.retry) {
      const r = b.retry;
      b.retry = undefined;
      return r;
    }
    const step = b.step++;
    if (step === 0) {
      return {
        kind: { type: 'set_speed_limit', speedLimit: round2(PROFILE_MAX_SPEED_MPS[b.profile] * 0.8) },
        priority: PRIORITY.control,
      };
    }
    // Cycle: trip (stopped on the way), task, trip (held and resumed), task.
    const phase = (step - 1) % 4;
    if (phase === 1 || phase === 3) {
      const task = taskFor(s, b.profile, b.id, b.tasks++, (b.lastState?.ppl ?? 0) > 0);
      if (task) return { kind: task, priority: PRIORITY.task };
    }
    const trip = navigateFor(s, b.profile, b.trips++, b.id);
    if (!trip) return undefined;
    return { kind: trip, priority: PRIORITY.task, followUp: phase === 0 ? 'stop' : 'hold' };
  }

  /** Runs what is due at sim time `t`: scripted decisions, holds, resumes and stops. */
  tick(t: number): void {
    if (this.o.mode === 'scripted') {
      const ds = this.scripted;
      while (this.scriptedNext < ds.length && ds[this.scriptedNext]!.at_s <= t + 1e-9) {
        const d = ds[this.scriptedNext++]!;
        this.send(d.robot, scriptedKind(this.o.scenario, d), PRIORITY.task);
      }
    }
    for (let i = 0; i < this.timed.length;) {
      const x = this.timed[i]!;
      if (x.atS > t) {
        i++;
        continue;
      }
      this.timed.splice(i, 1);
      if (x.restart) {
        this.restart(x.robotId);
        continue;
      }
      // A trip that already ended is not held or stopped (the robot would hold or cancel its next task).
      if (x.whileActive !== undefined && this.books.get(x.robotId)?.lastState?.dec !== x.whileActive) continue;
      this.send(x.robotId, x.kind, x.priority);
      if (x.then === 'resume') {
        this.timed.push({ atS: t + HOLD_FOR_S, robotId: x.robotId, kind: { type: 'resume' }, priority: x.priority });
      }
    }
  }

  /**
   * Restarts a robot after its e-stop ended: the decision its state names again (a new id: a new
   * deliberate start), or, when it has none, its next decision as if it had asked.
   */
  private restart(robotId: string): void {
    const b = this.books.get(robotId);
    if (!b || b.inEstop) return;
    const cur = b.lastState?.dec !== undefined ? b.sent.get(b.lastState.dec) : undefined;
    const again =
      cur && cur.kind.type !== 'resume' && cur.kind.type !== 'hold' && cur.kind.type !== 'stop' ? cur : undefined;
    const next = again ?? this.nextFor(b);
    if (!next) return;
    const id = this.send(b.id, next.kind, next.priority);
    if (id) b.inflight = { decisionId: id, sentMs: Date.now() };
  }

  /**
   * Per robot: decision requests received from it and decisions sent on its own decision topic (for the
   * runner's network sync at --speed 0, sim/fleet/sync.ts).
   */
  flow(robotId: string): { requests: number; decisions: number } | undefined {
    const b = this.books.get(robotId);
    return b ? { requests: b.requests, decisions: b.direct } : undefined;
  }

  /** [s] sim time of the next scripted decision or timed follow-up (Infinity when none is pending). */
  nextDueS(): number {
    let next = this.o.mode === 'scripted' ? (this.scripted[this.scriptedNext]?.at_s ?? Infinity) : Infinity;
    for (const x of this.timed) next = Math.min(next, x.atS);
    return next;
  }

  /** Publishes a forged or malformed decision to `robotId` (the inject_decision fault). */
  async inject(robotId: string, attack: Attack): Promise<void> {
    const b = this.books.get(robotId);
    if (!b) return;
    const robot = this.o.scenario.robots.find((r) => r.id === robotId)!;
    const other = this.o.scenario.robots.find((r) => r.id !== robotId)?.id ?? `not-${robotId}`.slice(0, 64);
    let replayOf = b.lastPayload;
    if (attack === 'replayed' && !replayOf) {
      // Nothing was delivered yet: deliver a harmless one first, so there is something to replay.
      this.send(robotId, { type: 'set_speed_limit', speedLimit: round2(PROFILE_MAX_SPEED_MPS[b.profile]) }, 0);
      replayOf = b.lastPayload;
      await sleep(300);
    }
    const inj = injectedPayload(attack, {
      robotId,
      fleetId: this.o.fleet,
      profile: b.profile,
      decisionId: this.nextId(robotId, `forged-${attack}`),
      nowMs: Date.now(),
      key: this.o.key,
      forger: this.forger,
      target: { x: robot.start.x, y: robot.start.y, yaw: 0 },
      ...(replayOf ? { replayOf } : {}),
      otherRobot: other,
      otherFleet: `${this.o.fleet}-other`.slice(0, 64),
    });
    const rec: Injection = {
      atS: this.o.simTime(),
      robotId,
      attack,
      expectedReason: inj.expectedReason,
      ...(inj.decisionId !== undefined ? { decisionId: inj.decisionId } : {}),
    };
    this.injections.push(rec);
    if (attack === 'not_allowed_in_broadcast') {
      // Fleet-wide: every robot of the fleet refuses it, each with the same reason.
      await this.client.publishAsync(b.topics.broadcastDecision, inj.payload, { qos: 1 });
      return;
    }
    if (attack !== 'retained') {
      b.direct++;
      await this.client.publishAsync(b.topics.decision, inj.payload, { qos: 1 });
      return;
    }
    // A retained decision reaches a robot when it (re)subscribes: cut its link, leave the decision
    // retained on its topic, restore the link; once the robot has seen it, clear it (link cut again
    // meanwhile, so the clearing message itself never reaches the robot). QoS 0: the robot's
    // persistent session would queue a QoS 1 copy while its link is cut and deliver that one too.
    await this.o.setLink(robotId, false);
    await this.client.publishAsync(b.topics.decision, inj.payload, { qos: 0, retain: true });
    await this.o.setLink(robotId, true);
    const deadline = Date.now() + 10_000;
    while (rec.rejectedWith === undefined && Date.now() < deadline) await sleep(50);
    await this.o.setLink(robotId, false);
    await this.client.publishAsync(b.topics.decision, Buffer.alloc(0), { qos: 0, retain: true });
    await this.o.setLink(robotId, true);
  }

  /** Events received for `robotId` (unique seqs of its current epoch). */
  received(robotId: string): ReadonlySet<number> {
    return this.books.get(robotId)?.events.received ?? new Set();
  }

  /** Disconnects and removes its persistent session from the broker (a clean reconnect under the same id). */
  async close(): Promise<void> {
    if (this.ackTimer) clearInterval(this.ackTimer);
    await this.client.endAsync(true).catch(() => undefined);
    const opts = this.client.options;
    await new Promise<void>((resolve) => {
      // The node it was on last (MQTT.js `servers` leaves it in the options).
      const c = mqtt.connect({
        host: opts.host!,
        port: opts.port!,
        protocol: 'mqtt',
        clientId: opts.clientId!,
        protocolVersion: this.protocol,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 2000,
      });
      const done = (): void => void c.endAsync(true).then(resolve, resolve);
      c.once('connect', done);
      c.once('error', done);
      c.once('close', done);
    });
  }
}

/** The scenario's scripted decisions sorted by time; equal times keep the file's order. */
export function scriptedInOrder(s: Scenario): ScenarioDecision[] {
  return (s.planner.decisions ?? [])
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.at_s - b.d.at_s || a.i - b.i)
    .map(({ d }) => d);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** [entries] most remembered decisions or requests: a run's totals stay right, memory stays bounded. */
const REMEMBER_MAX = 20_000;

/** Sets `key` in `m`, forgetting the oldest entry past REMEMBER_MAX. */
function remember<V>(m: Map<string, V>, key: string, value: V): void {
  m.set(key, value);
  if (m.size > REMEMBER_MAX) m.delete(m.keys().next().value!);
}
