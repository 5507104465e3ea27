/**
 * docs/foxglove/kizuna-sim.json, the Foxglove layout shipped for sim runs: valid JSON, its panels are
 * the ones the issue asks for, and every topic it names is a channel of a run of the default fleet
 * scenario (the message paths' fields exist in the ROS 2 definitions of those channels' types).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGES } from '../../../nodes/core/interfaces/definitions.generated';
import { loadScenario } from '../../../sim/scenario';
import { SimStream } from '../../../sim/recording/stream';

const root = join(__dirname, '..', '..', '..');

describe('the Foxglove layout for sim runs', () => {
  const layout = JSON.parse(readFileSync(join(root, 'docs', 'foxglove', 'kizuna-sim.json'), 'utf8')) as {
    configById: Record<string, Record<string, unknown>>;
    layout: unknown;
  };
  const stream = new SimStream(loadScenario(join(root, 'sim', 'scenarios', 'fleet.yaml')));
  const channels = new Map(stream.channels.map((c) => [c.topic, c]));

  it('has a 3D panel, a plot, a state transitions panel and a log panel, each placed in the layout', () => {
    const kinds = Object.keys(layout.configById).map((id) => id.split('!')[0]);
    expect(kinds.sort()).toEqual(['3D', 'Plot', 'RosOut', 'StateTransitions']);
    const placed = JSON.stringify(layout.layout);
    for (const id of Object.keys(layout.configById)) expect(placed).toContain(`"${id}"`);
  });

  it('names only topics a run of the default scenario advertises, and fields their types have', () => {
    const cfg = layout.configById;
    const topics3d = Object.keys(cfg['3D!kizuna-fleet']!.topics as Record<string, unknown>);
    const paths = Object.entries(cfg)
      .filter(([id]) => id.startsWith('Plot!') || id.startsWith('StateTransitions!'))
      .flatMap(([, c]) => (c.paths as Array<{ value: string }>).map((p) => p.value));
    const log = cfg['RosOut!kizuna-log']!.topicToRender as string;
    expect(topics3d.length).toBeGreaterThan(5);
    expect(paths.length).toBeGreaterThan(3);
    for (const t of [...topics3d, log]) expect({ t, advertised: channels.has(t) }).toEqual({ t, advertised: true });
    // a log type Foxglove's log panel reads (foxglove.Log's ROS 2 form)
    expect(channels.get(log)!.schema.name).toBe('foxglove_msgs/msg/Log');
    for (const p of paths) {
      // `/robot/topic.field.field`: the topic is advertised, each field exists in its ROS 2 type.
      const dot = p.indexOf('.');
      const topic = p.slice(0, dot);
      expect({ p, advertised: channels.has(topic) }).toEqual({ p, advertised: true });
      let type = channels.get(topic)!.schema.name;
      for (const f of p.slice(dot + 1).split('.')) {
        const field = MESSAGES[type]!.fields.find((x) => x.name === f);
        expect({ p, f, exists: field !== undefined }).toEqual({ p, f, exists: true });
        type = field!.type;
      }
    }
  });
});
