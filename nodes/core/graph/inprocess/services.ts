/**
 * Services and actions of the in-process graph. Requests, responses, goals, feedback and results are
 * validated against their definitions like topic messages; handlers run from the executor.
 *
 * Lifetimes follow their nodes, as on a robot:
 * - a destroyed server answers nothing more: its pending calls and running goals reject with
 *   KZ_ERR_SERVICE_UNAVAILABLE (never "succeeded"), and what its handlers return later is dropped;
 * - a destroyed client's pending calls, goals, results and cancels reject with KZ_ERR_GRAPH_SHUTDOWN
 *   (PendingCalls), and it can send nothing more;
 * - a handler that throws (or returns an invalid response) sends no response, exactly as the rclnodejs
 *   graph does (ROS 2 services have no failure reply): the server node reports the error and the caller's
 *   call rejects with KZ_ERR_SERVICE_UNAVAILABLE when its timeout runs out.
 */
import { randomUUID } from 'node:crypto';
import type {
  ActionTypeName,
  FeedbackOf,
  GoalOf,
  RequestOf,
  ResponseOf,
  ResultOf,
  ServiceTypeName,
} from '../../interfaces';
import { actionDefinition, serviceDefinition } from '../../interfaces';
import { codecFor, createMessage } from '../../interfaces/validate';
import { KizunaError, isKizunaError } from '../../errors';
import type {
  ActionClient,
  ActionServer,
  ActionServerHandlers,
  ClientGoalHandle,
  GoalOutcome,
  ServerGoalHandle,
  ServiceClient,
  ServiceServer,
} from '../types';
import type { Executor } from './executor';
import type { ErrorSink } from './topics';
import { callbackFailed, errorText, invokeCallback } from '../callbacks';
import { timeoutToMs } from '../clock';
import type { PendingCalls } from '../pending';

const DEFAULT_CALL_TIMEOUT_SEC = 5;
const POLL_MS = 10;

/** What a client needs from its node. */
export interface ClientOwner {
  /** The node's pending requests; closed (rejecting them) when the node is destroyed. */
  pending: PendingCalls;
  reportError: ErrorSink;
}

interface RegisteredService {
  type: string;
  handler: (req: unknown) => unknown;
  onError: ErrorSink;
  alive: boolean;
  /** Rejecters of calls this server has not answered yet. */
  waiting: Set<(err: KizunaError) => void>;
}

interface RegisteredAction {
  type: string;
  handlers: ActionServerHandlers<ActionTypeName>;
  onError: ErrorSink;
  alive: boolean;
  /** Rejecters of the results of goals still running. */
  goals: Set<(err: KizunaError) => void>;
}

function goneError(kind: 'service' | 'action', name: string, what: string): KizunaError {
  return new KizunaError('KZ_ERR_SERVICE_UNAVAILABLE', `the server of ${kind} '${name}' was destroyed before ${what}`, {
    entity: name,
  });
}

/** Waits (wall time) until `ready()` or the timeout; resolves whether it became ready. Throws KZ_ERR_CLOCK for a bad timeout. */
function waitUntil(ready: () => boolean, timeoutSec: number, what: string): Promise<boolean> {
  const ms = timeoutToMs(timeoutSec, what);
  if (ready()) return Promise.resolve(true);
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const tick = (): void => {
      if (ready()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(tick, Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    };
    setTimeout(tick, Math.min(POLL_MS, ms));
  });
}

export class ServiceRegistry {
  private readonly services = new Map<string, RegisteredService>();
  private readonly actions = new Map<string, RegisteredAction>();

  constructor(private readonly executor: Executor) {}

