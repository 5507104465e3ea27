/**
 * The reference planner's pure parts: its decisions pass the bridge's own validation (signature,
 * schema, profile tasks), its tasks use the scenario's stations for the robot's profile (and tile),
 * and every injected attack is refused by the bridge's validator with the reason code it is meant to
 * trigger.
 */
import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import { loadTrustedKeys, type DecisionKind } from '../../../nodes/core/contract';
import { MemoryReplayStore, validateDecision, type ValidatorConfig } from '../../../nodes/cloud_bridge/validate';
import { PROFILE_MAX_SPEED_MPS } from '../../../nodes/cloud_bridge/params';
import { DECISION_ATTACKS, loadScenario, parseScenario } from '../../../sim/scenario';
import { scriptedInOrder } from '../../../sim/planner/planner';
import { adjustScenario } from '../../../sim/fleet/scale';
import {
  buildDecision,
  dockFor,
  injectedPayload,
  navigateFor,
  newPlannerKey,
  scriptedKind,
  sign,
  stationsFor,
  taskFor,
  trustedKeysJson,
  type Attack,
} from '../../../sim/planner/decisions';
import type { ProfileName } from '../../../nodes/core/profiles';

const fleet = loadScenario(join(__dirname, '../../../sim/scenarios/fleet.yaml'));
const key = newPlannerKey('planner-test');
const FLEET = 'sim-fleet';

function validator(robotId: string, profile: ProfileName): ValidatorConfig {
  return {
    robotId,
    fleet: FLEET,
    acceptWithoutFleet: false,
    profile,
    maxInboundBytes: 65536,
    clockSkewMs: 30_000,
    maxLifetimeMs: 86_400_000,
    maxSpeedMps: PROFILE_MAX_SPEED_MPS[profile],
    allowUnsigned: false,
    trustedKeys: loadTrustedKeys(JSON.parse(trustedKeysJson(key))),
  };
}

describe('reference planner decisions', () => {
  it('gives every profile a task of its own, between its own stations, that the robot bridge accepts', () => {
    const now = Date.now();
    for (const r of fleet.robots) {
      for (let n = 0; n < 3; n++) {
        const kind = taskFor(fleet, r.profile, r.id, n);
        expect(kind?.type).toBe('perform_task');
        const d = sign(
          buildDecision(kind!, {
            decisionId: `t-${r.id}-${n}`,
            robotId: r.id,
            fleetId: FLEET,
            nowMs: now,
            lifetimeS: 600,
            priority: 100,
          }),
          key,
        );
        const v = validateDecision(
          { payload: Buffer.from(JSON.stringify(d)), retained: false, broadcast: false, nowMs: now },
          validator(r.id, r.profile),
          new MemoryReplayStore(),
        );
        expect(v).toMatchObject({ ok: true });
      }
    }
    const delivery = taskFor(fleet, 'delivery', 'delivery1', 0) as Extract<DecisionKind, { type: 'perform_task' }>;
    expect(delivery).toMatchObject({
      task: 'deliver_package',
      args: { pickup: { x: 10, y: 3 }, dropoff: { x: 14, y: 12.5 } },
    });
    const farm = [0, 1].map((n) => taskFor(fleet, 'farm', 'farm1', n)) as Array<{ args: { row_start: { x: number } } }>;
    // Watering goes back and forth along the row.
    expect(farm[0]!.args.row_start.x).toBe(18.5);
    expect(farm[1]!.args.row_start.x).toBe(22);
  });

  it('accompanies a person only when the robot reports people near, else gives a reminder', () => {
    expect(taskFor(fleet, 'care', 'care1', 1, true)).toMatchObject({ task: 'accompany' });
    expect(taskFor(fleet, 'care', 'care1', 1, false)).toMatchObject({ task: 'remind_medication' });
  });

  it('sends trips and docks only to the profile\u2019s stations, and in a tiled fleet only to the robot\u2019s own tile', () => {
    expect(dockFor(fleet, 'farm', { x: 0, y: 0 })?.name).toBe('dock-farm');
    const trip = navigateFor(fleet, 'construction', 0, 'construction1');
    expect(trip).toEqual({ type: 'navigate_to', target: { x: 13.5, y: 4.5, yaw: 0 } });
    const tiled = adjustScenario(fleet, { robots: 12 }, 'fleet');
    expect(tiled.robots.map((r) => r.id).slice(-2)).toEqual(['care1_t2', 'delivery1_t2']);
    const own = stationsFor(tiled, 'farm', ['row_start'], 'farm1_t1').map((s) => s.name);
    expect(own).toEqual(['row-1-start.t1']);
    const t = taskFor(tiled, 'farm', 'farm1_t1', 0) as { args: { row_start: { x: number; y: number } } };
    const st = tiled.world.stations.find((s) => s.name === 'row-1-start.t1')!;
    expect(t.args.row_start).toMatchObject({ x: st.pose.x, y: st.pose.y });
  });

  it('turns each kind of scripted decision into its contract form', () => {
    const s = loadScenario(join(__dirname, '../../../sim/scenarios/estop.yaml'));
    const kinds = (s.planner.decisions ?? []).map((d) => scriptedKind(s, d));
    // after the e-stop's reset the robot needs a new decision to move (a reset never restarts it)
    expect(kinds).toEqual([
      { type: 'navigate_to', target: { x: 28, y: 0, yaw: 0 } },
      { type: 'navigate_to', target: { x: 28, y: 0, yaw: 0 } },
    ]);
    const resume = { ...s.planner.decisions![0]!, kind: 'resume' } as unknown as Parameters<typeof scriptedKind>[1];
    expect(scriptedKind(s, resume)).toEqual({ type: 'resume' });
  });
});

