/**
 * One fleet run across three OS processes against mosquitto: `kizuna sim --planner-only` and two
 * `kizuna sim --shard K/2` parts (each its own process, as on separate machines), then
 * `kizuna sim report merge` of their part files: every robot of the scenario once, the planner's books
 * of every robot, tasks done, 0 events lost, one map. Then the merge's refusals (a part missing, given
 * twice, another scenario) and the flag checks.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../helpers/brokers';
import type { SimReport } from '../../sim/report/report';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const cli = join(root, 'nodes', 'cli', 'kizuna.ts');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-parts-'));
const skip = mosquittoSkipReason();
if (skip && process.env.CI === 'true') throw new Error(`sim-parts suite cannot run in CI: ${skip}`);
const d = skip ? describe.skip : describe;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(tsx, [cli, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const merge = (...args: string[]): Run => {
  const r = spawnSync(tsx, [cli, 'sim', 'report', 'merge', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

d('one fleet run as three processes (planner, two robot parts) against mosquitto', () => {
  let broker: MosquittoBroker;
  const part = (name: string): string => join(dir, `${name}.part.json`);
  beforeAll(async () => {
    broker = await startMosquitto({ persistent: false });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('planner part + shard 1/2 + shard 2/2, merged: every robot once, tasks done, 0 events lost, one map', async () => {
    const common = ['--broker', broker.url, '--duration', '45', '--speed', '1', '--quiet'];
    const keys = join(dir, 'keys.json');
    const planner = run(
      [...common, '--planner-only', '--keys-out', keys, '--report', join(dir, 'planner.json')],
      150_000,
    );
    // the parts start once the planner has written its keys file, and wait for the start it announces
    for (let i = 0; i < 300 && !existsSync(keys); i++) await new Promise((r) => setTimeout(r, 100));
    const parts = [1, 2].map((k) =>
      run([...common, '--shard', `${k}/2`, '--trusted-keys', keys, '--report', join(dir, `part${k}.json`)], 150_000),
    );
    const [p, a, b] = (await Promise.all([planner, ...parts])) as [Run, Run, Run];
    for (const r of [p, a, b]) expect([r.status, r.stderr.slice(-1500)]).toEqual([0, r.stderr.slice(-1500)]);
    expect(a.stdout).toMatch(/^part 1\/2: robots care1 delivery1 construction1;/m);
    expect(b.stdout).toMatch(/^part 2\/2: robots factory1 farm1;/m);
    expect(p.stdout).toMatch(/events from 5 of 5 robots/);

    const out = join(dir, 'merged.json');
    const m = merge(part('planner'), part('part1'), part('part2'), '--report', out);
    expect([m.status, m.stderr]).toEqual([0, '']);
    const rep = JSON.parse(readFileSync(out, 'utf8')) as SimReport;
    expect(rep.pass).toBe(true);
    expect(rep.perRobot.map((r) => r.robotId).sort()).toEqual(
      ['care1', 'construction1', 'delivery1', 'factory1', 'farm1'].sort(),
    );
    expect(rep.workers).toBe(2);
    expect(rep.metrics.tasksOk).toBeGreaterThanOrEqual(1);
    expect(rep.metrics.events.sent).toBeGreaterThan(50);
    expect(rep.metrics.events.lost).toBe(0);
    expect(rep.metrics.events.acknowledged).toBe(rep.metrics.events.sent);
    for (const r of rep.perRobot) expect([r.robotId, r.eventsLost, r.eventsReceived > 0]).toEqual([r.robotId, 0, true]);
    expect(rep.planner.decisionsSent).toBeGreaterThan(0);
    expect(rep.metrics.decisionRoundTripMs.count).toBeGreaterThan(0);
    // the map has every robot of both parts
    const svg = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      readFileSync(out.replace(/\.json$/, '.svg'), 'utf8'),
    ) as { svg: { g: Array<{ class?: string; 'data-robot'?: string }> } };
    expect(svg.svg.g.filter((g) => g.class === 'robot').map((g) => g['data-robot'])).toHaveLength(5);
  }, 200_000);

  it('the merge refuses a missing part, a part given twice, a second planner and a file that is not a part', () => {
    const missing = merge(part('planner'), part('part1'));
    expect(missing.status).toBe(1);
    expect(merge(part('planner')).stderr).toMatch(
      /KZ_ERR_CLI_USAGE: merge needs the planner's part file and every robot part's/,
    );
    expect(missing.stderr).toMatch(/KZ_ERR_SIM_PART: cannot merge: part\(s\) 2\/2 missing/);
    const twice = merge(part('planner'), part('part1'), part('part1'), part('part2'));
    expect(twice.stderr).toMatch(/KZ_ERR_SIM_PART: cannot merge: part 1\/2 given twice/);
    const planners = merge(part('planner'), part('planner'), part('part1'), part('part2'));
    expect(planners.stderr).toMatch(/KZ_ERR_SIM_PART: cannot merge: 2 planner parts/);
    const bogus = join(dir, 'bogus.part.json');
    writeFileSync(bogus, JSON.stringify({ format: 'something-else' }));
    const notPart = merge(part('planner'), bogus);
    expect(notPart.stderr).toMatch(/KZ_ERR_SIM_PART: .*bogus\.part\.json: not a kizuna sim part file/);
    // a part of another run of the scenario (another seed) is refused by name
    const other = JSON.parse(readFileSync(part('part2'), 'utf8')) as { facts: { scenario: { seed: number } } };
    other.facts.scenario.seed += 1;
    const otherFile = join(dir, 'other.part.json');
    writeFileSync(otherFile, JSON.stringify(other));
    expect(merge(part('planner'), part('part1'), otherFile).stderr).toMatch(/other\.part\.json ran fleet seed \d+/);
  }, 120_000);

  it('checks the flags of a part before it starts', () => {
    const sim = (...args: string[]): Run => {
      const r = spawnSync(tsx, [cli, 'sim', ...args], { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    expect(sim('--shard', '3/2').stderr).toMatch(/KZ_ERR_CLI_USAGE: --shard needs K\/N with 1 <= K <= N/);
    expect(sim('--shard', '1/2', '--trusted-keys', 'k.json').stderr).toMatch(/--shard 1\/2 needs --broker URL/);
    expect(sim('--shard', '1/2', '--broker', broker.url).stderr).toMatch(/--shard needs --trusted-keys FILE/);
    expect(sim('--planner-only', '--broker', broker.url, '--speed', '0').stderr).toMatch(
      /--planner-only needs --speed above 0/,
    );
    expect(sim('--planner-only', '--broker', broker.url).stderr).toMatch(/--planner-only needs --keys-out FILE/);
    expect(sim('--shard', '1/2', '--planner-only').stderr).toMatch(/--shard and --planner-only are two different/);
    // a part with nobody to announce the start says so and what to do
    const alone = sim(
      '--shard',
      '1/2',
      '--broker',
      broker.url,
      '--trusted-keys',
      join(dir, 'keys.json'),
      '--duration',
      '5',
      '--quiet',
      '--start-timeout',
      '3',
      '--report',
      join(dir, 'alone.json'),
    );
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(
      /KZ_ERR_SIM_PART: no planner announced the run on kizuna-sim\/sim\/run\/start within 3 s \(start `kizuna sim --planner-only`/,
    );
  }, 120_000);
});
