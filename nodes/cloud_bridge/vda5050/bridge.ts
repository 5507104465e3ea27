/**
 * cloud_bridge speaking VDA 5050 2.0 (`protocol: vda5050`): the same MQTT link (link.ts: backoff,
 * failover, TLS, persistent session), audit log, data policy and ROS interface as the kizuna contract,
 * with a master control instead of the national model on the other side. Wiring only: inbound checks are
 * in inbound.ts, orders and instant actions in agent.ts, what goes to the master control in outbound.ts
 * (state, visualization, factsheet, connection: ONLINE at connect and every status_refresh_s, OFFLINE at a
 * clean stop, CONNECTIONBROKEN as the last will), what goes to kizuna's nodes in ros-side.ts (the agent's
 * commands as kizuna_msgs/Decision for the executive to judge like any decision; logReport to black_box).
 * BridgeStatus and heartbeat as in kizuna mode (the executive's local fallback reads `connected`).
 */
import { randomBytes } from 'node:crypto';
import type { Publisher, RosNode, ServiceClient } from '../../core/graph/types';
import { KizunaError } from '../../core/errors';
import { MESSAGE_CONSTANTS } from '../../core/interfaces/generated';
import { robotTopics } from '../../core/contract';
import { timeToSec } from '../../core/graph/clock';
import { refusalText } from '../../core/mqtt-refusal';
import type { Params } from '../params';
import { PROFILE_MAX_SPEED_MPS } from '../params';
import { MqttLink } from '../link';
import { clientIdOf, defaultStorePath, effectivePolicy, linkOptions } from '../config';
import type { DataPolicy } from '../policy';
import { openAudit } from '../audit-setup';
import type { AuditLog } from '../audit-log';
import type { AuditTap } from '../audit-tap';
import { SessionWatch, disconnectReasonText, sessionDiagnostic, type RefusalReport } from '../session-watch';
import { VdaAgent, type Command } from './agent';
import { readInstantActions, readOrder } from './inbound';
import { VdaPicture } from './state';
import { PROFILE_NODE_ACTIONS } from './profiles';
import { VdaOutbound } from './outbound';
import { OUTCOMES, askBlackBox, decisionOf } from './ros-side';
import { vdaTopics, type VdaTopics } from './types';

const MQTT_V = MESSAGE_CONSTANTS['kizuna_msgs/msg/BridgeStatus'];
const ZERO_TIME = { sec: 0, nanosec: 0 };
/** [s] the agent's clock tick (node time: sim time in the simulation). */
const TICK_S = 0.1;

/**
 * VDA 5050 carries no signatures: who may command the robot is the broker's business (mutual TLS and an
 * ACL letting only the master control write the robot's order and instantActions topics). Without a
 * client certificate the bridge starts only with allow_unsigned (development), as in kizuna mode.
 */
export function checkVdaTrust(p: Params, nodeName: string): void {
  if (p.allow_unsigned || (p.tls_cert_file && p.tls_key_file)) return;
  throw new KizunaError(
    'KZ_ERR_BRIDGE_CONFIG',
    'protocol vda5050 carries no signatures: it needs mutual TLS (tls_cert_file, tls_key_file) so the broker can hold the master control to its ACL, or allow_unsigned (development only)',
    { node: nodeName, entity: 'protocol' },
  );
}

/** Orders and errors of one robot's VDA 5050 run (the sim's report sums them). */
export interface VdaCounts {
  ordersTaken: number;
  ordersFinished: number;
  ordersCancelled: number;
  ordersFailed: number;
  /** VDA errors the bridge reported, by errorType. */
  errors: Record<string, number>;
}

