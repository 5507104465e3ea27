/**
 * Reading the audit log back: every file of a directory in order, each record checked against the hash
 * chain (record.ts), and a summary for the owner — bytes and messages per category, topic or hour, what
 * the data policy removed or refused, and whether the packets account for every byte the bridge's own
 * counters saw. `kizuna audit` (nodes/cli/audit.ts) prints it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KizunaError } from '../errors';
import { GENESIS_HASH, auditRecordSchema, auditSegmentOf, chainHash, splitLine, type AuditRecord } from './record';

/** The first record that breaks the chain, and why. */
export interface ChainBreak {
  file: string;
  /** 1-based line in the file. */
  line: number;
  /** The record's number, when it has one. */
  n?: number;
  why: string;
}

export interface ChainResult {
  ok: boolean;
  /** [count] records read (whole lines). */
  records: number;
  /** Number of the first record kept; earlier ones were rotated out (deleted by the size or age bound). */
  firstN: number | undefined;
  rotatedOut: boolean;
  firstBreak: ChainBreak | undefined;
  /** [count] records that failed a check (after the first, the chain is followed from each bad record on). */
  badRecords: number;
  /** A last record cut short by a crash, ignored (the bridge cuts it off at its next start). */
  tornTail: { file: string; bytes: number } | undefined;
}

/** The audit files of `dir`, oldest first; KZ_ERR_AUDIT_READ when it cannot be read or holds none. */
export function listAuditFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
  } catch (err) {
    throw new KizunaError('KZ_ERR_AUDIT_READ', `cannot read the audit directory '${dir}': ${(err as Error).message}`, {
      entity: dir,
    });
  }
  const files = names
    .map((name) => ({ name, seg: auditSegmentOf(name) }))
    .filter((f): f is { name: string; seg: number } => f.seg !== undefined)
    .sort((a, b) => a.seg - b.seg)
    .map((f) => f.name);
  if (files.length === 0)
    throw new KizunaError('KZ_ERR_AUDIT_READ', `no audit files (audit-NNNNNN.jsonl) in '${dir}'`, { entity: dir });
  return files;
}

/**
 * Reads every record of the log in `dir`, checking the chain; `visit` gets each record that parses
 * (also after a break, so the totals still cover the whole log).
 */
export function readAudit(dir: string, visit: (r: AuditRecord) => void): ChainResult {
  const files = listAuditFiles(dir);
  const res: ChainResult = {
    ok: true,
    records: 0,
    firstN: undefined,
    rotatedOut: false,
    firstBreak: undefined,
    badRecords: 0,
    tornTail: undefined,
  };
  const bad = (b: ChainBreak): void => {
    res.badRecords++;
    if (res.ok) {
      res.ok = false;
      res.firstBreak = b;
    }
  };
  let prevHash: string | undefined;
  let prevN: number | undefined;
  let prevFile: string | undefined;
  for (let fi = 0; fi < files.length; fi++) {
    const file = files[fi]!;
    const seg = auditSegmentOf(file)!;
    if (prevFile !== undefined && seg !== auditSegmentOf(prevFile)! + 1) {
      bad({ file, line: 1, why: `the file(s) between ${prevFile} and ${file} are missing` });
    }
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      throw new KizunaError('KZ_ERR_AUDIT_READ', `cannot read '${join(dir, file)}': ${(err as Error).message}`, {
        entity: file,
      });
    }
    const lines = text.split('\n');
    const rest = lines.pop() ?? '';
    if (rest.length > 0) {
      if (fi === files.length - 1) res.tornTail = { file, bytes: Buffer.byteLength(rest) };
      else bad({ file, line: lines.length + 1, why: 'a record cut short in the middle of the log' });
    }
    for (let li = 0; li < lines.length; li++) {
      const at = { file, line: li + 1 };
      const parts = splitLine(lines[li]!);
      if ('error' in parts) {
        bad({ ...at, why: parts.error });
        continue;
      }
      let rec: AuditRecord;
      try {
        const parsed = auditRecordSchema.safeParse(JSON.parse(parts.body));
        if (!parsed.success) {
          const i = parsed.error.issues[0];
          bad({ ...at, why: `not a valid record: ${i?.path.map(String).join('.')}: ${i?.message}` });
          continue;
        }
        rec = parsed.data;
      } catch {
        bad({ ...at, why: 'not JSON' });
        continue;
      }
      res.records++;
      const here = { ...at, n: rec.n };
      if (li === 0) {
        if (rec.k !== 'open' || rec.file !== file) {
          bad({ ...here, why: `the file does not start with its own open record` });
        } else if (prevHash === undefined) {
          // The oldest file kept: its open record anchors the chain (the files before were rotated out).
          prevHash = rec.ph;
          res.rotatedOut = rec.ph !== GENESIS_HASH;
        } else if (rec.ph !== prevHash) {
          bad({ ...here, why: `its open record does not carry the last hash of ${prevFile ?? 'the file before'}` });
        }
      }
      if (res.firstN === undefined) res.firstN = rec.n;
      else if (prevN !== undefined && rec.n !== prevN + 1) {
        bad({
          ...here,
          why: `record number ${rec.n} follows ${prevN}: ${rec.n > prevN ? 'records missing' : 'out of order'}`,
        });
      }
      const want = chainHash(prevHash ?? GENESIS_HASH, parts.body);
      if (want !== parts.h) bad({ ...here, why: 'its hash does not match its contents and the record before it' });
      prevHash = parts.h;
      prevN = rec.n;
      visit(rec);
    }
    prevFile = file;
  }
  return res;
}

/** What the summary groups rows by. */
export type AuditGrouping = 'category' | 'topic' | 'hour';

