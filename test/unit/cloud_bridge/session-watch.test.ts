import { describe, it, expect } from '@jest/globals';
import {
  SESSION_TAKEN_OVER,
  SessionWatch,
  disconnectReasonText,
  sessionDiagnostic,
} from '../../../nodes/cloud_bridge/session-watch';
import { paramsSchema } from '../../../nodes/cloud_bridge/params';

const watch = (): SessionWatch => new SessionWatch({ sessions: 3, windowMs: 60_000, shortSessionMs: 10_000 });

/** A session from `startMs` lasting `durationMs`, ended with `code`. */
function session(w: SessionWatch, startMs: number, durationMs: number, code?: number): void {
  w.onConnected(startMs);
  w.onEnded(startMs + durationMs, code);
}

describe('SessionWatch: repeated short or taken-over sessions are a possible takeover', () => {
  it('names DISCONNECT reason codes, and says when the broker sent none', () => {
    expect(disconnectReasonText(0x8e)).toBe('0x8E session taken over');
    expect(disconnectReasonText(0x8b)).toBe('0x8B server shutting down');
    expect(disconnectReasonText(0)).toBe('0x00 normal disconnection');
    expect(disconnectReasonText(0x7f)).toBe('0x7F unknown reason code');
    expect(disconnectReasonText(undefined)).toMatch(/no DISCONNECT/);
  });

  it('classifies each end: 0x8E however long, short when under the threshold, long otherwise', () => {
    const w = watch();
    w.onConnected(0);
    expect(w.onEnded(3_600_000, SESSION_TAKEN_OVER)).toEqual({
      durationMs: 3_600_000,
      reasonCode: 0x8e,
      suspicious: 'taken_over',
    });
    w.onConnected(4_000_000);
    expect(w.onEnded(4_000_400, undefined).suspicious).toBe('short');
    w.onConnected(5_000_000);
    expect(w.onEnded(5_000_000 + 10_000, 0x8b).suspicious).toBeUndefined();
  });

  it('suspects a takeover at the third suspicious end within the window, and clears once they age out', () => {
    const w = watch();
    session(w, 0, 500, SESSION_TAKEN_OVER);
    session(w, 1_000, 500, SESSION_TAKEN_OVER);
    expect(w.verdict(2_000).suspected).toBe(false);
    session(w, 2_000, 300);
    const v = w.verdict(2_500);
    expect(v).toMatchObject({ suspected: true, takenOver: 2, short: 1 });
    expect(v.message).toMatch(/^possible session takeover: 2 session\(s\) ended "session taken over" \(0x8E\) and 1/);
    // the first end (at 500 ms) leaves the 60 s window at 60.5 s
    expect(w.verdict(60_499).suspected).toBe(true);
    expect(w.verdict(60_500)).toMatchObject({ suspected: false, takenOver: 1, short: 1 });
  });

  it('does not count long sessions ended by outages, nor anything when disabled', () => {
    const w = watch();
    for (let i = 0; i < 10; i++) session(w, i * 30_000, 20_000, i % 2 ? 0x8b : undefined);
    expect(w.verdict(300_000)).toMatchObject({ suspected: false, takenOver: 0, short: 0 });
    const off = new SessionWatch({ sessions: 0, windowMs: 60_000, shortSessionMs: 10_000 });
    for (let i = 0; i < 10; i++) session(off, i * 1000, 100, SESSION_TAKEN_OVER);
    expect(off.verdict(10_000)).toMatchObject({ suspected: false, takenOver: 10 });
  });

  it('with short_session 0 only 0x8E counts', () => {
    const w = new SessionWatch({ sessions: 2, windowMs: 60_000, shortSessionMs: 0 });
    session(w, 0, 10);
    session(w, 100, 10);
    expect(w.verdict(200).suspected).toBe(false);
    session(w, 200, 10, SESSION_TAKEN_OVER);
    session(w, 300, 10, SESSION_TAKEN_OVER);
    expect(w.verdict(400).suspected).toBe(true);
  });

  it('gives health a WARN entry naming CLOUD_SESSION_TAKEOVER while suspected, OK otherwise', () => {
    const w = watch();
    const quiet = sessionDiagnostic(w.verdict(0), 'tokyo-1.care-007');
    expect(quiet).toMatchObject({ level: 0, name: 'cloud_bridge: mqtt session', hardware_id: 'tokyo-1.care-007' });
    expect(quiet.values).toContainEqual({ key: 'last_disconnect_reason', value: 'no session ended yet' });
    expect(quiet.values.find((v) => v.key === 'fault_code')).toBeUndefined();
    for (let i = 0; i < 3; i++) session(w, i * 1000, 200, SESSION_TAKEN_OVER);
    const alarm = sessionDiagnostic(w.verdict(3_000), 'tokyo-1.care-007');
    expect(alarm.level).toBe(1);
    expect(alarm.values).toEqual([
      { key: 'fault_code', value: 'CLOUD_SESSION_TAKEOVER' },
      { key: 'taken_over', value: '3' },
      { key: 'short_sessions', value: '0' },
      { key: 'last_disconnect_reason', value: '0x8E session taken over' },
    ]);
  });

  it('parameters: defaults 3 ends in 600 s, short under 10 s, status refresh 60 s; refresh 0 or >= 5 s', () => {
    const p = paramsSchema.parse({ robot_id: 'care-007', fleet: 'tokyo-1', profile: 'care' });
    expect([p.takeover_sessions, p.takeover_window_s, p.takeover_short_session_s, p.status_refresh_s]).toEqual([
      3, 600, 10, 60,
    ]);
    const base = { robot_id: 'care-007', fleet: 'tokyo-1', profile: 'care' };
    expect(paramsSchema.safeParse({ ...base, status_refresh_s: 0 }).success).toBe(true);
    expect(paramsSchema.safeParse({ ...base, status_refresh_s: 2 }).success).toBe(false);
    expect(paramsSchema.safeParse({ ...base, takeover_sessions: -1 }).success).toBe(false);
  });
});
