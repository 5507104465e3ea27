import { createRclnodejsGraph } from './nodes/core/graph/rclnodejs/graph';
(async () => {
  const g = await createRclnodejsGraph({});
  const a = g.createNode('a'); const b = g.createNode('b');
  let got = 0;
  b.createSubscription('std_msgs/msg/Empty', '/empty_t', () => got++, { reliability: 'reliable', durability: 'volatile', depth: 1 });
  const pub = a.createPublisher('std_msgs/msg/Empty', '/empty_t', { reliability: 'reliable', durability: 'volatile', depth: 1 });
  await new Promise((r) => setTimeout(r, 500));
  console.log('subs', pub.subscriptionCount());
  for (let i = 0; i < 10; i++) { pub.publish({} as never); await new Promise((r) => setTimeout(r, 100)); }
  console.log('Empty received', got, 'of 10');
  let got2 = 0;
  b.createSubscription('std_msgs/msg/String', '/str_t', () => got2++, { reliability: 'reliable', durability: 'volatile', depth: 1 });
  const p2 = a.createPublisher('std_msgs/msg/String', '/str_t', { reliability: 'reliable', durability: 'volatile', depth: 1 });
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 10; i++) { p2.publish({ data: 'x' }); await new Promise((r) => setTimeout(r, 100)); }
  console.log('String received', got2, 'of 10');
  await g.shutdown();
})();