interface Flow {
  /** [count] packets (a PUBLISH is one message). */
  messages: number;
  /** [bytes] whole MQTT packets. */
  bytes: number;
  /** [bytes] PUBLISH payloads. */
  payloadBytes: number;
}
const flow = (): Flow => ({ messages: 0, bytes: 0, payloadBytes: 0 });

export interface AuditSummary {
  /** [ms since epoch] first and last record counted (after --since). */
  fromMs: number | undefined;
  toMs: number | undefined;
  by: AuditGrouping;
  rows: Array<{ key: string; out: Flow; in: Flow }>;
  total: { out: Flow; in: Flow };
  /** Fields the data policy removed, by category and field: [count] messages. */
  removed: Array<{ category: string; field: string; messages: number }>;
  /** Messages not sent, by category and reason. */
  refused: Array<{ category: string; reason: string; messages: number; last: string }>;
  /**
   * Connections that ended with a `session` record: the bridge's own byte counters against the bytes of
   * the packets recorded on them. `unaccounted` is counters minus packets: 0 when every byte is in the log.
   */
  sessions: {
    closed: number;
    counters: { out: number; in: number };
    recorded: { out: number; in: number };
    unaccounted: { out: number; in: number };
    /** Packets recorded on a connection with no session record: the bridge still running, or killed. */
    open: { packets: number; bytes: number };
  };
  /** Packets the bridge could not record (write errors), from `gap` records. */
  gaps: { packets: number; bytes: number };
  starts: number;
  /** Torn records cut off at a restart after a crash. */
  recovered: number;
}

/** Adds records up into an {@link AuditSummary}. */
export class AuditSummer {
  private readonly rows = new Map<string, { out: Flow; in: Flow }>();
  private readonly total = { out: flow(), in: flow() };
  private readonly removed = new Map<string, number>();
  private readonly refused = new Map<string, { messages: number; last: string }>();
  private fromMs: number | undefined;
  private toMs: number | undefined;
  private readonly cur = { out: 0, in: 0, packets: 0 };
  private readonly sessions = {
    closed: 0,
    counters: { out: 0, in: 0 },
    recorded: { out: 0, in: 0 },
    unaccounted: { out: 0, in: 0 },
    open: { packets: 0, bytes: 0 },
  };
  private readonly gaps = { packets: 0, bytes: 0 };
  private starts = 0;
  private recovered = 0;

  /** `sinceMs`: records before it are not counted (the session check still follows every packet). */
  constructor(
    private readonly by: AuditGrouping,
    private readonly sinceMs = 0,
  ) {}

  private key(r: Extract<AuditRecord, { k: 'pkt' }>): string {
    if (this.by === 'category') return r.c;
    if (this.by === 'topic') return r.p === 'publish' ? (r.topic ?? '') : `(mqtt ${r.p})`;
    return `${new Date(r.t).toISOString().slice(0, 13)}:00Z`;
  }

  add(r: AuditRecord): void {
    if (r.k === 'pkt') {
      this.cur[r.d] += r.b;
      this.cur.packets++;
    } else if (r.k === 'session') {
      this.closeSession(r);
    } else if (r.k === 'start' && this.cur.packets > 0) {
      this.dropOpenSession();
    }
    if (r.t < this.sinceMs) return;
    this.fromMs ??= r.t;
    this.toMs = r.t;
    switch (r.k) {
      case 'pkt': {
        const k = this.key(r);
        let row = this.rows.get(k);
        if (!row) this.rows.set(k, (row = { out: flow(), in: flow() }));
        for (const f of [row[r.d], this.total[r.d]]) {
          f.messages++;
          f.bytes += r.b;
          f.payloadBytes += r.pb ?? 0;
        }
        break;
      }
      case 'policy':
        for (const field of r.removed) {
          const k = `${r.c}\u0000${field}`;
          this.removed.set(k, (this.removed.get(k) ?? 0) + 1);
        }
        break;
      case 'refused': {
        const k = `${r.c}\u0000${r.reason}`;
        const e = this.refused.get(k) ?? { messages: 0, last: '' };
        e.messages++;
        e.last = r.what;
        this.refused.set(k, e);
        break;
      }
      case 'gap':
        this.gaps.packets += r.packets;
        this.gaps.bytes += r.bytes;
        break;
      case 'start':
        this.starts++;
        break;
      case 'recovered':
        this.recovered++;
        break;
    }
  }

  /** A bridge started while packets had no session record: the one before was killed. */
  private dropOpenSession(): void {
    this.cur.out = 0;
    this.cur.in = 0;
    this.cur.packets = 0;
  }

  private closeSession(r: Extract<AuditRecord, { k: 'session' }>): void {
    if (r.t >= this.sinceMs) {
      const s = this.sessions;
      s.closed++;
      s.counters.out += r.out;
      s.counters.in += r.in;
      s.recorded.out += this.cur.out;
      s.recorded.in += this.cur.in;
      s.unaccounted.out += r.out - this.cur.out;
      s.unaccounted.in += r.in - this.cur.in;
    }
    this.dropOpenSession();
  }

  result(): AuditSummary {
    const split = (k: string): [string, string] => k.split('\u0000') as [string, string];
    return {
      fromMs: this.fromMs,
      toMs: this.toMs,
      by: this.by,
      rows: [...this.rows.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, v]) => ({ key, ...v })),
      total: this.total,
      removed: [...this.removed.entries()].map(([k, messages]) => {
        const [category, field] = split(k);
        return { category, field, messages };
      }),
      refused: [...this.refused.entries()].map(([k, v]) => {
        const [category, reason] = split(k);
        return { category, reason, ...v };
      }),
      sessions: {
        ...this.sessions,
        open: { packets: this.cur.packets, bytes: this.cur.out + this.cur.in },
      },
      gaps: this.gaps,
      starts: this.starts,
      recovered: this.recovered,
    };
  }
}
