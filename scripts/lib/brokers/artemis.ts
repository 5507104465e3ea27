/**
 * Apache ActiveMQ Artemis as a highly available MQTT broker: a primary and a replicated backup on
 * loopback ports. The bin zip comes from Maven Central (org.apache.activemq:apache-artemis:<v>:zip:bin)
 * through the maven dependency plugin and is unpacked once under the broker cache; each pair gets its
 * own instances (`artemis create`) in a directory of its own. The backup copies the primary's journal
 * (sessions, subscriptions, queued and retained messages) as it is written and opens its acceptors only
 * when the primary is gone: a client's list of both URLs reaches whichever node is active.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerCacheDir, exitedText, stopAll, freePorts, portOpen, rssMB, waitForPort, which } from './common';

export const ARTEMIS_VERSION = '2.40.0';
const ARTIFACT = `org.apache.activemq:apache-artemis:${ARTEMIS_VERSION}:zip:bin`;

/** The unpacked Artemis under the cache (ARTEMIS_HOME), whether or not it is there yet. */
export function artemisHome(cache = brokerCacheDir()): string {
  return join(cache, 'artemis', `apache-artemis-${ARTEMIS_VERSION}`);
}

/** Why Artemis cannot run here (no Java, or not fetched: `npm run broker:cluster`), or undefined. */
export function artemisMissing(cache = brokerCacheDir()): string | undefined {
  if (!which('java')) return 'java is not installed (apt-get install default-jdk-headless)';
  if (!existsSync(join(artemisHome(cache), 'bin', 'artemis'))) {
    return `Artemis ${ARTEMIS_VERSION} is not in ${join(cache, 'artemis')}: run npm run broker:cluster (needs maven and the network once)`;
  }
  return undefined;
}

/** Fetches the bin zip with maven (its default repository, Maven Central) and unpacks it; idempotent. */
export function fetchArtemis(cache = brokerCacheDir(), log: (s: string) => void = () => undefined): string {
  const home = artemisHome(cache);
  if (existsSync(join(home, 'bin', 'artemis'))) return home;
  if (!which('java')) throw new Error('java is not installed (apt-get install default-jdk-headless)');
  if (!which('mvn')) throw new Error('maven is not installed (apt-get install maven)');
  const dir = join(cache, 'artemis');
  mkdirSync(dir, { recursive: true });
  const zip = join(dir, `apache-artemis-${ARTEMIS_VERSION}-bin.zip`);
  if (!existsSync(zip)) {
    log(`fetching ${ARTIFACT} with the maven dependency plugin`);
    const r = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        'dependency:copy',
        `-Dartifact=${ARTIFACT}`,
        `-DoutputDirectory=${dir}`,
        `-Dmaven.repo.local=${join(cache, 'm2')}`,
      ],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.status !== 0 || !existsSync(zip))
      throw new Error(`mvn dependency:copy ${ARTIFACT} failed:\n${r.stdout}${r.stderr}`);
  }
  log(`unpacking ${zip}`);
  // python3's zipfile (no unzip on a bare Debian); it drops the executable bits, restored below.
  const u = spawnSync('python3', ['-m', 'zipfile', '-e', zip, dir], { encoding: 'utf8' });
  if (u.status !== 0) throw new Error(`cannot unpack ${zip}: ${u.stderr}`);
  for (const f of ['artemis', 'artemis-service']) {
    const p = join(home, 'bin', f);
    if (existsSync(p)) chmodSync(p, 0o755);
  }
  return home;
}

/** One Artemis instance of a pair. */
export interface ArtemisNode {
  readonly role: 'primary' | 'backup';
  readonly dir: string;
  readonly corePort: number;
  readonly mqttPort: number;
  readonly url: string;
  proc: ChildProcess | undefined;
  output: string;
}

export interface ArtemisPairOptions {
  /** Where the two instances are created (removed by close()). */
  dir: string;
  cache?: string;
  /** [MB] heap of each JVM. Default 384. */
  heapMB?: number;
}

/** A primary + replicated backup pair on free loopback ports. */
export class ArtemisPair {
  private constructor(readonly nodes: readonly [ArtemisNode, ArtemisNode]) {}

