/**
 * Broker identities and the broker's access rules, derived from the contract's topics.
 *
 * A robot's identity is `<fleet>.<robotId>`, its certificate's one CN. `.` is not allowed in a topic
 * level, so no two (fleet, robot) pairs share an identity and no identity reaches into another topic
 * level. The shipped broker names the robot by its whole certificate subject, `CN=<fleet>.<robotId>`
 * (`use_subject_as_username`), as MQTT username and (forced) client id: a name with `=` in it, which no
 * national account has (their names are letters, digits, `_` and `-`), so no certificate from the robot
 * CA, whatever CN it carries, can act as a national account or take over its session.
 *
 * mosquitto 2.0's acl_file never refuses a SUBSCRIBE (a client could join another's `$share/...` group
 * and drain it) and its dynamic-security plugin does refuse them but has no `%u` patterns, so the
 * rules are one dynamic-security role per robot with its literal topics and one per national account
 * (its fleets, its share group), generated here from the fleet roster and the national account list
 * (`kizuna broker-acl`). mosquitto 2.0 loads that plugin once per broker (its rules are process-wide),
 * so both listeners share this one file.
 */
import { robotTopics, topicLevelSchema, topicRootSchema } from './topics';

/** A robot of the roster: one line `<fleet> <robotId>` (or `<fleet>.<robotId>`). */
export interface RosterEntry {
  readonly fleet: string;
  readonly robotId: string;
}

/** The broker identity (certificate CN, MQTT username, client id) of a robot: `<fleet>.<robotId>`. */
export function robotIdentity(fleet: string, robotId: string): string {
  return `${fleet}.${robotId}`;
}

/**
 * The MQTT username and client id the shipped broker gives a robot: its certificate subject,
 * `CN=<fleet>.<robotId>` (mosquitto's `use_subject_as_username`, RFC 2253 form).
 */
export function robotBrokerName(fleet: string, robotId: string): string {
  return `CN=${robotIdentity(fleet, robotId)}`;
}

/** Fleet and robot id of an identity, or undefined when it is not `<fleet>.<robotId>` with valid levels. */
export function parseRobotIdentity(identity: string): RosterEntry | undefined {
  const parts = identity.split('.');
  if (parts.length !== 2) return undefined;
  const [fleet, robotId] = parts as [string, string];
  if (!topicLevelSchema.safeParse(fleet).success || !topicLevelSchema.safeParse(robotId).success) return undefined;
  if (robotId === 'broadcast') return undefined;
  return { fleet, robotId };
}

/** Roster entries from text: one robot per line, `<fleet> <robotId>` or `<fleet>.<robotId>`; `#` comments. Throws on a bad line or a duplicate. */
export function parseRoster(text: string): RosterEntry[] {
  const out: RosterEntry[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const entry = parseRobotIdentity(line.split(/\s+/).join('.'));
    if (!entry)
      throw new Error(`roster line ${i + 1}: "${line}" is not "<fleet> <robotId>" (letters, digits, _ and -)`);
    const id = robotIdentity(entry.fleet, entry.robotId);
    if (seen.has(id)) throw new Error(`roster line ${i + 1}: ${id} is listed twice`);
    seen.add(id);
    out.push(entry);
  });
  return out;
}

/**
 * A national-side consumer account (one line of the national account list): its MQTT username (also
 * its client id; its password is in the broker's password file), the fleets it consumes (`+`: every
 * fleet) and the shared-subscription group it may consume through, if any.
 */
export interface NationalAccount {
  readonly username: string;
  readonly fleets: readonly string[];
  readonly shareGroup?: string;
}

/** Letters, digits, `_` and `-`: a national username or share group never looks like a robot's `CN=...` name. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * National accounts from text: one per line, `<username> <fleets> [<share-group>]`, fleets `+` or
 * names separated by commas; `#` comments. Throws on a bad line or a username listed twice.
 */
export function parseNationalAccounts(text: string): NationalAccount[] {
  const out: NationalAccount[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const bad = (why: string): never => {
      throw new Error(`national account line ${i + 1}: "${line}": ${why}`);
    };
    const parts = line.split(/\s+/);
    if (parts.length < 2 || parts.length > 3) bad('not "<username> <fleets> [<share-group>]"');
    const [username, fleetList, shareGroup] = parts as [string, string, string | undefined];
    if (!NAME.test(username)) bad('the username is 1 to 64 letters, digits, "_" and "-"');
    const fleets = fleetList.split(',');
    if (fleetList !== '+' && !fleets.every((f) => topicLevelSchema.safeParse(f).success))
      bad('fleets are "+" (every fleet) or fleet names separated by commas');
    if (shareGroup !== undefined && !NAME.test(shareGroup))
      bad('the share group is 1 to 64 letters, digits, "_" and "-"');
    if (seen.has(username)) bad(`${username} is listed twice`);
    seen.add(username);
    out.push({ username, fleets: [...new Set(fleets)], ...(shareGroup ? { shareGroup } : {}) });
  });
  return out;
}

type AclType = 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern';

interface DynsecAcl {
  acltype: AclType;
  topic: string;
  priority: number;
  allow: boolean;
}

/** The dynamic-security plugin's configuration file (mosquitto 2.0 format). */
export interface DynsecConfig {
  defaultACLAccess: { publishClientSend: false; publishClientReceive: false; subscribe: false; unsubscribe: true };
  clients: Array<{ username: string; textName: string; roles: Array<{ rolename: string }> }>;
  groups: never[];
  roles: Array<{ rolename: string; acls: DynsecAcl[] }>;
}

