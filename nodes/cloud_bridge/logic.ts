/**
 * Pure logic of cloud_bridge: ROS messages → contract payloads (state, events, requests) and a
 * validated contract decision → kizuna_msgs/Decision. No ROS, no MQTT, no clock reads: times are
 * passed in as [ms since epoch] or ROS time.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { MessageOf } from '../core/interfaces';
import type { RosTime } from '../core/graph/clock';
import { encodeTaskArgs } from '../core/profiles';
import {
  CONTRACT_VERSION,
  SAFETY_REASONS,
  type Decision,
  type DecisionKindName,
  type DecisionLifecycleEventDraft,
  type DecisionRequest,
  type RobotEventDraft,
  type State,
} from '../core/contract';
import type { ProfileName } from '../core/profiles';

type WorldSummary = MessageOf<'kizuna_msgs/msg/WorldSummary'>;
type DecisionStatus = MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
type SafetyState = MessageOf<'kizuna_msgs/msg/SafetyState'>;
type HealthSummary = MessageOf<'kizuna_msgs/msg/HealthSummary'>;
type RosDecision = MessageOf<'kizuna_msgs/msg/Decision'>;
type RosDecisionRequest = MessageOf<'kizuna_msgs/msg/DecisionRequest'>;

const D = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const HS = MESSAGE_CONSTANTS['kizuna_msgs/msg/HealthSummary'];
const FT = MESSAGE_CONSTANTS['kizuna_msgs/msg/Fault'];
const DR = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionRequest'];

const KIND_NAMES: Record<number, DecisionKindName> = {
  [D.KIND_NAVIGATE_TO]: 'navigate_to',
  [D.KIND_DOCK]: 'dock',
  [D.KIND_HOLD]: 'hold',
  [D.KIND_STOP]: 'stop',
  [D.KIND_RESUME]: 'resume',
  [D.KIND_SET_SPEED_LIMIT]: 'set_speed_limit',
  [D.KIND_TASK]: 'perform_task',
};
const KIND_CODES: Record<DecisionKindName, number> = {
  navigate_to: D.KIND_NAVIGATE_TO,
  dock: D.KIND_DOCK,
  hold: D.KIND_HOLD,
  stop: D.KIND_STOP,
  resume: D.KIND_RESUME,
  set_speed_limit: D.KIND_SET_SPEED_LIMIT,
  perform_task: D.KIND_TASK,
};
const SOURCE_NAMES: Record<number, 'cloud' | 'broadcast' | 'local_fallback' | 'operator'> = {
  [D.SOURCE_CLOUD]: 'cloud',
  [D.SOURCE_BROADCAST]: 'broadcast',
  [D.SOURCE_LOCAL_FALLBACK]: 'local_fallback',
  [D.SOURCE_OPERATOR]: 'operator',
};
const SAFETY_NAMES: Record<number, State['safety']> = {
  [SS.STATE_CLEAR]: 'clear',
  [SS.STATE_APPROACH]: 'approach',
  [SS.STATE_SLOWDOWN]: 'slowdown',
  [SS.STATE_STOP]: 'stop',
  [SS.STATE_ESTOP]: 'estop',
};
const LIMIT_NAMES = SAFETY_REASONS;
const HEALTH_NAMES: Record<number, NonNullable<State['health']>> = {
  [HS.LEVEL_OK]: 'ok',
  [HS.LEVEL_WARN]: 'warn',
  [HS.LEVEL_ERROR]: 'error',
  [HS.LEVEL_FATAL]: 'fatal',
};
const SEVERITY_NAMES: Record<number, 'warn' | 'error' | 'fatal'> = {
  [FT.SEVERITY_WARN]: 'warn',
  [FT.SEVERITY_ERROR]: 'error',
  [FT.SEVERITY_FATAL]: 'fatal',
};
const STATUS_EVENT: Record<number, DecisionLifecycleEventDraft['type'] | 'decision_rejected'> = {
  [DS.STATE_ACCEPTED]: 'decision_accepted',
  [DS.STATE_REJECTED]: 'decision_rejected',
  [DS.STATE_ACTIVE]: 'decision_started',
  [DS.STATE_SUCCEEDED]: 'decision_succeeded',
  [DS.STATE_FAILED]: 'decision_failed',
  [DS.STATE_CANCELED]: 'decision_canceled',
  [DS.STATE_EXPIRED]: 'decision_expired',
  [DS.STATE_PREEMPTED]: 'decision_preempted',
};
const LAST_STATE: Record<number, DecisionRequest['lastState']> = {
  [DS.STATE_SUCCEEDED]: 'succeeded',
  [DS.STATE_FAILED]: 'failed',
  [DS.STATE_CANCELED]: 'canceled',
  [DS.STATE_EXPIRED]: 'expired',
  [DS.STATE_PREEMPTED]: 'preempted',
  [DS.STATE_REJECTED]: 'rejected',
};

/** [ms since epoch] of a ROS time. */
export function rosTimeToMs(t: RosTime): number {
  return t.sec * 1000 + Math.floor(t.nanosec / 1e6);
}

