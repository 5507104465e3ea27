/**
 * The audit log's writer: appends hash-chained records (nodes/core/audit/record.ts) to the newest file of
 * a directory, one write(2) per record on a file opened O_APPEND with mode 0600, so a kill -9 leaves
 * every record written whole and at most the one being written torn; a torn tail is cut off (and the
 * cut recorded) when the log is opened again. Files rotate at `fileMaxBytes`; the oldest are deleted
 * past `maxTotalBytes` or when older than `maxAgeMs`. Each file starts with an `open` record carrying
 * the last hash of the file before, so the chain stays verifiable across rotation.
 *
 * Records are not fsynced: a process crash loses nothing written, a power cut may lose the last
 * seconds (the outbox, which must not lose events, is SQLite with its own sync).
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, chmodSync } from 'node:fs';
import { ftruncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KizunaError } from '../core/errors';
import {
  AUDIT_FORMAT,
  GENESIS_HASH,
  auditFileName,
  auditSegmentOf,
  recordLine,
  splitLine,
  type AuditDraft,
} from '../core/audit/record';

export interface AuditLogOptions {
  robotId: string;
  fleet: string;
  /** [bytes] a file is closed and a new one started once it reaches this size. */
  fileMaxBytes: number;
  /** [bytes] the oldest files are deleted while all files together exceed this. */
  maxTotalBytes: number;
  /** [ms] files whose last record is older than this are deleted; 0: no age limit. */
  maxAgeMs: number;
  /** Wall clock [ms since epoch]. */
  now: () => number;
}

/** The audit files of `dir`, oldest first (by segment number). */
export function auditFiles(dir: string): Array<{ name: string; segment: number }> {
  return readdirSync(dir)
    .map((name) => ({ name, segment: auditSegmentOf(name) }))
    .filter((f): f is { name: string; segment: number } => f.segment !== undefined)
    .sort((a, b) => a.segment - b.segment);
}

/** An open audit log. Create with {@link AuditLog.open}. */
export class AuditLog {
  private fd = -1;
  private segment = 0;
  private size = 0;
  private n = 0;
  private lastHash = GENESIS_HASH;
  /** Records that could not be written since the last one that could (reported in a `gap` record). */
  private lost = { packets: 0, bytes: 0, why: '' };
  /** [count] records written since open. */
  written = 0;
  /** The last write error, if the log is failing. */
  lastError = '';

  private constructor(
    readonly dir: string,
    private readonly o: AuditLogOptions,
  ) {}

