/**
 * `kizuna blackbox list | get | export` as a technician runs it (the CLI in its own process) on a
 * folder a real black_box node wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { startBlackBox } from '../../nodes/black_box/node';
import { listIncidentFiles } from '../../nodes/black_box/store';

const root = join(__dirname, '..', '..');
const cli = join(root, 'nodes', 'cli', 'kizuna.ts');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-bb-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kizuna(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  const g = new InProcessGraph({ clock: 'manual' });
  const bb = startBlackBox(
    g.createNode('black_box', {
      namespace: '/care3',
      parameterOverrides: { profile: 'care', dir, pre_s: 1, post_s: 0.5 },
    }),
  );
  const drv = g.createNode('driver', { namespace: '/care3' });
  const bumper = drv.createPublisher('std_msgs/msg/Bool', 'bumper');
  const estop = drv.createPublisher('std_msgs/msg/Bool', 'estop');
  for (let i = 0; i < 20; i++) {
    estop.publish({ data: false });
    await g.advance(0.05);
  }
  bumper.publish({ data: true });
  for (let i = 0; i < 20; i++) {
    estop.publish({ data: false });
    await g.advance(0.05);
  }
  await bb.flush();
  await g.shutdown();
  expect(listIncidentFiles(dir)).toHaveLength(1);
}, 30_000);

describe('kizuna blackbox', () => {
  it('lists the incident files', () => {
    const r = kizuna('blackbox', 'list', '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`1 incident file(s) in ${dir}`);
    expect(r.out).toMatch(/^000001-collision {2}collision {2}t 0\.\d+ to 1\.\d+ s {2}\d+ messages {2}\d+ bytes$/m);
    const j = JSON.parse(kizuna('blackbox', 'list', '--dir', dir, '--json').out) as {
      incidents: Array<{ id: string; metadata: Record<string, string> }>;
    };
    expect(j.incidents.map((i) => [i.id, i.metadata.profile, i.metadata.namespace])).toEqual([
      ['000001-collision', 'care', '/care3'],
    ]);
  }, 30_000);

  it('shows one by number or id: incidents and messages per topic', () => {
    const r = kizuna('blackbox', 'get', '1', '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('robot /care3, profile care');
    expect(r.out).toMatch(/collision: contact reported/);
    expect(r.out).toMatch(/\/care3\/estop +\d+ {2}std_msgs\/msg\/Bool/);
    expect(kizuna('blackbox', 'get', '000001-collision', '--dir', dir).out).toBe(r.out);
  }, 30_000);

  it('exports a copy, byte for byte', () => {
    const out = join(dir, 'take-away', 'incident.mcap');
    const r = kizuna('blackbox', 'export', '1', '--out', out, '--dir', dir);
    expect(r.code).toBe(1); // the folder does not exist: nothing is written
    expect(r.err).toContain('KZ_ERR_MCAP_WRITE');
    const out2 = join(dir, 'incident.mcap');
    expect(kizuna('blackbox', 'export', '1', '--out', out2, '--dir', dir).code).toBe(0);
    expect(readFileSync(out2).equals(readFileSync(listIncidentFiles(dir)[0]!.path))).toBe(true);
    expect(existsSync(`${out2}.partial`)).toBe(false);
  }, 30_000);

  it('says what is wrong with the command line, and names an unknown id', () => {
    const bad = kizuna('blackbox', 'show', '--dir', dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("blackbox needs list, get or export, got 'show'");
    expect(kizuna('blackbox', 'export', '1', '--dir', dir).err).toContain('export needs --out <file>');
    const none = kizuna('blackbox', 'get', '7', '--dir', dir);
    expect(none.code).toBe(2);
    expect(none.err).toContain("KZ_ERR_BLACKBOX_NOT_FOUND: no incident '7'");
  }, 30_000);
});
