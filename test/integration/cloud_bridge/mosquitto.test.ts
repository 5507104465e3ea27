import { mosquittoSkipReason, startMosquitto } from '../../helpers/brokers';
import { bridgeSuite } from './suite';

const skip = mosquittoSkipReason();
bridgeSuite({ name: 'mosquitto', start: () => startMosquitto(), protocols: [5, 4], ...(skip ? { skip } : {}) });
