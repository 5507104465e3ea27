import { describe, it, expect } from '@jest/globals';
import { BrokerFailover, brokerUrlsSchema, spreadIndex, splitBrokerUrls } from '../../../nodes/core/broker-urls';
import { connackRefusal, refusalText } from '../../../nodes/core/mqtt-refusal';
import { paramsSchema } from '../../../nodes/cloud_bridge/params';
import { linkOptions } from '../../../nodes/cloud_bridge/config';
import { robotTopics } from '../../../nodes/core/contract';

const A = 'mqtt://127.0.0.1:1883';
const B = 'mqtt://127.0.0.1:1884';
const C = 'mqtts://broker-c.example:8883';

const failover = (order: 'in_order' | 'sticky' | 'spread', urls = [A, B, C], key = 'f.r1'): BrokerFailover =>
  new BrokerFailover({ urls, order, key, failoverDelayMs: 200, backoffMinMs: 1000, backoffMaxMs: 8000 });

describe('broker URL lists', () => {
  it('reads one URL or a comma-separated list, blanks ignored', () => {
    expect(splitBrokerUrls(A)).toEqual([A]);
    expect(splitBrokerUrls(` ${A} , ${B},`)).toEqual([A, B]);
  });

  it('refuses a list with a bad URL, a duplicate, or nothing, naming the culprit', () => {
    expect(brokerUrlsSchema.safeParse(`${A},${B}`).success).toBe(true);
    const bad = brokerUrlsSchema.safeParse(`${A},http://x:1`);
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toMatch(/'http:\/\/x:1' is not an mqtt:\/\//);
    expect(brokerUrlsSchema.safeParse(`${A},${A}`).error!.issues[0]!.message).toMatch(/listed twice/);
    expect(brokerUrlsSchema.safeParse(' , ').error!.issues[0]!.message).toMatch(/at least one/);
  });

  it('cloud_bridge takes the list with its order and failover delay, and hands them to the link', () => {
    const p = paramsSchema.parse({
      robot_id: 'r1',
      fleet: 'f',
      profile: 'care',
      allow_unsigned: true,
      broker_url: `${A}, ${B}`,
      broker_order: 'spread',
      failover_delay_s: 0.5,
    });
    const o = linkOptions(p, robotTopics('kizuna/v1', 'f', 'r1'), Buffer.from('{}'));
    expect(o.urls).toEqual([A, B]);
    expect(o.order).toBe('spread');
    expect(o.failoverDelayMs).toBe(500);
    expect(
      paramsSchema.safeParse({ robot_id: 'r1', fleet: 'f', profile: 'care', broker_order: 'random' }).success,
    ).toBe(false);
  });
});

describe('BrokerFailover: the next URL at once, backoff only after a whole round failed', () => {
  it('one URL behaves as plain exponential backoff', () => {
    const f = failover('sticky', [A]);
    expect([f.next(0), f.next(0), f.next(0), f.next(0), f.next(0)]).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(f.url).toBe(A);
    f.stable();
    expect(f.next(0)).toBe(500);
  });

  it('walks the list with the failover delay, then backs off and starts the next round at the first URL (in_order)', () => {
    const f = failover('in_order');
    expect(f.url).toBe(A);
    expect(f.next(0)).toBe(200);
    expect(f.url).toBe(B);
    expect(f.next(0)).toBe(200);
    expect(f.url).toBe(C);
    expect(f.next(0)).toBe(500);
    expect(f.url).toBe(A);
    // Connected on B, then B dies: in_order tries C next, and the next round starts at A again.
    f.next(0);
    f.connected();
    expect(f.url).toBe(B);
    expect(f.next(0)).toBe(200);
    expect(f.url).toBe(C);
    expect(f.next(0)).toBe(200);
    expect(f.url).toBe(A);
    // A whole round failed again without a stable connection in between: the backoff has doubled.
    expect(f.next(0)).toBe(1000);
    expect(f.url).toBe(A);
  });

  it('sticky starts later rounds at the node that last took the client', () => {
    const f = failover('sticky');
    f.next(0);
    f.connected(); // on B (the backup that took over)
    expect(f.next(0)).toBe(200);
    expect(f.url).toBe(C);
    expect(f.next(0)).toBe(200);
    expect(f.url).toBe(A);
    expect(f.next(0)).toBe(500);
    expect(f.url).toBe(B);
  });

  it('spread starts each client at the URL its id hashes to, so a fleet covers every node', () => {
    const starts = new Set<string>();
    for (let i = 0; i < 40; i++) starts.add(failover('spread', [A, B], `f.r${i}`).url);
    expect(starts).toEqual(new Set([A, B]));
    expect(failover('spread', [A, B], 'f.r7').url).toBe(failover('spread', [A, B], 'f.r7').url);
    expect(spreadIndex('anything', 1)).toBe(0);
  });
});

describe('CONNACK refusals, named', () => {
  const err = (message: string, code: number): Error => Object.assign(new Error(message), { code });

  it('names MQTT 5 reason codes and 3.1.1 return codes with the remedy', () => {
    const v5 = connackRefusal(err('Connection refused: Unsupported Protocol Version', 0x84))!;
    expect(v5).toMatchObject({ code: 0x84, kind: 'protocol_version' });
    expect(refusalText(v5)).toBe('CONNACK refused 0x84 unsupported protocol version');
    expect(v5.fix).toMatch(/mqtt_version|--mqtt-version/);
    // A 3.1.1-only broker answers an MQTT 5 CONNECT with return code 1.
    expect(connackRefusal(err('Connection refused: Unacceptable protocol version', 1))!.kind).toBe('protocol_version');
    expect(connackRefusal(err('Connection refused: Identifier rejected', 2))!.kind).toBe('client_id');
    expect(connackRefusal(err('Connection refused: Client Identifier not valid', 0x85))!.kind).toBe('client_id');
    expect(connackRefusal(err('Connection refused: Bad username or password', 4))!.kind).toBe('credentials');
    expect(connackRefusal(err('Connection refused: Not authorized', 0x87))!.kind).toBe('not_authorized');
    expect(connackRefusal(err('Connection refused: Something new', 0xa9))).toMatchObject({
      code: 0xa9,
      kind: 'other',
      reason: 'Something new',
    });
  });

  it('is not fooled by socket errors or timeouts', () => {
    expect(connackRefusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(
      undefined,
    );
    expect(connackRefusal(new Error('connack timeout'))).toBe(undefined);
    expect(connackRefusal('Connection refused')).toBe(undefined);
  });
});
