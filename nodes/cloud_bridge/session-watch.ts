/**
 * Notices another client using this robot's MQTT identity: sessions the broker ends with "session
 * taken over" (MQTT 5 reason 0x8E: a client connected with the same client id) or that end, not by
 * our own disconnect, sooner than a short-session threshold (MQTT 3.1.1 has no DISCONNECT from the
 * broker, so a takeover there is only a dropped socket). Enough of them inside a window is reported
 * as a possible takeover: on the shipped broker the client id is forced from the certificate, so only
 * a copy of this robot's own credential can do it. Pure: times are arguments [ms], no clock reads.
 */

/** MQTT 5 DISCONNECT reason code the broker sends when another client connects with the same client id. */
export const SESSION_TAKEN_OVER = 0x8e;

/** MQTT 5 reason codes a broker may send in DISCONNECT (OASIS MQTT 5.0, 3.14.2.1). */
const DISCONNECT_REASONS: Readonly<Record<number, string>> = {
  0x00: 'normal disconnection',
  0x04: 'disconnect with will message',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x87: 'not authorized',
  0x89: 'server busy',
  0x8b: 'server shutting down',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over',
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x93: 'receive maximum exceeded',
  0x94: 'topic alias invalid',
  0x95: 'packet too large',
  0x96: 'message rate too high',
  0x97: 'quota exceeded',
  0x98: 'administrative action',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9e: 'shared subscriptions not supported',
  0x9f: 'connection rate exceeded',
  0xa0: 'maximum connect time',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

/** `0x8E session taken over`-style text for a DISCONNECT reason code; `no DISCONNECT` when the broker sent none. */
export function disconnectReasonText(code: number | undefined): string {
  if (code === undefined) return 'no DISCONNECT from the broker (connection closed)';
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return `${hex} ${DISCONNECT_REASONS[code] ?? 'unknown reason code'}`;
}

export interface SessionWatchParams {
  /** [count] suspicious session ends within `windowMs` that make a possible takeover; 0 disables. */
  sessions: number;
  /** [ms] how far back suspicious session ends count. */
  windowMs: number;
  /** [ms] a session that ends sooner than this (not by our own disconnect) is suspicious; 0: only 0x8E counts. */
  shortSessionMs: number;
}

/** Why a session end counted: the broker said it was taken over, or it was short. */
export type SuspicionKind = 'taken_over' | 'short';

/** One session end, as classified. */
export interface SessionEnd {
  /** [ms] how long the session lasted. */
  durationMs: number;
  reasonCode: number | undefined;
  /** Why it counts towards a takeover; undefined: it does not. */
  suspicious: SuspicionKind | undefined;
}

/** What the watch concludes at one time. */
export interface TakeoverVerdict {
  suspected: boolean;
  /** [count] session ends within the window ended with 0x8E. */
  takenOver: number;
  /** [count] other short session ends within the window. */
  short: number;
  /** The last session end (its DISCONNECT reason code, if the broker sent one); undefined before the first. */
  lastEnd: SessionEnd | undefined;
  /** One line for logs and health. */
  message: string;
}

export class SessionWatch {
  private startedMs: number | undefined;
  private readonly ends: Array<{ atMs: number; kind: SuspicionKind }> = [];
  private lastEnd: SessionEnd | undefined;

  constructor(private readonly p: SessionWatchParams) {}

  /** A session started (CONNACK) at `nowMs`. */
  onConnected(nowMs: number): void {
    this.startedMs = nowMs;
  }

  /**
   * The session that started at the last `onConnected` ended at `nowMs` (not by our own disconnect),
   * with the broker's DISCONNECT reason code if it sent one. Returns how it was classified.
   */
  onEnded(nowMs: number, reasonCode: number | undefined): SessionEnd {
    const durationMs = this.startedMs === undefined ? 0 : Math.max(0, nowMs - this.startedMs);
    this.startedMs = undefined;
    const suspicious: SuspicionKind | undefined =
      reasonCode === SESSION_TAKEN_OVER
        ? 'taken_over'
        : this.p.shortSessionMs > 0 && durationMs < this.p.shortSessionMs
          ? 'short'
          : undefined;
    if (suspicious) this.ends.push({ atMs: nowMs, kind: suspicious });
    this.prune(nowMs);
    this.lastEnd = { durationMs, reasonCode, suspicious };
    return this.lastEnd;
  }

  /** The verdict at `nowMs`: a possible takeover while `sessions` suspicious ends lie within the window. */
  verdict(nowMs: number): TakeoverVerdict {
    this.prune(nowMs);
    let takenOver = 0;
    for (const e of this.ends) if (e.kind === 'taken_over') takenOver++;
    const short = this.ends.length - takenOver;
    const suspected = this.p.sessions > 0 && this.ends.length >= this.p.sessions;
    const windowS = Math.round(this.p.windowMs / 1000);
    const seen =
      `${takenOver} session(s) ended "session taken over" (0x8E) and ${short} other session(s) ` +
      `shorter than ${this.p.shortSessionMs / 1000} s within ${windowS} s`;
    const message = suspected
      ? `possible session takeover: ${seen}; another client may be using this robot's credential (revoke it: docs/security.md)`
      : seen;
    return { suspected, takenOver, short, lastEnd: this.lastEnd, message };
  }

  private prune(nowMs: number): void {
    const from = nowMs - this.p.windowMs;
    while (this.ends.length > 0 && this.ends[0]!.atMs <= from) this.ends.shift();
  }
}

/** The health fault code a possible takeover is reported under (health takes it from the diagnostics entry). */
export const TAKEOVER_FAULT_CODE = 'CLOUD_SESSION_TAKEOVER';
/** The health fault code of a broker refusing the CONNECT (protocol version, client id, credentials, ACL). */
export const REFUSED_FAULT_CODE = 'CLOUD_BROKER_REFUSED';
/** Name of the bridge's diagnostics entry about its MQTT session. */
export const SESSION_DIAGNOSTIC_NAME = 'cloud_bridge: mqtt session';

/** diagnostic_msgs/DiagnosticStatus levels used here (OK 0, WARN 1, ERROR 2). */
const LEVEL_OK = 0;
const LEVEL_WARN = 1;
const LEVEL_ERROR = 2;

/** A broker's refusal of the last CONNECT, as the diagnostics entry reports it. */
export interface RefusalReport {
  url: string;
  /** CONNACK code (3.1.1 return code or MQTT 5 reason code). */
  code: number;
  /** e.g. `CONNACK refused 0x84 unsupported protocol version`. */
  text: string;
  fix: string;
}

/**
 * The diagnostics entry for `verdict`: ERROR with `fault_code` CLOUD_BROKER_REFUSED while the broker
 * refuses every CONNECT (`refusal`, cleared by the next connect), else WARN with CLOUD_SESSION_TAKEOVER
 * while a takeover is suspected (health turns either into that fault), OK otherwise; the counts as values.
 */
export function sessionDiagnostic(
  verdict: TakeoverVerdict,
  clientId: string,
  refusal?: RefusalReport,
): {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: Array<{ key: string; value: string }>;
} {
  const values = [
    { key: 'taken_over', value: String(verdict.takenOver) },
    { key: 'short_sessions', value: String(verdict.short) },
    {
      key: 'last_disconnect_reason',
      value: verdict.lastEnd ? disconnectReasonText(verdict.lastEnd.reasonCode) : 'no session ended yet',
    },
  ];
  if (refusal) {
    values.unshift(
      { key: 'fault_code', value: REFUSED_FAULT_CODE },
      { key: 'connack_code', value: String(refusal.code) },
      { key: 'broker_url', value: refusal.url },
      { key: 'fix', value: refusal.fix },
    );
    return {
      level: LEVEL_ERROR,
      name: SESSION_DIAGNOSTIC_NAME,
      message: `${refusal.url}: ${refusal.text}`,
      hardware_id: clientId,
      values,
    };
  }
  if (verdict.suspected) values.unshift({ key: 'fault_code', value: TAKEOVER_FAULT_CODE });
  return {
    level: verdict.suspected ? LEVEL_WARN : LEVEL_OK,
    name: SESSION_DIAGNOSTIC_NAME,
    message: verdict.message,
    hardware_id: clientId,
    values,
  };
}
