/**
 * An outside national side drives a robot of `kizuna sim` with its own key, as another team would:
 * `kizuna sim --planner none --trusted-keys FILE` runs as a separate process with its embedded broker;
 * this test is the national side, with nothing of kizuna's code — Node's Ed25519, an mqtt client and
 * a canonical JSON written from docs/contract.md alone (checked first against the document's own
 * test vector). Its decision is accepted and carried out; one signed with a key the robots do not
 * trust is rejected UNKNOWN_KEY; the report names the keys the robots trusted.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-outside-'));
const doc = readFileSync(join(root, 'docs', 'contract.md'), 'utf8');
let client: MqttClient | undefined;
afterAll(async () => {
  await client?.endAsync();
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The national side, from docs/contract.md ("Signing") only

/** RFC 8785 for the contract's payloads: members sorted by UTF-16 code units, no whitespace, ES number form. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The decision with `keyId` and its base64 Ed25519 signature over the canonical UTF-8 text. */
function signed(decision: Record<string, unknown>, keyId: string, key: KeyObject): Record<string, unknown> {
  const body = { ...decision, keyId };
  return { ...body, signature: sign(null, Buffer.from(canonical(body), 'utf8'), key).toString('base64') };
}

/** A fresh key pair: the private key and its raw 32-byte public key in base64 (the trusted keys format). */
function keyPair(): { privateKey: KeyObject; publicKeyB64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return { privateKey, publicKeyB64: Buffer.from(x, 'base64url').toString('base64') };
}

/** The fenced block after `marker` in docs/contract.md. */
function docBlock(marker: string): string {
  const at = doc.indexOf(marker);
  if (at < 0) throw new Error(`docs/contract.md has no '${marker}'`);
  const m = /```\w*\n([\s\S]*?)\n```/.exec(doc.slice(at));
  return m![1]!;
}

const exampleDecision = JSON.parse(docBlock('Decision before signing')) as Record<string, unknown>;

// ---------------------------------------------------------------------------------------------

interface Event {
  type: string;
  decisionId?: string;
  reason?: string;
  by?: string;
}

