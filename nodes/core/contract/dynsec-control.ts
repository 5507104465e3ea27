/**
 * Commands to mosquitto's dynamic-security plugin and its answers (mosquitto 2.0, topic
 * `$CONTROL/dynamic-security/v1`), for revoking a robot's broker rights while the broker runs.
 *
 * What each command does to a robot named by its certificate (`use_subject_as_username`), measured
 * against mosquitto 2.0.11 with the shipped configuration (test/security/revoke.test.ts):
 * `deleteClient`, `removeClientRole` and `deleteRole` close the robot's connection at once (MQTT 5
 * DISCONNECT 0x98, administrative action) and leave it nothing at its reconnect (it connects, but every
 * PUBLISH and SUBSCRIBE is refused and nothing queued for it is delivered), and the plugin saves the
 * change to its file, so it holds across a broker restart. `disableClient` closes the connection too but
 * does not stop the reconnect: the robot is back with all its rights ("disabled" seems to be checked
 * only along with a password, which a certificate-named client never gives). Revocation therefore
 * deletes the robot's client and its role.
 */
import { z } from 'zod';
import { robotBrokerName } from './broker-acl';

/** One command of a control message. `correlationData` comes back in its answer. */
export interface DynsecCommand {
  readonly command: string;
  readonly correlationData: string;
  readonly [field: string]: string;
}

/** The commands that revoke a robot: delete its client (closes its connection), then its role. */
export function revokeCommands(fleet: string, robotId: string, tag: string): DynsecCommand[] {
  const name = robotBrokerName(fleet, robotId);
  return [
    { command: 'deleteClient', username: name, correlationData: `${tag}-client` },
    { command: 'deleteRole', rolename: name, correlationData: `${tag}-role` },
  ];
}

/** The command that reads a client, to tell an unknown robot from a known one before changing anything. */
export function getClientCommand(fleet: string, robotId: string, tag: string): DynsecCommand {
  return { command: 'getClient', username: robotBrokerName(fleet, robotId), correlationData: `${tag}-get` };
}

const answerSchema = z.object({
  command: z.string(),
  error: z.string().optional(),
  correlationData: z.string().optional(),
  data: z.unknown().optional(),
});

const responseSchema = z.object({ responses: z.array(answerSchema) });

/** One answer of the plugin: `error` set when it refused the command. */
export type DynsecAnswer = z.infer<typeof answerSchema>;

/**
 * The answers in a message of the response topic, or undefined when it is not the plugin's answer
 * format (the caller waits on; it never trusts a malformed message).
 */
export function parseDynsecResponse(payload: Buffer | string): DynsecAnswer[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
  const r = responseSchema.safeParse(json);
  return r.success ? r.data.responses : undefined;
}

/** True when the plugin's error means the client (or role) is not in its rules. */
export function isNotFound(answer: DynsecAnswer): boolean {
  return /not found/i.test(answer.error ?? '');
}
