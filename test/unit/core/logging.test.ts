import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { childLogger, createLogger, normalizeLevel } from '../../../nodes/core/logging';

function capture(): { stream: Writable; out: string[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  return { stream, out };
}

describe('logging', () => {
  it('writes JSON lines tagged with node and robot from a child logger', () => {
    const { stream, out } = capture();
    const log = childLogger(createLogger({ json: true, stream }), { node: '/r1/gate', robot: 'r1' });
    log.info('stopped', { reason: 'obstacle' });
    const line = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      message: 'stopped',
      node: '/r1/gate',
      robot: 'r1',
      reason: 'obstacle',
    });
    expect(typeof line.timestamp).toBe('string');
  });

  it('writes a readable line when not JSON, and honours the level', () => {
    const { stream, out } = capture();
    const log = childLogger(createLogger({ json: false, stream, level: 'warn' }), { node: '/gate' });
    log.info('hidden');
    log.warn('shown', { topic: '/scan' });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/WARN {2}\[\/gate\] shown \{"topic":"\/scan"\}/);
  });

  it('accepts ROS 2 level names and rejects unknown ones', () => {
    expect(normalizeLevel('FATAL')).toBe('error');
    expect(normalizeLevel('warning')).toBe('warn');
    expect(normalizeLevel('DEBUG')).toBe('debug');
    expect(() => normalizeLevel('loud')).toThrow(expect.objectContaining({ code: 'KZ_ERR_CLI_USAGE' }));
  });
});
