/**
 * A seconds-long slice of `npm run chaos -- --only soak` (scripts/chaos/soak.ts): five full robot stacks
 * (embedded broker, reference planner) for two simulated minutes, sampled while they run. Over so short a
 * run the memory slopes say nothing (the hour-long figure is in docs/reliability.md); the slice holds the
 * descriptors and handles flat after warm-up, loses no event, and checks the slope arithmetic itself.
 */
import { describe, it, expect } from '@jest/globals';
import { slope, soak } from '../../../scripts/chaos/soak';

describe('chaos slice: soak of a small fleet', () => {
  it('least-squares slope', () => {
    expect(slope([0, 1, 2, 3], [5, 7, 9, 11])).toBeCloseTo(2, 12);
    expect(slope([0, 1, 2], [4, 4, 4])).toBe(0);
    expect(slope([1], [3])).toBe(0);
  });

  it('five robots for 120 simulated s: descriptors and handles flat after warm-up, no event lost', async () => {
    const r = await soak({ robots: 5, simHours: 120 / 3600, seed: 7, heapSlopeBoundMB: 32, gcEverySamples: 5 });
    const checks = r.checks as Record<string, { value: number; pass: boolean }>;
    expect([checks.fdGrowth, checks.handleGrowth, checks.eventsLost].map((c) => c!.pass)).toEqual([true, true, true]);
    expect(Number.isFinite(r.rssSlopeMBPerSimHour as number)).toBe(true);
    expect((r.heapAfterGcMB as unknown[]).length).toBeGreaterThan(0);
    expect((r.runRecords as { tasksOk: number }).tasksOk).toBeGreaterThan(0);
  }, 180_000);
});
