/**
 * Decisions in: every MQTT message on the robot's or the fleet's decision topic goes through
 * validateDecision; a valid decision is handed to `publish` (the ROS decision topic), a rejection is
 * reported as a `decision_rejected` event within the flood budget (rejects.ts) and counted. Never
 * throws: this runs inside the MQTT client's callback.
 */
import type { MessageOf } from '../core/interfaces';
import { CONTRACT_VERSION, DECISION_KINDS, type RobotEventDraft, type RobotTopics } from '../core/contract';
import type { RosTime } from '../core/graph/clock';
import { toRosDecision } from './logic';
import { RejectLimiter } from './rejects';
import { validateDecision, type ReplayStore, type ValidatorConfig } from './validate';

export interface InboxDeps {
  topics: RobotTopics;
  validator: ValidatorConfig;
  replay: ReplayStore;
  /** [count] rejections reported one by one per second. */
  rejectEventsPerS: number;
  /** Wall clock [ms since epoch]: expiry and replay are judged by it. */
  now: () => number;
  /** The node's clock, for ROS stamps. */
  rosNow: () => RosTime;
  publish: (d: MessageOf<'kizuna_msgs/msg/Decision'>) => void;
  report: (ev: RobotEventDraft) => void;
  debug: (text: string) => void;
  error: (text: string) => void;
}

/** The inbound side of the bridge, with its counters. */
export class DecisionInbox {
  readonly limiter: RejectLimiter;
  received = 0n;
  /** [count] messages on the robot's own decision topic (valid or not). */
  direct = 0;
  forwarded = 0n;
  lastRx: RosTime = { sec: 0, nanosec: 0 };

  constructor(private readonly d: InboxDeps) {
    this.limiter = new RejectLimiter(1000, d.rejectEventsPerS);
  }

  /** Judges one MQTT message: forwards it to ROS or reports why not. */
  handle(topic: string, payload: Buffer, retained: boolean): void {
    const d = this.d;
    try {
      this.received++;
      this.lastRx = d.rosNow();
      const broadcast = topic === d.topics.broadcastDecision;
      if (!broadcast && topic !== d.topics.decision) return;
      if (!broadcast) this.direct++;
      // A zero-length message is how MQTT clears a retained one (docs/contract.md: the national side
      // clears a stray retained decision so): it carries no decision, so nothing to reject or report.
      if (payload.byteLength === 0) {
        d.debug('empty message on a decision topic (a retained message cleared): ignored');
        return;
      }
      const nowMs = d.now();
      const v = validateDecision({ payload, retained, broadcast, nowMs }, d.validator, d.replay);
      if (v.ok) {
        d.publish(toRosDecision(v.decision, v.source, d.rosNow()));
        this.forwarded++;
        return;
      }
      d.debug(`decision rejected: ${v.reason}: ${v.message}`);
      if (!this.limiter.admit(v.reason, nowMs)) return;
      const ev: RobotEventDraft = {
        v: CONTRACT_VERSION,
        robotId: d.validator.robotId,
        at: nowMs,
        type: 'decision_rejected',
        by: 'bridge',
        source: v.source,
        reason: v.reason,
        message: v.message.slice(0, 256),
      };
      if (v.decisionId) ev.decisionId = v.decisionId;
      const kind = DECISION_KINDS.find((k) => k === v.kind);
      if (kind) ev.kind = kind;
      d.report(ev);
    } catch (err) {
      // Never throw from a transport callback: report and carry on.
      d.error(`handling a message on '${topic}' failed: ${(err as Error).message}`);
    }
  }
}
