/**
 * cloud_bridge: the robot ↔ national model link over MQTT. ROS inputs become state, events and
 * decision requests (events and requests through the durable outbox); decisions from MQTT are
 * validated (validate.ts) and only then published on the ROS decision topic; the national side's
 * acknowledgements of events (acks.ts) release them from the outbox. Wiring only: the logic lives in
 * logic.ts, validate.ts, policy.ts, rejects.ts, acks.ts, sender.ts, store.ts and link.ts.
 */
import { serveParameters } from '../core/runtime-params';
import type { z } from 'zod';
import type { LifecycleCallbacks, RosNode, Publisher } from '../core/graph/types';
import { managedNode } from '../core/managed';
import type { NodeDefinition } from '../core/runner';
import { KizunaError, isKizunaError } from '../core/errors';
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import {
  CONTRACT_VERSION,
  decisionRequestSchema,
  eventSchema,
  robotTopics,
  stateSchema,
  topicsClearedAtConnect,
  type RobotEventDraft,
  type RobotTopics,
  type State,
} from '../core/contract';
import { paramsSchema, type Params } from './params';
import { ProgressFilter, RobotPicture, fitState, requestPayload, significantChange } from './logic';
import { applyEventPolicy, applyRequestPolicy, applyStatePolicy, type DataPolicy } from './policy';
import { BridgeStore } from './store';
import { OutboxSender } from './sender';
import { MqttLink } from './link';
import type { ValidatorConfig } from './validate';
import { clientIdOf, defaultStorePath, effectivePolicy, linkOptions, loadKeys, validatorConfig } from './config';
import { DecisionInbox } from './inbound';
import { AckInbox } from './acks';
import { encodeChecked, outboxProperties, statusPayload } from './payloads';
import { openAudit, removedKeys } from './audit-setup';
import type { AuditLog } from './audit-log';
import type { AuditTap } from './audit-tap';
import type { AuditCategory } from '../core/audit/record';
import { SessionWatch, disconnectReasonText, sessionDiagnostic, type RefusalReport } from './session-watch';
import { refusalText } from '../core/mqtt-refusal';
import { VdaBridge } from './vda5050/bridge';
import { storeDiagnostic, storeFault, type StoreFault } from './store-fault';

export { defaultStorePath, effectivePolicy };

const MQTT_V = MESSAGE_CONSTANTS['kizuna_msgs/msg/BridgeStatus'];
const ZERO_TIME = { sec: 0, nanosec: 0 };
/** A zero-length retained message clears the retained one on its topic. */
const EMPTY = Buffer.alloc(0);
/** [bytes] the state payload budget of the contract. */
const STATE_MAX_BYTES = 256;

/** One running bridge. `stop()` publishes the shutdown status and disconnects. */
export class CloudBridge {
  readonly params: Params;
  readonly topics: RobotTopics;
  readonly store: BridgeStore;
  readonly link: MqttLink;
  readonly policy: DataPolicy;
  private readonly picture = new RobotPicture();
  private readonly progress: ProgressFilter;
  private readonly sender: OutboxSender;
  private readonly inbox: DecisionInbox;
  private readonly acks: AckInbox;
  private readonly validator: ValidatorConfig;
  private readonly statusPub: Publisher<'kizuna_msgs/msg/BridgeStatus'>;
  private readonly diagPub: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  private readonly session: SessionWatch;
  /** The audit log and its packet tap (audit_enabled). */
  readonly audit: { log: AuditLog; tap: AuditTap } | undefined;
  private takeoverSuspected = false;
  /** The birth (online status) of the current connection and when it was last published [ms]. */
  private birth: { payload: Buffer; sentMs: number } | undefined;
  private lastState: State | undefined;
  private lastStateSentMs = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpDueMs = 0;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly wallTimers: NodeJS.Timeout[] = [];
  private stopped = false;
  private sent = 0n;
  private dropped = 0n;
  private lastTx = ZERO_TIME;
  private lastError = '';
  /** The outbox store's last refused write, until a write succeeds. */
  private storeFailure: StoreFault | undefined;
  /** The broker's last CONNACK refusal, until a connect succeeds. */
  private refusal: RefusalReport | undefined;

