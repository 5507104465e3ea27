import { describe, expect, it } from '@jest/globals';
import {
  BlackBox,
  IncidentDetector,
  RingBuffer,
  secToNs,
  type Capture,
  type CaptureSink,
  type Entry,
  type Incident,
} from '../../../nodes/black_box/logic';
import { minimisePeople, RECORDING_POLICIES, refusedType } from '../../../nodes/black_box/policy';

const e = (tS: number, bytes = 10, topic = '/r/odom'): Entry => ({
  topic,
  type: 'nav_msgs/msg/Odometry',
  tNs: secToNs(tS),
  data: new Uint8Array(bytes),
});
const SAFETY = { STATE_STOP: 4, STATE_ESTOP: 5, REASON_LOCAL_PAUSE: 8 };

class Collect implements CaptureSink {
  readonly log: string[] = [];
  readonly files: Array<{ c: Capture; entries: Entry[]; joined: Incident[]; ended: boolean }> = [];
  start(c: Capture, pre: readonly Entry[]): void {
    this.files.push({ c, entries: [...pre], joined: [], ended: false });
  }
  add(c: Capture, x: Entry): void {
    this.files.find((f) => f.c === c)!.entries.push(x);
  }
  joined(c: Capture, i: Incident): void {
    this.files.find((f) => f.c === c)!.joined.push(i);
  }
  end(c: Capture): void {
    this.files.find((f) => f.c === c)!.ended = true;
  }
}

describe('RingBuffer', () => {
  it('keeps only the last window of seconds', () => {
    const r = new RingBuffer(2, 1e6);
    for (let t = 0; t <= 10; t += 0.5) r.push(e(t));
    expect(r.since(0n).map((x) => Number(x.tNs) / 1e9)).toEqual([8, 8.5, 9, 9.5, 10]);
    expect(r.droppedForBytes).toBe(0);
  });

  it('drops the oldest first when over its byte bound, and counts them', () => {
    const r = new RingBuffer(100, 100);
    for (let t = 0; t < 20; t++) r.push(e(t, 30));
    expect(r.bytes).toBeLessThanOrEqual(100);
    expect(r.since(0n).map((x) => Number(x.tNs) / 1e9)).toEqual([17, 18, 19]);
    expect(r.droppedForBytes).toBe(17);
  });

  it('finds the messages since a time, and stays bounded over a long run', () => {
    const r = new RingBuffer(1, 1e9);
    for (let i = 0; i < 100_000; i++) r.push(e(i * 0.01, 1));
    expect(r.length).toBe(101);
    expect(r.since(secToNs(999.5)).length).toBe(50);
  });
});

describe('IncidentDetector', () => {
  const det = () =>
    new IncidentDetector({
      stopMinSpeedMps: 0.02,
      faultMinSeverity: 2,
      forgedReasons: ['BAD_SIGNATURE'],
      safety: SAFETY,
    });
  const safety = (state: number, limiting_reason = 1, detail = 'stop zone: 0.3 m') => ({
    state,
    limiting_reason,
    detail,
  });

  it('sees a protective stop the robot was driven into, not one while standing or a local pause', () => {
    const d = det();
    expect(d.onSafety(safety(1), secToNs(1))).toBeUndefined();
    // standing still: a stop is not an incident
    expect(d.onSafety(safety(4), secToNs(2))).toBeUndefined();
    d.onSafety(safety(1), secToNs(3));
    d.onMotion(0.5, secToNs(3.5));
    expect(d.onSafety(safety(4), secToNs(3.6))).toEqual({
      kind: 'protective_stop',
      tNs: secToNs(3.6),
      detail: 'stop zone: 0.3 m',
    });
    // staying stopped is the same incident
    expect(d.onSafety(safety(4), secToNs(3.7))).toBeUndefined();
    d.onSafety(safety(1), secToNs(4));
    d.onMotion(0.5, secToNs(4));
    expect(d.onSafety(safety(4, 8, 'paused by a person'), secToNs(4.1))).toBeUndefined();
  });

  it('sees an e-stop, from any state, but not the state the robot starts in', () => {
    const d = det();
    expect(d.onSafety(safety(5, 3, 'started latched'), 0n)).toBeUndefined();
    d.onSafety(safety(1), 0n);
    expect(d.onSafety(safety(5, 3, 'estop pressed'), secToNs(1))?.kind).toBe('estop');
    expect(d.onSafety(safety(5, 3), secToNs(1.1))).toBeUndefined();
  });

  it('sees a collision on the bumper rising, a new serious fault or silent node, a forged decision', () => {
    const d = det();
    expect(d.onBumper(false, 0n)).toBeUndefined();
    expect(d.onBumper(true, 1n)?.kind).toBe('collision');
    expect(d.onBumper(true, 2n)).toBeUndefined();
    const fault = (code: string, severity: number) => ({ code, source: 'perception', severity });
    expect(d.onHealth({ nodes_silent: [], faults: [fault('BATTERY_LOW', 1)] }, 1n)).toBeUndefined();
    expect(d.onHealth({ nodes_silent: [], faults: [fault('SCAN_STALE', 2)] }, 2n)).toEqual({
      kind: 'node_fault',
      tNs: 2n,
      detail: 'SCAN_STALE (perception)',
    });
    expect(d.onHealth({ nodes_silent: [], faults: [fault('SCAN_STALE', 2)] }, 3n)).toBeUndefined();
    expect(d.onHealth({ nodes_silent: ['executive'], faults: [] }, 4n)?.detail).toBe('node executive silent');
    // the first status is the baseline; only forged reasons that grow count
    expect(d.onBridge({ reject_reasons: ['BAD_SIGNATURE'], reject_counts: [3n] }, 1n)).toBeUndefined();
    expect(d.onBridge({ reject_reasons: ['BAD_SIGNATURE', 'EXPIRED'], reject_counts: [3n, 1n] }, 2n)).toBeUndefined();
    expect(d.onBridge({ reject_reasons: ['BAD_SIGNATURE', 'EXPIRED'], reject_counts: [4n, 1n] }, 3n)).toEqual({
      kind: 'forged_decision',
      tNs: 3n,
      detail: 'rejected: BAD_SIGNATURE +1',
    });
  });
});