  serviceNamesAndTypes(): Array<{ name: string; types: string[] }> {
    return [...this.services.entries()]
      .map(([name, s]) => ({ name, types: [s.type] }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  actionNamesAndTypes(): Array<{ name: string; types: string[] }> {
    return [...this.actions.entries()]
      .map(([name, a]) => ({ name, types: [a.type] }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Ends every server (graph shutdown). */
  shutdown(): void {
    for (const [name, s] of [...this.services.entries()]) {
      s.alive = false;
      for (const reject of s.waiting) reject(goneError('service', name, 'answering'));
      s.waiting.clear();
    }
    for (const [name, a] of [...this.actions.entries()]) {
      a.alive = false;
      for (const reject of a.goals) reject(goneError('action', name, 'the goal ended'));
      a.goals.clear();
    }
    this.services.clear();
    this.actions.clear();
  }

  // ---- services -------------------------------------------------------------------------------

  createService<T extends ServiceTypeName>(
    type: T,
    name: string,
    handler: (req: RequestOf<T>) => ResponseOf<T> | Promise<ResponseOf<T>>,
    onError: ErrorSink,
  ): ServiceServer & { destroy(): void } {
    serviceDefinition(type);
    const existing = this.services.get(name);
    if (existing) {
      throw new KizunaError('KZ_ERR_TYPE_MISMATCH', `service '${name}' already has a server (${existing.type})`, {
        entity: name,
      });
    }
    const entry: RegisteredService = {
      type,
      handler: handler as (req: unknown) => unknown,
      onError,
      alive: true,
      waiting: new Set(),
    };
    this.services.set(name, entry);
    return {
      name,
      destroy: () => {
        if (this.services.get(name) === entry) this.services.delete(name);
        entry.alive = false;
        const err = goneError('service', name, 'answering');
        for (const reject of entry.waiting) reject(err);
        entry.waiting.clear();
      },
    };
  }

  createClient<T extends ServiceTypeName>(type: T, name: string, owner: ClientOwner): ServiceClient<T> {
    const def = serviceDefinition(type);
    const requestCodec = codecFor(def.request);
    const responseCodec = codecFor(def.response);
    const ready = (): boolean => !owner.pending.isClosed && this.services.get(name)?.type === type;

    const call = async (request: unknown, timeoutSec: number): Promise<ResponseOf<T>> => {
      const timeoutMs = timeoutToMs(timeoutSec, `timeout of a call to '${name}'`);
      const copy = requestCodec.check(request, name);
      const deadline = Date.now() + timeoutMs;
      if (!(await waitUntil(ready, timeoutSec, `timeout of a call to '${name}'`))) {
        throw new KizunaError(
          'KZ_ERR_SERVICE_UNAVAILABLE',
          `no server for service '${name}' (${type}) within ${timeoutSec} s`,
          {
            entity: name,
          },
        );
      }
      const server = this.services.get(name)!;
      return new Promise<ResponseOf<T>>((resolve, reject) => {
        let settled = false;
        const settle = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          server.waiting.delete(rejectGone);
          fn();
        };
        const rejectGone = (err: KizunaError): void => settle(() => reject(err));
        const timer = setTimeout(
          () =>
            settle(() =>
              reject(
                new KizunaError(
                  'KZ_ERR_SERVICE_UNAVAILABLE',
                  `service '${name}' did not answer within ${timeoutSec} s`,
                  {
                    entity: name,
                  },
                ),
              ),
            ),
          Math.max(0, deadline - Date.now()),
        );
        server.waiting.add(rejectGone);
        this.executor.enqueue(() => {
          if (!server.alive || settled) return;
          let out: unknown;
          try {
            out = server.handler(copy);
          } catch (cause) {
            this.handlerFailed(server, name, cause);
            return;
          }
          Promise.resolve(out).then(
            (res) => {
              if (!server.alive || settled) return;
              let checked: unknown;
              try {
                checked = responseCodec.check(res, name);
              } catch (cause) {
                // An invalid response is not sent (rclnodejs's wrapper refuses it too): the caller times out.
                server.onError(
                  new KizunaError(
                    'KZ_ERR_SERVICE_FAILED',
                    `service '${name}' returned an invalid response: ${errorText(cause)}`,
                    { entity: name },
                    { cause },
                  ),
                );
                return;
              }
              settle(() => resolve(checked as ResponseOf<T>));
            },
            (cause: unknown) => this.handlerFailed(server, name, cause),
          );
        });
      });
    };

    return {
      name,
      isServiceReady: ready,
      waitForService: (timeoutSec) => {
        try {
          return waitUntil(ready, timeoutSec, `timeout of waitForService('${name}')`);
        } catch (err) {
          return Promise.reject(err);
        }
      },
      call: (request, options) =>
        owner.pending.track(name, () => call(request, options?.timeoutSec ?? DEFAULT_CALL_TIMEOUT_SEC)),
    };
  }

  /** A throwing or rejecting handler: reported on the server's node; no response is sent. */
  private handlerFailed(server: RegisteredService, name: string, cause: unknown): void {
    try {
      server.onError(callbackFailed(`service handler for '${name}'`, name, cause));
    } catch {
      // reporters do not throw; nothing may escape into the executor or a promise
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  createActionServer<T extends ActionTypeName>(
    type: T,
    name: string,
    handlers: ActionServerHandlers<T>,
    onError: ErrorSink,
  ): ActionServer & { destroy(): void } {
    actionDefinition(type);
    if (this.actions.has(name)) {
      throw new KizunaError('KZ_ERR_TYPE_MISMATCH', `action '${name}' already has a server`, { entity: name });
    }
    const entry: RegisteredAction = {
      type,
      handlers: handlers as unknown as ActionServerHandlers<ActionTypeName>,
      onError,
      alive: true,
      goals: new Set(),
    };
    this.actions.set(name, entry);
    return {
      name,
      destroy: () => {
        if (this.actions.get(name) === entry) this.actions.delete(name);
        entry.alive = false;
        const err = goneError('action', name, 'the goal ended');
        for (const reject of entry.goals) reject(err);
        entry.goals.clear();
      },
    };
  }

  createActionClient<T extends ActionTypeName>(type: T, name: string, owner: ClientOwner): ActionClient<T> {
    const def = actionDefinition(type);
    const goalCodec = codecFor(def.goal);
    const feedbackCodec = codecFor(def.feedback);
    const resultCodec = codecFor(def.result);
    const ready = (): boolean => !owner.pending.isClosed && this.actions.get(name)?.type === type;
    const executor = this.executor;

    const send = (goal: GoalOf<T>, onFeedback?: (fb: FeedbackOf<T>) => void): Promise<ClientGoalHandle<T>> => {
      const goalCopy = goalCodec.check(goal, name) as GoalOf<T>;
      const server = this.actions.get(name);
      if (!server || server.type !== type) {
        return Promise.reject(
          new KizunaError('KZ_ERR_SERVICE_UNAVAILABLE', `no server for action '${name}' (${type})`, { entity: name }),
        );
      }
      return new Promise((resolveAccept, rejectAccept) => {
        executor.enqueue(() => {
          if (!server.alive) return rejectAccept(goneError('action', name, 'deciding on the goal'));
          const h = server.handlers as unknown as ActionServerHandlers<T>;
          let decision: 'accept' | 'reject';
          try {
            decision = h.onGoal ? h.onGoal(goalCopy) : 'accept';
          } catch (cause) {
            server.onError(callbackFailed(`goal handler of action '${name}'`, name, cause));
            decision = 'reject';
          }
          if (decision !== 'accept') {
            rejectAccept(
              new KizunaError('KZ_ERR_GOAL_REJECTED', `action '${name}' rejected the goal`, { entity: name }),
            );
            return;
          }
          const goalId = randomUUID();
          let cancelRequested = false;
          let done = false;
          const serverHandle: ServerGoalHandle<T> = {
            goalId,
            goal: goalCopy,
            get isCancelRequested() {
              return cancelRequested;
            },
            publishFeedback: (fb: FeedbackOf<T>) => {
              const copy = feedbackCodec.check(fb, `${name}/_action/feedback`) as FeedbackOf<T>;
              // rcl_action publishes feedback only while a goal is EXECUTING; once a cancel is accepted
              // (CANCELING) or the goal ended, it is dropped (rclnodejs: ServerGoalHandle.publishFeedback).
              if (done || cancelRequested || !server.alive || owner.pending.isClosed) return;
              if (onFeedback) {
                executor.enqueue(() => {
                  if (owner.pending.isClosed) return;
                  invokeCallback(() => onFeedback(copy), `feedback callback of '${name}'`, name, owner.reportError);
                });
              }
            },
          };
          // The outcome settles when execute ends, or rejects when the server is destroyed first.
          let resolveOutcome!: (o: GoalOutcome<T>) => void;
          let rejectOutcome!: (err: KizunaError) => void;
          const outcome = new Promise<GoalOutcome<T>>((res, rej) => {
            resolveOutcome = res;
            rejectOutcome = rej;
          });
          // Settled rejections that nobody asked for must not surface as unhandled.
          outcome.catch(() => undefined);
          server.goals.add(rejectOutcome);
          // A throwing execute, or a result that fails its definition, is reported on the server's node
          // and the goal ends aborted with an empty result, as on rclnodejs.
          const run = async (): Promise<void> => {
            let result: GoalOutcome<T>;
            try {
              const res = await h.execute(serverHandle);
              const checked = resultCodec.check(res.result, `${name}/_action/get_result`) as ResultOf<T>;
              // rcl_action reaches CANCELED only from CANCELING: without an accepted cancel it is an abort.
              const status = res.status === 'canceled' && !cancelRequested ? 'aborted' : res.status;
              result = { status, result: checked };
            } catch (cause) {
              if (server.alive) {
                server.onError(
                  isKizunaError(cause, 'KZ_ERR_MSG_INVALID')
                    ? cause
                    : callbackFailed(`execute of action '${name}'`, name, cause),
                );
              }
              result = { status: 'aborted', result: createMessage(def.result) as unknown as ResultOf<T> };
            } finally {
              done = true;
            }
            if (!server.alive) return; // the goal already ended with the server: nothing is reported as done
            server.goals.delete(rejectOutcome);
            resolveOutcome(result);
          };
          void run();
          resolveAccept({
            goalId,
            result: () => owner.pending.track(name, () => outcome),
            cancel: () =>
              owner.pending.track(
                name,
                () =>
                  new Promise<boolean>((resolveCancel, rejectCancel) => {
                    executor.enqueue(() => {
                      if (!server.alive) return rejectCancel(goneError('action', name, 'answering the cancel'));
                      if (done) return resolveCancel(false);
                      let ok: 'accept' | 'reject' = 'accept';
                      try {
                        ok = h.onCancel ? h.onCancel(serverHandle) : 'accept';
                      } catch (cause) {
                        server.onError(callbackFailed(`cancel handler of action '${name}'`, name, cause));
                        ok = 'reject';
                      }
                      if (ok === 'accept') cancelRequested = true;
                      resolveCancel(ok === 'accept');
                    });
                  }),
              ),
          });
        });
      });
    };

    return {
      name,
      isServerReady: ready,
      waitForServer: (timeoutSec) => {
        try {
          return waitUntil(ready, timeoutSec, `timeout of waitForServer('${name}')`);
        } catch (err) {
          return Promise.reject(err);
        }
      },
      sendGoal: (goal, onFeedback) => {
        goalCodec.check(goal, name); // an invalid goal throws here, as on the rclnodejs graph
        return owner.pending.track(name, () => send(goal, onFeedback));
      },
    };
  }
}