/** ROS time of [ms since epoch]. */
export function msToRosTime(ms: number): RosTime {
  const sec = Math.floor(ms / 1000);
  return { sec, nanosec: Math.round((ms - sec * 1000) * 1e6) };
}

/** Yaw [rad] of a unit quaternion (rotation about z). */
export function yawOf(q: { x: number; y: number; z: number; w: number }): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}

const finiteOr = (v: number, fallback: number | undefined): number | undefined => (Number.isFinite(v) ? v : fallback);
const r2 = (v: number): number => Math.round(v * 100) / 100;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * Which `decision_progress` events leave the robot. The executive reports an active decision about once a
 * second; `state` already carries its progress (`prog`), so a progress event is sent only when it says
 * something new: the decision's first, a new reason or message (held by a local pause, resumed), or
 * progress moved by at least `step` [0..1] since the last one sent. `step` 0 sends every report.
 */
export class ProgressFilter {
  private last: { id: string; progress: number; reason: string; message: string } | undefined;

  constructor(private readonly step: number) {}

  /** Whether `ev` (a `decision_progress` event) is sent; records it when it is. */
  pass(ev: { decisionId: string; progress?: number; reason?: string; message?: string }): boolean {
    const now = { id: ev.decisionId, progress: ev.progress ?? 0, reason: ev.reason ?? '', message: ev.message ?? '' };
    const l = this.last;
    const same =
      l !== undefined &&
      l.id === now.id &&
      l.reason === now.reason &&
      l.message === now.message &&
      Math.abs(now.progress - l.progress) < this.step;
    if (same) return false;
    this.last = now;
    return true;
  }
}

/** What the bridge knows of the robot, gathered from its ROS inputs. */
export class RobotPicture {
  private world: WorldSummary | undefined;
  private safety: SafetyState | undefined;
  private health: HealthSummary | undefined;
  /** The decision in progress (ACTIVE), if any. */
  private active: { id: string; source: number; progress: number } | undefined;

  onWorld(m: WorldSummary): void {
    this.world = m;
  }

  private pauses = 0;
  private pausedAtMs = 0;

