/**
 * Reading a configuration file (parameter YAML, scenario) as text without trusting it: its size is
 * checked before reading and never more than the limit is read, and a directory, a device, binary data
 * or bytes that are not UTF-8 are refused with a short reason instead of being decoded and echoed.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/** The text, or why the file is refused (one printable line, without the path). */
export type TextFileResult = { ok: true; text: string } | { ok: false; why: string };

/** `n` bytes as `12.3 MB`, `4.0 kB` or `17 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

function errnoReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return code ? `cannot be read (${code})` : 'cannot be read';
  }
}

/** 1-based line of byte offset `at` in `buf`. */
function lineOfByte(buf: Uint8Array, at: number): number {
  let line = 1;
  for (let i = 0; i < at && i < buf.length; i++) if (buf[i] === 0x0a) line++;
  return line;
}

/** Byte offset of the first byte that breaks UTF-8 in `buf` (only called once `isUtf8` said no). */
function firstBadUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > buf.length) return i;
    for (let k = 1; k < n; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    // overlong forms, surrogates and code points beyond U+10FFFF
    const b1 = buf[i + 1] ?? 0;
    if (
      (b === 0xe0 && b1 < 0xa0) ||
      (b === 0xed && b1 > 0x9f) ||
      (b === 0xf0 && b1 < 0x90) ||
      (b === 0xf4 && b1 > 0x8f)
    )
      return i;
    i += n;
  }
  return buf.length;
}

/**
 * The first character YAML does not allow in a stream (C0 controls other than tab, LF and CR; DEL; C1
 * controls other than NEL), as `[codePoint, line]`, or undefined. Binary data almost always has one.
 */
function firstControl(text: string): [number, number] | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || (c >= 0x80 && c <= 0x9f && c !== 0x85)) {
      let line = 1;
      for (let k = 0; k < i; k++) if (text.charCodeAt(k) === 0x0a) line++;
      return [c, line];
    }
  }
  return undefined;
}

/**
 * Reads `path` as UTF-8 text of at most `maxBytes` bytes. Refuses (with a reason, never an exception) a
 * missing or unreadable path, anything but a regular file (a directory, a FIFO, a device), a file larger
 * than the limit (checked before reading, and again while reading), a NUL byte (binary data), bytes that
 * are not UTF-8, and control characters YAML does not allow. A leading byte-order mark is dropped.
 */
export function readTextFile(path: string, maxBytes: number): TextFileResult {
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { ok: false, why: 'is a directory, not a file' };
    if (!st.isFile()) return { ok: false, why: 'is not a regular file (a device, FIFO or socket)' };
    if (st.size > maxBytes)
      return { ok: false, why: `is ${formatBytes(st.size)}, more than the ${formatBytes(maxBytes)} allowed` };
    // O_NONBLOCK: had the path been swapped for a FIFO since the stat, opening it does not hang.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { ok: false, why: errnoReason(err) };
  }
  let buf: Buffer;
  try {
    if (!fstatSync(fd).isFile()) return { ok: false, why: 'is not a regular file (a device, FIFO or socket)' };
    buf = Buffer.allocUnsafe(maxBytes + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len > maxBytes) return { ok: false, why: `is more than the ${formatBytes(maxBytes)} allowed` };
    }
    buf = buf.subarray(0, len);
  } catch (err) {
    return { ok: false, why: errnoReason(err) };
  } finally {
    closeSync(fd);
  }
  const nul = buf.indexOf(0);
  if (nul >= 0) return { ok: false, why: `is binary, not text (a NUL byte on line ${lineOfByte(buf, nul)})` };
  if (!isUtf8(buf)) {
    const at = firstBadUtf8(buf);
    return {
      ok: false,
      why: `is not UTF-8 text (byte 0x${(buf[at] ?? 0).toString(16).padStart(2, '0')} on line ${lineOfByte(buf, at)}); save it as UTF-8`,
    };
  }
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const ctl = firstControl(text);
  if (ctl) {
    return {
      ok: false,
      why: `has control character U+${ctl[0].toString(16).toUpperCase().padStart(4, '0')} on line ${ctl[1]}, which YAML does not allow (binary data?)`,
    };
  }
  return { ok: true, text };
}
