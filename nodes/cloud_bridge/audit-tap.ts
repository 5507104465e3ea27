/**
 * What the bridge sends and receives, packet by packet, into the audit log (audit-log.ts). Attached to
 * each mqtt.js client before it connects. Every packet the client writes is announced by its
 * `packetsend` event and then written synchronously into the connection's stream, fixed header and
 * remaining length first: the tap reads that framing from the bytes written, so it knows the packet's
 * whole size before its body is handed on. mqtt-packet corks the stream and uncorks it on the next
 * tick; the tap asks the log for its flush tick before that (at `packetsend`), so the record is written
 * before any byte of the packet goes on the wire. A kill -9 can thus leave a record of a
 * packet that never left, never a packet that left unrecorded. Every packet read carries its remaining
 * length from the parser; it is recorded once parsed. The stream's own bytes written and read are the
 * bridge's byte counters of the connection, written in a `session` record when it ends: the audit
 * reader checks that the packets account for every one of them.
 *
 * MQTT 5 topic aliases (link.ts `topicAliases`): mqtt.js sends a topic in full with an alias the first
 * time, then an empty topic with that alias. The tap keeps each connection's alias → topic map per
 * direction, updated in packet order, so every PUBLISH record carries its full topic and category. A
 * new connection starts with empty maps, as the protocol does.
 */
import type { IPublishPacket, MqttClient, Packet } from 'mqtt';
import { TELEMETRY_EVENT_TYPES, type AuditCategory, type AuditDraft } from '../core/audit/record';
import type { RobotTopics } from '../core/contract';
import type { AuditLog } from './audit-log';
import type { VdaTopics } from './vda5050/types';

type PktDraft = Extract<AuditDraft, { k: 'pkt' }>;

const MQTT_CATEGORY: Readonly<Record<string, AuditCategory>> = {
  connect: 'mqtt_session',
  connack: 'mqtt_session',
  disconnect: 'mqtt_session',
  auth: 'mqtt_session',
  subscribe: 'mqtt_subscribe',
  suback: 'mqtt_subscribe',
  unsubscribe: 'mqtt_subscribe',
  unsuback: 'mqtt_subscribe',
  pingreq: 'mqtt_keepalive',
  pingresp: 'mqtt_keepalive',
  puback: 'mqtt_ack',
  pubrec: 'mqtt_ack',
  pubrel: 'mqtt_ack',
  pubcomp: 'mqtt_ack',
};