  /**
   * The local pause event for the safety state `m` (before {@link onSafety} records it): a person on
   * site paused the robot or resumed it. Carries where, which input, which decision it held and how
   * long it lasted; the data policy may withhold all but the count and the duration.
   */
  localPauseEvent(m: SafetyState, atMs: number, robotId: string): RobotEventDraft | undefined {
    const was = this.safety?.local_pause === true;
    if (m.local_pause === was) return undefined;
    const ev: RobotEventDraft = m.local_pause
      ? { v: CONTRACT_VERSION, robotId, at: atMs, type: 'paused_by_person', count: ++this.pauses }
      : {
          v: CONTRACT_VERSION,
          robotId,
          at: atMs,
          type: 'resumed_by_person',
          count: Math.max(1, this.pauses),
          pausedS: Math.max(0, Math.min(1e7, r2((atMs - this.pausedAtMs) / 1000))),
        };
    if (m.local_pause) this.pausedAtMs = atMs;
    const input = (m.local_pause ? m.local_pause_source : this.safety?.local_pause_source) ?? '';
    if (/^[A-Za-z0-9_-]{1,32}$/.test(input)) ev.input = input;
    if (this.active) ev.decisionId = this.active.id;
    const w = this.world;
    if (w?.pose_valid) {
      const x = finiteOr(w.pose.position.x, undefined);
      const y = finiteOr(w.pose.position.y, undefined);
      if (x !== undefined && y !== undefined && Math.abs(x) <= 1e6 && Math.abs(y) <= 1e6) ev.pose = [r2(x), r2(y)];
    }
    return ev;
  }

  /** Records the safety state; returns the safety event draft fields when the state changed. */
  onSafety(m: SafetyState, atMs: number, robotId: string): RobotEventDraft | undefined {
    const prev = this.safety;
    this.safety = m;
    if (prev && prev.state === m.state) return undefined;
    const state = SAFETY_NAMES[m.state];
    if (!state) return undefined;
    const ev: RobotEventDraft = {
      v: CONTRACT_VERSION,
      robotId,
      at: atMs,
      type: 'safety',
      state,
      reason: LIMIT_NAMES[m.limiting_reason] ?? 'none',
      linearCap: Number.isFinite(m.linear_speed_cap) ? Math.max(0, Math.min(100, r2(m.linear_speed_cap))) : 0,
    };
    const p = prev ? SAFETY_NAMES[prev.state] : undefined;
    if (p) ev.previous = p;
    return ev;
  }

  /** Records the health summary; returns fault raised/cleared and health level events for what changed. */
  onHealth(m: HealthSummary, atMs: number, robotId: string): RobotEventDraft[] {
    const prev = this.health;
    this.health = m;
    const out: RobotEventDraft[] = [];
    const key = (f: { code: string; source: string }): string => `${f.code}\u0000${f.source}`;
    const before = new Map((prev?.faults ?? []).map((f) => [key(f), f]));
    const now = new Map(m.faults.map((f) => [key(f), f]));
    const fault = (type: 'fault_raised' | 'fault_cleared', f: (typeof m.faults)[number]): RobotEventDraft => {
      const ev: RobotEventDraft = {
        v: CONTRACT_VERSION,
        robotId,
        at: atMs,
        type,
        code: f.code.slice(0, 64) || 'UNKNOWN',
        source: f.source.slice(0, 128),
        severity: SEVERITY_NAMES[f.severity] ?? 'error',
      };
      if (f.message) ev.message = f.message.slice(0, 256);
      return ev;
    };
    for (const [k, f] of now) if (!before.has(k)) out.push(fault('fault_raised', f));
    for (const [k, f] of before) if (!now.has(k)) out.push(fault('fault_cleared', f));
    const level = HEALTH_NAMES[m.level];
    if (level && (!prev || prev.level !== m.level)) {
      const ev: RobotEventDraft = { v: CONTRACT_VERSION, robotId, at: atMs, type: 'health', level };
      const p = prev ? HEALTH_NAMES[prev.level] : undefined;
      if (p) ev.previous = p;
      out.push(ev);
    }
    return out;
  }

