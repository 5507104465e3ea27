/**
 * The cloud bridge's audit log: one JSON line per record, in numbered files `audit-NNNNNN.jsonl`, each
 * record chained to the one before it by SHA-256 (across files too). Written by
 * nodes/cloud_bridge/audit-log.ts, read and checked by `kizuna audit` (read.ts). No payload is kept
 * unless the owner asks for it (`audit_payloads`).
 *
 * Which bytes are counted: `b` of a `pkt` record is the whole MQTT control packet (fixed header,
 * variable header, payload) as the bridge wrote it into, or read it from, its connection to the broker.
 * Their sum is the MQTT byte stream: on plain TCP exactly the bytes on the wire (what the sim's link
 * proxy counts); TLS records and WebSocket frames around it are not counted. `pb` is the application
 * payload of a PUBLISH alone (what the contract's size limits speak of).
 */
import { hash as oneShotHash } from 'node:crypto';
import { z } from 'zod';

/** Format version written in every file's `open` record. */
export const AUDIT_FORMAT = 1;

/** The hash the first record of a log chains to. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Data-policy categories of what crosses the link. Application messages by contract topic (events split
 * into the policy's event and telemetry classes, as the outbox drops them), then MQTT's own packets.
 */
export const AUDIT_CATEGORIES = {
  status: 'robot → cloud: online / offline status (retained birth, will, shutdown); VDA 5050: connection and factsheet',
  state:
    'robot → cloud: the compact state (pose as the policy rounds it, speed, battery, safety, decision); VDA 5050: state',
  events: 'robot → cloud: events (decisions accepted, started, ended, rejected; safety; faults; loss)',
  telemetry:
    'robot → cloud: telemetry-class events (decision_progress, health), dropped first when the outbox is full; VDA 5050: visualization',
  decision_request: 'robot → cloud: a request for the next decision',
  decision:
    'cloud → robot: a decision (to this robot or fleet-wide), before validation; VDA 5050: order and instantActions',
  events_ack: "cloud → robot: the national side's acknowledgement of events",
  mqtt_session: 'both ways: MQTT CONNECT (client id, credentials, the offline will), CONNACK, DISCONNECT, AUTH',
  mqtt_subscribe: 'both ways: MQTT SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK (the decision and ack topics)',
  mqtt_keepalive: 'both ways: MQTT PINGREQ / PINGRESP',
  mqtt_ack: 'both ways: MQTT PUBACK / PUBREC / PUBREL / PUBCOMP (delivery receipts, no data)',
  other: 'a PUBLISH on a topic outside the contract (none is expected)',
} as const;
export type AuditCategory = keyof typeof AUDIT_CATEGORIES;
export const AUDIT_CATEGORY_NAMES = Object.keys(AUDIT_CATEGORIES) as AuditCategory[];

/** Event types of the telemetry class (the outbox drops them first; cloud_bridge node.ts). */
export const TELEMETRY_EVENT_TYPES: ReadonlySet<string> = new Set(['decision_progress', 'health']);

const hash = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().min(0);
const base = { n: z.number().int().min(1), t: z.number().int().min(0) };

/** Every record kind. `n` counts records from 1 across files; `t` is wall-clock ms since the epoch. */
export const auditRecordSchema = z.discriminatedUnion('k', [
  z.object({
    ...base,
    k: z.literal('open'),
    v: z.number().int(),
    robot: z.string(),
    fleet: z.string(),
    file: z.string(),
    /** The last hash of the file before (its name in `prev`); GENESIS_HASH for the first file. */
    ph: hash,
    prev: z.string(),
  }),
  z.object({
    ...base,
    k: z.literal('start'),
    profile: z.string(),
    policy: z.record(z.string(), z.union([z.number(), z.boolean()])),
    payloads: z.boolean(),
  }),
  z.object({
    ...base,
    k: z.literal('pkt'),
    d: z.enum(['out', 'in']),
    /** MQTT packet type (mqtt.js `cmd`). */
    p: z.string(),
    c: z.enum(AUDIT_CATEGORY_NAMES as [AuditCategory, ...AuditCategory[]]),
    /** [bytes] the whole MQTT packet. */
    b: count,
    topic: z.string().optional(),
    /** [bytes] PUBLISH payload. */
    pb: count.optional(),
    q: z.number().int().min(0).max(2).optional(),
    r: z.boolean().optional(),
    ev: z.string().optional(),
    seq: count.optional(),
    /** The payload (audit_payloads): UTF-8 text, or base64 in `pl64` when it is not UTF-8. */
    pl: z.string().optional(),
    pl64: z.string().optional(),
  }),
  z.object({
    ...base,
    k: z.literal('policy'),
    c: z.string(),
    ev: z.string().optional(),
    /** Fields the data policy (or the state's size budget) removed before the message was sent. */
    removed: z.array(z.string()),
  }),
  z.object({
    ...base,
    k: z.literal('refused'),
    c: z.string(),
    reason: z.string(),
    what: z.string(),
  }),
  z.object({
    ...base,
    k: z.literal('session'),
    /** [bytes] the bridge's own counters of one connection: written into it, read from it. */
    out: count,
    in: count,
    /** [count] packets written and read on it (each has its `pkt` record). */
    po: count,
    pi: count,
  }),
  z.object({ ...base, k: z.literal('gap'), packets: count, bytes: count, why: z.string() }),
  z.object({ ...base, k: z.literal('recovered'), file: z.string(), bytes: count }),
]);
export type AuditRecord = z.infer<typeof auditRecordSchema>;
/** A record before the log numbers, dates and chains it. */
export type AuditDraft = DistributiveOmit<AuditRecord, 'n' | 't' | 'h'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** `audit-000042.jsonl` for segment 42. */
export function auditFileName(segment: number): string {
  return `audit-${String(segment).padStart(6, '0')}.jsonl`;
}

/** The segment number of an audit file name, or undefined for any other name. */
export function auditSegmentOf(name: string): number | undefined {
  const m = /^audit-(\d{6,})\.jsonl$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** SHA-256 (hex) chaining `body` (a record's JSON without `h`) to the hash before it. */
export function chainHash(prevHash: string, body: string): string {
  return oneShotHash('sha256', `${prevHash}\n${body}`, 'hex');
}

/**
 * The line of record number `n` at `t` [ms since epoch] with the fields of `draft`: its JSON (`n`, `t`,
 * then the draft's keys) with `h` appended as the last key, and a newline.
 */
export function recordLine(
  prevHash: string,
  n: number,
  t: number,
  draft: Record<string, unknown>,
): { line: string; hash: string } {
  const body = `{"n":${n},"t":${t},${JSON.stringify(draft).slice(1)}`;
  const h = chainHash(prevHash, body);
  return { line: `${body.slice(0, -1)},"h":"${h}"}\n`, hash: h };
}

/** Length of `,"h":"<64 hex>"}` at the end of every line. */
const SUFFIX = 72;
const SUFFIX_RE = /,"h":"([0-9a-f]{64})"\}$/;

/**
 * Splits a line (without its newline) into the JSON that was hashed and the hash it carries, or says
 * why it is not an audit line.
 */
export function splitLine(line: string): { body: string; h: string } | { error: string } {
  const m = SUFFIX_RE.exec(line);
  if (!m || line.length <= SUFFIX + 1 || line[0] !== '{') return { error: 'not an audit record (no hash at its end)' };
  return { body: `${line.slice(0, -SUFFIX)}}`, h: m[1]! };
}
