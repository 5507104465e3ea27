import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isMessageType } from '../../../nodes/core/interfaces';
import { PROFILE_NAMES } from '../../../nodes/core/profiles';
import { paramsSchema as perceptionParams } from '../../../nodes/perception/params';
import { paramsSchema as gateParams } from '../../../nodes/safety_gate/params';
import { robotTopics } from '../../../sim/messages';
import { PROFILE_DEFAULTS } from '../../../sim/profile-defaults';

function profileParams(profile: string, node: string): Record<string, unknown> {
  const doc = parse(readFileSync(join(__dirname, '../../../launch/params', `${profile}.yaml`), 'utf8')) as Record<
    string,
    { ros__parameters: Record<string, unknown> }
  >;
  return doc[node]!.ros__parameters;
}

describe('sim topics meet the nodes’ inputs and outputs', () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: the sim publishes every topic perception and the safety gate read, and reads the gate's cmd_vel`, () => {
      const topics = robotTopics(PROFILE_DEFAULTS[profile].lidars);
      for (const t of topics)
        expect({ topic: t.topic, known: isMessageType(t.type) }).toEqual({ topic: t.topic, known: true });
      const out = new Map(topics.filter((t) => t.direction === 'out').map((t) => [t.topic, t]));
      // The nodes' parameters as a robot of this profile runs them (profile file over schema defaults).
      const perception = perceptionParams.parse(profileParams(profile, 'perception'));
      const gate = gateParams.parse(profileParams(profile, 'safety_gate'));
      perception.scan_topics.forEach((topic, k) => {
        expect(out.get(topic)).toEqual(
          expect.objectContaining({ type: 'sensor_msgs/msg/LaserScan', frame: perception.scan_frames[k] }),
        );
      });
      gate.scan_topics.forEach((topic, k) => expect(out.get(topic)?.frame).toBe(gate.scan_frames[k]));
      expect(out.get(perception.odom_topic)?.type).toBe('nav_msgs/msg/Odometry');
      expect(out.get(gate.odom_topic)?.type).toBe('nav_msgs/msg/Odometry');
      expect(out.get(perception.imu_topic)?.type).toBe('sensor_msgs/msg/Imu');
      expect(out.get(perception.battery_topic)?.type).toBe('sensor_msgs/msg/BatteryState');
      expect(out.get(perception.estop_topic)?.type).toBe('std_msgs/msg/Bool');
      expect(out.get(gate.estop_topic)?.type).toBe('std_msgs/msg/Bool');
      expect(out.get(perception.people_topic)).toEqual(
        expect.objectContaining({ type: 'geometry_msgs/msg/PoseArray', frame: perception.base_frame }),
      );
      expect(topics).toContainEqual({ topic: gate.cmd_out_topic, type: 'geometry_msgs/msg/Twist', direction: 'in' });
    });
  }
});
