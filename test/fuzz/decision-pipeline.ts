/**
 * The decision path without a broker, for fuzzing: MQTT payload bytes → the bridge's DecisionInbox
 * (contract decode, every check of validate.ts, the rejection event) → toRosDecision → the executive's
 * admission (Executive.onDecision) → one control tick. Generated cases mix valid decisions with hostile
 * ones (wrong types, huge and tiny numbers, NaN/Infinity as text and as overflowing literals, unicode and
 * overlong strings, deep nesting, unknown fields, wrong robot or fleet, expired, future dated, replayed,
 * re-signed with another key, tampered after signing, valid but outside the geofence or too fast, raw
 * garbage). `judge` returns what broke an invariant, or nothing:
 *
 * - nothing throws and the inbox reports no handler error;
 * - every bridge rejection has a reason from REJECT_REASONS, and its event message is at most 256 chars;
 * - every executive rejection has a documented reason_code (nodes/executive/README.md);
 * - what a case must do happens: a valid decision is accepted, a forged/stale/misdirected one rejected
 *   (with the expected reason where there is one), a goal outside the geofence rejected GEOFENCE;
 * - the velocity the executive then commands is finite and within its limits;
 * - the replay memory stays bounded (pruned as the node prunes it).
 *
 * Pure: the clock is a number advanced by the pipeline, keys are fixed seeds.
 */
import fc from 'fast-check';
import type { KeyObject } from 'node:crypto';
import {
  CONTRACT_VERSION,
  REJECT_REASONS,
  privateKeyFromSeed,
  publicKeyFromRaw,
  rawPublicKey,
  robotTopics,
  signDecision,
  type RejectReason,
  type RobotEventDraft,
} from '../../nodes/core/contract';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { DecisionInbox } from '../../nodes/cloud_bridge/inbound';
import { MemoryReplayStore, type ValidatorConfig } from '../../nodes/cloud_bridge/validate';
import { Executive, type DecisionIn, type StatusOut } from '../../nodes/executive/logic';
import { paramsSchema, type Params } from '../../nodes/executive/params';
import { safetyView } from '../../nodes/executive/safety-view';
import { insideGeofence } from '../../nodes/executive/plan';

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const ST = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];

/** reason_codes the executive rejects with (nodes/executive/README.md, "Decisions"). */
export const EXECUTIVE_REJECT_CODES = [
  'INVALID',
  'DUPLICATE',
  'EXPIRED',
  'FRAME',
  'GEOFENCE',
  'UNKNOWN_TASK',
  'TASK_ARGS',
  'PRIORITY',
  'NOTHING_TO_RESUME',
  'ESTOP_LATCHED',
] as const;

export const ROBOT = 'dlv-1';
export const FLEET = 'tokyo-1';
const KEY_ID = 'national-a';
const TRUSTED = privateKeyFromSeed(Buffer.alloc(32, 7));
const ATTACKER = privateKeyFromSeed(Buffer.alloc(32, 9));
/** [m] the executive's geofence: a 50 × 40 m site. */
export const FENCE = [0, 0, 50, 0, 50, 40, 0, 40];
/** [ms] the pipeline's clock starts here (2026-11-28) and moves 1 s per case. */
const T0 = 1_795_849_200_000;
/** [ms] decisions live this long. */
const LIFETIME = 60_000;

