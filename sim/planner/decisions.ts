/**
 * The reference planner's rules and the decisions it writes, as pure functions: which decision a robot
 * gets next (per-profile tasks between the scenario's stations, docking on low battery, holds), how a
 * scenario's scripted decision becomes a contract decision, how a decision is signed, and the forged
 * or malformed payloads of the decision-injection faults. No MQTT, no clock reads: time comes in.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  CONTRACT_VERSION,
  decisionSchema,
  rawPublicKey,
  signDecision,
  type Decision,
  type DecisionKind,
  type RejectReason,
} from '../../nodes/core/contract';
import type { Pose2D, ProfileName } from '../../nodes/core/profiles';
import { expectedRejectReason, type DecisionAttack, type Scenario, type ScenarioDecision } from '../scenario';
import { PROFILE_MAX_SPEED_MPS } from '../../nodes/cloud_bridge/params';
import { tileOfRobot, tileOfStation } from '../fleet/scale';

type Station = Scenario['world']['stations'][number];

/** A signing identity: key id and Ed25519 key pair. */
export interface PlannerKey {
  keyId: string;
  privateKey: KeyObject;
  /** Raw public key, base64 (what a trusted keys file holds). */
  publicKeyB64: string;
}

/** A fresh Ed25519 key pair (one per run). */
export function newPlannerKey(keyId: string): PlannerKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { keyId, privateKey, publicKeyB64: rawPublicKey(privateKey).toString('base64') };
}

/** The trusted keys file contents naming `key`. */
export function trustedKeysJson(key: PlannerKey): string {
  return JSON.stringify({ keys: [{ keyId: key.keyId, publicKey: key.publicKeyB64 }] }, null, 2);
}

/** What a decision needs besides its kind. */
export interface DecisionMeta {
  decisionId: string;
  robotId: string;
  /** The robot's fleet (signed, contract 1.1): a robot of another fleet refuses it. */
  fleetId: string;
  /** [ms since epoch] */
  nowMs: number;
  /** [s] lifetime. */
  lifetimeS: number;
  priority: number;
  requestId?: string;
}

/** An unsigned, contract-valid decision (throws when it is not: an invalid outbound payload is a bug). */
export function buildDecision(kind: DecisionKind, m: DecisionMeta): Decision {
  const d: Decision = {
    v: CONTRACT_VERSION,
    decisionId: m.decisionId,
    robotId: m.robotId,
    fleetId: m.fleetId,
    issuedAt: m.nowMs,
    expiresAt: m.nowMs + Math.round(m.lifetimeS * 1000),
    priority: m.priority,
    kind,
    ...(m.requestId ? { requestId: m.requestId } : {}),
  };
  return decisionSchema.parse(d);
}

/** `d` signed with `key`. */
export function sign(d: Decision, key: PlannerKey): Decision {
  return signDecision(d as unknown as Record<string, unknown>, key.keyId, key.privateKey) as unknown as Decision;
}

const pose = (p: { x: number; y: number; yaw?: number }): Pose2D => ({ x: p.x, y: p.y, yaw: p.yaw ?? 0 });

/**
 * Stations a profile may use (no `profiles` list: everyone), in the robot's own tile of a tiled fleet
 * (`kizuna sim --robots N`; sim/fleet/scale.ts).
 */
export function stationsFor(s: Scenario, profile: ProfileName, kinds?: readonly string[], robotId?: string): Station[] {
  const tile = robotId === undefined ? undefined : tileOfRobot(robotId);
  return s.world.stations.filter(
    (st) =>
      (!st.profiles || st.profiles.includes(profile)) &&
      (!kinds || kinds.includes(st.kind)) &&
      (tile === undefined || tileOfStation(st.name) === tile),
  );
}

/** The dock a robot uses: its profile's dock nearest `near`. */
export function dockFor(s: Scenario, profile: ProfileName, near: { x: number; y: number }): Station | undefined {
  return stationsFor(s, profile, ['dock']).sort(
    (a, b) => Math.hypot(a.pose.x - near.x, a.pose.y - near.y) - Math.hypot(b.pose.x - near.x, b.pose.y - near.y),
  )[0];
}

/**
 * The `n`th task of a robot of `profile` in scenario `s` (round robin over the stations it may use),
 * or undefined when the scenario has no stations for any of the profile's tasks. `peopleNear`: the
 * robot reports people nearby (a care robot then accompanies one instead of giving a reminder).
 */
