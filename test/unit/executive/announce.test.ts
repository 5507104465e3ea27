/** What the robot says to the people around it (issue 18): from the profile's templates, following its statuses, rate-limited. */
import { describe, it, expect } from '@jest/globals';
import { Announcer, DEFAULT_EN, DEFAULT_JA, parseTemplates } from '../../../nodes/executive/announce';
import { paramsSchema } from '../../../nodes/executive/params';
import { K, ST } from '../../../nodes/executive/logic';
import type { StatusOut } from '../../../nodes/executive/outbox';
import { decision } from './helpers';

const templates = (l: string[]) => parseTemplates(l) as Map<string, string>;
const announcer = (over: Partial<ConstructorParameters<typeof Announcer>[0]> = {}) =>
  new Announcer({
    ja: templates([...DEFAULT_JA, 'task.remind_medication=お薬の時間です。']),
    en: templates([...DEFAULT_EN, 'task.remind_medication=Time for your medicine ({task}).']),
    minIntervalS: 5,
    personM: 1.2,
    personIntervalS: 20,
    ...over,
  });
const status = (id: string, kind: number, state: number, reasonCode = '', preemptedBy = ''): StatusOut => ({
  decisionId: id,
  kind,
  source: K.SOURCE_CLOUD,
  state,
  reasonCode,
  message: '',
  progress: 0,
  preemptedBy,
});

describe('announcements', () => {
  it('says what a decision will do before it moves, in both languages, with the target of a trip and the task by name', () => {
    const a = announcer();
    const go = decision(K.KIND_NAVIGATE_TO, {}, 4, 2);
    a.onDecision(go);
    expect(a.onStatus(status(go.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_ACCEPTED), 1)).toEqual({
      intent: 'navigate',
      urgency: 0,
      decisionId: go.decision_id,
      ja: '移動します。',
      en: 'Moving on.',
      target: { x: 4, y: 2, yaw: 0, frame: 'map' },
    });
    // said once per decision: its ACTIVE statuses say nothing more
    expect(a.onStatus(status(go.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_ACTIVE), 2)).toBeUndefined();
    const med = decision(K.KIND_TASK, { task_name: 'remind_medication' });
    a.onDecision(med);
    expect(a.onStatus(status(med.decision_id, K.KIND_TASK, ST.STATE_ACCEPTED), 10)).toMatchObject({
      intent: 'task.remind_medication',
      ja: 'お薬の時間です。',
      en: 'Time for your medicine (remind_medication).',
    });
    // a task without its own template: the generic one
    const other = decision(K.KIND_TASK, { task_name: 'accompany' });
    a.onDecision(other);
    expect(a.onStatus(status(other.decision_id, K.KIND_TASK, ST.STATE_ACCEPTED), 20)).toMatchObject({
      intent: 'task.accompany',
      en: 'Starting my task.',
    });
  });

  it('says a pause once, a refusal while paused, and the resume; a change of plan; not for a HOLD or a speed limit', () => {
    const a = announcer();
    const d = decision(K.KIND_NAVIGATE_TO);
    a.onDecision(d);
    a.onStatus(status(d.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_ACCEPTED), 0);
    expect(a.onStatus(status(d.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_ACTIVE, 'LOCAL_PAUSE'), 1)?.intent).toBe(
      'pause',
    );
    expect(a.onStatus(status(d.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_ACTIVE, 'LOCAL_PAUSE'), 2)).toBeUndefined();
    expect(a.onStatus(status('x', K.KIND_NAVIGATE_TO, ST.STATE_REJECTED, 'LOCAL_PAUSE'), 3)?.intent).toBe('refuse');
    // a second refusal within the interval is not said again
    expect(a.onStatus(status('y', K.KIND_NAVIGATE_TO, ST.STATE_REJECTED, 'LOCAL_PAUSE'), 4)).toBeUndefined();
    expect(a.onStatus(status(d.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_ACTIVE, 'LOCAL_RESUME'), 5)?.intent).toBe(
      'resume',
    );
    expect(
      a.onStatus(status(d.decision_id, K.KIND_NAVIGATE_TO, ST.STATE_PREEMPTED, 'PREEMPTED', 'n'), 9),
    ).toMatchObject({
      intent: 'change_plan',
      decisionId: 'n',
    });
    const hold = decision(K.KIND_HOLD);
    a.onDecision(hold);
    expect(a.onStatus(status(hold.decision_id, K.KIND_HOLD, ST.STATE_ACCEPTED), 20)).toBeUndefined();
  });

  it('tells a person close to a moving robot that it passes, at most once per interval, never while it stands', () => {
    const a = announcer();
    expect(a.onPerson(1.0, false, 0)).toBeUndefined();
    expect(a.onPerson(2.0, true, 0)).toBeUndefined();
    expect(a.onPerson(1.0, true, 1)).toMatchObject({ intent: 'passing_person', urgency: 2, en: 'Passing by you.' });
    expect(a.onPerson(0.8, true, 10)).toBeUndefined();
    expect(a.onPerson(0.8, true, 21.5)?.intent).toBe('passing_person');
    expect(announcer({ personM: 0 }).onPerson(0.1, true, 0)).toBeUndefined();
  });

  it('says nothing for an intent the profile left out, and refuses malformed templates with a reason', () => {
    const a = announcer({ ja: templates(['navigate=移動します。']), en: templates([]) });
    const d = decision(K.KIND_DOCK);
    a.onDecision(d);
    expect(a.onStatus(status(d.decision_id, K.KIND_DOCK, ST.STATE_ACCEPTED), 0)).toBeUndefined();
    expect(parseTemplates(['no equals sign'])).toMatch(/is not intent=text/);
    expect(parseTemplates(['Navigate=x'])).toMatch(/is not intent=text/);
    expect(parseTemplates(['pause='])).toMatch(/1 to 200 characters/);
    const bad = paramsSchema.safeParse({ profile: 'care', announce_en: ['pause'] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['announce_en']);
  });
});
