import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import { ShardPool, planShards } from '../../nodes/core/graph/inprocess/shards';

describe('sharding a simulation across worker threads', () => {
  it('puts each robot wholly in exactly one shard, balanced', () => {
    const robots = Array.from({ length: 7 }, (_, i) => `r${i}`);
    const plan = planShards(robots, 3);
    expect(plan.map((s) => s.length)).toEqual([3, 2, 2]);
    expect(plan.flat()).toEqual(robots);
    expect(() => planShards(robots, 0)).toThrow(expect.objectContaining({ code: 'KZ_ERR_PARAM_INVALID' }));
  });

  it('runs an independent in-process graph per worker thread, advanced in lockstep by the main thread', async () => {
    const plan = planShards(['r0', 'r1', 'r2', 'r3'], 2);
    const pool = ShardPool.start(
      join(__dirname, 'fixtures', 'shard-echo.ts'),
      plan.map((robots) => ({ robots })),
    );
    try {
      const nodes = (await pool.all('start')) as string[][];
      expect(nodes).toEqual([
        ['/r0/echo', '/r1/echo'],
        ['/r2/echo', '/r3/echo'],
      ]);
      let heard: Array<Record<string, number>> = [];
      for (let i = 0; i < 5; i++) heard = (await pool.all('advance', 0.1)) as Array<Record<string, number>>;
      // Five 100 ms steps: each robot's timer fired five times and its own subscription heard each ping.
      expect(heard).toEqual([
        { r0: 5, r1: 5 },
        { r2: 5, r3: 5 },
      ]);
      await pool.all('stop');
    } finally {
      await pool.close();
    }
  });
});
