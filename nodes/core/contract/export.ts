/**
 * JSON Schema (draft 2020-12, from zod 4's `z.toJSONSchema`) of every payload, and an AsyncAPI 3
 * document of the topic tree, for teams that build the national model's side in other languages.
 */
import { z } from 'zod';
import { PAYLOAD_SCHEMAS, trustedKeysSchema } from './schemas';
import { DEFAULT_TOPIC_ROOT, TOPIC_SPECS, type TopicName } from './topics';
import { CONTRACT_VERSION } from './version';

export type PayloadName = keyof typeof PAYLOAD_SCHEMAS;

/** JSON Schema of one payload. Decisions are described as the cloud must write them (`io: input`). */
export function payloadJsonSchema(name: PayloadName | 'trusted_keys'): Record<string, unknown> {
  const schema = name === 'trusted_keys' ? trustedKeysSchema : PAYLOAD_SCHEMAS[name];
  const io = name === 'decision' ? 'input' : 'output';
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'throw', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return {
    $id: `https://kizuna.invalid/contract/${CONTRACT_VERSION}/${name}.schema.json`,
    title: `kizuna ${name} payload, contract ${CONTRACT_VERSION}`,
    ...json,
  };
}

/** Every schema by file name (`<payload>.schema.json`). */
export function allJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of [...(Object.keys(PAYLOAD_SCHEMAS) as PayloadName[]), 'trusted_keys' as const]) {
    out[`${name}.schema.json`] = payloadJsonSchema(name);
  }
  return out;
}

/** Whose operations an AsyncAPI document describes: `send` is what that side publishes. */
export type AsyncApiSide = 'robot' | 'national';

/**
 * The brokers both sides connect to, as AsyncAPI servers: the address is the deployment's (variables,
 * loopback by default), MQTT 5 or 3.1.1, TLS on `mqtts`. The MQTT binding states the session a
 * consumer keeps (docs/contract.md, "events/ack": clean start off, one fixed client id).
 */
function asyncApiServers(side: AsyncApiSide): Record<string, unknown> {
  const session =
    side === 'national'
      ? {
          bindings: {
            mqtt: {
              cleanSession: false,
              sessionExpiryInterval: { type: 'integer', minimum: 1, description: '[s] long enough to cover a restart' },
              bindingVersion: '0.2.0',
            },
          },
        }
      : {};
  const server = (protocol: 'mqtt' | 'mqtts', port: string, what: string): Record<string, unknown> => ({
    host: '{host}:{port}',
    protocol,
    protocolVersion: '5.0',
    title: what,
    description:
      'The MQTT broker the robots and the national side share. MQTT 5, or 3.1.1 with what degrades as ' +
      'docs/contract.md says ("MQTT 3.1.1: what degrades, exactly"). Topics start at the topic root ' +
      `(default ${DEFAULT_TOPIC_ROOT}).`,
    variables: {
      host: { default: '127.0.0.1', description: "the deployment's broker host" },
      port: { default: port },
    },
    ...session,
  });
  return {
    broker: server('mqtt', '1883', 'broker (plain MQTT)'),
    broker_tls: server('mqtts', '8883', 'broker (MQTT over TLS)'),
  };
}

/**
 * An AsyncAPI 3.0 document: channels per topic with MQTT QoS / retain bindings and the servers. From
 * the robot's point of view by default (`send` = robot → cloud); `national`: the national side's own
 * (`send` = what it publishes: decisions, acks, retained clears; `receive` = what robots publish).
 */
export function asyncApiDocument(side: AsyncApiSide = 'robot'): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const payload of Object.keys(PAYLOAD_SCHEMAS) as PayloadName[]) {
    messages[payload] = {
      name: payload,
      contentType: 'application/json',
      payload: payloadJsonSchema(payload),
    };
  }
  const sends = (direction: string): boolean =>
    side === 'robot' ? direction === 'robot→cloud' : direction !== 'robot→cloud';
  for (const [name, spec] of Object.entries(TOPIC_SPECS) as Array<[TopicName, (typeof TOPIC_SPECS)[TopicName]]>) {
    const address = spec.pattern.replace('{root}', DEFAULT_TOPIC_ROOT);
    const parameters: Record<string, unknown> = {
      fleet: { description: 'fleet id: letters, digits, "_" and "-", 1 to 64 characters' },
    };
    if (address.includes('{robotId}')) {
      parameters.robotId = { description: 'robot id: letters, digits, "_" and "-", 1 to 64 characters' };
    }
    channels[name] = {
      address,
      description:
        `${spec.direction}, QoS ${spec.qos}, retain ${spec.retain}` +
        (spec.clearedAtConnect
          ? '. At every connect, before its birth, the robot publishes a zero-length retained message ' +
            'here to clear one left by someone else: it carries nothing; ignore zero-length messages here'
          : ''),
      parameters,
      messages: { [spec.payload]: { $ref: `#/components/messages/${spec.payload}` } },
    };
    const action = sends(spec.direction) ? 'send' : 'receive';
    operations[`${action}_${name}`] = {
      action,
      channel: { $ref: `#/channels/${name}` },
      bindings: { mqtt: { qos: spec.qos, retain: spec.retain, bindingVersion: '0.2.0' } },
    };
  }
  const title = side === 'robot' ? 'kizuna robot ↔ national AI model' : 'kizuna national AI model ↔ robots';
  const view =
    side === 'robot'
      ? 'Written from the robot\'s side: "send" operations are robot → cloud. The national side\'s own ' +
        'document is asyncapi-national.json.'
      : 'Written from the national side: "send" operations are what it publishes (decisions, event ' +
        'acknowledgements), "receive" what the robots publish. Consume with a persistent session (clean ' +
        "start off, one fixed client id). The robot's own document is asyncapi.json.";
  return {
    asyncapi: '3.0.0',
    info: {
      title,
      version: CONTRACT_VERSION,
      description:
        `MQTT 3.1.1 and 5 contract between a kizuna robot and the national model. ${view} ` +
        'The topic root is configurable; the addresses show the default. ' +
        'See docs/contract.md for signing, bad-input handling and worked examples.',
    },
    defaultContentType: 'application/json',
    servers: asyncApiServers(side),
    channels,
    operations,
    components: { messages },
  };
}
