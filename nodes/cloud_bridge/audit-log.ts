/**
 * The audit log's writer: appends hash-chained records (nodes/core/audit/record.ts) to the newest file of
 * a directory, opened O_APPEND with mode 0600. Records made in one turn of the event loop are written
 * together, with one write(2), on the next tick (`flushSoon`; the packet tap asks for it before mqtt.js
 * writes a packet, so the tick runs before the packet leaves: audit-tap.ts); a kill -9 leaves every
 * record written whole and at most the last one torn; a torn tail is cut off (and the cut recorded)
 * when the log is opened again. Files rotate at `fileMaxBytes`; the oldest are deleted
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
  /** Lines made and not yet written, and the packets among them. */
  private pending: string[] = [];
  private pendingPkts = { packets: 0, bytes: 0 };
  private flushQueued = false;
  private onError: ((text: string) => void) | undefined;
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

  /** Numbers, dates and chains a record, and queues its line. */
  private make(draft: AuditDraft): void {
    const { line, hash } = recordLine(this.lastHash, this.n + 1, Math.round(this.o.now()), draft);
    if (this.pending.length === 0) this.hashBefore = this.lastHash;
    this.pending.push(line);
    this.n++;
    this.lastHash = hash;
    if (draft.k === 'pkt') {
      this.pendingPkts.packets++;
      this.pendingPkts.bytes += draft.b;
    }
  }

  /** Writes `lines` with one write(2) (a regular file takes it whole unless the disk is full). */
  private writeLines(lines: string[]): void {
    const buf = Buffer.from(lines.length === 1 ? lines[0]! : lines.join(''));
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
    this.written += lines.length;
  }

  private write(draft: AuditDraft): void {
    this.make(draft);
    this.flush();
  }

  /** Writes the queued records on the next tick (before anything queued after this call). */
  flushSoon(): void {
    if (this.flushQueued || this.fd < 0) return;
    this.flushQueued = true;
    process.nextTick(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /**
   * Writes the queued records now; rotates the file when it reached its bound. Never throws: a failing
   * write is remembered (lastError, the `onError` of the last append) and the packets it described are
   * reported in a `gap` record once writing works again.
   */
  flush(): void {
    if (this.pending.length === 0 || this.fd < 0) return;
    const lines = this.pending;
    const pkts = this.pendingPkts;
    this.pending = [];
    this.pendingPkts = { packets: 0, bytes: 0 };
    try {
      this.writeLines(lines);
      this.lastError = '';
      if (this.size >= this.o.fileMaxBytes) {
        const prev = auditFileName(this.segment);
        this.startFile(this.segment + 1, this.lastHash, prev);
        this.prune();
      }
    } catch (err) {
      const first = this.lastError === '';
      this.lastError = `KZ_ERR_AUDIT_WRITE: audit log '${this.dir}': ${(err as Error).message}`;
      this.lost.packets += pkts.packets;
      this.lost.bytes += pkts.bytes;
      this.lost.why = (err as Error).message;
      // The chain goes on from the last record written, so the log stays verifiable after the gap.
      this.rewind(lines.length);
      if (first) this.onError?.(this.lastError);
    }
  }

  /** Takes back the numbers and hash of the last `count` records made (they were not written). */
  private rewind(count: number): void {
    this.n -= count;
    this.lastHash = this.hashBefore ?? this.lastHash;
  }

  /**
   * Queues one record, written on the next tick. Never throws (see flush).
   */
  append(draft: AuditDraft, onError?: (text: string) => void): void {
    if (this.fd < 0) return;
    if (onError) this.onError = onError;
    if (this.lost.packets > 0 || this.lost.bytes > 0) {
      const lost = this.lost;
      this.make({ k: 'gap', packets: lost.packets, bytes: lost.bytes, why: lost.why.slice(0, 200) });
      // Should this batch fail too, the packets it reports are still owed.
      this.pendingPkts.packets += lost.packets;
      this.pendingPkts.bytes += lost.bytes;
      this.lost = { packets: 0, bytes: 0, why: '' };
    }
    this.make(draft);
    this.flushSoon();
  }

  /** The hash before the first queued record (where the chain resumes when a write fails). */
  private hashBefore: string | undefined;

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

  /** Writes what is queued and closes the file. Idempotent. */
  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
