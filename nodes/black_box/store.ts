/**
 * The black box's folder: one MCAP file per capture, `<seq>-<kind>.mcap` (seq counts up across
 * restarts), written under `.partial` and renamed when complete and synced (nodes/core/mcap/writer.ts),
 * so a kill or power cut leaves no file or a whole one. Bounded by count and bytes: the oldest complete
 * files are deleted first; a file being written is never among them. Reading back (list, one file's
 * incidents) serves `kizuna blackbox`.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FileHandleReadable } from '@mcap/nodejs';
import { KizunaError } from '../core/errors';
import { mcapCore, mcapSupport } from '../core/mcap/esm';
import { ros2Type } from '../core/mcap/ros2';
import { McapFile, type McapSchema } from '../core/mcap/writer';
import type { Capture, CaptureSink, Entry, Incident } from './logic';

/** A complete incident file in the folder. */
export interface IncidentFile {
  /** `<seq>-<kind>`, the file name without `.mcap`. */
  id: string;
  seq: number;
  path: string;
  bytes: number;
}

const FILE = /^(\d{6,})-([a-z_]+)\.mcap$/;

/** The default folder: $XDG_STATE_HOME (or ~/.local/state)/kizuna/black_box. */
export function defaultBlackBoxDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'kizuna', 'black_box');
}

/** The complete incident files in `dir`, oldest first (none when it does not exist). */
export function listIncidentFiles(dir: string): IncidentFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: IncidentFile[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      out.push({ id: name.slice(0, -'.mcap'.length), seq: Number(m[1]), path, bytes: statSync(path).size });
    } catch {
      // deleted meanwhile
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The file of `id` in `dir`: its full id (`000012-estop`) or its number (`12`). */
export function findIncidentFile(dir: string, id: string): IncidentFile | undefined {
  const files = listIncidentFiles(dir);
  if (/^\d+$/.test(id)) return files.find((f) => f.seq === Number(id));
  return files.find((f) => f.id === id);
}

/** Deletes the oldest complete files until at most `maxFiles` and `maxBytes` remain; returns their paths. */
export function prune(dir: string, maxFiles: number, maxBytes: number): string[] {
  const files = listIncidentFiles(dir);
  let total = files.reduce((a, f) => a + f.bytes, 0);
  const deleted: string[] = [];
  // the newest is kept even when it alone is over the byte bound: it is the one someone needs
  while (files.length > 1 && (files.length > maxFiles || total > maxBytes)) {
    const f = files.shift()!;
    rmSync(f.path, { force: true });
    total -= f.bytes;
    deleted.push(f.path);
  }
  return deleted;
}

/** What the black box wrote into a file's `black_box` metadata record. */
export interface IncidentSummary {
  id: string;
  path: string;
  bytes: number;
  metadata: Record<string, string>;
  incidents: Array<{ kind: string; t_ns: string; detail: string }>;
  /** Messages per topic. */
  topics: Array<{ topic: string; type: string; messages: number }>;
  messages: number;
  /** [ns] first and last message time. */
  startNs: bigint;
  endNs: bigint;
}

/** Reads a complete incident file's summary (KZ_ERR_BLACKBOX_READ when it is not a readable black-box file). */
export async function readIncident(f: IncidentFile): Promise<IncidentSummary> {
  const handle = await open(f.path, 'r').catch((err: Error) => {
    throw new KizunaError('KZ_ERR_BLACKBOX_READ', `cannot open ${f.path}: ${err.message}`, { entity: f.path });
  });
  try {
    const reader = await mcapCore.McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await mcapSupport.loadDecompressHandlers(),
    });
    let metadata: Record<string, string> = {};
    for await (const m of reader.readMetadata({ name: 'black_box' })) metadata = Object.fromEntries(m.metadata);
    const stats = reader.statistics;
    const topics = [...reader.channelsById.values()].map((ch) => ({
      topic: ch.topic,
      type: reader.schemasById.get(ch.schemaId)?.name ?? '',
      messages: Number(stats?.channelMessageCounts.get(ch.id) ?? 0n),
    }));
    let incidents: IncidentSummary['incidents'] = [];
    try {
      incidents = JSON.parse(metadata.incidents ?? '[]') as IncidentSummary['incidents'];
    } catch {
      incidents = [];
    }
    return {
      id: f.id,
      path: f.path,
      bytes: f.bytes,
      metadata,
      incidents,
      topics: topics.sort((a, b) => a.topic.localeCompare(b.topic)),
      messages: Number(stats?.messageCount ?? 0n),
      startNs: stats?.messageStartTime ?? 0n,
      endNs: stats?.messageEndTime ?? 0n,
    };
  } catch (err) {
    if (err instanceof KizunaError) throw err;
    throw new KizunaError('KZ_ERR_BLACKBOX_READ', `${f.path} is not a readable MCAP file: ${(err as Error).message}`, {
      entity: f.path,
      cause: err,
    });
  } finally {
    await handle.close();
  }
}

export interface StoreOptions {
  dir: string;
  maxFiles: number;
  maxTotalBytes: number;
  /** Header library field, e.g. `kizuna 0.1.0 black_box`. */
  library: string;
  /** Topic of the incident lines (rcl_interfaces/msg/Log), e.g. `/robot7/black_box/incidents`. */
  incidentTopic: string;
  /** Logger name in those lines (the node's). */
  loggerName: string;
  /** Written into every file's `black_box` metadata record. */
  metadata: Record<string, string>;
  /** Called when a file is complete, or when writing one failed (nothing is left under its name). */
  onWritten?: (w: WrittenIncident) => void;
  onError?: (err: Error) => void;
}