const allow = (acltype: AclType, topic: string): DynsecAcl => ({ acltype, topic, priority: 0, allow: true });

/**
 * The ACL of one robot: writes its status, state, events and decision requests; subscribes to and
 * receives only its decision topic, its fleet's broadcast and the acknowledgements of its events (which
 * only the national side writes: a robot cannot acknowledge its own events).
 */
export function robotAcls(root: string, fleet: string, robotId: string): DynsecAcl[] {
  const t = robotTopics(root, fleet, robotId);
  return [
    ...[t.status, t.state, t.events, t.decisionRequest].map((x) => allow('publishClientSend', x)),
    // subscribeLiteral: the exact filter only, so `$share/<group>/...` and wildcards are refused.
    ...[t.decision, t.broadcastDecision, t.eventsAck].flatMap((x) => [
      allow('subscribeLiteral', x),
      allow('publishClientReceive', x),
    ]),
  ];
}

/** The channels a national consumer reads: what robots send. */
const ROBOT_TO_CLOUD = ['status', 'state', 'events', 'decision/request'] as const;

/**
 * The ACL of one national account, per fleet it consumes (`+`: every fleet): subscribe to and receive
 * what robots send (`<root>/<fleet>/+/status|state|events|decision/request`, or any narrower filter),
 * also through `$share/<its group>/...` and no other group; write decisions (a robot's and the fleet's
 * broadcast), acknowledgements of events, and a robot's status (to clear a retained one). Nothing
 * else: no `#`, no decision topics to read, no other fleet, no `$SYS` or `$CONTROL`.
 */
export function nationalAcls(root: string, account: NationalAccount): DynsecAcl[] {
  topicRootSchema.parse(root);
  const out: DynsecAcl[] = [];
  for (const fleet of account.fleets) {
    const base = `${root}/${fleet}/+`;
    for (const c of ROBOT_TO_CLOUD) {
      out.push(allow('subscribePattern', `${base}/${c}`));
      if (account.shareGroup) out.push(allow('subscribePattern', `$share/${account.shareGroup}/${base}/${c}`));
      out.push(allow('publishClientReceive', `${base}/${c}`));
    }
    for (const c of ['decision', 'events/ack', 'status']) out.push(allow('publishClientSend', `${base}/${c}`));
  }
  return out;
}

/** The dynamic-security plugin's control topics (mosquitto 2.0): commands in, answers out. */
export const DYNSEC_CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_CONTROL_TOPIC}/response`;

/**
 * The ACL of a broker admin account: send commands to the dynamic-security plugin and read its answers,
 * nothing else (no robot or national topic, no `$SYS`). The plugin has no finer grain: whoever may send
 * it commands may change every rule.
 */
export function adminAcls(): DynsecAcl[] {
  return [
    allow('publishClientSend', DYNSEC_CONTROL_TOPIC),
    allow('subscribeLiteral', DYNSEC_RESPONSE_TOPIC),
    allow('publishClientReceive', DYNSEC_RESPONSE_TOPIC),
  ];
}

/**
 * The broker's dynamic-security file, for both listeners: one client (no password: the certificate
 * authenticates) and one role per robot, named by its certificate subject; one client (no password
 * here: the broker's password file has it) and one role per national account; one client and one role
 * per admin account (`admins`: usernames, password in the broker's password file, on the national
 * listener only), which may only use the plugin's control topic (`kizuna broker-acl revoke`);
 * everything else refused. No robot-CA certificate can act as an admin: its name is `CN=...`.
 */
export function dynsecConfig(
  root: string,
  roster: readonly RosterEntry[],
  national: readonly NationalAccount[] = [],
  admins: readonly string[] = [],
): DynsecConfig {
  const clients: DynsecConfig['clients'] = [];
  const roles: DynsecConfig['roles'] = [];
  for (const { fleet, robotId } of roster) {
    const name = robotBrokerName(fleet, robotId);
    clients.push({
      username: name,
      textName: `kizuna robot ${robotId} of fleet ${fleet}`,
      roles: [{ rolename: name }],
    });
    roles.push({ rolename: name, acls: robotAcls(root, fleet, robotId) });
  }
  for (const account of national) {
    const rolename = `national:${account.username}`;
    const fleets = account.fleets.includes('+') ? 'every fleet' : `fleets ${account.fleets.join(', ')}`;
    const group = account.shareGroup ? `, share group ${account.shareGroup}` : '';
    clients.push({
      username: account.username,
      textName: `kizuna national consumer (${fleets}${group})`,
      roles: [{ rolename }],
    });
    roles.push({ rolename, acls: nationalAcls(root, account) });
  }
  for (const username of admins) {
    if (!NAME.test(username))
      throw new Error(`admin account "${username}": the username is 1 to 64 letters, digits, "_" and "-"`);
    if (national.some((a) => a.username === username))
      throw new Error(`admin account "${username}" is also a national account: give it its own name`);
    const rolename = `admin:${username}`;
    clients.push({
      username,
      textName: 'kizuna broker admin (dynamic-security commands only)',
      roles: [{ rolename }],
    });
    roles.push({ rolename, acls: adminAcls() });
  }
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients,
    groups: [],
    roles,
  };
}
