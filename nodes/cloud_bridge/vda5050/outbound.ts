/**
 * What the VDA 5050 bridge sends to the master control: state (on change, at least every
 * vda5050_state_period_s), visualization, factsheet and the retained connection (ONLINE at connect and again
 * every status_refresh_s). Every message is checked against its 2.0 schema first: one that fails is a bug,
 * logged KZ_ERR_CONTRACT_INVALID, audited as refused and not sent. Wiring for bridge.ts.
 */
import type { RosNode } from '../../core/graph/types';
import type { Params } from '../params';
import { PROFILE_MAX_SPEED_MPS } from '../params';
import type { MqttLink } from '../link';
import type { DataPolicy } from '../policy';
import type { AuditTap } from '../audit-tap';
import type { VdaAgent } from './agent';
import { schemaIssues } from './schemas';
import {
  Headers,
  type VdaPicture,
  buildConnection,
  buildFactsheet,
  buildState,
  buildVisualization,
  changeKey,
} from './state';
import { PROFILE_BODY, PROFILE_NODE_ACTIONS } from './profiles';
import type { ConnectionState, VdaTopics } from './types';

const ZERO_TIME = { sec: 0, nanosec: 0 };

export interface OutboundOptions {
  node: RosNode;
  params: Params;
  topics: VdaTopics;
  agent: VdaAgent;
  picture: VdaPicture;
  policy: DataPolicy;
  /** The profile has pick and drop: `loads` is reported. */
  reportLoads: boolean;
  tap: AuditTap | undefined;
  /** [ms] wall clock. */
  now: () => number;
}

/** The robot → master control messages of one bridge. */
export class VdaOutbound {
  private readonly headers: Headers;
  private link: MqttLink | undefined;
  private stopped = false;
  /** The ONLINE of this connection and when it was last sent [ms]: re-sent unchanged every status_refresh_s. */
  private online: { payload: Buffer; sentMs: number } | undefined;
  private lastKey = '';
  private lastStateMs = 0;
  private stateDue = false;
  /** [count] messages sent. */
  sent = 0n;
  lastTx = ZERO_TIME;

  constructor(private readonly o: OutboundOptions) {
    this.headers = new Headers(o.params.vda5050_manufacturer, o.params.vda5050_serial_number || o.params.robot_id);
  }

  /** Sends on `link` from now on. */
  attach(link: MqttLink): void {
    this.link = link;
  }

  /** Nothing more is sent. */
  stop(): void {
    this.stopped = true;
  }

  private get up(): boolean {
    return !this.stopped && this.link?.connected === true;
  }

  /** The JSON of an outbound message when it passes its schema; else logged (a bug) and audited as refused. */
  encode(topic: 'state' | 'connection' | 'visualization' | 'factsheet', msg: object): Buffer | undefined {
    const issues = schemaIssues(topic, msg);
    if (issues.length > 0) {
      const text = `KZ_ERR_CONTRACT_INVALID: outbound VDA 5050 ${topic} fails its schema: ${issues[0]!.path}: ${issues[0]!.message}`;
      this.o.node.logger.error(text);
      this.o.tap?.refused(
        topic === 'state' ? 'state' : topic === 'visualization' ? 'telemetry' : 'status',
        'KZ_ERR_CONTRACT_INVALID',
        text,
      );
      return undefined;
    }
    return Buffer.from(JSON.stringify(msg));
  }

  /** The connection message `state` (with the next header), or undefined when it fails its schema. */
  connection(state: ConnectionState): Buffer | undefined {
    return this.encode('connection', buildConnection(this.headers.next(this.o.topics.connection, this.o.now()), state));
  }

  private publish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): boolean {
    const ok = this.link?.publish(topic, payload, { qos, retain, properties: { contentType: 'application/json' } });
    if (ok) {
      this.sent++;
      this.lastTx = this.o.node.now();
    }
    return ok === true;
  }

  /** At each connect: the retained ONLINE, the factsheet, a state. */
  connected(): void {
    const online = this.connection('ONLINE');
    this.online = online ? { payload: online, sentMs: this.o.now() } : undefined;
    if (online) this.publish(this.o.topics.connection, online, 1, true);
    this.sendFactsheet();
    this.sendState();
  }

  /**
   * The retained ONLINE again, unchanged (same headerId and timestamp: a master control can tell it from a
   * new connection), every status_refresh_s while connected: a forged retained OFFLINE does not stand.
   */
  refreshOnline(): void {
    const refreshMs = this.o.params.status_refresh_s * 1000;
    const on = this.online;
    if (!this.up || refreshMs <= 0 || !on) return;
    if (this.o.now() - on.sentMs < refreshMs) return;
    on.sentMs = this.o.now();
    this.publish(this.o.topics.connection, on.payload, 1, true);
  }

  /** A state now if something changed (and the least interval allows), or when the period is up. */
  maybeSendState(changed: boolean): void {
    if (this.stopped) return;
    const o = this.o;
    const nowMs = o.now();
    if (changed) this.stateDue = true;
    if (!this.stateDue) {
      const key = changeKey(buildState(this.headers.next('probe', nowMs), o.agent, o.picture, o.policy, o.reportLoads));
      if (key !== this.lastKey) this.stateDue = true;
    }
    const since = nowMs - this.lastStateMs;
    if (this.stateDue && since < o.params.vda5050_state_min_interval_s * 1000) return;
    if (!this.stateDue && since < o.params.vda5050_state_period_s * 1000) return;
    this.sendState();
  }

  sendState(): void {
    if (!this.up) return;
    const o = this.o;
    const nowMs = o.now();
    const s = buildState(this.headers.next(o.topics.state, nowMs), o.agent, o.picture, o.policy, o.reportLoads);
    const payload = this.encode('state', s);
    this.lastKey = changeKey(s);
    this.lastStateMs = nowMs;
    this.stateDue = false;
    if (payload) this.publish(o.topics.state, payload, 0, false);
  }

  sendVisualization(): void {
    if (!this.up) return;
    const o = this.o;
    const v = buildVisualization(this.headers.next(o.topics.visualization, o.now()), o.picture, o.policy);
    const payload = this.encode('visualization', v);
    if (payload) this.publish(o.topics.visualization, payload, 0, false);
  }

  sendFactsheet(): void {
    if (!this.up) return;
    const p = this.o.params;
    const body = PROFILE_BODY[p.profile];
    const f = buildFactsheet(this.headers.next(this.o.topics.factsheet, this.o.now()), {
      profile: p.profile,
      speedMax: p.max_speed_mps > 0 ? p.max_speed_mps : PROFILE_MAX_SPEED_MPS[p.profile],
      accelerationMax: body.accelerationMax,
      decelerationMax: body.decelerationMax,
      length: body.length,
      width: body.width,
      heightMax: p.vda5050_height_m,
      nodeActions: PROFILE_NODE_ACTIONS[p.profile],
      statePeriodS: p.vda5050_state_period_s,
      visualizationPeriodS: p.vda5050_visualization_period_s,
    });
    const payload = this.encode('factsheet', f);
    if (payload) this.publish(this.o.topics.factsheet, payload, 0, true);
  }
}
