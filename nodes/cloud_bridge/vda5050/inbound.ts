/**
 * Inbound VDA 5050 messages, from bytes to a checked order or list of instant actions, or the
 * validationError to report: not retained, within max_inbound_bytes, UTF-8 JSON, valid against the
 * official 2.0 schema (schemas.ts), addressed to this vehicle (manufacturer, serialNumber) in a 2.x
 * version. Pure.
 *
 * instantActions: the 2.0 schema names the list `actions`; vda-5050-lib 1.4.0 (and master controls
 * built on it) send `instantActions`. A message with only `instantActions` is read as if it said
 * `actions`, so master controls built either way are understood (docs/vda5050.md).
 */
import { schemaIssues, type VdaTopic } from './schemas';
import type { ErrorReference, VdaAction, VdaOrder } from './types';

export interface InboundContext {
  retained: boolean;
  /** [bytes] larger payloads are refused. */
  maxBytes: number;
  manufacturer: string;
  serialNumber: string;
}

export type Refused = { ok: false; description: string; refs: ErrorReference[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

const ref = (referenceKey: string, referenceValue: unknown): ErrorReference => ({
  referenceKey,
  referenceValue: String(referenceValue).slice(0, 128),
});

/** The references of a refused message: its topic, and its headerId and orderId when it has them. */
function refsOf(topic: VdaTopic, obj: unknown): ErrorReference[] {
  const refs = [ref('topic', topic)];
  if (obj && typeof obj === 'object') {
    const o = obj as Record<string, unknown>;
    if (Number.isInteger(o.headerId)) refs.push(ref('headerId', o.headerId));
    if (typeof o.orderId === 'string') refs.push(ref('orderId', o.orderId));
    if (Number.isInteger(o.orderUpdateId)) refs.push(ref('orderUpdateId', o.orderUpdateId));
  }
  return refs;
}

/** The object of a message on `topic`, checked up to its schema; or why it is refused. */
function parse(
  topic: VdaTopic,
  payload: Uint8Array,
  ctx: InboundContext,
  normalise?: (o: Record<string, unknown>) => Record<string, unknown>,
): { ok: true; obj: Record<string, unknown> } | Refused {
  const refused = (description: string, obj?: unknown): Refused => ({
    ok: false,
    description,
    refs: refsOf(topic, obj),
  });
  if (ctx.retained) return refused(`a retained ${topic} message: it would run again at every connect; not taken`);
  if (payload.byteLength > ctx.maxBytes) return refused(`${payload.byteLength} bytes, more than ${ctx.maxBytes}`);
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(payload));
  } catch (err) {
    return refused(`not UTF-8 JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return refused('not a JSON object');
  const obj = normalise ? normalise(raw as Record<string, unknown>) : (raw as Record<string, unknown>);
  const issues = schemaIssues(topic, obj);
  if (issues.length > 0) {
    return refused(
      `schema (VDA 5050 2.0 ${topic}): ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`.slice(0, 512),
      obj,
    );
  }
  if (obj.manufacturer !== ctx.manufacturer || obj.serialNumber !== ctx.serialNumber) {
    return refused(
      `addressed to ${String(obj.manufacturer)}/${String(obj.serialNumber)}, this vehicle is ${ctx.manufacturer}/${ctx.serialNumber}`,
      obj,
    );
  }
  if (!/^2\.\d+\.\d+$/.test(String(obj.version))) {
    return refused(`version '${String(obj.version)}': this vehicle speaks VDA 5050 2.x`, obj);
  }
  return { ok: true, obj };
}

/** An order message: the order, or the validationError to report. */
export function readOrder(payload: Uint8Array, ctx: InboundContext): { ok: true; order: VdaOrder } | Refused {
  const r = parse('order', payload, ctx);
  return r.ok ? { ok: true, order: r.obj as unknown as VdaOrder } : r;
}

/** An instantActions message: its actions, or the validationError to report. */
export function readInstantActions(
  payload: Uint8Array,
  ctx: InboundContext,
): { ok: true; actions: VdaAction[] } | Refused {
  const r = parse('instantActions', payload, ctx, (o) => {
    if (o.actions === undefined && Array.isArray(o.instantActions)) {
      const { instantActions, ...rest } = o;
      return { ...rest, actions: instantActions };
    }
    return o;
  });
  return r.ok ? { ok: true, actions: r.obj.actions as VdaAction[] } : r;
}
