/**
 * `kizuna sim --mcap FILE`: the run's stream (stream.ts) written into an MCAP file, with a `kizuna`
 * metadata record (scenario, seed, versions). The file appears under its name only when complete.
 */
import { McapFile } from '../../nodes/core/mcap/writer';
import type { SimStream, StreamMessage } from './stream';

/** Where the stream goes: the MCAP recording or the Foxglove live view. */
export interface StreamSink {
  write(msgs: readonly StreamMessage[]): Promise<void>;
  /** Ends cleanly (file complete, clients told). */
  close(): Promise<void>;
  /** Ends after a failure (a partial recording is removed). */
  abort(): Promise<void>;
}

export class McapSink implements StreamSink {
  private constructor(
    private readonly file: McapFile,
    private readonly ids: number[],
  ) {}

  /** Creates the file, registers every channel of the stream and writes the metadata record. */
  static async open(path: string, stream: SimStream, metadata: Record<string, string>): Promise<McapSink> {
    const file = await McapFile.create(path, { library: `kizuna ${metadata.kizuna_version ?? ''}`.trim() });
    try {
      const ids: number[] = [];
      for (const c of stream.channels) ids.push(await file.channel(c.topic, c.schema));
      await file.metadata('kizuna', metadata);
      return new McapSink(file, ids);
    } catch (err) {
      await file.abort();
      throw err;
    }
  }

  get path(): string {
    return this.file.path;
  }

  /** Messages written so far. */
  get messages(): number {
    return this.file.messages;
  }

  async write(msgs: readonly StreamMessage[]): Promise<void> {
    for (const m of msgs) await this.file.write(this.ids[m.channel]!, m.timeNs, m.data);
  }

  close(): Promise<void> {
    return this.file.close();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