  /** Records a decision status; returns its event, or undefined for an invalid state. */
  onDecisionStatus(m: DecisionStatus, atMs: number, robotId: string): RobotEventDraft | undefined {
    if (m.state === DS.STATE_ACTIVE) {
      this.active = { id: m.decision_id, source: m.source, progress: m.progress };
    } else if (this.active?.id === m.decision_id && m.state !== DS.STATE_ACCEPTED) {
      this.active = undefined;
    }
    let type = STATUS_EVENT[m.state] as DecisionLifecycleEventDraft['type'] | 'decision_rejected' | undefined;
    if (!type || m.decision_id.length === 0 || m.decision_id.length > 64) return undefined;
    // Repeated ACTIVE reports of the same decision are progress.
    if (type === 'decision_started' && this.startedIds.has(m.decision_id)) type = 'decision_progress';
    if (type === 'decision_started') this.rememberStarted(m.decision_id);
    const source = SOURCE_NAMES[m.source] ?? 'cloud';
    const kind = KIND_NAMES[m.kind] ?? 'unknown';
    const reason = m.reason_code ? m.reason_code.slice(0, 64) : undefined;
    const message = m.message ? m.message.slice(0, 256) : undefined;
    if (type === 'decision_rejected') {
      const ev: RobotEventDraft = {
        v: CONTRACT_VERSION,
        robotId,
        at: atMs,
        type,
        by: 'executive',
        decisionId: m.decision_id,
        source,
        kind,
        reason: reason ?? 'REJECTED',
      };
      if (message) ev.message = message;
      return ev;
    }
    const ev: DecisionLifecycleEventDraft = {
      v: CONTRACT_VERSION,
      robotId,
      at: atMs,
      type,
      decisionId: m.decision_id,
      source,
      kind,
    };
    if (reason) ev.reason = reason;
    if (message) ev.message = message;
    if (Number.isFinite(m.progress) && m.progress > 0) ev.progress = Math.min(1, r3(m.progress));
    if (type === 'decision_preempted' && m.preempted_by) ev.preemptedBy = m.preempted_by.slice(0, 64);
    return ev;
  }

  private readonly startedIds = new Set<string>();
  private rememberStarted(id: string): void {
    this.startedIds.add(id);
    if (this.startedIds.size > 256) this.startedIds.delete(this.startedIds.values().next().value as string);
  }

  /** The compact state at `nowMs` (before the data policy). */
  state(nowMs: number): State {
    const s: State = { v: CONTRACT_VERSION, t: nowMs, mode: 'idle', faults: 0 };
    const w = this.world;
    if (w) {
      if (w.pose_valid) {
        const x = finiteOr(w.pose.position.x, undefined);
        const y = finiteOr(w.pose.position.y, undefined);
        const yaw = finiteOr(yawOf(w.pose.orientation), undefined);
        if (x !== undefined && y !== undefined && yaw !== undefined && Math.abs(x) <= 1e6 && Math.abs(y) <= 1e6) {
          s.pose = [r2(x), r2(y), r3(yaw)];
        }
      }
      const v = w.velocity.linear.x;
      const om = w.velocity.angular.z;
      if (Number.isFinite(v) && Number.isFinite(om) && Math.abs(v) <= 100 && Math.abs(om) <= 100)
        s.vel = [r2(v), r2(om)];
      if (w.battery_valid && Number.isFinite(w.battery_percentage)) {
        s.bat = Math.max(0, Math.min(1, r2(w.battery_percentage)));
        s.chg = w.battery_charging;
      }
      if (w.obstacle_detected && Number.isFinite(w.nearest_obstacle_distance)) {
        s.obs = Math.max(0, Math.min(1000, r2(w.nearest_obstacle_distance)));
      }
      s.ppl = w.people_count;
      s.faults = Math.min(65535, w.faults.length);
    }
    if (this.health) s.faults = Math.min(65535, Math.max(s.faults, this.health.faults.length));
    const safety = this.safety ? SAFETY_NAMES[this.safety.state] : undefined;
    if (safety) s.safety = safety;
    const health = this.health ? HEALTH_NAMES[this.health.level] : undefined;
    if (health) s.health = health;
    if (this.active) {
      s.dec = this.active.id;
      if (Number.isFinite(this.active.progress)) s.prog = Math.max(0, Math.min(1, r2(this.active.progress)));
      s.mode = this.active.source === D.SOURCE_LOCAL_FALLBACK ? 'fallback' : 'executing';
    }
    if (safety === 'estop' || w?.estop_active) s.mode = 'estop';
    else if (safety === 'stop' && !this.active) s.mode = 'stopped';
    return s;
  }
}

