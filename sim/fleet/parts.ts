/**
 * One fleet run split across OS processes (and machines): `kizuna sim --shard K/N` runs part K of the
 * robots, `kizuna sim --planner-only` the planner, all against one broker; `kizuna sim report merge`
 * combines what each part wrote into one report and map.
 *
 * - Robots go to parts by {@link shardOf}: the scenario's robot list cut into N contiguous slices (the
 *   same cut worker-thread shards use), so every machine computes the same assignment.
 * - The parts meet on the broker, outside the kizuna contract's topics: the planner publishes the run's
 *   start (retained, {@link START_TOPIC}) with the wall-clock instant of sim time 0; every part paces its
 *   sim clock from that instant (so `--speed 0` is refused: lockstep needs one process). A robot part says
 *   on {@link DONE_TOPIC} when its outboxes are drained; the planner stays up (acknowledging) until every
 *   robot of the scenario was reported done, or its drain time is over.
 * - Each part writes a part file (`<report>.part.json`, {@link PART_FORMAT}): the run facts it measured
 *   (sim/report/report.ts `RunFacts`), which the merge joins: robots from the robot parts, the cloud
 *   side's books (events received, acknowledged, lost; decision round trips) from the planner part.
 */
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { z } from 'zod';
import { KizunaError } from '../../nodes/core/errors';
import { planShards } from '../../nodes/core/graph/inprocess/shards';
import type { Scenario } from '../scenario';
import type { CloudBook, RunFacts } from '../report/report';

/** Which part of how many (1-based). */
export interface PartIndex {
  index: number;
  count: number;
}

export const PART_FORMAT = 'kizuna-sim-part/1';
const TOPIC_ROOT = 'kizuna-sim';
/** Retained: when sim time 0 is, on the wall clock, for every part of the fleet's run. */
export const START_TOPIC = (fleet: string): string => `${TOPIC_ROOT}/${fleet}/run/start`;
/** A robot part's robots, once their outboxes are drained. */
export const DONE_TOPIC = (fleet: string): string => `${TOPIC_ROOT}/${fleet}/run/done`;

/** Parses `K/N` (1 ≤ K ≤ N ≤ 1024). */
export function parsePartIndex(text: string): PartIndex {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || index < 1 || count < 1 || count > 1024 || index > count) {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `--shard needs K/N with 1 <= K <= N <= 1024, got '${text}'`);
  }
  return { index, count };
}

/** The robot ids of part `p` (the same contiguous cut on every machine). */
export function shardOf(ids: readonly string[], p: PartIndex): string[] {
  const part = planShards(ids, p.count)[p.index - 1] ?? [];
  if (part.length === 0) {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      `--shard ${p.index}/${p.count}: the scenario has ${ids.length} robot(s), too few for ${p.count} parts`,
    );
  }
  return part;
}

const startSchema = z.strictObject({
  t0Ms: z.number().int().positive(),
  scenario: z.string(),
  seed: z.number(),
  durationS: z.number().positive(),
  speed: z.number().positive(),
  robots: z.array(z.string()),
});
export type RunStart = z.infer<typeof startSchema>;

const doneSchema = z.strictObject({ part: z.string(), robots: z.array(z.string()) });

