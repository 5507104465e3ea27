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

/** Calls `fn`; a throw, or a rejection of the promise it returns, is passed to `report` instead. */
export function invokeCallback(
  fn: () => unknown,
  what: string,
  entity: string,
  report: (err: KizunaError) => void,
): void {
  const fail = (cause: unknown): void => report(callbackFailed(what, entity, cause));
  try {
    const out = fn();
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      (out as PromiseLike<unknown>).then(undefined, fail);
    }
  } catch (cause) {
    fail(cause);
  }
}
