import { describe, it, expect } from '@jest/globals';
import { expandName, normalizeNamespace, resolveName, validateNodeName } from '../../../nodes/core/graph/names';

describe('ROS 2 name resolution', () => {
  it('puts relative names under the namespace and leaves absolute names alone', () => {
    expect(expandName('scan', 'perception', '/robot1')).toBe('/robot1/scan');
    expect(expandName('front/scan', 'perception', '/')).toBe('/front/scan');
    expect(expandName('/clock', 'perception', '/robot1')).toBe('/clock');
  });

  it('expands ~ to the node fully qualified name and substitutes {node} and {ns}', () => {
    expect(expandName('~', 'gate', '/r1')).toBe('/r1/gate');
    expect(expandName('~/state', 'gate', '/r1')).toBe('/r1/gate/state');
    expect(expandName('{node}/state', 'gate', '/r1')).toBe('/r1/gate/state');
    expect(expandName('{ns}/x', 'gate', '/r1')).toBe('/r1/x');
    expect(expandName('{ns}/x', 'gate', '/')).toBe('/x');
  });

  it('rejects empty names, bad tokens, double slashes, trailing slashes and misplaced ~', () => {
    for (const bad of ['', 'a b', '1abc', 'a//b', 'a/', 'a/~/b', '~x']) {
      expect(() => expandName(bad, 'n', '/')).toThrow(expect.objectContaining({ code: 'KZ_ERR_INVALID_NAME' }));
    }
  });

  it('applies the first matching remap rule, and node-scoped rules only to that node', () => {
    const rules = [
      { from: 'scan', to: '/lidar/front', node: 'other' },
      { from: 'scan', to: 'base_scan' },
      { from: 'scan', to: 'never_used' },
    ];
    expect(resolveName('scan', 'perception', '/r1', rules)).toBe('/r1/base_scan');
    expect(resolveName('scan', 'other', '/r1', rules)).toBe('/lidar/front');
    expect(resolveName('odom', 'perception', '/r1', rules)).toBe('/r1/odom');
  });

  it('validates node names and normalizes namespaces', () => {
    expect(() => validateNodeName('safety_gate')).not.toThrow();
    expect(() => validateNodeName('safety-gate')).toThrow(/invalid node name 'safety-gate'/);
    expect(normalizeNamespace(undefined)).toBe('/');
    expect(normalizeNamespace('fleet/r1')).toBe('/fleet/r1');
    // rcl refuses a trailing '/' rather than trimming it.
    expect(() => normalizeNamespace('fleet/r1/')).toThrow(/must not end with '\/'/);
    expect(() => normalizeNamespace('/r 1')).toThrow(expect.objectContaining({ code: 'KZ_ERR_INVALID_NAME' }));
  });
});