  /** `params`: already declared (a managed bridge declares once, then builds a bridge per configure). */
  constructor(
    private readonly node: RosNode,
    private readonly now: () => number = Date.now,
    params?: Params,
  ) {
    const p = params ?? declareBridgeParameters(node);
    this.params = p;
    this.topics = robotTopics(p.topic_root, p.fleet, p.robot_id);
    this.policy = effectivePolicy(p);
    this.progress = new ProgressFilter(p.progress_event_step);
    const keys = loadKeys(p, node.name);
    if (p.allow_unsigned) {
      node.logger.warn(
        'allow_unsigned is true: UNSIGNED DECISIONS ARE ACCEPTED. Development only, never on a robot in service.',
      );
    }
    if (p.accept_decisions_without_fleet) node.logger.warn('decisions without fleetId are ACCEPTED (migration only)');
    this.validator = validatorConfig(p, keys);
    const storePath = p.store_path || defaultStorePath(p.fleet, p.robot_id);
    this.store = new BridgeStore(storePath, {
      robotId: p.robot_id,
      synchronous: p.store_sync,
      softMaxMessages: Math.min(p.outbox_soft_max_messages, p.outbox_max_messages),
      maxMessages: p.outbox_max_messages,
      maxBytes: p.outbox_max_bytes,
    });
    this.sender = new OutboxSender(this.store, {
      maxInflight: p.outbox_max_inflight,
      ratePerSec: p.outbox_rate_per_s,
      burst: Math.max(1, Math.min(p.outbox_rate_per_s, 1000)),
      defer: (flush) => void setImmediate(() => this.guard('removing acknowledged messages', flush)),
      ack: {
        mode: p.end_to_end_ack,
        timeoutMs: p.ack_timeout_s * 1000,
        timeoutMaxMs: Math.max(p.ack_timeout_s, p.ack_timeout_max_s) * 1000,
        window: p.ack_window_messages,
      },
    });
    this.acks = new AckInbox({
      store: this.store,
      sender: this.sender,
      robotId: p.robot_id,
      now: () => this.now(),
      declareFloor: () => this.enqueueLoss(true),
      pump: () => this.schedulePump(0),
      debug: (text) => node.logger.debug(text),
      error: (text) => this.setError(text),
    });
    try {
      this.audit = openAudit(
        p,
        storePath,
        this.topics,
        this.policy,
        () => this.now(),
        (t) => this.setError(t),
      );
    } catch (err) {
      this.store.close(); // the node does not start: nothing of it stays open
      throw err;
    }
    const tap = this.audit?.tap;
    this.link = new MqttLink({
      ...linkOptions(p, this.topics, this.statusPayload('offline', 'connection_lost')),
      ...(tap ? { onClient: (c) => tap.attach(c) } : {}),
    });

    const decisionPub = node.createPublisher('kizuna_msgs/msg/Decision', p.decision_topic);
    const replay = this.store.replayStore();
    this.inbox = new DecisionInbox({
      topics: this.topics,
      validator: this.validator,
      replay,
      rejectEventsPerS: p.reject_events_per_s,
      now: () => this.now(),
      rosNow: () => node.now(),
      publish: (d) => decisionPub.publish(d),
      report: (ev) => this.enqueueEvent(ev, 'event'),
      debug: (text) => node.logger.debug(text),
      error: (text) => this.setError(text),
    });
    this.statusPub = node.createPublisher('kizuna_msgs/msg/BridgeStatus', p.bridge_status_topic);
    const heartbeat = node.createPublisher('std_msgs/msg/String', p.heartbeat_topic);
    this.diagPub = node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic);
    this.session = new SessionWatch({
      sessions: p.takeover_sessions,
      windowMs: p.takeover_window_s * 1000,
      shortSessionMs: p.takeover_short_session_s * 1000,
    });

