/**
 * The robot says what it is about to do (issue 18): announcements for the people around it, in
 * Japanese and English, from templates in the profile's parameters (a robot maker changes the wording
 * without code), never from text the cloud sends. They follow the executive's own statuses: a decision
 * that will move the robot starts, a plan changes, a person pauses it or it refuses to move, a person
 * resumes it; and a person comes close while it moves. Rate-limited so it does not nag. Pure: time in
 * [s] is passed in.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { DecisionIn, StatusOut } from './outbox';

const D = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const S = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const KIND = { NAVIGATE_TO: D.KIND_NAVIGATE_TO, DOCK: D.KIND_DOCK, TASK: D.KIND_TASK } as const;
const STATE = {
  ACCEPTED: S.STATE_ACCEPTED,
  REJECTED: S.STATE_REJECTED,
  ACTIVE: S.STATE_ACTIVE,
  PREEMPTED: S.STATE_PREEMPTED,
} as const;

const A = MESSAGE_CONSTANTS['kizuna_msgs/msg/Announcement'];
/** Urgency (kizuna_msgs/Announcement URGENCY_*). */
export const URGENCY = { INFO: A.URGENCY_INFO, NOTICE: A.URGENCY_NOTICE, WARNING: A.URGENCY_WARNING } as const;

/** Machine-readable intents; a task's own is `task.<task name>` (falling back to `task`). */
export const INTENTS = [
  'navigate',
  'dock',
  'task',
  'change_plan',
  'pause',
  'resume',
  'refuse',
  'passing_person',
] as const;

export interface AnnounceConfig {
  /** intent → text, per language. */
  ja: ReadonlyMap<string, string>;
  en: ReadonlyMap<string, string>;
  /** [s] the same intent is not said again within this. */
  minIntervalS: number;
  /** [m] a person this close while the robot moves is told it passes. */
  personM: number;
  /** [s] at most one "passing you" per this long. */
  personIntervalS: number;
}

export interface AnnouncementOut {
  intent: string;
  urgency: number;
  decisionId: string;
  ja: string;
  en: string;
  /** [m, rad] where it is going, in the decision's frame, when it goes somewhere. */
  target?: { x: number; y: number; yaw: number; frame: string };
}

/**
 * `intent=text` entries into a map; returns the map, or why an entry is malformed. Text stays as
 * written except that `{task}` is replaced by the task's name when said.
 */
export function parseTemplates(entries: readonly string[]): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const e of entries) {
    const i = e.indexOf('=');
    const intent = i > 0 ? e.slice(0, i).trim() : '';
    if (!/^[a-z_]+(\.[a-z_]+)?$/.test(intent))
      return `'${e.slice(0, 40)}' is not intent=text (intent: lower case, _ and one '.')`;
    const text = e.slice(i + 1).trim();
    if (text.length === 0 || text.length > 200) return `the text for '${intent}' must be 1 to 200 characters`;
    out.set(intent, text);
  }
  return out;
}

/** Built-in wording (every profile file may override any of it). */
export const DEFAULT_JA = [
  'navigate=移動します。',
  'dock=充電に戻ります。',
  'task=作業を始めます。',
  'change_plan=予定が変わりました。',
  'pause=止まりました。再開はこのボタンで。',
  'resume=再開します。',
  'refuse=止まっています。この場にいる方の指示を待っています。',
  'passing_person=そばを通ります。',
];
export const DEFAULT_EN = [
  'navigate=Moving on.',
  'dock=Going back to charge.',
  'task=Starting my task.',
  'change_plan=My plan has changed.',
  'pause=I have stopped. Press the button again to resume.',
  'resume=Resuming.',
  'refuse=I am paused and waiting for the person here.',
  'passing_person=Passing by you.',
];

export class Announcer {
  private readonly tasks = new Map<string, { task: string; target?: AnnouncementOut['target'] }>();
  private readonly lastSaid = new Map<string, number>();
  private lastPerson = Number.NEGATIVE_INFINITY;
  private announced = new Set<string>();
  /** The decision a pause was said for (said once per pause, not at every status). */
  private pausedFor: string | undefined;

