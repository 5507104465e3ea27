/**
 * `kizuna sim`'s progress line names what each number counts, so "decisions 20 accepted 0 rejected" can no
 * longer be read as three figures.
 */
import { progressLine } from '../../../nodes/cli/sim';
import type { FleetProgress } from '../../../sim/fleet/run';

const base: FleetProgress = {
  t: 12.5,
  durationS: 60,
  wallS: 3.2,
  brokerUp: true,
  injected: 0,
  roundTrips: 7,
  tasksOk: 3,
  tasksFailed: 1,
  accepted: 20,
  rejected: 2,
  stops: 4,
  linksUp: 5,
  robots: 5,
  collisions: 0,
  linkError: '',
  said: [],
};

describe('kizuna sim progress line', () => {
  it('puts every count next to its label, separated by · ', () => {
    expect(progressLine(base)).toBe(
      'sim 12.5/60 s (wall 3 s) · robots 5 · tasks: 3 done, 1 failed · decisions: 20 accepted, 2 rejected · ' +
        'safety stops 4 · collisions 0 · links up 5/5',
    );
  });

  it('says when links are down and why, and when the broker is down', () => {
    const line = progressLine({
      ...base,
      linksUp: 3,
      brokerUp: false,
      linkError: 'CONNACK refused 0x86 bad user name or password',
    });
    expect(line).toMatch(/ · links up 3\/5 \(last link error: .*0x86.*\) · BROKER DOWN$/);
  });
});