    node.createSubscription('kizuna_msgs/msg/WorldSummary', p.world_summary_topic, (m) => {
      this.picture.onWorld(m);
      this.maybeSendState(false);
    });
    node.createSubscription('kizuna_msgs/msg/SafetyState', p.safety_state_topic, (m) => {
      const paused = this.picture.localPauseEvent(m, this.now(), p.robot_id);
      if (paused) this.enqueueEvent(paused, 'event');
      const ev = this.picture.onSafety(m, this.now(), p.robot_id);
      if (ev) this.enqueueEvent(ev, 'event');
      this.maybeSendState(false);
    });
    node.createSubscription('kizuna_msgs/msg/HealthSummary', p.health_topic, (m) => {
      for (const ev of this.picture.onHealth(m, this.now(), p.robot_id)) {
        this.enqueueEvent(ev, ev.type === 'health' ? 'telemetry' : 'event');
      }
      this.maybeSendState(false);
    });
    node.createSubscription('kizuna_msgs/msg/DecisionStatus', p.decision_status_topic, (m) => {
      const ev = this.picture.onDecisionStatus(m, this.now(), p.robot_id);
      if (ev?.type === 'decision_progress' && !this.progress.pass(ev)) {
        // nothing new beyond what `state` carries (progress_event_step)
      } else if (ev) this.enqueueEvent(ev, ev.type === 'decision_progress' ? 'telemetry' : 'event');
      else {
        this.setError(
          `DecisionStatus not forwarded: state ${m.state} is not a DecisionStatus.STATE_* or decision_id has ${m.decision_id.length} characters (1 to 64 allowed)`,
        );
      }
      this.maybeSendState(false);
    });
    node.createSubscription('kizuna_msgs/msg/DecisionRequest', p.decision_request_topic, (m) => {
      if (m.request_id.length === 0 || m.request_id.length > 64) {
        this.setError(`DecisionRequest with request_id of ${m.request_id.length} characters ignored (1 to 64 allowed)`);
        return;
      }
      const full = requestPayload(m, p.robot_id, p.profile, this.now());
      const req = applyRequestPolicy(full, this.policy);
      if (req !== full) this.audit?.tap.policy('decision_request', removedKeys(full, req));
      const payload = this.encode(decisionRequestSchema, req, 'decision/request', 'decision_request');
      if (!payload) return;
      try {
        this.store.enqueue(this.topics.decisionRequest, 'request', this.now(), payload);
      } catch (err) {
        this.storeFailed(err, 'decision request');
        return;
      }
      this.storeWritable();
      const reason = req.reason;
      this.enqueueEvent(
        {
          v: CONTRACT_VERSION,
          robotId: p.robot_id,
          at: req.at,
          type: 'decision_requested',
          requestId: req.requestId,
          reason,
        },
        'event',
      );
    });

    node.createTimer(p.state_period_s, () => this.maybeSendState(true));
    node.createTimer(1, () => heartbeat.publish({ data: node.name }));
    this.statusTimer = setInterval(() => this.tick(), 1000);
    this.wallTimers.push(this.statusTimer);
    this.wallTimers.push(setInterval(() => replay.prune(this.now(), this.validator.clockSkewMs), 60_000));
    if (this.audit) this.wallTimers.push(setInterval(() => this.audit?.log.prune(), 3_600_000));