  /** MQTT URLs: primary, backup. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Creates both instances (artemis create, then their ports and HA settings). */
  static async create(o: ArtemisPairOptions): Promise<ArtemisPair> {
    const home = artemisHome(o.cache);
    const missing = artemisMissing(o.cache);
    if (missing) throw new Error(missing);
    const [pCore, pMqtt, bCore, bMqtt] = await freePorts(4);
    const heap = o.heapMB ?? 384;
    mkdirSync(o.dir, { recursive: true });
    const make = (role: 'primary' | 'backup', core: number, mqttPort: number, peerCore: number): ArtemisNode => {
      const dir = join(o.dir, role);
      const r = spawnSync(
        join(home, 'bin', 'artemis'),
        [
          'create',
          dir,
          '--silent',
          '--force',
          '--name',
          role,
          '--user',
          'kizuna',
          '--password',
          'kizuna',
          '--allow-anonymous',
          '--host',
          '127.0.0.1',
          '--replicated',
          ...(role === 'backup' ? ['--backup'] : []),
          '--failover-on-shutdown',
          '--cluster-user',
          'kizuna-cluster',
          '--cluster-password',
          'kizuna-cluster',
          '--staticCluster',
          `tcp://127.0.0.1:${peerCore}`,
          '--no-web',
          '--no-amqp-acceptor',
          '--no-stomp-acceptor',
          '--no-hornetq-acceptor',
          '--no-autotune',
          '--nio',
          '--java-memory',
          `${heap}M`,
        ],
        { encoding: 'utf8', env: { ...process.env, ARTEMIS_HOME: home } },
      );
      if (r.status !== 0) throw new Error(`artemis create ${role} failed:\n${r.stdout}${r.stderr}`);
      const xmlFile = join(dir, 'etc', 'broker.xml');
      const xml = readFileSync(xmlFile, 'utf8')
        .replaceAll('127.0.0.1:61616', `127.0.0.1:${core}`)
        .replaceAll('127.0.0.1:1883', `127.0.0.1:${mqttPort}`)
        // With two nodes a primary that loses its backup has nobody to ask: it keeps serving. Restarted
        // after a failover it finds the backup active under its node id and becomes its backup instead
        // of a second active node (check-for-active-server); the backup keeps the role (no failback,
        // which would be a second outage).
        .replace(
          '<vote-on-replication-failure>true</vote-on-replication-failure>',
          '<vote-on-replication-failure>false</vote-on-replication-failure>\n               <check-for-active-server>true</check-for-active-server>',
        )
        .replace('<backup/>', '<backup>\n               <allow-failback>false</allow-failback>\n            </backup>');
      writeFileSync(xmlFile, xml);
      // `artemis create` writes -Xms512M whatever --java-memory says: the heap is fixed at one size.
      const profile = join(dir, 'etc', 'artemis.profile');
      writeFileSync(profile, readFileSync(profile, 'utf8').replace(/-Xms\d+M/, `-Xms${heap}M`));
      return { role, dir, corePort: core, mqttPort, url: `mqtt://127.0.0.1:${mqttPort}`, proc: undefined, output: '' };
    };
    return new ArtemisPair([make('primary', pCore!, pMqtt!, bCore!), make('backup', bCore!, bMqtt!, pCore!)]);
  }

  /** Starts one node's JVM (`artemis run`). */
  private launch(n: ArtemisNode): void {
    n.output = '';
    const p = spawn(join(n.dir, 'bin', 'artemis'), ['run'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      n.output = (n.output + d.toString()).slice(-200_000);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    n.proc = p;
  }

  /**
   * Starts the primary (until its MQTT port opens), then the backup (until it reports its replica in
   * sync: from then on a kill of the primary loses nothing acknowledged).
   */
  async start(timeoutMs = 90_000): Promise<void> {
    const [primary, backup] = this.nodes;
    this.launch(primary);
    await waitForPort(primary.mqttPort, timeoutMs, 'Artemis primary', () => exited(primary));
    this.launch(backup);
    await this.waitSynced(backup, timeoutMs);
  }

  /**
   * Starts `n` again after it died (the old primary after a failover): it comes back as the backup of
   * the node that took over, and resolves once its replica is in sync.
   */
  async restart(n: ArtemisNode, timeoutMs = 90_000): Promise<void> {
    this.launch(n);
    await this.waitSynced(n, timeoutMs);
  }

  /** Waits for `n`'s "backup synchronized with the active server" line (AMQ221024). */
  private async waitSynced(n: ArtemisNode, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/AMQ221024/.test(n.output)) {
      const dead = exited(n);
      if (dead) throw new Error(`Artemis ${n.role} exited: ${dead}\n${n.output.slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(`Artemis ${n.role} not in sync after ${timeoutMs} ms:\n${n.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The node whose MQTT acceptor is open now (the active one), or undefined. */
  async active(): Promise<ArtemisNode | undefined> {
    for (const n of this.nodes) if (n.proc && n.proc.exitCode === null && (await portOpen(n.mqttPort))) return n;
    return undefined;
  }

  /** kill -9 of `n`'s JVM; resolves once it is gone. */
  async kill9(n: ArtemisNode): Promise<void> {
    const p = n.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((res) => {
      p.once('exit', () => res());
      p.kill('SIGKILL');
    });
  }

  /** Resolves once `n` (the backup, after the primary's death) has opened its MQTT acceptor. */
  async waitActive(n: ArtemisNode, timeoutMs = 60_000): Promise<void> {
    await waitForPort(n.mqttPort, timeoutMs, `Artemis ${n.role} taking over`, () => exited(n));
  }

  /** [MB] resident memory of each running JVM, by role. */
  memoryMB(): Record<string, number | undefined> {
    return Object.fromEntries(
      this.nodes.map((n) => [n.role, n.proc?.exitCode === null ? rssMB(n.proc.pid) : undefined]),
    );
  }

  /** Stops both JVMs (SIGTERM, then SIGKILL after 10 s) and removes their instances. */
  async close(removeDir?: string): Promise<void> {
    await stopAll(
      this.nodes.map((n) => n.proc),
      removeDir,
    );
  }
}

function exited(n: ArtemisNode): string | undefined {
  return exitedText(n.proc, n.output);
}
