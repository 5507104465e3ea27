/**
 * The keys the robots of a sim run trust: the built-in planner's per-run key, plus outside keys from
 * `kizuna sim --trusted-keys FILE` (files in the robots' own trusted keys format, docs/contract.md
 * "Signing") and the scenario's `planner.trusted_keys`. With them an outside national side can drive
 * the sim's robots with its own signatures. One list, checked once: no key id twice, none in the
 * planner's reserved `sim-planner-` range, every public key a valid Ed25519 key.
 */
import { readFileSync } from 'node:fs';
import { KizunaError } from '../../nodes/core/errors';
import { loadTrustedKeys, trustedKeysSchema, type TrustedKeys } from '../../nodes/core/contract';
import { formatPath, PLANNER_KEY_PREFIX, type Scenario } from '../scenario';

/** One key the robots trust, and where it came from. */
export interface SimTrustedKey {
  keyId: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** `planner` (the built-in planner's per-run key), `scenario`, or `file:<path>` (--trusted-keys). */
  source: string;
}

function keyFileError(file: string, why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `--trusted-keys ${file}: ${why}`, { entity: file });
}

/**
 * The keys of a trusted keys file (`{ "keys": [{ "keyId", "publicKey" }] }`, the robots' own format);
 * KZ_ERR_CLI_USAGE naming the file and the bad field when it cannot be read or is not one.
 */
export function readTrustedKeysFile(file: string): SimTrustedKey[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw keyFileError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw keyFileError(file, `is not JSON (${(e as Error).message})`);
  }
  const parsed = trustedKeysSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw keyFileError(
      file,
      `is not a trusted keys file (${issues}); expected { "keys": [{ "keyId": "...", "publicKey": "<base64 of 32 bytes>" }] }`,
    );
  }
  return parsed.data.keys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey, source: `file:${file}` }));
}

/** The scenario's `planner.trusted_keys` as trusted keys (source `scenario`). */
export function scenarioTrustedKeys(s: Scenario): SimTrustedKey[] {
  return (s.planner.trusted_keys ?? []).map((k) => ({ keyId: k.key_id, publicKey: k.public_key, source: 'scenario' }));
}

/**
 * Every outside key in one list (the given ones first, then the scenario's); KZ_ERR_CLI_USAGE when a
 * key id appears twice with different public keys or is in the planner's reserved range. The same key
 * given twice (same id, same public key) counts once.
 */
export function mergeOutsideKeys(
  given: readonly SimTrustedKey[],
  fromScenario: readonly SimTrustedKey[],
): SimTrustedKey[] {
  const out = new Map<string, SimTrustedKey>();
  for (const k of [...given, ...fromScenario]) {
    if (k.keyId.startsWith(PLANNER_KEY_PREFIX)) {
      throw new KizunaError(
        'KZ_ERR_CLI_USAGE',
        `trusted key '${k.keyId}' (${k.source}): key ids starting with '${PLANNER_KEY_PREFIX}' are reserved for the built-in planner`,
        { entity: k.keyId },
      );
    }
    const prev = out.get(k.keyId);
    if (prev && prev.publicKey !== k.publicKey) {
      throw new KizunaError(
        'KZ_ERR_CLI_USAGE',
        `trusted key '${k.keyId}' is given twice with different public keys (${prev.source} and ${k.source})`,
        { entity: k.keyId },
      );
    }
    if (!prev) out.set(k.keyId, k);
  }
  return [...out.values()];
}

/**
 * The trusted keys file contents for every robot of the run (the planner's key first), checked by the
 * robots' own loader so that a key the bridge would refuse fails here, before any robot starts.
 */
export function runTrustedKeys(all: readonly SimTrustedKey[]): TrustedKeys {
  const file: TrustedKeys = { keys: all.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })) };
  try {
    loadTrustedKeys(file);
  } catch (e) {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      `the trusted keys are not valid Ed25519 public keys: ${(e as Error).message}`,
    );
  }
  return file;
}
