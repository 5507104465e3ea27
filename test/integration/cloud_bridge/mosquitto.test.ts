import { mosquittoSkipReason, startMosquitto } from '../../helpers/brokers';
import { bridgeSuite } from './suite';
import { sessionSuite } from './session-suite';

const skip = mosquittoSkipReason();
bridgeSuite({ name: 'mosquitto', start: () => startMosquitto(), protocols: [5, 4], ...(skip ? { skip } : {}) });
sessionSuite({
  name: 'mosquitto',
  start: () => startMosquitto(),
  startVolatile: () => startMosquitto({ persistent: false }),
  protocols: [5, 4],
  ...(skip ? { skip } : {}),
});
