import { BridgeStore } from './nodes/cloud_bridge/store';
const s = new BridgeStore('/tmp/bridge-x.sqlite', { robotId: 'r1', synchronous: 'normal', softMaxMessages: 5, maxMessages: 8, maxBytes: 1<<20 });
console.log('opened');
console.log(s.enqueueEvent('e', 'event', 1, (q) => Buffer.from(String(q))));
s.close();