/** What a case is, before it becomes bytes. */
export const MUTATIONS = [
  'valid',
  'valid_task',
  'valid_hold_resume',
  'wrong_type',
  'extreme_number',
  'nonfinite_text',
  'overflow_literal',
  'unicode_strings',
  'overlong_string',
  'deep_nesting',
  'unknown_field',
  'wrong_robot',
  'wrong_fleet',
  'no_fleet',
  'expired',
  'future_dated',
  'long_lifetime',
  'replayed',
  'resigned_other_key',
  'unknown_key',
  'tampered',
  'unsigned',
  'outside_geofence',
  'too_fast',
  'other_profile_task',
  'retained',
  'garbage',
  'broadcast_nav',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface DecisionCase {
  mutation: Mutation;
  /** [m] target inside the fence for valid cases. */
  x: number;
  y: number;
  yaw: number;
  priority: number;
  /** The field a mutation aims at (an index into its own list). */
  field: number;
  /** A value a mutation uses (wrong types, extremes). */
  junk: unknown;
  /** Text a mutation uses (unicode, garbage). */
  text: string;
  /** Nesting depth for deep_nesting. */
  depth: number;
}

const hostileNumber = fc.constantFrom(
  1e308,
  -1e308,
  5e-324,
  -5e-324,
  2 ** 53,
  -(2 ** 53),
  2 ** 53 + 2,
  -0,
  0.1 + 0.2,
  4294967296,
  -1,
);

/** Generated cases; each mutation equally likely. */
export const decisionCaseArb: fc.Arbitrary<DecisionCase> = fc.record({
  mutation: fc.constantFrom(...MUTATIONS),
  x: fc.double({ min: 0.5, max: 49.5, noNaN: true }),
  y: fc.double({ min: 0.5, max: 39.5, noNaN: true }),
  yaw: fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
  priority: fc.integer({ min: 0, max: 255 }),
  field: fc.nat(1000),
  junk: fc.oneof(
    fc.anything({ maxDepth: 3 }),
    hostileNumber,
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '', null, true, [], {}),
  ),
  text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })),
  depth: fc.integer({ min: 8, max: 40_000 }),
});

/** One message to the inbox, and what it must lead to. */
interface Message {
  payload: Buffer;
  retained: boolean;
  broadcast: boolean;
  /**
   * 'accept', 'reject' (optionally with the reasons allowed), 'ignore' (an empty message: how MQTT clears a
   * retained one; neither forwarded nor reported, docs/contract.md), or 'any' (only the general invariants).
   */
  expect: 'accept' | 'reject' | 'ignore' | 'any';
  reasons?: ReadonlyArray<RejectReason>;
  /** The executive must reject it with this code. */
  execCode?: string;
}

/** What one case did, for counting. */
export interface Outcome {
  /** 'ACCEPTED' or the bridge's reason, per message of the case. */
  bridge: string[];
  /** The executive's verdict per decision it received: 'ACCEPTED' or the reject code. */
  executive: string[];
  /** Invariants broken (empty when all held). */
  broken: string[];
}

type Json = Record<string, unknown>;

/** The fuzzing pipeline: one bridge inbox and one executive, as long-lived as on a robot. */
export class DecisionPipeline {
  nowMs = T0;
  private seq = 0;
  private readonly replay = new MemoryReplayStore();
  private readonly inbox: DecisionInbox;
  private readonly exec: Executive;
  readonly params: Params;
  private readonly cfg: ValidatorConfig;
  private forwarded: DecisionIn[] = [];
  private events: RobotEventDraft[] = [];
  private errors: string[] = [];
  /** Largest replay memory seen [entries]. */
  maxReplay = 0;

