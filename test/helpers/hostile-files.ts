/** Hostile parameter and scenario files on disk, and what a refusal of one must look like. */
import { expect } from '@jest/globals';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKizunaError, type ErrorCode } from '../../nodes/core/errors';

/** Deterministic bytes (xorshift), so a failure names the same garbage every run. */
export function garbage(n: number, seed: number, noNul = false): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = noNul ? 1 + (x % 255) : x & 0xff;
  }
  return b;
}

/** The hostile files, written into `dir`: name → what the reason must say. */
export function writeHostileFiles(dir: string): Record<string, { file: string; reason: RegExp }> {
  const put = (name: string, data: string | Buffer): string => {
    const f = join(dir, name);
    writeFileSync(f, data);
    return f;
  };
  const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [k, prev] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf', 'hg', 'ih'])
    lol.push(`${k}: &${k} [${`*${prev},`.repeat(8)}*${prev}]`);
  const big = join(dir, 'big.yaml');
  writeFileSync(big, '/**:\n  ros__parameters:\n    a: 1\n');
  truncateSync(big, 100 * 1000 * 1000); // 100 MB (sparse: the test must not need it on disk, nor may the reader)
  const folder = join(dir, 'folder.yaml');
  mkdirSync(folder, { recursive: true });
  let block = '';
  for (let i = 0; i < 200; i++) block += `${'  '.repeat(i)}k${i}:\n`;
  return {
    'alias bomb': {
      file: put('bomb.yaml', lol.join('\n').replace(/\b(ba|cb|dc|ed|fe|gf|hg|ih)\b/g, (m) => m[0]!) + '\n'),
      reason: /alias/,
    },
    'deep flow nesting': {
      file: put('deep-flow.yaml', `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
      reason: /nests more than \d+ levels deep/,
    },
    'deep block nesting': {
      file: put('deep-block.yaml', `${block}${'  '.repeat(200)}x: 1\n`),
      reason: /nests more than \d+ levels deep/,
    },
    'duplicate keys': {
      file: put('dup.yaml', 'gate:\n  ros__parameters:\n    stop_m: 1\n    stop_m: 2\n'),
      reason: /is not valid YAML \(line 4\): Map keys must be unique/,
    },
    'binary garbage': {
      file: put('garbage.yaml', garbage(64 * 1024, 7)),
      reason: /is binary, not text \(a NUL byte on line \d+\)/,
    },
    'garbage without NUL': {
      file: put('garbage2.yaml', garbage(4096, 11, true)),
      reason: /is not UTF-8 text \(byte 0x[0-9a-f]{2} on line \d+\)/,
    },
    'a 100 MB file': { file: big, reason: /is 100\.0 MB, more than the [\d.]+ MB allowed/ },
    'Latin-1 text': {
      file: put('latin1.yaml', Buffer.from('gate:\n  ros__parameters:\n    name: "caf\xe9"\n', 'latin1')),
      reason: /is not UTF-8 text \(byte 0xe9 on line 3\)/,
    },
    'an ANSI escape': {
      file: put('ansi.yaml', 'gate:\n  ros__parameters:\n    "\x1b[2J\x1b[31mowned": 1\n'),
      reason: /has control character U\+001B on line 3/,
    },
    'a directory': { file: folder, reason: /is a directory, not a file/ },
    'a missing file': { file: join(dir, 'nope.yaml'), reason: /no such file/ },
  };
}

/** What a refusal must look like on a terminal: one short line, no stack, nothing unprintable. */
export function expectShortPrintable(message: string): void {
  expect(message.length).toBeLessThan(400);
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/^\s+at /m);
  // eslint-disable-next-line no-control-regex
  expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\ufffd]/);
}

/** The message of the KizunaError with `code` that `fn` throws (anything else fails the test). */
export function refusal(fn: () => unknown, code: ErrorCode): string {
  try {
    fn();
  } catch (err) {
    if (!isKizunaError(err, code)) throw err;
    return err.message;
  }
  throw new Error('expected a refusal');
}
