/**
 * Broker identities and the robot listener's access rules, derived from the contract's topics.
 *
 * A robot's identity is `<fleet>.<robotId>`: its certificate CN, its MQTT username and (the broker
 * forces it) its client id. `.` is not allowed in a topic level, so no two (fleet, robot) pairs share
 * an identity and no identity reaches into another topic level.
 *
 * mosquitto 2.0's acl_file never refuses a SUBSCRIBE (a robot could join the national side's
 * `$share/...` group and drain it) and its dynamic-security plugin does refuse them but has no
 * `%u` patterns, so the robot listener's rules are one dynamic-security role per robot with its
 * literal topics, generated here from the fleet roster (`kizuna broker-acl`).
 */
import { robotTopics, topicLevelSchema } from './topics';

/** A robot of the roster: one line `<fleet> <robotId>` (or `<fleet>.<robotId>`). */
export interface RosterEntry {
  readonly fleet: string;
  readonly robotId: string;
}

/** The broker identity (certificate CN, MQTT username, client id) of a robot: `<fleet>.<robotId>`. */
export function robotIdentity(fleet: string, robotId: string): string {
  return `${fleet}.${robotId}`;
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

/**
 * The ACL of one robot: writes its status, state, events and decision requests; subscribes to and
 * receives only its decision topic, its fleet's broadcast and the acknowledgements of its events (which
 * only the national side writes: a robot cannot acknowledge its own events).
 */
export function robotAcls(root: string, fleet: string, robotId: string): DynsecAcl[] {
  const t = robotTopics(root, fleet, robotId);
  const acl = (acltype: AclType, topic: string): DynsecAcl => ({ acltype, topic, priority: 0, allow: true });
  return [
    ...[t.status, t.state, t.events, t.decisionRequest].map((x) => acl('publishClientSend', x)),
    // subscribeLiteral: the exact filter only, so `$share/<group>/...` and wildcards are refused.
    ...[t.decision, t.broadcastDecision, t.eventsAck].flatMap((x) => [
      acl('subscribeLiteral', x),
      acl('publishClientReceive', x),
    ]),
  ];
}

/**
 * The robot listener's dynamic-security file: one client (no password: the certificate
 * authenticates) and one role per robot, everything else refused. No admin client: a robot CA must
 * not be able to mint one; change the roster and restart the broker (sessions are persisted).
 */
export function dynsecConfig(root: string, roster: readonly RosterEntry[]): DynsecConfig {
  const clients: DynsecConfig['clients'] = [];
  const roles: DynsecConfig['roles'] = [];
  for (const { fleet, robotId } of roster) {
    const id = robotIdentity(fleet, robotId);
    clients.push({ username: id, textName: `kizuna robot ${robotId} of fleet ${fleet}`, roles: [{ rolename: id }] });
    roles.push({ rolename: id, acls: robotAcls(root, fleet, robotId) });
  }
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients,
    groups: [],
    roles,
  };
}