/** A connected MQTT client for the parts' own topics. */
async function coordinator(url: string, mqttVersion: 4 | 5, what: string): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(url, {
    protocolVersion: mqttVersion,
    clientId: `kizuna-sim-${what}-${Math.random().toString(36).slice(2, 10)}`,
    reconnectPeriod: 500,
    connectTimeout: 5000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${url} within 10 s`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (err) {
    client.end(true);
    throw new KizunaError('KZ_ERR_SIM_PART', `the ${what} cannot reach the broker: ${(err as Error).message}`);
  }
  client.on('error', () => undefined);
  return client;
}

/** The planner's side of the meeting: announces the start and hears which robots are done. */
export class StartAnnouncer {
  readonly done = new Set<string>();

  private constructor(
    private readonly client: mqtt.MqttClient,
    private readonly fleet: string,
  ) {}

  static async open(url: string, mqttVersion: 4 | 5, fleet: string): Promise<StartAnnouncer> {
    const client = await coordinator(url, mqttVersion, 'planner-part');
    const a = new StartAnnouncer(client, fleet);
    client.on('message', (topic, payload) => {
      if (topic !== DONE_TOPIC(fleet)) return;
      const msg = parseJson(doneSchema, payload);
      if (msg) for (const id of msg.robots) a.done.add(id);
    });
    await client.subscribeAsync(DONE_TOPIC(fleet), { qos: 1 });
    return a;
  }

  async announce(start: RunStart): Promise<void> {
    await this.client.publishAsync(START_TOPIC(this.fleet), JSON.stringify(start), { qos: 1, retain: true });
  }

  /** Clears the retained start (the next run's parts must not take this one's) and disconnects. */
  async close(): Promise<void> {
    await this.client.publishAsync(START_TOPIC(this.fleet), '', { qos: 1, retain: true }).catch(() => undefined);
    await this.client.endAsync().catch(() => undefined);
  }
}

/**
 * A robot part's side: waits (up to `timeoutMs`) for the planner's start of this scenario and returns
 * it. A start of another scenario, seed, duration or speed is an error naming both; a start whose run is
 * long over (a planner that died before clearing it) is passed over.
 */
export async function awaitStart(
  url: string,
  mqttVersion: 4 | 5,
  fleet: string,
  want: { scenario: Scenario; speed: number },
  timeoutMs: number,
): Promise<RunStart> {
  const client = await coordinator(url, mqttVersion, 'robot-part');
  try {
    return await new Promise<RunStart>((resolve, reject) => {
      let stale = '';
      const timer = setTimeout(
        () =>
          reject(
            new KizunaError(
              'KZ_ERR_SIM_PART',
              `no planner announced the run on ${START_TOPIC(fleet)} within ${Math.round(timeoutMs / 1000)} s ` +
                `(start \`kizuna sim --planner-only\` with the same scenario, --fleet and --broker)${stale}`,
            ),
          ),
        timeoutMs,
      );
      client.on('message', (_topic, payload) => {
        if (payload.length === 0) return;
        const s = parseJson(startSchema, payload);
        if (!s) return;
        if (s.t0Ms + (s.durationS / s.speed) * 1000 + 60_000 < Date.now()) {
          stale = `; the retained start there is of a run that ended at ${new Date(s.t0Ms + (s.durationS / s.speed) * 1000).toISOString()}`;
          return;
        }
        const mine = `${want.scenario.name} seed ${want.scenario.seed} ${want.scenario.duration_s} s at speed ${want.speed}`;
        const theirs = `${s.scenario} seed ${s.seed} ${s.durationS} s at speed ${s.speed}`;
        const ids = want.scenario.robots.map((r) => r.id).join(' ');
        clearTimeout(timer);
        if (mine !== theirs || s.robots.join(' ') !== ids) {
          reject(
            new KizunaError(
              'KZ_ERR_SIM_PART',
              `the planner runs ${theirs} with ${s.robots.length} robot(s); this part was given ${mine} ` +
                `with ${want.scenario.robots.length}: give every part the same scenario, --robots, --seed, --duration and --speed`,
            ),
          );
        } else resolve(s);
      });
      client.subscribe(START_TOPIC(fleet), { qos: 1 });
    });
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

