/**
 * The pure parts of the rclnodejs services and actions: timeouts as rclnodejs takes them, outgoing
 * messages as its generated setters accept them, and pending requests rejected when their node goes.
 */
import { describe, it, expect } from '@jest/globals';
import { clampMs, rclMessage } from '../../../nodes/core/graph/rclnodejs/convert';
import { PendingCalls } from '../../../nodes/core/graph/rclnodejs/services';
import { assertMessage } from '../../../nodes/core/interfaces/validate';

describe('timeouts handed to rclnodejs', () => {
  it('are whole milliseconds within what AbortSignal.timeout and setTimeout accept', () => {
    expect(clampMs(1234.5)).toBe(1235);
    expect(clampMs(-5)).toBe(0);
    expect(clampMs(0.2, 1)).toBe(1);
    expect(clampMs(-3, 1)).toBe(1);
    expect(clampMs(Number.NaN)).toBe(0);
    expect(clampMs(Infinity)).toBe(2 ** 31 - 1);
    expect(clampMs(1e12)).toBe(2 ** 31 - 1);
    // What sendRequestAsync does with it (lib/client.js): must not throw ERR_OUT_OF_RANGE.
    expect(() => AbortSignal.timeout(clampMs(0.7, 1))).not.toThrow();
  });
});

describe('outgoing messages handed to rclnodejs', () => {
  it('carry 64-bit integers as bigint and numeric arrays as typed arrays, without touching the input', () => {
    const value = {
      type: 2,
      bool_value: false,
      integer_value: 42,
      double_value: 0,
      string_value: '',
      byte_array_value: [1, 2],
      bool_array_value: [true],
      integer_array_value: [1, 2n],
      double_array_value: [0.5],
      string_array_value: ['a'],
    };
    assertMessage('rcl_interfaces/msg/ParameterValue', value);
    const out = rclMessage('rcl_interfaces/msg/ParameterValue', value) as unknown as Record<string, unknown>;
    expect(out.integer_value).toBe(42n);
    expect(out.integer_array_value).toEqual([1n, 2n]);
    expect(out.byte_array_value).toBeInstanceOf(Uint8Array);
    expect(out.double_array_value).toBeInstanceOf(Float64Array);
    expect(out.bool_array_value).toEqual([true]);
    expect(value.integer_value).toBe(42);
  });
});

describe('pending requests of a node', () => {
  it('settle as rclnodejs settles them while the node lives', async () => {
    const pending = new PendingCalls('/n');
    await expect(pending.track('/a', () => Promise.resolve(7))).resolves.toBe(7);
    await expect(pending.track('/a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      pending.track('/a', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('reject with KZ_ERR_GRAPH_SHUTDOWN when the node is destroyed, since rclnodejs never settles them', async () => {
    const pending = new PendingCalls('/n');
    const waiting = pending.track('/fibonacci', () => new Promise<never>(() => undefined));
    pending.close();
    await expect(waiting).rejects.toMatchObject({
      code: 'KZ_ERR_GRAPH_SHUTDOWN',
      context: { node: '/n', entity: '/fibonacci' },
    });
    let started = false;
    const later = pending.track('/fibonacci', () => {
      started = true;
      return Promise.resolve(1);
    });
    await expect(later).rejects.toMatchObject({ code: 'KZ_ERR_GRAPH_SHUTDOWN' });
    expect(started).toBe(false);
  });
});