  constructor(private readonly c: AnnounceConfig) {}

  /** A decision the executive received: its task and target, for what is said when it starts. */
  onDecision(d: DecisionIn): void {
    const moving = d.kind === KIND.NAVIGATE_TO || d.kind === KIND.DOCK || d.kind === KIND.TASK;
    if (!moving) return;
    const p = d.target.pose;
    const yaw = Math.atan2(2 * (p.orientation.w * p.orientation.z), 1 - 2 * p.orientation.z * p.orientation.z);
    const target =
      d.kind !== KIND.TASK && Number.isFinite(p.position.x) && Number.isFinite(p.position.y)
        ? { x: p.position.x, y: p.position.y, yaw, frame: d.target.header.frame_id }
        : undefined;
    this.tasks.set(d.decision_id, { task: d.task_name, ...(target ? { target } : {}) });
    if (this.tasks.size > 64) this.tasks.delete(this.tasks.keys().next().value!);
  }

  private say(
    intent: string,
    urgency: number,
    decisionId: string,
    now: number,
    task = '',
  ): AnnouncementOut | undefined {
    const base = intent.startsWith('task.') ? 'task' : intent;
    const ja = this.c.ja.get(intent) ?? this.c.ja.get(base);
    const en = this.c.en.get(intent) ?? this.c.en.get(base);
    if (ja === undefined && en === undefined) return undefined;
    const last = this.lastSaid.get(base) ?? Number.NEGATIVE_INFINITY;
    const answersAPerson = base === 'pause' || base === 'resume';
    if (!answersAPerson && now - last < this.c.minIntervalS) return undefined;
    this.lastSaid.set(base, now);
    const fill = (t: string | undefined): string => (t ?? '').replaceAll('{task}', task);
    const out: AnnouncementOut = { intent, urgency, decisionId, ja: fill(ja), en: fill(en) };
    const target = this.tasks.get(decisionId)?.target;
    if (target && (base === 'navigate' || base === 'dock')) out.target = target;
    return out;
  }

  /** One status the executive published at `now`: what to say about it, if anything. */
  onStatus(s: StatusOut, now: number): AnnouncementOut | undefined {
    const known = this.tasks.get(s.decisionId);
    if (s.state === STATE.ACCEPTED && known && !this.announced.has(s.decisionId)) {
      this.announced.add(s.decisionId);
      if (this.announced.size > 64) this.announced.delete(this.announced.values().next().value!);
      if (s.kind === KIND.TASK) return this.say(`task.${known.task}`, URGENCY.INFO, s.decisionId, now, known.task);
      return this.say(s.kind === KIND.DOCK ? 'dock' : 'navigate', URGENCY.INFO, s.decisionId, now);
    }
    if (s.state === STATE.PREEMPTED) return this.say('change_plan', URGENCY.NOTICE, s.preemptedBy, now);
    if (s.state === STATE.ACTIVE && s.reasonCode === 'LOCAL_PAUSE') {
      if (this.pausedFor === s.decisionId) return undefined;
      this.pausedFor = s.decisionId;
      return this.say('pause', URGENCY.NOTICE, s.decisionId, now);
    }
    if (s.state === STATE.ACTIVE && s.reasonCode === 'LOCAL_RESUME') {
      this.pausedFor = undefined;
      return this.say('resume', URGENCY.INFO, s.decisionId, now);
    }
    if (s.state === STATE.REJECTED && s.reasonCode === 'LOCAL_PAUSE')
      return this.say('refuse', URGENCY.NOTICE, s.decisionId, now);
    return undefined;
  }

  /** A person at `distance` [m] (none: undefined) while the robot moves (`moving`) at `now`. */
  onPerson(distance: number | undefined, moving: boolean, now: number): AnnouncementOut | undefined {
    if (!moving || distance === undefined || !(distance <= this.c.personM)) return undefined;
    if (now - this.lastPerson < this.c.personIntervalS) return undefined;
    const out = this.say('passing_person', URGENCY.WARNING, '', now);
    if (out) this.lastPerson = now;
    return out;
  }
}
