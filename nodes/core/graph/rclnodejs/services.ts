/**
 * Services and actions of the rclnodejs graph: rclnodejs Service/Client and ActionServer/ActionClient
 * behind kizuna's interface, with kizuna's message checks, timeouts in seconds and error codes.
 */
import type * as rclnodejs from 'rclnodejs';
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
import { assertMessage, createMessage } from '../../interfaces/validate';
import { KizunaError, isKizunaError } from '../../errors';
import { callbackFailed, errorText, invokeCallback } from '../callbacks';
import type { Logger } from '../../logging';
import { PendingCalls } from '../pending';
import { timeoutToMs } from '../clock';
import type {
  ActionClient,
  ActionServer,
  ActionServerHandlers,
  ClientGoalHandle,
  GoalOutcome,
  GoalTerminalStatus,
  ServerGoalHandle,
  ServiceClient,
  ServiceServer,
} from '../types';
import {
  clampMs,
  rclMessage,
  uuidString,
  withInterface,
  type Rclnodejs,
  type RclActionType,
  type RclServiceType,
} from './convert';

const DEFAULT_CALL_TIMEOUT_SEC = 5;

/** What service and action entities need from their node. */
export interface EntityContext {
  rcl: Rclnodejs;
  rclNode: rclnodejs.Node;
  reportError(err: KizunaError): void;
  logger: Logger;
  isAlive(): boolean;
  /** The node's requests still waiting on rclnodejs; rejected when the node is destroyed. */
  pending: PendingCalls;
}

// Requests of one node still waiting on rclnodejs. rclnodejs's action requests never reject
// (lib/action/deferred.js only resolves), so after the node is destroyed they would wait forever (and
// service calls until their timeout); PendingCalls (shared with the in-process graph) rejects them.
export { PendingCalls };

/** A timeout in ms; NaN, negative, infinite or too long ones throw KZ_ERR_CLOCK (shared rule, both graphs). */
const toMs = (sec: number, what: string): number => timeoutToMs(sec, what);

/**
 * One of rclnodejs's availability waits. They poll the node's handle, which throws ("Failed to get
 * service state.", src/rcl_client_bindings.cpp) once the node is destroyed: that ends the wait with false.
 */
async function waitUntilAvailable(ctx: EntityContext, name: string, wait: () => Promise<boolean>): Promise<boolean> {
  if (!ctx.isAlive()) return false;
  try {
    return await wait();
  } catch (cause) {
    if (!ctx.isAlive()) return false;
    throw new KizunaError(
      'KZ_ERR_SERVICE_UNAVAILABLE',
      `could not check for a server of '${name}': ${errorText(cause)}`,
      { entity: name },
      { cause },
    );
  }
}

// ---- services ---------------------------------------------------------------------------------

/** A service server whose handler may be async; its response is checked before it is sent. */
export function createRclService<T extends ServiceTypeName>(
  ctx: EntityContext,
  type: T,
  name: string,
  handler: (request: RequestOf<T>) => ResponseOf<T> | Promise<ResponseOf<T>>,
): ServiceServer {
  const def = serviceDefinition(type);
  const rclType: RclServiceType = type;
  const answer = async (request: unknown, response: rclnodejs.ServiceResponse<RclServiceType>): Promise<void> => {
    let res: ResponseOf<T>;
    try {
      res = await handler(request as RequestOf<T>);
    } catch (cause) {
      // No response is sent: a ROS 2 service has no failure reply, so the caller times out.
      ctx.reportError(callbackFailed(`service handler for '${name}'`, name, cause));
      return;
    }
    if (!ctx.isAlive()) return;
    try {
      response.send(rclMessage(def.response, res, name));
    } catch (cause) {
      ctx.reportError(
        new KizunaError(
          'KZ_ERR_SERVICE_FAILED',
          `service '${name}' returned an invalid response: ${errorText(cause)}`,
          {
            entity: name,
          },
          { cause },
        ),
      );
    }
  };
  withInterface(ctx.rcl, type, () =>
    ctx.rclNode.createService(rclType, name, (request, response) => {
      if (ctx.isAlive()) void answer(request, response);
    }),
  );
  return { name };
}