  /**
   * Opens the log in `dir` (created 0700 when missing): continues the newest file's chain, cutting off a
   * torn last record first. Throws KZ_ERR_AUDIT_WRITE when the directory or file cannot be opened.
   */
  static open(dir: string, o: AuditLogOptions): AuditLog {
    const log = new AuditLog(dir, o);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      log.resume();
    } catch (err) {
      if (err instanceof KizunaError) throw err;
      throw new KizunaError('KZ_ERR_AUDIT_WRITE', `cannot open the audit log in '${dir}': ${(err as Error).message}`, {
        entity: dir,
      });
    }
    log.prune();
    return log;
  }

  private resume(): void {
    const files = auditFiles(this.dir);
    const newest = files[files.length - 1];
    if (!newest) return this.startFile(1, GENESIS_HASH, '');
    const path = join(this.dir, newest.name);
    const text = readFileSync(path, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    const torn = Buffer.byteLength(text.slice(end));
    const lines = text.slice(0, end).split('\n');
    lines.pop();
    const last = lines[lines.length - 1];
    const parsed = last === undefined ? undefined : splitLine(last);
    if (parsed === undefined) {
      // Killed right after creating the file, before its first record was whole: start it again,
      // chained to the file before.
      unlinkSync(path);
      const prev = files[files.length - 2];
      const tail = prev ? this.tailOf(prev.name) : undefined;
      this.startFile(newest.segment, tail?.h ?? GENESIS_HASH, prev?.name ?? '', tail?.n ?? 0);
      if (torn > 0) this.append({ k: 'recovered', file: newest.name, bytes: torn });
      return;
    }
    if ('error' in parsed) {
      // The last line is not a record (damaged by hand?): a new file; the reader reports the damage.
      let n = 0;
      for (let i = lines.length - 1; i >= 0 && n === 0; i--) {
        const q = splitLine(lines[i]!);
        if (!('error' in q)) n = (JSON.parse(q.body) as { n: number }).n + (lines.length - 1 - i);
      }
      this.n = n;
      return this.startFile(newest.segment + 1, GENESIS_HASH, newest.name);
    }
    this.n = (JSON.parse(parsed.body) as { n: number }).n;
    this.lastHash = parsed.h;
    this.segment = newest.segment;
    this.fd = openSync(path, 'a', 0o600);
    chmodSync(path, 0o600);
    if (torn > 0) {
      ftruncateSync(this.fd, Buffer.byteLength(text.slice(0, end)));
      this.size = fstatSync(this.fd).size;
      this.append({ k: 'recovered', file: newest.name, bytes: torn });
    } else this.size = fstatSync(this.fd).size;
  }

  /** The last record's number and hash of file `name`, if it ends with a whole record. */
  private tailOf(name: string): { n: number; h: string } | undefined {
    const text = readFileSync(join(this.dir, name), 'utf8');
    const lines = text.split('\n');
    lines.pop();
    const p = lines.length ? splitLine(lines[lines.length - 1]!) : undefined;
    if (!p || 'error' in p) return undefined;
    return { n: (JSON.parse(p.body) as { n: number }).n, h: p.h };
  }

  private startFile(segment: number, prevHash: string, prevName: string, n = this.n): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.segment = segment;
    this.n = n;
    this.lastHash = prevHash;
    const name = auditFileName(segment);
    const path = join(this.dir, name);
    this.fd = openSync(path, 'a', 0o600);
    chmodSync(path, 0o600);
    this.size = fstatSync(this.fd).size;
    this.write({
      k: 'open',
      v: AUDIT_FORMAT,
      robot: this.o.robotId,
      fleet: this.o.fleet,
      file: name,
      ph: prevHash,
      prev: prevName,
    });
  }

  private write(draft: AuditDraft): void {
    const { line, hash } = recordLine(this.lastHash, { n: this.n + 1, t: Math.round(this.o.now()), ...draft });
    const buf = Buffer.from(line);
    let off = 0;
    // A regular file takes the whole buffer in one write unless the disk is full or a signal cuts it short.
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.n++;
    this.lastHash = hash;
    this.size += buf.length;
    this.written++;
  }

  /**
   * Appends one record. Never throws: a failing write is remembered (lastError, `onError`) and the
   * packets it described are reported in a `gap` record once writing works again.
   */
  append(draft: AuditDraft, onError?: (text: string) => void): void {
    if (this.fd < 0) return;
    try {
      if (this.lost.packets > 0 || this.lost.bytes > 0) {
        this.write({ k: 'gap', packets: this.lost.packets, bytes: this.lost.bytes, why: this.lost.why.slice(0, 200) });
        this.lost = { packets: 0, bytes: 0, why: '' };
      }
      this.write(draft);
      this.lastError = '';
      if (this.size >= this.o.fileMaxBytes) {
        const prev = auditFileName(this.segment);
        this.startFile(this.segment + 1, this.lastHash, prev);
        this.prune();
      }
    } catch (err) {
      const first = this.lastError === '';
      this.lastError = `KZ_ERR_AUDIT_WRITE: audit log '${this.dir}': ${(err as Error).message}`;
      if (draft.k === 'pkt') {
        this.lost.packets++;
        this.lost.bytes += draft.b;
      }
      this.lost.why = (err as Error).message;
      if (first) onError?.(this.lastError);
    }
  }

  /** Deletes the oldest files (never the one being written) past the size and age bounds. */
  prune(): void {
    try {
      const files = auditFiles(this.dir).map((f) => {
        const st = statSync(join(this.dir, f.name));
        return { ...f, bytes: st.size, mtimeMs: st.mtimeMs };
      });
      let total = files.reduce((a, f) => a + f.bytes, 0);
      const now = this.o.now();
      for (const f of files) {
        if (f.segment >= this.segment) break;
        const old = this.o.maxAgeMs > 0 && now - f.mtimeMs > this.o.maxAgeMs;
        if (total <= this.o.maxTotalBytes && !old) break;
        unlinkSync(join(this.dir, f.name));
        total -= f.bytes;
      }
    } catch (err) {
      this.lastError = `KZ_ERR_AUDIT_WRITE: pruning '${this.dir}': ${(err as Error).message}`;
    }
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
