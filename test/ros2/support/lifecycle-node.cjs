// A managed (lifecycle) node on rclnodejs over rcl_lifecycle, for test/ros2/lifecycle-cli.test.ts: a lifecycle
// publisher of std_msgs/String on `chatter` (10 Hz, sent only while active), each transition logged on
// stdout as `transition <label>`. rclnodejs 2.2.0 does not activate lifecycle publishers by itself (rclcpp's
// LifecycleNode does): the activate / deactivate callbacks do it.
//   node test/ros2/support/lifecycle-node.cjs NAME
const rclnodejs = require('rclnodejs');

async function main() {
  const name = process.argv[2] || 'managed';
  await rclnodejs.init();
  const node = rclnodejs.createLifecycleNode(name);
  const pub = node.createLifecyclePublisher('std_msgs/msg/String', 'chatter');
  const { CallbackReturnCode } = rclnodejs.lifecycle;
  const log = (what) => process.stdout.write(`transition ${what}\n`);
  node.registerOnConfigure(() => (log('configure'), CallbackReturnCode.SUCCESS));
  node.registerOnActivate(() => (pub.activate(), log('activate'), CallbackReturnCode.SUCCESS));
  node.registerOnDeactivate(() => (pub.deactivate(), log('deactivate'), CallbackReturnCode.SUCCESS));
  node.registerOnCleanup(() => (log('cleanup'), CallbackReturnCode.SUCCESS));
  node.registerOnShutdown(() => (log('shutdown'), CallbackReturnCode.SUCCESS));
  let n = 0;
  node.createTimer(100n * 1000000n, () => {
    if (pub.isActivated()) pub.publish({ data: `hello ${n++}` });
  });
  node.spin();
  process.stdout.write(`ready ${node.getFullyQualifiedName ? node.getFullyQualifiedName() : name}\n`);
  process.on('SIGINT', () => {
    node.destroy();
    rclnodejs.shutdown();
    process.exit(0);
  });
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