export function taskFor(
  s: Scenario,
  profile: ProfileName,
  robotId: string,
  n: number,
  peopleNear = false,
): DecisionKind | undefined {
  const pick = <T>(xs: T[], k: number): T | undefined => (xs.length ? xs[k % xs.length] : undefined);
  const tag = `${robotId}-${n}`;
  switch (profile) {
    case 'care': {
      const room = pick(stationsFor(s, profile, ['room'], robotId), n);
      if (!room) return undefined;
      if (peopleNear && n % 2 === 1) {
        return {
          type: 'perform_task',
          profile,
          task: 'accompany',
          args: { person_id: `resident-${n}`, destination: pose(room.pose) },
        };
      }
      return {
        type: 'perform_task',
        profile,
        task: 'remind_medication',
        args: { room: pose(room.pose), reminder_id: `reminder-${tag}` },
      };
    }
    case 'delivery': {
      const from = pick(stationsFor(s, profile, ['pickup'], robotId), n);
      const to = pick(stationsFor(s, profile, ['dropoff'], robotId), n);
      if (!from || !to) return undefined;
      return {
        type: 'perform_task',
        profile,
        task: 'deliver_package',
        args: { pickup: pose(from.pose), dropoff: pose(to.pose), package_id: `pkg-${tag}` },
      };
    }
    case 'factory': {
      const from = pick(stationsFor(s, profile, ['pickup'], robotId), n);
      const to = pick(stationsFor(s, profile, ['dropoff'], robotId), n);
      if (!from || !to) return undefined;
      return {
        type: 'perform_task',
        profile,
        task: 'move_material',
        args: { from: pose(from.pose), to: pose(to.pose), material_id: `mat-${tag}` },
      };
    }
    case 'farm': {
      const starts = stationsFor(s, profile, ['row_start'], robotId);
      const ends = stationsFor(s, profile, ['row_end'], robotId);
      const a = pick(starts, n);
      const b = pick(ends, n);
      if (!a || !b) return undefined;
      // Alternate direction so the robot waters back and forth.
      const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
      return {
        type: 'perform_task',
        profile,
        task: 'water_row',
        args: { row_start: pose(from.pose), row_end: pose(to.pose), litres_per_metre: 1 },
      };
    }
    case 'construction': {
      const pts = stationsFor(s, profile, ['survey'], robotId);
      if (pts.length === 0) return undefined;
      const order = n % 2 === 0 ? pts : [...pts].reverse();
      return {
        type: 'perform_task',
        profile,
        task: 'survey_area',
        args: { waypoints: order.map((p) => pose(p.pose)) },
      };
    }
  }
}

/** A navigate_to the `n`th non-dock station the profile may use (undefined when there is none). */
export function navigateFor(s: Scenario, profile: ProfileName, n: number, robotId?: string): DecisionKind | undefined {
  const sts = stationsFor(s, profile, undefined, robotId).filter((st) => st.kind !== 'dock');
  if (sts.length === 0) return undefined;
  return { type: 'navigate_to', target: pose(sts[n % sts.length]!.pose) };
}

/** A scenario's scripted decision as a contract decision kind (the scenario is validated: references resolve). */
export function scriptedKind(s: Scenario, d: ScenarioDecision): DecisionKind {
  const robot = s.robots.find((r) => r.id === d.robot)!;
  const station = (name: string): Station => s.world.stations.find((st) => st.name === name)!;
  switch (d.kind) {
    case 'navigate_to':
      return { type: 'navigate_to', target: pose(d.station !== undefined ? station(d.station).pose : d.pose!) };
    case 'dock': {
      const dock = d.station !== undefined ? station(d.station) : dockFor(s, robot.profile, robot.start);
      return { type: 'dock', approach: pose(dock?.pose ?? robot.start) };
    }
    case 'hold':
      return { type: 'hold' };
    case 'stop':
      return { type: 'stop' };
    case 'resume':
      return { type: 'resume' };
    case 'set_speed_limit':
      return { type: 'set_speed_limit', speedLimit: d.speed_mps };
    case 'perform_task':
      return { type: 'perform_task', profile: robot.profile, task: d.task, args: d.args } as DecisionKind;
  }
}

// ---------------------------------------------------------------------------------------------
// Injected (forged or malformed) decisions

/**
 * Attacks of the inject_decision fault: one per reason code the bridge rejects with, named after it in
 * lower case (sim/scenario.ts DECISION_ATTACKS), so the reason an attack must get is its own name.
 */
export type Attack = DecisionAttack;
export const attackReason: (attack: Attack) => RejectReason = expectedRejectReason;

/** The payload of an injected decision (replayed and retained are built from a valid signed one). */
export interface InjectedPayload {
  payload: Buffer;
  /** The decisionId the bridge will name in its rejection, when the payload yields one. */
  decisionId?: string;
  expectedReason: RejectReason;
}

