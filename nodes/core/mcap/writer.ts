/**
 * An MCAP file being written, on @mcap/core's McapWriter: chunked, zstd-compressed chunks
 * (@foxglove/wasm-zstd), message and chunk indexes, statistics and summary offsets, so readers seek
 * without scanning. The file is written under `<path>.partial` and renamed to `path` only once it is
 * complete and synced (then the folder is synced): a reader never sees a torn file under the final name.
 */
import { mkdirSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mcapCore } from './esm';
import { FileHandleWritable } from '@mcap/nodejs';
import * as zstd from '@foxglove/wasm-zstd';
import { KizunaError } from '../errors';

/** A schema as MCAP records it. */
export interface McapSchema {
  /** `pkg/msg/Type` (ros2msg) or `foxglove.SceneUpdate` (jsonschema). */
  name: string;
  encoding: 'ros2msg' | 'jsonschema';
  /** The schema text. */
  text: string;
}

export interface McapFileOptions {
  /** Header profile: `ros2` for a rosbag2-compatible file. Default `ros2`. */
  profile?: string;
  /** Written into the header's library field. */
  library: string;
  /** Chunk compression. Default `zstd`. */
  compression?: 'zstd' | 'none';
  /** [bytes] uncompressed chunk size. Default 1 MiB. */
  chunkSizeBytes?: number;
}

const encoder = new TextEncoder();

/** The message encoding that goes with a schema encoding. */
function messageEncoding(schema: McapSchema): 'cdr' | 'json' {
  return schema.encoding === 'ros2msg' ? 'cdr' : 'json';
}

export class McapFile {
  private readonly schemas = new Map<string, number>();
  private readonly channels = new Map<string, number>();
  private sequence = 0;
  private closed = false;
  /** Messages written. */
  messages = 0;

  private constructor(
    readonly path: string,
    private readonly partial: string,
    private readonly handle: FileHandle,
    private readonly writer: InstanceType<typeof mcapCore.McapWriter>,
  ) {}

  /** Creates `path` (its folder too) and writes the header; KZ_ERR_MCAP_WRITE when it cannot. */
  static async create(path: string, o: McapFileOptions): Promise<McapFile> {
    const partial = `${path}.partial`;
    let handle: FileHandle;
    try {
      mkdirSync(dirname(path), { recursive: true });
      handle = await open(partial, 'w');
    } catch (err) {
      throw new KizunaError('KZ_ERR_MCAP_WRITE', `cannot create the MCAP file ${path}: ${(err as Error).message}`, {
        entity: path,
        cause: err,
      });
    }
    const compression = o.compression ?? 'zstd';
    if (compression === 'zstd') await zstd.isLoaded;
    const writer = new mcapCore.McapWriter({
      writable: new FileHandleWritable(handle),
      chunkSize: o.chunkSizeBytes ?? 1024 * 1024,
      ...(compression === 'zstd'
        ? { compressChunk: (data: Uint8Array) => ({ compression: 'zstd', compressedData: zstd.compress(data, 3) }) }
        : {}),
    });
    const f = new McapFile(path, partial, handle, writer);
    await f.guard(() => writer.start({ profile: o.profile ?? 'ros2', library: o.library }));
    return f;
  }

  /** The channel id of `topic` with `schema`, registered on first use. */
  async channel(topic: string, schema: McapSchema): Promise<number> {
    const known = this.channels.get(topic);
    if (known !== undefined) return known;
    const key = `${schema.encoding}:${schema.name}`;
    let schemaId = this.schemas.get(key);
    if (schemaId === undefined) {
      const text = schema.text;
      schemaId = await this.guard(() =>
        this.writer.registerSchema({ name: schema.name, encoding: schema.encoding, data: encoder.encode(text) }),
      );
      this.schemas.set(key, schemaId);
    }
    const id = await this.guard(() =>
      this.writer.registerChannel({
        topic,
        schemaId: schemaId!,
        messageEncoding: messageEncoding(schema),
        metadata: new Map(),
      }),
    );
    this.channels.set(topic, id);
    return id;
  }

  /** Writes one message; `logTimeNs` [ns] is also its publish time. */
  async write(channelId: number, logTimeNs: bigint, data: Uint8Array): Promise<void> {
    this.messages++;
    await this.guard(() =>
      this.writer.addMessage({
        channelId,
        sequence: this.sequence++,
        logTime: logTimeNs,
        publishTime: logTimeNs,
        data,
      }),
    );
  }

  /** A metadata record (string values). */
  async metadata(name: string, values: Record<string, string>): Promise<void> {
    await this.guard(() => this.writer.addMetadata({ name, metadata: new Map(Object.entries(values)) }));
  }

  /** Writes the summary, syncs and moves the file to its final name. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.guard(async () => {
      await this.writer.end();
      await this.handle.sync();
      await this.handle.close();
      await rename(this.partial, this.path);
      // The rename itself survives a power cut only once the folder is synced too.
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    });
  }

  /** Gives up: the partial file is removed, nothing is left under the final name. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
    await rm(this.partial, { force: true });
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof KizunaError) throw err;
      throw new KizunaError('KZ_ERR_MCAP_WRITE', `cannot write the MCAP file ${this.path}: ${(err as Error).message}`, {
        entity: this.path,
        cause: err,
      });
    }
  }
}
