/**
 * Outbound payloads checked against the contract before they leave: the retained status (birth,
 * will, shutdown), any payload by its zod schema and size, and the MQTT 5 properties of outbox rows.
 */
import type { z } from 'zod';
import { KizunaError } from '../core/errors';
import { kizunaVersion } from '../core/version';
import { taskNames, type ProfileName } from '../core/profiles';
import { CONTRACT_VERSION, DECISION_KINDS, statusSchema, type RobotTopics, type Status } from '../core/contract';
import type { Params } from './params';

/**
 * The JSON bytes of `value` when it matches `schema` and fits in `maxBytes`; otherwise undefined,
 * after `onError` got a KZ_ERR_CONTRACT_INVALID line naming `what` and why (an outbound mismatch is a bug).
 */
export function encodeChecked<S extends z.ZodType>(
  schema: S,
  value: z.input<S>,
  what: string,
  maxBytes: number,
  onError: (text: string) => void,
): Buffer | undefined {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    onError(
      `KZ_ERR_CONTRACT_INVALID: outbound ${what} does not match the contract: ${i?.path.map(String).join('.')}: ${i?.message}`,
    );
    return undefined;
  }
  const buf = Buffer.from(JSON.stringify(value));
  if (buf.byteLength > maxBytes) {
    onError(`KZ_ERR_CONTRACT_INVALID: outbound ${what} of ${buf.byteLength} bytes exceeds max_outbound_bytes`);
    return undefined;
  }
  return buf;
}

/** The retained status payload: `online` (the birth, with capabilities) or `offline` with its reason. */
export function statusPayload(
  p: Params,
  maxSpeedMps: number,
  atMs: number,
  status: 'online' | 'offline',
  reason: 'connection_lost' | 'shutdown' | undefined,
  onError: (text: string) => void,
): Buffer {
  const s: Status = { v: CONTRACT_VERSION, robotId: p.robot_id, fleet: p.fleet, status, at: atMs };
  if (reason) s.reason = reason;
  if (status === 'online') {
    s.software = (p.software_version || kizunaVersion()).slice(0, 64);
    s.profile = p.profile;
    s.capabilities = [
      ...DECISION_KINDS.filter((k) => k !== 'perform_task'),
      ...taskNames(p.profile as ProfileName).map((t) => `perform_task:${t}`),
    ];
    s.maxSpeed = maxSpeedMps;
  }
  const out = encodeChecked(statusSchema, s, 'status', p.max_outbound_bytes, onError);
  if (!out) throw new KizunaError('KZ_ERR_CONTRACT_INVALID', 'status payload does not match the contract');
  return out;
}

/** MQTT 5 properties of an outbox row: JSON, and for a decision request the response topic and correlation data. */
export function outboxProperties(topic: string, payload: Buffer, topics: RobotTopics): Record<string, unknown> {
  const props: Record<string, unknown> = { contentType: 'application/json' };
  if (topic === topics.decisionRequest) {
    props.responseTopic = topics.decision;
    try {
      props.correlationData = Buffer.from(
        String((JSON.parse(payload.toString('utf8')) as { requestId: string }).requestId),
      );
    } catch {
      // A stored request is always JSON; without one the request still goes, uncorrelated.
    }
  }
  return props;
}
