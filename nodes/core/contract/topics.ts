/**
 * The MQTT topic tree of the contract. Root configurable, default `kizuna/v1`; per robot
 * `{root}/{fleet}/{robotId}/...`, fleet-wide `{root}/{fleet}/broadcast/decision`.
 */
import { z } from 'zod';

/** Default topic root. */
export const DEFAULT_TOPIC_ROOT = 'kizuna/v1';

/** A fleet or robot id: one MQTT topic level of letters, digits, `_` and `-`, 1..64 characters. */
export const topicLevelSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-" only, 1 to 64 characters')
  .refine((s) => s !== 'broadcast', '"broadcast" is reserved for the fleet-wide topic');

/** A topic root: one or more levels separated by `/`, no wildcards, no leading or trailing `/`. */
export const topicRootSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'levels of letters, digits, ".", "_", "-" separated by "/"');

/** Names of the contract's topics. */
export type TopicName =
  'status' | 'state' | 'events' | 'eventsAck' | 'decisionRequest' | 'decision' | 'broadcastDecision';

/**
 * Direction, QoS and retain flag of every topic: what docs/contract.md and the AsyncAPI document say.
 * `clearedAtConnect`: the robot publishes a zero-length retained message there at every connect, before
 * its birth, so that a retained message someone else left on its non-retained topics (a thief with
 * its credential) does not stand; consumers ignore zero-length messages there.
 */
export const TOPIC_SPECS: Readonly<
  Record<
    TopicName,
    {
      pattern: string;
      direction: 'robot→cloud' | 'cloud→robot';
      qos: 0 | 1;
      retain: boolean;
      payload: string;
      clearedAtConnect?: true;
    }
  >
> = {
  status: {
    pattern: '{root}/{fleet}/{robotId}/status',
    direction: 'robot→cloud',
    qos: 1,
    retain: true,
    payload: 'status',
  },
  state: {
    pattern: '{root}/{fleet}/{robotId}/state',
    direction: 'robot→cloud',
    qos: 0,
    retain: false,
    payload: 'state',
    clearedAtConnect: true,
  },
  events: {
    pattern: '{root}/{fleet}/{robotId}/events',
    direction: 'robot→cloud',
    qos: 1,
    retain: false,
    payload: 'event',
    clearedAtConnect: true,
  },
  eventsAck: {
    pattern: '{root}/{fleet}/{robotId}/events/ack',
    direction: 'cloud→robot',
    qos: 1,
    retain: false,
    payload: 'ack',
  },
  decisionRequest: {
    pattern: '{root}/{fleet}/{robotId}/decision/request',
    direction: 'robot→cloud',
    qos: 1,
    retain: false,
    payload: 'decision_request',
    clearedAtConnect: true,
  },
  decision: {
    pattern: '{root}/{fleet}/{robotId}/decision',
    direction: 'cloud→robot',
    qos: 1,
    retain: false,
    payload: 'decision',
  },
  broadcastDecision: {
    pattern: '{root}/{fleet}/broadcast/decision',
    direction: 'cloud→robot',
    qos: 1,
    retain: false,
    payload: 'decision',
  },
};

/** The topics of `t` the robot clears at every connect (a zero-length retained message on each), in TOPIC_SPECS order. */
export function topicsClearedAtConnect(t: RobotTopics): string[] {
  return (Object.keys(TOPIC_SPECS) as TopicName[]).filter((n) => TOPIC_SPECS[n].clearedAtConnect).map((n) => t[n]);
}

/** The concrete topics of one robot. */
export type RobotTopics = Readonly<Record<TopicName, string>>;

/** The topics of robot `robotId` in `fleet` under `root`. Throws a zod error when a level is invalid. */
export function robotTopics(root: string, fleet: string, robotId: string): RobotTopics {
  topicRootSchema.parse(root);
  topicLevelSchema.parse(fleet);
  topicLevelSchema.parse(robotId);
  const base = `${root}/${fleet}/${robotId}`;
  return {
    status: `${base}/status`,
    state: `${base}/state`,
    events: `${base}/events`,
    eventsAck: `${base}/events/ack`,
    decisionRequest: `${base}/decision/request`,
    decision: `${base}/decision`,
    broadcastDecision: `${root}/${fleet}/broadcast/decision`,
  };
}