/** A service client; `call` waits for a server and then for the answer, both within one `timeoutSec`. */
export function createRclClient<T extends ServiceTypeName>(
  ctx: EntityContext,
  type: T,
  name: string,
): ServiceClient<T> {
  const def = serviceDefinition(type);
  const rclType: RclServiceType = type;
  const client = withInterface(ctx.rcl, type, () => ctx.rclNode.createClient(rclType, name));
  const ready = (): boolean => ctx.isAlive() && client.isServiceServerAvailable();
  const wait = (timeoutSec: number): Promise<boolean> =>
    Promise.resolve()
      .then(() => toMs(timeoutSec, `timeout of waitForService('${name}')`))
      .then((ms) => waitUntilAvailable(ctx, name, () => client.waitForService(ms)));

  const call = async (request: RequestOf<T>, timeoutSec: number): Promise<ResponseOf<T>> => {
    const deadline = Date.now() + toMs(timeoutSec, `timeout of a call to '${name}'`);
    if (!(await wait(timeoutSec))) {
      throw new KizunaError(
        'KZ_ERR_SERVICE_UNAVAILABLE',
        `no server for service '${name}' (${type}) within ${timeoutSec} s`,
        {
          entity: name,
        },
      );
    }
    let response: unknown;
    try {
      response = await client.sendRequestAsync(request, {
        timeout: clampMs(deadline - Date.now(), 1),
      });
    } catch (cause) {
      if (cause instanceof ctx.rcl.TimeoutError) {
        throw new KizunaError(
          'KZ_ERR_SERVICE_UNAVAILABLE',
          `service '${name}' did not answer within ${timeoutSec} s`,
          { entity: name },
          { cause },
        );
      }
      throw new KizunaError(
        'KZ_ERR_SERVICE_FAILED',
        `service '${name}' failed: ${errorText(cause)}`,
        { entity: name },
        { cause },
      );
    }
    try {
      assertMessage(def.response, response, name);
    } catch (cause) {
      throw new KizunaError(
        'KZ_ERR_SERVICE_FAILED',
        `service '${name}' returned an invalid response: ${errorText(cause)}`,
        {
          entity: name,
        },
        { cause },
      );
    }
    return response as ResponseOf<T>;
  };

  return {
    name,
    isServiceReady: ready,
    waitForService: wait,
    call: async (request, options) => {
      // Checked and converted once, here: `call` sends this copy as it is.
      const checked = rclMessage(def.request, request, name);
      // Tracked: destroying the node rejects a pending call with KZ_ERR_GRAPH_SHUTDOWN at once.
      return ctx.pending.track(name, () => call(checked, options?.timeoutSec ?? DEFAULT_CALL_TIMEOUT_SEC));
    },
  };
}

// ---- actions ----------------------------------------------------------------------------------

/**
 * The plain goal of an rclnodejs server goal handle. rclnodejs hands `goalCallback` a plain object but
 * keeps the generated message instance in `handle.request`; its `toPlainObject` (not in the typings)
 * gives the same plain shape subscriptions receive.
 */
function plainGoal(request: unknown): unknown {
  const toPlain = (request as { toPlainObject?: unknown } | null)?.toPlainObject;
  return typeof toPlain === 'function' ? (toPlain as (typedArrays: boolean) => unknown).call(request, true) : request;
}

