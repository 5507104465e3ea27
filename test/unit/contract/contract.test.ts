import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTRACT_MAJOR,
  CONTRACT_VERSION,
  majorOf,
  PAYLOAD_SCHEMAS,
  REJECT_REASONS,
  TOPIC_SPECS,
  allJsonSchemas,
  asyncApiDocument,
  canonicalJson,
  decisionSchema,
  loadTrustedKeys,
  privateKeyFromSeed,
  rawPublicKey,
  robotTopics,
  topicsClearedAtConnect,
  signDecision,
  signingBytes,
  stateSchema,
  trustedKeysSchema,
  verifyDecision,
  type PayloadName,
} from '../../../nodes/core/contract';

const root = join(__dirname, '..', '..', '..');
const doc = readFileSync(join(root, 'docs', 'contract.md'), 'utf8');
const TEST_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const testKey = privateKeyFromSeed(TEST_SEED);
const trusted = loadTrustedKeys({
  keys: [{ keyId: 'national-2026-a', publicKey: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' }],
});

/** Fenced blocks that follow `<!-- marker: name -->` in docs/contract.md. */
function blocks(marker: string): Array<{ name: string; body: string }> {
  const re = new RegExp(`<!-- ${marker}: (\\w+) -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...doc.matchAll(re)].map((m) => ({ name: m[1]!, body: m[2]!.trim() }));
}

describe('the contract document (docs/contract.md) agrees with the contract module', () => {
  it('every worked example validates against its payload schema, and every signed decision verifies with the test key', () => {
    const examples = blocks('example');
    expect(examples.length).toBeGreaterThanOrEqual(12);
    const seen = new Set<string>();
    for (const ex of examples) {
      const schema = ex.name === 'trusted_keys' ? trustedKeysSchema : PAYLOAD_SCHEMAS[ex.name as PayloadName];
      expect([ex.name, schema !== undefined]).toEqual([ex.name, true]);
      const value = JSON.parse(ex.body) as Record<string, unknown>;
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw new Error(`${ex.name} example invalid: ${parsed.error.message}\n${ex.body}`);
      seen.add(ex.name);
      if (ex.name === 'decision') {
        const key = trusted.get(value.keyId as string)!;
        expect(verifyDecision(value, value.signature as string, key)).toBe(true);
      }
    }
    expect([...seen].sort()).toEqual([...Object.keys(PAYLOAD_SCHEMAS), 'trusted_keys'].sort());
  });

  it('has a "Writing the national side" section, and every in-document link goes to a heading that exists', () => {
    const slug = (h: string): string =>
      h
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const headings = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => slug(m[1]!)));
    expect(headings).toContain('writing-the-national-side');
    const section = doc.slice(doc.indexOf('## Writing the national side'));
    const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect([...section.slice(0, section.indexOf('\n## ', 5)).matchAll(/\]\(#([^)]+)\)/g)].length).toBeGreaterThan(5);
    expect(links.filter((l) => !headings.has(l))).toEqual([]);
  });

  it('has no JSON block that escapes the checks: every one is a worked example or the unsigned test vector', () => {
    const fenced = [...doc.matchAll(/^```json\n/gm)].length;
    const unsigned = blocks('vector').filter((b) => b.name === 'unsigned');
    expect(unsigned).toHaveLength(1);
    expect(fenced).toBeGreaterThanOrEqual(17);
    expect(fenced).toBe(blocks('example').length + unsigned.length);
  });

  it('publishes a test vector whose canonical text and signature this code reproduces byte for byte', () => {
    const [canonical] = blocks('vector').filter((b) => b.name === 'canonical');
    const [signature] = blocks('vector').filter((b) => b.name === 'signature');
    const unsigned = {
      v: '1.1',
      decisionId: 'd-0001',
      robotId: 'care-007',
      fleetId: 'tokyo-1',
      requestId: 'r-0042',
      issuedAt: 1795849200000,
      expiresAt: 1795849500000,
      priority: 10,
      kind: { type: 'navigate_to', target: { x: 12.5, y: -3.25, yaw: 1.5708 }, maxSpeed: 0.6 },
    };
    // The document shows the same decision before signing (step 1), with its keyId.
    const [shown] = blocks('vector').filter((b) => b.name === 'unsigned');
    expect(JSON.parse(shown!.body)).toEqual({ ...unsigned, keyId: 'national-2026-a' });
    const signed = signDecision(unsigned, 'national-2026-a', testKey);
    expect(signingBytes(signed).toString('utf8')).toBe(canonical!.body);
    expect(doc).toContain(`${Buffer.byteLength(canonical!.body)} bytes of UTF-8`);
    expect(signed.signature).toBe(signature!.body);
    expect(rawPublicKey(testKey).toString('base64')).toBe('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=');
    expect(decisionSchema.safeParse(signed).success).toBe(true);
    // The vector is a 1.1 decision: decisions did not change since, and a robot accepts every 1.x one.
    expect(majorOf(unsigned.v)).toBe(CONTRACT_MAJOR);
    expect(CONTRACT_VERSION).toBe('1.3');
    // The Python walk-through signs the same decision (its dict literal is JSON here).
    const [python] = blocks('vector').filter((b) => b.name === 'python');
    const literal = /decision = (\{[\s\S]*?\}\})\n/.exec(python!.body)![1]!;
    expect(JSON.parse(literal)).toEqual({ ...unsigned, keyId: 'national-2026-a' });
  });

  it('names every reason the bridge rejects a decision with in its table of checks, once, in a numbered row', () => {
    const rows = doc.split('\n').filter((l) => /^\| \d+ +\|/.test(l));
    for (const reason of REJECT_REASONS) {
      expect([reason, rows.filter((r) => r.includes(`\`${reason}\``)).length]).toEqual([reason, 1]);
    }
    expect(rows.map((r) => Number(r.split('|')[1]))).toEqual(REJECT_REASONS.map((_, i) => i + 1));
  });

  it('documents every topic with its QoS and retain flag as TOPIC_SPECS has them', () => {
    for (const spec of Object.values(TOPIC_SPECS)) {
      const address = spec.pattern.replace('{root}', 'kizuna/v1');
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${address}\``));
      expect(row).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[3]).toBe(String(spec.qos));
      expect(cells[4]).toMatch(spec.retain ? /yes/ : /no/);
    }
  });

  it("clears at connect exactly the robot's own topics it sends and never retains, as contract.md says", () => {
    const t = robotTopics('kizuna/v1', 'tokyo-1', 'care-007');
    expect(topicsClearedAtConnect(t)).toEqual([t.state, t.events, t.decisionRequest]);
    expect(doc).toContain("**Zero-length messages on a robot's `state`, `events` and `decision/request`.**");
  });
});

