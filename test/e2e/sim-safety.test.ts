/**
 * The adversarial safety library (sim/scenarios/safety/): every scenario through the real nodes, the
 * embedded broker and the `kizuna sim` command, at full speed (--speed 0), with three seeds each.
 * Every run must have 0 robot-caused contacts (sim/contacts.ts) and meet its own pass criteria
 * (tasks done where a path exists, standing still after an e-stop reset, ...). Runs go two at a
 * time in child processes (the CI machine has 2 cores).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimReport } from '../../sim/report/report';

const root = join(__dirname, '..', '..');
const lib = join(root, 'sim', 'scenarios', 'safety');
const files = readdirSync(lib)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const SEEDS = [1, 2, 3];
const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-safety-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  file: string;
  seed: number;
  report?: SimReport;
  error?: string;
}
const runs: Run[] = files.flatMap((file) => SEEDS.map((seed) => ({ file, seed })));

function runOne(r: Run): Promise<void> {
  const out = join(dir, `${r.file.replace(/\.yaml$/, '')}-${r.seed}.json`);
  const args = [join(root, 'nodes', 'cli', 'kizuna.ts'), 'sim', '--scenario', join(lib, r.file)];
  args.push('--seed', String(r.seed), '--speed', '0', '--quiet', '--report', out);
  return new Promise((resolve) => {
    const p = spawn(join(root, 'node_modules', '.bin', 'tsx'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGTERM'), 90_000);
    p.on('close', () => {
      clearTimeout(timer);
      try {
        r.report = JSON.parse(readFileSync(out, 'utf8')) as SimReport;
      } catch {
        r.error = err.slice(-2000) || 'no report';
      }
      resolve();
    });
  });
}

beforeAll(async () => {
  const queue = [...runs];
  const workers = Math.max(1, Math.min(2, availableParallelism()));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) await runOne(r);
    }),
  );
}, 290_000);

/** What went wrong in a run, in a line a reader can act on. */
function failures(r: Run): string[] {
  if (!r.report) return [`seed ${r.seed}: no report: ${r.error}`];
  const m = r.report.metrics;
  const out = r.report.criteria
    .filter((c) => !c.pass)
    .map((c) => `seed ${r.seed}: ${c.criterion} ${c.actual} (expected ${c.expected})`);
  // what each robot's decisions came to and how far it got, to tell a slow run from a stuck one
  if (out.length > 0)
    for (const p of r.report.perRobot)
      out.push(`seed ${r.seed}: ${p.robotId} ${p.distanceM.toFixed(1)} m, ended ${JSON.stringify(p.ended)}`);
  for (const c of r.report.collisions.filter((x) => x.robotCaused)) {
    out.push(
      `seed ${r.seed}: ${c.robotId} hit ${c.with.kind} ${c.with.id} at t=${c.t.toFixed(2)} s, ` +
        `(${c.pose.x.toFixed(2)}, ${c.pose.y.toFixed(2)}), ${c.robotSpeedMps.toFixed(2)} m/s, turn ${c.robotTurnRadps.toFixed(2)} rad/s`,
    );
  }
  if (m.robotCausedContacts > 0 && !r.report.criteria.some((c) => c.criterion === 'robot_caused_contacts_max'))
    out.push(`seed ${r.seed}: ${m.robotCausedContacts} robot-caused contacts`);
  return out;
}

/**
 * Scenarios whose pass criteria the robots do not meet yet, and why (kept visible, not hidden):
 * 'tasks' = no robot-caused contact, but tasks not finished (the gate's caps or the executive's back-off
 * leave the robot crawling or deadlocked); 'timing' = a criterion that wall-clock timers make unreliable at
 * --speed 0; 'contact' = a robot-caused contact remains.
 */
// Empty now: farm-crossing-90 and front-lidar-turnaround left it when they met every criterion in every
// seed of repeated library runs (issue 22's closing note). A scenario added here stays visible in the run.
const OPEN: Record<string, 'tasks' | 'contact' | 'timing'> = {};

describe('adversarial safety scenarios (sim/scenarios/safety/, three seeds each)', () => {
  it('the library is there: at least one scenario per class of issue 22', () => {
    for (const name of [
      'farm-stake',
      'farm-pole-appears',
      'farm-crossing-90',
      'corridor-head-on',
      'care-blind-doorways',
      'care-child-from-behind',
      'care-boxed-in',
      'front-lidar-turnaround',
      'estop-reset-no-restart',
      'blocked-lidar-sector',
      'scan-corruption',
      'people-detector-failure',
      'stop-during-link-down',
    ])
      expect(files).toContain(`${name}.yaml`);
  });

  it.each(files.filter((f) => !(f.replace(/\.yaml$/, '') in OPEN)))(
    '%s: 0 robot-caused contacts and every pass criterion, in every seed',
    (file) => {
      const mine = runs.filter((r) => r.file === file);
      expect(mine.flatMap(failures)).toEqual([]);
      for (const r of mine) {
        expect(r.report!.metrics.robotCausedContacts).toBe(0);
        expect(r.report!.criteria.length).toBeGreaterThan(0);
        expect(r.report!.pass).toBe(true);
      }
    },
  );

  // Open (issue 22's closing note): on these the gate keeps the robots from causing contacts, but they
  // do not finish their tasks (deadlock or crawl), so only the contact count is held here.
  const open = files.filter((f) => f.replace(/\.yaml$/, '') in OPEN && OPEN[f.replace(/\.yaml$/, '')] !== 'contact');
  if (open.length > 0) {
    it.each(open)('%s: 0 robot-caused contacts in every seed (its other criteria are open: see OPEN)', (file) => {
      const mine = runs.filter((r) => r.file === file);
      expect(mine.length).toBe(3);
      for (const r of mine) expect(r.report!.metrics.robotCausedContacts).toBe(0);
    });
  }
});
