/**
 * `kizuna audit`: the robot's audit log for its owner — bytes and messages per category, topic or hour,
 * what the data policy removed or refused to send, whether the packets account for every byte the
 * bridge counted, and the hash chain checked (nodes/core/audit/read.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KizunaError } from '../core/errors';
import {
  AuditSummer,
  listAuditFiles,
  readAudit,
  type AuditGrouping,
  type AuditSummary,
  type ChainResult,
} from '../core/audit/read';
import { storePaths } from '../cloud_bridge/config';
import { levelProblem } from './launch-plan';

export const AUDIT_USAGE = `usage: kizuna audit [--dir <dir> | --robot-id <id> --fleet <id>] [--since <time>] [--by category|topic|hour] [--json]

Reads the audit log cloud_bridge keeps of every MQTT packet it sent and received, and prints bytes and
messages per category (or topic, or hour), what the data policy removed or refused to send, whether the
bridge's own byte counters are all accounted for, and checks the log's hash chain.

options:
  --dir <dir>            the audit directory (cloud_bridge's audit_dir; by default beside its store,
                         $XDG_STATE_HOME/kizuna/cloud_bridge-<fleet>.<robot_id>.audit)
  --robot-id <id>        with --fleet: that robot's default audit directory
  --fleet <id>
  --since <time>         count only what happened from then on: a date or date-time (2026-12-07,
                         2026-12-07T09:30Z, UTC unless it names a zone) or a time back from now
                         (45m, 12h, 7d); the hash chain is always checked whole
  --by <grouping>        rows by category (default), topic, or hour (UTC)
  --json                 the summary and the chain check as JSON

Without --dir or --robot-id, the one audit directory under the default state directory is read.

exit status: 0 chain intact, 1 chain broken (the first bad record is named) or log unreadable,
2 wrong command line`;

function usage(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${AUDIT_USAGE}`);
}

export interface AuditOptions {
  dir?: string;
  robotId?: string;
  fleet?: string;
  sinceMs: number;
  by: AuditGrouping;
  json: boolean;
}

/** [ms since epoch] of `--since`'s value at `nowMs`, or a usage error saying what is accepted. */
export function parseSince(v: string | undefined, nowMs: number): number {
  const bad = (): KizunaError =>
    usage(
      `--since needs a date or date-time (2026-12-07, 2026-12-07T09:30Z) or a time back (45m, 12h, 7d), got '${v ?? ''}'`,
    );
  if (!v) throw bad();
  const rel = /^(\d{1,6})([smhd])$/.exec(v);
  if (rel) return nowMs - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) throw bad();
  // A date-time without a zone is UTC, as every time the audit prints.
  const iso = v.replace(' ', 'T');
  const t = Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(iso) || !iso.includes('T') ? iso : `${iso}Z`);
  if (!Number.isFinite(t)) throw bad();
  return t;
}

/** Parses `kizuna audit` flags; throws KZ_ERR_CLI_USAGE naming the flag. */
export function parseAuditArgs(args: ReadonlyArray<string>, nowMs = Date.now()): AuditOptions {
  const o: AuditOptions = { sinceMs: 0, by: 'category', json: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (flag === '--json') {
      o.json = true;
      continue;
    }
    const v = args[i + 1] !== undefined && !(args[i + 1] as string).startsWith('--') ? args[++i] : undefined;
    switch (flag) {
      case '--dir':
        if (!v) throw usage('--dir needs a directory');
        o.dir = v;
        break;
      case '--robot-id':
      case '--fleet': {
        const p = levelProblem(flag, v);
        if (p) throw usage(p);
        if (flag === '--fleet') o.fleet = v;
        else o.robotId = v;
        break;
      }
      case '--since':
        o.sinceMs = parseSince(v, nowMs);
        break;
      case '--by':
        if (v !== 'category' && v !== 'topic' && v !== 'hour')
          throw usage(`--by must be category, topic or hour, got '${v ?? ''}'`);
        o.by = v;
        break;
      default:
        throw usage(`unknown audit option '${flag}'`);
    }
  }
  if (o.dir && (o.robotId || o.fleet)) throw usage('give either --dir or --robot-id with --fleet, not both');
  if ((o.robotId === undefined) !== (o.fleet === undefined)) throw usage('--robot-id and --fleet go together');
  return o;
}

/** The directory to read: --dir, the robot's default, or the only one under the default state directory. */
export function auditDirFor(o: AuditOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (o.dir) return o.dir;
  const beside = (store: string): string => store.replace(/\.sqlite$/, '.audit');
  if (o.robotId && o.fleet) return beside(storePaths(o.fleet, o.robotId, env).current);
  const base = dirname(storePaths('f', 'r', env).current);
  const found = existsSync(base)
    ? readdirSync(base)
        .filter((n) => /^cloud_bridge-.+\.audit$/.test(n) && statSync(join(base, n)).isDirectory())
        .map((n) => join(base, n))
    : [];
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new KizunaError('KZ_ERR_AUDIT_READ', `no audit log under ${base}: give --dir (cloud_bridge's audit_dir)`);
  throw new KizunaError(
    'KZ_ERR_AUDIT_READ',
    `several audit logs under ${base}; name one with --dir or --robot-id/--fleet:\n  ${found.join('\n  ')}`,
  );
}

