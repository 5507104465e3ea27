/** The outbox store's types (store.ts): its options, its rows and the loss counts of a loss event. */

/** Outbox message classes: telemetry is dropped first when the outbox is full, events only past the hard cap. */
export type OutboxClass = 'event' | 'request' | 'telemetry';

export interface OutboxRow {
  id: number;
  topic: string;
  payload: Buffer;
  cls: OutboxClass;
  seq: number | null;
  createdMs: number;
}

export interface StoreOptions {
  robotId: string;
  /** 'full' survives power loss; 'normal' (WAL) survives a process crash. */
  synchronous: 'full' | 'normal';
  /** [count] beyond this, the oldest telemetry is dropped. */
  softMaxMessages: number;
  /** [count] hard cap: beyond this, the oldest messages of any class are dropped. */
  maxMessages: number;
  /**
   * [bytes] bound on the database file: the pages in use (rows with their topic, index entries, B-tree
   * slack, the replay window) stay within it, the oldest telemetry and then the oldest messages of any
   * class being dropped when they would not. With the WAL and shared memory the files stay within
   * `maxBytes` + STORE_DISK_ALLOWANCE_BYTES (store-disk.ts).
   */
  maxBytes: number;
}

/** What was dropped since the last loss event. */
export interface LossCounts {
  events: number;
  requests: number;
  telemetry: number;
  bytes: number;
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  /** The lowest seq still held when the loss event was built (its own when none): none below it is sent again. */
  floorSeq: number;
}
