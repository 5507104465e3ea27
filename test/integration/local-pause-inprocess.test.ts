/** The local pause suite (./local-pause-suite.ts) on the in-process graph. */
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { createLogger } from '../../nodes/core/logging';
import { localPauseSuite } from './local-pause-suite';

localPauseSuite('inprocess', async () => new InProcessGraph({ logger: createLogger({ level: 'error', json: true }) }));
