/**
 * The in-process timer queue against a naive model: random timers created, reset and cancelled on a
 * manual clock advanced in random steps must fire exactly as a plain scan over every timer says, in
 * due-time order (ties in creation order).
 */
import { describe, it, expect } from '@jest/globals';
import { InProcessGraph } from '../../../nodes/core/graph/inprocess/graph';
import type { Timer } from '../../../nodes/core/graph/types';

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelTimer {
  id: number;
  periodNs: bigint;
  nextNs: bigint;
  canceled: boolean;
}

/** The fires one advance to `now` makes, by scanning every timer (what the heap must reproduce). */
function modelAdvance(timers: ModelTimer[], now: bigint): string[] {
  const fires: Array<{ at: bigint; id: number }> = [];
  for (const t of timers) {
    if (t.canceled) continue;
    for (let i = 0; i < 2 && t.nextNs <= now; i++) {
      fires.push({ at: t.nextNs, id: t.id });
      let next = t.nextNs + t.periodNs;
      if (next < now) next += (1n + (now - next - 1n) / t.periodNs) * t.periodNs;
      t.nextNs = next;
    }
  }
  return fires.map((f) => `${f.id}@${f.at}`);
}

describe('in-process timer queue', () => {
  it.each([1, 2, 3, 4, 5])(
    'fires like the naive model under random create/reset/cancel/advance (seed %i)',
    async (seed) => {
      const rand = rng(seed);
      const graph = new InProcessGraph({ clock: 'manual' });
      const node = graph.createNode(`timers_${seed}`);
      const model: ModelTimer[] = [];
      const real: Timer[] = [];
      let fired: string[] = [];
      let now = 0n;
      for (let step = 0; step < 200; step++) {
        const op = rand();
        if (op < 0.15 || model.length === 0) {
          const id = model.length;
          const periodNs = BigInt(1 + Math.floor(rand() * 50)) * 1_000_000n;
          model.push({ id, periodNs, nextNs: now + periodNs, canceled: false });
          real.push(node.createTimer(Number(periodNs) / 1e9, (info) => fired.push(`${id}@${info.expectedCallNs}`)));
        } else if (op < 0.25) {
          const i = Math.floor(rand() * model.length);
          model[i]!.nextNs = now + model[i]!.periodNs;
          model[i]!.canceled = false;
          real[i]!.reset();
        } else if (op < 0.3) {
          const i = Math.floor(rand() * model.length);
          model[i]!.canceled = true;
          real[i]!.cancel();
        } else {
          const dtNs = BigInt(Math.floor(rand() * 120)) * 1_000_000n;
          now += dtNs;
          const expected = modelAdvance(model, now);
          fired = [];
          await graph.advance(Number(dtNs) / 1e9);
          expect([...fired].sort()).toEqual([...expected].sort());
          // Order: never a fire due later before one due earlier (a timer's second fire in one pass is
          // due at `now`, the latest time of the pass, so it comes last).
          const due = fired.map((f) => BigInt(f.split('@')[1]!));
          for (let i = 1; i < due.length; i++) expect(due[i]! >= due[i - 1]!).toBe(true);
        }
      }
      await graph.shutdown();
    },
  );
});