/**
 * The forged or malformed payload of `attack` against `robotId` of `fleetId`. What it asks for, were
 * it accepted, is to drive to `target` — so an attack that got through would show in the robot's path.
 * `replayOf` is a decision already delivered (for `replayed`); `otherRobot` an id that is not this
 * robot's (for `wrong_robot`); `otherFleet` a fleet that is not this robot's (for `wrong_fleet`: a
 * decision validly signed for the robot of the same id there); `forger` a key the robot does not
 * trust (for `unknown_key`).
 */
export function injectedPayload(
  attack: Attack,
  o: {
    robotId: string;
    fleetId: string;
    profile: ProfileName;
    decisionId: string;
    nowMs: number;
    key: PlannerKey;
    forger: PlannerKey;
    target: Pose2D;
    replayOf?: Buffer;
    otherRobot: string;
    otherFleet: string;
  },
): InjectedPayload {
  const expectedReason = attackReason(attack);
  const meta: DecisionMeta = {
    decisionId: o.decisionId,
    robotId: o.robotId,
    fleetId: o.fleetId,
    nowMs: o.nowMs,
    lifetimeS: 600,
    priority: 200,
  };
  const kind: DecisionKind = { type: 'navigate_to', target: o.target };
  const json = (d: unknown): Buffer => Buffer.from(JSON.stringify(d));
  const signed = (k: DecisionKind = kind, m: Partial<DecisionMeta> = {}): Decision =>
    sign(buildDecision(k, { ...meta, ...m }), o.key);
  const out = (payload: Buffer, decisionId: string | undefined = o.decisionId): InjectedPayload =>
    decisionId === undefined ? { payload, expectedReason } : { payload, decisionId, expectedReason };
  switch (attack) {
    case 'not_json':
      // Cut off mid-object: no decisionId can be read from it.
      return out(Buffer.from(`{"v":"1.0","decisionId":"${o.decisionId}","kind":{"type":`), undefined);
    case 'oversize':
      // Over the bridge's 64 KiB inbound cap before anything else is read.
      return out(json({ ...signed(), padding: 'x'.repeat(70 * 1024) }), undefined);
    case 'unsupported_version':
      return out(json({ ...signed(), v: '9.0' }));
    case 'schema_invalid':
      return out(json({ ...signed(), kind: { type: 'teleport', target: o.target } }));
    case 'number_out_of_range':
      // 1e308 is valid JSON and a finite double, but no field of the contract can hold it.
      return out(Buffer.from(JSON.stringify(signed()).replace('"priority":200', '"priority":1e308')));
    case 'wrong_robot':
      return out(json(signed(kind, { robotId: o.otherRobot })));
    case 'wrong_fleet':
      // Validly signed, for the robot of the same id in another fleet.
      return out(json(signed(kind, { fleetId: o.otherFleet })));
    case 'fleet_missing': {
      // Validly signed the contract 1.0 way, bound to no fleet.
      const { fleetId: _fleet, ...unbound } = buildDecision(kind, meta);
      return out(json(sign(unbound, o.key)));
    }
    case 'not_allowed_in_broadcast':
      // Published on the fleet's broadcast topic (see Planner.inject): only hold, stop, resume and
      // set_speed_limit may be broadcast, never a navigation goal.
      return out(json(signed(kind, { robotId: '*' })));
    case 'unsigned':
      return out(json(buildDecision(kind, meta)));
    case 'unknown_key':
      return out(json(sign(buildDecision(kind, meta), o.forger)));
    case 'bad_signature':
      // Signed, then changed after signing: the signature no longer matches.
      return out(json({ ...signed(), priority: 255 }));
    case 'expired':
      return out(json(signed(kind, { nowMs: o.nowMs - 120_000, lifetimeS: 60 })));
    case 'future_dated':
      return out(json(signed(kind, { nowMs: o.nowMs + 10 * 60_000 })));
    case 'lifetime_too_long':
      return out(json(signed(kind, { lifetimeS: 3 * 86_400 })));
    case 'replayed': {
      const payload = o.replayOf ?? json(signed());
      return out(payload, (JSON.parse(payload.toString('utf8')) as { decisionId: string }).decisionId);
    }
    case 'speed_above_profile_max':
      return out(json(signed({ type: 'set_speed_limit', speedLimit: PROFILE_MAX_SPEED_MPS[o.profile] + 1 })));
    case 'task_not_in_profile': {
      // A task of another profile, with valid arguments for it.
      const other: ProfileName = o.profile === 'construction' ? 'farm' : 'construction';
      const task =
        other === 'farm'
          ? { task: 'water_row', args: { row_start: o.target, row_end: o.target, litres_per_metre: 1 } }
          : { task: 'survey_area', args: { waypoints: [o.target] } };
      return out(json(signed({ type: 'perform_task', profile: other, ...task } as DecisionKind)));
    }
    case 'retained':
      return out(json(signed()));
  }
}
