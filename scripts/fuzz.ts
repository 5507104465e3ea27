/**
 * `npm run fuzz [-- --runs N] [-- --seed S] [-- --json FILE] [-- --only decisions,scans]`: the long fuzz runs of
 * issue 20 (the jest tests run a short slice of each with a fixed seed). Prints, per target, the seed,
 * counts of every verdict, the invariants broken (0 expected) with fast-check's shrunk counterexample,
 * the time, and the heap after a forced GC sampled every tenth of the run (its slope says whether memory
 * grows with the number of inputs). Exit status 1 when an invariant broke.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DecisionPipeline, count, decisionCaseArb, emptyCounts } from '../test/fuzz/decision-pipeline';
import { GateFuzz, gateCaseArb } from '../test/fuzz/scan-gate';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Target {
  name: string;
  run(runs: number, seed: number): Record<string, unknown> & { broken: number };
}

/** [MB] heap used after a full GC. */
function heapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

/** Least-squares slope of heap [MB] over cases, per 100,000 cases. */
function slopePer100k(samples: Array<[number, number]>): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, s) => a + s[0], 0) / n;
  const my = samples.reduce((a, s) => a + s[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of samples) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den > 0 ? (num / den) * 100_000 : 0;
}

const decisions: Target = {
  name: 'decisions',
  run(runs, seed) {
    const pipe = new DecisionPipeline();
    const counts = emptyCounts();
    const heap: Array<[number, number]> = [];
    const every = Math.max(1, Math.floor(runs / 10));
    const t0 = performance.now();
    const r = fc.check(
      fc.property(decisionCaseArb, (c) => {
        const o = pipe.run(c);
        count(counts, c, o);
        if (counts.cases % every === 0) heap.push([counts.cases, heapMb()]);
        return o.broken.length === 0;
      }),
      { numRuns: runs, seed },
    );
    counts.maxReplayEntries = pipe.maxReplay;
    return {
      ...counts,
      seconds: (performance.now() - t0) / 1000,
      heapMb: heap.map(([n, mb]) => [n, Number(mb.toFixed(2))]),
      heapSlopeMbPer100k: Number(slopePer100k(heap.slice(1)).toFixed(3)),
      counterexample: r.failed ? JSON.stringify(r.counterexample) : null,
      counterexamplePath: r.failed ? r.counterexamplePath : null,
    };
  },
};

const scans: Target = {
  name: 'scans',
  run(runs, seed) {
    const fz = new GateFuzz();
    const heap: Array<[number, number]> = [];
    const every = Math.max(1, Math.floor(runs / 10));
    const t0 = performance.now();
    const r = fc.check(
      fc.property(gateCaseArb, (c) => {
        const broken = fz.run(c);
        if (fz.counts.cases % every === 0) heap.push([fz.counts.cases, heapMb()]);
        return broken.length === 0;
      }),
      { numRuns: runs, seed },
    );
    return {
      ...fz.counts,
      seconds: (performance.now() - t0) / 1000,
      heapMb: heap.map(([n, mb]) => [n, Number(mb.toFixed(2))]),
      heapSlopeMbPer100k: Number(slopePer100k(heap.slice(1)).toFixed(3)),
      counterexample: r.failed ? JSON.stringify(r.counterexample) : null,
      counterexamplePath: r.failed ? r.counterexamplePath : null,
    };
  },
};

const TARGETS: Target[] = [decisions, scans];

function main(): number {
  const argv = process.argv.slice(2);
  let runs = 100_000;
  let seed = Date.now() % 2 ** 31;
  let json: string | undefined;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--runs') runs = Number(v);
    else if (a === '--seed') seed = Number(v);
    else if (a === '--json') json = v;
    else if (a === '--only') only = v.split(',');
    else throw new Error(`unknown flag '${a}' (use --runs N, --seed S, --json FILE, --only NAME[,NAME])`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive integer, got ${runs}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed needs an integer, got ${seed}`);
  const results: Record<string, unknown> = {};
  let broken = 0;
  for (const t of TARGETS) {
    if (only && !only.includes(t.name)) continue;
    process.stderr.write(`fuzz ${t.name}: ${runs} cases, seed ${seed}\n`);
    const r = t.run(runs, seed);
    broken += r.broken;
    results[t.name] = { seed, runs, ...r };
  }
  const out = JSON.stringify({ node: process.version, at: new Date().toISOString(), results }, null, 2);
  process.stdout.write(`${out}\n`);
  if (json) writeFileSync(json, `${out}\n`);
  return broken > 0 ? 1 : 0;
}

process.exitCode = main();
