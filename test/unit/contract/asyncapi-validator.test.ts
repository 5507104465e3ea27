/**
 * Both AsyncAPI documents `kizuna contract --out` writes, checked by the AsyncAPI initiative's own parser
 * (@asyncapi/parser: the AsyncAPI 3 JSON Schema plus its spectral rule set), not by anything written here.
 * The robot's document and the national side's own must each parse with no error or warning, have
 * servers, and give every topic the action its side takes: the national side sends decisions and acks
 * and receives everything the robots publish.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { runContract } from '../../../nodes/cli/contract';
import { TOPIC_SPECS } from '../../../nodes/core/contract/topics';

const parser = new Parser();

/** Error and warning diagnostics of a document, as text (information and hints, e.g. "3.1.0 exists", left out). */
async function problems(
  text: string,
): Promise<{ ok: boolean; problems: string[]; doc: Awaited<ReturnType<Parser['parse']>>['document'] }> {
  const { document, diagnostics } = await parser.parse(text);
  const bad = diagnostics.filter(
    (d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning,
  );
  return {
    ok: document !== undefined,
    problems: bad.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`),
    doc: document,
  };
}

describe('the AsyncAPI documents, checked by @asyncapi/parser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-asyncapi-'));
  runContract(['--out', dir], 'usage');
  const robot = readFileSync(join(dir, 'asyncapi.json'), 'utf8');
  const national = readFileSync(join(dir, 'asyncapi-national.json'), 'utf8');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['asyncapi.json', 'robot', robot],
    ['asyncapi-national.json', 'national', national],
  ])(
    '%s (the %s side) parses with no error or warning, with the brokers as servers',
    async (_f, _side, text) => {
      const r = await problems(text);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      expect(
        r
          .doc!.servers()
          .all()
          .map((s) => `${s.protocol()} ${s.host()}`),
      ).toEqual(['mqtt {host}:{port}', 'mqtts {host}:{port}']);
      expect(r.doc!.channels().all()).toHaveLength(Object.keys(TOPIC_SPECS).length);
    },
    30_000,
  );

  it('the national side sends what goes to robots (decisions, broadcast decisions, event acks) and receives what robots publish', async () => {
    const r = await problems(national);
    const actions = Object.fromEntries(
      r
        .doc!.operations()
        .all()
        .map((o) => [o.channels().all()[0]!.address(), o.action()]),
    );
    for (const spec of Object.values(TOPIC_SPECS)) {
      const address = spec.pattern.replace('{root}', 'kizuna/v1');
      expect([address, actions[address]]).toEqual([address, spec.direction === 'robot→cloud' ? 'receive' : 'send']);
    }
    expect(actions['kizuna/v1/{fleet}/{robotId}/decision']).toBe('send');
    expect(actions['kizuna/v1/{fleet}/{robotId}/events']).toBe('receive');
    // And the robot's document is the mirror image.
    const mirror = await problems(robot);
    for (const o of mirror.doc!.operations().all()) {
      expect(o.action()).toBe(actions[o.channels().all()[0]!.address() ?? ''] === 'send' ? 'receive' : 'send');
    }
  }, 30_000);

  it('the validator does reject a broken document (an operation on a channel that does not exist, a server without protocol)', async () => {
    const doc = JSON.parse(national) as {
      operations: Record<string, { channel: { $ref: string } }>;
      servers: Record<string, Record<string, unknown>>;
    };
    doc.operations.send_decision!.channel.$ref = '#/channels/no_such_channel';
    delete doc.servers.broker!.protocol;
    const r = await problems(JSON.stringify(doc));
    expect(r.problems.length).toBeGreaterThanOrEqual(2);
    expect(r.problems.join('\n')).toMatch(/no_such_channel|protocol/);
  }, 30_000);
});