describe('canonical encoding (RFC 8785) and Ed25519 signatures', () => {
  it('sorts keys at every depth, drops whitespace and writes numbers in shortest round-trip form', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'é"\n' }], a: 4.0, c: 1e21, d: -0.5, e: null, f: true })).toBe(
      '{"a":4,"b":[3,{"a":"é\\"\\n","z":1}],"c":1e+21,"d":-0.5,"e":null,"f":true}',
    );
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });

  it('signature covers every field: changing any one, or the keyId, breaks it', () => {
    const d = signDecision(
      {
        v: '1.0',
        decisionId: 'x1',
        robotId: 'r1',
        fleetId: 'f1',
        issuedAt: 1,
        expiresAt: 2,
        priority: 0,
        kind: { type: 'set_speed_limit', speedLimit: 0.5 },
      },
      'national-2026-a',
      testKey,
    );
    const key = trusted.get('national-2026-a')!;
    expect(verifyDecision(d, d.signature, key)).toBe(true);
    expect(verifyDecision({ ...d, kind: { type: 'set_speed_limit', speedLimit: 5 } }, d.signature, key)).toBe(false);
    expect(verifyDecision({ ...d, keyId: 'other' }, d.signature, key)).toBe(false);
    expect(verifyDecision({ ...d, priority: 1 }, d.signature, key)).toBe(false);
    expect(verifyDecision({ ...d, fleetId: 'osaka-1' }, d.signature, key)).toBe(false);
    const { fleetId: _f, ...unbound } = d;
    expect(verifyDecision(unbound, d.signature, key)).toBe(false);
    expect(verifyDecision(d, 'AAAA', key)).toBe(false);
  });

  it('rejects a malformed trusted keys file naming the field', () => {
    expect(() => loadTrustedKeys({ keys: [{ keyId: 'k', publicKey: 'short' }] })).toThrow(/publicKey/);
    expect(() => loadTrustedKeys({ keys: [] })).toThrow();
  });
});

