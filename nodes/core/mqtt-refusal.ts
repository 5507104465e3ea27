/**
 * A broker's refusal of a CONNECT, from the CONNACK's code to words an operator acts on (pure). MQTT.js
 * reports a refusal as an error whose `code` is the CONNACK reason code (MQTT 5) or return code (3.1.1);
 * a 3.1.1-only broker answering an MQTT 5 CONNECT sends a 3.1.1 CONNACK with return code 1, which a
 * client speaking 5 reads as code 1 too. Every kizuna MQTT client reports refusals through
 * {@link connackRefusal}, so the log, BridgeStatus, `kizuna doctor` and the sim's report say the same.
 */

/** What a refusal is about: the remedy differs. */
export type RefusalKind = 'protocol_version' | 'client_id' | 'credentials' | 'not_authorized' | 'unavailable' | 'other';

export interface ConnackRefusal {
  /** The CONNACK code as received (3.1.1 return code 1..5, or MQTT 5 reason code ≥ 0x80). */
  code: number;
  /** The code's name in the MQTT specification. */
  reason: string;
  kind: RefusalKind;
  /** One line: what to change. */
  fix: string;
}

/** 3.1.1 return codes (MQTT 3.1.1 §3.2.2.3). */
const V311: Record<number, [string, RefusalKind]> = {
  1: ['unacceptable protocol version', 'protocol_version'],
  2: ['identifier rejected', 'client_id'],
  3: ['server unavailable', 'unavailable'],
  4: ['bad user name or password', 'credentials'],
  5: ['not authorized', 'not_authorized'],
};

/** MQTT 5 CONNACK reason codes (MQTT 5.0 §3.2.2.2). */
const V5: Record<number, [string, RefusalKind]> = {
  0x80: ['unspecified error', 'other'],
  0x81: ['malformed packet', 'other'],
  0x82: ['protocol error', 'other'],
  0x83: ['implementation specific error', 'other'],
  0x84: ['unsupported protocol version', 'protocol_version'],
  0x85: ['client identifier not valid', 'client_id'],
  0x86: ['bad user name or password', 'credentials'],
  0x87: ['not authorized', 'not_authorized'],
  0x88: ['server unavailable', 'unavailable'],
  0x89: ['server busy', 'unavailable'],
  0x8a: ['banned', 'not_authorized'],
  0x8c: ['bad authentication method', 'credentials'],
  0x95: ['packet too large', 'other'],
  0x97: ['quota exceeded', 'unavailable'],
  0x99: ['payload format invalid', 'other'],
  0x9a: ['retain not supported', 'other'],
  0x9b: ['QoS not supported', 'other'],
  0x9c: ['use another server', 'unavailable'],
  0x9d: ['server moved', 'unavailable'],
  0x9f: ['connection rate exceeded', 'unavailable'],
};

const FIXES: Record<RefusalKind, string> = {
  protocol_version:
    'the broker does not speak this MQTT version: set mqtt_version (cloud_bridge) or --mqtt-version 3.1.1 (sim)',
  client_id:
    'the broker refused the client id: check client_id (default <fleet>.<robot_id>) against its rules and ACL (docs/security.md)',
  credentials: 'the broker refused the credentials: check username / password_file or the client certificate',
  not_authorized:
    'the broker does not authorise this client: check its ACL / roster (kizuna broker-acl) and that the certificate CN is <fleet>.<robot_id>',
  unavailable: 'the broker is up but not serving (busy, a backup not yet active, moved): the next URL is tried',
  other: 'see the broker log for why it refused the CONNECT',
};

/** Hex of a reason code as the specification writes it (0x84). */
export function hexCode(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The refusal described by an MQTT.js connect error, or undefined when `err` is not a CONNACK refusal
 * (a socket error, a timeout). MQTT.js words them "Connection refused: <name>" with the numeric code.
 */
export function connackRefusal(err: unknown): ConnackRefusal | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== 'number' || !/^Connection refused/i.test(err.message)) return undefined;
  const known = code < 0x80 ? V311[code] : V5[code];
  const [reason, kind] = known ?? [err.message.replace(/^Connection refused:\s*/i, '') || 'unknown', 'other' as const];
  return { code, reason, kind, fix: FIXES[kind] };
}

/** One line for logs and reports: `CONNACK refused 0x86 bad user name or password`. */
export function refusalText(r: ConnackRefusal): string {
  return `CONNACK refused ${hexCode(r.code)} ${r.reason}`;
}
