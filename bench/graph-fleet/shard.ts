/**
 * A fleet-benchmark shard (worker thread): its own in-process graph on the wall clock with its share of
 * the robots. Commands: `start`, `reset` (drop warm-up figures), `report`, `stop`.
 */
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { serveShard } from '../../nodes/core/graph/inprocess/shards';
import { addRobot, newStats } from './robot';
import { createLogger } from '../../nodes/core/logging';

// Late timers are counted through TimerInfo; their warnings would only flood the benchmark output.
const graph = new InProcessGraph({ logger: createLogger({ level: 'error', json: true }) });
const stats = newStats();

const init = serveShard({
  start: () => {
    for (const id of init.robots) addRobot(graph, id, stats, true);
    return init.robots.length;
  },
  reset: () => {
    Object.assign(stats, newStats());
    return true;
  },
  report: () => stats,
  stop: async () => {
    await graph.shutdown();
    return true;
  },
}) as { robots: string[] };