  constructor() {
    this.params = paramsSchema.parse({ profile: 'delivery', geofence: FENCE, max_linear_speed_mps: 1.2 });
    this.cfg = {
      robotId: ROBOT,
      fleet: FLEET,
      acceptWithoutFleet: false,
      profile: 'delivery',
      maxInboundBytes: 65536,
      clockSkewMs: 30_000,
      maxLifetimeMs: 86_400_000,
      maxSpeedMps: this.params.max_linear_speed_mps,
      allowUnsigned: false,
      // The robot trusts the public half, as it loads it from its trusted keys file.
      trustedKeys: new Map<string, KeyObject>([[KEY_ID, publicKeyFromRaw(rawPublicKey(TRUSTED))]]),
    };
    this.inbox = new DecisionInbox({
      topics: robotTopics('kizuna/v1', FLEET, ROBOT),
      validator: this.cfg,
      replay: this.replay,
      rejectEventsPerS: 1e9, // every rejection reported, so each verdict is seen
      now: () => this.nowMs,
      rosNow: () => ({ sec: Math.floor(this.nowMs / 1000), nanosec: (this.nowMs % 1000) * 1e6 }),
      publish: (d) => void this.forwarded.push(d as unknown as DecisionIn),
      report: (ev) => void this.events.push(ev),
      debug: () => undefined,
      error: (text) => void this.errors.push(text),
    });
    let n = 0;
    const t = this.nowMs / 1000;
    this.exec = new Executive(this.params, t, () => `own-${++n}`);
    this.exec.onBridge(true, t);
    this.exec.onPose({ x: 25, y: 20, yaw: 0 });
    this.exec.onSafety(
      safetyView({
        state: SS.STATE_CLEAR,
        limiting_reason: SS.REASON_NONE,
        linear_speed_cap: 1,
        limiting_distance: 0,
        limiting_bearing: 0,
        path_clear_distance: 6,
        estop_latched: false,
        obstacle_detected: false,
        nearest_obstacle_distance: 0,
        nearest_obstacle_bearing: 0,
        detail: '',
      }),
      t,
    );
  }

  /** Entries in the bridge's replay memory. */
  get replaySize(): number {
    return this.replay.size;
  }

  private base(c: DecisionCase, kind: Json): Json {
    return {
      v: CONTRACT_VERSION,
      decisionId: `fz-${++this.seq}`,
      robotId: ROBOT,
      fleetId: FLEET,
      issuedAt: this.nowMs - 500,
      expiresAt: this.nowMs + LIFETIME,
      priority: c.priority,
      kind,
    };
  }

  private nav(c: DecisionCase, x = c.x, y = c.y): Json {
    return { type: 'navigate_to', target: { x, y, yaw: c.yaw } };
  }

  /** `d` signed; a value the issuer's canonical JSON cannot encode (undefined, a function) gets a dummy signature. */
  private signed(d: Json, key: KeyObject = TRUSTED, keyId = KEY_ID): Json {
    try {
      return signDecision(d, keyId, key);
    } catch {
      return { ...d, keyId, signature: `${'A'.repeat(86)}==` };
    }
  }

