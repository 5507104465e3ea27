/** Value limits of the ROS 2 primitive types, shared by the message checker and its interpreter. */

/** Inclusive range of each integer type. */
export const INT_RANGE: Record<string, [bigint, bigint]> = {
  int8: [-128n, 127n],
  uint8: [0n, 255n],
  byte: [0n, 255n],
  char: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint64: [0n, 18446744073709551615n],
};

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The UTF-8 length of `v` in bytes, as rosidl bounds a `string<=N`. */
export function utf8Length(v: string): number {
  return Buffer.byteLength(v, 'utf8');
}
