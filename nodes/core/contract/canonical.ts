/**
 * The canonical encoding that decision signatures cover: the JSON Canonicalization Scheme
 * (RFC 8785, "JCS") of the decision object with its `signature` member removed.
 *
 * JCS in short: no whitespace; object members sorted by key, comparing UTF-16 code units; strings
 * escaped as ECMAScript JSON.stringify does; numbers in the ECMAScript shortest round-trip form
 * (1, 0.5, 1e+21). Libraries exist for most languages; docs/contract.md walks through it by hand.
 */

/** JCS (RFC 8785) text of a JSON value. Throws on values JSON cannot carry (NaN, Infinity, undefined in arrays, functions). */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} in canonical JSON`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`cannot encode a ${typeof value} in canonical JSON`);
  }
}

/** The bytes a decision's signature covers: UTF-8 of the JCS of `decision` without `signature`. */
export function signingBytes(decision: Record<string, unknown>): Buffer {
  const { signature: _omit, ...rest } = decision;
  return Buffer.from(canonicalJson(rest), 'utf8');
}
