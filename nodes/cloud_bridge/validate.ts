/**
 * The inbound decision pipeline: from MQTT payload bytes to a decision that may reach the robot, or a
 * rejection with a reason code. Pure: no MQTT, no ROS, no clock reads (time passed in). The order of
 * the checks is the one docs/contract.md promises; the first failing check names the reason.
 */
import type { KeyObject } from 'node:crypto';
import {
  BROADCAST_KINDS,
  CONTRACT_MAJOR,
  MAX_ABS_NUMBER,
  decisionSchema,
  majorOf,
  verifyDecision,
  type Decision,
  type RejectReason,
} from '../core/contract';
import type { ProfileName } from '../core/profiles';

/** What the validator needs to know about this robot. */
export interface ValidatorConfig {
  robotId: string;
  /** This robot's fleet: a decision must name it in its signed `fleetId`. */
  fleet: string;
  /**
   * Migration only: accept a decision without `fleetId` (a contract 1.0 issuer). Such a decision is
   * not bound to a fleet, so one signed for a robot of the same id in another fleet passes too.
   */
  acceptWithoutFleet: boolean;
  profile: ProfileName;
  /** [bytes] larger payloads are OVERSIZE. */
  maxInboundBytes: number;
  /** [ms] how far in the future issuedAt may be. */
  clockSkewMs: number;
  /** [ms] longest allowed expiresAt - issuedAt. */
  maxLifetimeMs: number;
  /** [m/s] highest speed limit / speed cap accepted. */
  maxSpeedMps: number;
  /** Development only: accept decisions without keyId/signature (signed ones are still verified). */
  allowUnsigned: boolean;
  trustedKeys: ReadonlyMap<string, KeyObject>;
}

/** Remembers accepted decisionIds until they expire, so a replay is caught (survives restarts when persisted). */
export interface ReplayStore {
  has(decisionId: string): boolean;
  /** Remembers `decisionId` until `expiresAtMs` [ms since epoch]. */
  add(decisionId: string, expiresAtMs: number): void;
  /** Forgets ids that expired before `nowMs` - `graceMs`. */
  prune(nowMs: number, graceMs: number): void;
}

/** An in-memory ReplayStore (tests, and the cache in front of the persisted one). */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  has(id: string): boolean {
    return this.seen.has(id);
  }
  add(id: string, expiresAtMs: number): void {
    this.seen.set(id, expiresAtMs);
  }
  prune(nowMs: number, graceMs: number): void {
    for (const [id, exp] of this.seen) if (exp < nowMs - graceMs) this.seen.delete(id);
  }
  get size(): number {
    return this.seen.size;
  }
}

/** One received MQTT message. */
export interface InboundMessage {
  payload: Uint8Array;
  /** The MQTT retain flag as delivered (true for a retained message sent on subscribe). */
  retained: boolean;
  /** Arrived on the fleet broadcast topic. */
  broadcast: boolean;
  /** [ms since epoch] robot time of arrival. */
  nowMs: number;
}

export type Verdict =
  | { ok: true; decision: Decision; source: 'cloud' | 'broadcast' }
  | {
      ok: false;
      reason: RejectReason;
      message: string;
      source: 'cloud' | 'broadcast';
      decisionId?: string;
      kind?: string;
    };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Deepest nesting of arrays and objects a decision may have. The contract's deepest path is five levels
 * (`kind.args.pickup.x` inside the decision); anything far deeper is refused before any recursive walk, which
 * a payload of a few kB nested ten thousand deep would otherwise overflow (a RangeError, not a rejection).
 */
export const MAX_DECISION_DEPTH = 32;

/** True when the JSON text in `bytes` nests arrays/objects deeper than `max` (strings skipped). One pass, no recursion. */
function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

/** The first number in `v` (depth-first) that is non-finite or beyond ±MAX_ABS_NUMBER, as a path, or undefined. */
function badNumberPath(v: unknown, path: string): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= MAX_ABS_NUMBER ? undefined : path;
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = badNumberPath(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const p = badNumberPath(x, path ? `${path}.${k}` : k);
    if (p) return p;
  }
  return undefined;
}

/** Short text (≤ 200 chars) of the first zod issue, naming its path. */
function firstIssue(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const i = issues[0];
  if (!i) return 'invalid';
  const path = i.path.map(String).join('.') || '(root)';
  return `${path}: ${i.message}`.slice(0, 200);
}

/** Speed asked for by a decision [m/s], when it asks for one. */
function requestedSpeed(d: Decision): number | undefined {
  const k = d.kind;
  if (k.type === 'set_speed_limit') return k.speedLimit;
  if (k.type === 'navigate_to') return k.maxSpeed;
  if (k.type === 'perform_task' && 'max_speed' in k.args) return k.args.max_speed;
  return undefined;
}

/**
 * Runs every check on one inbound message. On success the decisionId is added to `replay`; a
 * rejection leaves `replay` unchanged (so a forged message cannot block a real decision's id).
 */
