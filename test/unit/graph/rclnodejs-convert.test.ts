/**
 * The pure parts of the rclnodejs graph, fed with data shaped as rclnodejs 2.2.0 and rmw report it
 * (read from their sources; rclnodejs itself cannot load here).
 */
import { describe, it, expect } from '@jest/globals';
import { endpointCount, fromRmwQoS, uuidString } from '../../../nodes/core/graph/rclnodejs/convert';
import { IncompatibleQoSWatcher, QOS_POLL_MS } from '../../../nodes/core/graph/rclnodejs/qos-events';
import { QOS_PROFILES } from '../../../nodes/core/graph/qos';
import type { IncompatibleQoSEvent } from '../../../nodes/core/graph/types';
import { createLogger } from '../../../nodes/core/logging';
import { Writable } from 'node:stream';

const quietLogger = createLogger({ json: true, stream: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('rclnodejs conversions', () => {
  it('reads a discovered endpoint QoS whose history and depth rmw reports as unknown', () => {
    // rmw_fastrtps / rmw_connextdds: discovery carries no history, so history is UNKNOWN (3) and depth 0.
    expect(fromRmwQoS({ history: 3, depth: 0, reliability: 2, durability: 2 })).toEqual({
      history: 'keep_last',
      depth: 0,
      reliability: 'best_effort',
      durability: 'volatile',
    });
    expect(fromRmwQoS({ history: 1, depth: 10, reliability: 1, durability: 1 })).toEqual({
      history: 'keep_last',
      depth: 10,
      reliability: 'reliable',
      durability: 'transient_local',
    });
    expect(fromRmwQoS({ history: 1, depth: 10, reliability: 0, durability: 2 })).toBeUndefined(); // system default
    expect(fromRmwQoS(null)).toBeUndefined();
  });

  it('reads endpoint counts whether rclnodejs exposes them as getters (its JS) or methods (its typings)', () => {
    const getterPub = {
      get subscriptionCount() {
        return 2;
      },
    };
    expect(endpointCount(getterPub, 'subscriptionCount')).toBe(2);
    expect(endpointCount({ publisherCount: () => 3 }, 'publisherCount')).toBe(3);
  });

  it('formats a unique_identifier_msgs/UUID as the canonical UUID string', () => {
    expect(uuidString(Array.from({ length: 16 }, (_, i) => i))).toBe('00010203-0405-0607-0809-0a0b0c0d0e0f');
  });
});

describe('incompatible-QoS watcher on graph queries', () => {
  it('reports a best-effort remote publisher to a reliable local subscription once', async () => {
    const remotePub = {
      node_name: 'lidar',
      node_namespace: '/',
      topic_type: 'sensor_msgs/msg/LaserScan',
      endpoint_type: 1,
      endpoint_gid: [1, 2, 3],
      qos_profile: { history: 3, depth: 0, reliability: 2, durability: 2 },
    };
    const watcher = new IncompatibleQoSWatcher(
      { publishersOn: () => [remotePub], subscriptionsOn: () => [] },
      quietLogger,
      () => undefined,
    );
    const events: IncompatibleQoSEvent[] = [];
    watcher.watch('subscription', '/scan', 'sensor_msgs/msg/LaserScan', QOS_PROFILES.default)((e) => events.push(e));
    await new Promise((r) => setTimeout(r, QOS_POLL_MS * 2.5));
    watcher.stop();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ topic: '/scan', side: 'subscription', policy: 'reliability' });
  });
});
