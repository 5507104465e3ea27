/**
 * A kill -9 of a process while black_box writes leaves, under an incident file's name, either nothing
 * or a complete MCAP file: each file in the folder reads back whole with @mcap/core (summary, indexes,
 * every message), and a torn `.partial` is all a kill can leave (removed when black_box starts again).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHandleReadable } from '@mcap/nodejs';
import { mcapCore, mcapSupport } from '../../nodes/core/mcap/esm';
import { listIncidentFiles } from '../../nodes/black_box/store';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-bb-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const writer = join(__dirname, '..', 'helpers', 'black-box-writer.ts');

/** Runs the writer until `delayMs` after its first capture started, then SIGKILLs it; returns the folder's names at the kill. */
function runAndKill(delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    let names: string[] = [];
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!killed && out.includes('writing\n')) {
        killed = true;
        setTimeout(() => {
          names = readdirSync(dir);
          child.kill('SIGKILL');
        }, delayMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(names);
      else reject(new Error(`writer exited ${code} ${signal}: ${err.slice(-2000)}`));
    });
  });
}

async function readWhole(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const reader = await mcapCore.McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await mcapSupport.loadDecompressHandlers(),
    });
    let n = 0;
    for await (const _ of reader.readMessages()) n++;
    expect(BigInt(n)).toBe(reader.statistics!.messageCount);
    return n;
  } finally {
    await handle.close();
  }
}

describe('black_box killed with SIGKILL while writing', () => {
  it('leaves no file or a valid one, every time', async () => {
    let partialsAtKill = 0;
    for (const delay of [30, 150, 400, 700, 1100]) {
      const names = await runAndKill(delay);
      if (names.some((n) => n.endsWith('.mcap.partial'))) partialsAtKill++;
      for (const f of listIncidentFiles(dir)) expect(await readWhole(f.path)).toBeGreaterThan(100);
      // only complete files under the incident names; a torn file can only be a .partial
      for (const n of readdirSync(dir)) expect(n).toMatch(/^\d{6}-operator_request\.mcap(\.partial)?$/);
    }
    // the kills did land while a file was being written
    expect(partialsAtKill).toBeGreaterThan(0);
    // and files were completed between them (each read back whole above)
    expect(listIncidentFiles(dir).length).toBeGreaterThan(0);
  }, 90_000);
});
