import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, KizunaError, isKizunaError } from '../../../nodes/core/errors';

describe('error codes', () => {
  const doc = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\|\s*`(KZ_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));

  it('documents every code in docs/errors.md, and documents no code that does not exist', () => {
    const codes = Object.keys(ERROR_CODES);
    expect(codes.filter((c) => !documented.has(c))).toEqual([]);
    expect([...documented].filter((c) => !codes.includes(c!))).toEqual([]);
  });

  it('carries code, context and cause, and serialises for structured logs', () => {
    const cause = new Error('disk');
    const e = new KizunaError('KZ_ERR_PARAM_FILE', 'cannot read x.yaml', { entity: 'x.yaml' }, { cause });
    expect(isKizunaError(e, 'KZ_ERR_PARAM_FILE')).toBe(true);
    expect(isKizunaError(e, 'KZ_ERR_CLOCK')).toBe(false);
    expect(e.cause).toBe(cause);
    expect(e.toJSON()).toEqual({
      name: 'KizunaError',
      code: 'KZ_ERR_PARAM_FILE',
      message: 'cannot read x.yaml',
      entity: 'x.yaml',
    });
  });
});