describe('an outside national side drives kizuna sim with its own key', () => {
  it('the canonical JSON and signature written from docs/contract.md reproduce its test vector', () => {
    const seedHex = /private key seed \(hex\): `([0-9a-f]{64})`/.exec(doc)![1]!;
    const pubHex = /public key \(hex\): `([0-9a-f]{64})`/.exec(doc)![1]!;
    const key = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from(seedHex, 'hex').toString('base64url'),
        x: Buffer.from(pubHex, 'hex').toString('base64url'),
      },
      format: 'jwk',
    });
    const { keyId, ...body } = exampleDecision;
    expect(canonical(exampleDecision)).toBe(docBlock('<!-- vector: canonical -->'));
    expect(signed(body, keyId as string, key).signature).toBe(docBlock('<!-- vector: signature -->'));
  });

  it('--planner none --trusted-keys FILE: its signed decision is accepted and carried out; an untrusted key is rejected UNKNOWN_KEY', async () => {
    const national = keyPair();
    const stranger = keyPair();
    const keysFile = join(dir, 'national_keys.json');
    writeFileSync(keysFile, JSON.stringify({ keys: [{ keyId: 'national-e2e', publicKey: national.publicKeyB64 }] }));
    const scenario = join(dir, 'outside.yaml');
    writeFileSync(
      scenario,
      [
        'name: outside',
        'duration_s: 30',
        'world:',
        '  walls:',
        '    - { id: room, points: [[0, 0], [10, 0], [10, 6], [0, 6]], closed: true }',
        'robots:',
        '  - { id: care1, profile: care, start: { x: 2, y: 3, yaw: 0 } }',
        'planner: { mode: reference }', // overridden by --planner none: the robots hear only from this test
        'pass:',
        '  no_collisions: true',
        '  tasks_completed_at_least: 1',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'outside.json');
    const sim = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      [
        join(root, 'nodes', 'cli', 'kizuna.ts'),
        'sim',
        '--scenario',
        scenario,
        '--planner',
        'none',
        '--trusted-keys',
        keysFile,
        '--speed',
        '2',
        '--quiet',
        '--report',
        report,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    sim.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((resolve) => sim.once('exit', (code) => resolve(code)));
    try {
      // The ready line names the broker the robots use.
      const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line in 30 s:\n${stderr}`)), 30_000);
        sim.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          const m = /ready: broker (mqtt:\/\/[^ ]+) \(MQTT 3\.1\.1\), topics ([^ ]+)\/<robot>\//.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        });
        void exited.then((code) => reject(new Error(`kizuna sim exited ${code} before it was ready:\n${stderr}`)));
      });
      expect(stderr).toMatch(/trusted keys sim-planner-\S+ national-e2e \(outside: national-e2e\)/);
      const [, url, base] = ready;
      const robot = `${base}/care1`;

      client = await mqtt.connectAsync(url!, { protocolVersion: 4, clientId: 'national-e2e', reconnectPeriod: 0 });
      const events: Event[] = [];
      let online = false;
      const changed: Array<() => void> = [];
      client.on('message', (topic, payload) => {
        if (payload.length === 0) return; // a robot clearing stray retained messages at connect
        const msg = JSON.parse(payload.toString()) as Record<string, unknown>;
        if (topic === `${robot}/status`) online = msg.status === 'online';
        if (topic === `${robot}/events`) events.push(msg as unknown as Event);
        changed.splice(0).forEach((f) => f());
      });
      const until = async (what: string, ok: () => boolean, ms = 30_000): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!ok()) {
          if (Date.now() > deadline)
            throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events)}`);
          await new Promise<void>((r) => {
            changed.push(r);
            setTimeout(r, 200);
          });
        }
      };
      await client.subscribeAsync([`${robot}/status`, `${robot}/events`], { qos: 1 });
      await until('the robot online', () => online);

      // Decisions built from the documented example, as the national side would.
      const decision = (decisionId: string): Record<string, unknown> => {
        const { keyId: _k, requestId: _r, ...rest } = exampleDecision;
        const now = Date.now();
        return {
          ...rest,
          decisionId,
          robotId: 'care1',
          // the robot's fleet: the last level of the topic base the ready line names
          fleetId: base!.split('/').at(-1),
          issuedAt: now,
          expiresAt: now + 300_000,
          kind: { type: 'navigate_to', target: { x: 5, y: 3, yaw: 0 }, maxSpeed: 0.5 },
        };
      };
      await client.publishAsync(
        `${robot}/decision`,
        JSON.stringify(signed(decision('outside-untrusted-1'), 'national-stranger', stranger.privateKey)),
        { qos: 1 },
      );
      await client.publishAsync(
        `${robot}/decision`,
        JSON.stringify(signed(decision('outside-1'), 'national-e2e', national.privateKey)),
        { qos: 1 },
      );

      const about = (id: string, type: string) => (): boolean =>
        events.some((e) => e.decisionId === id && e.type === type);
      await until('the untrusted decision rejected', about('outside-untrusted-1', 'decision_rejected'));
      expect(events.find((e) => e.decisionId === 'outside-untrusted-1')).toMatchObject({
        type: 'decision_rejected',
        by: 'bridge',
        reason: 'UNKNOWN_KEY',
      });
      await until('the decision accepted', about('outside-1', 'decision_accepted'));
      await until('the decision succeeded', about('outside-1', 'decision_succeeded'), 40_000);
      expect(events.some((e) => e.decisionId === 'outside-untrusted-1' && e.type !== 'decision_rejected')).toBe(false);

      expect(await exited).toBe(0);
    } finally {
      if (sim.exitCode === null) sim.kill('SIGTERM');
      await exited;
    }
    expect(stdout).toMatch(/PASS {2}tasks_completed_at_least: 1/);
    const r = JSON.parse(readFileSync(report, 'utf8')) as {
      planner: { mode: string; decisionsSent: number };
      trustedKeys: Array<{ keyId: string; publicKey: string; source: string }>;
      metrics: {
        tasksOk: number;
        decisions: { accepted: number; rejectedByBridge: Record<string, number>; ended: Record<string, number> };
      };
    };
    expect(r.planner).toMatchObject({ mode: 'none', decisionsSent: 0 });
    expect(r.trustedKeys).toEqual([
      expect.objectContaining({ source: 'planner' }),
      { keyId: 'national-e2e', publicKey: national.publicKeyB64, source: `file:${keysFile}` },
    ]);
    expect(r.metrics.decisions.accepted).toBe(1);
    expect(r.metrics.decisions.rejectedByBridge).toEqual({ UNKNOWN_KEY: 1 });
    expect(r.metrics.decisions.ended['navigate_to:succeeded']).toBe(1);
    expect(r.metrics.tasksOk).toBe(1);
  }, 120_000);
});
