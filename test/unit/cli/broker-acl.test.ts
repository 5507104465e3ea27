import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrokerAcl } from '../../../nodes/cli/broker-acl';

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
