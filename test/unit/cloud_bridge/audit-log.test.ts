/**
 * The audit log's writer and reader on real files: the chain holds across rotation and pruning, any
 * edit, removed record or removed file is found and named, a torn last record (a crash mid-write) is
 * ignored by the reader and cut off by the next start, files are the owner's alone.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../../nodes/cloud_bridge/audit-log';
import { readAudit } from '../../../nodes/core/audit/read';
import type { AuditRecord } from '../../../nodes/core/audit/record';

const root = mkdtempSync(join(tmpdir(), 'kizuna-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const fresh = (): string => join(root, `log${++k}`);

function open(dir: string, over: Partial<Parameters<typeof AuditLog.open>[1]> = {}): AuditLog {
  return AuditLog.open(dir, {
    robotId: 'care-1',
    fleet: 'home',
    fileMaxBytes: 4096,
    maxTotalBytes: 1 << 30,
    maxAgeMs: 0,
    now: () => 1_765_000_000_000,
    ...over,
  });
}

/** Appends `n` packet records, flushing every 5 as the bridge's ticks would. */
function fill(log: AuditLog, n: number): void {
  for (let i = 0; i < n; i++) {
    log.append({
      k: 'pkt',
      d: i % 2 ? 'in' : 'out',
      p: 'publish',
      c: 'state',
      b: 100 + i,
      pb: 60,
      topic: 'a/b/state',
      q: 0,
    });
    if (i % 5 === 4) log.flush();
  }
}

function read(dir: string): { recs: AuditRecord[]; chain: ReturnType<typeof readAudit> } {
  const recs: AuditRecord[] = [];
  return { chain: readAudit(dir, (r) => recs.push(r)), recs };
}

const files = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith('audit-'))
    .sort();