/** [bytes] of an MQTT variable byte integer encoding `n`. */
export function varIntBytes(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/** [bytes] of a whole packet whose remaining length is `remaining` (fixed header byte + length + rest). */
export function packetBytes(remaining: number): number {
  return 1 + varIntBytes(remaining) + remaining;
}

/** The event type and seq of an events payload (JSON), when it has them. */
function eventOf(payload: Buffer): { ev?: string; seq?: number } {
  try {
    const o = JSON.parse(payload.toString('utf8')) as { type?: unknown; seq?: unknown };
    return {
      ...(typeof o.type === 'string' ? { ev: o.type.slice(0, 64) } : {}),
      ...(Number.isInteger(o.seq) && (o.seq as number) >= 0 ? { seq: o.seq as number } : {}),
    };
  } catch {
    return {};
  }
}

/** The category of a PUBLISH on `topic` in direction `d`, with the event's type and seq for events. */
export function publishCategory(
  topic: string,
  d: 'out' | 'in',
  payload: Buffer,
  t: RobotTopics,
  vda?: VdaTopics,
): { c: AuditCategory; ev?: string; seq?: number } {
  if (vda) {
    // VDA 5050 mode: the same categories, by what each topic carries (docs/audit.md).
    if (d === 'out') {
      if (topic === vda.state) return { c: 'state' };
      if (topic === vda.connection || topic === vda.factsheet) return { c: 'status' };
      if (topic === vda.visualization) return { c: 'telemetry' };
      return { c: 'other' };
    }
    if (topic === vda.order || topic === vda.instantActions) return { c: 'decision' };
    return { c: 'other' };
  }
  if (d === 'out') {
    if (topic === t.state) return { c: 'state' };
    if (topic === t.status) return { c: 'status' };
    if (topic === t.decisionRequest) return { c: 'decision_request' };
    if (topic === t.events) {
      const e = eventOf(payload);
      return { c: e.ev !== undefined && TELEMETRY_EVENT_TYPES.has(e.ev) ? 'telemetry' : 'events', ...e };
    }
    return { c: 'other' };
  }
  if (topic === t.decision || topic === t.broadcastDecision) return { c: 'decision' };
  if (topic === t.eventsAck) return { c: 'events_ack' };
  return { c: 'other' };
}

/**
 * The full topic of a PUBLISH: its topic, registering its alias when it has one too; else the topic
 * its alias stands for in `aliases` (empty when the alias was never set on this connection).
 */
export function topicOf(packet: IPublishPacket, aliases: Map<number, string>): string {
  const topic = typeof packet.topic === 'string' ? packet.topic : String(packet.topic);
  const alias = packet.properties?.topicAlias;
  if (alias === undefined) return topic;
  if (topic.length > 0) {
    aliases.set(alias, topic);
    return topic;
  }
  return aliases.get(alias) ?? '';
}

const asBuffer = (p: unknown): Buffer =>
  Buffer.isBuffer(p) ? p : typeof p === 'string' ? Buffer.from(p) : Buffer.alloc(0);

/** The payload as the audit keeps it: UTF-8 text when it is that, else base64. */
function payloadFields(p: Buffer): { pl: string } | { pl64: string } {
  const s = p.toString('utf8');
  return Buffer.byteLength(s) === p.length && !s.includes('\uFFFD') ? { pl: s } : { pl64: p.toString('base64') };
}

/** One connection's counters, and where the outgoing byte stream is in its MQTT framing. */
interface Conn {
  out: number;
  in: number;
  po: number;
  pi: number;
  /** The packet announced by `packetsend`, recorded once its framing is read. */
  pending: Packet | undefined;
  /** The full topic of `pending` when it is a PUBLISH (resolved from its alias when it carries one). */
  pendingTopic: string;
  /** MQTT 5 topic aliases of this connection, each way: alias → topic. */
  aliasesOut: Map<number, string>;
  aliasesIn: Map<number, string>;
  /** Framing of the packet being written: 0 expects a fixed header, 1 its remaining length, 2 its body. */
  phase: 0 | 1 | 2;
  remaining: number;
  lenBytes: number;
  mult: number;
  wrapped: boolean;
  ended: boolean;
}

export interface AuditTapOptions {
  topics: RobotTopics;
  /** VDA 5050 mode: its topics are categorised instead of the contract's. */
  vda?: VdaTopics;
  /** Keep payloads in the log (audit_payloads). */
  payloads: boolean;
  /** A write error (reported once per failing spell). */
  onError: (text: string) => void;
}

/** Feeds the audit log from the bridge's MQTT clients; holds the bridge's own byte counters. */
export class AuditTap {
  /** [bytes] written into / read from every connection since start: the bridge's own counters. */
  bytesOut = 0;
  bytesIn = 0;
  private readonly conns = new Set<Conn>();

  constructor(
    private readonly log: AuditLog,
    private readonly o: AuditTapOptions,
  ) {}

  private append(d: AuditDraft): void {
    this.log.append(d, this.o.onError);
  }

  /** Taps `client`; call before it connects (mqtt.js `manualConnect`). */
  attach(client: MqttClient): void {
    const c: Conn = {
      out: 0,
      in: 0,
      po: 0,
      pi: 0,
      pending: undefined,
      pendingTopic: '',
      aliasesOut: new Map(),
      aliasesIn: new Map(),
      phase: 0,
      remaining: 0,
      lenBytes: 0,
      mult: 1,
      wrapped: false,
      ended: false,
    };
    this.conns.add(c);
    client.on('packetsend', (packet) => {
      // The stream exists from the first packet (CONNECT) on: count what goes into it and comes out.
      if (!c.wrapped) this.wrap(client, c);
      c.po++;
      c.pending = packet;
      // Resolved now: the aliases change in the order packets are sent.
      if (packet.cmd === 'publish') c.pendingTopic = topicOf(packet, c.aliasesOut);
      // Queued before mqtt-packet queues its uncork: the record is written before the packet leaves.
      this.log.flushSoon();
    });
    client.on('packetreceive', (packet) => {
      c.pi++;
      this.received(packet, packet.cmd === 'publish' ? topicOf(packet, c.aliasesIn) : '');
    });
  }

  private wrap(client: MqttClient, c: Conn): void {
    c.wrapped = true;
    const stream = client.stream as unknown as NodeJS.ReadWriteStream & {
      write: (chunk: unknown, enc?: unknown, cb?: unknown) => boolean;
    };
    const write = stream.write;
    stream.write = (chunk: unknown, enc?: unknown, cb?: unknown): boolean => {
      const e = typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8';
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk, e) : ((chunk as Uint8Array).byteLength ?? 0);
      c.out += n;
      this.bytesOut += n;
      if (c.phase === 2 && n < c.remaining) c.remaining -= n;
      else this.frame(c, typeof chunk === 'string' ? Buffer.from(chunk, e) : (chunk as Uint8Array));
      return write.call(stream, chunk, enc, cb);
    };
    stream.on('data', (d: Buffer) => {
      c.in += d.length;
      this.bytesIn += d.length;
    });
    stream.on('close', () => this.endConn(c));
  }

  /** Follows the MQTT framing through `bytes` written; records each packet once its size is known. */
  private frame(c: Conn, bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (c.phase === 2) {
        const take = Math.min(c.remaining, bytes.length - i);
        c.remaining -= take;
        i += take;
        if (c.remaining === 0) c.phase = 0;
        continue;
      }
      const byte = bytes[i++]!;
      if (c.phase === 0) {
        c.phase = 1;
        c.remaining = 0;
        c.lenBytes = 0;
        c.mult = 1;
        continue;
      }
      c.remaining += (byte & 0x7f) * c.mult;
      c.mult *= 128;
      c.lenBytes++;
      if (byte & 0x80 && c.lenBytes < 4) continue;
      const packet = c.pending;
      c.pending = undefined;
      this.sent(packet, c.pendingTopic, 1 + c.lenBytes + c.remaining);
      c.phase = c.remaining > 0 ? 2 : 0;
    }
  }

  private endConn(c: Conn): void {
    if (c.ended) return;
    c.ended = true;
    this.conns.delete(c);
    if (c.po + c.pi > 0) this.append({ k: 'session', out: c.out, in: c.in, po: c.po, pi: c.pi });
  }

  private sent(packet: Packet | undefined, topic: string, bytes: number): void {
    if (!packet) {
      // Bytes no packetsend announced (none expected from mqtt.js): still counted, as an unknown packet.
      this.append({ k: 'pkt', d: 'out', p: 'unknown', c: 'other', b: bytes });
      return;
    }
    const d: PktDraft = { k: 'pkt', d: 'out', p: packet.cmd, c: MQTT_CATEGORY[packet.cmd] ?? 'other', b: bytes };
    if (packet.cmd === 'publish') this.publish(d, topic, asBuffer(packet.payload), packet.qos, packet.retain);
    else if (packet.cmd === 'subscribe') d.topic = packet.subscriptions.map((s) => s.topic).join(' ');
    this.append(d);
  }

  private received(packet: Packet, topic: string): void {
    const bytes = packetBytes(packet.length ?? 0);
    const d: PktDraft = { k: 'pkt', d: 'in', p: packet.cmd, c: MQTT_CATEGORY[packet.cmd] ?? 'other', b: bytes };
    if (packet.cmd === 'publish') this.publish(d, topic, asBuffer(packet.payload), packet.qos, packet.retain);
    this.append(d);
  }

  private publish(d: PktDraft, topic: string, payload: Buffer, qos: number, retain: boolean | undefined): void {
    const cat = publishCategory(topic, d.d, payload, this.o.topics, this.o.vda);
    d.c = cat.c;
    d.topic = topic;
    d.pb = payload.length;
    d.q = qos;
    if (retain) d.r = true;
    if (cat.ev !== undefined) d.ev = cat.ev;
    if (cat.seq !== undefined) d.seq = cat.seq;
    if (this.o.payloads) Object.assign(d, payloadFields(payload));
  }

  /** Records that the data policy removed `removed` from a message of category `c` before sending it. */
  policy(c: AuditCategory, removed: string[], ev?: string): void {
    if (removed.length === 0) return;
    this.append({ k: 'policy', c, removed, ...(ev ? { ev } : {}) });
  }

  /** Records that a message of category `c` was not sent, and why. */
  refused(c: AuditCategory, reason: string, what: string): void {
    this.append({ k: 'refused', c, reason, what: what.slice(0, 256) });
  }

  /** Writes the `session` record of every connection still open (at the bridge's stop). */
  finish(): void {
    for (const c of [...this.conns]) this.endConn(c);
  }
}
