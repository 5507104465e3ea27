/**
 * A shard in a worker thread: builds a SimShard from its init data and answers the main thread's
 * commands (step, fault, link, pending, flow, report, close). Loaded by ShardPool (sim/fleet/shards.ts).
 */
import { serveShard } from '../../nodes/core/graph/inprocess/shards';
import type { TimedFault } from '../scenario';
import { SimShard, type ShardInit } from './shard';

let shard: SimShard | undefined;
const init = serveShard({
  start: async () => {
    shard = await SimShard.create(init as ShardInit);
    return true;
  },
  step: (untilS) => shard!.step(untilS as number),
  fault: (f) => shard!.fault(f as TimedFault),
  link: (a) => {
    const { robotId, up } = a as { robotId: string; up: boolean };
    return shard!.setLink(robotId, up);
  },
  pending: () => shard!.pending(),
  flow: () => shard!.flow(),
  settle: () => shard!.settle(),
  tap: (on) => {
    shard!.setTap(on as boolean);
    return true;
  },
  report: () => shard!.report(),
  close: async () => {
    const bytes = (await shard?.close()) ?? [];
    shard = undefined;
    return bytes;
  },
});
