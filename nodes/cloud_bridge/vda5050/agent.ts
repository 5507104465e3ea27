/**
 * The VDA 5050 2.0 vehicle as kizuna carries it out: {@link OrderAgent} (orders, order-agent.ts) plus the
 * instant actions and their action states. Pure, like it.
 *
 * - startPause holds a running drive (HOLD), stopPause resumes it (RESUME); a person's local pause wins:
 *   both fail while it holds, as the standard allows ("overridden by hardware switch");
 * - cancelOrder stops (STOP: the robot stands where it is), fails the order's open actions and finishes
 *   once the robot stands still;
 * - initPosition confirms a pose near where the robot localises itself (kizuna does not take its pose from
 *   the network); stateRequest and factsheetRequest ask the bridge for a message; logReport asks it for a black_box
 *   capture (onLogReport brings the outcome).
 */
import { OrderAgent } from './order-agent';
import { done, param, ref, type Outcome, type RobotView } from './agent-core';
import type { VdaAction } from './types';

export type { AgentConfig, AgentOut, Command, OrderVerdict, Outcome, RobotView } from './agent-core';

/** The instant actions this robot carries out. */
export const INSTANT_ACTIONS = [
  'cancelOrder',
  'startPause',
  'stopPause',
  'initPosition',
  'stateRequest',
  'factsheetRequest',
  'logReport',
] as const;

/** [rad] how far initPosition's theta may differ from the robot's heading. */
const INIT_THETA_TOLERANCE = 0.5;

/** The whole vehicle side: orders (OrderAgent) and instant actions. */
export class VdaAgent extends OrderAgent {
  // ---- instant actions

  /** Instant actions that passed the schema, in their order. */
  onInstantActions(list: readonly VdaAction[], robot: RobotView): void {
    for (const a of list) {
      if (this.actions.has(a.actionId)) continue; // the same action again (a re-sent message)
      this.instant(a, robot);
    }
  }

  private instant(a: VdaAction, robot: RobotView): void {
    const fail = (why: string, errorType?: string): void => {
      this.setAction(a, 'FAILED', 'instant', why);
      if (errorType) {
        this.addError({
          errorType,
          errorLevel: 'WARNING',
          errorDescription: why,
          errorReferences: [ref('actionId', a.actionId), ref('actionType', a.actionType)],
        });
      }
    };
    switch (a.actionType) {
      case 'stateRequest':
        this.setAction(a, 'FINISHED', 'instant');
        this.out.stateRequested = true;
        return;
      case 'factsheetRequest':
        this.setAction(a, 'FINISHED', 'instant');
        this.out.factsheetRequested = true;
        return;
      case 'logReport':
        // black_box keeps the report on the robot: the bridge asks it for a capture and reports the file
        this.setAction(a, 'RUNNING', 'instant');
        this.out.logReports.push(a.actionId);
        return;
      case 'initPosition':
        this.initPosition(a, robot, fail);
        return;
      case 'startPause':
        if (robot.localPause) {
          fail(`a person on site holds the robot paused (${robot.localPause}): that pause is theirs`);
          return;
        }
        if (this.paused) {
          this.setAction(a, 'FINISHED', 'instant', 'already paused');
          return;
        }
        this.paused = true;
        if (this.drive && !this.hold) {
          const id = this.newId();
          this.hold = { id, held: false };
          this.pending.set(id, { kind: 'hold', actionId: a.actionId });
          this.out.commands.push({ kind: 'hold', id });
          this.setAction(a, 'RUNNING', 'instant');
        } else {
          this.setAction(a, 'FINISHED', 'instant');
        }
        this.pauseRunning(true);
        return;
      case 'stopPause':
        if (robot.localPause) {
          fail(`a person on site holds the robot paused (${robot.localPause}): only they release it`);
          return;
        }
        if (!this.paused) {
          this.setAction(a, 'FINISHED', 'instant', 'not paused');
          return;
        }
        if (this.hold) {
          const id = this.newId();
          this.pending.set(id, { kind: 'resume', actionId: a.actionId });
          this.out.commands.push({ kind: 'resume', id });
          this.setAction(a, 'RUNNING', 'instant');
          return;
        }
        this.paused = false;
        this.setAction(a, 'FINISHED', 'instant');
        return;
      case 'cancelOrder':
        this.cancelOrder(a, robot, fail);
        return;
      default:
        fail(
          `action not supported as an instant action: '${a.actionType}' (this robot takes ${INSTANT_ACTIONS.join(', ')})`,
          'instantActionError',
        );
    }
  }

  /**
   * The outcome of logReport `actionId`'s black_box capture: FINISHED naming the incident file (it stays on
   * the robot), or FAILED with why (no black_box, or it refused).
   */
  onLogReport(actionId: string, ok: boolean, description: string): void {
    const st = this.actions.get(actionId);
    if (!st || st.actionStatus !== 'RUNNING') return;
    const a = {
      actionId,
      actionType: 'logReport',
      blockingType: 'NONE' as const,
      ...(st.actionDescription !== undefined ? { actionDescription: st.actionDescription } : {}),
    };
    this.setAction(a, ok ? 'FINISHED' : 'FAILED', 'instant', description);
  }

