/**
 * `kizuna blackbox list | get ID | export ID --out FILE`: the incident files black_box wrote on this
 * robot (nodes/black_box), for a technician: what happened when, what each file holds, and a copy to
 * take away (open it in Foxglove or read it with ROS 2 tools).
 */
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KizunaError } from '../core/errors';
import { printable } from '../core/printable';
import {
  defaultBlackBoxDir,
  findIncidentFile,
  listIncidentFiles,
  readIncident,
  type IncidentSummary,
} from '../black_box/store';

export const BLACKBOX_USAGE = `usage: kizuna blackbox list [--dir <dir>] [--json]
       kizuna blackbox get <id> [--dir <dir>] [--json]
       kizuna blackbox export <id> --out <file> [--dir <dir>]

The incident files the black_box node wrote: the seconds before and after each protective stop,
e-stop, collision, node fault, forged decision or operator request, as MCAP (ROS 2 CDR), oldest first.

  list             one line per file: id, incidents, time span, messages, size
  get <id>         one file: its incidents, metadata and the messages per topic
  export <id>      copies the file to --out (written whole, then renamed into place)
  <id>             the file's id (000012-protective_stop) or its number (12)
  --dir <dir>      black_box's dir parameter (default: $XDG_STATE_HOME/kizuna/black_box)
  --json           as JSON

exit status: 0 done, 1 a file cannot be read or written, 2 wrong command line or unknown id`;

function usage(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${BLACKBOX_USAGE}`);
}

interface BlackboxArgs {
  command: 'list' | 'get' | 'export';
  id?: string;
  dir: string;
  out?: string;
  json: boolean;
}

/** Parses the command line (KZ_ERR_CLI_USAGE naming what is wrong). */
export function parseBlackboxArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): BlackboxArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usage((err as Error).message);
  }
  const [command, id, ...extra] = parsed.positionals;
  if (command !== 'list' && command !== 'get' && command !== 'export')
    throw usage(`blackbox needs list, get or export, got '${command ?? ''}'`);
  if (extra.length > 0) throw usage(`unexpected argument '${extra[0]}'`);
  if (command === 'list' && id !== undefined) throw usage(`list takes no id, got '${id}'`);
  if (command !== 'list' && (id === undefined || !/^(\d+|\d{6,}-[a-z_]+)$/.test(id)))
    throw usage(`${command} needs an incident id (000012-protective_stop) or number (12), got '${id ?? ''}'`);
  const v = parsed.values;
  if (command === 'export' && !v.out) throw usage('export needs --out <file>');
  if (command !== 'export' && v.out !== undefined) throw usage('--out goes with export');
  if (command === 'export' && v.json) throw usage('--json goes with list or get');
  return {
    command,
    ...(id !== undefined ? { id } : {}),
    dir: v.dir ?? defaultBlackBoxDir(env),
    ...(v.out !== undefined ? { out: v.out } : {}),
    json: v.json ?? false,
  };
}

const OPTIONS = {
  dir: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const secs = (ns: bigint): string => (Number(ns) / 1e9).toFixed(3);
const jsonable = (s: IncidentSummary): Record<string, unknown> => ({
  ...s,
  startNs: String(s.startNs),
  endNs: String(s.endNs),
});

/** Runs `kizuna blackbox`; returns the exit status. */
export async function runBlackbox(args: readonly string[], print: (line: string) => void): Promise<number> {
  const a = parseBlackboxArgs(args);
  if (a.command === 'list') {
    const files = listIncidentFiles(a.dir);
    const all = await Promise.all(files.map((f) => readIncident(f)));
    if (a.json) {
      print(JSON.stringify({ dir: a.dir, incidents: all.map(jsonable) }, null, 2));
      return 0;
    }
    if (all.length === 0) {
      print(`no incident files in ${a.dir}`);
      return 0;
    }
    print(`${all.length} incident file(s) in ${a.dir}, oldest first:`);
    for (const s of all) {
      const kinds = s.incidents.map((i) => i.kind).join(', ') || s.metadata.trigger || '?';
      print(
        `${s.id}  ${printable(kinds, 120)}  t ${secs(s.startNs)} to ${secs(s.endNs)} s  ${s.messages} messages  ${s.bytes} bytes`,
      );
    }
    return 0;
  }
  const f = findIncidentFile(a.dir, a.id!);
  if (!f)
    throw new KizunaError('KZ_ERR_BLACKBOX_NOT_FOUND', `no incident '${a.id}' in ${a.dir} (kizuna blackbox list)`);
  const s = await readIncident(f);
  if (a.command === 'get') {
    if (a.json) {
      print(JSON.stringify(jsonable(s), null, 2));
      return 0;
    }
    print(`${s.id}: ${s.path} (${s.bytes} bytes, ${s.messages} messages, t ${secs(s.startNs)} to ${secs(s.endNs)} s)`);
    print(
      `robot ${printable(s.metadata.namespace ?? '?', 80)}, profile ${printable(s.metadata.profile ?? '?', 40)}, ` +
        `kizuna ${printable(s.metadata.kizuna_version ?? '?', 40)}`,
    );
    print('incidents:');
    for (const i of s.incidents) print(`  t ${secs(BigInt(i.t_ns))} s  ${i.kind}: ${printable(i.detail, 300)}`);
    print('messages per topic:');
    const w = Math.max(...s.topics.map((t) => t.topic.length));
    for (const t of s.topics)
      print(`  ${printable(t.topic, 200).padEnd(w)}  ${String(t.messages).padStart(6)}  ${t.type}`);
    return 0;
  }
  const out = resolve(a.out!);
  try {
    if (statSync(out).isDirectory()) throw usage(`--out needs a file path, got the directory '${a.out}'`);
  } catch (err) {
    if (err instanceof KizunaError) throw err;
  }
  const partial = `${out}.partial`;
  try {
    await copyFile(f.path, partial);
    const h = await open(partial, 'r+');
    await h.sync();
    await h.close();
    await rename(partial, out);
  } catch (err) {
    await rm(partial, { force: true });
    throw new KizunaError('KZ_ERR_MCAP_WRITE', `cannot write ${out}: ${(err as Error).message}`, {
      entity: dirname(out),
    });
  }
  print(`exported ${s.id} (${s.messages} messages) to ${out}`);
  return 0;
}
