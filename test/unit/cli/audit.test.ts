/**
 * `kizuna audit`: its flags (each bad one a clear usage error), and its report on a real log: totals,
 * what the policy removed and refused, the bytes accounted for, and a broken chain named with exit 1.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../../nodes/cloud_bridge/audit-log';
import { auditDirFor, parseAuditArgs, parseSince, runAudit } from '../../../nodes/cli/audit';

const root = mkdtempSync(join(tmpdir(), 'kizuna-audit-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const T0 = Date.parse('2026-12-07T09:00:00Z');

/** A log of two connections: 09:00 and 10:00, with a policy removal and a refusal. */
function makeLog(dir: string): void {
  let now = T0;
  const log = AuditLog.open(dir, {
    robotId: 'care-1',
    fleet: 'home',
    fileMaxBytes: 1 << 20,
    maxTotalBytes: 1 << 30,
    maxAgeMs: 0,
    now: () => now,
  });
  log.append({ k: 'start', profile: 'care', policy: { posePrecisionM: 1, freeText: false }, payloads: false });
  for (const hour of [0, 1]) {
    now = T0 + hour * 3_600_000;
    log.append({ k: 'pkt', d: 'out', p: 'connect', c: 'mqtt_session', b: 180 });
    log.append({ k: 'pkt', d: 'in', p: 'connack', c: 'mqtt_session', b: 4 });
    log.append({ k: 'pkt', d: 'out', p: 'publish', c: 'state', b: 150, pb: 100, topic: 'k/h/care-1/state', q: 0 });
    log.append({ k: 'policy', c: 'events', removed: ['message'], ev: 'fault_raised' });
    log.append({ k: 'pkt', d: 'out', p: 'publish', c: 'events', b: 250, pb: 200, topic: 'k/h/care-1/events', q: 1 });
    log.append({ k: 'pkt', d: 'in', p: 'puback', c: 'mqtt_ack', b: 4 });
    log.append({ k: 'session', out: 580, in: 8, po: 3, pi: 2 });
  }
  log.append({ k: 'refused', c: 'state', reason: 'KZ_ERR_CONTRACT_INVALID', what: 'outbound state: bat: too big' });
  log.close();
}

