import { startAedes, type AedesBroker } from '../../helpers/brokers';
import { bridgeSuite } from './suite';

// aedes speaks MQTT 3.1.1 only.
bridgeSuite({
  name: 'aedes',
  start: startAedes,
  protocols: [4],
  observe: (broker, cb) => (broker as AedesBroker).onPublish((topic, payload) => cb(topic, payload)),
});