/** One running VDA 5050 bridge. */
export class VdaBridge {
  readonly params: Params;
  readonly topics: VdaTopics;
  readonly link: MqttLink;
  readonly policy: DataPolicy;
  readonly agent: VdaAgent;
  readonly audit: { log: AuditLog; tap: AuditTap } | undefined;
  private readonly picture: VdaPicture;
  private readonly out: VdaOutbound;
  private readonly decisionPub: Publisher<'kizuna_msgs/msg/Decision'>;
  private readonly statusPub: Publisher<'kizuna_msgs/msg/BridgeStatus'>;
  private readonly diagPub: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  private readonly captureClient: ServiceClient<'std_srvs/srv/Trigger'>;
  private readonly session: SessionWatch;
  private readonly reportLoads: boolean;
  private readonly wallTimers: NodeJS.Timeout[] = [];
  private stopped = false;
  private received = 0n;
  private refusedCount = 0n;
  private readonly refusedByType = new Map<string, number>();
  private lastRx = ZERO_TIME;
  private lastError = '';
  private refusal: RefusalReport | undefined;
  /** Orders and instant action messages received on this robot's topics (valid or not). */
  messagesReceived = 0;

  constructor(
    private readonly node: RosNode,
    p: Params,
    private readonly now: () => number = Date.now,
  ) {
    checkVdaTrust(p, node.name);
    if (p.allow_unsigned && !(p.tls_cert_file && p.tls_key_file)) {
      node.logger.warn(
        'protocol vda5050 with allow_unsigned and no client certificate: ANYONE WHO CAN WRITE THE ORDER TOPIC COMMANDS THIS ROBOT. Development only.',
      );
    }
    this.params = p;
    const serial = p.vda5050_serial_number || p.robot_id;
    this.topics = vdaTopics(p.vda5050_interface_name, p.vda5050_manufacturer, serial);
    this.policy = effectivePolicy(p);
    this.picture = new VdaPicture(p.vda5050_map_id);
    const nodeActions = PROFILE_NODE_ACTIONS[p.profile];
    this.reportLoads = nodeActions.includes('pick');
    this.agent = new VdaAgent(
      {
        mapId: p.vda5050_map_id,
        nodeActions: new Set(nodeActions),
        geofence: p.vda5050_geofence,
        maxSpeedMps: p.max_speed_mps > 0 ? p.max_speed_mps : PROFILE_MAX_SPEED_MPS[p.profile],
        nodeDeviationM: p.vda5050_node_deviation_m,
        initPositionToleranceM: p.vda5050_init_position_tolerance_m,
        loadHandlingS: p.vda5050_load_handling_s,
      },
      randomBytes(4).toString('hex'),
    );
    const kizunaTopics = robotTopics(p.topic_root, p.fleet, p.robot_id);
    const storePath = p.store_path || defaultStorePath(p.fleet, p.robot_id);
    this.audit = openAudit(
      p,
      storePath,
      kizunaTopics,
      this.policy,
      () => this.now(),
      (t) => this.setError(t),
      this.topics,
    );
    const tap = this.audit?.tap;
    this.out = new VdaOutbound({
      node,
      params: p,
      topics: this.topics,
      agent: this.agent,
      picture: this.picture,
      policy: this.policy,
      reportLoads: this.reportLoads,
      tap,
      now: () => this.now(),
    });
    const will = this.out.connection('CONNECTIONBROKEN');
    this.link = new MqttLink({
      ...linkOptions(p, kizunaTopics, will ?? Buffer.alloc(0)),
      will: { topic: this.topics.connection, payload: will ?? Buffer.alloc(0) },
      subscriptions: [this.topics.order, this.topics.instantActions],
      ...(tap ? { onClient: (c) => tap.attach(c) } : {}),
    });
    this.out.attach(this.link);

    this.decisionPub = node.createPublisher('kizuna_msgs/msg/Decision', p.decision_topic);
    this.statusPub = node.createPublisher('kizuna_msgs/msg/BridgeStatus', p.bridge_status_topic);
    this.diagPub = node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic);
    const heartbeat = node.createPublisher('std_msgs/msg/String', p.heartbeat_topic);
    this.captureClient = node.createClient('std_srvs/srv/Trigger', p.vda5050_black_box_service);
    this.session = new SessionWatch({
      sessions: p.takeover_sessions,
      windowMs: p.takeover_window_s * 1000,
      shortSessionMs: p.takeover_short_session_s * 1000,
    });

