/**
 * Active faults as nodes report them (kizuna_msgs/Fault, forwarded by cloud_bridge as fault events):
 * the MQTT contract's bounds applied, and since when each has been active kept across evaluations.
 */

import { timeFromNs } from './graph/clock';
import type { RosTime } from './graph/clock';

/** One active fault. */
export interface ActiveFault {
  code: string;
  source: string;
  severity: number;
  message: string;
  /** [s] when it became active. */
  since: number;
}

/** Remembers since when each fault (code + source) has been active; forgets those that ended. */
export class FaultTracker {
  private readonly since = new Map<string, number>();

  /**
   * Starts one evaluation at `now` [s]: report every fault active now with `add`, then `end()` returns
   * them with their start times and forgets those not reported this time (a new one starts anew).
   */
  begin(now: number): {
    add: (code: string, source: string, severity: number, message: string) => void;
    end: () => ActiveFault[];
  } {
    const faults: ActiveFault[] = [];
    const active = new Set<string>();
    const add = (code0: string, source0: string, severity: number, message0: string): void => {
      // Bounds of the MQTT contract's fault event: code 64, source 128, message 256 characters.
      const code = code0.slice(0, 64);
      const source = source0.slice(0, 128);
      const message = message0.slice(0, 256);
      const key = `${code}\n${source}`;
      let since = this.since.get(key);
      if (since === undefined) {
        since = now;
        this.since.set(key, now);
      }
      active.add(key);
      faults.push({ code, source, severity, message, since });
    };
    const end = (): ActiveFault[] => {
      for (const k of [...this.since.keys()]) if (!active.has(k)) this.since.delete(k);
      return faults;
    };
    return { add, end };
  }
}

/** An active fault as a kizuna_msgs/Fault (`since` as a ROS time). */
export function faultMessage(f: ActiveFault): {
  code: string;
  source: string;
  severity: number;
  message: string;
  since: RosTime;
} {
  return {
    code: f.code,
    source: f.source,
    severity: f.severity,
    message: f.message,
    since: timeFromNs(BigInt(Math.round(f.since * 1e9))),
  };
}
