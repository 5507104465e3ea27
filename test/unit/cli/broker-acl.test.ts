import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrokerAcl } from '../../../nodes/cli/broker-acl';
import { parseRevokeArgs } from '../../../nodes/cli/broker-revoke';

describe('kizuna broker-acl', () => {
  let dir: string;
  const file = (n: string): string => join(dir, n);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-broker-acl-'));
    writeFileSync(file('roster.txt'), 'tokyo-1 care-007\n');
    writeFileSync(file('national.txt'), '# accounts\nnational-1 + national\nplanner tokyo-1\n');
    writeFileSync(file('bad-national.txt'), 'national-1 +\nnational-1 tokyo-1\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one file with the robots (named CN=<fleet>.<robotId>) and the national accounts', () => {
    runBrokerAcl(['--roster', file('roster.txt'), '--national', file('national.txt'), '--out', file('out.json')], 'u');
    const c = JSON.parse(readFileSync(file('out.json'), 'utf8')) as {
      clients: Array<{ username: string; roles: Array<{ rolename: string }> }>;
      roles: Array<{ rolename: string }>;
    };
    expect(c.clients.map((x) => x.username)).toEqual(['CN=tokyo-1.care-007', 'national-1', 'planner']);
    expect(c.roles.map((r) => r.rolename)).toEqual(['CN=tokyo-1.care-007', 'national:national-1', 'national:planner']);
  });

  it('without --national has robots only; a bad account list is a usage error naming the file and line', () => {
    const robotsOnly = JSON.parse(runBrokerAcl(['--roster', file('roster.txt')], 'u')) as { clients: unknown[] };
    expect(robotsOnly.clients).toHaveLength(1);
    expect(() => runBrokerAcl(['--roster', file('roster.txt'), '--national', file('bad-national.txt')], 'u')).toThrow(
      /bad-national\.txt: national account line 2.*listed twice/,
    );
    expect(() => runBrokerAcl(['--roster', file('roster.txt'), '--national'], 'u')).toThrow(/--national needs a value/);
  });
});

describe('kizuna broker-acl --admin and revoke arguments', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-broker-admin-'));
    writeFileSync(join(dir, 'roster.txt'), 'tokyo-1 care-007\n');
    writeFileSync(join(dir, 'national.txt'), 'national-1 + national\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds an admin account whose one role may only send plugin commands and read their answers', () => {
    const c = JSON.parse(
      runBrokerAcl(
        ['--roster', join(dir, 'roster.txt'), '--national', join(dir, 'national.txt'), '--admin', 'ops'],
        'u',
      ),
    ) as {
      clients: Array<{ username: string; roles: Array<{ rolename: string }> }>;
      roles: Array<{ rolename: string; acls: Array<{ acltype: string; topic: string }> }>;
    };
    expect(c.clients.at(-1)).toMatchObject({ username: 'ops', roles: [{ rolename: 'admin:ops' }] });
    expect(c.roles.find((r) => r.rolename === 'admin:ops')!.acls.map((a) => `${a.acltype} ${a.topic}`)).toEqual([
      'publishClientSend $CONTROL/dynamic-security/v1',
      'subscribeLiteral $CONTROL/dynamic-security/v1/response',
      'publishClientReceive $CONTROL/dynamic-security/v1/response',
    ]);
  });

  it('refuses an admin name a national account already has, or one outside letters, digits, _ and -', () => {
    const base = ['--roster', join(dir, 'roster.txt'), '--national', join(dir, 'national.txt')];
    expect(() => runBrokerAcl([...base, '--admin', 'national-1'], 'u')).toThrow(/also a national account/);
    expect(() => runBrokerAcl([...base, '--admin', 'CN=x'], 'u')).toThrow(/letters, digits/);
    expect(() => runBrokerAcl([...base, '--admin'], 'u')).toThrow(/--admin needs a value/);
  });

  it('revoke takes one <fleet>.<robotId> and needs the broker, the account and its password file', () => {
    const need = ['--broker', 'mqtts://b:8884', '--username', 'ops', '--password-file', 'pw'];
    expect(parseRevokeArgs(['tokyo-1.care-007', ...need])).toMatchObject({
      fleet: 'tokyo-1',
      robotId: 'care-007',
      brokerUrl: 'mqtts://b:8884',
      timeoutSec: 5,
    });
    expect(() => parseRevokeArgs(need)).toThrow(/needs the robot/);
    expect(() => parseRevokeArgs(['care-007', ...need])).toThrow(/'care-007' is not <fleet>\.<robotId>/);
    expect(() => parseRevokeArgs(['tokyo-1.broadcast', ...need])).toThrow(/is not <fleet>\.<robotId>/);
    expect(() => parseRevokeArgs(['tokyo-1.a', 'tokyo-1.b', ...need])).toThrow(/one robot per revoke/);
    expect(() => parseRevokeArgs(['tokyo-1.a', ...need.slice(2)])).toThrow(/needs --broker/);
    expect(() => parseRevokeArgs(['tokyo-1.a', ...need.slice(0, 4)])).toThrow(/needs --password-file/);
    expect(() => parseRevokeArgs(['tokyo-1.a', ...need, '--broker', 'mqtts://a,mqtts://b'])).toThrow(/one URL/);
    expect(() => parseRevokeArgs(['tokyo-1.a', ...need, '--timeout', '0'])).toThrow(/--timeout needs seconds/);
  });
});