    this.link.on('connected', (_v, sessionPresent, url) => this.onConnected(sessionPresent, url));
    this.link.on('refused', (r, url) => {
      // A refusal does not heal by retrying: it is an error until a connect succeeds (one line per change).
      const text = `${url}: ${refusalText(r)} (KZ_ERR_MQTT_REFUSED): ${r.fix}`;
      const report: RefusalReport = { url, code: r.code, text: refusalText(r), fix: r.fix };
      if (this.refusal?.text !== report.text || this.refusal.url !== url) this.node.logger.error(text);
      this.refusal = report;
      this.lastError = text.slice(0, 500);
      this.reportSession();
    });
    this.link.on('disconnected', (reasonCode) => {
      this.birth = undefined;
      this.guard('reporting the session end', () => this.onSessionEnded(reasonCode));
      this.publishStatus();
    });
    this.link.on('error', (err) => this.setError(err.message));
    this.link.on('message', (topic, payload, retained) =>
      topic === this.topics.eventsAck
        ? this.acks.handle(payload, retained)
        : this.inbox.handle(topic, payload, retained),
    );
  }

  /** [count] messages received on this robot's own decision topic since start (valid or not). */
  get decisionsReceived(): number {
    return this.inbox.direct;
  }

  /** [count] messages waiting in the outbox. */
  get outboxDepth(): number {
    return this.store.depth;
  }

  /** Starts connecting. */
  start(): void {
    this.link.start();
    this.publishStatus();
  }

  /** Runs `fn`, reporting instead of throwing (for timer and transport callbacks). */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.setError(`${what} failed: ${(err as Error).message}`);
    }
  }

  /** A write the outbox store refused: KZ_ERR_BRIDGE_STORE (logged once per episode) and the health fault. */
  private storeFailed(err: unknown, what: string): void {
    const f = storeFault(err, this.store.path, what);
    if (this.storeFailure?.code !== f.code) this.node.logger.error(f.text);
    this.storeFailure = f;
    this.lastError = f.text.slice(0, 500);
    this.publishStoreDiagnostic();
  }

  /** A write succeeded: a store fault, if any, is over. */
  private storeWritable(): void {
    if (!this.storeFailure) return;
    this.storeFailure = undefined;
    this.node.logger.info(`the outbox store '${this.store.path}' takes writes again`);
    this.publishStoreDiagnostic();
  }

  private publishStoreDiagnostic(): void {
    this.diagPub.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      status: [storeDiagnostic(this.storeFailure, this.store.path)],
    });
  }

  private setError(text: string): void {
    this.lastError = text.slice(0, 500);
    this.node.logger.warn(text);
  }

  private statusPayload(status: 'online' | 'offline', reason?: 'connection_lost' | 'shutdown'): Buffer {
    const log = (t: string): void => void this.node.logger.error(t);
    return statusPayload(this.params, this.validator.maxSpeedMps, this.now(), status, reason, log);
  }

  /** The payload if it matches the contract (KZ_ERR_CONTRACT_INVALID logged, and audited as refused, otherwise). */
  private encode<S extends z.ZodType>(
    schema: S,
    value: z.input<S>,
    what: string,
    c: AuditCategory,
  ): Buffer | undefined {
    const log = (t: string): void => {
      this.node.logger.error(t);
      this.audit?.tap.refused(c, 'KZ_ERR_CONTRACT_INVALID', t);
    };
    return encodeChecked(schema, value, what, this.params.max_outbound_bytes, log);
  }

  private enqueueEvent(draft: RobotEventDraft, cls: 'event' | 'telemetry'): void {
    const ev = applyEventPolicy(draft, this.policy);
    const c = cls === 'telemetry' ? 'telemetry' : 'events';
    if (ev !== draft) this.audit?.tap.policy(c, removedKeys(draft, ev), draft.type);
    const before = this.store.pendingLoss();
    try {
      this.store.enqueueEvent(this.topics.events, cls, this.now(), (seq) => {
        const full = { ...ev, epoch: this.store.epoch, seq } as z.input<typeof eventSchema>;
        const payload = this.encode(eventSchema, full, `event ${ev.type}`, c);
        if (!payload) throw new KizunaError('KZ_ERR_CONTRACT_INVALID', `event ${ev.type} not sent`);
        return payload;
      });
    } catch (err) {
      if (!isKizunaError(err, 'KZ_ERR_CONTRACT_INVALID')) this.storeFailed(err, `event ${ev.type}`);
      return;
    }
    this.storeWritable();
    const after = this.store.pendingLoss();
    const n = (l: typeof after): number => (l ? l.events + l.requests + l.telemetry : 0);
    if (n(after) > n(before)) this.dropped += BigInt(n(after) - n(before));
    this.schedulePump(0);
  }

  /** The loss event of what was dropped, once there is room; `floorOnly`: also with nothing dropped (a floor). */
  private enqueueLoss(floorOnly = false): void {
    const loss = this.store.pendingLoss();
    if (!loss && !floorOnly) return;
    // Report loss only once there is room again, so the report itself is not what gets dropped.
    if (this.store.depth >= this.params.outbox_soft_max_messages) return;
    try {
      this.store.enqueueLossEvent(this.topics.events, this.now(), floorOnly, (seq, l) => {
        const ev: z.input<typeof eventSchema> = {
          v: CONTRACT_VERSION,
          robotId: this.params.robot_id,
          epoch: this.store.epoch,
          seq,
          at: this.now(),
          type: 'loss',
          droppedEvents: l.events,
          droppedRequests: l.requests,
          droppedTelemetry: l.telemetry,
          droppedBytes: l.bytes,
          ...(l.firstSeq ? { firstSeq: l.firstSeq } : {}),
          ...(l.lastSeq ? { lastSeq: l.lastSeq } : {}),
          floorSeq: l.floorSeq,
        };
        const payload = this.encode(eventSchema, ev, 'loss event', 'events');
        if (!payload) throw new KizunaError('KZ_ERR_CONTRACT_INVALID', 'loss event not sent');
        return payload;
      });
    } catch (err) {
      this.setError(`outbox: ${(err as Error).message}`);
    }
  }

  private schedulePump(delayMs: number): void {
    if (this.stopped || !this.link.connected) return;
    const due = performance.now() + delayMs;
    if (this.pumpTimer) {
      // A later pump (e.g. the retransmit timer) must not hold back what can go now.
      if (due >= this.pumpDueMs) return;
      clearTimeout(this.pumpTimer);
    }
    this.pumpDueMs = due;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, delayMs);
  }

  private pump(): void {
    if (!this.link.connected) return;
    const next = this.sender.pump(
      this.now(),
      (row, done) => {
        const props = outboxProperties(row.topic, row.payload, this.topics);
        const ok = this.link.publish(row.topic, row.payload, { qos: 1, properties: props }, (err) => {
          done(!err);
          if (!err) {
            this.sent++;
            this.lastTx = this.node.now();
            this.schedulePump(0);
          }
        });
        if (!ok) done(false);
      },
      () => performance.now(),
    );
    if (next !== undefined) this.schedulePump(next);
  }

  private onConnected(sessionPresent: boolean, url: string): void {
    if (this.refusal) {
      this.refusal = undefined;
      this.lastError = '';
      this.reportSession();
    }
    const p = this.params;
    const session =
      p.session_expiry_s === 0
        ? 'clean session'
        : sessionPresent
          ? 'session resumed: decisions queued while the link was down follow'
          : `new session (expiry ${p.session_expiry_s} s): nothing was queued for this robot before it`;
    this.node.logger.info(`connected to ${url} as ${clientIdOf(p)}, ${session}`);
    this.session.onConnected(this.now());
    // Before the birth: clear what a copy of this robot's credential may have retained on its topics
    // that are never retained (contract: consumers ignore these zero-length messages).
    for (const topic of topicsClearedAtConnect(this.topics)) this.link.publish(topic, EMPTY, { qos: 1, retain: true });
    this.birth = { payload: this.statusPayload('online'), sentMs: 0 };
    this.publishBirth();
    this.sender.reset();
    this.enqueueLoss();
    this.schedulePump(0);
    this.lastStateSentMs = 0;
    this.maybeSendState(true);
    this.publishStatus();
  }

  /** Publishes the birth (again, unchanged: a refresh keeps its `at`) so a forged retained offline does not stand. */
  private publishBirth(): void {
    const b = this.birth;
    if (!b) return;
    const sent = this.link.publish(this.topics.status, b.payload, {
      qos: 1,
      retain: true,
      properties: { contentType: 'application/json' },
    });
    if (sent) b.sentMs = this.now();
  }

  /** Logs how a session ended and reports a possible takeover when such ends pile up. */
  private onSessionEnded(reasonCode: number | undefined): void {
    const end = this.session.onEnded(this.now(), reasonCode);
    this.node.logger.warn(
      `MQTT session ended after ${(end.durationMs / 1000).toFixed(1)} s: ${disconnectReasonText(reasonCode)}` +
        (end.suspicious ? ' (counts towards a possible takeover)' : ''),
    );
    this.reportSession();
  }

  /** The session diagnostics entry (health turns a suspected takeover into CLOUD_SESSION_TAKEOVER). */
  private reportSession(): void {
    const verdict = this.session.verdict(this.now());
    if (verdict.suspected && !this.takeoverSuspected) {
      this.lastError = verdict.message.slice(0, 500);
      this.node.logger.error(verdict.message);
    }
    this.takeoverSuspected = verdict.suspected;
    this.diagPub.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      status: [sessionDiagnostic(verdict, clientIdOf(this.params), this.refusal)],
    });
  }

  /** Once a second (wall clock): status, flood summary, loss report, state freshness. */
  private tick(): void {
    try {
      const summary = this.inbox.limiter.flush(this.now());
      if (summary) {
        this.enqueueEvent(
          {
            v: CONTRACT_VERSION,
            robotId: this.params.robot_id,
            at: this.now(),
            type: 'rejections_summary',
            windowMs: Math.round(summary.windowMs),
            counts: summary.counts,
          },
          'event',
        );
      }
      this.enqueueLoss();
      this.publishStatus();
      this.reportSession();
      if (this.storeFailure) this.publishStoreDiagnostic();
      // acknowledged messages the store could not remove yet (a full filesystem) are retried
      this.guard('removing acknowledged messages', () => this.sender.flushAcks());
      const refresh = this.params.status_refresh_s * 1000;
      if (refresh > 0 && this.birth && this.now() - this.birth.sentMs >= refresh) this.publishBirth();
      this.schedulePump(0);
    } catch (err) {
      this.setError(`periodic work failed: ${(err as Error).message}`);
    }
  }

  private maybeSendState(periodic: boolean): void {
    if (this.stopped) return;
    const nowMs = this.now();
    const s = applyStatePolicy(this.picture.state(nowMs), this.policy);
    if (!periodic) {
      if (!significantChange(this.lastState, s, this.params.state_move_m)) return;
      if (nowMs - this.lastStateSentMs < this.params.state_min_interval_s * 1000) return;
    } else if (nowMs - this.lastStateSentMs < this.params.state_period_s * 500) {
      // A state on change went out less than half a period ago: this period is covered.
      return;
    }
    this.lastState = s;
    if (!this.link.connected) return;
    const checked = stateSchema.safeParse(s);
    if (!checked.success) {
      const i = checked.error.issues[0];
      const text = `KZ_ERR_CONTRACT_INVALID: outbound state: ${i?.path.map(String).join('.')}: ${i?.message}`;
      this.node.logger.error(text);
      this.audit?.tap.refused('state', 'KZ_ERR_CONTRACT_INVALID', text);
      return;
    }
    const fitted = fitState(s, STATE_MAX_BYTES);
    if (fitted.shed.length > 0) {
      this.node.logger.debug(`state over ${STATE_MAX_BYTES} bytes: left out ${fitted.shed.join(', ')}`);
      this.audit?.tap.policy('state', fitted.shed);
    }
    const payload = Buffer.from(fitted.json);
    this.lastStateSentMs = nowMs;
    if (
      this.link.publish(this.topics.state, payload, {
        qos: 0,
        retain: false,
        properties: { contentType: 'application/json', messageExpiryInterval: 10 },
      })
    ) {
      this.sent++;
      this.lastTx = this.node.now();
    }
  }

  /** Publishes BridgeStatus now. */
  publishStatus(): void {
    if (this.stopped) return;
    const oldest = this.store.oldestCreatedMs();
    const totals = [...this.inbox.limiter.totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    this.statusPub.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      connected: this.link.connected,
      mqtt_protocol_version: this.params.mqtt_version === 4 ? MQTT_V.MQTT_V311 : MQTT_V.MQTT_V5,
      reconnect_count: Math.max(0, this.link.connects - 1),
      outbox_depth: this.store.depth,
      outbox_bytes: BigInt(this.store.depthBytes),
      outbox_oldest_age: oldest === undefined ? 0 : Math.max(0, (this.now() - oldest) / 1000),
      outbox_dropped_count: this.dropped,
      last_event_seq: BigInt(this.store.lastSeq),
      sent_count: this.sent,
      received_count: this.inbox.received,
      rejected_count: BigInt(this.inbox.limiter.total),
      reject_reasons: totals.map(([r]) => r),
      reject_counts: totals.map(([, n]) => BigInt(n)),
      forwarded_count: this.inbox.forwarded,
      round_trip_latency: this.sender.lastAckLatencyMs / 1000,
      last_error: this.lastError || this.link.lastError,
      last_rx: this.inbox.lastRx,
      last_tx: this.lastTx,
      data_profile: this.params.profile,
    });
  }

  /** Publishes `offline`/`shutdown`, disconnects and closes the store. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.wallTimers) clearInterval(t);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    await this.link.stop({ topic: this.topics.status, payload: this.statusPayload('offline', 'shutdown') });
    this.guard('removing acknowledged messages', () => this.sender.flushAcks());
    this.store.close();
    this.audit?.tap.finish();
    this.audit?.log.close();
  }
}

/** Declares cloud_bridge's parameters on `node` and serves them (all read-only). */
export function declareBridgeParameters(node: RosNode): Params {
  const p = node.declareParameters(paramsSchema);
  // ros2 param get/list/describe work; nothing changes while it runs (every parameter is read-only)
  serveParameters(node, paramsSchema, p, { settable: [] });
  return p;
}

