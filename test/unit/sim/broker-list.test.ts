import { describe, it, expect } from '@jest/globals';
import { parseBrokerUrls } from '../../../sim/fleet/run';
import { parseSimArgs } from '../../../nodes/cli/sim';

describe('kizuna sim --broker with a cluster and --mqtt-version', () => {
  it('reads a comma-separated list of loopback nodes, in order', () => {
    expect(parseBrokerUrls('mqtt://127.0.0.1:1883, mqtt://localhost:1884,mqtt://[::1]:1885')).toEqual([
      { host: '127.0.0.1', port: 1883 },
      { host: '127.0.0.1', port: 1884 },
      { host: '::1', port: 1885 },
    ]);
  });

  it('refuses a node off this machine, a scheme the link proxies cannot carry, a node listed twice, or nothing', () => {
    expect(() => parseBrokerUrls('mqtt://127.0.0.1:1883,mqtt://10.0.0.5:1883')).toThrow(
      /must be on this machine.*10\.0\.0\.5/,
    );
    expect(() => parseBrokerUrls('mqtt://127.0.0.1:1883,mqtts://127.0.0.1:8883')).toThrow(/must use mqtt:\/\//);
    expect(() => parseBrokerUrls('mqtt://127.0.0.1:1883,mqtt://localhost:1883')).toThrow(/lists a node twice/);
    expect(() => parseBrokerUrls(' , ')).toThrow(/at least one URL/);
  });

  it('--mqtt-version takes 3.1.1 or 5 and nothing else', () => {
    expect(parseSimArgs(['--mqtt-version', '3.1.1']).mqttVersion).toBe(4);
    expect(parseSimArgs(['--mqtt-version', '5']).mqttVersion).toBe(5);
    expect(() => parseSimArgs(['--mqtt-version', '3'])).toThrow(/--mqtt-version must be 3\.1\.1 or 5, got '3'/);
  });
});
