/**
 * Robot health from heartbeats, diagnostics, perception faults and the cloud link: one level and one
 * list of faults. Pure: inputs come with their receive time [s]; no ROS, no clock reads.
 */
import { FaultTracker, type ActiveFault } from '../core/faults';
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Params } from './params';

const F = MESSAGE_CONSTANTS['kizuna_msgs/msg/Fault'];
const H = MESSAGE_CONSTANTS['kizuna_msgs/msg/HealthSummary'];
const D = MESSAGE_CONSTANTS['diagnostic_msgs/msg/DiagnosticStatus'];

export type HealthFault = ActiveFault;

export interface Health {
  level: number;
  alive: string[];
  silent: string[];
  faults: HealthFault[];
}

interface DiagEntry {
  level: number;
  message: string;
  lastSec: number;
  /** The fault code the entry names in its `fault_code` value, if any. */
  code: string | undefined;
}

/** A diagnostics entry as received: DiagnosticStatus's fields health reads. */
export interface DiagnosticInput {
  level: number;
  name: string;
  message: string;
  values?: ReadonlyArray<{ key: string; value: string }>;
}

const FAULT_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The fault code a diagnostics entry names (value `fault_code`, upper snake case), or undefined. */
export function diagnosticFaultCode(s: DiagnosticInput): string | undefined {
  const v = s.values?.find((kv) => kv.key === 'fault_code')?.value;
  return v !== undefined && FAULT_CODE.test(v) ? v : undefined;
}

export class HealthModel {
  private readonly beats = new Map<string, number>();
  private readonly diags = new Map<string, DiagEntry>();
  private worldFaults: Array<{ code: string; source: string; severity: number; message: string }> = [];
  private worldSec = Number.NEGATIVE_INFINITY;
  private linkUp = false;
  private linkSince: number;
  private linkSeen = false;
  private readonly faults = new FaultTracker();

  constructor(
    private readonly p: Params,
    private readonly startSec: number,
  ) {
    this.linkSince = startSec;
  }

  onHeartbeat(name: string, now: number): void {
    this.beats.set(name, now);
  }

  onDiagnostics(status: ReadonlyArray<DiagnosticInput>, now: number): void {
    for (const s of status) {
      this.diags.set(s.name, { level: s.level, message: s.message, lastSec: now, code: diagnosticFaultCode(s) });
    }
  }

  onWorldFaults(
    faults: ReadonlyArray<{ code: string; source: string; severity: number; message: string }>,
    now: number,
  ): void {
    this.worldFaults = faults.map((f) => ({
      code: f.code,
      source: f.source,
      severity: f.severity,
      message: f.message,
    }));
    this.worldSec = now;
  }

  onBridge(connected: boolean, now: number): void {
    if (!this.linkSeen || connected !== this.linkUp) this.linkSince = now;
    this.linkSeen = true;
    this.linkUp = connected;
  }

  /** Health at `now` [s]. */
  evaluate(now: number): Health {
    const p = this.p;
    const batch = this.faults.begin(now);
    const add = batch.add;
    const alive: string[] = [];
    const silent: string[] = [];
    for (const name of p.watched_nodes) {
      const t = this.beats.get(name);
      // A node gets one timeout from our start before it counts as silent.
      const last = t ?? this.startSec;
      if (now - last > p.heartbeat_timeout_s) {
        silent.push(name);
        add(
          'NODE_SILENT',
          name,
          F.SEVERITY_ERROR,
          t === undefined ? 'no heartbeat yet' : `no heartbeat for ${(now - t).toFixed(1)} s`,
        );
      } else if (t !== undefined) alive.push(name);
    }
    for (const [name, d] of [...this.diags]) {
      if (now - d.lastSec > p.diagnostics_timeout_s) {
        this.diags.delete(name);
        continue;
      }
      // An entry that names its fault code (e.g. cloud_bridge's CLOUD_SESSION_TAKEOVER) is reported under it.
      if (d.level === D.WARN) add(d.code ?? 'DIAGNOSTICS_WARN', name, F.SEVERITY_WARN, d.message);
      else if (d.level === D.ERROR) add(d.code ?? 'DIAGNOSTICS_ERROR', name, F.SEVERITY_ERROR, d.message);
      else if (d.level === D.STALE) add('DIAGNOSTICS_STALE', name, F.SEVERITY_WARN, d.message);
    }
    if (now - this.worldSec <= p.world_summary_timeout_s) {
      for (const f of this.worldFaults) add(f.code, f.source, f.severity, f.message);
    }
    if (p.link_down_warn_s > 0 && !this.linkUp && now - this.linkSince > p.link_down_warn_s) {
      add(
        'CLOUD_LINK_DOWN',
        'cloud_bridge',
        F.SEVERITY_WARN,
        `cloud link down for ${(now - this.linkSince).toFixed(0)} s`,
      );
    }
    const faults = batch.end();
    faults.sort((a, b) => (a.code === b.code ? (a.source < b.source ? -1 : 1) : a.code < b.code ? -1 : 1));
    const worst = faults.reduce((m, f) => Math.max(m, f.severity), 0);
    const level =
      worst >= F.SEVERITY_FATAL
        ? H.LEVEL_FATAL
        : worst >= F.SEVERITY_ERROR || silent.length > 0
          ? H.LEVEL_ERROR
          : worst >= F.SEVERITY_WARN
            ? H.LEVEL_WARN
            : H.LEVEL_OK;
    return { level, alive: alive.sort(), silent: silent.sort(), faults };
  }
}

/** Whether two evaluations differ in what a consumer acts on (level, nodes, fault set). */
export function healthChanged(a: Health | undefined, b: Health): boolean {
  if (!a) return true;
  if (a.level !== b.level || a.alive.join() !== b.alive.join() || a.silent.join() !== b.silent.join()) return true;
  if (a.faults.length !== b.faults.length) return true;
  return a.faults.some(
    (f, i) => f.code !== b.faults[i]!.code || f.source !== b.faults[i]!.source || f.severity !== b.faults[i]!.severity,
  );
}