/** True when `next` differs from `prev` enough to send it before the next period. */
export function significantChange(prev: State | undefined, next: State, moveM: number): boolean {
  if (!prev) return true;
  if (prev.mode !== next.mode || prev.safety !== next.safety || prev.health !== next.health) return true;
  if (prev.dec !== next.dec || prev.faults !== next.faults || prev.chg !== next.chg) return true;
  if ((prev.pose === undefined) !== (next.pose === undefined)) return true;
  if (prev.pose && next.pose && Math.hypot(prev.pose[0] - next.pose[0], prev.pose[1] - next.pose[1]) > moveM)
    return true;
  return false;
}

/** The contract decision request for a ROS DecisionRequest. */
export function requestPayload(
  m: RosDecisionRequest,
  robotId: string,
  profile: ProfileName,
  nowMs: number,
): DecisionRequest {
  const reason = m.reason === DR.REASON_OUTCOME ? 'outcome' : m.reason === DR.REASON_NODE_ASKED ? 'node_asked' : 'idle';
  const out: DecisionRequest = { v: CONTRACT_VERSION, robotId, requestId: m.request_id, at: nowMs, reason, profile };
  if (m.last_decision_id) out.lastDecisionId = m.last_decision_id;
  const last = LAST_STATE[m.last_state];
  if (last) out.lastState = last;
  if (m.detail) out.detail = m.detail.slice(0, 256);
  return out;
}

/** The kizuna_msgs/Decision for a validated contract decision. `stamp` is the ROS time of publication. */
export function toRosDecision(d: Decision, source: 'cloud' | 'broadcast', stamp: RosTime): RosDecision {
  const k = d.kind;
  const pose = k.type === 'navigate_to' ? k.target : k.type === 'dock' ? k.approach : undefined;
  const yaw = pose?.yaw ?? 0;
  return {
    header: { stamp, frame_id: '' },
    decision_id: d.decisionId,
    request_id: d.requestId ?? '',
    kind: KIND_CODES[k.type],
    source: source === 'broadcast' ? D.SOURCE_BROADCAST : D.SOURCE_CLOUD,
    priority: d.priority,
    target: {
      header: { stamp, frame_id: pose ? 'map' : '' },
      pose: {
        position: { x: pose?.x ?? 0, y: pose?.y ?? 0, z: 0 },
        orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
      },
    },
    speed_limit: k.type === 'set_speed_limit' ? k.speedLimit : k.type === 'navigate_to' ? (k.maxSpeed ?? 0) : 0,
    task_name: k.type === 'perform_task' ? k.task : '',
    task_args: k.type === 'perform_task' ? encodeTaskArgs(k.args as Parameters<typeof encodeTaskArgs>[0]) : [],
    issued_at: msToRosTime(d.issuedAt),
    expires_at: msToRosTime(d.expiresAt),
  };
}

/** Optional state fields in the order they are given up when a state would exceed its size budget. */
const SHED_ORDER = ['vel', 'obs', 'chg', 'prog', 'bat', 'ppl', 'health', 'safety', 'pose', 'dec'] as const;

/**
 * The state encoded as JSON within `maxBytes` [bytes]: when the full state is larger, optional
 * fields are dropped in SHED_ORDER until it fits. Returns the text and the fields dropped.
 */
export function fitState(s: State, maxBytes: number): { json: string; shed: string[] } {
  let json = JSON.stringify(s);
  const shed: string[] = [];
  if (Buffer.byteLength(json) <= maxBytes) return { json, shed };
  const out: Record<string, unknown> = { ...s };
  for (const k of SHED_ORDER) {
    if (out[k] === undefined) continue;
    delete out[k];
    shed.push(k);
    json = JSON.stringify(out);
    if (Buffer.byteLength(json) <= maxBytes) break;
  }
  return { json, shed };
}