describe('topics and payload schemas', () => {
  it('builds a robot subtree and the fleet broadcast topic, refusing wildcards and the reserved "broadcast" id', () => {
    expect(robotTopics('kizuna/v1', 'tokyo-1', 'care-007')).toEqual({
      status: 'kizuna/v1/tokyo-1/care-007/status',
      state: 'kizuna/v1/tokyo-1/care-007/state',
      events: 'kizuna/v1/tokyo-1/care-007/events',
      eventsAck: 'kizuna/v1/tokyo-1/care-007/events/ack',
      decisionRequest: 'kizuna/v1/tokyo-1/care-007/decision/request',
      decision: 'kizuna/v1/tokyo-1/care-007/decision',
      broadcastDecision: 'kizuna/v1/tokyo-1/broadcast/decision',
    });
    expect(() => robotTopics('kizuna/v1', 'tokyo-1', 'a/#')).toThrow();
    expect(() => robotTopics('kizuna/v1', 'tokyo-1', 'broadcast')).toThrow(/reserved/);
    expect(() => robotTopics('kizuna/+', 'f', 'r')).toThrow();
  });

  it('rejects non-finite numbers and unknown fields in a state payload', () => {
    const ok = { v: '1.0', t: 1, mode: 'idle', faults: 0 };
    expect(stateSchema.safeParse(ok).success).toBe(true);
    expect(stateSchema.safeParse({ ...ok, bat: Number.NaN }).success).toBe(false);
    expect(stateSchema.safeParse({ ...ok, obs: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(stateSchema.safeParse({ ...ok, name: 'Hanako' }).success).toBe(false);
  });
});

describe('kizuna contract --out DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a JSON Schema per payload and an AsyncAPI 3 document with MQTT QoS and retain bindings', () => {
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [join(root, 'nodes', 'cli', 'kizuna.ts'), 'contract', '--out', dir], {
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const files = readdirSync(join(dir, 'schemas')).sort();
    expect(files).toEqual(Object.keys(allJsonSchemas()).sort());
    const decision = JSON.parse(readFileSync(join(dir, 'schemas', 'decision.schema.json'), 'utf8')) as {
      $schema: string;
      required: string[];
      properties: Record<string, { type?: string; description?: string }>;
    };
    expect(decision.$schema).toMatch(/2020-12/);
    expect(decision.required).toEqual(
      expect.arrayContaining(['v', 'decisionId', 'robotId', 'issuedAt', 'expiresAt', 'priority', 'kind']),
    );
    // fleetId: optional in shape (its absence has its own reason code), described as signed and checked.
    expect(decision.required).not.toContain('fleetId');
    expect(decision.properties.fleetId).toMatchObject({ type: 'string' });
    expect(decision.properties.fleetId!.description).toMatch(/signature.*WRONG_FLEET.*FLEET_MISSING/);
    const events = readFileSync(join(dir, 'schemas', 'event.schema.json'), 'utf8');
    expect(events).toContain('"WRONG_FLEET"');
    expect(events).toContain('"FLEET_MISSING"');
    const api = JSON.parse(readFileSync(join(dir, 'asyncapi.json'), 'utf8')) as ReturnType<typeof asyncApiDocument> & {
      channels: Record<string, { address: string }>;
      operations: Record<string, { bindings: { mqtt: { qos: number; retain: boolean } } }>;
    };
    expect(api.asyncapi).toBe('3.0.0');
    expect(api.channels.status!.address).toBe('kizuna/v1/{fleet}/{robotId}/status');
    expect(api.operations.send_status!.bindings.mqtt).toMatchObject({ qos: 1, retain: true });
    expect(api.operations.send_state!.bindings.mqtt).toMatchObject({ qos: 0, retain: false });
    expect(api.operations.receive_decision!.bindings.mqtt).toMatchObject({ qos: 1, retain: false });
  });

  it('exits 2 naming the problem when --out is missing', () => {
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [join(root, 'nodes', 'cli', 'kizuna.ts'), 'contract'], {
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KZ_ERR_CLI_USAGE: contract needs --out DIR/);
  });

  it('--help prints what it writes and exits 0', () => {
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [join(root, 'nodes', 'cli', 'kizuna.ts'), 'contract', '--help'], {
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: kizuna contract --out DIR/);
    expect(r.stdout).toContain('asyncapi-national.json');
  });
});