    node.createSubscription('kizuna_msgs/msg/WorldSummary', p.world_summary_topic, (m) => this.picture.onWorld(m));
    node.createSubscription('kizuna_msgs/msg/SafetyState', p.safety_state_topic, (m) => {
      this.picture.onSafety(m);
      this.out.maybeSendState(false);
    });
    node.createSubscription('kizuna_msgs/msg/HealthSummary', p.health_topic, (m) => {
      this.picture.onHealth(m);
      this.out.maybeSendState(false);
    });
    node.createSubscription('kizuna_msgs/msg/DecisionStatus', p.decision_status_topic, (m) => {
      const outcome = OUTCOMES[m.state];
      if (!outcome) return;
      this.guard('a decision status', () => {
        this.agent.onDecision(m.decision_id, outcome, m.reason_code, m.message, this.picture.robot());
        this.flush();
      });
    });
    node.createTimer(TICK_S, () =>
      this.guard('the VDA 5050 tick', () => {
        this.agent.tick(this.nodeSec(), this.picture.robot());
        this.flush();
        this.out.maybeSendState(false);
      }),
    );
    if (p.vda5050_visualization_period_s > 0) {
      node.createTimer(p.vda5050_visualization_period_s, () => this.out.sendVisualization());
    }
    node.createTimer(1, () => heartbeat.publish({ data: node.name }));
    this.wallTimers.push(
      setInterval(() => {
        this.publishStatus();
        this.guard('refreshing ONLINE', () => this.out.refreshOnline());
      }, 1000),
    );

