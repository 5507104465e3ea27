import { describe, it, expect } from '@jest/globals';
import {
  dynsecConfig,
  nationalAcls,
  parseNationalAccounts,
  parseRobotIdentity,
  parseRoster,
  robotBrokerName,
  robotIdentity,
} from '../../../nodes/core/contract';

describe('broker identities and the robot listener rules', () => {
  it('names a robot <fleet>.<robotId> and refuses identities that reach into other levels', () => {
    expect(robotIdentity('tokyo-1', 'care-007')).toBe('tokyo-1.care-007');
    expect(parseRobotIdentity('tokyo-1.care-007')).toEqual({ fleet: 'tokyo-1', robotId: 'care-007' });
    for (const bad of [
      'care-007',
      'a.b.c',
      'tokyo/1.care',
      'tokyo.care/../x',
      'tokyo.+',
      'tokyo.#',
      'tokyo.broadcast',
      '.x',
    ])
      expect(parseRobotIdentity(bad)).toBeUndefined();
  });

  it('reads a roster and refuses bad lines and duplicates', () => {
    expect(parseRoster('# c\ntokyo-1 care-007\nosaka-1.care-007\n')).toHaveLength(2);
    expect(() => parseRoster('tokyo-1 care-007\ntokyo-1.care-007')).toThrow(/twice/);
    expect(() => parseRoster('tokyo-1 care/007')).toThrow(/line 1/);
  });

  it('gives each robot exact filters only, and refuses everything by default', () => {
    const c = dynsecConfig('kizuna/v1', [{ fleet: 'tokyo-1', robotId: 'care-007' }]);
    expect(c.defaultACLAccess).toEqual({
      publishClientSend: false,
      publishClientReceive: false,
      subscribe: false,
      unsubscribe: true,
    });
    const acls = c.roles[0]!.acls;
    expect(acls.filter((a) => a.acltype === 'subscribeLiteral').map((a) => a.topic)).toEqual([
      'kizuna/v1/tokyo-1/care-007/decision',
      'kizuna/v1/tokyo-1/broadcast/decision',
      'kizuna/v1/tokyo-1/care-007/events/ack',
    ]);
    // The robot reads the acknowledgements of its events; it may not write them (only the national side does).
    expect(acls.filter((a) => a.acltype === 'publishClientSend').some((a) => a.topic.endsWith('/events/ack'))).toBe(
      false,
    );
    expect(acls.every((a) => !/[+#]/.test(a.topic))).toBe(true);
  });

  it('names each robot by its certificate subject, CN=<fleet>.<robotId>, which no national account name can be', () => {
    expect(robotBrokerName('tokyo-1', 'care-007')).toBe('CN=tokyo-1.care-007');
    const c = dynsecConfig(
      'kizuna/v1',
      [{ fleet: 'tokyo-1', robotId: 'care-007' }],
      [{ username: 'national-1', fleets: ['+'] }],
    );
    expect(c.clients.map((x) => x.username)).toEqual(['CN=tokyo-1.care-007', 'national-1']);
    expect(() => parseNationalAccounts('CN=tokyo-1.care-007 +')).toThrow(/line 1.*username/);
    expect(() => parseNationalAccounts('tokyo-1.care-007 +')).toThrow(/username/);
  });

  it('reads the national account list and refuses bad lines and duplicates', () => {
    expect(parseNationalAccounts('# c\nnational-1 + national\nplanner tokyo-1,osaka-1\n')).toEqual([
      { username: 'national-1', fleets: ['+'], shareGroup: 'national' },
      { username: 'planner', fleets: ['tokyo-1', 'osaka-1'] },
    ]);
    expect(() => parseNationalAccounts('a +\na tokyo-1')).toThrow(/line 2.*twice/);
    expect(() => parseNationalAccounts('a')).toThrow(/line 1/);
    expect(() => parseNationalAccounts('a + g extra')).toThrow(/line 1/);
    expect(() => parseNationalAccounts('a tokyo/1')).toThrow(/fleets/);
    expect(() => parseNationalAccounts('a +,tokyo-1')).toThrow(/fleets/);
    expect(() => parseNationalAccounts('a + g/x')).toThrow(/share group/);
  });

  it("gives a national account its fleets' robot-to-cloud channels, its own share group only, and decision, ack and status writes", () => {
    const acls = nationalAcls('kizuna/v1', { username: 'p', fleets: ['tokyo-1'], shareGroup: 'planners' });
    const of = (t: string): string[] => acls.filter((a) => a.acltype === t).map((a) => a.topic);
    expect(of('subscribePattern')).toEqual([
      'kizuna/v1/tokyo-1/+/status',
      '$share/planners/kizuna/v1/tokyo-1/+/status',
      'kizuna/v1/tokyo-1/+/state',
      '$share/planners/kizuna/v1/tokyo-1/+/state',
      'kizuna/v1/tokyo-1/+/events',
      '$share/planners/kizuna/v1/tokyo-1/+/events',
      'kizuna/v1/tokyo-1/+/decision/request',
      '$share/planners/kizuna/v1/tokyo-1/+/decision/request',
    ]);
    expect(of('publishClientReceive')).toEqual([
      'kizuna/v1/tokyo-1/+/status',
      'kizuna/v1/tokyo-1/+/state',
      'kizuna/v1/tokyo-1/+/events',
      'kizuna/v1/tokyo-1/+/decision/request',
    ]);
    expect(of('publishClientSend')).toEqual([
      'kizuna/v1/tokyo-1/+/decision',
      'kizuna/v1/tokyo-1/+/events/ack',
      'kizuna/v1/tokyo-1/+/status',
    ]);
    expect(acls.every((a) => a.allow && !a.topic.includes('#'))).toBe(true);
  });
});