/** A robot part says its robots' outboxes are drained. */
export async function announceDone(
  url: string,
  mqttVersion: 4 | 5,
  fleet: string,
  part: PartIndex,
  robots: readonly string[],
): Promise<void> {
  const client = await coordinator(url, mqttVersion, 'robot-part');
  try {
    await client.publishAsync(
      DONE_TOPIC(fleet),
      JSON.stringify({ part: `${part.index}/${part.count}`, robots: [...robots] }),
      { qos: 1 },
    );
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

function parseJson<T>(schema: z.ZodType<T>, payload: Buffer): T | undefined {
  try {
    const r = schema.safeParse(JSON.parse(payload.toString('utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Part files

/** What a part writes: its role, which part, and the run facts it measured. */
export interface PartFile {
  format: typeof PART_FORMAT;
  role: 'robots' | 'planner';
  part?: PartIndex;
  facts: RunFacts;
}

/** The part file's JSON text (sets as sorted arrays). */
export function partFileJson(role: PartFile['role'], facts: RunFacts, part?: PartIndex): string {
  const cloud = facts.cloud.map((c) => ({ ...c, received: [...c.received].sort((a, b) => a - b) }));
  return JSON.stringify({ format: PART_FORMAT, role, ...(part ? { part } : {}), facts: { ...facts, cloud } }) + '\n';
}

const idList = z.array(z.object({ id: z.string() }).loose());
const partFileSchema = z.strictObject({
  format: z.literal(PART_FORMAT),
  role: z.enum(['robots', 'planner']),
  part: z.strictObject({ index: z.number().int().min(1), count: z.number().int().min(1) }).optional(),
  facts: z
    .object({
      scenario: z.object({ name: z.string(), seed: z.number(), duration_s: z.number(), robots: idList }).loose(),
      shards: z.array(z.object({ robots: z.array(z.object({ robotId: z.string() }).loose()) }).loose()),
      cloud: z.array(z.object({ robotId: z.string(), received: z.array(z.number().int()) }).loose()),
      workers: z.number(),
      simTimeS: z.number(),
      wallTimeS: z.number(),
      cpuUserS: z.number(),
      cpuSystemS: z.number(),
      peakRssMB: z.number(),
      drainS: z.number(),
      roundTripsMs: z.array(z.number()),
      injections: z.array(z.unknown()),
      bySender: z.record(z.string(), z.unknown()),
      trustedKeys: z.array(z.unknown()),
      planner: z.object({}).loose(),
      broker: z.object({}).loose(),
    })
    .loose(),
});

/** Reads and checks one part file (KZ_ERR_SIM_PART naming the file and what is wrong). */
export function readPartFile(file: string): PartFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new KizunaError('KZ_ERR_SIM_PART', `${file}: not a readable JSON part file (${(err as Error).message})`, {
      entity: file,
    });
  }
  const r = partFileSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new KizunaError(
      'KZ_ERR_SIM_PART',
      `${file}: not a kizuna sim part file (${PART_FORMAT}): ${first.path.join('.') || '(top)'}: ${first.message}`,
      { entity: file },
    );
  }
  const facts = r.data.facts as unknown as RunFacts & { cloud: Array<CloudBook & { received: number[] }> };
  return {
    format: PART_FORMAT,
    role: r.data.role,
    ...(r.data.part ? { part: r.data.part } : {}),
    facts: { ...facts, cloud: facts.cloud.map((c) => ({ ...c, received: new Set(c.received) })) },
  };
}

/**
 * The run facts of the whole fleet from its parts: every robot part once (1..N), one planner part, all
 * of one scenario; every robot of the scenario in exactly one part.
 */
export function mergeParts(parts: ReadonlyArray<{ file: string; part: PartFile }>): RunFacts {
  const fail = (why: string): never => {
    throw new KizunaError('KZ_ERR_SIM_PART', `cannot merge: ${why}`);
  };
  const robots = parts.filter((p) => p.part.role === 'robots');
  const planners = parts.filter((p) => p.part.role === 'planner');
  if (planners.length !== 1) {
    fail(
      planners.length === 0
        ? 'no planner part (the --planner-only run has the cloud side’s books of events and decisions)'
        : `${planners.length} planner parts (${planners.map((p) => p.file).join(', ')}); one run has one planner`,
    );
  }
  if (robots.length === 0) fail('no robot part (--shard K/N)');
  const planner = planners[0]!.part.facts;
  const s = planner.scenario;
  const key = (x: Scenario): string => `${x.name} seed ${x.seed} ${x.duration_s} s, ${x.robots.length} robot(s)`;
  for (const p of robots) {
    if (key(p.part.facts.scenario) !== key(s)) {
      fail(`${p.file} ran ${key(p.part.facts.scenario)}, the planner ${key(s)}`);
    }
  }
  const count = robots[0]!.part.part?.count ?? 0;
  const seen = new Map<number, string>();
  for (const p of robots) {
    const pi = p.part.part;
    if (!pi || pi.count !== count)
      fail(`${p.file} is part ${pi ? `${pi.index}/${pi.count}` : '?'}, the others of ${count}`);
    const other = seen.get(pi!.index);
    if (other) fail(`part ${pi!.index}/${count} given twice (${other}, ${p.file})`);
    seen.set(pi!.index, p.file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) fail(`part(s) ${missing.map((i) => `${i}/${count}`).join(', ')} missing`);
  const shards = robots.flatMap((p) => p.part.facts.shards);
  const ran = shards.flatMap((sh) => sh.robots.map((r) => r.robotId));
  const twice = ran.filter((id, i) => ran.indexOf(id) !== i);
  if (twice.length > 0) fail(`robot(s) ${[...new Set(twice)].join(', ')} in more than one part`);
  const absent = s.robots.map((r) => r.id).filter((id) => !ran.includes(id));
  if (absent.length > 0) fail(`robot(s) ${absent.join(', ')} of the scenario in no part`);
  const all = parts.map((p) => p.part.facts);
  const rf = robots.map((p) => p.part.facts);
  return {
    ...planner,
    broker: rf[0]!.broker,
    workers: rf.reduce((a, f) => a + f.workers, 0),
    simTimeS: Math.min(...rf.map((f) => f.simTimeS)),
    wallTimeS: Math.max(...all.map((f) => f.wallTimeS)),
    cpuUserS: all.reduce((a, f) => a + f.cpuUserS, 0),
    cpuSystemS: all.reduce((a, f) => a + f.cpuSystemS, 0),
    peakRssMB: Math.max(...all.map((f) => f.peakRssMB)),
    drainS: Math.max(...all.map((f) => f.drainS)),
    shards,
  };
}
