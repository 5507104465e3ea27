import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadInterfaces, renderRclnodejsDts } from '../../../scripts/lib/msggen';
import { checkRclnodejsDts } from '../../../scripts/lib/msggen/check-rclnodejs-dts';

const root = path.resolve(__dirname, '../../..');
// rclnodejs is optional (it needs ROS 2). Use its declarations from, in order: the
// directory KIZUNA_RCLNODEJS_TYPES names, an installed rclnodejs, or the copy
// scripts/rclnodejs-types.ts caches; skip when none is present.
const typesDir = [
  process.env.KIZUNA_RCLNODEJS_TYPES,
  path.join(root, 'node_modules/rclnodejs/types'),
  path.join(root, '.cache/rclnodejs/types'),
].find((dir): dir is string => dir !== undefined && fs.existsSync(path.join(dir, 'index.d.ts')));

const STAMP = '{ stamp: { sec: 0, nanosec: 0 }, frame_id: "map" }';
const POSE = `{ header: ${STAMP}, pose: { position: { x: 1, y: 2, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } }`;

/** Uses a message, a service and an action the way kizuna's nodes will. */
function probe(scanFields: string): string {
  return `
import * as rclnodejs from 'rclnodejs';
export async function probe(node: rclnodejs.Node): Promise<boolean> {
  node.createPublisher('sensor_msgs/msg/LaserScan', 'scan').publish({
    header: ${STAMP}, angle_min: -1.5, angle_max: 1.5, angle_increment: 0.01, time_increment: 0,
    scan_time: 0.1, ${scanFields}, ranges: new Float32Array(300), intensities: [],
  });
  node.createSubscription('kizuna_msgs/msg/BridgeStatus', 'bridge_status', (m) => {
    const sent: bigint = m.sent_count;
    void sent;
  });
  const response = await node.createClient('std_srvs/srv/Trigger', 'trigger').sendRequestAsync({});
  const nav = new rclnodejs.ActionClient(node, 'nav2_msgs/action/NavigateToPose', 'navigate_to_pose');
  const handle = await nav.sendGoal({ pose: ${POSE}, behavior_tree: '' }, (feedback) => {
    const left: number = feedback.distance_remaining;
    void left;
  });
  const result = await handle.getResult();
  const code: number = result.error_code;
  return response.success && code === 0;
}
`;
}

(typesDir !== undefined ? describe : describe.skip)('rclnodejs interfaces.d.ts from the generator', () => {
  const dts = renderRclnodejsDts(loadInterfaces(root));
  const typeRoots = [path.join(root, 'node_modules/@types')];

  it('lets rclnodejs’s own declarations type a publisher, a service client and an action client', () => {
    const diagnostics = checkRclnodejsDts({
      typesDir: typesDir ?? '',
      dts,
      probe: probe('range_min: 0.1, range_max: 12'),
      typeRoots,
    });
    expect(diagnostics).toEqual([]);
  }, 60000);

  it('rejects a misspelled message field', () => {
    const diagnostics = checkRclnodejsDts({
      typesDir: typesDir ?? '',
      dts,
      probe: probe('range_min: 0.1, range_maxx: 12'),
      typeRoots,
    });
    expect(diagnostics.join('\n')).toContain("'range_maxx' does not exist");
  }, 60000);
});
