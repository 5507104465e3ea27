/**
 * `kizuna contract --out DIR`: writes the JSON Schema of every MQTT payload (DIR/schemas/*.schema.json)
 * and the AsyncAPI 3 documents generated from nodes/core/contract: DIR/asyncapi.json (the robot's side)
 * and DIR/asyncapi-national.json (the national side's own send / receive).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allJsonSchemas, asyncApiDocument } from '../core/contract';
import { KizunaError } from '../core/errors';

export const CONTRACT_USAGE = `usage: kizuna contract --out DIR

Writes the MQTT contract, generated from its one source (nodes/core/contract):
  DIR/schemas/<payload>.schema.json   JSON Schema 2020-12 of every payload (and of the trusted keys file)
  DIR/asyncapi-national.json          AsyncAPI 3.0, the national side's own send / receive, with servers
  DIR/asyncapi.json                   AsyncAPI 3.0, the same topics from the robot's side
Prints the paths written. The prose, signing and the national side's duties: docs/contract.md.`;

/** Writes the files and returns their paths. Throws KZ_ERR_CLI_USAGE on bad flags. */
export function runContract(args: string[], usage: string): string[] {
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') {
      out = args[++i];
      if (!out) throw new KizunaError('KZ_ERR_CLI_USAGE', `--out needs a directory\n\n${usage}`);
    } else throw new KizunaError('KZ_ERR_CLI_USAGE', `unknown contract option '${args[i]}'\n\n${usage}`);
  }
  if (!out) throw new KizunaError('KZ_ERR_CLI_USAGE', `contract needs --out DIR\n\n${usage}`);
  const dir = resolve(out);
  mkdirSync(join(dir, 'schemas'), { recursive: true });
  const written: string[] = [];
  for (const [file, schema] of Object.entries(allJsonSchemas())) {
    const path = join(dir, 'schemas', file);
    writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
    written.push(path);
  }
  for (const [file, side] of [
    ['asyncapi.json', 'robot'],
    ['asyncapi-national.json', 'national'],
  ] as const) {
    const api = join(dir, file);
    writeFileSync(api, `${JSON.stringify(asyncApiDocument(side), null, 2)}\n`);
    written.push(api);
  }
  return written;
}