/** A capture once its file is complete. */
export interface WrittenIncident {
  id: string;
  path: string;
  incidents: Incident[];
  messages: number;
  /** Files deleted to stay within the bounds. */
  pruned: string[];
}

const NS = 1_000_000_000n;
const rosTime = (tNs: bigint): { sec: number; nanosec: number } => ({
  sec: Number(tNs / NS),
  nanosec: Number(tNs % NS),
});

/**
 * The capture sink that writes MCAP files into the folder. Its calls come synchronously from the
 * node's callbacks; the file work runs after them, one operation at a time, in order.
 */
export class IncidentWriter implements CaptureSink {
  private chain: Promise<void> = Promise.resolve();
  private nextSeq: number;
  private readonly files = new Map<Capture, { seq: number; id: string; file?: McapFile; failed?: boolean }>();
  private readonly channels = new Map<string, McapSchema>();
  /** [count] captures whose file could not be written. */
  failures = 0;

  constructor(private readonly o: StoreOptions) {
    try {
      mkdirSync(o.dir, { recursive: true });
      // A `.partial` is a file a kill or power cut interrupted: never complete, never to be read.
      for (const n of readdirSync(o.dir)) if (n.endsWith('.mcap.partial')) rmSync(join(o.dir, n), { force: true });
    } catch (err) {
      throw new KizunaError('KZ_ERR_MCAP_WRITE', `black box folder ${o.dir}: ${(err as Error).message}`, {
        entity: o.dir,
        cause: err,
      });
    }
    const files = listIncidentFiles(o.dir);
    this.nextSeq = (files[files.length - 1]?.seq ?? 0) + 1;
  }

  /** The file capture `c` (in progress) records into: its id and path. */
  fileOf(c: Capture): { id: string; path: string } | undefined {
    const rec = this.files.get(c);
    return rec ? { id: rec.id, path: join(this.o.dir, `${rec.id}.mcap`) } : undefined;
  }

  /** Resolves once every file operation asked for so far is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  start(c: Capture, pre: readonly Entry[]): void {
    const seq = this.nextSeq++;
    const id = `${String(seq).padStart(6, '0')}-${c.incidents[0]!.kind}`;
    const rec: { seq: number; id: string; file?: McapFile; failed?: boolean } = { seq, id };
    this.files.set(c, rec);
    const entries = [...pre];
    this.then(rec, async () => {
      rec.file = await McapFile.create(join(this.o.dir, `${id}.mcap`), { library: this.o.library });
      for (const e of entries) await this.write(rec.file, e);
      await this.writeIncident(rec.file, c.incidents[0]!);
    });
  }

  add(c: Capture, e: Entry): void {
    const rec = this.files.get(c);
    if (rec) this.then(rec, () => this.write(rec.file!, e));
  }

  joined(c: Capture, i: Incident): void {
    const rec = this.files.get(c);
    if (rec) this.then(rec, () => this.writeIncident(rec.file!, i));
  }

  end(c: Capture): void {
    const rec = this.files.get(c);
    if (!rec) return;
    this.files.delete(c);
    this.then(rec, async () => {
      const f = rec.file!;
      await f.metadata('black_box', {
        ...this.o.metadata,
        id: rec.id,
        trigger: c.incidents[0]!.kind,
        trigger_time_ns: String(c.incidents[0]!.tNs),
        from_ns: String(c.fromNs),
        until_ns: String(c.untilNs),
        incidents: JSON.stringify(c.incidents.map((i) => ({ kind: i.kind, t_ns: String(i.tNs), detail: i.detail }))),
        messages: String(f.messages),
        dropped_after: String(c.droppedAfter),
        dropped_before: String(c.droppedBefore),
      });
      await f.close();
      const pruned = prune(this.o.dir, this.o.maxFiles, this.o.maxTotalBytes);
      this.o.onWritten?.({ id: rec.id, path: f.path, incidents: [...c.incidents], messages: f.messages, pruned });
    });
  }

  /** Runs `op` after everything before it, unless this capture already failed (then nothing more is tried). */
  private then(rec: { failed?: boolean; file?: McapFile }, op: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (rec.failed) return;
      try {
        await op();
      } catch (err) {
        rec.failed = true;
        this.failures++;
        await rec.file?.abort().catch(() => undefined);
        this.o.onError?.(err as Error);
      }
    });
  }

  private async write(f: McapFile, e: Entry): Promise<void> {
    let schema = this.channels.get(e.type);
    if (!schema) {
      schema = { name: e.type, encoding: 'ros2msg', text: ros2Type(e.type).schemaText };
      this.channels.set(e.type, schema);
    }
    await f.write(await f.channel(e.topic, schema), e.tNs, e.data);
  }

  private async writeIncident(f: McapFile, i: Incident): Promise<void> {
    const t = 'rcl_interfaces/msg/Log' as const;
    const data = ros2Type(t).encode({
      stamp: rosTime(i.tNs),
      level: i.kind === 'operator_request' ? 20 : 40, // INFO, ERROR
      name: this.o.loggerName,
      msg: `incident ${i.kind}: ${i.detail}`,
      file: '',
      function: '',
      line: 0,
    });
    await this.write(f, { topic: this.o.incidentTopic, type: t, tNs: i.tNs, data });
  }
}
