/**
 * `kizuna broker-acl --roster FILE [--national FILE] [--admin NAME]... [--root kizuna/v1] [--out FILE]`:
 * the broker's dynamic-security file (launch/mosquitto/) from the fleet roster, one robot per line
 * `<fleet> <robotId>`, the national account list, one account per line
 * `<username> <fleets> [<share-group>]`, and the admin accounts that may send the plugin commands
 * (`kizuna broker-acl revoke`, broker-revoke.ts). Without --out it prints the JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  DEFAULT_TOPIC_ROOT,
  dynsecConfig,
  parseNationalAccounts,
  parseRoster,
  topicRootSchema,
  type NationalAccount,
} from '../core/contract';
import { KizunaError } from '../core/errors';

/** The JSON text of the file (also written to --out when given). Throws KZ_ERR_CLI_USAGE on bad flags or a bad roster. */
export function runBrokerAcl(args: string[], usage: string): string {
  let roster: string | undefined;
  let national: string | undefined;
  let out: string | undefined;
  const admins: string[] = [];
  let root = DEFAULT_TOPIC_ROOT;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if ((a === '--roster' || a === '--national' || a === '--out' || a === '--root' || a === '--admin') && !v)
      throw new KizunaError('KZ_ERR_CLI_USAGE', `${a} needs a value\n\n${usage}`);
    if (a === '--roster') roster = v;
    else if (a === '--national') national = v;
    else if (a === '--out') out = v;
    else if (a === '--admin') admins.push(v!);
    else if (a === '--root') {
      if (!topicRootSchema.safeParse(v).success) throw new KizunaError('KZ_ERR_CLI_USAGE', `bad --root '${v}'`);
      root = v!;
    } else throw new KizunaError('KZ_ERR_CLI_USAGE', `unknown broker-acl option '${a}'\n\n${usage}`);
    i++;
  }
  if (!roster) throw new KizunaError('KZ_ERR_CLI_USAGE', `broker-acl needs --roster FILE\n\n${usage}`);
  let entries;
  try {
    entries = parseRoster(readFileSync(roster, 'utf8'));
  } catch (e) {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `${roster}: ${(e as Error).message}`);
  }
  let accounts: NationalAccount[] = [];
  if (national) {
    try {
      accounts = parseNationalAccounts(readFileSync(national, 'utf8'));
    } catch (e) {
      throw new KizunaError('KZ_ERR_CLI_USAGE', `${national}: ${(e as Error).message}`);
    }
  }
  let config;
  try {
    config = dynsecConfig(root, entries, accounts, admins);
  } catch (e) {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `--admin: ${(e as Error).message}`);
  }
  const text = `${JSON.stringify(config, null, 2)}\n`;
  if (out) writeFileSync(out, text, { mode: 0o640 });
  return text;
}
