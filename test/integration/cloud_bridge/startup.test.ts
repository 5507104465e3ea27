/**
 * cloud_bridge start-up and shutdown as an operator meets them: `kizuna run cloud_bridge` with
 * --ros-args, a clean stop on SIGTERM leaving the retained shutdown status, and start-up refusals
 * (missing or malformed trusted keys) with their codes; allow_unsigned warns at every start.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { InProcessGraph } from '../../../nodes/core/graph/inprocess/graph';
import { createLogger } from '../../../nodes/core/logging';
import { isKizunaError } from '../../../nodes/core/errors';
import { CloudBridge } from '../../../nodes/cloud_bridge/node';
import { startAedes, type AedesBroker } from '../../helpers/brokers';
import { Cloud, TEST_KEYS_JSON, uniqueRoot, until } from './harness';

const root = join(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-startup-'));
let broker: AedesBroker;
beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

let nodes = 0;
function bridgeOn(graph: InProcessGraph, overrides: Record<string, string | boolean | number>): CloudBridge {
  const node = graph.createNode(`cloud_bridge_${++nodes}`, {
    parameterOverrides: {
      robot_id: 'r1',
      fleet: 'f1',
      profile: 'delivery',
      broker_url: broker.url,
      mqtt_version: 4,
      store_path: join(dir, `s${Math.random().toString(36).slice(2)}.sqlite`),
      ...overrides,
    },
  });
  return new CloudBridge(node);
}

describe('cloud_bridge start-up', () => {
  it('refuses to start without trusted keys, or with a malformed keys file, naming the problem', async () => {
    const graph = new InProcessGraph();
    try {
      expect(() => bridgeOn(graph, {})).toThrow(/trusted_keys_file is required unless allow_unsigned/);
      const bad = join(dir, 'bad-keys.json');
      writeFileSync(bad, JSON.stringify({ keys: [{ keyId: 'k', publicKey: 'not-base64' }] }));
      let caught: unknown;
      try {
        bridgeOn(graph, { trusted_keys_file: bad });
      } catch (err) {
        caught = err;
      }
      expect(isKizunaError(caught, 'KZ_ERR_BRIDGE_CONFIG')).toBe(true);
      expect((caught as Error).message).toMatch(/keys\.0\.publicKey/);
      expect(() => bridgeOn(graph, { trusted_keys_file: join(dir, 'missing.json') })).toThrow(
        /cannot read trusted_keys_file/,
      );
    } finally {
      await graph.shutdown();
    }
  });

  it('logs a warning at every start when allow_unsigned is on', async () => {
    const stream = new PassThrough();
    let logged = '';
    stream.on('data', (d: Buffer) => (logged += d.toString()));
    const graph = new InProcessGraph({ logger: createLogger({ stream, json: true, level: 'warn' }) });
    try {
      const b = bridgeOn(graph, { allow_unsigned: true });
      await b.stop();
      expect(logged).toMatch(/allow_unsigned is true: UNSIGNED DECISIONS ARE ACCEPTED/);
      expect(logged).toMatch(/"level":"warn"/);
    } finally {
      await graph.shutdown();
    }
  });

  it('runs under `kizuna run cloud_bridge --ros-args ...` and leaves the retained shutdown status on SIGTERM', async () => {
    const topicRoot = uniqueRoot();
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, TEST_KEYS_JSON);
    const cloud = await Cloud.connect(broker.url, topicRoot, 4);
    const args = [
      join(root, 'nodes', 'cli', 'kizuna.ts'),
      'run',
      'cloud_bridge',
      '--ros-args',
      ...['-p', 'robot_id:=farm-1', '-p', 'fleet:=hokkaido', '-p', 'profile:=farm'],
      ...['-p', `topic_root:=${topicRoot}`, '-p', `broker_url:=${broker.url}`, '-p', 'mqtt_version:=4'],
      ...['-p', `trusted_keys_file:=${keys}`, '-p', `store_path:=${join(dir, 'cli.sqlite')}`],
    ];
    const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until(() => cloud.on('/status').some((m) => m.json.status === 'online'), 'the birth', 20_000);
      expect(cloud.on('/status')[0]!.json).toMatchObject({ robotId: 'farm-1', fleet: 'hokkaido', profile: 'farm' });
      proc.kill('SIGTERM');
      await new Promise<void>((r) => proc.once('exit', () => r()));
      expect(proc.exitCode).toBe(0);
      await until(() => cloud.on('/status').some((m) => m.json.reason === 'shutdown'), 'the shutdown status', 5000);
      expect(stderr).not.toMatch(/KZ_ERR_CALLBACK_FAILED|Error:/);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await cloud.close();
    }
  }, 40_000);
});
