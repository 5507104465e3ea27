/**
 * Outside keys for a sim run: the scenario's `planner.trusted_keys`, `kizuna sim --trusted-keys FILE`
 * (the robots' own trusted keys format), and the one list every robot trusts.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKizunaError, type ErrorCode, type KizunaError } from '../../../nodes/core/errors';
import { loadTrustedKeys } from '../../../nodes/core/contract';
import { parseSimArgs } from '../../../nodes/cli/sim';
import { parseScenario } from '../../../sim/scenario';
import { adjustScenario } from '../../../sim/fleet/scale';
import {
  mergeOutsideKeys,
  readTrustedKeysFile,
  runTrustedKeys,
  scenarioTrustedKeys,
} from '../../../sim/fleet/trusted-keys';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-trusted-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh raw Ed25519 public key, base64. */
function publicKey(): string {
  const x = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
  return Buffer.from(x, 'base64url').toString('base64');
}

function scenarioWith(planner: Record<string, unknown>): unknown {
  return {
    name: 'keys',
    world: {},
    duration_s: 10,
    robots: [{ id: 'r0', profile: 'care', start: { x: 0, y: 0 } }],
    planner,
  };
}

function thrown(fn: () => unknown, code: ErrorCode): KizunaError {
  try {
    fn();
  } catch (err) {
    if (isKizunaError(err, code)) return err;
    throw err;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

function keyFile(name: string, contents: string): string {
  const f = join(dir, name);
  writeFileSync(f, contents);
  return f;
}

describe('scenario planner.trusted_keys', () => {
  it('takes key_id and public_key in any planner mode, and keeps them when --planner changes the mode', () => {
    const pk = publicKey();
    const s = parseScenario(scenarioWith({ mode: 'none', trusted_keys: [{ key_id: 'national-a', public_key: pk }] }));
    expect(scenarioTrustedKeys(s)).toEqual([{ keyId: 'national-a', publicKey: pk, source: 'scenario' }]);
    const ref = parseScenario(scenarioWith({ trusted_keys: [{ key_id: 'national-a', public_key: pk }] }));
    expect(adjustScenario(ref, { plannerMode: 'none' }, 'keys.yaml').planner).toEqual({
      mode: 'none',
      trusted_keys: [{ key_id: 'national-a', public_key: pk }],
    });
  });

  it('names the bad field: a public key that is not 32 bytes of base64, a reserved or duplicate key id, an unknown key', () => {
    const pk = publicKey();
    const bad = (trusted_keys: unknown): string =>
      thrown(() => parseScenario(scenarioWith({ mode: 'none', trusted_keys })), 'KZ_ERR_SCENARIO_INVALID').message;
    expect(bad([{ key_id: 'n', public_key: 'abc' }])).toMatch(
      /planner\.trusted_keys\[0\]\.public_key: expected a raw 32-byte Ed25519 public key in base64/,
    );
    expect(bad([{ key_id: 'sim-planner-x', public_key: pk }])).toMatch(
      /planner\.trusted_keys\[0\]\.key_id: 'sim-planner-…' is reserved for the built-in planner/,
    );
    expect(
      bad([
        { key_id: 'n', public_key: pk },
        { key_id: 'n', public_key: publicKey() },
      ]),
    ).toMatch(/planner\.trusted_keys\[1\]\.key_id: duplicate key_id 'n'/);
    expect(bad([{ key_id: 'n', public_key: pk, private_key: 'x' }])).toMatch(/planner\.trusted_keys\[0\]\.private_key/);
    expect(bad([{ keyId: 'n', publicKey: pk }])).toMatch(/planner\.trusted_keys\[0\]\.key_id: required/);
  });
});

describe('kizuna sim --trusted-keys FILE', () => {
  it('is repeatable, in the order given', () => {
    expect(parseSimArgs(['--trusted-keys', 'a.json', '--planner', 'none', '--trusted-keys', 'b.json'])).toEqual({
      trustedKeys: ['a.json', 'b.json'],
      planner: 'none',
    });
    expect(() => parseSimArgs(['--trusted-keys'])).toThrow(/--trusted-keys needs a value/);
  });

  it('takes --end-to-end-ack required|auto|off for the robots an outside national side drives, and names a wrong value', () => {
    expect(parseSimArgs(['--planner', 'none', '--end-to-end-ack', 'required'])).toEqual({
      planner: 'none',
      endToEndAck: 'required',
    });
    expect(parseSimArgs(['--end-to-end-ack', 'off']).endToEndAck).toBe('off');
    expect(() => parseSimArgs(['--end-to-end-ack', 'always'])).toThrow(
      /--end-to-end-ack must be required, auto or off, got 'always'/,
    );
    expect(() => parseSimArgs(['--end-to-end-ack'])).toThrow(/--end-to-end-ack needs a value/);
  });

  it('takes --protocol kizuna|vda5050 for what the robots speak, and names a wrong value', () => {
    expect(parseSimArgs(['--planner', 'none', '--protocol', 'vda5050'])).toEqual({
      planner: 'none',
      protocol: 'vda5050',
    });
    expect(() => parseSimArgs(['--protocol', 'opcua'])).toThrow(/--protocol must be kizuna or vda5050, got 'opcua'/);
  });

  it('reads the robots’ trusted keys format, every key in the file', () => {
    const a = publicKey();
    const b = publicKey();
    const f = keyFile(
      'two.json',
      JSON.stringify({
        keys: [
          { keyId: 'national-a', publicKey: a },
          { keyId: 'national-b', publicKey: b },
        ],
      }),
    );
    expect(readTrustedKeysFile(f)).toEqual([
      { keyId: 'national-a', publicKey: a, source: `file:${f}` },
      { keyId: 'national-b', publicKey: b, source: `file:${f}` },
    ]);
  });

  it('a missing file, a file that is not JSON and one that is not a trusted keys file are usage errors naming file and field', () => {
    const missing = join(dir, 'nope.json');
    expect(thrown(() => readTrustedKeysFile(missing), 'KZ_ERR_CLI_USAGE').message).toBe(
      `--trusted-keys ${missing}: cannot be read (ENOENT)`,
    );
    const notJson = keyFile('pem.json', '-----BEGIN PUBLIC KEY-----\n');
    expect(thrown(() => readTrustedKeysFile(notJson), 'KZ_ERR_CLI_USAGE').message).toMatch(/pem\.json: is not JSON/);
    const shape = keyFile('shape.json', JSON.stringify({ keys: [{ keyId: 'n', publicKey: 'short' }] }));
    expect(thrown(() => readTrustedKeysFile(shape), 'KZ_ERR_CLI_USAGE').message).toMatch(
      /shape\.json: is not a trusted keys file \(keys\[0\]\.publicKey: base64 of 32 bytes\); expected \{ "keys"/,
    );
    const empty = keyFile('empty.json', JSON.stringify({ keys: [] }));
    expect(thrown(() => readTrustedKeysFile(empty), 'KZ_ERR_CLI_USAGE').message).toMatch(/empty\.json: .*keys:/);
  });
});

describe('the keys every robot of a run trusts', () => {
  it('merges files and scenario, the same key twice once; a key id with two public keys or in the planner’s range is refused', () => {
    const a = publicKey();
    const fromFile = [{ keyId: 'national-a', publicKey: a, source: 'file:k.json' }];
    const fromScenario = [
      { keyId: 'national-a', publicKey: a, source: 'scenario' },
      { keyId: 'national-b', publicKey: publicKey(), source: 'scenario' },
    ];
    expect(mergeOutsideKeys(fromFile, fromScenario).map((k) => `${k.keyId} ${k.source}`)).toEqual([
      'national-a file:k.json',
      'national-b scenario',
    ]);
    const clash = [{ keyId: 'national-a', publicKey: publicKey(), source: 'scenario' }];
    expect(thrown(() => mergeOutsideKeys(fromFile, clash), 'KZ_ERR_CLI_USAGE').message).toBe(
      "trusted key 'national-a' is given twice with different public keys (file:k.json and scenario)",
    );
    const reserved = [{ keyId: 'sim-planner-abc', publicKey: a, source: 'file:k.json' }];
    expect(thrown(() => mergeOutsideKeys(reserved, []), 'KZ_ERR_CLI_USAGE').message).toMatch(
      /reserved for the built-in planner/,
    );
  });

  it('is a trusted keys file the robots’ own loader reads', () => {
    const keys = [
      { keyId: 'sim-planner-1', publicKey: publicKey(), source: 'planner' },
      { keyId: 'national-a', publicKey: publicKey(), source: 'scenario' },
    ];
    const file = runTrustedKeys(keys);
    expect([...loadTrustedKeys(JSON.parse(JSON.stringify(file))).keys()]).toEqual(['sim-planner-1', 'national-a']);
  });
});