  /** The messages of case `c` (most cases are one message; a replay is two, hold/resume three). */
  messages(c: DecisionCase): Message[] {
    const json = (d: unknown): Buffer => Buffer.from(JSON.stringify(d));
    const one = (d: Json, expect: Message['expect'], reasons?: RejectReason[], execCode?: string): Message[] => [
      {
        payload: json(d),
        retained: false,
        broadcast: false,
        expect,
        ...(reasons ? { reasons } : {}),
        ...(execCode ? { execCode } : {}),
      },
    ];
    const valid = (): Json => this.signed(this.base(c, this.nav(c)));
    switch (c.mutation) {
      case 'valid':
        return one(valid(), 'accept');
      case 'valid_task': {
        const args = {
          pickup: { x: c.x, y: c.y, yaw: c.yaw },
          dropoff: { x: 50 - c.x, y: 40 - c.y, yaw: 0 },
          package_id: `pkg-${c.field}`,
        };
        const kind = { type: 'perform_task', profile: 'delivery', task: 'deliver_package', args };
        return one(this.signed(this.base(c, kind)), 'accept');
      }
      case 'valid_hold_resume':
        return [
          ...one(this.signed(this.base({ ...c, priority: 255 }, { type: 'hold' })), 'accept'),
          ...one(this.signed(this.base({ ...c, priority: 255 }, { type: 'resume' })), 'accept'),
          ...one(this.signed(this.base(c, { type: 'set_speed_limit', speedLimit: 0.5 })), 'accept'),
        ];
      case 'wrong_type': {
        // Signed after the change: only the contract's shape check may stop it.
        const d = this.base(c, this.nav(c));
        const paths: Array<[Json, string]> = [
          [d, 'decisionId'],
          [d, 'robotId'],
          [d, 'issuedAt'],
          [d, 'expiresAt'],
          [d, 'priority'],
          [d, 'v'],
          [d.kind as Json, 'type'],
          [(d.kind as Json).target as Json, 'x'],
          [(d.kind as Json).target as Json, 'yaw'],
          [d, 'kind'],
        ];
        const [obj, key] = paths[c.field % paths.length]!;
        obj[key] = c.junk;
        return one(this.signed(d), 'any');
      }
      case 'extreme_number': {
        const d = this.base(c, this.nav(c));
        const target = (d.kind as Json).target as Json;
        const slots: Array<[Json, string]> = [
          [target, 'x'],
          [target, 'y'],
          [target, 'yaw'],
          [d, 'priority'],
          [d, 'issuedAt'],
          [d, 'expiresAt'],
        ];
        const [obj, key] = slots[c.field % slots.length]!;
        const extremes = [1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 53) - 2, 1e15, -1e15, 1e-300];
        obj[key] = extremes[c.field % extremes.length];
        return one(this.signed(d), 'any');
      }
      case 'nonfinite_text': {
        const d = this.base(c, this.nav(c));
        ((d.kind as Json).target as Json)[['x', 'y', 'yaw'][c.field % 3]!] = ['NaN', 'Infinity', '-Infinity'][
          c.field % 3
        ];
        return one(this.signed(d), 'reject', ['SCHEMA_INVALID']);
      }
      case 'overflow_literal': {
        // 1e999 is valid JSON text that JSON.parse turns into Infinity; -1e999 into -Infinity.
        const text = JSON.stringify(valid()).replace(/"x":[^,}]+/, `"x":${c.field % 2 ? '1e999' : '-1e999'}`);
        return [
          {
            payload: Buffer.from(text),
            retained: false,
            broadcast: false,
            expect: 'reject',
            reasons: ['NUMBER_OUT_OF_RANGE'],
          },
        ];
      }
      case 'unicode_strings': {
        const d = this.base(c, this.nav(c));
        const key = ['decisionId', 'robotId', 'fleetId', 'requestId'][c.field % 4]!;
        d[key] = c.text;
        // A different robot or fleet id is a rejection; a unicode decisionId may be fine when signed.
        return one(
          this.signed(d),
          key === 'decisionId' || key === 'requestId'
            ? 'any'
            : c.text === d[key] && c.text === ROBOT
              ? 'any'
              : 'reject',
        );
      }
      case 'overlong_string': {
        const long = 'x'.repeat(65 + (c.field % 5000));
        const key = ['decisionId', 'robotId', 'requestId', 'keyId'][c.field % 4]!;
        if (key === 'keyId') return one({ ...valid(), keyId: long }, 'reject', ['SCHEMA_INVALID']);
        return one(this.signed({ ...this.base(c, this.nav(c)), [key]: long }), 'reject', ['SCHEMA_INVALID']);
      }
      case 'deep_nesting': {
        const d = this.base(c, this.nav(c));
        const open = c.field % 2 ? '['.repeat(c.depth) : '{"a":'.repeat(c.depth);
        const close = c.field % 2 ? ']'.repeat(c.depth) : '}'.repeat(c.depth);
        const text = JSON.stringify(this.signed(d)).replace(/}$/, `,"extra":${open}${c.field % 2 ? '' : '1'}${close}}`);
        return [{ payload: Buffer.from(text), retained: false, broadcast: false, expect: 'reject' }];
      }
      case 'unknown_field': {
        const d = this.base(c, this.nav(c));
        const where = [d, d.kind as Json, (d.kind as Json).target as Json][c.field % 3]!;
        const key = c.text.length > 0 && !Object.prototype.hasOwnProperty.call(where, c.text) ? c.text : '__proto__';
        // defineProperty: `where.__proto__ = v` would set the prototype, not add a field named so.
        Object.defineProperty(where, key, { value: c.junk ?? 1, enumerable: true, writable: true, configurable: true });
        return one(this.signed(d), 'reject');
      }
      case 'wrong_robot':
        return one(this.signed({ ...this.base(c, this.nav(c)), robotId: `${ROBOT}x` }), 'reject', ['WRONG_ROBOT']);
      case 'wrong_fleet':
        return one(this.signed({ ...this.base(c, this.nav(c)), fleetId: 'osaka-2' }), 'reject', ['WRONG_FLEET']);
      case 'no_fleet': {
        const d = this.base(c, this.nav(c));
        delete d.fleetId;
        return one(this.signed(d), 'reject', ['FLEET_MISSING']);
      }
      case 'expired': {
        const ago = 1 + (c.field % 100_000);
        const d = { ...this.base(c, this.nav(c)), issuedAt: this.nowMs - ago - 60_000, expiresAt: this.nowMs - ago };
        return one(this.signed(d), 'reject', ['EXPIRED']);
      }
      case 'future_dated': {
        const ahead = 30_001 + c.field * 1000;
        const d = { ...this.base(c, this.nav(c)), issuedAt: this.nowMs + ahead, expiresAt: this.nowMs + ahead + 1000 };
        return one(this.signed(d), 'reject', ['FUTURE_DATED']);
      }
      case 'long_lifetime': {
        const d = { ...this.base(c, this.nav(c)), expiresAt: this.nowMs + 86_400_000 + c.field };
        return one(this.signed(d), 'reject', ['LIFETIME_TOO_LONG']);
      }
      case 'replayed': {
        const d = valid();
        return [...one(d, 'accept'), ...one(d, 'reject', ['REPLAYED'])];
      }
      case 'resigned_other_key':
        return one(this.signed(this.base(c, this.nav(c)), ATTACKER), 'reject', ['BAD_SIGNATURE']);
      case 'unknown_key':
        return one(this.signed(this.base(c, this.nav(c)), ATTACKER, 'attacker-key'), 'reject', ['UNKNOWN_KEY']);
      case 'tampered': {
        const d = valid();
        const kind = d.kind as Json;
        const changes: Array<() => void> = [
          () => ((kind.target as Json).x = c.x + 1),
          () => (d.priority = (c.priority + 1) % 256),
          () => (d.expiresAt = (d.expiresAt as number) + 1000),
          () => (d.decisionId = `${d.decisionId as string}-b`),
          () => (d.kind = { type: 'stop' }),
        ];
        changes[c.field % changes.length]!();
        return one(d, 'reject', ['BAD_SIGNATURE']);
      }
      case 'unsigned':
        return one(this.base(c, this.nav(c)), 'reject', ['UNSIGNED']);
      case 'outside_geofence': {
        // Within the contract's ±1e6 m, outside the 50 × 40 m fence; the highest priority, so that the
        // executive's priority rule does not answer first.
        const far = [
          [-1 - c.x, c.y],
          [51 + c.x, c.y],
          [c.x, -1 - c.y],
          [c.x, 41 + c.y * 2e4],
        ][c.field % 4]!;
        const d = this.signed(this.base({ ...c, priority: 255 }, this.nav(c, far[0], far[1])));
        return one(d, 'accept', undefined, 'GEOFENCE');
      }
      case 'too_fast': {
        const kind = { ...this.nav(c), maxSpeed: this.cfg.maxSpeedMps + 0.01 + (c.field % 8) };
        return one(this.signed(this.base(c, kind)), 'reject', ['SPEED_ABOVE_PROFILE_MAX', 'SCHEMA_INVALID']);
      }
      case 'other_profile_task': {
        const args = { person_id: 'p1', destination: { x: c.x, y: c.y, yaw: 0 } };
        const kind = { type: 'perform_task', profile: 'care', task: 'accompany', args };
        return one(this.signed(this.base(c, kind)), 'reject', ['TASK_NOT_IN_PROFILE']);
      }
      case 'retained':
        return [{ payload: json(valid()), retained: true, broadcast: false, expect: 'reject', reasons: ['RETAINED'] }];
      case 'garbage': {
        const bytes = Buffer.from(c.text, c.field % 2 ? 'latin1' : 'utf8');
        return [
          { payload: bytes, retained: false, broadcast: false, expect: bytes.length === 0 ? 'ignore' : 'reject' },
        ];
      }
      case 'broadcast_nav': {
        const d = this.signed({ ...this.base(c, this.nav(c)), robotId: '*' });
        return [
          {
            payload: json(d),
            retained: false,
            broadcast: true,
            expect: 'reject',
            reasons: ['NOT_ALLOWED_IN_BROADCAST'],
          },
        ];
      }
    }
  }

  /** Runs case `c` through the pipeline and checks every invariant; never throws. */
  run(c: DecisionCase): Outcome {
    const out: Outcome = { bridge: [], executive: [], broken: [] };
    const broke = (why: string): void => void out.broken.push(`${c.mutation}: ${why}`);
    try {
      const topics = robotTopics('kizuna/v1', FLEET, ROBOT);
      for (const m of this.messages(c)) {
        this.forwarded = [];
        this.events = [];
        this.errors = [];
        this.inbox.handle(m.broadcast ? topics.broadcastDecision : topics.decision, m.payload, m.retained);
        for (const e of this.errors) broke(`the inbox reported an error instead of a rejection: ${e.slice(0, 160)}`);
        let verdict: string;
        if (this.forwarded.length === 1 && this.events.length === 0) verdict = 'ACCEPTED';
        else if (this.forwarded.length === 0 && this.events.length === 0 && m.payload.length === 0) verdict = 'IGNORED';
        else if (this.forwarded.length === 0 && this.events.length === 1) {
          const ev = this.events[0]!;
          if (ev.type !== 'decision_rejected') broke(`the inbox reported a '${ev.type}' event, not decision_rejected`);
          const { reason, message } = ev as { reason?: unknown; message?: unknown };
          verdict = String(reason);
          if (!(REJECT_REASONS as readonly string[]).includes(verdict))
            broke(`reason '${verdict}' is not in REJECT_REASONS`);
          if (typeof message !== 'string' || message.length > 256) broke('rejection message missing or over 256 chars');
        } else {
          verdict = 'NONE';
          broke(
            `neither one forward nor one rejection (${this.forwarded.length} forwarded, ${this.events.length} events)`,
          );
        }
        out.bridge.push(verdict);
        if (m.expect === 'accept' && verdict !== 'ACCEPTED') broke(`a valid decision was rejected ${verdict}`);
        if (m.expect === 'ignore' && verdict !== 'IGNORED') broke(`an empty message was not ignored: ${verdict}`);
        if (m.expect !== 'ignore' && verdict === 'IGNORED') broke('a message was ignored without a rejection');
        if (m.expect === 'reject' && verdict === 'ACCEPTED') broke('a decision that must be rejected was accepted');
        if (
          m.expect === 'reject' &&
          m.reasons &&
          verdict !== 'ACCEPTED' &&
          !m.reasons.includes(verdict as RejectReason)
        ) {
          broke(`rejected ${verdict}, expected ${m.reasons.join(' or ')}`);
        }
        for (const d of this.forwarded) this.admit(d, m, out, broke);
      }
    } catch (err) {
      broke(`threw ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`);
    }
    this.nowMs += 1000;
    // The node prunes every 60 s of wall time.
    if (this.nowMs % 60_000 < 1000) this.replay.prune(this.nowMs, this.cfg.clockSkewMs);
    this.maxReplay = Math.max(this.maxReplay, this.replay.size);
    return out;
  }

  private admit(d: DecisionIn, m: Message, out: Outcome, broke: (why: string) => void): void {
    const t = this.nowMs / 1000;
    this.exec.onDecision(d, t);
    const mine: StatusOut[] = this.exec.out.statuses.filter((s) => s.decisionId === d.decision_id);
    const rejected = mine.find((s) => s.state === ST.STATE_REJECTED);
    const verdict = rejected
      ? rejected.reasonCode
      : mine.some((s) => s.state === ST.STATE_ACCEPTED)
        ? 'ACCEPTED'
        : 'NONE';
    out.executive.push(verdict);
    if (rejected && !(EXECUTIVE_REJECT_CODES as readonly string[]).includes(rejected.reasonCode)) {
      broke(`executive reason_code '${rejected.reasonCode}' is not documented`);
    }
    if (verdict === 'NONE') broke('the executive neither accepted nor rejected a decision');
    if (m.execCode && verdict !== m.execCode) broke(`executive said ${verdict}, expected ${m.execCode}`);
    const goal = d.target.pose.position;
    if (verdict === 'ACCEPTED' && d.kind === 1 && !insideGeofence(FENCE, goal.x, goal.y)) {
      broke(`a goal outside the geofence (${goal.x}, ${goal.y}) was accepted`);
    }
    const cmd = this.exec.tick(t + 0.05);
    const p = this.params;
    if (!Number.isFinite(cmd.v) || !Number.isFinite(cmd.w)) broke(`commanded a non-finite velocity ${cmd.v}, ${cmd.w}`);
    if (Math.abs(cmd.v) > p.max_linear_speed_mps + 1e-9)
      broke(`commanded ${cmd.v} m/s above ${p.max_linear_speed_mps}`);
    if (Math.abs(cmd.w) > p.max_angular_speed_rps + 1e-9)
      broke(`commanded ${cmd.w} rad/s above ${p.max_angular_speed_rps}`);
    // The node drains the outbox after every callback.
    this.exec.out.statuses.length = 0;
    this.exec.out.requests.length = 0;
    this.exec.out.decisions.length = 0;
    this.exec.out.nav.length = 0;
  }
}

