/**
 * The MQTT contract's version. Every payload carries it as `v: "MAJOR.MINOR"`. A minor version only
 * adds optional fields; a robot rejects a decision whose major version it does not speak
 * (UNSUPPORTED_VERSION). 1.1 added the signed `fleetId` of a decision; 1.2 the end-to-end acknowledgement
 * of events (`events/ack`), the outbox `epoch` of events and the loss event's `floorSeq`; 1.3 the local pause events
 * (`paused_by_person`, `resumed_by_person`) (docs/contract.md).
 */
export const CONTRACT_MAJOR = 1;
export const CONTRACT_MINOR = 3;
/** `"1.3"`: what this code writes in `v`. */
export const CONTRACT_VERSION = `${CONTRACT_MAJOR}.${CONTRACT_MINOR}` as const;

/** The major version of a `v` string (`"1.3"` → 1), or undefined when `v` is not `MAJOR.MINOR`. */
export function majorOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{1,4})\.(\d{1,4})$/.exec(v);
  return m ? Number(m[1]) : undefined;
}
