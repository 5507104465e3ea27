import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { safetyGateSuite } from './safety-gate-suite';

safetyGateSuite('in-process, manual clock', async () => {
  const graph = new InProcessGraph({ clock: 'manual' });
  return {
    graph,
    // Small steps so every timer fires at its own instant, as on a real clock.
    advance: async (sec: number) => {
      const steps = Math.round(sec / 0.01);
      for (let i = 0; i < steps; i++) await graph.advance(0.01);
    },
    settle: () => graph.flush(),
  };
});
