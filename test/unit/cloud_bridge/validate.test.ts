import { describe, it, expect, beforeEach } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { privateKeyFromSeed, signDecision, loadTrustedKeys } from '../../../nodes/core/contract';
import { MemoryReplayStore, validateDecision, type ValidatorConfig } from '../../../nodes/cloud_bridge/validate';

const key = privateKeyFromSeed(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
const NOW = 1795849200000;
const cfg: ValidatorConfig = {
  robotId: 'care-007',
  fleet: 'tokyo-1',
  acceptWithoutFleet: false,
  profile: 'care',
  maxInboundBytes: 65536,
  clockSkewMs: 30000,
  maxLifetimeMs: 86400000,
  maxSpeedMps: 1.0,
  allowUnsigned: false,
  trustedKeys: loadTrustedKeys({
    keys: [{ keyId: 'national-2026-a', publicKey: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' }],
  }),
};

let n = 0;
function decision(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: '1.0',
    decisionId: `d-${++n}`,
    robotId: 'care-007',
    fleetId: 'tokyo-1',
    issuedAt: NOW - 1000,
    expiresAt: NOW + 60000,
    priority: 10,
    kind: { type: 'navigate_to', target: { x: 1, y: 2, yaw: 0 } },
    ...over,
  };
}
const signed = (over: Record<string, unknown> = {}): Record<string, unknown> =>
  signDecision(decision(over), 'national-2026-a', key);
const bytes = (v: unknown): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('inbound decision validation: each bad input is rejected with its reason code', () => {
  let replay: MemoryReplayStore;
  beforeEach(() => {
    replay = new MemoryReplayStore();
  });
  const check = (payload: unknown, opts: Partial<{ retained: boolean; broadcast: boolean; nowMs: number }> = {}) =>
    validateDecision({ payload: bytes(payload), retained: false, broadcast: false, nowMs: NOW, ...opts }, cfg, replay);
  const reason = (v: ReturnType<typeof check>): string => (v.ok ? 'ACCEPTED' : v.reason);

  it('accepts a signed, fresh decision for this robot and remembers its id', () => {
    const d = signed();
    const v = check(d);
    expect(v).toMatchObject({ ok: true, source: 'cloud', decision: { decisionId: d.decisionId } });
    expect(replay.has(d.decisionId as string)).toBe(true);
  });

  it('non-JSON → NOT_JSON (also invalid UTF-8, NaN and Infinity literals, a JSON array)', () => {
    expect(reason(check('not json {'))).toBe('NOT_JSON');
    expect(reason(check(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))).toBe('NOT_JSON');
    expect(reason(check(JSON.stringify(signed()).replace('"priority":10', '"priority":NaN')))).toBe('NOT_JSON');
    expect(reason(check(JSON.stringify(signed()).replace('"priority":10', '"priority":Infinity')))).toBe('NOT_JSON');
    expect(reason(check('[1,2]'))).toBe('NOT_JSON');
  });

  it('valid JSON of the wrong shape → SCHEMA_INVALID naming the field', () => {
    const v = check(signed({ kind: { type: 'navigate_to', target: { x: 1 } } }));
    expect(v).toMatchObject({ ok: false, reason: 'SCHEMA_INVALID' });
    expect(v.ok ? '' : v.message).toMatch(/kind/);
    expect(reason(check(signed({ extra: 1 })))).toBe('SCHEMA_INVALID');
    expect(reason(check({ v: '1.0' }))).toBe('SCHEMA_INVALID');
  });

  it('unknown contract major version → UNSUPPORTED_VERSION (a newer minor is fine)', () => {
    expect(reason(check(signed({ v: '2.0' })))).toBe('UNSUPPORTED_VERSION');
    expect(reason(check(signed({ v: 'one' })))).toBe('UNSUPPORTED_VERSION');
    expect(reason(check(signed({ v: '1.7' })))).toBe('ACCEPTED');
  });

  it('oversize → OVERSIZE before parsing', () => {
    const v = check(JSON.stringify(signed()).padEnd(70000, ' '));
    expect(reason(v)).toBe('OVERSIZE');
  });

  it('NaN / Infinity / 1e308 in numbers → NUMBER_OUT_OF_RANGE (1e309 parses as Infinity)', () => {
    const d = signed({ kind: { type: 'navigate_to', target: { x: 1e308, y: 0, yaw: 0 } } });
    const v = check(d);
    expect(v).toMatchObject({ ok: false, reason: 'NUMBER_OUT_OF_RANGE', decisionId: d.decisionId });
    expect(v.ok ? '' : v.message).toMatch(/kind\.target\.x/);
    const inf = JSON.stringify(signed()).replace('"x":1', '"x":1e309');
    expect(reason(check(inf))).toBe('NUMBER_OUT_OF_RANGE');
  });

  it('speed limit above the profile maximum → SPEED_ABOVE_PROFILE_MAX (set_speed_limit, navigate_to cap)', () => {
    expect(reason(check(signed({ kind: { type: 'set_speed_limit', speedLimit: 1.5 } })))).toBe(
      'SPEED_ABOVE_PROFILE_MAX',
    );
    expect(reason(check(signed({ kind: { type: 'navigate_to', target: { x: 0, y: 0, yaw: 0 }, maxSpeed: 3 } })))).toBe(
      'SPEED_ABOVE_PROFILE_MAX',
    );
    expect(reason(check(signed({ kind: { type: 'set_speed_limit', speedLimit: 0.8 } })))).toBe('ACCEPTED');
  });

  it('expired → EXPIRED', () => {
    expect(reason(check(signed({ issuedAt: NOW - 120000, expiresAt: NOW - 1 })))).toBe('EXPIRED');
  });

  it('future-dated beyond the clock-skew tolerance → FUTURE_DATED (within it: accepted)', () => {
    expect(reason(check(signed({ issuedAt: NOW + 31000, expiresAt: NOW + 90000 })))).toBe('FUTURE_DATED');
    expect(reason(check(signed({ issuedAt: NOW + 29000, expiresAt: NOW + 90000 })))).toBe('ACCEPTED');
  });

  it('lifetime not positive or beyond the maximum → LIFETIME_TOO_LONG', () => {
    expect(reason(check(signed({ issuedAt: NOW, expiresAt: NOW + 86400001 })))).toBe('LIFETIME_TOO_LONG');
    expect(reason(check(signed({ issuedAt: NOW, expiresAt: NOW })))).toBe('LIFETIME_TOO_LONG');
  });

  it('replayed decisionId → REPLAYED; a rejected forgery does not burn the id', () => {
    const d = signed();
    expect(reason(check({ ...d, priority: 200 }))).toBe('BAD_SIGNATURE');
    expect(reason(check(d))).toBe('ACCEPTED');
    expect(reason(check(d))).toBe('REPLAYED');
  });

  it('wrong robotId → WRONG_ROBOT (also "*" on the robot topic, a robot id on the broadcast topic)', () => {
    expect(reason(check(signed({ robotId: 'care-008' })))).toBe('WRONG_ROBOT');
    expect(reason(check(signed({ robotId: '*', kind: { type: 'stop' } })))).toBe('WRONG_ROBOT');
    expect(reason(check(signed({ kind: { type: 'stop' } }), { broadcast: true }))).toBe('WRONG_ROBOT');
    expect(reason(check(signed({ robotId: '*', kind: { type: 'stop' } }), { broadcast: true }))).toBe('ACCEPTED');
  });

  it('a decision signed for the robot of the same id in another fleet → WRONG_FLEET (also on the broadcast topic)', () => {
    expect(reason(check(signed({ fleetId: 'osaka-1' })))).toBe('WRONG_FLEET');
    const broadcast = { robotId: '*', kind: { type: 'stop' } };
    expect(reason(check(signed({ ...broadcast, fleetId: 'osaka-1' }), { broadcast: true }))).toBe('WRONG_FLEET');
    expect(reason(check(signed(broadcast), { broadcast: true }))).toBe('ACCEPTED');
    // Rewriting the fleet after signing does not make it ours: the signature covers fleetId.
    expect(reason(check({ ...signed({ fleetId: 'osaka-1' }), fleetId: 'tokyo-1' }))).toBe('BAD_SIGNATURE');
  });

  it('no fleetId → FLEET_MISSING; the migration setting accepts a signed one but still verifies it', () => {
    const { fleetId: _f, ...unbound } = decision();
    const old = signDecision(unbound, 'national-2026-a', key);
    expect(reason(check(old))).toBe('FLEET_MISSING');
    const { fleetId: _g, ...stripped } = signed();
    expect(reason(check(stripped))).toBe('FLEET_MISSING');
    const migrating = { ...cfg, acceptWithoutFleet: true };
    const judge = (d: unknown) =>
      reason(validateDecision({ payload: bytes(d), retained: false, broadcast: false, nowMs: NOW }, migrating, replay));
    expect(judge(old)).toBe('ACCEPTED');
    // Stripping the fleet from a 1.1 decision breaks its signature; another fleet is still refused.
    expect(judge(stripped)).toBe('BAD_SIGNATURE');
    expect(judge(signed({ fleetId: 'osaka-1' }))).toBe('WRONG_FLEET');
  });

  it('broadcast of a robot-specific kind → NOT_ALLOWED_IN_BROADCAST', () => {
    expect(reason(check(signed({ robotId: '*' }), { broadcast: true }))).toBe('NOT_ALLOWED_IN_BROADCAST');
  });

  it('unsigned → UNSIGNED (missing signature or missing keyId); allow_unsigned accepts it but still verifies signed ones', () => {
    expect(reason(check(decision()))).toBe('UNSIGNED');
    const { keyId: _k, ...noKey } = signed();
    expect(reason(check(noKey))).toBe('UNSIGNED');
    const dev = { ...cfg, allowUnsigned: true };
    expect(
      validateDecision({ payload: bytes(decision()), retained: false, broadcast: false, nowMs: NOW }, dev, replay).ok,
    ).toBe(true);
    const forged = { ...signed(), priority: 99 };
    const v = validateDecision({ payload: bytes(forged), retained: false, broadcast: false, nowMs: NOW }, dev, replay);
    expect(reason(v)).toBe('BAD_SIGNATURE');
  });

  it('bad signature → BAD_SIGNATURE (tampered field, signature by another key under a trusted keyId)', () => {
    expect(reason(check({ ...signed(), priority: 11 }))).toBe('BAD_SIGNATURE');
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(reason(check(signDecision(decision(), 'national-2026-a', other)))).toBe('BAD_SIGNATURE');
  });

  it('unknown keyId → UNKNOWN_KEY', () => {
    expect(reason(check(signDecision(decision(), 'national-2099-z', key)))).toBe('UNKNOWN_KEY');
  });

  it('retained decision on connect → RETAINED, even when otherwise valid', () => {
    expect(reason(check(signed(), { retained: true }))).toBe('RETAINED');
  });

  it('perform_task of another profile → TASK_NOT_IN_PROFILE', () => {
    const task = {
      type: 'perform_task',
      profile: 'farm',
      task: 'water_row',
      args: { row_start: { x: 0, y: 0, yaw: 0 }, row_end: { x: 5, y: 0, yaw: 0 } },
    };
    expect(reason(check(signed({ kind: task })))).toBe('TASK_NOT_IN_PROFILE');
  });

  it('reports the decisionId and kind of a rejected decision when the payload yields them', () => {
    const d = signed({ issuedAt: NOW - 120000, expiresAt: NOW - 1 });
    expect(check(d)).toMatchObject({ ok: false, decisionId: d.decisionId, kind: 'navigate_to', source: 'cloud' });
  });
});
