/**
 * The black box's pure parts: a ring buffer of recorded messages bounded by time and bytes, the
 * detection of incidents from the robot's own topics, and the capture of the last `pre_s` and next
 * `post_s` seconds around an incident into a sink (the file writer, store.ts). No ROS, no files, no
 * clock reads: times [ns] are passed in.
 */
import type { MessageTypeName } from '../core/interfaces';

/** One recorded message: absolute topic, type, time [ns on the node's clock], CDR bytes. */
export interface Entry {
  topic: string;
  type: MessageTypeName;
  tNs: bigint;
  data: Uint8Array;
}

/** What makes the black box write a file. */
export const INCIDENT_KINDS = [
  'protective_stop',
  'estop',
  'collision',
  'node_fault',
  'forged_decision',
  'operator_request',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface Incident {
  kind: IncidentKind;
  /** [ns] when it was seen. */
  tNs: bigint;
  /** What happened, for people (the safety gate's detail, the fault code, the rejection reason). */
  detail: string;
}

const NS = 1_000_000_000;
export const secToNs = (s: number): bigint => BigInt(Math.round(s * NS));

/**
 * The last messages, bounded by age (`windowS` before the newest) and by bytes (`maxBytes` of CDR): the
 * oldest go first. Amortised O(1) per message.
 */
export class RingBuffer {
  private items: Entry[] = [];
  private head = 0;
  /** [bytes] CDR bytes held. */
  bytes = 0;
  /** [count] messages evicted before their time because of the byte bound. */
  droppedForBytes = 0;
  private readonly windowNs: bigint;

  constructor(
    windowS: number,
    private readonly maxBytes: number,
  ) {
    this.windowNs = secToNs(windowS);
  }

  /** [count] messages held. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(e: Entry): void {
    this.items.push(e);
    this.bytes += e.data.byteLength;
    this.trim(e.tNs);
  }

  /** Drops what is older than the window before `nowNs`, and the oldest while over the byte bound. */
  trim(nowNs: bigint): void {
    const oldest = nowNs - this.windowNs;
    while (this.head < this.items.length) {
      const e = this.items[this.head]!;
      const over = this.bytes > this.maxBytes;
      if (!over && e.tNs >= oldest) break;
      if (over && e.tNs >= oldest) this.droppedForBytes++;
      this.bytes -= e.data.byteLength;
      this.items[this.head++] = undefined as unknown as Entry;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** The messages at or after `fromNs`, oldest first. */
  since(fromNs: bigint): Entry[] {
    let lo = this.head;
    let hi = this.items.length;
    // Times are pushed in order on one clock; a binary search finds the first one in range.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.tNs < fromNs) lo = mid + 1;
      else hi = mid;
    }
    return this.items.slice(lo);
  }
}

/** kizuna_msgs/SafetyState values the detector reads (MESSAGE_CONSTANTS, passed in to stay pure). */
export interface SafetyConstants {
  STATE_STOP: number;
  STATE_ESTOP: number;
  REASON_LOCAL_PAUSE: number;
}

export interface DetectorOptions {
  /** [m/s] a stop counts when the robot moved faster than this within MOTION_WINDOW_S before; 0: always. */
  stopMinSpeedMps: number;
  /** Fault.SEVERITY_* at or above which a new fault is an incident. */
  faultMinSeverity: number;
  /** Bridge rejection reasons that mean a forged decision. */
  forgedReasons: readonly string[];
  safety: SafetyConstants;
  /**
   * [ns] faults reported before this time are not incidents (drivers and nodes coming up report stale
   * inputs); a fault still there after it is.
   */
  faultsFromNs?: bigint;
}

/** [s] how recent the motion before a stop must be for the stop to count as one the robot was driven into. */
export const MOTION_WINDOW_S = 1;

/**
 * Incidents from the robot's own messages: a protective stop (SafetyState enters STOP while the robot
 * was moving, not a person's local pause), an e-stop (enters ESTOP), a collision (the bumper goes
 * true), a node fault (a new fault at or above the severity, or a newly silent node in HealthSummary),
 * a forged decision (a forged-reason rejection count of BridgeStatus grows).
 */
export class IncidentDetector {
  private safety: number | undefined;
  private movingNs: bigint | undefined;
  private bumper = false;
  private faults = new Set<string>();
  private silent = new Set<string>();
  private rejected: Map<string, bigint> | undefined;
  private readonly forged: Set<string>;

  constructor(private readonly o: DetectorOptions) {
    this.forged = new Set(o.forgedReasons);
  }

  /** Speed seen [m/s] (odometry or the gate's output) at `tNs`. */
  onMotion(speedMps: number, tNs: bigint): void {
    if (Math.abs(speedMps) > this.o.stopMinSpeedMps) this.movingNs = tNs;
  }

  onSafety(m: { state: number; limiting_reason: number; detail: string }, tNs: bigint): Incident | undefined {
    const was = this.safety;
    this.safety = m.state;
    const S = this.o.safety;
    // The first state is where the robot starts (a gate starts latched), not something that happened.
    if (was === undefined) return;
    if (m.state === S.STATE_ESTOP && was !== S.STATE_ESTOP)
      return { kind: 'estop', tNs, detail: m.detail || 'emergency stop' };
    if (m.state !== S.STATE_STOP || was === S.STATE_STOP || was === S.STATE_ESTOP) return;
    if (m.limiting_reason === S.REASON_LOCAL_PAUSE) return;
    const moving =
      this.o.stopMinSpeedMps === 0 || (this.movingNs !== undefined && tNs - this.movingNs <= secToNs(MOTION_WINDOW_S));
    if (!moving) return;
    return { kind: 'protective_stop', tNs, detail: m.detail || 'protective stop' };
  }

  onBumper(contact: boolean, tNs: bigint): Incident | undefined {
    const rising = contact && !this.bumper;
    this.bumper = contact;
    return rising ? { kind: 'collision', tNs, detail: 'contact reported' } : undefined;
  }

  onHealth(
    m: { nodes_silent: readonly string[]; faults: ReadonlyArray<{ code: string; source: string; severity: number }> },
    tNs: bigint,
  ): Incident | undefined {
    if (this.o.faultsFromNs !== undefined && tNs < this.o.faultsFromNs) return;
    const news: string[] = [];
    const faults = new Set<string>();
    for (const f of m.faults) {
      if (f.severity < this.o.faultMinSeverity) continue;
      const key = `${f.code} (${f.source})`;
      faults.add(key);
      if (!this.faults.has(key)) news.push(key);
    }
    const silent = new Set(m.nodes_silent);
    for (const n of silent) if (!this.silent.has(n)) news.push(`node ${n} silent`);
    this.faults = faults;
    this.silent = silent;
    return news.length > 0 ? { kind: 'node_fault', tNs, detail: news.join('; ') } : undefined;
  }

  onBridge(
    m: { reject_reasons: readonly string[]; reject_counts: ArrayLike<bigint | number> },
    tNs: bigint,
  ): Incident | undefined {
    const now = new Map<string, bigint>();
    m.reject_reasons.forEach((r, i) => now.set(r, BigInt(m.reject_counts[i] ?? 0)));
    const was = this.rejected;
    this.rejected = now;
    // The first status is the baseline: rejections before this node started are not its incidents.
    if (was === undefined) return;
    const grew: string[] = [];
    for (const [r, n] of now)
      if (this.forged.has(r) && n > (was.get(r) ?? 0n)) grew.push(`${r} +${n - (was.get(r) ?? 0n)}`);
    return grew.length > 0 ? { kind: 'forged_decision', tNs, detail: `rejected: ${grew.join(', ')}` } : undefined;
  }
}

/** One capture: the incidents it holds and its time span [ns]. */
export interface Capture {
  /** The incident that started it, then any that happened while it was recording. */
  incidents: Incident[];
  /** [ns] first message kept (the pre window's start). */
  fromNs: bigint;
  /** [ns] recording ends after this. */
  untilNs: bigint;
  /** [count] messages written. */
  messages: number;
  /** [count] messages after the incident not written (capture_max_bytes reached). */
  droppedAfter: number;
  /** [count] messages the ring buffer lost to its byte bound before this capture started (its pre window is shorter). */
  droppedBefore: number;
  /** [bytes] CDR written after the incident. */
  bytesAfter: number;
}

/** Where captures go (store.ts writes them to MCAP files); called in order, never concurrently. */
export interface CaptureSink {
  start(c: Capture, pre: readonly Entry[]): void;
  add(c: Capture, e: Entry): void;
  /** Another incident joined the capture. */
  joined(c: Capture, i: Incident): void;
  end(c: Capture): void;
}

export interface BlackBoxOptions {
  preS: number;
  postS: number;
  bufferMaxBytes: number;
  captureMaxBytes: number;
  /** [s] an incident of a kind captured this recently is counted, not captured (operator requests always are). */
  minIntervalS: number;
}

export type IncidentOutcome = 'started' | 'joined' | 'suppressed';

/** The ring buffer and the capture in progress (at most one at a time). */
export class BlackBox {
  readonly ring: RingBuffer;
  private capture: Capture | undefined;
  private readonly last = new Map<IncidentKind, bigint>();
  /** [count] incidents not captured because one of their kind was captured less than min_interval_s before. */
  readonly suppressed = new Map<IncidentKind, number>();
  private droppedSeen = 0;

  constructor(
    private readonly o: BlackBoxOptions,
    private readonly sink: CaptureSink,
  ) {
    this.ring = new RingBuffer(o.preS, o.bufferMaxBytes);
  }

  /** True while a capture records. */
  get capturing(): boolean {
    return this.capture !== undefined;
  }

  /** The capture recording now, if any. */
  get current(): Capture | undefined {
    return this.capture;
  }

  /** Takes one message into the ring, and into the capture in progress. */
  record(e: Entry): void {
    this.tick(e.tNs);
    this.ring.push(e);
    const c = this.capture;
    if (!c) return;
    if (c.bytesAfter + e.data.byteLength > this.o.captureMaxBytes) {
      c.droppedAfter++;
      return;
    }
    c.bytesAfter += e.data.byteLength;
    c.messages++;
    this.sink.add(c, e);
  }

  /** An incident: starts a capture, joins the one in progress, or is counted as a repeat. */
  incident(i: Incident): IncidentOutcome {
    this.tick(i.tNs);
    if (this.capture) {
      this.capture.incidents.push(i);
      this.sink.joined(this.capture, i);
      return 'joined';
    }
    const last = this.last.get(i.kind);
    if (i.kind !== 'operator_request' && last !== undefined && i.tNs - last < secToNs(this.o.minIntervalS)) {
      this.suppressed.set(i.kind, (this.suppressed.get(i.kind) ?? 0) + 1);
      return 'suppressed';
    }
    this.last.set(i.kind, i.tNs);
    const fromNs = i.tNs - secToNs(this.o.preS);
    const pre = this.ring.since(fromNs);
    const c: Capture = {
      incidents: [i],
      fromNs,
      untilNs: i.tNs + secToNs(this.o.postS),
      messages: pre.length,
      droppedAfter: 0,
      droppedBefore: this.ring.droppedForBytes - this.droppedSeen,
      bytesAfter: 0,
    };
    this.droppedSeen = this.ring.droppedForBytes;
    this.capture = c;
    this.sink.start(c, pre);
    return 'started';
  }

  /** Ends the capture in progress once its time is up at `nowNs`. */
  tick(nowNs: bigint): void {
    if (this.capture && nowNs > this.capture.untilNs) this.finish();
  }

  /** Ends the capture in progress now (the node stops): what was recorded so far is kept. */
  finish(): void {
    const c = this.capture;
    if (!c) return;
    this.capture = undefined;
    this.sink.end(c);
  }
}