describe('audit log: hash chain, rotation, crash and tampering', () => {
  it('chains every record across rotated files, numbered without a gap; each file opens with the hash of the one before', () => {
    const dir = fresh();
    const log = open(dir);
    fill(log, 400);
    log.close();
    const { recs, chain } = read(dir);
    expect(files(dir).length).toBeGreaterThan(5);
    expect(chain.ok).toBe(true);
    expect(chain.rotatedOut).toBe(false);
    expect(recs.map((r) => r.n)).toEqual(recs.map((_, i) => i + 1));
    expect(recs.filter((r) => r.k === 'pkt')).toHaveLength(400);
    expect(recs.filter((r) => r.k === 'open')).toHaveLength(files(dir).length);
    for (const f of files(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Every file but the newest stopped at the size bound (one record may cross it).
    for (const f of files(dir).slice(0, -1)) expect(statSync(join(dir, f)).size).toBeLessThan(4096 + 5 * 200);
  });

  it('a restart continues the chain of the newest file', () => {
    const dir = fresh();
    const a = open(dir);
    fill(a, 10);
    a.close();
    const b = open(dir);
    fill(b, 10);
    b.close();
    const { recs, chain } = read(dir);
    expect(chain.ok).toBe(true);
    expect(recs.filter((r) => r.k === 'pkt')).toHaveLength(20);
    expect(recs[recs.length - 1]!.n).toBe(recs.length);
  });

  it('deletes the oldest files past the total size, and the chain is checked from the first file kept', () => {
    const dir = fresh();
    const log = open(dir, { maxTotalBytes: 12_000 });
    fill(log, 400);
    log.close();
    const total = files(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    expect(total).toBeLessThanOrEqual(12_000 + 4096 + 400);
    expect(files(dir)[0]).not.toBe('audit-000001.jsonl');
    const { chain } = read(dir);
    expect(chain.ok).toBe(true);
    expect(chain.rotatedOut).toBe(true);
    expect(chain.firstN).toBeGreaterThan(1);
  });

  it('deletes files older than the age bound, never the one being written', () => {
    const dir = fresh();
    let now = Date.now();
    const log = open(dir, { maxAgeMs: 86_400_000, now: () => now });
    fill(log, 200);
    const before = files(dir);
    now += 2 * 86_400_000;
    log.prune();
    expect(files(dir)).toEqual(before.slice(-1));
    fill(log, 5);
    log.close();
    expect(read(dir).chain.ok).toBe(true);
  });

  it('names the first record whose contents were changed', () => {
    const dir = fresh();
    const log = open(dir);
    fill(log, 100);
    log.close();
    const f = files(dir)[1]!;
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/"b":(\d+)/, (_m, b: string) => `"b":${Number(b) - 50}`);
    writeFileSync(join(dir, f), lines.join('\n'));
    const { chain } = read(dir);
    expect(chain.ok).toBe(false);
    expect(chain.firstBreak).toMatchObject({ file: f, line: 4, why: expect.stringMatching(/hash does not match/) });
  });

  it('finds a record removed, and a file removed between two others', () => {
    const dir = fresh();
    const log = open(dir);
    fill(log, 200);
    log.close();
    const f = files(dir)[2]!;
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    lines.splice(5, 1);
    writeFileSync(join(dir, f), lines.join('\n'));
    expect(read(dir).chain.firstBreak).toMatchObject({
      file: f,
      line: 6,
      why: expect.stringMatching(/records missing/),
    });

    const dir2 = fresh();
    const log2 = open(dir2);
    fill(log2, 200);
    log2.close();
    const gone = files(dir2)[3]!;
    unlinkSync(join(dir2, gone));
    const b = read(dir2).chain.firstBreak!;
    expect(b.why).toMatch(/missing/);
    expect(b.file).toBe(files(dir2)[3]);
  });

  it('a record torn by a crash is ignored by the reader and cut off (and recorded) at the next start', () => {
    const dir = fresh();
    const log = open(dir);
    fill(log, 30);
    log.close();
    const newest = files(dir).pop()!;
    const fragment = '{"n":999,"t":1,"k":"pkt","d":"out","p":"pub';
    appendFileSync(join(dir, newest), fragment);
    const torn = read(dir).chain;
    expect(torn.ok).toBe(true);
    expect(torn.tornTail).toEqual({ file: newest, bytes: fragment.length });
    const again = open(dir);
    fill(again, 3);
    again.close();
    const { recs, chain } = read(dir);
    expect(chain.ok).toBe(true);
    expect(chain.tornTail).toBeUndefined();
    expect(recs.find((r) => r.k === 'recovered')).toMatchObject({ file: newest, bytes: fragment.length });
  });

  it('a disk that refuses writes: reported once, the packets missed counted in a gap record, the chain intact after', () => {
    const dir = fresh();
    const log = open(dir);
    fill(log, 10);
    log.flush();
    const errors: string[] = [];
    const inner = log as unknown as { fd: number };
    const good = inner.fd;
    inner.fd = openSync('/dev/full', 'w'); // every write fails with ENOSPC, as on a full disk
    const pkt = (b: number) => log.append({ k: 'pkt', d: 'out', p: 'publish', c: 'events', b }, (t) => errors.push(t));
    pkt(100);
    pkt(200);
    log.flush();
    pkt(300);
    log.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/KZ_ERR_AUDIT_WRITE: .*ENOSPC/);
    expect(log.lastError).toMatch(/ENOSPC/);
    closeSync(inner.fd);
    inner.fd = good;
    pkt(400);
    log.close();
    const { recs, chain } = read(dir);
    expect(chain.ok).toBe(true);
    expect(recs.find((r) => r.k === 'gap')).toMatchObject({
      packets: 3,
      bytes: 600,
      why: expect.stringMatching(/ENOSPC/),
    });
    expect(
      recs
        .filter((r) => r.k === 'pkt')
        .map((r) => (r.k === 'pkt' ? r.b : 0))
        .slice(-2),
    ).toEqual([109, 400]);
  });

  it('a newest file left empty by a crash right after rotation is started again, chained to the one before', () => {
    const dir = fresh();
    const log = open(dir);
    fill(log, 50);
    log.close();
    const next = `audit-${String(files(dir).length + 1).padStart(6, '0')}.jsonl`;
    writeFileSync(join(dir, next), '');
    const again = open(dir);
    fill(again, 2);
    again.close();
    expect(read(dir).chain.ok).toBe(true);
  });
});