function run(args: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runAudit(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('kizuna audit: flags', () => {
  const usage = (args: string[], re: RegExp): void =>
    expect(() => parseAuditArgs(args, T0)).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_CLI_USAGE', message: expect.stringMatching(re) }),
    );

  it('refuses every malformed flag, naming it', () => {
    usage(['--by', 'day'], /--by must be category, topic or hour, got 'day'/);
    usage(['--by'], /--by must be/);
    usage(['--since', 'yesterday'], /--since needs a date .* got 'yesterday'/);
    usage(['--since', '2026-13-45'], /--since needs/);
    usage(['--since'], /--since needs/);
    usage(['--dir'], /--dir needs a directory/);
    usage(['--robot-id', 'care-1'], /--robot-id and --fleet go together/);
    usage(['--robot-id', 'a/b', '--fleet', 'x'], /--robot-id 'a\/b' is not one MQTT topic level/);
    usage(['--dir', '/x', '--robot-id', 'a', '--fleet', 'b'], /either --dir or --robot-id/);
    usage(['--verbose'], /unknown audit option '--verbose'/);
  });

  it('reads --since as a time back from now or as a UTC date-time', () => {
    expect(parseSince('90m', T0)).toBe(T0 - 90 * 60_000);
    expect(parseSince('7d', T0)).toBe(T0 - 7 * 86_400_000);
    expect(parseSince('2026-12-07', T0)).toBe(Date.parse('2026-12-07T00:00:00Z'));
    expect(parseSince('2026-12-07T09:30', T0)).toBe(Date.parse('2026-12-07T09:30:00Z'));
    expect(parseSince('2026-12-07T09:30+09:00', T0)).toBe(Date.parse('2026-12-07T00:30:00Z'));
  });

  it("finds a robot's directory beside its default store", () => {
    const o = parseAuditArgs(['--robot-id', 'care-1', '--fleet', 'home']);
    expect(auditDirFor(o, { XDG_STATE_HOME: '/var/lib/x' })).toBe('/var/lib/x/kizuna/cloud_bridge-home.care-1.audit');
    expect(() => auditDirFor(parseAuditArgs([]), { XDG_STATE_HOME: join(root, 'none') })).toThrow(/no audit log under/);
  });
});

describe('kizuna audit: the report', () => {
  const dir = join(root, 'log');
  makeLog(dir);

  it('prints bytes and messages per category, what the policy removed and refused, 0 bytes unaccounted, an intact chain', () => {
    const r = run(['--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/hash chain intact: records #1 to #17/);
    expect(r.out).toMatch(/^events\s+2\s+500\s+400\s+0\s+0\s+0$/m);
    expect(r.out).toMatch(/^state\s+2\s+300\s+200\s+0\s+0\s+0$/m);
    expect(r.out).toMatch(/^total\s+6\s+1,160\s+600\s+4\s+16\s+0$/m);
    expect(r.out).toContain('events: message (2 message(s))');
    expect(r.out).toContain('state: KZ_ERR_CONTRACT_INVALID (1 message(s)); last: outbound state: bat: too big');
    expect(r.out).toContain('2 connection(s): sent 1,160 bytes, received 16 bytes; 0 bytes unaccounted for');
  });

  it('--since and --by hour count only the later hour; --json carries the same figures', () => {
    const r = run(['--dir', dir, '--since', '2026-12-07T09:30Z', '--by', 'hour', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      summary: { rows: Array<{ key: string; out: { bytes: number } }>; sessions: { closed: number } };
    };
    expect(j.summary.rows.map((x) => x.key)).toEqual(['2026-12-07T10:00Z']);
    expect(j.summary.rows[0]!.out.bytes).toBe(580);
    expect(j.summary.sessions.closed).toBe(1);
  });

  it('a session whose packets do not add up to its counters is reported, not hidden', () => {
    const d = join(root, 'short');
    makeLog(d);
    const f = join(d, 'audit-000001.jsonl');
    // A log whose counters claim more than its packets: built by the writer, so the chain is intact.
    const log = AuditLog.open(d, {
      robotId: 'care-1',
      fleet: 'home',
      fileMaxBytes: 1 << 20,
      maxTotalBytes: 1 << 30,
      maxAgeMs: 0,
      now: () => T0 + 7_200_000,
    });
    log.append({ k: 'pkt', d: 'out', p: 'pingreq', c: 'mqtt_keepalive', b: 2 });
    log.append({ k: 'session', out: 12, in: 0, po: 1, pi: 0 });
    log.close();
    expect(readFileSync(f, 'utf8')).toContain('"pingreq"');
    const r = run(['--dir', d]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('10 sent and 0 received bytes NOT in the packet records');
  });

  it('exits 1 naming the file, line and record where the chain breaks, and still prints the totals', () => {
    const d = join(root, 'tampered');
    makeLog(d);
    const f = join(d, 'audit-000001.jsonl');
    writeFileSync(f, readFileSync(f, 'utf8').replace('"b":250', '"b":25'));
    const r = run(['--dir', d]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/HASH CHAIN BROKEN: first at audit-000001.jsonl line 7 \(record #7\)/);
    expect(r.err).toMatch(/KZ_ERR_AUDIT_CHAIN: .*audit-000001.jsonl line 7 \(record #7\): its hash does not match/);
    expect(r.out).toMatch(/^total/m);
  });

  it('an incomplete last record (being written, or a crash) is ignored and said, not a broken chain', () => {
    const d = join(root, 'torn');
    makeLog(d);
    appendFileSync(join(d, 'audit-000001.jsonl'), '{"n":18,"t":1,"k":"pkt"');
    const r = run(['--dir', d]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('the last record is incomplete (23 bytes in audit-000001.jsonl');
    expect(r.out).toMatch(/hash chain intact: records #1 to #17/);
  });

  it('a directory without audit files is a clear error', () => {
    expect(() => run(['--dir', root])).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_AUDIT_READ', message: expect.stringMatching(/no audit files/) }),
    );
    expect(() => run(['--dir', join(root, 'nope')])).toThrow(/cannot read the audit directory/);
  });
});