/** An action server: kizuna's accept/reject and execute handlers on an rclnodejs ActionServer. */
export function createRclActionServer<T extends ActionTypeName>(
  ctx: EntityContext,
  type: T,
  name: string,
  handlers: ActionServerHandlers<T>,
): ActionServer {
  const def = actionDefinition(type);
  const { rcl } = ctx;
  const rclType: RclActionType = type;
  type RclGoalHandle = rclnodejs.ServerGoalHandle<RclActionType>;
  interface Entry {
    handle: ServerGoalHandle<T>;
    /** Set at the terminal state; later feedback is dropped, as in-process. */
    done: boolean;
  }
  const entries = new WeakMap<RclGoalHandle, Entry>();
  const entryOf = (gh: RclGoalHandle): Entry => {
    const known = entries.get(gh);
    if (known) return known;
    const entry: Entry = {
      done: false,
      handle: {
        goalId: uuidString(gh.goalId.uuid),
        goal: plainGoal(gh.request) as GoalOf<T>,
        get isCancelRequested() {
          return gh.isCancelRequested;
        },
        publishFeedback: (feedback: FeedbackOf<T>) => {
          const msg = rclMessage(def.feedback, feedback, `${name}/_action/feedback`);
          // rclnodejs publishes feedback only while the goal is EXECUTING and warns otherwise
          // (lib/action/server_goal_handle.js publishFeedback): after an accepted cancel it is dropped here.
          if (entry.done || !ctx.isAlive() || gh.isCancelRequested) return;
          gh.publishFeedback(msg);
        },
      },
    };
    entries.set(gh, entry);
    return entry;
  };

  const finish = (gh: RclGoalHandle, status: GoalTerminalStatus): void => {
    entryOf(gh).done = true;
    if (status === 'succeeded') gh.succeed();
    else if (status === 'canceled' && gh.isCancelRequested) gh.canceled();
    else {
      // rcl_action only reaches CANCELED from CANCELING: a goal nobody asked to cancel is aborted.
      if (status === 'canceled')
        ctx.logger.warn(`action '${name}': execute returned 'canceled' without a cancel request; aborting the goal`);
      gh.abort();
    }
  };

  // Once the node is destroyed, rclnodejs would still store a returned result and answer result requests
  // through released handles (lib/action/server.js _executeGoal, deferred.js setDoneCallback), throwing
  // where nothing catches it. So execute then never returns.
  const never = new Promise<never>(() => undefined);
  // Results go back checked and converted: rclnodejs's `response.result = result` (lib/action/server.js
  // _executeGoal) throws on an invalid one, again where nothing catches it.
  const execute = async (gh: RclGoalHandle): Promise<rclnodejs.ActionResult<RclActionType>> => {
    const { handle } = entryOf(gh);
    try {
      const outcome = await handlers.execute(handle);
      if (!ctx.isAlive()) return never;
      const result = rclMessage(def.result, outcome.result, `${name}/_action/get_result`);
      finish(gh, outcome.status);
      return result;
    } catch (cause) {
      // An invalid result is reported as itself, a throwing execute as a callback failure (as in-process).
      ctx.reportError(
        isKizunaError(cause, 'KZ_ERR_MSG_INVALID') ? cause : callbackFailed(`execute of action '${name}'`, name, cause),
      );
      if (!ctx.isAlive()) return never;
      try {
        if (gh.isActive) finish(gh, 'aborted');
      } catch (stateErr) {
        ctx.logger.error(`action '${name}': could not abort goal ${handle.goalId}: ${errorText(stateErr)}`);
      }
      return rclMessage(def.result, createMessage(def.result)) as unknown as ResultOf<T>;
    }
  };

  const onGoal = (goal: rclnodejs.ActionGoal<RclActionType>): rclnodejs.GoalResponse => {
    let decision: 'accept' | 'reject' = 'accept';
    try {
      if (handlers.onGoal) decision = handlers.onGoal(goal as unknown as GoalOf<T>);
    } catch (cause) {
      ctx.reportError(callbackFailed(`goal handler of action '${name}'`, name, cause));
      decision = 'reject';
    }
    return decision === 'accept' && ctx.isAlive() ? rcl.GoalResponse.ACCEPT : rcl.GoalResponse.REJECT;
  };

  const onCancel = (gh?: RclGoalHandle): rclnodejs.CancelResponse => {
    if (!gh) return rcl.CancelResponse.REJECT;
    let decision: 'accept' | 'reject' = 'accept';
    try {
      if (handlers.onCancel) decision = handlers.onCancel(entryOf(gh).handle);
    } catch (cause) {
      ctx.reportError(callbackFailed(`cancel handler of action '${name}'`, name, cause));
      decision = 'reject';
    }
    return decision === 'accept' ? rcl.CancelResponse.ACCEPT : rcl.CancelResponse.REJECT;
  };

  withInterface(
    rcl,
    type,
    () => new rcl.ActionServer(ctx.rclNode, rclType, name, execute, onGoal, undefined, onCancel),
  );
  return { name };
}