    this.link.on('connected', (_v, _sessionPresent, url) => this.guard('connecting', () => this.onConnected(url)));
    this.link.on('refused', (r, url) => {
      const text = `${url}: ${refusalText(r)} (KZ_ERR_MQTT_REFUSED): ${r.fix}`;
      if (this.refusal?.text !== refusalText(r) || this.refusal.url !== url) node.logger.error(text);
      this.refusal = { url, code: r.code, text: refusalText(r), fix: r.fix };
      this.lastError = text.slice(0, 500);
      this.reportSession();
    });
    this.link.on('disconnected', (reasonCode) => {
      this.guard('reporting the session end', () => {
        const end = this.session.onEnded(this.now(), reasonCode);
        node.logger.warn(
          `MQTT session ended after ${(end.durationMs / 1000).toFixed(1)} s: ${disconnectReasonText(reasonCode)}`,
        );
        this.reportSession();
      });
      this.publishStatus();
    });
    this.link.on('error', (err) => this.setError(err.message));
    this.link.on('message', (topic, payload, retained) =>
      this.guard(`a message on '${topic}'`, () => this.onMessage(topic, payload, retained)),
    );
  }

  /** Orders and instant actions received (the sim's `decisionsIn`). */
  get decisionsReceived(): number {
    return this.messagesReceived;
  }

  /** What the master control got done with this robot: orders taken, finished, cancelled, failed; VDA errors by type. */
  get vdaCounts(): VdaCounts {
    return {
      ...this.agent.counts,
      errors: Object.fromEntries([...this.agent.errorCounts].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }

  /** Nothing waits in an outbox: every VDA message is a snapshot sent with QoS 0 or retained. */
  get outboxDepth(): number {
    return 0;
  }

  start(): void {
    this.link.start();
    this.publishStatus();
  }

  private nodeSec(): number {
    return timeToSec(this.node.now());
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.setError(`${what} failed: ${(err as Error).message}`);
    }
  }

  private setError(text: string): void {
    this.lastError = text.slice(0, 500);
    this.node.logger.warn(text);
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    this.received++;
    this.lastRx = this.node.now();
    const isOrder = topic === this.topics.order;
    if (!isOrder && topic !== this.topics.instantActions) return;
    this.messagesReceived++;
    if (payload.byteLength === 0) return; // a retained message cleared
    const ctx = {
      retained,
      maxBytes: this.params.max_inbound_bytes,
      manufacturer: this.params.vda5050_manufacturer,
      serialNumber: this.params.vda5050_serial_number || this.params.robot_id,
    };
    const robot = this.picture.robot();
    if (isOrder) {
      const r = readOrder(payload, ctx);
      if (!r.ok) {
        this.countRefusal('validationError');
        this.node.logger.debug(`order refused: ${r.description}`);
        this.agent.onInvalidOrder(r.description, r.refs);
      } else {
        const verdict = this.agent.onOrder(r.order, robot);
        if (verdict === 'rejected') this.countRefusal(this.agent.view().errors.at(-1)?.errorType ?? 'orderError');
        this.node.logger.info(`order '${r.order.orderId}' update ${r.order.orderUpdateId}: ${verdict}`);
      }
    } else {
      const r = readInstantActions(payload, ctx);
      if (!r.ok) {
        this.countRefusal('validationError');
        this.agent.onInvalidInstantActions(r.description, r.refs);
      } else {
        this.agent.onInstantActions(r.actions, robot);
      }
    }
    this.flush();
  }

  private countRefusal(type: string): void {
    this.refusedCount++;
    this.refusedByType.set(type, (this.refusedByType.get(type) ?? 0) + 1);
  }

  /** Carries out what the agent asked for: decisions to the executive, states and factsheets out. */
  private flush(): void {
    const out = this.agent.drain();
    for (const c of out.commands) this.publishDecision(c);
    for (const id of out.logReports) this.requestLogReport(id);
    if (out.factsheetRequested) this.out.sendFactsheet();
    if (out.stateRequested) this.out.sendState();
    else if (out.stateChanged) this.out.maybeSendState(true);
  }

  /**
   * logReport: black_box records the seconds around now into an incident file on the robot (nothing is
   * uploaded); the action FINISHES naming that file, or FAILS when black_box is not there or refuses.
   */
  private requestLogReport(actionId: string): void {
    void askBlackBox(this.captureClient, this.params.vda5050_log_report_timeout_s).then(({ ok, text }) =>
      this.guard('a logReport', () => {
        if (this.stopped) return;
        this.node.logger.info(`logReport '${actionId}': ${text}`);
        this.agent.onLogReport(actionId, ok, text);
        this.flush();
      }),
    );
  }

  private publishDecision(c: Command): void {
    const pose = c.kind === 'navigate' || c.kind === 'dock' ? c : undefined;
    this.node.logger.info(`VDA 5050 → decision '${c.id}' ${c.kind}${pose ? ` to (${pose.x}, ${pose.y})` : ''}`);
    this.decisionPub.publish(decisionOf(c, this.node.now(), this.params.vda5050_priority));
  }

  private onConnected(url: string): void {
    if (this.refusal) {
      this.refusal = undefined;
      this.lastError = '';
    }
    this.node.logger.info(
      `connected to ${url} as ${clientIdOf(this.params)} (VDA 5050 2.0 on ${this.topics.state.replace(/\/state$/, '')})`,
    );
    this.session.onConnected(this.now());
    this.out.connected();
    this.reportSession();
    this.publishStatus();
  }

  private reportSession(): void {
    const verdict = this.session.verdict(this.now());
    this.diagPub.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      status: [sessionDiagnostic(verdict, clientIdOf(this.params), this.refusal)],
    });
  }

  /** BridgeStatus now (the executive's fallback reads `connected`). */
  publishStatus(): void {
    if (this.stopped) return;
    const types = [...this.refusedByType.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    this.statusPub.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      connected: this.link.connected,
      mqtt_protocol_version: this.params.mqtt_version === 4 ? MQTT_V.MQTT_V311 : MQTT_V.MQTT_V5,
      reconnect_count: Math.max(0, this.link.connects - 1),
      outbox_depth: 0,
      outbox_bytes: 0n,
      outbox_oldest_age: 0,
      outbox_dropped_count: 0n,
      last_event_seq: 0n,
      sent_count: this.out.sent,
      received_count: this.received,
      rejected_count: this.refusedCount,
      reject_reasons: types.map(([t]) => t),
      reject_counts: types.map(([, n]) => BigInt(n)),
      forwarded_count: 0n,
      round_trip_latency: 0,
      last_error: this.lastError || this.link.lastError,
      last_rx: this.lastRx,
      last_tx: this.out.lastTx,
      data_profile: this.params.profile,
    });
  }

  /** Publishes OFFLINE (retained), disconnects cleanly, closes the audit log. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const offline = this.out.connection('OFFLINE');
    this.stopped = true;
    this.out.stop();
    for (const t of this.wallTimers) clearInterval(t);
    await this.link.stop(offline ? { topic: this.topics.connection, payload: offline } : undefined);
    this.audit?.tap.finish();
    this.audit?.log.close();
  }
}
