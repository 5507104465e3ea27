/**
 * `npm run bench [-- --json FILE] [-- --only NAME]`: runs every `bench/*.bench.ts`, prints a table
 * (figure, baseline, ratio, target, pass/miss) and optionally writes JSON with the machine facts.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './harness';

function parseArgs(argv: string[]): { json?: string; only?: string[] } {
  const out: { json?: string; only?: string[] } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') out.json = next();
    else if (a === '--only') out.only = next().split(',');
    else throw new Error(`unknown flag '${a}' (use --json FILE, --only NAME[,NAME])`);
  }
  return out;
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    return 2;
  }
  // The load when the run starts and ends: other processes on a shared machine move every figure.
  const loadBefore = loadavg();
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const all: Array<BenchResult & { group: string }> = [];
  for (const file of files) {
    const mod = (await import(join(__dirname, file))) as { benchmarks?: Benchmark[] };
    for (const b of mod.benchmarks ?? []) {
      if (args.only && !args.only.includes(b.name)) continue;
      console.error(`== ${b.name} (${file})`);
      const results = await b.run((line) => console.error(`   ${line}`));
      for (const r of results) all.push({ group: b.name, ...r });
    }
  }
  const rows = all.map((r) => [
    r.id,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ? `${fmt(r.baseline.value)} ${r.baseline.unit} (${r.baseline.id})` : '-',
    fmt(r.ratio),
    r.target ?? '-',
    r.pass === undefined ? '-' : r.pass ? 'pass' : 'MISS',
  ]);
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  const misses = all.filter((r) => r.pass === false).length;
  const targets = all.filter((r) => r.pass !== undefined).length;
  const loadAfter = loadavg();
  console.log(`\n${targets - misses}/${targets} targets met`);
  console.log(
    `load average (1 min) ${loadBefore[0]!.toFixed(2)} at start, ${loadAfter[0]!.toFixed(2)} at end, on ${cpus().length} cores`,
  );
  if (args.json) {
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memBytes: totalmem(),
      node: process.version,
      loadAverage1mStart: loadBefore[0],
      loadAverage1mEnd: loadAfter[0],
    };
    writeFileSync(args.json, `${JSON.stringify({ date: new Date().toISOString(), machine, results: all }, null, 2)}\n`);
    console.error(`wrote ${args.json}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
