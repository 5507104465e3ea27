/**
 * Services and actions of the in-process graph. Requests, responses, goals, feedback and results are
 * validated against their definitions like topic messages; handlers run from the executor.
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
import { assertMessage, createMessage, deliveryCopy } from '../../interfaces/validate';
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
import { callbackFailed, invokeCallback } from '../callbacks';

const DEFAULT_CALL_TIMEOUT_SEC = 5;
const POLL_MS = 10;

interface RegisteredService {
  type: string;
  handler: (req: unknown) => unknown;
  onError: ErrorSink;
}

interface RegisteredAction {
  type: string;
  handlers: ActionServerHandlers<ActionTypeName>;
  onError: ErrorSink;
}

/** Waits (wall time) until `ready()` or the timeout; resolves whether it became ready. */
function waitUntil(ready: () => boolean, timeoutSec: number): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  const deadline = Date.now() + Math.max(0, timeoutSec) * 1000;
  return new Promise((resolve) => {
    const tick = (): void => {
      if (ready()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setTimeout(tick, POLL_MS);
    };
    setTimeout(tick, POLL_MS);
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
    this.services.set(name, { type, handler: handler as (req: unknown) => unknown, onError });
    return { name, destroy: () => this.services.delete(name) };
  }

  createClient<T extends ServiceTypeName>(type: T, name: string): ServiceClient<T> {
    const def = serviceDefinition(type);
    const ready = (): boolean => this.services.get(name)?.type === type;
    return {
      name,
      isServiceReady: ready,
      waitForService: (timeoutSec) => waitUntil(ready, timeoutSec),
      call: async (request, options) => {
        assertMessage(def.request, request, name);
        const timeoutSec = options?.timeoutSec ?? DEFAULT_CALL_TIMEOUT_SEC;
        const deadline = Date.now() + timeoutSec * 1000;
        if (!(await waitUntil(ready, timeoutSec))) {
          throw new KizunaError(
            'KZ_ERR_SERVICE_UNAVAILABLE',
            `no server for service '${name}' (${type}) within ${timeoutSec} s`,
            {
              entity: name,
            },
          );
        }
        const server = this.services.get(name)!;
        const copy = deliveryCopy(def.request, request);
        const response = await new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new KizunaError(
                  'KZ_ERR_SERVICE_UNAVAILABLE',
                  `service '${name}' did not answer within ${timeoutSec} s`,
                  { entity: name },
                ),
              ),
            Math.max(0, deadline - Date.now()),
          );
          this.executor.enqueue(() => {
            Promise.resolve()
              .then(() => server.handler(copy))
              .then(
                (res) => {
                  clearTimeout(timer);
                  resolve(res);
                },
                (cause: unknown) => {
                  clearTimeout(timer);
                  const err = callbackFailed(`service handler for '${name}'`, name, cause);
                  server.onError(err);
                  reject(
                    new KizunaError(
                      'KZ_ERR_SERVICE_FAILED',
                      `service '${name}' failed: ${err.message}`,
                      { entity: name },
                      { cause },
                    ),
                  );
                },
              );
          });
        });
        try {
          assertMessage(def.response, response, name);
        } catch (cause) {
          const err = new KizunaError(
            'KZ_ERR_SERVICE_FAILED',
            `service '${name}' returned an invalid response: ${(cause as Error).message}`,
            {
              entity: name,
            },
            { cause },
          );
          server.onError(err);
          throw err;
        }
        return deliveryCopy(def.response, response) as ResponseOf<T>;
      },
    };
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
    this.actions.set(name, { type, handlers: handlers as unknown as ActionServerHandlers<ActionTypeName>, onError });
    return { name, destroy: () => this.actions.delete(name) };
  }

  createActionClient<T extends ActionTypeName>(type: T, name: string, onError: ErrorSink): ActionClient<T> {
    const def = actionDefinition(type);
    const ready = (): boolean => this.actions.get(name)?.type === type;
    const executor = this.executor;
    return {
      name,
      isServerReady: ready,
      waitForServer: (timeoutSec) => waitUntil(ready, timeoutSec),
      sendGoal: (goal: GoalOf<T>, onFeedback?: (fb: FeedbackOf<T>) => void): Promise<ClientGoalHandle<T>> => {
        assertMessage(def.goal, goal, name);
        const server = this.actions.get(name);
        if (!server || server.type !== type) {
          return Promise.reject(
            new KizunaError('KZ_ERR_SERVICE_UNAVAILABLE', `no server for action '${name}' (${type})`, { entity: name }),
          );
        }
        const goalCopy = deliveryCopy(def.goal, goal) as GoalOf<T>;
        return new Promise((resolveAccept, rejectAccept) => {
          executor.enqueue(() => {
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
                assertMessage(def.feedback, fb, `${name}/_action/feedback`);
                // rcl_action publishes feedback only while a goal is EXECUTING; once a cancel is accepted
                // (CANCELING) or the goal ended, it is dropped (rclnodejs: ServerGoalHandle.publishFeedback).
                if (done || cancelRequested) return;
                const copy = deliveryCopy(def.feedback, fb) as FeedbackOf<T>;
                if (onFeedback) {
                  executor.enqueue(() =>
                    invokeCallback(() => onFeedback(copy), `feedback callback of '${name}'`, name, onError),
                  );
                }
              },
            };
            // A throwing execute, or a result that fails its definition, is reported on the server's node
            // and the goal ends aborted with an empty result, as on rclnodejs.
            const run = async (): Promise<GoalOutcome<T>> => {
              try {
                const res = await h.execute(serverHandle);
                assertMessage(def.result, res.result, `${name}/_action/get_result`);
                // rcl_action reaches CANCELED only from CANCELING: without an accepted cancel it is an abort.
                const status = res.status === 'canceled' && !cancelRequested ? 'aborted' : res.status;
                return { status, result: deliveryCopy(def.result, res.result) as ResultOf<T> };
              } catch (cause) {
                server.onError(
                  isKizunaError(cause, 'KZ_ERR_MSG_INVALID')
                    ? cause
                    : callbackFailed(`execute of action '${name}'`, name, cause),
                );
                return { status: 'aborted', result: createMessage(def.result) as unknown as ResultOf<T> };
              } finally {
                done = true;
              }
            };
            const outcome = run();
            resolveAccept({
              goalId,
              result: () => outcome,
              cancel: () =>
                new Promise<boolean>((resolveCancel) => {
                  executor.enqueue(() => {
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
            });
          });
        });
      },
    };
  }
}