export function validateDecision(msg: InboundMessage, cfg: ValidatorConfig, replay: ReplayStore): Verdict {
  const source = msg.broadcast ? 'broadcast' : 'cloud';
  const reject = (reason: RejectReason, message: string, raw?: Record<string, unknown>): Verdict => {
    const out: Verdict = { ok: false, reason, message, source };
    if (raw) {
      if (typeof raw.decisionId === 'string' && raw.decisionId.length <= 64) out.decisionId = raw.decisionId;
      const kind = raw.kind as { type?: unknown } | undefined;
      if (kind && typeof kind.type === 'string' && kind.type.length <= 32) out.kind = kind.type;
    }
    return out;
  };

  if (msg.retained)
    return reject('RETAINED', 'decision delivered as a retained message; decisions must not be retained');
  if (msg.payload.byteLength > cfg.maxInboundBytes) {
    return reject('OVERSIZE', `payload is ${msg.payload.byteLength} bytes, limit ${cfg.maxInboundBytes}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(msg.payload));
  } catch (err) {
    return reject('NOT_JSON', `not UTF-8 JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return reject('NOT_JSON', 'not a JSON object');
  const obj = raw as Record<string, unknown>;
  const major = majorOf(obj.v);
  if (major !== CONTRACT_MAJOR) {
    return reject(
      'UNSUPPORTED_VERSION',
      `contract version ${JSON.stringify(obj.v ?? null)}; this robot speaks ${CONTRACT_MAJOR}.x`,
      obj,
    );
  }
  // Before the recursive walks below (badNumberPath, zod): a deep payload must be a rejection, not a RangeError.
  if (nestsDeeperThan(msg.payload, MAX_DECISION_DEPTH)) {
    return reject('SCHEMA_INVALID', `nests deeper than ${MAX_DECISION_DEPTH} levels`, obj);
  }
  const badNumber = badNumberPath(obj, '');
  if (badNumber) return reject('NUMBER_OUT_OF_RANGE', `${badNumber}: not finite or beyond ±${MAX_ABS_NUMBER}`, obj);
  const parsed = decisionSchema.safeParse(obj);
  if (!parsed.success) return reject('SCHEMA_INVALID', firstIssue(parsed.error.issues), obj);
  const d = parsed.data;

  if (msg.broadcast ? d.robotId !== '*' : d.robotId !== cfg.robotId) {
    return reject(
      'WRONG_ROBOT',
      `robotId '${d.robotId}' is not ${msg.broadcast ? "'*' on the broadcast topic" : `'${cfg.robotId}'`}`,
      obj,
    );
  }
  // Before the signature, like WRONG_ROBOT: a mismatch is refused whoever signed it, and the fleet is
  // only trusted once the signature (which covers it) verifies below.
  if (d.fleetId === undefined) {
    if (!cfg.acceptWithoutFleet) return reject('FLEET_MISSING', `no fleetId; this robot is in '${cfg.fleet}'`, obj);
  } else if (d.fleetId !== cfg.fleet) {
    return reject('WRONG_FLEET', `fleetId '${d.fleetId}' is not '${cfg.fleet}'`, obj);
  }
  if (msg.broadcast && !BROADCAST_KINDS.includes(d.kind.type)) {
    return reject('NOT_ALLOWED_IN_BROADCAST', `'${d.kind.type}' cannot be broadcast`, obj);
  }
  if (d.signature === undefined || d.keyId === undefined) {
    if (!cfg.allowUnsigned) return reject('UNSIGNED', 'no signature or no keyId', obj);
  } else {
    const key = cfg.trustedKeys.get(d.keyId);
    if (!key) return reject('UNKNOWN_KEY', `keyId '${d.keyId}' is not trusted`, obj);
    // Verified over the JSON as received (before zod defaults), which is what the issuer signed.
    if (!verifyDecision(obj, d.signature, key)) return reject('BAD_SIGNATURE', 'signature does not verify', obj);
  }
  const lifetime = d.expiresAt - d.issuedAt;
  if (lifetime <= 0 || lifetime > cfg.maxLifetimeMs) {
    return reject('LIFETIME_TOO_LONG', `expiresAt - issuedAt = ${lifetime} ms, allowed (0, ${cfg.maxLifetimeMs}]`, obj);
  }
  if (d.expiresAt <= msg.nowMs) {
    return reject('EXPIRED', `expired ${((msg.nowMs - d.expiresAt) / 1000).toFixed(3)} s ago`, obj);
  }
  if (d.issuedAt > msg.nowMs + cfg.clockSkewMs) {
    return reject('FUTURE_DATED', `issued ${((d.issuedAt - msg.nowMs) / 1000).toFixed(3)} s in the future`, obj);
  }
  if (replay.has(d.decisionId)) return reject('REPLAYED', `decisionId '${d.decisionId}' was already received`, obj);
  const speed = requestedSpeed(d);
  if (speed !== undefined && speed > cfg.maxSpeedMps) {
    return reject(
      'SPEED_ABOVE_PROFILE_MAX',
      `${speed} m/s above the ${cfg.profile} maximum ${cfg.maxSpeedMps} m/s`,
      obj,
    );
  }
  if (d.kind.type === 'perform_task' && d.kind.profile !== cfg.profile) {
    return reject('TASK_NOT_IN_PROFILE', `task ${d.kind.profile}/${d.kind.task} on a ${cfg.profile} robot`, obj);
  }
  replay.add(d.decisionId, d.expiresAt);
  return { ok: true, decision: d, source };
}
