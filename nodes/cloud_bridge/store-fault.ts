/**
 * The outbox store refusing a write (the filesystem full, an I/O error): a KZ_ERR_BRIDGE_STORE line for
 * BridgeStatus.last_error and the log, and the `cloud_bridge: outbox store` diagnostics entry that
 * health reports as fault CLOUD_OUTBOX_STORE_FULL (or CLOUD_OUTBOX_STORE_FAILED) while it lasts.
 */
export const STORE_DIAGNOSTIC_NAME = 'cloud_bridge: outbox store';
export const STORE_FULL_FAULT_CODE = 'CLOUD_OUTBOX_STORE_FULL';
export const STORE_FAILED_FAULT_CODE = 'CLOUD_OUTBOX_STORE_FAILED';

const LEVEL_OK = 0;
const LEVEL_ERROR = 2;

export interface StoreFault {
  code: typeof STORE_FULL_FAULT_CODE | typeof STORE_FAILED_FAULT_CODE;
  text: string;
}

/** The fault of a failed outbox write of `what` (e.g. "event decision_accepted") to the store at `path`. */
export function storeFault(err: unknown, path: string, what: string): StoreFault {
  const sqlite = (err as { code?: unknown }).code;
  const code = typeof sqlite === 'string' ? sqlite : 'error';
  if (code === 'SQLITE_FULL') {
    return {
      code: STORE_FULL_FAULT_CODE,
      text: `KZ_ERR_BRIDGE_STORE: the outbox store '${path}' is out of disk space (SQLITE_FULL): ${what} not stored; free space on its filesystem (what is already in the outbox is kept and sent)`,
    };
  }
  return {
    code: STORE_FAILED_FAULT_CODE,
    text: `KZ_ERR_BRIDGE_STORE: the outbox store '${path}' refused a write (${code}: ${(err as Error).message}): ${what} not stored`,
  };
}

/** The diagnostics entry of the store: ERROR naming the fault while `fault` is set, OK otherwise. */
export function storeDiagnostic(
  fault: StoreFault | undefined,
  path: string,
): {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: Array<{ key: string; value: string }>;
} {
  return fault
    ? {
        level: LEVEL_ERROR,
        name: STORE_DIAGNOSTIC_NAME,
        message: fault.text.slice(0, 500),
        hardware_id: path,
        values: [{ key: 'fault_code', value: fault.code }],
      }
    : { level: LEVEL_OK, name: STORE_DIAGNOSTIC_NAME, message: 'outbox store writable', hardware_id: path, values: [] };
}