/** Starts `bridge` on `node`; destroying the node stops the bridge (shutdown status, disconnect). */
function run<B extends { start(): void; stop(): Promise<void> }>(node: RosNode, bridge: B): B {
  const destroy = node.destroy.bind(node);
  node.destroy = () => {
    void bridge.stop();
    destroy();
  };
  bridge.start();
  return bridge;
}

/** Wires cloud_bridge onto `node`; destroying the node stops the bridge (shutdown status, disconnect). */
export function startBridge(node: RosNode, now?: () => number): CloudBridge {
  return run(node, new CloudBridge(node, now));
}

/** A running bridge of either protocol. */
export type AnyBridge = CloudBridge | VdaBridge;

/** The bridge its `protocol` parameter asks for: the kizuna contract or VDA 5050 (docs/vda5050.md). */
export function createBridge(node: RosNode, now?: () => number, params?: Params): AnyBridge {
  const p = params ?? declareBridgeParameters(node);
  return p.protocol === 'vda5050' ? new VdaBridge(node, p, now) : new CloudBridge(node, now, p);
}

/** As {@link startBridge}, for either protocol. */
export function startAnyBridge(node: RosNode, now?: () => number): AnyBridge {
  return run(node, createBridge(node, now));
}

/**
 * cloud_bridge as `kizuna run` starts it (managed or not): configure opens the store, connects to the
 * broker (the `online` status) and subscribes; active, decisions and BridgeStatus go out on ROS (lifecycle
 * publishers: inactive, they are dropped); cleanup and shutdown publish `offline`/`shutdown`, disconnect,
 * close the store and destroy the subscriptions. Destroying the node does the same. With `protocol:
 * vda5050` the same, speaking VDA 5050 (ONLINE / OFFLINE on its connection topic).
 */
export function startManagedBridge(node: RosNode, now?: () => number): LifecycleCallbacks {
  const p = declareBridgeParameters(node);
  let bridge: AnyBridge | undefined;
  const destroy = node.destroy.bind(node);
  node.destroy = () => {
    void bridge?.stop();
    destroy();
  };
  return managedNode(node, {
    configure: (res) => {
      const b = createBridge(res.asNode(), now, p);
      bridge = b;
      res.onClose(() => {
        if (bridge === b) bridge = undefined;
        void b.stop();
      });
      b.start();
      return b;
    },
  });
}

export const definition: NodeDefinition = {
  name: 'cloud_bridge',
  start: (node) => startManagedBridge(node),
};