/** Counts of a fuzz run. */
export interface FuzzCounts {
  cases: number;
  messages: number;
  bridgeAccepted: number;
  bridgeRejected: Record<string, number>;
  executiveAccepted: number;
  executiveRejected: Record<string, number>;
  byMutation: Record<string, number>;
  broken: number;
  firstBroken: string[];
  maxReplayEntries: number;
}

/** Adds one outcome to `counts`. */
export function count(counts: FuzzCounts, c: DecisionCase, o: Outcome): void {
  counts.cases++;
  counts.byMutation[c.mutation] = (counts.byMutation[c.mutation] ?? 0) + 1;
  for (const b of o.bridge) {
    counts.messages++;
    if (b === 'ACCEPTED') counts.bridgeAccepted++;
    else counts.bridgeRejected[b] = (counts.bridgeRejected[b] ?? 0) + 1;
  }
  for (const e of o.executive) {
    if (e === 'ACCEPTED') counts.executiveAccepted++;
    else counts.executiveRejected[e] = (counts.executiveRejected[e] ?? 0) + 1;
  }
  if (o.broken.length > 0) {
    counts.broken++;
    if (counts.firstBroken.length < 10) counts.firstBroken.push(...o.broken.slice(0, 10 - counts.firstBroken.length));
  }
}

export function emptyCounts(): FuzzCounts {
  return {
    cases: 0,
    messages: 0,
    bridgeAccepted: 0,
    bridgeRejected: {},
    executiveAccepted: 0,
    executiveRejected: {},
    byMutation: {},
    broken: 0,
    firstBroken: [],
    maxReplayEntries: 0,
  };
}