const num = (n: number): string => n.toLocaleString('en-US');
const when = (ms: number | undefined): string =>
  ms === undefined
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z');

/** The report as lines of text. */
export function auditText(dir: string, files: number, chain: ChainResult, s: AuditSummary): string[] {
  const out: string[] = [];
  out.push(`audit log ${dir}: ${files} file(s), ${num(chain.records)} records, ${when(s.fromMs)} to ${when(s.toMs)}`);
  if (chain.ok) {
    const rot = chain.rotatedOut ? ' (older records were rotated out: the chain is checked from the first kept)' : '';
    out.push(`hash chain intact: records #${chain.firstN ?? 0} to #${(chain.firstN ?? 1) + chain.records - 1}${rot}`);
  } else {
    const b = chain.firstBreak!;
    out.push(
      `HASH CHAIN BROKEN: first at ${b.file} line ${b.line}${b.n !== undefined ? ` (record #${b.n})` : ''}: ${b.why}; ${chain.badRecords} bad record(s)`,
    );
  }
  if (chain.tornTail)
    out.push(
      `the last record is incomplete (${chain.tornTail.bytes} bytes in ${chain.tornTail.file}: being written now, or cut short by a crash): ignored`,
    );
  out.push('');
  const head = [s.by, 'sent', 'bytes', 'payload', 'received', 'bytes', 'payload'];
  const rows = s.rows.map((r) => [
    r.key,
    num(r.out.messages),
    num(r.out.bytes),
    num(r.out.payloadBytes),
    num(r.in.messages),
    num(r.in.bytes),
    num(r.in.payloadBytes),
  ]);
  const t = s.total;
  rows.push([
    'total',
    num(t.out.messages),
    num(t.out.bytes),
    num(t.out.payloadBytes),
    num(t.in.messages),
    num(t.in.bytes),
    num(t.in.payloadBytes),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  out.push(line(head));
  for (const r of rows) out.push(line(r));
  out.push("(sent/received: messages or MQTT packets; bytes: whole MQTT packets; payload: the messages' own bytes)");
  out.push('');
  out.push('removed by the data policy before sending:');
  if (s.removed.length === 0) out.push('  nothing');
  for (const r of s.removed) out.push(`  ${r.category}: ${r.field} (${num(r.messages)} message(s))`);
  out.push('refused (not sent):');
  if (s.refused.length === 0) out.push('  nothing');
  for (const r of s.refused) out.push(`  ${r.category}: ${r.reason} (${num(r.messages)} message(s)); last: ${r.last}`);
  out.push('');
  const ss = s.sessions;
  const un = ss.unaccounted.out + ss.unaccounted.in;
  out.push(
    `the bridge's own byte counters, ${num(ss.closed)} connection(s): sent ${num(ss.counters.out)} bytes, received ${num(ss.counters.in)} bytes; ` +
      (un === 0
        ? '0 bytes unaccounted for'
        : `${num(ss.unaccounted.out)} sent and ${num(ss.unaccounted.in)} received bytes NOT in the packet records`),
  );
  if (ss.open.packets > 0)
    out.push(
      `a connection still open, or cut by a crash: ${num(ss.open.packets)} packets, ${num(ss.open.bytes)} bytes so far`,
    );
  if (s.gaps.packets > 0)
    out.push(`NOT RECORDED (the log could not be written): ${num(s.gaps.packets)} packets, ${num(s.gaps.bytes)} bytes`);
  out.push(
    `bridge starts: ${num(s.starts)}${s.recovered > 0 ? `; torn records cut off after a crash: ${s.recovered}` : ''}`,
  );
  return out;
}

/** Runs `kizuna audit`; returns the exit status (1: chain broken). */
export function runAudit(
  args: ReadonlyArray<string>,
  print: (line: string) => void,
  err: (line: string) => void,
): number {
  const o = parseAuditArgs(args);
  const dir = auditDirFor(o);
  const files = listAuditFiles(dir).length;
  const summer = new AuditSummer(o.by, o.sinceMs);
  const chain = readAudit(dir, (r) => summer.add(r));
  const s = summer.result();
  if (o.json) print(JSON.stringify({ dir, files, chain, summary: s }, null, 2));
  else for (const l of auditText(dir, files, chain, s)) print(l);
  if (!chain.ok) {
    const b = chain.firstBreak!;
    err(
      `kizuna: KZ_ERR_AUDIT_CHAIN: the audit log's hash chain is broken: first at ${join(dir, b.file)} line ${b.line}` +
        `${b.n !== undefined ? ` (record #${b.n})` : ''}: ${b.why}`,
    );
    return 1;
  }
  return 0;
}
