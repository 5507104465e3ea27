/**
 * `kizuna doctor`'s identity checks on real certificates made by openssl for each run: the CN against
 * `<fleet>.<robotId>` (the identity cloud_bridge uses) and the naming policy, and the outbox file name
 * (an older release's `cloud_bridge-<robot>.sqlite` still in use, or left beside the new one).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkIdentity, checkStoreName, defaultStorePath } from '../../../nodes/cli/doctor-checks';
import { doctorChecks } from '../../../nodes/cli/doctor';
import { EC_KEY, certSigner } from '../../helpers/certs';
import { writeProfileParams } from '../../helpers/profile-params';

const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
// CI has openssl: there a missing one is a failure, not a skip
if (!openssl && process.env.CI === 'true') throw new Error('doctor identity tests need openssl in CI');
const d = openssl ? describe : describe.skip;

let dir: string;
const file = (n: string): string => join(dir, n);

/** The fleet CA and one certificate per subject to check. */
function makePki(): void {
  const run = (...args: string[]): void => void execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=fleet-ca', '-days', '2');
  const sign = certSigner(run);
  sign('own', 'tokyo-1.care-007', 'ca');
  sign('neighbour', 'tokyo-1.care-008', 'ca');
  sign('other-fleet', 'osaka-1.care-007', 'ca');
  sign('legacy', 'care-007', 'ca');
  sign('slash', 'tokyo-1.care-007\\/decision', 'ca'); // `-subj` escapes / and +
  sign('three-levels', 'tokyo-1.care-007.x', 'ca');
  sign('broadcast', 'tokyo-1.broadcast', 'ca');
  sign('wildcard', 'tokyo-1.\\+', 'ca');
  // two CNs, and none (only an organisation): written by `openssl req -subj` directly
  run('req', ...EC_KEY, '-keyout', 'two.key', '-out', 'two.csr', '-subj', '/CN=tokyo-1.care-007/CN=tokyo-1.care-008');
  run('x509', '-req', '-in', 'two.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'two.crt');
  run('req', ...EC_KEY, '-keyout', 'none.key', '-out', 'none.csr', '-subj', '/O=kizuna');
  run('req', ...EC_KEY, '-keyout', 'org.key', '-out', 'org.csr', '-subj', '/O=kizuna/CN=tokyo-1.care-007');
  run('x509', '-req', '-in', 'org.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'org.crt');
  run('x509', '-req', '-in', 'none.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'none.crt');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kizuna-doctor-id-'));
  if (openssl) makePki();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

d('doctor: the certificate CN is the robot identity <fleet>.<robotId>', () => {
  /** `robotId` null: not given. */
  const check = (cert: string, robotId: string | null = 'care-007', fleet = 'tokyo-1', clientId = '') =>
    checkIdentity(file(`${cert}.crt`), fleet, robotId ?? undefined, clientId);

  it("passes the robot's own certificate", () => {
    expect(check('own')).toEqual([
      {
        name: 'certificate identity',
        level: 'pass',
        detail: 'CN tokyo-1.care-007 = <fleet>.<robot_id>, the identity cloud_bridge uses',
      },
    ]);
  });

  it("fails another robot's certificate, and the same robot id in another fleet", () => {
    expect(check('neighbour')).toEqual([
      expect.objectContaining({
        level: 'fail',
        detail: expect.stringMatching(/^CN tokyo-1\.care-008 is not this robot's identity tokyo-1\.care-007/),
        fix: expect.stringMatching(/install this robot's own certificate/),
      }),
    ]);
    expect(check('other-fleet')[0]).toMatchObject({
      level: 'fail',
      detail: expect.stringMatching(/^CN osaka-1\.care-007 is not this robot's identity tokyo-1\.care-007/),
    });
    // and the other way round: the robot configured for osaka-1 with tokyo-1's certificate
    expect(check('own', 'care-007', 'osaka-1')[0]!.level).toBe('fail');
  });

  it('fails a certificate from before the fleet was in the identity (CN = robot id alone), saying so', () => {
    expect(check('legacy')[0]).toMatchObject({
      level: 'fail',
      detail: 'CN care-007: the robot id alone (a certificate from before the fleet was part of the identity)',
      fix: expect.stringMatching(/one CN tokyo-1\.care-007/),
    });
  });

  it.each([
    ['slash', 'tokyo-1.care-007/decision'],
    ['three-levels', 'tokyo-1.care-007.x'],
    ['broadcast', 'tokyo-1.broadcast'],
    ['wildcard', 'tokyo-1.\\+'], // shown as Node escapes it (RFC 4514)
  ])('fails a CN outside the naming policy: %s (%s)', (cert, cn) => {
    expect(check(cert)[0]).toMatchObject({
      level: 'fail',
      detail: expect.stringContaining(`CN ${cn}: not <fleet>.<robotId>`),
    });
    // also when the ids were not given
    expect(check(cert, null)[0]!.level).toBe('fail');
  });

  it('fails two CNs and none', () => {
    expect(check('two')[0]).toMatchObject({
      level: 'fail',
      detail: "2 CNs (tokyo-1.care-007, tokyo-1.care-008): the broker takes one of them as the robot's identity",
    });
    expect(check('none')[0]).toMatchObject({
      level: 'fail',
      detail: expect.stringMatching(/no CN in the subject \(O=kizuna\)/),
    });
  });

  it('fails a subject with more than the CN: the shipped broker names the robot by its whole subject', () => {
    expect(check('org')[0]).toMatchObject({
      level: 'fail',
      detail: expect.stringMatching(/^the subject has more than the CN \(O=kizuna, CN=tokyo-1\.care-007\)/),
      fix: expect.stringContaining('only CN=tokyo-1.care-007'),
    });
  });

  it('without the robot id checks the policy only and warns that it could not compare', () => {
    expect(check('own', null)).toEqual([
      expect.objectContaining({ level: 'warn', fix: expect.stringMatching(/--robot-id and --fleet/) }),
    ]);
  });

  it('warns when cloud_bridge.client_id is set to something other than the identity', () => {
    expect(check('own', 'care-007', 'tokyo-1', 'kizuna-care-007')).toEqual([
      expect.objectContaining({ level: 'pass' }),
      expect.objectContaining({
        name: 'client id',
        level: 'warn',
        detail: expect.stringMatching(/client_id kizuna-care-007 is not the identity tokyo-1\.care-007/),
      }),
    ]);
    expect(check('own', 'care-007', 'tokyo-1', 'tokyo-1.care-007')).toHaveLength(1);
  });

  it('skips without a client certificate', () => {
    expect(checkIdentity('', 'tokyo-1', 'care-007')).toEqual([expect.objectContaining({ level: 'skip' })]);
  });
});

describe("doctor: the outbox file, and an older release's name still in use", () => {
  it('reports the new name, the legacy one in use, and a legacy one left beside the new one', () => {
    const env = { XDG_STATE_HOME: join(dir, 'state') };
    const kz = join(dir, 'state', 'kizuna');
    mkdirSync(kz, { recursive: true });
    const current = join(kz, 'cloud_bridge-tokyo-1.care-007.sqlite');
    const legacy = join(kz, 'cloud_bridge-care-007.sqlite');
    expect(checkStoreName('', 'tokyo-1', 'care-007', env)).toEqual({
      name: 'outbox file',
      level: 'pass',
      detail: `${current} (created at the first start)`,
    });
    writeFileSync(legacy, '');
    expect(checkStoreName('', 'tokyo-1', 'care-007', env)).toMatchObject({
      level: 'warn',
      detail: expect.stringMatching(/cloud_bridge-care-007\.sqlite: the older name \(no fleet\) is still in use/),
      fix: expect.stringContaining(current),
    });
    expect(defaultStorePath('care-007', env, 'tokyo-1')).toBe(legacy); // the file the bridge opens
    writeFileSync(current, '');
    expect(checkStoreName('', 'tokyo-1', 'care-007', env)).toMatchObject({
      level: 'warn',
      detail: `${current} is in use; ${legacy} of an older release is no longer read (events still in it are not sent)`,
    });
    expect(defaultStorePath('care-007', env, 'tokyo-1')).toBe(current);
    expect(checkStoreName('/data/o.sqlite', 'tokyo-1', 'care-007', env)).toMatchObject({ level: 'pass' });
  });
});

d('kizuna doctor runs the identity checks with --robot-id and --fleet', () => {
  it("fails a neighbour's certificate and passes the robot's own", async () => {
    const params = (cert: string): string =>
      writeProfileParams('care', file(`${cert}.yaml`), {
        tls_ca_file: file('ca.crt'),
        tls_cert_file: file(`${cert}.crt`),
        tls_key_file: file(`${cert}.key`),
        store_path: file('o.sqlite'),
      });
    const env = { ...process.env, XDG_STATE_HOME: join(dir, 'state') };
    const run = (cert: string, ids: string[]) =>
      doctorChecks(
        {
          profile: 'care',
          paramsFile: params(cert),
          robotId: 'doctor',
          fleet: 'default',
          timeoutSec: 1,
          noBroker: true,
          ...(ids.length ? { robotId: ids[0]!, robotIdGiven: true, fleet: ids[1]! } : {}),
        },
        env,
      );
    const wrong = await run('neighbour', ['care-007', 'tokyo-1']);
    expect(wrong.find((c) => c.name === 'certificate identity')).toMatchObject({ level: 'fail' });
    expect(wrong.find((c) => c.name === 'outbox file')).toMatchObject({
      level: 'pass',
      detail: expect.stringMatching(/store_path/),
    });
    const own = await run('own', ['care-007', 'tokyo-1']);
    expect(own.find((c) => c.name === 'certificate identity')).toMatchObject({ level: 'pass' });
    const noIds = await run('own', []);
    expect(noIds.find((c) => c.name === 'certificate identity')).toMatchObject({ level: 'warn' });
    expect(noIds.find((c) => c.name === 'outbox file')).toBeUndefined();
  }, 30_000);
});
