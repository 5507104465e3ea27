/**
 * `npm run broker:cluster`: fetches and caches the clustered brokers kizuna is tested on (Apache
 * ActiveMQ Artemis from Maven Central with maven, nats-server built with `go install`), then for each
 * creates a cluster on free loopback ports, starts it, checks that it carries MQTT, and stops it.
 *
 *   npm run broker:cluster                       fetch both, start, health-check, stop
 *   npm run broker:cluster -- --engine artemis   only one engine (artemis or nats)
 *   npm run broker:cluster -- --fetch-only       fetch and build only (CI, before the tests)
 *   npm run broker:cluster -- --keep             leave it running and print its URLs (Ctrl-C stops it),
 *                                                e.g. for `kizuna sim --broker <urls>`
 *
 * Cache: $KIZUNA_BROKER_CACHE, else .cache/brokers. Needs java and mvn (Artemis), go (NATS), network
 * access the first time only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtemisPair, ARTEMIS_VERSION, fetchArtemis } from './lib/brokers/artemis';
import { brokerCacheDir, mqttRoundTrip } from './lib/brokers/common';
import { NatsCluster, NATS_VERSION, fetchNats } from './lib/brokers/nats';

const USAGE = 'usage: npm run broker:cluster -- [--engine artemis|nats|all] [--fetch-only] [--keep]';

function parse(args: string[]): { engines: Array<'artemis' | 'nats'>; fetchOnly: boolean; keep: boolean } {
  let engine = 'all';
  let fetchOnly = false;
  let keep = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--engine') engine = args[++i] ?? '';
    else if (a === '--fetch-only') fetchOnly = true;
    else if (a === '--keep') keep = true;
    else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  if (engine !== 'all' && engine !== 'artemis' && engine !== 'nats')
    throw new Error(`--engine must be artemis, nats or all\n${USAGE}`);
  return { engines: engine === 'all' ? ['artemis', 'nats'] : [engine], fetchOnly, keep };
}

const log = (s: string): void => void process.stderr.write(`broker:cluster: ${s}\n`);

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const cache = brokerCacheDir();
  log(`cache ${cache}`);
  const t0 = performance.now();
  if (o.engines.includes('artemis')) log(`Artemis ${ARTEMIS_VERSION}: ${fetchArtemis(cache, log)}`);
  if (o.engines.includes('nats')) log(`nats-server ${NATS_VERSION}: ${fetchNats(cache, log)}`);
  log(`fetched in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (o.fetchOnly) return;

  const stops: Array<() => Promise<void>> = [];
  try {
    if (o.engines.includes('artemis')) {
      const dir = mkdtempSync(join(tmpdir(), 'kizuna-artemis-'));
      const pair = await ArtemisPair.create({ dir, cache });
      stops.push(() => pair.close(dir));
      const t = performance.now();
      await pair.start();
      const rt = await mqttRoundTrip(pair.urls[0]!, 5);
      log(
        `artemis: primary ${pair.urls[0]} + replicated backup ${pair.urls[1]} up and in sync in ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
          `MQTT 5 round trip ${rt.toFixed(0)} ms; memory ${JSON.stringify(pair.memoryMB())} MB`,
      );
      if (o.keep) process.stdout.write(`artemis ${pair.urls.join(',')}\n`);
    }
    if (o.engines.includes('nats')) {
      const dir = mkdtempSync(join(tmpdir(), 'kizuna-nats-'));
      const cluster = await NatsCluster.create({ dir, cache });
      stops.push(() => cluster.close(dir));
      const t = performance.now();
      await cluster.start();
      log(
        `nats: 3 nodes ${cluster.urls.join(' ')} (JetStream, MQTT 3.1.1) up in ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
          `memory ${JSON.stringify(cluster.memoryMB())} MB`,
      );
      if (o.keep) process.stdout.write(`nats ${cluster.urls.join(',')}\n`);
    }
    if (o.keep) {
      log('running: Ctrl-C stops');
      await new Promise<void>((res) => {
        process.once('SIGINT', () => res());
        process.once('SIGTERM', () => res());
      });
    }
  } finally {
    for (const s of stops.reverse()) await s();
    log('stopped');
  }
}

main().catch((err: unknown) => {
  log(`FAILED: ${(err as Error).message}`);
  process.exit(1);
});
