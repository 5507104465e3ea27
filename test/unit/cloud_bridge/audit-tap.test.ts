/** The audit tap's reading of MQTT 5 topic aliases: each PUBLISH resolved to its full topic, in packet order. */
import { describe, it, expect } from '@jest/globals';
import type { IPublishPacket } from 'mqtt';
import { topicOf } from '../../../nodes/cloud_bridge/audit-tap';

const pub = (topic: string, topicAlias?: number): IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: Buffer.alloc(0),
  qos: 0,
  dup: false,
  retain: false,
  ...(topicAlias !== undefined ? { properties: { topicAlias } } : {}),
});

describe('topicOf (audit tap, MQTT 5 topic aliases)', () => {
  it('returns the topic of a PUBLISH without an alias and leaves the map alone', () => {
    const m = new Map<number, string>();
    expect(topicOf(pub('kizuna/v1/f/r/state'), m)).toBe('kizuna/v1/f/r/state');
    expect(m.size).toBe(0);
  });

  it('registers a topic sent with its alias, then resolves the alias sent alone', () => {
    const m = new Map<number, string>();
    expect(topicOf(pub('kizuna/v1/f/r/events', 1), m)).toBe('kizuna/v1/f/r/events');
    expect(topicOf(pub('kizuna/v1/f/r/state', 2), m)).toBe('kizuna/v1/f/r/state');
    expect(topicOf(pub('', 1), m)).toBe('kizuna/v1/f/r/events');
    expect(topicOf(pub('', 2), m)).toBe('kizuna/v1/f/r/state');
  });

  it('follows an alias given to another topic (the least recently used one, when the broker allows few)', () => {
    const m = new Map<number, string>([[1, 'kizuna/v1/f/r/events']]);
    expect(topicOf(pub('kizuna/v1/f/r/decision/request', 1), m)).toBe('kizuna/v1/f/r/decision/request');
    expect(topicOf(pub('', 1), m)).toBe('kizuna/v1/f/r/decision/request');
  });

  it('gives an empty topic for an alias never set on this connection', () => {
    const old = new Map<number, string>();
    topicOf(pub('kizuna/v1/f/r/events', 1), old);
    expect(topicOf(pub('', 1), new Map())).toBe('');
  });
});
