/**
 * A process that keeps black_box writing: scans of 2000 beams at 200 Hz into its ring buffer and an
 * operator capture asked for again as soon as the last one is written. Prints `writing` when the first
 * capture starts and `wrote <path>` for each complete file. The kill -9 test (black-box-kill.test.ts)
 * kills it at random moments. Usage: black-box-writer.ts DIR
 */
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { startBlackBox } from '../../nodes/black_box/node';

const dir = process.argv[2]!;
const graph = new InProcessGraph();
const bb = startBlackBox(
  graph.createNode('black_box', {
    namespace: '/robot7',
    parameterOverrides: { profile: 'delivery', dir, pre_s: 5, post_s: 0.2, scan_period_s: 0, min_interval_s: 0 },
  }),
);
const drv = graph.createNode('driver', { namespace: '/robot7' });
const scan = drv.createPublisher('sensor_msgs/msg/LaserScan', 'scan');
const ranges = Array.from({ length: 2000 }, (_, i) => 1 + (i % 97) / 10);
let n = 0;
drv.createTimer(0.005, () => {
  scan.publish({
    header: { stamp: drv.now(), frame_id: 'laser' },
    angle_min: -Math.PI,
    angle_max: Math.PI,
    angle_increment: (2 * Math.PI) / 2000,
    time_increment: 0,
    scan_time: 0.005,
    range_min: 0.05,
    range_max: 20,
    ranges: ranges.map((r) => r + (n % 7) / 100),
    intensities: ranges,
  });
  n++;
});
const capture = drv.createClient('std_srvs/srv/Trigger', '/robot7/black_box/capture');
let seen = 0;
drv.createTimer(0.05, () => {
  for (; seen < bb.written.length; seen++) process.stdout.write(`wrote ${bb.written[seen]!.path}\n`);
});
// the first capture after the ring holds a second of scans; the next each time the last file is complete
setTimeout(() => {
  const ask = (): void => {
    void capture.call({}).then(() => {
      if (seen === 0) process.stdout.write('writing\n');
      const before = bb.written.length;
      const wait = setInterval(() => {
        if (bb.written.length > before) {
          clearInterval(wait);
          ask();
        }
      }, 10);
    });
  };
  ask();
}, 1000);
