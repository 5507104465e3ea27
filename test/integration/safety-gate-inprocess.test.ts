import { Writable } from 'node:stream';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { createLogger } from '../../nodes/core/logging';
import { safetyGateSuite } from './safety-gate-suite';

// The suite provokes warnings and errors on purpose (rejected inputs, a second cmd_vel publisher);
// it checks them through diagnostics and SafetyState, so the log lines go nowhere.
const quiet = (): ReturnType<typeof createLogger> =>
  createLogger({ json: true, stream: new Writable({ write: (_c, _e, cb) => cb() }) });

safetyGateSuite('in-process, manual clock', async () => {
  const graph = new InProcessGraph({ clock: 'manual', logger: quiet() });
  return {
    graph,
    // Small steps so every timer fires at its own instant, as on a real clock.
    advance: async (sec: number) => {
      const steps = Math.round(sec / 0.01);
      for (let i = 0; i < steps; i++) await graph.advance(0.01);
    },
    settle: () => graph.flush(),
    deterministic: true,
  };
});
