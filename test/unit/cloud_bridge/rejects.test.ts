import { describe, it, expect } from '@jest/globals';
import { RejectLimiter } from '../../../nodes/cloud_bridge/rejects';

describe('rejection reporting under a flood', () => {
  it('reports the first N per interval one by one, then one summary with counts by reason; totals keep everything', () => {
    const lim = new RejectLimiter(1000, 3);
    const admitted = [];
    for (let i = 0; i < 10_000; i++) admitted.push(lim.admit(i % 2 ? 'NOT_JSON' : 'BAD_SIGNATURE', 100 + (i % 500)));
    expect(admitted.filter(Boolean)).toHaveLength(3);
    expect(lim.flush(900)).toBeUndefined();
    const summary = lim.flush(1100);
    expect(summary).toEqual({ counts: { BAD_SIGNATURE: 4998, NOT_JSON: 4999 }, windowMs: 1000 });
    expect(lim.total).toBe(10_000);
    expect(lim.totals.get('NOT_JSON')).toBe(5000);
    expect(lim.admit('EXPIRED', 1200)).toBe(true);
    expect(lim.flush(5000)).toBeUndefined();
  });
});
