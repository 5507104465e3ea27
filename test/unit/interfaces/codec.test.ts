import { describe, it, expect, beforeAll } from '@jest/globals';
import { codecFor, createMessage, messageProblems } from '../../../nodes/core/interfaces/validate';
import { MESSAGES } from '../../../nodes/core/interfaces/definitions.generated';
import { isKizunaError, type KizunaError } from '../../../nodes/core/errors';

function refusal(fn: () => unknown): KizunaError {
  try {
    fn();
  } catch (e) {
    if (isKizunaError(e)) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

const scanCodec = codecFor('sensor_msgs/msg/LaserScan');
function scan(ranges: ArrayLike<number>): Record<string, unknown> {
  return { ...createMessage('sensor_msgs/msg/LaserScan'), ranges, intensities: [] };
}

describe('compiled message codecs', () => {
  it('accepts a typed array of the field element type as it is, and copies it', () => {
    const ranges = new Float32Array([1, 2, 3]);
    const out = scanCodec.check(scan(ranges)) as { ranges: Float32Array };
    expect(out.ranges).toBeInstanceOf(Float32Array);
    expect(out.ranges).not.toBe(ranges);
    ranges[0] = 9;
    expect(Array.from(out.ranges)).toEqual([1, 2, 3]);
  });

  it('checks plain arrays and other typed arrays element by element, naming the bad element', () => {
    const out = scanCodec.check(scan([0.5, 2])) as { ranges: Float32Array };
    expect(out.ranges).toBeInstanceOf(Float32Array);
    expect(refusal(() => scanCodec.check(scan([1, 2, 3, 1e39]))).message).toMatch(
      /field 'ranges\[3\]': 1e\+39 overflows float32/,
    );
    expect(refusal(() => scanCodec.check(scan(new Float64Array([1, 1e39])))).message).toMatch(/ranges\[1\]/);
    expect(refusal(() => scanCodec.validate(scan([1, '2' as never]))).message).toMatch(
      /field 'ranges\[1\]': expected float32/,
    );
    // ±Inf and NaN are valid readings (REP 117).
    expect(() => scanCodec.check(scan([Infinity, -Infinity, NaN]))).not.toThrow();
  });

  it('enforces fixed array lengths and copies 64-bit integer arrays as bigint', () => {
    const odom = createMessage('nav_msgs/msg/Odometry') as { pose: { covariance: number[] } };
    odom.pose.covariance = new Array(35).fill(0);
    expect(refusal(() => codecFor('nav_msgs/msg/Odometry').check(odom)).message).toMatch(
      /pose.covariance': fixed-size array needs exactly 36/,
    );
    const pv = { ...createMessage('rcl_interfaces/msg/ParameterValue'), integer_array_value: [1, 2n] };
    const out = codecFor('rcl_interfaces/msg/ParameterValue').check(pv) as { integer_array_value: unknown[] };
    expect(out.integer_array_value).toEqual([1n, 2n]);
  });

  it('clones a checked message deeply', () => {
    const checked = scanCodec.check(scan([1, 2])) as { ranges: Float32Array; header: { frame_id: string } };
    const copy = scanCodec.clone(checked) as typeof checked;
    expect(copy).toEqual(checked);
    expect(copy.ranges).not.toBe(checked.ranges);
    expect(copy.header).not.toBe(checked.header);
  });

  describe('bounded strings', () => {
    beforeAll(() => {
      // A test-only type with a bounded string, as rosidl bounds `string<=4`.
      MESSAGES['kizuna_test/msg/Bounded'] = {
        name: 'kizuna_test/msg/Bounded',
        fields: [{ name: 'code', type: 'string', isComplex: false, isArray: false, stringUpperBound: 4 }],
        constants: [],
      };
    });

    it('counts the bound in UTF-8 bytes, as rosidl does', () => {
      const c = codecFor('kizuna_test/msg/Bounded');
      expect(() => c.check({ code: 'abcd' })).not.toThrow();
      // Two characters, six UTF-8 bytes.
      expect(refusal(() => c.check({ code: 'ロボ' })).message).toMatch(/6 UTF-8 bytes exceeds its bound 4/);
      expect(messageProblems('kizuna_test/msg/Bounded', { code: 'ab' })).toEqual([]);
    });
  });
});
