import { describe, expect, it } from '@jest/globals';
import { parse } from '@foxglove/rosmsg';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MESSAGES } from '../../../nodes/core/interfaces/definitions.generated';
import { plain, sampleMessage, toFoxgloveDefinitions, zeroMessage } from './cdr-helpers';

const root = path.resolve(__dirname, '../../..');
const JAZZY = path.join(root, 'node_modules/@foxglove/rosmsg-msgs-common/msgdefs/ros2jazzy');

function roundTrip(name: string, message: unknown): unknown {
  const defs = toFoxgloveDefinitions(name, MESSAGES);
  const bytes = new MessageWriter(defs).writeMessage(message);
  const reader = new MessageReader(defs);
  const decoded = reader.readMessage(bytes);
  expect(reader.lastReadHadTrailingBytes()).toBe(false);
  return decoded;
}

/** Every standard message the upstream Jazzy set defines, as [full name, .msg path]. */
function standardMessages(): [string, string][] {
  const out: [string, string][] = [];
  for (const pkg of fs.readdirSync(JAZZY).sort()) {
    const dir = path.join(JAZZY, pkg, 'msg');
    for (const file of fs.readdirSync(dir).sort()) {
      const name = `${pkg}/msg/${path.basename(file, '.msg')}`;
      if (MESSAGES[name]) out.push([name, path.join(dir, file)]);
    }
  }
  return out;
}

describe('CDR with the generated definitions', () => {
  const own = Object.keys(MESSAGES).filter((n) => n.startsWith('kizuna_msgs/'));

  it.each(own)('round-trips a zero-valued %s', (name) => {
    const zero = zeroMessage(name, MESSAGES);
    expect(plain(roundTrip(name, zero))).toEqual(plain(zero));
  });

  it.each(own)('round-trips a sample %s', (name) => {
    const sample = sampleMessage(name, MESSAGES);
    expect(plain(roundTrip(name, sample))).toEqual(plain(sample));
  });

  it('round-trips a zero-valued and a realistic sensor_msgs/msg/LaserScan', () => {
    const zero = zeroMessage('sensor_msgs/msg/LaserScan', MESSAGES);
    expect(plain(roundTrip('sensor_msgs/msg/LaserScan', zero))).toEqual(plain(zero));
    const scan = {
      header: { stamp: { sec: 1_700_000_000, nanosec: 5 }, frame_id: 'base_scan' },
      angle_min: -Math.PI / 2,
      angle_max: Math.PI / 2,
      angle_increment: Math.PI / 180,
      time_increment: 0,
      scan_time: 0.1,
      range_min: 0.12,
      range_max: 12,
      ranges: new Float32Array([1, 2.5, Infinity]),
      intensities: new Float32Array(0),
    };
    const decoded = plain(roundTrip('sensor_msgs/msg/LaserScan', scan)) as Record<string, unknown>;
    expect(decoded.ranges).toEqual([1, 2.5, Infinity]);
    expect(decoded.header).toEqual(scan.header);
    expect(decoded.angle_min).toBeCloseTo(-Math.PI / 2, 6);
  });

  it('writes the same bytes as the upstream Jazzy definitions for every standard message', () => {
    const checked: string[] = [];
    for (const [name, file] of standardMessages()) {
      const upstream = parse(fs.readFileSync(file, 'utf8'), { ros2: true });
      if (upstream[0]?.definitions.every((d) => d.isConstant === true)) {
        // Constants only (e.g. rcl_interfaces/msg/ParameterType): no data on the wire.
        expect(MESSAGES[name]?.fields).toEqual([]);
        continue;
      }
      const sample = sampleMessage(name, MESSAGES);
      const ours = new MessageWriter(toFoxgloveDefinitions(name, MESSAGES)).writeMessage(sample);
      const theirs = new MessageWriter(upstream).writeMessage(sample);
      expect({ name, bytes: Array.from(ours) }).toEqual({ name, bytes: Array.from(theirs) });
      checked.push(name);
    }
    expect(checked).toContain('sensor_msgs/msg/LaserScan');
    expect(checked.length).toBeGreaterThan(100);
  });
});
