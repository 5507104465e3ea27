/**
 * The benchmark harness behind `npm run bench`. Each `bench/*.bench.ts` module exports
 * `benchmarks: Benchmark[]`; a benchmark measures one figure next to a baseline measured in the same
 * run, and states its target as a pass / miss check. No timing assertions live in unit tests.
 */

/** One measured figure. `value` is in `unit`; lower is better unless `higherIsBetter`. */
export interface Figure {
  /** Stable id, e.g. `graph.scan1080.publish_to_callback.p50`. */
  id: string;
  value: number;
  unit: string;
  /** What it is, one line. */
  description?: string;
  higherIsBetter?: boolean;
}

/** A figure with its baseline from the same run and, when there is one, its target. */
export interface BenchResult extends Figure {
  /** The baseline measured in the same run (absent for absolute targets such as a byte budget). */
  baseline?: Figure;
  /** value / baseline.value, when there is a baseline. */
  ratio?: number;
  /** Human-readable target, e.g. `ratio <= 3` or `<= 256 bytes`. */
  target?: string;
  /** Whether the target held; absent when the figure has no target. */
  pass?: boolean;
  /** Extra facts that explain the figure (sizes, counts, settings). */
  details?: Record<string, unknown>;
}

export interface Benchmark {
  /** Group id, e.g. `graph`, `bridge`, `safety_gate`, `fleet`. */
  name: string;
  /** Runs the measurement; may take seconds. Progress goes to stderr through `log`. */
  run(log: (line: string) => void): Promise<BenchResult[]>;
}

/** A result compared with its baseline as `value / baseline <= maxRatio`. */
export function ratioResult(
  figure: Figure,
  baseline: Figure,
  maxRatio: number,
  details?: Record<string, unknown>,
): BenchResult {
  const ratio = baseline.value === 0 ? Number.POSITIVE_INFINITY : figure.value / baseline.value;
  const pass = figure.higherIsBetter ? ratio >= maxRatio : ratio <= maxRatio;
  return {
    ...figure,
    baseline,
    ratio,
    target: `${figure.higherIsBetter ? 'ratio >=' : 'ratio <='} ${maxRatio}`,
    pass,
    ...(details ? { details } : {}),
  };
}

/** A result checked against an absolute limit: `value <= limit` (or `>=` when higher is better). */
export function limitResult(figure: Figure, limit: number, details?: Record<string, unknown>): BenchResult {
  const pass = figure.higherIsBetter ? figure.value >= limit : figure.value <= limit;
  return {
    ...figure,
    target: `${figure.higherIsBetter ? '>=' : '<='} ${limit} ${figure.unit}`,
    pass,
    ...(details ? { details } : {}),
  };
}

/** Percentile `p` (0..100) of `samples` (sorted in place), nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  samples.sort((a, b) => a - b);
  const rank = Math.min(samples.length - 1, Math.max(0, Math.ceil((p / 100) * samples.length) - 1));
  return samples[rank] as number;
}
