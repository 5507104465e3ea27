/**
 * Shards as the runner sees them: the same commands whether the shard lives in this thread
 * (`--workers 1`) or in a worker thread (ShardPool). Each robot is wholly in one shard.
 */
import { extname, join } from 'node:path';
import { KizunaError } from '../../nodes/core/errors';
import { ShardPool } from '../../nodes/core/graph/inprocess/shards';
import type { TimedFault } from '../scenario';
import { SimShard, type LinkBytes, type ShardInit, type ShardProgress, type ShardReport } from './shard';
import type { RobotFlow } from './sync';

/** One shard, wherever it runs. */
export interface ShardHandle {
  readonly robotIds: readonly string[];
  step(untilS: number): Promise<ShardProgress>;
  fault(f: TimedFault): Promise<void>;
  setLink(robotId: string, up: boolean): Promise<boolean>;
  pending(): Promise<{ outbox: number; connected: number }>;
  /** Each robot's requests, decisions received and link (the network sync at --speed 0). */
  flow(): Promise<RobotFlow[]>;
  settle(): Promise<void>;
  /** Starts or stops the shard's recording taps. */
  tap(on: boolean): Promise<void>;
  report(): Promise<ShardReport>;
  /** Stops the shard; resolves with what each robot's link proxy carried in all. */
  close(): Promise<LinkBytes[]>;
}

function shardError(err: unknown): KizunaError {
  return new KizunaError('KZ_ERR_SIM_SHARD', `a simulation shard failed: ${(err as Error)?.message ?? String(err)}`);
}

/** Starts the shards: in this thread when there is one, else one worker thread each. */
export async function startShards(inits: ShardInit[]): Promise<{ shards: ShardHandle[]; close: () => Promise<void> }> {
  if (inits.length === 1) {
    const s = await SimShard.create(inits[0]!);
    const h: ShardHandle = {
      robotIds: inits[0]!.robotIds,
      step: (t) => s.step(t),
      fault: (f) => s.fault(f),
      setLink: async (id, up) => s.setLink(id, up),
      pending: async () => s.pending(),
      flow: async () => s.flow(),
      settle: () => s.settle(),
      tap: async (on) => s.setTap(on),
      report: async () => s.report(),
      close: () => s.close(),
    };
    return { shards: [h], close: () => Promise.resolve() };
  }
  const modulePath = join(__dirname, `shard-worker${extname(__filename)}`);
  const pool = ShardPool.start(modulePath, inits);
  const wrap = <T>(p: Promise<unknown>): Promise<T> =>
    p.then(
      (v) => v as T,
      (err: unknown) => {
        throw shardError(err);
      },
    );
  try {
    await wrap(pool.all('start'));
  } catch (err) {
    await pool.close();
    throw err;
  }
  const shards = inits.map((init, i): ShardHandle => ({
    robotIds: init.robotIds,
    step: (t) => wrap(pool.send(i, 'step', t)),
    fault: (f) => wrap(pool.send(i, 'fault', f)),
    setLink: (robotId, up) => wrap(pool.send(i, 'link', { robotId, up })),
    pending: () => wrap(pool.send(i, 'pending')),
    flow: () => wrap(pool.send(i, 'flow')),
    settle: () => wrap(pool.send(i, 'settle')),
    tap: (on) => wrap(pool.send(i, 'tap', on)),
    report: () => wrap(pool.send(i, 'report')),
    close: () => wrap(pool.send(i, 'close')),
  }));
  return { shards, close: () => pool.close() };
}
