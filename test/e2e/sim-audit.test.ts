/**
 * Data sovereignty end to end: a sim run (the real nodes, the real bridge, aedes, the reference planner)
 * keeps the robot's audit log; `kizuna audit` on it accounts for every byte the robot's link proxy
 * carried, each way, and for every byte the bridge's own counters saw; a record changed afterwards makes
 * it exit 1 naming that record.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kizuna = (args: string[]) =>
  spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'nodes', 'cli', 'kizuna.ts'), ...args], {
    encoding: 'utf8',
    timeout: 90_000,
  });

interface AuditJson {
  chain: { ok: boolean; records: number };
  summary: {
    total: { out: { bytes: number; messages: number }; in: { bytes: number } };
    rows: Array<{ key: string; out: { messages: number } }>;
    sessions: { closed: number; counters: { out: number; in: number }; unaccounted: { out: number; in: number } };
    removed: Array<{ category: string; field: string; messages: number }>;
  };
}

describe('kizuna sim --audit and kizuna audit: every byte that left the robot, counted', () => {
  it("the audit totals equal the link proxy's bytes each way and the bridge's counters: 0 bytes unaccounted for", () => {
    const audit = join(dir, 'audit');
    const sim = kizuna([
      'sim',
      '--scenario',
      'care',
      '--speed',
      '10',
      '--quiet',
      '--audit',
      audit,
      '--report',
      join(dir, 'care.json'),
    ]);
    expect(sim.stdout).toMatch(/result: PASS/);
    expect(sim.stdout).toMatch(/audit care1: chain intact; .*: 0 bytes unaccounted for/);
    expect(sim.status).toBe(0);
    const proxy = (
      JSON.parse(readFileSync(join(audit, 'link-bytes.json'), 'utf8')) as {
        robots: Array<{ robotId: string; bytesUp: number; bytesDown: number }>;
      }
    ).robots.find((r) => r.robotId === 'care1')!;

    const r = kizuna(['audit', '--dir', join(audit, 'care1'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as AuditJson;
    expect(j.chain.ok).toBe(true);
    const s = j.summary;
    // Something real went over the link: state, events, requests, decisions and acks.
    expect(proxy.bytesUp).toBeGreaterThan(10_000);
    for (const c of ['state', 'events', 'decision_request', 'status'])
      expect(s.rows.find((x) => x.key === c)?.out.messages).toBeGreaterThan(0);
    expect(s.total.out.bytes).toBe(proxy.bytesUp);
    expect(s.total.in.bytes).toBe(proxy.bytesDown);
    expect(s.sessions.closed).toBeGreaterThanOrEqual(1);
    expect(s.sessions.counters).toEqual({ out: proxy.bytesUp, in: proxy.bytesDown });
    expect(s.sessions.unaccounted).toEqual({ out: 0, in: 0 });
    // The care profile withholds free text; the audit says how often it did.
    expect(s.removed.some((x) => x.field === 'message' || x.field === 'detail')).toBe(true);

    // The text report says the same in words.
    const text = kizuna(['audit', '--dir', join(audit, 'care1')]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/hash chain intact/);
    expect(text.stdout).toMatch(/0 bytes unaccounted for/);

    // Someone edits the log afterwards: a state message made to look smaller.
    const file = join(audit, 'care1', 'audit-000001.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"c":"state"'));
    lines[at] = lines[at]!.replace(/"b":(\d+)/, '"b":1');
    writeFileSync(file, lines.join('\n'));
    const bad = kizuna(['audit', '--dir', join(audit, 'care1')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      new RegExp(
        `KZ_ERR_AUDIT_CHAIN: .*audit-000001.jsonl line ${at + 1} \\(record #${at + 1}\\): its hash does not match`,
      ),
    );
    expect(bad.stdout).toMatch(/HASH CHAIN BROKEN/);
  }, 120_000);

  it('refuses a bad --audit and bad audit flags with exit 2', () => {
    writeFileSync(join(dir, 'afile'), 'x');
    const a = kizuna(['sim', '--audit', join(dir, 'afile')]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--audit needs a directory, got the file/);
    const b = kizuna(['audit', '--by', 'week']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--by must be category, topic or hour, got 'week'/);
  }, 60_000);
});
