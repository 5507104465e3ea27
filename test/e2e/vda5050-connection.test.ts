/**
 * The VDA 5050 connection topic of a robot in its own process: `kizuna sim --protocol vda5050` against
 * mosquitto on a free loopback port. ONLINE once connected (retained), CONNECTIONBROKEN from the broker
 * (the last will) when the process is killed with SIGKILL, OFFLINE on a clean stop (SIGINT). Read with
 * vda-5050-lib's MasterControlClient, which tracks every vehicle's connection state.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { MasterControlClient } from 'vda-5050-lib';
import { mosquittoSkipReason, startMosquitto, type TestBroker } from '../helpers/brokers';

jest.setTimeout(120_000);

const root = join(__dirname, '..', '..');
const skip = mosquittoSkipReason();
let broker: TestBroker | undefined;
let master: MasterControlClient | undefined;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await master?.stop();
  await broker?.close();
});

/** `kizuna sim --protocol vda5050` with one factory robot `amr1`, talking to `url`. */
function sim(url: string): ChildProcess {
  // node itself, not the tsx wrapper: SIGKILL must reach the process that holds the MQTT connection
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'nodes', 'cli', 'kizuna.ts'),
      'sim',
      '--scenario',
      'factory',
      '--planner',
      'none',
      '--protocol',
      'vda5050',
      '--broker',
      url,
      '--duration',
      '300',
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.resume();
  children.push(child);
  return child;
}

(skip ? describe.skip : describe)('VDA 5050 connection topic of a robot process', () => {
  it('ONLINE, then CONNECTIONBROKEN after kill -9; ONLINE again, then OFFLINE after a clean stop', async () => {
    broker = await startMosquitto();
    master = new MasterControlClient({
      interfaceName: 'uagv',
      transport: { brokerUrl: broker.url },
      vdaVersion: '2.0.0',
    });
    const seen: string[] = [];
    master.trackAgvs((agv, state) => {
      if (agv.serialNumber === 'factory1') seen.push(state);
    });
    await master.start();
    const until = async (state: string, from: number): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!seen.slice(from).includes(state)) {
        if (Date.now() > deadline)
          throw new Error(`no ${state} after ${seen.slice(0, from).join(',')}; saw ${seen.join(',')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const first = sim(broker.url);
    await until('ONLINE', 0);
    const mark = seen.length;
    first.kill('SIGKILL');
    await until('CONNECTIONBROKEN', mark);

    const second = sim(broker.url);
    const mark2 = seen.length;
    await until('ONLINE', mark2);
    const exited = new Promise((r) => second.once('exit', r));
    second.kill('SIGINT');
    await until('OFFLINE', seen.length);
    await exited;
    expect(seen.at(-1)).toBe('OFFLINE');
  });
});