/** How often a pending result checks that its action server still exists, in ms. */
const SERVER_CHECK_MS = 500;

/**
 * `result`, or a KZ_ERR_SERVICE_UNAVAILABLE rejection once the action server has been gone for two checks
 * in a row: rclnodejs's getResult() would otherwise wait forever for a destroyed server, and a dead
 * navigation server must never look like a goal still running (the in-process graph rejects the same way).
 */
function whileServerLives<R>(name: string, available: () => boolean, result: Promise<R>): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let misses = 0;
    const timer = setInterval(() => {
      let up = false;
      try {
        up = available();
      } catch {
        up = false;
      }
      misses = up ? 0 : misses + 1;
      if (misses >= 2) {
        clearInterval(timer);
        reject(
          new KizunaError(
            'KZ_ERR_SERVICE_UNAVAILABLE',
            `the server of action '${name}' went away before the goal ended`,
            { entity: name },
          ),
        );
      }
    }, SERVER_CHECK_MS);
    timer.unref();
    result.then(
      (r) => {
        clearInterval(timer);
        resolve(r);
      },
      (err: unknown) => {
        clearInterval(timer);
        reject(err);
      },
    );
  });
}

function terminalStatus(gh: rclnodejs.ClientGoalHandle<RclActionType>): GoalTerminalStatus {
  if (gh.isSucceeded()) return 'succeeded';
  if (gh.isCanceled()) return 'canceled';
  return 'aborted';
}

/** An action client: goals checked before sending, rejection as KZ_ERR_GOAL_REJECTED. */
export function createRclActionClient<T extends ActionTypeName>(
  ctx: EntityContext,
  type: T,
  name: string,
): ActionClient<T> {
  const def = actionDefinition(type);
  const rclType: RclActionType = type;
  const client = withInterface(ctx.rcl, type, () => new ctx.rcl.ActionClient(ctx.rclNode, rclType, name));
  const ready = (): boolean => ctx.isAlive() && client.isActionServerAvailable();

  const wrap = (gh: rclnodejs.ClientGoalHandle<RclActionType>): ClientGoalHandle<T> => {
    let outcome: Promise<GoalOutcome<T>> | undefined;
    return {
      goalId: uuidString(gh.goalId.uuid),
      result: () =>
        (outcome ??= ctx.pending.track(name, () =>
          whileServerLives(
            name,
            () => ctx.isAlive() && client.isActionServerAvailable(),
            gh.getResult().then((result) => ({
              // getResult() records the final status on the handle before it resolves.
              status: terminalStatus(gh),
              result: result as unknown as ResultOf<T>,
            })),
          ),
        )),
      cancel: () => ctx.pending.track(name, async () => (await gh.cancelGoal()).goals_canceling.length > 0),
    };
  };

  return {
    name,
    isServerReady: ready,
    waitForServer: (timeoutSec) =>
      Promise.resolve()
        .then(() => toMs(timeoutSec, `timeout of waitForServer('${name}')`))
        .then((ms) => waitUntilAvailable(ctx, name, () => client.waitForServer(ms))),
    sendGoal: (goal, onFeedback) => {
      const goalMsg = rclMessage(def.goal, goal, name);
      const feedback = onFeedback
        ? (fb: rclnodejs.ActionFeedback<RclActionType>): void =>
            invokeCallback(
              () => onFeedback(fb as unknown as FeedbackOf<T>),
              `feedback callback of action '${name}'`,
              name,
              ctx.reportError,
            )
        : undefined;
      // Tracked, as rclnodejs never settles it once the node is destroyed.
      return ctx.pending.track(name, async () => {
        if (!ready()) {
          throw new KizunaError('KZ_ERR_SERVICE_UNAVAILABLE', `no server for action '${name}' (${type})`, {
            entity: name,
          });
        }
        const gh = await client.sendGoal(goalMsg, feedback);
        if (!gh.isAccepted())
          throw new KizunaError('KZ_ERR_GOAL_REJECTED', `action '${name}' rejected the goal`, { entity: name });
        return wrap(gh);
      });
    },
  };
}