describe('IncidentDetector start-up grace', () => {
  it('takes no fault for an incident before faultsFromNs, but one still there after it', () => {
    const d = new IncidentDetector({
      stopMinSpeedMps: 0,
      faultMinSeverity: 2,
      forgedReasons: [],
      safety: SAFETY,
      faultsFromNs: secToNs(10),
    });
    const stale = { nodes_silent: [], faults: [{ code: 'SCAN_STALE', source: 'scan', severity: 2 }] };
    expect(d.onHealth(stale, secToNs(1))).toBeUndefined();
    expect(d.onHealth(stale, secToNs(10))?.detail).toBe('SCAN_STALE (scan)');
  });
});

describe('BlackBox captures', () => {
  const opts = { preS: 2, postS: 1, bufferMaxBytes: 1e6, captureMaxBytes: 1e6, minIntervalS: 5 };
  const inc = (kind: Incident['kind'], tS: number): Incident => ({ kind, tNs: secToNs(tS), detail: kind });

  it('writes the last pre_s and the next post_s seconds around an incident, then ends', () => {
    const sink = new Collect();
    const box = new BlackBox(opts, sink);
    for (let t = 0; t < 10; t += 0.25) box.record(e(t));
    expect(box.incident(inc('estop', 9.8))).toBe('started');
    for (let t = 10; t < 12; t += 0.25) box.record(e(t));
    const f = sink.files[0]!;
    expect(f.ended).toBe(true);
    const times = f.entries.map((x) => Number(x.tNs) / 1e9);
    expect(times[0]).toBe(8);
    expect(times[times.length - 1]).toBe(10.75);
    expect(box.capturing).toBe(false);
  });

  it('joins incidents during a capture, counts repeats within min_interval_s, always takes an operator', () => {
    const sink = new Collect();
    const box = new BlackBox(opts, sink);
    box.record(e(0));
    expect(box.incident(inc('protective_stop', 1))).toBe('started');
    expect(box.incident(inc('collision', 1.5))).toBe('joined');
    box.tick(secToNs(2.1));
    expect(box.incident(inc('protective_stop', 3))).toBe('suppressed');
    expect(box.incident(inc('operator_request', 3.1))).toBe('started');
    box.finish();
    expect(box.incident(inc('protective_stop', 6.5))).toBe('started');
    expect(sink.files.map((f) => f.c.incidents.map((i) => i.kind))).toEqual([
      ['protective_stop', 'collision'],
      ['operator_request'],
      ['protective_stop'],
    ]);
    expect(sink.files[0]!.joined.map((i) => i.kind)).toEqual(['collision']);
    expect(box.suppressed.get('protective_stop')).toBe(1);
  });

  it('bounds what is written after the incident by capture_max_bytes, counting the rest', () => {
    const sink = new Collect();
    const box = new BlackBox({ ...opts, postS: 100, captureMaxBytes: 100 }, sink);
    box.incident(inc('estop', 0));
    for (let t = 0; t < 5; t += 0.1) box.record(e(t, 30));
    box.finish();
    expect(sink.files[0]!.entries).toHaveLength(3);
    expect(sink.files[0]!.c.droppedAfter).toBeGreaterThan(40);
  });
});

describe('recording policy', () => {
  it('care records no camera images or audio, and people only as positions', () => {
    const care = RECORDING_POLICIES.care;
    expect(refusedType('sensor_msgs/msg/Image', care)).toMatch(/no camera images/);
    expect(refusedType('sensor_msgs/msg/CompressedImage', care)).toMatch(/no camera images/);
    expect(refusedType('audio_common_msgs/msg/AudioData', care)).toMatch(/no audio/);
    expect(refusedType('sensor_msgs/msg/LaserScan', care)).toBeUndefined();
    expect(refusedType('sensor_msgs/msg/Image', RECORDING_POLICIES.factory)).toBeUndefined();
    const people = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' },
      poses: [{ position: { x: 1, y: 2, z: 0 }, orientation: { x: 0, y: 0, z: 0.7, w: 0.7 } }],
    };
    expect(minimisePeople(people, care).poses[0]).toEqual({
      position: { x: 1, y: 2, z: 0 },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
    });
    expect(minimisePeople(people, RECORDING_POLICIES.delivery)).toBe(people);
  });
});
