import { describe, expect, it } from '@jest/globals';
import { withQuietConsole } from '../../../nodes/core/graph/rclnodejs/graph';
import { rosoutText } from '../../../nodes/core/graph/rclnodejs/rosout';

describe('rclnodejs graph logging', () => {
  it("turns rcl's console output off unless the command line chose", () => {
    expect(withQuietConsole(['kizuna'])).toEqual(['kizuna', '--ros-args', '--disable-stdout-logs']);
    expect(withQuietConsole(['kizuna', '--ros-args', '--log-level', 'warn'])).toEqual([
      'kizuna',
      '--ros-args',
      '--log-level',
      'warn',
      '--disable-stdout-logs',
    ]);
    expect(withQuietConsole(['kizuna', '--ros-args', '--enable-stdout-logs'])).toEqual([
      'kizuna',
      '--ros-args',
      '--enable-stdout-logs',
    ]);
  });

  it('sends the message and its structured fields, without level, time, node and robot', () => {
    expect(
      rosoutText({ level: 'warn', message: 'battery low', timestamp: 't', node: '/n', robot: 'r1', percent: 12 }),
    ).toBe('battery low {"percent":12}');
    expect(rosoutText({ level: 'info', message: 'plain', node: '/n' })).toBe('plain');
  });
});
