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

/** The AsyncAPI 3.0 document: channels per topic with MQTT QoS / retain bindings, robot's point of view. */
export function asyncApiDocument(): Record<string, unknown> {
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
      description: `${spec.direction}, QoS ${spec.qos}, retain ${spec.retain}`,
      parameters,
      messages: { [spec.payload]: { $ref: `#/components/messages/${spec.payload}` } },
    };
    operations[`${spec.direction === 'robot→cloud' ? 'send' : 'receive'}_${name}`] = {
      action: spec.direction === 'robot→cloud' ? 'send' : 'receive',
      channel: { $ref: `#/channels/${name}` },
      bindings: { mqtt: { qos: spec.qos, retain: spec.retain, bindingVersion: '0.2.0' } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'kizuna robot ↔ national AI model',
      version: CONTRACT_VERSION,
      description:
        "MQTT 3.1.1 and 5 contract between a kizuna robot and the national model. Written from the robot's side: " +
        '"send" operations are robot → cloud. The topic root is configurable; the addresses show the default. ' +
        'See docs/contract.md for signing, bad-input handling and worked examples.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages },
  };
}
