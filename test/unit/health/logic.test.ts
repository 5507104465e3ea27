import { describe, it, expect } from '@jest/globals';
import { paramsSchema } from '../../../nodes/health/params';
import { HealthModel, healthChanged } from '../../../nodes/health/logic';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';

const H = MESSAGE_CONSTANTS['kizuna_msgs/msg/HealthSummary'];
const F = MESSAGE_CONSTANTS['kizuna_msgs/msg/Fault'];
const p = paramsSchema.parse({
  watched_nodes: ['a', 'b'],
  heartbeat_timeout_s: 2,
  diagnostics_timeout_s: 3,
  link_down_warn_s: 5,
});

describe('HealthModel', () => {
  it('gives each node one timeout from start, then reports it silent until it beats again', () => {
    const m = new HealthModel(p, 0);
    expect(m.evaluate(1)).toMatchObject({ level: H.LEVEL_OK, alive: [], silent: [] });
    m.onHeartbeat('a', 1);
    m.onBridge(true, 1);
    const h = m.evaluate(2.5);
    expect(h).toMatchObject({ level: H.LEVEL_ERROR, alive: ['a'], silent: ['b'] });
    expect(h.faults).toEqual([
      expect.objectContaining({ code: 'NODE_SILENT', source: 'b', message: 'no heartbeat yet', since: 2.5 }),
    ]);
    m.onHeartbeat('b', 3);
    expect(m.evaluate(3)).toMatchObject({ level: H.LEVEL_OK, alive: ['a', 'b'], silent: [] });
  });

  it('maps diagnostics levels to faults, forgets entries that stop repeating, and ranks FATAL over all', () => {
    const m = new HealthModel({ ...p, watched_nodes: [] }, 0);
    m.onBridge(true, 0);
    m.onDiagnostics([{ level: 1, name: 'lidar', message: 'dirty window' }], 0);
    expect(m.evaluate(1)).toMatchObject({
      level: H.LEVEL_WARN,
      faults: [expect.objectContaining({ code: 'DIAGNOSTICS_WARN' })],
    });
    m.onWorldFaults([{ code: 'TILT', source: 'imu', severity: F.SEVERITY_FATAL, message: 'tipped' }], 1);
    expect(m.evaluate(1.5).level).toBe(H.LEVEL_FATAL);
    const later = m.evaluate(4.5); // diagnostics older than 3 s and the summary older than 2 s are gone
    expect(later).toMatchObject({ level: H.LEVEL_OK, faults: [] });
  });

  it('reports a diagnostics entry under the fault code it names (cloud_bridge: CLOUD_SESSION_TAKEOVER), a malformed code as DIAGNOSTICS_*', () => {
    const m = new HealthModel({ ...p, watched_nodes: [] }, 0);
    m.onBridge(true, 0);
    m.onDiagnostics(
      [
        {
          level: 1,
          name: 'cloud_bridge: mqtt session',
          message: 'possible session takeover',
          values: [{ key: 'fault_code', value: 'CLOUD_SESSION_TAKEOVER' }],
        },
        { level: 2, name: 'odd', message: 'x', values: [{ key: 'fault_code', value: 'not a code' }] },
        { level: 0, name: 'fine', message: 'ok', values: [{ key: 'fault_code', value: 'IGNORED_WHEN_OK' }] },
      ],
      0,
    );
    const h = m.evaluate(1);
    expect(h.faults.map((f) => [f.code, f.source, f.severity, f.message])).toEqual([
      ['CLOUD_SESSION_TAKEOVER', 'cloud_bridge: mqtt session', F.SEVERITY_WARN, 'possible session takeover'],
      ['DIAGNOSTICS_ERROR', 'odd', F.SEVERITY_ERROR, 'x'],
    ]);
    // the entry back at OK clears the fault
    m.onDiagnostics([{ level: 0, name: 'cloud_bridge: mqtt session', message: 'quiet' }], 2);
    expect(m.evaluate(2).faults.map((f) => f.code)).toEqual(['DIAGNOSTICS_ERROR']);
  });

  it('warns when the cloud link has been down past link_down_warn_s, and tells changes from repeats', () => {
    const m = new HealthModel({ ...p, watched_nodes: [] }, 0);
    m.onBridge(false, 0);
    const a = m.evaluate(4);
    expect(a.level).toBe(H.LEVEL_OK);
    const b = m.evaluate(6);
    expect(b.faults.map((f) => f.code)).toEqual(['CLOUD_LINK_DOWN']);
    expect(healthChanged(a, b)).toBe(true);
    expect(healthChanged(b, m.evaluate(7))).toBe(false);
  });
});