  private initPosition(a: VdaAction, robot: RobotView, fail: (why: string, type?: string) => void): void {
    const x = param(a, 'x');
    const y = param(a, 'y');
    const theta = param(a, 'theta') ?? 0;
    const mapId = param(a, 'mapId');
    const lastNodeId = param(a, 'lastNodeId');
    if (typeof x !== 'number' || typeof y !== 'number' || typeof theta !== 'number') {
      fail('initPosition needs numbers x, y and theta', 'instantActionError');
      return;
    }
    if (mapId !== undefined && mapId !== this.cfg.mapId) {
      fail(`map '${String(mapId)}' is not this robot's map '${this.cfg.mapId}'`, 'instantActionError');
      return;
    }
    if (this.orderActive) {
      fail('an order is active: initPosition is taken between orders', 'instantActionError');
      return;
    }
    const p = robot.pose;
    if (!p) {
      fail('the robot does not know where it is yet', 'instantActionError');
      return;
    }
    const dist = Math.hypot(x - p.x, y - p.y);
    const dTheta = Math.abs(Math.atan2(Math.sin(theta - p.theta), Math.cos(theta - p.theta)));
    if (dist > this.cfg.initPositionToleranceM || dTheta > INIT_THETA_TOLERANCE) {
      fail(
        `kizuna does not take its pose from the network: the given pose is ${dist.toFixed(2)} m and ${dTheta.toFixed(2)} rad ` +
          `from where the robot localises itself (within ${this.cfg.initPositionToleranceM} m and ${INIT_THETA_TOLERANCE} rad it is confirmed)`,
        'instantActionError',
      );
      return;
    }
    if (typeof lastNodeId === 'string') {
      this.lastNodeId = lastNodeId;
      this.lastNodeSequenceId = 0;
    }
    this.setAction(a, 'FINISHED', 'instant', `pose confirmed within ${dist.toFixed(2)} m`);
  }

  private cancelOrder(a: VdaAction, robot: RobotView, fail: (why: string, type?: string) => void): void {
    const o = this.order;
    if (!o || !this.orderActive) {
      fail('no order to cancel', 'noOrderToCancel');
      return;
    }
    o.ended = true;
    this.counts.ordersCancelled++;
    o.nodes = [];
    o.edges = [];
    this.queue = [];
    for (const [, st] of this.actions) {
      if (st.scope === 'order' && !done(st.actionStatus)) {
        this.setAction(
          { actionId: st.actionId, actionType: st.actionType ?? '', blockingType: 'HARD' },
          'FAILED',
          'order',
          'order cancelled',
        );
      }
    }
    const docking = this.running?.decisionId !== undefined;
    this.running = undefined;
    this.cancel = { actionId: a.actionId, stopDone: true };
    if (this.drive || this.hold || docking) {
      const id = this.newId();
      this.cancel.stopId = id;
      this.cancel.stopDone = false;
      this.pending.set(id, { kind: 'stop' });
      this.out.commands.push({ kind: 'stop', id });
    }
    this.setAction(a, 'RUNNING', 'instant');
    this.finishCancel(robot);
  }

  private pauseRunning(paused: boolean): void {
    const r = this.running;
    if (!r) return;
    this.setAction(r.action, paused ? 'PAUSED' : 'RUNNING', 'order');
  }

  // ---- decisions' outcomes

  /** The executive's status of a decision this agent sent (others are ignored). */
  onDecision(id: string, outcome: Outcome, reason: string, message: string, robot: RobotView): void {
    const p = this.pending.get(id);
    if (!p) return;
    const terminal = outcome !== 'accepted' && outcome !== 'active';
    if (terminal) this.pending.delete(id);
    switch (p.kind) {
      case 'drive':
        return this.driveOutcome(id, p, outcome, reason, message);
      case 'hold': {
        const act = this.actions.get(p.actionId);
        const action = { actionId: p.actionId, actionType: 'startPause', blockingType: 'HARD' as const };
        if (outcome === 'active') {
          if (this.hold?.id === id) this.hold.held = true;
          if (act?.actionStatus === 'RUNNING') this.setAction(action, 'FINISHED', 'instant');
        } else if (outcome === 'rejected') {
          if (this.hold?.id === id) this.hold = undefined;
          this.paused = false;
          this.setAction(action, 'FAILED', 'instant', `the executive refused the hold: ${reason} ${message}`.trim());
        } else if (terminal && this.hold?.id === id) {
          this.hold = undefined;
        }
        return;
      }
      case 'resume': {
        const action = { actionId: p.actionId, actionType: 'stopPause', blockingType: 'HARD' as const };
        if (outcome === 'succeeded') {
          this.paused = false;
          this.hold = undefined;
          this.setAction(action, 'FINISHED', 'instant');
        } else if (terminal) {
          this.setAction(action, 'FAILED', 'instant', `the executive refused the resume: ${reason} ${message}`.trim());
        }
        return;
      }
      case 'charge':
        if (outcome === 'succeeded') {
          if (this.running?.action === p.action) this.running = undefined;
          this.setAction(p.action, 'FINISHED', 'order', 'charging');
        } else if (terminal && !this.cancel && this.actions.get(p.action.actionId)?.actionStatus === 'RUNNING') {
          this.actionFailed(
            p.action,
            `the executive's dock ${outcome}${reason ? ` (${reason})` : ''}${message ? `: ${message}` : ''}`,
          );
        } else if (terminal && this.running?.action === p.action) {
          this.running = undefined;
        }
        return;
      case 'stop':
        if (terminal && this.cancel) {
          this.cancel.stopDone = true;
          this.finishCancel(robot);
        }
        return;
    }
  }
}
