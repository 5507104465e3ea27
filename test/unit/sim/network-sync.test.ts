import { describe, it, expect } from '@jest/globals';
import { NetworkSync, syncNetwork, type PlannerFlow, type RobotFlow } from '../../../sim/fleet/sync';

const robot = (over: Partial<RobotFlow> = {}): RobotFlow => ({
  id: 'r1',
  requests: 0,
  decisionsIn: 0,
  connected: true,
  linkUp: true,
  ...over,
});
const plannerOf = (p: PlannerFlow | undefined) => (): PlannerFlow | undefined => p;

describe('NetworkSync (the --speed 0 barrier between sim steps and MQTT)', () => {
  it('waits for a request the planner has not seen, a decision the bridge has not received, and a reconnect', () => {
    const s = new NetworkSync();
    expect(s.pending([robot()], plannerOf({ requests: 0, decisions: 0 }), true).size).toBe(0);
    expect(s.pending([robot({ requests: 2 })], plannerOf({ requests: 1, decisions: 0 }), true).get('r1')).toBe(
      'request',
    );
    expect(s.pending([robot({ decisionsIn: 1 })], plannerOf({ requests: 0, decisions: 2 }), true).get('r1')).toBe(
      'decision',
    );
    expect(s.pending([robot({ connected: false })], plannerOf(undefined), true).get('r1')).toBe('reconnect');
    // more received than the planner counted (a retained message, another publisher): nothing to wait for
    expect(s.pending([robot({ decisionsIn: 5 })], plannerOf({ requests: 0, decisions: 2 }), true).size).toBe(0);
  });

  it('waits for nothing while the link is cut or the broker is down', () => {
    const s = new NetworkSync();
    const late = { requests: 0, decisions: 3 };
    expect(s.pending([robot({ linkUp: false, connected: false })], plannerOf(late), true).size).toBe(0);
    expect(s.pending([robot({ connected: false })], plannerOf(late), false).size).toBe(0);
    expect(s.pending([robot()], plannerOf(late), false).size).toBe(0);
  });

  it('forgives what never arrives: the counts become the baseline, later messages are waited for again', () => {
    const s = new NetworkSync();
    const r = robot({ requests: 3 });
    const p = { requests: 1, decisions: 0 };
    const pending = s.pending([r], plannerOf(p), true);
    s.forgive([r], plannerOf(p), pending);
    expect(s.totals.forgiven).toBe(1);
    expect(s.pending([r], plannerOf(p), true).size).toBe(0);
    // one more request made and not yet seen: waited for again
    expect(s.pending([robot({ requests: 4 })], plannerOf(p), true).get('r1')).toBe('request');
  });

  it('forgives a reconnect until the robot has connected once more', () => {
    const s = new NetworkSync();
    const down = robot({ connected: false });
    s.forgive([down], plannerOf(undefined), s.pending([down], plannerOf(undefined), true));
    expect(s.pending([down], plannerOf(undefined), true).size).toBe(0);
    expect(s.pending([robot()], plannerOf(undefined), true).size).toBe(0);
    expect(s.pending([down], plannerOf(undefined), true).get('r1')).toBe('reconnect');
  });

  it('gives a reconnect longer than a message', () => {
    const s = new NetworkSync({ messageWaitMs: 10, reconnectWaitMs: 99 });
    expect(s.limitMs(new Map([['a', 'decision' as const]]))).toBe(10);
    expect(
      s.limitMs(
        new Map([
          ['a', 'decision' as const],
          ['b', 'reconnect' as const],
        ]),
      ),
    ).toBe(99);
  });

  it('syncNetwork returns once the message lands, and gives up after the bounded wait', async () => {
    const s = new NetworkSync({ messageWaitMs: 50, reconnectWaitMs: 50 });
    let polls = 0;
    const p = { requests: 0, decisions: 1 };
    // the decision arrives at the third poll
    await syncNetwork(
      s,
      async () => [robot({ decisionsIn: ++polls >= 3 ? 1 : 0 })],
      plannerOf(p),
      () => true,
    );
    expect(polls).toBe(3);
    expect(s.totals.waits).toBe(1);
    expect(s.totals.forgiven).toBe(0);
    // never arrives: the wait ends at its bound (fake clock) and it is forgiven
    let clock = 0;
    await syncNetwork(
      s,
      async () => [robot({ decisionsIn: 1 })],
      plannerOf({ requests: 0, decisions: 2 }),
      () => true,
      () => (clock += 10),
    );
    expect(s.totals.forgiven).toBe(1);
    expect(s.totals.waits).toBe(2);
    // nothing in flight: no wait recorded
    await syncNetwork(
      s,
      async () => [robot({ decisionsIn: 2 })],
      plannerOf({ requests: 0, decisions: 2 }),
      () => true,
    );
    expect(s.totals.waits).toBe(2);
  });
});
