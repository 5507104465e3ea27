/**
 * Ed25519 signing and verification of decisions (node:crypto). The issuer signs
 * `signingBytes(decision)` (canonical.ts) with its private key and puts the base64 signature and
 * its keyId in the decision; the robot verifies with the public key it trusts for that keyId.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { signingBytes } from './canonical';
import { trustedKeysSchema, type TrustedKeys } from './schemas';

// DER prefixes of PKCS#8 / SPKI Ed25519 keys: the raw 32 bytes follow.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A private key from its raw 32-byte seed (RFC 8032 "secret key"). */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** A public key from its raw 32 bytes. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The raw 32 bytes of an Ed25519 public (or private: its public half) key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** `decision` with `keyId` set and its base64 Ed25519 `signature` over the canonical encoding. */
export function signDecision<T extends Record<string, unknown>>(
  decision: T,
  keyId: string,
  privateKey: KeyObject,
): T & { keyId: string; signature: string } {
  const withKey = { ...decision, keyId };
  const sig = sign(null, signingBytes(withKey), privateKey).toString('base64');
  return { ...withKey, signature: sig };
}

/** True when `signature` (base64) is a valid Ed25519 signature of `decision`'s canonical encoding by `publicKey`. */
export function verifyDecision(decision: Record<string, unknown>, signature: string, publicKey: KeyObject): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, signingBytes(decision), publicKey, sig);
  } catch {
    return false;
  }
}

/** Public keys by keyId from the parsed contents of a trusted keys file. Throws a zod error when malformed. */
export function loadTrustedKeys(json: unknown): Map<string, KeyObject> {
  const parsed: TrustedKeys = trustedKeysSchema.parse(json);
  const out = new Map<string, KeyObject>();
  for (const k of parsed.keys) out.set(k.keyId, publicKeyFromRaw(Buffer.from(k.publicKey, 'base64')));
  return out;
}
