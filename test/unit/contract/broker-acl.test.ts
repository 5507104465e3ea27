import { describe, it, expect } from '@jest/globals';
import { dynsecConfig, parseRobotIdentity, parseRoster, robotIdentity } from '../../../nodes/core/contract';

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
});