describe('injected decisions', () => {
  const attacks: Attack[] = [...DECISION_ATTACKS];
  it.each(attacks)('%s is refused by the bridge validator with its reason code', (attack) => {
    const now = Date.now();
    const cfg = validator('care1', 'care');
    const replay = new MemoryReplayStore();
    // A decision the robot already accepted, for the replay attack.
    const earlier = Buffer.from(
      JSON.stringify(
        sign(
          buildDecision(
            { type: 'hold' },
            { decisionId: 'earlier', robotId: 'care1', fleetId: FLEET, nowMs: now, lifetimeS: 600, priority: 1 },
          ),
          key,
        ),
      ),
    );
    expect(
      validateDecision({ payload: earlier, retained: false, broadcast: false, nowMs: now }, cfg, replay),
    ).toMatchObject({ ok: true });
    const inj = injectedPayload(attack, {
      robotId: 'care1',
      fleetId: FLEET,
      profile: 'care',
      decisionId: `forged-${attack}`,
      nowMs: now,
      key,
      forger: newPlannerKey('forger'),
      target: { x: 1, y: 1, yaw: 0 },
      replayOf: earlier,
      otherRobot: 'delivery1',
      otherFleet: 'other-fleet',
    });
    const v = validateDecision(
      {
        payload: inj.payload,
        retained: attack === 'retained',
        broadcast: attack === 'not_allowed_in_broadcast',
        nowMs: now,
      },
      cfg,
      replay,
    );
    expect(v).toMatchObject({ ok: false, reason: attack.toUpperCase() });
    expect(inj.expectedReason).toBe(attack.toUpperCase());
  });

  it('a retained decision, if it were delivered live, would be a valid one: only the retain flag gives it away', () => {
    const now = Date.now();
    const inj = injectedPayload('retained', {
      robotId: 'care1',
      fleetId: FLEET,
      profile: 'care',
      decisionId: 'r1',
      nowMs: now,
      key,
      forger: newPlannerKey('forger'),
      target: { x: 1, y: 1, yaw: 0 },
      otherRobot: 'delivery1',
      otherFleet: 'other-fleet',
    });
    const v = validateDecision(
      { payload: inj.payload, retained: false, broadcast: false, nowMs: now },
      validator('care1', 'care'),
      new MemoryReplayStore(),
    );
    expect(v).toMatchObject({ ok: true });
  });
});

describe('scripted decisions', () => {
  it('are sent in time order whatever order the file lists them in (a later one never holds back the rest)', () => {
    const s = parseScenario({
      name: 'order',
      duration_s: 30,
      world: { stations: [{ name: 'a', kind: 'waypoint', pose: { x: 1, y: 0 } }] },
      robots: [{ id: 'r1', profile: 'delivery', start: { x: 0, y: 0, yaw: 0 } }],
      planner: {
        mode: 'scripted',
        decisions: [
          { at_s: 20, robot: 'r1', kind: 'stop' },
          { at_s: 1, robot: 'r1', kind: 'navigate_to', station: 'a' },
          { at_s: 5, robot: 'r1', kind: 'hold' },
          { at_s: 5, robot: 'r1', kind: 'resume' },
        ],
      },
    });
    expect(scriptedInOrder(s).map((d) => `${d.at_s}:${d.kind}`)).toEqual([
      '1:navigate_to',
      '5:hold',
      '5:resume',
      '20:stop',
    ]);
  });
});
