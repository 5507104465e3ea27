/**
 * Runs user callbacks so that neither a throw nor a rejected promise escapes into the executor:
 * both become a KZ_ERR_CALLBACK_FAILED report, and the graph keeps delivering.
 */
import { KizunaError } from '../errors';

/** The message of a thrown value, whatever was thrown. */
export function errorText(cause: unknown): string {
  return (cause as Error)?.message ?? String(cause);
}

/** The KZ_ERR_CALLBACK_FAILED error for a user callback (`what`) on `entity` that threw `cause`. */
export function callbackFailed(what: string, entity: string, cause: unknown): KizunaError {
  return new KizunaError('KZ_ERR_CALLBACK_FAILED', `${what} threw: ${errorText(cause)}`, { entity }, { cause });
}

/**
 * Passes a callback failure to `report`. Reporters are the nodes' own (they catch a throwing 'error'
 * listener and log it); should one still throw, it is dropped here rather than crash the process from a
 * promise rejection or the executor.
 */
function reportFailure(report: (err: KizunaError) => void, what: string, entity: string, cause: unknown): void {
  try {
    report(callbackFailed(what, entity, cause));
  } catch {
    // Last line of defence: nothing may escape a callback.
  }
}

function watchPromise(out: unknown, what: string, entity: string, report: (err: KizunaError) => void): void {
  if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
    (out as PromiseLike<unknown>).then(undefined, (cause: unknown) => reportFailure(report, what, entity, cause));
  }
}

/** Calls `fn`; a throw, or a rejection of the promise it returns, is passed to `report` instead. */
export function invokeCallback(
  fn: () => unknown,
  what: string,
  entity: string,
  report: (err: KizunaError) => void,
): void {
  try {
    watchPromise(fn(), what, entity, report);
  } catch (cause) {
    reportFailure(report, what, entity, cause);
  }
}

/** `invokeCallback` for a callback of one argument, without a closure per call (the delivery hot path). */
export function invokeWith<A>(
  fn: (arg: A) => unknown,
  arg: A,
  what: string,
  entity: string,
  report: (err: KizunaError) => void,
): void {
  try {
    const out = fn(arg);
    if (out !== undefined) watchPromise(out, what, entity, report);
  } catch (cause) {
    reportFailure(report, what, entity, cause);
  }
}

/**
 * A node's error reporter: emits `err` to the node's 'error' listeners, or logs it when there are none. A
 * listener that throws is logged with the error it was handling; it never propagates.
 */
export function nodeErrorReporter(
  fqn: string,
  listenerCount: () => number,
  emit: (err: KizunaError) => void,
  logger: { error(msg: string, meta?: Record<string, unknown>): unknown },
): (err: KizunaError) => void {
  return (err) => {
    err.context.node ??= fqn;
    if (listenerCount() > 0) {
      try {
        emit(err);
        return;
      } catch (listenerErr) {
        logger.error(`an 'error' listener of node '${fqn}' threw: ${errorText(listenerErr)}`, {
          code: 'KZ_ERR_CALLBACK_FAILED',
          entity: 'error listener',
        });
      }
    }
    logger.error(err.message, { code: err.code, entity: err.context.entity });
  };
}
